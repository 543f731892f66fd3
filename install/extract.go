package install

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sync/errgroup"
)

// ExtractAll calls extract once for each of n packages, concurrently: at
// most limit at a time (below 1: max(4, 2×GOMAXPROCS)), each with a new
// empty directory of its own in a scratch directory of the staging area,
// so that no extraction can write into another package's files and a
// failed one is thrown away with the staging area. extract gets the
// directory's absolute path; ExtractAll returns every directory, in the
// order of i, as a slash path relative to Root, for PlaceAll.
//
// The first error extract returns ends it, and so does ctx (with its
// cause); either way only after every call already started has returned.
func (s *Staging) ExtractAll(ctx context.Context, n, limit int, extract func(ctx context.Context, i int, dir string) error) ([]string, error) {
	scratch, err := s.Scratch()
	if err != nil {
		return nil, err
	}
	scratchRel, err := s.Rel(scratch)
	if err != nil {
		return nil, err
	}
	if limit < 1 {
		limit = max(4, 2*runtime.GOMAXPROCS(0))
	}
	dirs := make([]string, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(limit)
	for i := range n {
		dir := filepath.Join(scratch, strconv.Itoa(i))
		dirs[i] = path.Join(scratchRel, strconv.Itoa(i))
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return context.Cause(gctx)
			}
			if err := os.Mkdir(dir, dirMode); err != nil {
				return err
			}
			return extract(gctx, i, dir)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return dirs, nil
}

// A Move puts one extracted package in its place in a staged tree.
type Move struct {
	From string // the extracted directory, relative to Root (from ExtractAll)
	To   string // its place, relative to Root, inside a directory from RootDir
	Loc  string // the package's location in the project, for errors
}

// PlaceAll renames each move's From to its To in order, creating To's
// missing parent directories first (mode 0o777 less the umask, as npm's
// mkdir): list a package before any package nested inside it. Each
// rename is one os.Root.Rename beneath Root: a placement can never land
// outside the staging area.
func (s *Staging) PlaceAll(moves []Move) error {
	r, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("install: %w", err)
	}
	defer r.Close()
	for _, m := range moves {
		if err := r.MkdirAll(path.Dir(m.To), dirMode); err != nil {
			return fmt.Errorf("placing %s: %w", m.Loc, err)
		}
		if err := r.Rename(m.From, m.To); err != nil {
			return fmt.Errorf("placing %s: %w", m.Loc, err)
		}
	}
	return nil
}
