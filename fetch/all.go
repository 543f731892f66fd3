package fetch

import (
	"context"
	"io"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/lock"
)

// DefaultJobs is how many fetches FetchAll runs at once unless told
// otherwise: npm's default maxsockets.
const DefaultJobs = 15

// FetchAll fetches every package in pkgs with at most jobs fetches in flight
// (DefaultJobs when jobs <= 0). consume, which may be nil, is called for each
// package as Fetch would call it, from several goroutines at once. done, which
// may be nil, is called after each successful fetch, one call at a time (a
// progress bar needs no lock).
//
// The first failure cancels the fetches in flight and starts no more;
// FetchAll waits for every goroutine it started and returns that failure.
// Packages that share an archive download it once.
func (f *Fetcher) FetchAll(ctx context.Context, pkgs []lock.Package, jobs int,
	consume func(lock.Package, io.Reader) error, done func(lock.Package, Result)) error {
	if jobs <= 0 {
		jobs = DefaultJobs
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	var mu sync.Mutex
	for _, pkg := range pkgs {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			var c func(io.Reader) error
			if consume != nil {
				c = func(r io.Reader) error { return consume(pkg, r) }
			}
			res, err := f.Fetch(gctx, pkg, c)
			if err != nil {
				return err
			}
			if done != nil {
				mu.Lock()
				defer mu.Unlock()
				done(pkg, res)
			}
			return nil
		})
	}
	return g.Wait()
}
