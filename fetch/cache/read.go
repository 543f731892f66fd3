package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// ErrCorrupt is matched (errors.Is) by every *CorruptError.
var ErrCorrupt = errors.New("corrupt cache blob")

// errNotRegular is a CorruptError's cause when the blob path held a symlink,
// directory, FIFO or device instead of a file.
var errNotRegular = errors.New("not a regular file")

// CorruptError reports a blob whose bytes do not match its digest, or a blob
// path that holds something other than a regular file. The cache removes
// such a blob when it can (Removed), so that the next attempt downloads it
// again.
type CorruptError struct {
	Path      string
	Want, Got verify.Digest // Got is zero when the path was not a regular file
	Removed   bool
	Err       error // *verify.MismatchError, or the not-a-file reason
}

func (e *CorruptError) Error() string {
	what := fmt.Sprintf("cache blob %s is corrupt (want %s, got %s)", e.Path, e.Want, e.Got)
	if errors.Is(e.Err, errNotRegular) {
		what = fmt.Sprintf("cache blob %s is not a regular file", e.Path)
	}
	if e.Removed {
		return what + "; removed it, the next attempt downloads it again"
	}
	return what + "; could not remove it, delete it by hand"
}

func (e *CorruptError) Unwrap() error { return e.Err }

func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Reader streams a blob while re-hashing it. Read returns io.EOF only after
// the whole blob matched its digest; at the end of a mismatching blob it
// returns a *CorruptError instead. A consumer that may stop before the end
// (a tar reader ignoring trailing padding) must call Verify before it trusts
// what it read.
type Reader struct {
	f        *os.File
	dirfd    int
	name     string
	path     string
	want     verify.Digest
	chk      *verify.Checker
	size     int64
	dev, ino uint64
	done     bool
	markUse  bool // record a verified read in the blob's mtime (Get)
	mtime    int64
	result   error // final verdict once done: nil or *CorruptError
	ioErr    error // a read failure, which says nothing about the bytes
}

// Get opens d's blob. It returns an error matching ErrNotFound when the cache
// has none, and a *CorruptError (after removing it) when the blob path holds
// something other than a regular file.
func (c *Cache) Get(d verify.Digest) (*Reader, error) {
	dir, name, err := blobPath(d)
	if err != nil {
		return nil, err
	}
	path := c.path(dir, name)
	dirfd, err := c.openDir(false, dir...)
	if err != nil {
		if isMissing(err) {
			return nil, fmt.Errorf("cache: %s: %w", path, ErrNotFound)
		}
		return nil, fmt.Errorf("cache: %w", err)
	}
	r, err := openBlob(dirfd, name, path, d)
	if err != nil {
		unix.Close(dirfd)
		return nil, err
	}
	r.markUse = true
	return r, nil
}

// isMissing reports whether a directory open failed because the blob cannot
// be there: a missing component, or one that is not a directory (which the
// next Put replaces).
func isMissing(err error) bool {
	return errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR)
}

func openBlob(dirfd int, name, path string, want verify.Digest) (*Reader, error) {
	notFile := func() error {
		return &CorruptError{Path: path, Want: want, Removed: removeEntry(dirfd, name), Err: errNotRegular}
	}
	// Look before opening: opening a device or FIFO can block or have side
	// effects. The fstat after opening closes the race with a swap.
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return nil, fmt.Errorf("cache: %s: %w", path, ErrNotFound)
		}
		return nil, fmt.Errorf("cache: %w", &os.PathError{Op: "stat", Path: path, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, notFile()
	}
	fd, err := openRetry(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	switch {
	case err == unix.ENOENT:
		return nil, fmt.Errorf("cache: %s: %w", path, ErrNotFound)
	case err == unix.ELOOP:
		return nil, notFile()
	case err != nil:
		return nil, fmt.Errorf("cache: %w", &os.PathError{Op: "open", Path: path, Err: err})
	}
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("cache: %w", &os.PathError{Op: "fstat", Path: path, Err: err})
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, notFile()
	}
	if st.Mode&0o022 != 0 {
		// Writable by others: the bytes are verified all the same, but the
		// cache never leaves a blob writable. Best effort: only the owner
		// (or root) can change it back.
		_ = unix.Fchmod(fd, blobPerm)
	}
	// O_NONBLOCK only guarded the open; reads of a regular file ignore it,
	// but os.File should see an ordinary blocking descriptor.
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("cache: %w", &os.PathError{Op: "fcntl", Path: path, Err: err})
	}
	return &Reader{
		f:     os.NewFile(uintptr(fd), path),
		dirfd: dirfd,
		name:  name,
		path:  path,
		want:  want,
		chk:   verify.NewChecker(want),
		size:  st.Size,
		mtime: st.Mtim.Sec,
		dev:   uint64(st.Dev),
		ino:   uint64(st.Ino),
	}, nil
}

