package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

const (
	// TempPrefix starts the name of every temporary file, so that cleanup
	// can recognise debris without guessing.
	TempPrefix = ".airlock-tmp-"

	// StaleTempAge is how long a temporary file must have gone unmodified
	// before RemoveStaleTemps treats it as debris on a filesystem where
	// flock(2) does not work (elsewhere a writer's lock says whether it is
	// alive). A live download writes to its file continuously, so only a
	// writer stalled for this long can lose its file (and then its Commit
	// fails; nothing corrupt is stored).
	StaleTempAge = 30 * time.Minute

	blobsDir = "blobs"
	rootPerm = 0o700
	dirPerm  = 0o755
	blobPerm = 0o444
	tempPerm = 0o600
)

// ErrNotFound is returned (wrapped) by Get when the cache holds no blob for a
// digest.
var ErrNotFound = errors.New("not in cache")

// Cache is an open cache directory. Its methods are safe for concurrent use,
// also by other processes sharing the directory.
type Cache struct {
	dir      string
	root     int // directory fd every other path is resolved against
	warnings []string
}

// DefaultDir returns the cache root airlock uses unless told otherwise:
// $AIRLOCK_CACHE, else $XDG_CACHE_HOME/airlock (the XDG spec says to ignore a
// relative XDG_CACHE_HOME), else $HOME/.cache/airlock. It returns "" when none
// of these is set. getenv is os.Getenv outside tests.
func DefaultDir(getenv func(string) string) string {
	if d := getenv("AIRLOCK_CACHE"); d != "" {
		return d
	}
	if x := getenv("XDG_CACHE_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "airlock")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "airlock")
	}
	return ""
}

// Open opens the cache rooted at dir, creating it if needed. A cache that
// exists but cannot be written (read-only mount, another user's directory,
// full disk) opens all the same, to serve what it holds; Warnings says so.
func Open(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: no cache directory; set AIRLOCK_CACHE (or HOME)")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cache: %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, rootPerm); err != nil {
		return nil, fmt.Errorf("cache: creating %s: %w; set AIRLOCK_CACHE to a writable directory", abs, err)
	}
	fd, err := openRetry(unix.AT_FDCWD, abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("cache: opening %s: %w", abs, err)
	}
	c := &Cache{dir: abs, root: fd}
	blobs, err := c.openDir(true, blobsDir)
	switch {
	case err == nil:
		c.warnings = c.checkOwnership(blobs)
		unix.Close(blobs)
	case notWritable(err):
		// A cache airlock may read but not write (a read-only mount,
		// another user's directory) still serves what it holds; every
		// store fails in Put, which says why.
		c.warnings = append(c.warnings, fmt.Sprintf("cache %s is not writable (%v): archives already in it are used after verification, but new downloads are not stored; make it writable or set AIRLOCK_CACHE", abs, errors.Unwrap(err)))
	default:
		unix.Close(fd)
		return nil, fmt.Errorf("cache: %w; set AIRLOCK_CACHE to a directory of your own", err)
	}
	return c, nil
}

// notWritable reports whether err means the cache may be read but not
// written: permissions, a read-only filesystem or a full disk.
func notWritable(err error) bool {
	return errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EROFS) || errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}

// checkOwnership returns warnings about a cache whose root or blobs
// directory other users may change, or that airlock cannot write. They do
// not stop anything: every blob is re-verified when it is read, so nobody
// can slip other bytes into an install through the cache. But whoever can
// write there can delete or spoil entries (forcing downloads), and whoever
// can read there sees which (possibly private) packages were installed.
func (c *Cache) checkOwnership(blobs int) []string {
	var out []string
	euid := uint32(os.Geteuid())
	for _, d := range []struct {
		fd   int
		path string
	}{{c.root, c.dir}, {blobs, filepath.Join(c.dir, blobsDir)}} {
		var st unix.Stat_t
		if unix.Fstat(d.fd, &st) != nil {
			continue
		}
		perm := st.Mode & 0o7777
		switch {
		case st.Uid != euid:
			out = append(out, fmt.Sprintf("cache directory %s belongs to uid %d, not to airlock's user (uid %d): that user can delete or replace cached archives (every read is verified, so a replaced one is refetched, never installed); set AIRLOCK_CACHE to a directory of your own", d.path, st.Uid, euid))
		case perm&0o022 != 0 && perm&unix.S_ISVTX == 0:
			out = append(out, fmt.Sprintf("cache directory %s is writable by other users (mode %#o): they can delete or replace cached archives (every read is verified, so a replaced one is refetched, never installed); run chmod go-w %s", d.path, perm, d.path))
		}
	}
	// Root bypasses permission bits, but not a read-only mount.
	if err := unix.Faccessat(c.root, blobsDir, unix.W_OK, unix.AT_EACCESS); err != nil {
		out = append(out, fmt.Sprintf("cache %s is not writable (%v): archives already in it are used after verification, but new downloads are not stored; make it writable or set AIRLOCK_CACHE", c.dir, err))
	}
	return out
}

// Warnings returns what Open found worth telling the user about the cache
// directory: that it is not writable, or that other users may change it.
// None of these stop the cache from working.
func (c *Cache) Warnings() []string { return c.warnings }

// Dir returns the cache's absolute root directory.
func (c *Cache) Dir() string { return c.dir }

// Close releases the cache. Readers and Writers it handed out stay usable.
func (c *Cache) Close() error {
	return unix.Close(c.root)
}

// blobPath returns the directory components and the file name of d's blob.
func blobPath(d verify.Digest) (dir []string, name string, err error) {
	if err := d.Validate(); err != nil {
		return nil, "", fmt.Errorf("cache: %w", err)
	}
	hex := d.Hex()
	return []string{blobsDir, d.Algorithm, hex[:2]}, hex, nil
}

// path returns the absolute path of name inside dir, for messages.
func (c *Cache) path(dir []string, name string) string {
	return filepath.Join(append(append([]string{c.dir}, dir...), name)...)
}

// openDir opens the directory dir (components below the root) without
// following any symlink. With create it makes missing components, and
// replaces a component that is not a directory (a planted symlink or file),
// which is safe because nothing but directories belongs there.
func (c *Cache) openDir(create bool, dir ...string) (int, error) {
	cur := c.root
	for i, name := range dir {
		fd, err := openDirAt(cur, name, create)
		if cur != c.root {
			unix.Close(cur)
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: filepath.Join(append([]string{c.dir}, dir[:i+1]...)...), Err: err}
		}
		cur = fd
	}
	return cur, nil
}

func openDirAt(parent int, name string, create bool) (int, error) {
	const flags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC
	if create {
		if err := unix.Mkdirat(parent, name, dirPerm); err != nil && err != unix.EEXIST {
			return -1, err
		}
	}
	fd, err := openRetry(parent, name, flags, 0)
	if create && (err == unix.ELOOP || err == unix.ENOTDIR) {
		if err := unix.Unlinkat(parent, name, 0); err != nil && err != unix.ENOENT {
			return -1, err
		}
		if err := unix.Mkdirat(parent, name, dirPerm); err != nil && err != unix.EEXIST {
			return -1, err
		}
		fd, err = openRetry(parent, name, flags, 0)
	}
	return fd, err
}

// openRetry is openat that retries EINTR, which network and FUSE file
// systems can return.
func openRetry(dirfd int, name string, flags int, mode uint32) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, mode)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
