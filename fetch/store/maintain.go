package store

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// UseGranularity is how stale an entry's last-use time (its manifest's
// mtime) may get before Place renews it: one write per entry per day at
// most.
const UseGranularity = 24 * time.Hour

// StaleTempAge is how long an unlocked temporary directory must have gone
// unmodified before RemoveStale deletes it on a file system where flock(2)
// does not work; elsewhere the builder's lock says whether it is alive.
const StaleTempAge = 30 * time.Minute

// tempGrace is how old an unlocked temporary directory must be before
// RemoveStale takes it for a dead builder's.
const tempGrace = time.Minute

// Action is one thing VerifyAll or GC removed, or failed to remove.
type Action struct {
	Path   string
	Reason string
	Bytes  int64
	Err    error // why it could not be removed; nil when it was
}

// Summary totals a VerifyAll or GC pass.
type Summary struct {
	Entries      int   // entries looked at
	Bytes        int64 // their files' size
	Removed      int
	RemovedBytes int64
	Failed       int
	// Foreign counts entries VerifyAll left alone: made under another key.
	Foreign int
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

// touch renews an entry's last-use time when it is older than a day.
func touch(efd int) {
	var st unix.Stat_t
	if unix.Fstatat(efd, manifestFn, &st, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return
	}
	if time.Since(time.Unix(st.Mtim.Unix())) < UseGranularity {
		return
	}
	now := unix.NsecToTimespec(time.Now().UnixNano())
	_ = unix.UtimesNanoAt(efd, manifestFn, []unix.Timespec{now, now}, unix.AT_SYMLINK_NOFOLLOW)
}

// VerifyAll checks every entry made under this store's key as Place would
// (the manifest's MAC, and every file's type, mode, size and SHA-256) and
// removes, reporting each: entries that fail, names that are not entries,
// and temporary directories no live builder holds. Entries named for
// another key (another machine or user sharing the cache) cannot be
// checked and are left to their owner, or to GC; Summary.Foreign counts
// them. Reading an entry here is not a use (GC).
func (s *Store) VerifyAll(ctx context.Context, report func(Action)) (Summary, error) {
	var sum Summary
	err := s.walk(ctx, &sum, report, func(rel string, efd int) error {
		if !s.ours(rel, efd) {
			sum.Foreign++
			return nil
		}
		sum.Entries++
		size, err := s.checkEntry(ctx, rel, efd)
		sum.Bytes += size
		if err == nil || ctx.Err() != nil {
			return ctx.Err()
		}
		a := Action{Path: filepath.Join(s.dir, filepath.FromSlash(rel)), Reason: err.Error(), Bytes: size}
		if !s.remove(rel) {
			a.Err = fmt.Errorf("could not remove it; delete %s by hand", a.Path)
		}
		sum.record(a, report)
		return nil
	})
	if err != nil {
		return sum, err
	}
	s.removeStale(&sum, report)
	return sum, nil
}

// ours reports whether the entry at rel is named for this store's key:
// the integrity and layout its manifest states (read without trusting it)
// give its name under the key. An entry of ours whose manifest was edited
// may look foreign here; it is removed when Place next looks it up.
func (s *Store) ours(rel string, efd int) bool {
	fd, err := openat2(efd, manifestFn, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return true // no manifest: checkEntry removes it
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > MaxManifestSize {
		return true
	}
	data := make([]byte, st.Size)
	if _, err := io.ReadFull(fdReader(fd), data); err != nil {
		return true
	}
	var integrity, layout string
	for _, line := range strings.Split(string(data), "\n") {
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "integrity":
			integrity = rest
		case "layout":
			layout, _ = strconv.Unquote(rest)
		}
	}
	d, err := verify.ParseSRI(integrity)
	if err != nil {
		return true
	}
	return s.name(ID{Integrity: d.Strongest(), Layout: layout}) == rel[strings.LastIndexByte(rel, '/')+1:]
}

// checkEntry verifies one entry in place.
func (s *Store) checkEntry(ctx context.Context, rel string, efd int) (int64, error) {
	name := rel[strings.LastIndexByte(rel, '/')+1:]
	var m *manifest
	fd, err := openat2(efd, manifestFn, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err == nil {
		m, err = s.readManifestFD(fd)
		unix.Close(fd)
	}
	if err != nil {
		return 0, fmt.Errorf("untrusted: %v", err)
	}
	d, err := verify.ParseSRI(m.integrity)
	if err != nil {
		return 0, fmt.Errorf("untrusted: manifest integrity: %v", err)
	}
	if s.name(ID{Integrity: d.Strongest(), Layout: m.layout}) != name {
		return 0, errors.New("untrusted: manifest describes another entry")
	}
	pkg, err := openat2(efd, pkgDir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return 0, fmt.Errorf("untrusted: no %s directory", pkgDir)
	}
	defer unix.Close(pkg)
	pl := &placer{s: s, src: pkg, dst: -1, srcDirs: map[string]int{"": pkg}, dstDirs: map[string]int{}, buf: bufPool.Get().(*[]byte)}
	defer pl.close()
	for i, f := range m.files {
		if i%64 == 0 && ctx.Err() != nil {
			return pl.st.Bytes, ctx.Err()
		}
		dir, base := splitPath(f.Path)
		sfd, err := pl.srcDir(dir)
		if err != nil {
			return pl.st.Bytes, fmt.Errorf("corrupt: %s: directory missing or not a directory", f.Path)
		}
		if err := pl.checkLinked(sfd, base, f); err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				return pl.st.Bytes, fmt.Errorf("corrupt: %s: want %s, got %s", ce.Path, ce.Want, ce.Got)
			}
			return pl.st.Bytes, err
		}
	}
	return pl.st.Bytes, nil
}

