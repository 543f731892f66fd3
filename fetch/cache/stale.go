package cache

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// RemoveStaleTemps deletes temporary files (TempPrefix) under blobs/ that have
// not been modified for maxAge (StaleTempAge is the sensible value: shorter
// could delete a slow live download's file). It returns how many it removed.
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
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			continue
		}
		if time.Unix(st.Mtim.Unix()).After(cutoff) {
			continue
		}
		if err := unix.Unlinkat(dirfd, name, 0); err == nil {
			removed++
		} else if err != unix.ENOENT {
			return removed, err
		}
	}
	return removed, nil
}
