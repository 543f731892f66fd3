package cache

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// tempAttempts bounds the search for an unused temporary name; with 64
// random bits a second attempt is already astronomically unlikely.
const tempAttempts = 8

// Writer streams one blob into the cache. Nothing is visible under the
// blob's name until Commit has checked the digest. Call Abort (it is a no-op
// after Commit) on every path, typically with defer.
type Writer struct {
	f     *os.File
	dirfd int
	tmp   string
	name  string
	path  string
	chk   *verify.Checker
	done  bool
}

// Put starts writing the blob for d.
func (c *Cache) Put(d verify.Digest) (*Writer, error) {
	dir, name, err := blobPath(d)
	if err != nil {
		return nil, err
	}
	path := c.path(dir, name)
	dirfd, err := c.openDir(true, dir...)
	if err != nil {
		return nil, fmt.Errorf("cache: %w; check that %s is writable or set AIRLOCK_CACHE", err, c.dir)
	}
	for range tempAttempts {
		var rnd [8]byte
		rand.Read(rnd[:])
		tmp := TempPrefix + name[:16] + "-" + hex.EncodeToString(rnd[:])
		fd, err := openRetry(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, tempPerm)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			unix.Close(dirfd)
			return nil, fmt.Errorf("cache: creating a temporary file next to %s: %w; check that %s is writable or set AIRLOCK_CACHE", path, err, c.dir)
		}
		if !claimTemp(dirfd, tmp, fd) {
			unix.Close(fd)
			continue
		}
		return &Writer{
			f:     os.NewFile(uintptr(fd), c.path(dir, tmp)),
			dirfd: dirfd,
			tmp:   tmp,
			name:  name,
			path:  path,
			chk:   verify.NewChecker(d),
		}, nil
	}
	unix.Close(dirfd)
	return nil, fmt.Errorf("cache: no unused temporary name next to %s after %d attempts", path, tempAttempts)
}

// claimTemp takes the flock(2) that marks a temporary file as live until its
// descriptor is closed, however the process ends, so that RemoveStaleTemps
// can delete a dead writer's file at once instead of after StaleTempAge. It
// reports false when a sweeper got the file between its creation and the
// lock (it locked it first, or already unlinked it): the caller must use
// another name. A filesystem without flock support leaves the file
// unlocked, and RemoveStaleTemps then goes by its age.
func claimTemp(dirfd int, name string, fd int) bool {
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err {
	case nil:
	case unix.EWOULDBLOCK:
		return false
	default:
		return true
	}
	// Locked, but perhaps only after a sweeper unlinked the name: make sure
	// the name still leads to this file.
	var st, named unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Fstatat(dirfd, name, &named, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	return st.Dev == named.Dev && st.Ino == named.Ino
}

// Write appends p to the temporary file and the running hash.
func (w *Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("cache: writing %s: %w", w.path, os.ErrClosed)
	}
	n, err := w.f.Write(p)
	w.chk.Write(p[:n])
	if err != nil {
		return n, fmt.Errorf("cache: writing %s: %w; free some disk space or set AIRLOCK_CACHE elsewhere", w.path, err)
	}
	return n, nil
}

// Commit stores the blob if what was written matches the digest: it makes
// the file read-only, fsyncs it and renames it to its final name. On a
// mismatch it deletes the temporary file and returns an error matching
// verify.ErrIntegrity (a *verify.MismatchError). Either way the Writer is
// finished.
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("cache: committing %s: %w", w.path, os.ErrClosed)
	}
	if err := w.chk.Check(); err != nil {
		w.Abort()
		return fmt.Errorf("cache: not storing %s: %w", w.path, err)
	}
	err := w.f.Chmod(blobPerm)
	if err == nil {
		err = w.f.Sync()
	}
	if err == nil {
		// Renamed while still open, so the file keeps its lock (claimTemp)
		// until it has its final name: a sweeper never deletes it in
		// between. No directory fsync: after a crash the rename may be
		// lost, which only means a refetch; the blob itself was synced
		// before it got its name, so a name never points at missing bytes.
		err = unix.Renameat(w.dirfd, w.tmp, w.dirfd, w.name)
		if err != nil {
			err = &os.LinkError{Op: "rename", Old: w.f.Name(), New: w.path, Err: err}
			if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
				err = fmt.Errorf("%w; a directory is in the way, remove it", err)
			}
		}
	}
	if err != nil {
		unix.Unlinkat(w.dirfd, w.tmp, 0)
		w.f.Close()
		w.finish()
		return fmt.Errorf("cache: storing %s: %w", w.path, err)
	}
	// The bytes were synced and renamed: a close error cannot undo that.
	w.f.Close()
	w.finish()
	return nil
}

// Abort discards the temporary file. It is safe to call more than once and
// after Commit.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	// Unlink before closing: closing drops the lock that tells a sweeper
	// this file is live.
	unix.Unlinkat(w.dirfd, w.tmp, 0)
	w.f.Close()
	w.finish()
}

func (w *Writer) finish() {
	w.done = true
	unix.Close(w.dirfd)
	w.dirfd = -1
}