func (s *Store) readManifestFD(fd int) (*manifest, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > MaxManifestSize {
		return nil, errors.New("manifest is not a regular file of sane size")
	}
	data := make([]byte, st.Size)
	if _, err := io.ReadFull(fdReader(fd), data); err != nil {
		return nil, err
	}
	return decodeManifest(data, s.key)
}

// GC removes entries not placed since now minus olderThan, reporting each.
// An entry's last use is its manifest's mtime, renewed at most daily by
// Place. Removing an entry never touches trees it was linked into: they
// hold their own links to the files.
func (s *Store) GC(ctx context.Context, olderThan time.Duration, report func(Action)) (Summary, error) {
	cutoff := time.Now().Add(-olderThan)
	var sum Summary
	err := s.walk(ctx, &sum, nil, func(rel string, efd int) error {
		sum.Entries++
		var st unix.Stat_t
		if err := unix.Fstatat(efd, manifestFn, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return nil // VerifyAll's to remove
		}
		used := time.Unix(st.Mtim.Unix())
		if !used.Before(cutoff) {
			return nil
		}
		a := Action{Path: filepath.Join(s.dir, filepath.FromSlash(rel)), Reason: "unused since " + used.UTC().Format("2006-01-02")}
		if !s.remove(rel) {
			a.Err = fmt.Errorf("could not remove it; delete %s by hand", a.Path)
		}
		sum.record(a, report)
		return nil
	})
	return sum, err
}

// walk visits every entry directory. With report set it also removes and
// reports names that are not entries.
func (s *Store) walk(ctx context.Context, sum *Summary, report func(Action), visit func(rel string, efd int) error) error {
	extra := func(rel, reason string) {
		if report == nil {
			return
		}
		p := filepath.Join(s.dir, filepath.FromSlash(rel))
		sum.record(Action{Path: p, Reason: reason, Err: os.RemoveAll(p)}, report)
	}
	top, err := s.names(versionDir)
	if err != nil {
		return err
	}
	for _, pre := range top {
		if len(pre) != 2 || !isHex(pre) {
			extra(versionDir+"/"+pre, "not a store directory")
			continue
		}
		names, err := s.names(versionDir + "/" + pre)
		if err != nil {
			extra(versionDir+"/"+pre, "not a directory")
			continue
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return err
			}
			rel := versionDir + "/" + pre + "/" + n
			if len(n) != 64 || !isHex(n) || n[:2] != pre {
				extra(rel, "not a store entry name")
				continue
			}
			efd, err := openat2(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				extra(rel, "not a directory")
				continue
			}
			err = visit(rel, efd)
			unix.Close(efd)
			if err != nil {
				return err
			}
		}
	}
	return nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

func (s *Store) names(rel string) ([]string, error) {
	fd, err := openat2(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), rel)
	defer f.Close()
	return f.Readdirnames(-1)
}

// RemoveStale deletes the temporary directories of builders that died (no
// process holds their lock), and of removals that were interrupted.
func (s *Store) RemoveStale() {
	s.removeStale(&Summary{}, nil)
}

func (s *Store) removeStale(sum *Summary, report func(Action)) {
	names, err := s.names(tempDir)
	if err != nil {
		return
	}
	for _, n := range names {
		rel := tempDir + "/" + n
		p := filepath.Join(s.dir, filepath.FromSlash(rel))
		fd, err := openat2(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
		if err != nil {
			// Only what is there and not a directory is debris; a builder
			// may have just renamed its directory into place.
			if err == unix.ENOTDIR || err == unix.ELOOP {
				sum.record(Action{Path: p, Reason: "not a store temporary directory", Err: os.RemoveAll(p)}, report)
			}
			continue
		}
		// A builder takes its lock just after creating its directory:
		// an unlocked one younger than tempGrace may be that moment.
		var st unix.Stat_t
		age := time.Duration(0)
		if unix.Fstat(fd, &st) == nil {
			age = time.Since(time.Unix(st.Mtim.Unix()))
		}
		stale := false
		switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err {
		case nil:
			stale = age > tempGrace
		case unix.EWOULDBLOCK:
		default:
			stale = age > StaleTempAge
		}
		if stale {
			sum.record(Action{Path: p, Reason: "temporary directory no live install holds", Err: os.RemoveAll(p)}, report)
		}
		unix.Close(fd)
	}
}
