package cache

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A side directory is a flat directory of metadata files airlock keeps
// beside blobs/ (the PyPI index page and provenance caches, the advisory
// bulk answers): each file is named <sha256 hex>.json, capped in size, and
// never trusted for integrity, but their number is not capped. GCDir and
// VerifyDir keep them bounded the way GC and VerifyAll keep blobs/: a
// file's last use is its mtime, renewed at most daily by TouchUsed on read.
// Neither follows a symlink: the directory itself must not be one, and its
// entries are looked at and removed by name relative to it.

// TouchUsed records a use of the side-directory file p (its mtime, at most
// once per UseGranularity), so that GCDir keeps files that offline runs
// still read. Best effort, and never through a symlink.
func TouchUsed(p string) {
	var st unix.Stat_t
	if unix.Lstat(p, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	t := now()
	if t.Unix()-st.Mtim.Sec < int64(UseGranularity/time.Second) {
		return
	}
	ts := []unix.Timespec{{Sec: 0, Nsec: unix.UTIME_OMIT}, unix.NsecToTimespec(t.UnixNano())}
	_ = unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// GCDir removes the regular files in dir not used since now minus
// olderThan, reporting each; Summary.Blobs counts the files looked at.
// Temporary files and anything that is not a regular file are left to
// VerifyDir. A missing dir is an empty one.
func GCDir(ctx context.Context, dir string, olderThan time.Duration, report func(Action)) (Summary, error) {
	cutoff := now().Add(-olderThan)
	var sum Summary
	err := walkSideDir(ctx, dir, func(dirfd int, name string, st *unix.Stat_t) {
		if strings.HasPrefix(name, TempPrefix) || st.Mode&unix.S_IFMT != unix.S_IFREG {
			return
		}
		sum.Blobs++
		sum.Bytes += st.Size
		used := time.Unix(st.Mtim.Unix())
		if !used.Before(cutoff) {
			return
		}
		a := Action{Path: filepath.Join(dir, name), Bytes: st.Size, Reason: "unused since " + used.UTC().Format("2006-01-02")}
		if err := unix.Unlinkat(dirfd, name, 0); err != nil && err != unix.ENOENT {
			a.Err = err
		}
		sum.record(a, report)
	})
	return sum, err
}

// VerifyDir removes, reporting each, what does not belong in the side
// directory dir: entries that are not regular files, names that are not
// <sha256 hex>.json, files over maxBytes or not JSON, and temporary files
// idle for StaleTempAge (their writers hold no lock). Reading a file here does
// not count as using it. A missing dir is an empty one.
func VerifyDir(ctx context.Context, dir string, maxBytes int64, report func(Action)) (Summary, error) {
	var sum Summary
	err := walkSideDir(ctx, dir, func(dirfd int, name string, st *unix.Stat_t) {
		p := filepath.Join(dir, name)
		if strings.HasPrefix(name, TempPrefix) {
			// The writers of these files (os.CreateTemp, then rename) hold
			// no lock, so a locked-by-nobody test would take a live
			// writer's file: only the idle time tells, as for blobs on a
			// filesystem without flock. Directories are never temps of ours.
			if st.Mode&unix.S_IFMT == unix.S_IFDIR || time.Unix(st.Mtim.Unix()).After(time.Now().Add(-StaleTempAge)) {
				return
			}
			a := Action{Path: p, Reason: "temporary file idle for over " + StaleTempAge.String(), Bytes: st.Size}
			if err := unix.Unlinkat(dirfd, name, 0); err != nil && err != unix.ENOENT {
				a.Err = err
			}
			sum.record(a, report)
			return
		}
		reason := ""
		switch {
		case st.Mode&unix.S_IFMT != unix.S_IFREG:
			reason = "not a regular file"
		case !sideName(name):
			reason = "not a cache entry name"
		case st.Size > maxBytes:
			reason = fmt.Sprintf("%d bytes, over the %d-byte limit", st.Size, maxBytes)
		default:
			sum.Blobs++
			sum.Bytes += st.Size
			ok, err := readJSON(dirfd, name, maxBytes)
			if err != nil || ok {
				return // vanished or unreadable: not ours to judge now
			}
			reason = "not JSON"
		}
		a := Action{Path: p, Reason: reason, Bytes: st.Size}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			// os.RemoveAll never follows a symlink.
			a.Err = os.RemoveAll(p)
		} else if err := unix.Unlinkat(dirfd, name, 0); err != nil && err != unix.ENOENT {
			a.Err = err
		}
		sum.record(a, report)
	})
	return sum, err
}

// sideName reports whether name is <64 lowercase hex>.json.
func sideName(name string) bool {
	h, ok := strings.CutSuffix(name, ".json")
	return ok && len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

// readJSON reports whether the regular file name holds valid JSON.
func readJSON(dirfd int, name string, maxBytes int64) (bool, error) {
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, err
	}
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	// The file's size was checked against maxBytes before; the limit
	// holds even if it grew since.
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return false, err
	}
	return int64(len(data)) <= maxBytes && json.Valid(data), nil
}

// walkSideDir calls visit for every entry of dir, opened without following
// a symlink, with its lstat.
func walkSideDir(ctx context.Context, dir string, visit func(dirfd int, name string, st *unix.Stat_t)) error {
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	switch {
	case err == unix.ENOENT:
		return nil
	case err == unix.ELOOP || err == unix.ENOTDIR:
		return fmt.Errorf("cache: %s is not a directory (a symlink?); remove it by hand, airlock recreates it", dir)
	case err != nil:
		return fmt.Errorf("cache: %s: %w", dir, err)
	}
	defer unix.Close(dirfd)
	dup, err := unix.Dup(dirfd)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dup), dir)
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("cache: %s: %w", dir, err)
	}
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		var st unix.Stat_t
		if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
			continue // removed meanwhile
		}
		visit(dirfd, name, &st)
	}
	return nil
}
