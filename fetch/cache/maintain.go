package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// Action is one entry VerifyAll or GC removed, or failed to remove.
type Action struct {
	Path   string // absolute
	Reason string
	Bytes  int64
	// Err is why the entry could not be removed; nil when it was.
	Err error
}

// Summary totals a VerifyAll or GC pass.
type Summary struct {
	Blobs        int   // blobs looked at
	Bytes        int64 // their size
	Removed      int   // entries removed
	RemovedBytes int64
	Failed       int // entries that should have gone but could not be removed
}

func (s *Summary) record(a Action, report func(Action)) {
	if a.Err != nil {
		s.Failed++
	} else {
		s.Removed++
		s.RemovedBytes += a.Bytes
	}
	if report != nil {
		report(a)
	}
}

// knownAlgos are the only names a blobs/<algo> directory may have.
var knownAlgos = map[string]bool{"sha1": true, "sha256": true, "sha384": true, "sha512": true}

// VerifyAll re-hashes every blob and removes, reporting each to report:
// blobs whose bytes do not match the digest their path names, anything at
// a blob path that is not a regular file, names that are not a blob's
// (planted files, directories of unknown algorithms), and temporary files
// no live writer holds (RemoveStaleTemps' rule, by lock or StaleTempAge).
// Reading a blob here does not count as using it (GC). The metadata
// stores beside blobs/ are not its business: they are never trusted for
// integrity.
func (c *Cache) VerifyAll(ctx context.Context, report func(Action)) (Summary, error) {
	var sum Summary
	err := c.walk(ctx, &sum, report, func(dirfd int, algo, pre, name string, st *unix.Stat_t) error {
		d, _ := verify.ParseHex(algo, name)
		r, err := openBlob(dirfd, name, c.path([]string{blobsDir, algo, pre}, name), d)
		var ce *CorruptError
		switch {
		case errors.As(err, &ce):
			sum.record(corruptAction(ce, st.Size), report)
			return nil
		case errors.Is(err, ErrNotFound):
			return nil // removed meanwhile
		case err != nil:
			return err
		}
		// r shares dirfd with the walk: only the file is closed here.
		defer r.f.Close()
		sum.Blobs++
		sum.Bytes += r.size
		verr := r.Verify()
		switch {
		case errors.As(verr, &ce):
			sum.record(corruptAction(ce, r.size), report)
		case verr != nil:
			return verr
		}
		return nil
	})
	return sum, err
}

func corruptAction(ce *CorruptError, size int64) Action {
	a := Action{Path: ce.Path, Bytes: size, Reason: fmt.Sprintf("corrupt: want %s, got %s", ce.Want, ce.Got)}
	if ce.Got.Algorithm == "" {
		a.Reason = "not a regular file"
	}
	if !ce.Removed {
		a.Err = fmt.Errorf("could not remove it; delete %s by hand", ce.Path)
	}
	return a
}

// GC removes blobs not used since now minus olderThan, reporting each. A
// blob's last use is its mtime (see UseGranularity): set when stored and
// renewed, at most daily, by every verified read. Blobs in use by a
// running install are safe to remove: an open file stays readable, and a
// later miss downloads the blob again. Debris (planted names, temporaries)
// is left to VerifyAll.
func (c *Cache) GC(ctx context.Context, olderThan time.Duration, report func(Action)) (Summary, error) {
	cutoff := now().Add(-olderThan)
	var sum Summary
	err := c.walk(ctx, &sum, nil, func(dirfd int, algo, pre, name string, st *unix.Stat_t) error {
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			return nil
		}
		sum.Blobs++
		sum.Bytes += st.Size
		used := time.Unix(st.Mtim.Unix())
		if !used.Before(cutoff) {
			return nil
		}
		a := Action{Path: c.path([]string{blobsDir, algo, pre}, name), Bytes: st.Size,
			Reason: "unused since " + used.UTC().Format("2006-01-02")}
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && err != unix.ENOENT {
			a.Err = err
		}
		sum.record(a, report)
		return nil
	})
	return sum, err
}

// walk visits every blob name under blobs/ with visit. With report set
// (VerifyAll), it also removes and reports what does not belong there.
func (c *Cache) walk(ctx context.Context, sum *Summary, report func(Action), visit func(dirfd int, algo, pre, name string, st *unix.Stat_t) error) error {
	clean := report != nil
	removeExtra := func(dir []string, name, reason string) {
		if !clean {
			return
		}
		p := c.path(dir, name)
		var st unix.Stat_t
		var size int64
		if unix.Lstat(p, &st) == nil {
			size = st.Size
		}
		// os.RemoveAll never follows a symlink.
		a := Action{Path: p, Reason: reason, Bytes: size, Err: os.RemoveAll(p)}
		sum.record(a, report)
	}
	algos, err := c.names(blobsDir)
	if err != nil {
		if isMissing(err) {
			return nil
		}
		return err
	}
	for _, algo := range algos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !knownAlgos[algo] {
			removeExtra([]string{blobsDir}, algo, "not a blob directory")
			continue
		}
		prefixes, err := c.names(blobsDir, algo)
		if err != nil {
			removeExtra([]string{blobsDir}, algo, "not a directory")
			continue
		}
		for _, pre := range prefixes {
			if len(pre) != 2 || strings.Trim(pre, "0123456789abcdef") != "" {
				removeExtra([]string{blobsDir, algo}, pre, "not a blob directory")
				continue
			}
			dirfd, err := c.openDir(false, blobsDir, algo, pre)
			if err != nil {
				removeExtra([]string{blobsDir, algo}, pre, "not a directory")
				continue
			}
			err = c.walkPrefix(ctx, dirfd, algo, pre, sum, report, removeExtra, visit)
			unix.Close(dirfd)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Cache) walkPrefix(ctx context.Context, dirfd int, algo, pre string, sum *Summary, report func(Action),
	removeExtra func([]string, string, string), visit func(int, string, string, string, *unix.Stat_t) error) error {
	names, err := c.names(blobsDir, algo, pre)
	if err != nil {
		return err
	}
	dir := []string{blobsDir, algo, pre}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(name, TempPrefix) {
			if report != nil {
				var st unix.Stat_t
				_ = unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
				removed, err := removeIfStale(dirfd, name, time.Now().Add(-StaleTempAge))
				if removed || err != nil {
					sum.record(Action{Path: c.path(dir, name), Reason: "temporary file no live download holds", Bytes: st.Size, Err: err}, report)
				}
			}
			continue
		}
		d, err := verify.ParseHex(algo, name)
		if err != nil || d.Hex() != name || name[:2] != pre {
			removeExtra(dir, name, "not a blob name")
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue // removed meanwhile
		}
		if err := visit(dirfd, algo, pre, name, &st); err != nil {
			return fmt.Errorf("cache: %s: %w", c.path(dir, name), err)
		}
	}
	return nil
}