// removeEntry deletes whatever sits at a blob path without following it,
// reporting whether the path is now free.
func removeEntry(dirfd int, name string) bool {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == unix.EISDIR || err == unix.EPERM {
		// A directory (Linux says EISDIR, POSIX allows EPERM). Only an
		// empty one is removed: its contents are not ours to judge.
		err = unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR)
	}
	return err == nil || err == unix.ENOENT
}

// Size returns the blob's size on disk when it was opened.
func (r *Reader) Size() int64 { return r.size }

// Read reads from the blob, hashing what it returns.
func (r *Reader) Read(p []byte) (int, error) {
	if r.ioErr != nil {
		return 0, r.ioErr
	}
	if r.done {
		if r.result != nil {
			return 0, r.result
		}
		return 0, io.EOF
	}
	left := r.size - r.chk.N()
	if left <= 0 {
		return 0, r.finish()
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.f.Read(p)
	r.chk.Write(p[:n])
	switch {
	case err == io.EOF:
		// The file shrank under us: the digest decides.
		return n, r.finish()
	case err != nil:
		r.ioErr = fmt.Errorf("cache: reading %s: %w", r.path, err)
		return n, r.ioErr
	}
	return n, nil
}

// finish checks the digest once all bytes went through the hash and returns
// what Read reports at the end: io.EOF or the *CorruptError.
func (r *Reader) finish() error {
	if !r.done {
		r.done = true
		if err := r.chk.Check(); err != nil {
			var me *verify.MismatchError
			errors.As(err, &me)
			ce := &CorruptError{Path: r.path, Want: r.want, Err: err}
			if me != nil {
				ce.Got = me.Got
			}
			ce.Removed = r.removeIfSame()
			r.result = ce
		} else if r.markUse {
			r.recordUse()
		}
	}
	if r.result != nil {
		return r.result
	}
	return io.EOF
}

// removeIfSame unlinks the blob only if the path still names the file this
// Reader opened: a concurrent writer may have renamed a good copy over it.
func (r *Reader) removeIfSame() bool {
	var st unix.Stat_t
	if err := unix.Fstatat(r.dirfd, r.name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err == unix.ENOENT
	}
	if uint64(st.Dev) != r.dev || uint64(st.Ino) != r.ino {
		return true // replaced: the corrupt file is already gone from the path
	}
	return removeEntry(r.dirfd, r.name)
}

// Verify reads whatever the consumer left unread (at most the blob's size)
// through the hash and returns the verdict: nil when every byte matched, a
// *CorruptError (the blob has been removed) when not, or the read error that
// prevented a verdict.
func (r *Reader) Verify() error {
	if !r.done && r.ioErr == nil {
		buf := make([]byte, 32<<10)
		for {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
	}
	if r.ioErr != nil {
		return r.ioErr
	}
	return r.result
}

// Close releases the blob. It does not check anything; call Verify for that.
func (r *Reader) Close() error {
	err := r.f.Close()
	if r.dirfd >= 0 {
		unix.Close(r.dirfd)
		r.dirfd = -1
	}
	return err
}

// Has reports whether the cache holds a regular file at d's blob path. It
// says nothing about the blob's bytes (Get verifies those); callers use it
// to decide how to consume a fetch, never what to trust.
func (c *Cache) Has(d verify.Digest) bool {
	dir, name, err := blobPath(d)
	if err != nil {
		return false
	}
	var st unix.Stat_t
	err = unix.Fstatat(c.root, filepath.Join(append(dir, name)...), &st, unix.AT_SYMLINK_NOFOLLOW)
	return err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
}
