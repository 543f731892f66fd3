package cache

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RemoveStaleTemps deletes temporary files (TempPrefix) under blobs/ that no
// live writer owns, and returns how many it removed. A Writer holds a
// flock(2) on its file until it commits or aborts, and the kernel drops it
// when the process dies, so the file of a killed process (SIGKILL, OOM,
// power loss) is removed by the next run at once. Where the filesystem
// cannot lock, a file counts as dead once unmodified for maxAge
// (StaleTempAge is the sensible value: shorter could delete a slow live
// download's file, whose Commit then fails without storing anything).
// Only names with TempPrefix are touched, and nothing is followed.
func (c *Cache) RemoveStaleTemps(maxAge time.Duration) (int, error) {
	cutoff := time.Now().Add(-maxAge)
	removed := 0
	algos, err := c.names(blobsDir)
	if err != nil {
		return 0, err
	}
	for _, algo := range algos {
		prefixes, err := c.names(blobsDir, algo)
		if err != nil {
			continue // not a directory: not ours to clean
		}
		for _, pre := range prefixes {
			fd, err := c.openDir(false, blobsDir, algo, pre)
			if err != nil {
				continue
			}
			n, err := removeStaleIn(fd, cutoff)
			unix.Close(fd)
			removed += n
			if err != nil {
				return removed, fmt.Errorf("cache: cleaning %s: %w", c.path([]string{blobsDir, algo}, pre), err)
			}
		}
	}
	return removed, nil
}

// names lists the entries of a directory below the root.
func (c *Cache) names(dir ...string) ([]string, error) {
	fd, err := c.openDir(false, dir...)
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	f := os.NewFile(uintptr(fd), c.path(dir[:len(dir)-1], dir[len(dir)-1]))
	defer f.Close()
	return f.Readdirnames(-1)
}

func removeStaleIn(dirfd int, cutoff time.Time) (int, error) {
	dup, err := unix.Dup(dirfd)
	if err != nil {
		return 0, err
	}
	f := os.NewFile(uintptr(dup), "")
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, name := range names {
		if !strings.HasPrefix(name, TempPrefix) {
			continue
		}
		ok, err := removeIfStale(dirfd, name, cutoff)
		if ok {
			removed++
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// removeIfStale deletes the temporary file name if no live writer holds its
// lock or, where locks do not work, if it has been idle since cutoff.
// Anything with the prefix that is neither a regular file nor a directory
// was never airlock's and is removed; directories never are.
func removeIfStale(dirfd int, name string, cutoff time.Time) (bool, error) {
	unlink := func() (bool, error) {
		switch err := unix.Unlinkat(dirfd, name, 0); err {
		case nil:
			return true, nil
		case unix.ENOENT:
			return false, nil
		default:
			return false, err
		}
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, nil
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return false, nil
	case unix.S_IFREG:
	default:
		return unlink()
	}
	idle := !time.Unix(st.Mtim.Unix()).After(cutoff)
	fd, err := openRetry(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if idle {
			return unlink()
		}
		return false, nil
	}
	defer unix.Close(fd)
	switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); {
	case err == nil:
		// Nobody holds it, and the lock is kept until after the unlink: a
		// writer that created the file an instant ago and has not locked it
		// yet either fails to lock it or finds its name gone, and picks
		// another name (claimTemp).
		return unlink()
	case err == unix.EWOULDBLOCK:
		return false, nil
	case idle:
		return unlink()
	}
	return false, nil
}
