package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/verify"
)

// RemoteCache is a cache other machines fill (fetch/remote's *Client),
// consulted between the local cache and the registry. Nothing it serves is
// trusted: the Fetcher checks its bytes against the lockfile digest like a
// download, and a mismatch is reported (Result.RemoteBad), Rejected, and
// replaced by a registry download. Only archives the Fetcher verified are
// Offered back, read from the local cache, which verifies them once more.
type RemoteCache interface {
	// Get returns want's archive, unverified, and where it came from; a
	// miss is a nil body and nil error. An error says the remote failed
	// (shown once as a warning; the registry serves the fetch).
	Get(ctx context.Context, want verify.Digest) (body io.ReadCloser, url string, err error)
	// Reject says the bytes Get returned did not match want; why is the
	// *IntegrityError, also in Result.RemoteBad.
	Reject(want verify.Digest, why error)
	// Offer queues a background upload of a verified archive; it never
	// blocks. open returns a verifying reader of it and its size.
	Offer(want verify.Digest, open func() (io.ReadCloser, int64, error))
}

// fromRemote streams want's archive from the remote cache to consume,
// teeing it into the local cache, as a download does. It returns done when
// the fetch is settled: the bytes matched (err is then consume's error) or
// ctx ended. Otherwise (a miss, a failure, a mismatch, recorded in res)
// the registry is next and consume starts over.
func (f *Fetcher) fromRemote(ctx context.Context, id string, want verify.Digest, consume func(io.Reader) error, res *Result) (done bool, err error) {
	body, url, err := f.Remote.Get(ctx, want)
	if err != nil {
		if ctx.Err() != nil {
			return true, fmt.Errorf("fetching %s: %w", id, ctx.Err())
		}
		res.RemoteErr = err
		return false, nil
	}
	if body == nil {
		return false, nil
	}
	defer body.Close()
	var w *cache.Writer
	if f.Cache != nil {
		if w, err = f.Cache.Put(want); err != nil {
			res.CacheErr = fmt.Errorf("not caching %s: %w", id, err)
			w = nil
		} else {
			defer w.Abort()
		}
	}
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	src := &source{ctx: ctx, r: body, chk: verify.NewChecker(want), max: max}
	var (
		r io.Reader = src
		t *tee
	)
	if w != nil {
		t = &tee{r: src, w: w}
		r = t
	}
	cerr := consume(r)
	if t != nil {
		io.Copy(io.Discard, t)
	}
	io.Copy(io.Discard, src)
	if src.err != nil {
		if ctx.Err() != nil {
			return true, fmt.Errorf("fetching %s: %w", id, ctx.Err())
		}
		res.RemoteErr = fmt.Errorf("reading %s from the remote cache: %w", id, src.err)
		return false, nil
	}
	if err := src.chk.Check(); err != nil {
		var me *verify.MismatchError
		if !errors.As(err, &me) {
			return true, fmt.Errorf("verifying %s: %w", id, err)
		}
		res.RemoteBad = &IntegrityError{Package: id, URL: url, Want: me.Want, Got: me.Got, RelockHint: f.RelockHint}
		f.Remote.Reject(want, res.RemoteBad)
		return false, nil
	}
	if t != nil && t.err != nil {
		res.CacheErr = fmt.Errorf("not caching %s: %w", id, t.err)
	} else if w != nil {
		if err := w.Commit(); err != nil {
			res.CacheErr = fmt.Errorf("not caching %s: %w", id, err)
		}
	}
	res.FromRemote = true
	res.URL = url
	res.Bytes = src.chk.N()
	return true, cerr
}

// offerRemote offers a verified download to the remote cache, from the
// local cache's copy (re-verified as it is read); without one, nothing is
// offered, as the bytes are gone.
func (f *Fetcher) offerRemote(want verify.Digest, res *Result) {
	if f.Remote == nil || f.Cache == nil || res.CacheErr != nil {
		return
	}
	c := f.Cache
	f.Remote.Offer(want, func() (io.ReadCloser, int64, error) {
		r, err := c.Get(want)
		if err != nil {
			return nil, 0, err
		}
		return r, r.Size(), nil
	})
}
