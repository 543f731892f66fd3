package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

// testFile is a file an entry holds.
type testFile struct {
	path string
	mode fs.FileMode
	data string
}

var pkgFiles = []testFile{
	{"package.json", 0o644, `{"name":"a","version":"1.0.0"}`},
	{"bin/cli.js", 0o755, "#!/usr/bin/env node\nconsole.log(1)\n"},
	{"lib/deep/x y.js", 0o644, "module.exports = 'with a space'\n"},
	{"lib/empty.js", 0o644, ""},
	{`lib/q"uote.js`, 0o644, "quoted\n"},
}

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func testID(name string) ID {
	sum := sha512.Sum512([]byte(name))
	return ID{Integrity: verify.Digest{Algorithm: "sha512", Sum: sum[:]}, Layout: "test umask=022"}
}

func openTest(t *testing.T, dir string, key []byte, mode Mode) *Store {
	t.Helper()
	s, err := Open(dir, key, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// build writes files into a new entry, as an extraction would, and
// returns the manifest records.
func build(t *testing.T, s *Store, id ID, files []testFile) []File {
	t.Helper()
	b, err := s.Begin(id)
	if err != nil {
		t.Fatal(err)
	}
	recs := writeFiles(t, b.Dir(), files)
	if err := b.Commit(recs, 1234); err != nil {
		t.Fatal(err)
	}
	return recs
}

func writeFiles(t *testing.T, dir string, files []testFile) []File {
	t.Helper()
	var recs []File
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, File{Path: f.path, Mode: f.mode, Size: int64(len(f.data)), SHA256: sha256.Sum256([]byte(f.data))})
	}
	return recs
}

var placement = Placement{DirMode: 0o755, Umask: 0o022}

func place(t *testing.T, s *Store, id ID, p Placement) (string, Stats, error) {
	t.Helper()
	dst := t.TempDir()
	st, err := s.Place(context.Background(), id, dst, p)
	return dst, st, err
}

// checkTree compares dst with files: contents, modes, and nothing else.
func checkTree(t *testing.T, dst string, files []testFile) {
	t.Helper()
	var got []string
	filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dst, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	var want []string
	for _, f := range files {
		want = append(want, f.path)
		data, err := os.ReadFile(filepath.Join(dst, filepath.FromSlash(f.path)))
		if err != nil {
			t.Fatal(err)
		}
		if string(data) != f.data {
			t.Errorf("%s: content %q, want %q", f.path, data, f.data)
		}
		fi, _ := os.Stat(filepath.Join(dst, filepath.FromSlash(f.path)))
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s: mode %#o, want %#o", f.path, fi.Mode().Perm(), f.mode)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("files %q, want %q", got, want)
	}
}

func sameInode(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fa, fb)
}

func entryFile(s *Store, id ID, rel string) string {
	return filepath.Join(s.EntryPath(id), pkgDir, filepath.FromSlash(rel))
}

func TestPlaceLinkAndCopy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mode   Mode
		p      Placement
		linked map[string]bool // files expected to share the store's inode
	}{
		{"link", Link, placement, map[string]bool{"package.json": true, "bin/cli.js": true, "lib/deep/x y.js": true, "lib/empty.js": true, `lib/q"uote.js`: true}},
		{"link-copying-bins", Link, Placement{DirMode: 0o755, Umask: 0o022, Copy: func(rel string) bool { return rel == "bin/cli.js" }},
			map[string]bool{"package.json": true, "lib/deep/x y.js": true, "lib/empty.js": true, `lib/q"uote.js`: true}},
		{"link-copy-all", Link, Placement{DirMode: 0o755, Umask: 0o022, CopyAll: true}, map[string]bool{}},
		{"copy", Copy, placement, map[string]bool{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, t.TempDir(), testKey(1), tc.mode)
			id := testID("a")
			build(t, s, id, pkgFiles)
			dst, st, err := place(t, s, id, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			checkTree(t, dst, pkgFiles)
			if st.Files != len(pkgFiles) || st.Archive != 1234 {
				t.Errorf("stats %+v", st)
			}
			for _, f := range pkgFiles {
				if got := sameInode(t, entryFile(s, id, f.path), filepath.Join(dst, filepath.FromSlash(f.path))); got != tc.linked[f.path] {
					t.Errorf("%s shares the store's inode: %v, want %v", f.path, got, tc.linked[f.path])
				}
			}
			if st.Linked != len(tc.linked) {
				t.Errorf("linked %d files, want %d", st.Linked, len(tc.linked))
			}
		})
	}
}

func TestBuilderPlaceThenCommit(t *testing.T) {
	s := openTest(t, t.TempDir(), testKey(1), Link)
	id := testID("a")
	b, err := s.Begin(id)
	if err != nil {
		t.Fatal(err)
	}
	recs := writeFiles(t, b.Dir(), pkgFiles)
	dst := t.TempDir()
	if _, err := b.Place(dst, recs, placement); err != nil {
		t.Fatal(err)
	}
	if _, _, err := place(t, s, id, placement); !errors.Is(err, ErrNotFound) {
		t.Fatalf("entry visible before Commit: %v", err)
	}
	if err := b.Commit(recs, 1); err != nil {
		t.Fatal(err)
	}
	checkTree(t, dst, pkgFiles)
	if _, _, err := place(t, s, id, placement); err != nil {
		t.Fatal(err)
	}
}

// Every way of altering a file of an authentic entry is caught on the
// next Place, which removes the entry.
func TestTamperedFileDetected(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		tamper     func(t *testing.T, p string)
	}{
		{"content", "sha256:", func(t *testing.T, p string) {
			data, _ := os.ReadFile(p)
			data[0] ^= 1
			os.Chmod(p, 0o644)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"size", "size", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("evil()")
			f.Close()
		}},
		{"mode", "mode", func(t *testing.T, p string) { os.Chmod(p, 0o755) }},
		{"symlink", "regular file", func(t *testing.T, p string) {
			os.Remove(p)
			os.Symlink("/etc/passwd", p)
		}},
		{"fifo", "regular file", func(t *testing.T, p string) {
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skip(err)
			}
		}},
		{"missing", "a file", func(t *testing.T, p string) { os.Remove(p) }},
		{"directory symlink", "directory", func(t *testing.T, p string) {
			dir := filepath.Dir(p)
			os.RemoveAll(dir)
			os.Symlink(t.TempDir(), dir)
		}},
	} {
		for _, mode := range []Mode{Link, Copy} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, mode), func(t *testing.T) {
				s := openTest(t, t.TempDir(), testKey(1), mode)
				id := testID("a")
				build(t, s, id, pkgFiles)
				tc.tamper(t, entryFile(s, id, "lib/deep/x y.js"))
				done := make(chan struct{})
				var err error
				go func() {
					defer close(done)
					_, _, err = place(t, s, id, placement)
				}()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Fatal("Place hangs on a tampered entry")
				}
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("Place = %v, want a *CorruptError", err)
				}
				if ce.Path != "lib/deep/x y.js" || !strings.Contains(ce.Want+" "+ce.Got, tc.want) || !ce.Removed {
					t.Errorf("error %+v", ce)
				}
				if _, err := os.Lstat(s.EntryPath(id)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("tampered entry not removed: %v", err)
				}
				if _, _, err := place(t, s, id, placement); !errors.Is(err, ErrNotFound) {
					t.Errorf("after removal: %v", err)
				}
			})
		}
	}
}

// A hard link's owner could change the installed file later: an inode
// that is not airlock's user's is refused even with the right content.
func TestForeignOwnerRefused(t *testing.T) {
	s := openTest(t, t.TempDir(), testKey(1), Link)
	s.euid++ // as if another user owned every file
	id := testID("a")
	build(t, s, id, pkgFiles)
	_, _, err := place(t, s, id, placement)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(ce.Want, "uid") {
		t.Fatalf("Place = %v, want an owner mismatch", err)
	}
}

// A manifest is trusted only with a MAC made under this key, for this
// entry's name.
func TestUntrustedManifest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, s *Store, id ID)
	}{
		{"edited", func(t *testing.T, s *Store, id ID) {
			// Make the manifest describe tampered content: the MAC breaks.
			editManifest(t, s, id, func(m []byte) []byte {
				return bytes.Replace(m, []byte("file 644"), []byte("file 755"), 1)
			})
		}},
		{"forged with another key", func(t *testing.T, s *Store, id ID) {
			m := &manifest{integrity: id.Integrity.String(), layout: id.Layout, files: []File{{Path: "package.json", Mode: 0o644, Size: 4, SHA256: sha256.Sum256([]byte("evil"))}}}
			os.WriteFile(entryFile(s, id, "package.json"), []byte("evil"), 0o644)
			editManifest(t, s, id, func([]byte) []byte { return m.encode(testKey(9)) })
		}},
		{"no MAC", func(t *testing.T, s *Store, id ID) {
			editManifest(t, s, id, func(m []byte) []byte { return m[:bytes.LastIndex(m, []byte("mac "))] })
		}},
		{"moved from another entry", func(t *testing.T, s *Store, id ID) {
			other := testID("b")
			build(t, s, other, pkgFiles)
			os.RemoveAll(s.EntryPath(id))
			os.Rename(s.EntryPath(other), s.EntryPath(id))
		}},
		{"manifest is a symlink", func(t *testing.T, s *Store, id ID) {
			p := filepath.Join(s.EntryPath(id), manifestFn)
			os.Rename(p, p+".real")
			os.Symlink(p+".real", p)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, t.TempDir(), testKey(1), Link)
			id := testID("a")
			build(t, s, id, pkgFiles)
			tc.tamper(t, s, id)
			dst, _, err := place(t, s, id, placement)
			var ue *UntrustedError
			if !errors.As(err, &ue) || !ue.Removed {
				t.Fatalf("Place = %v, want an *UntrustedError after removing the entry", err)
			}
			if entries, _ := os.ReadDir(dst); len(entries) != 0 {
				t.Errorf("untrusted entry placed files: %v", entries)
			}
			if _, err := os.Lstat(s.EntryPath(id)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("untrusted entry not removed: %v", err)
			}
		})
	}
}

func editManifest(t *testing.T, s *Store, id ID, edit func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(s.EntryPath(id), manifestFn)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o600)
	if err := os.WriteFile(p, edit(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Entries made under a key are not used under another: a lost or replaced
// key (or a cache restored from another machine) means rebuild. Each key
// names its own entries, so stores sharing a cache never see each other's
// entries, and cache verify leaves the other key's entries alone.
func TestOtherKeyNotTrusted(t *testing.T) {
	dir := t.TempDir()
	id := testID("a")
	s1, s2 := openTest(t, dir, testKey(1), Link), openTest(t, dir, testKey(2), Link)
	build(t, s1, id, pkgFiles)
	if _, _, err := place(t, s2, id, placement); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Place under another key = %v, want not found", err)
	}
	build(t, s2, id, pkgFiles)
	for _, s := range []*Store{s1, s2} {
		sum, err := s.VerifyAll(context.Background(), func(a Action) { t.Errorf("removed %s: %s", a.Path, a.Reason) })
		if err != nil || sum.Entries != 1 || sum.Foreign != 1 {
			t.Errorf("VerifyAll: %+v, %v", sum, err)
		}
		if _, _, err := place(t, s, id, placement); err != nil {
			t.Error(err)
		}
	}
	// An authentic manifest of one key, moved to the other key's name for
	// the same package, does not verify.
	os.RemoveAll(s2.EntryPath(id))
	os.Rename(s1.EntryPath(id), s2.EntryPath(id))
	if _, _, err := place(t, s2, id, placement); !errors.Is(err, errBadMAC) {
		t.Fatalf("Place of another key's entry under our name = %v, want the MAC refused", err)
	}
}

func TestLoadKey(t *testing.T) {
	state, cache := t.TempDir(), t.TempDir()
	path := filepath.Join(state, "airlock", "store.key")
	k1, err := LoadKey(path, cache)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v, want mode 0600", fi, err)
	}
	if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
		t.Errorf("key directory mode %#o, want 0700", fi.Mode().Perm())
	}
	k2, err := LoadKey(path, cache)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load: %v (same key: %v)", err, bytes.Equal(k1, k2))
	}

	// Missing: a new key, so that old entries are no longer trusted.
	os.Remove(path)
	k3, err := LoadKey(path, cache)
	if err != nil || bytes.Equal(k1, k3) {
		t.Fatalf("recreated key: %v (same as before: %v)", err, bytes.Equal(k1, k3))
	}

	os.Chmod(path, 0o644)
	if _, err := LoadKey(path, cache); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("key readable by others: %v, want refused", err)
	}
	os.Chmod(path, 0o600)

	if _, err := LoadKey(filepath.Join(cache, "keys", "store.key"), cache); !errors.Is(err, ErrKeyInCache) {
		t.Errorf("key inside the cache: %v, want ErrKeyInCache", err)
	}
	// ... also when a symlink leads there.
	link := filepath.Join(state, "to-cache")
	os.Symlink(cache, link)
	if _, err := LoadKey(filepath.Join(link, "store.key"), cache); !errors.Is(err, ErrKeyInCache) {
		t.Errorf("key inside the cache through a symlink: %v, want ErrKeyInCache", err)
	}

	sym := filepath.Join(state, "sym.key")
	os.Symlink(path, sym)
	if _, err := LoadKey(sym, cache); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("symlinked key: %v, want refused", err)
	}

	bad := filepath.Join(state, "bad.key")
	os.WriteFile(bad, []byte("not hex\n"), 0o600)
	if _, err := LoadKey(bad, cache); err == nil {
		t.Error("malformed key accepted")
	}
}

func TestDefaultKeyPath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_STATE_HOME": "/s", "HOME": "/h"}, "/s/airlock/store.key"},
		{map[string]string{"XDG_STATE_HOME": "rel", "HOME": "/h"}, "/h/.local/state/airlock/store.key"},
		{map[string]string{"HOME": "/h"}, "/h/.local/state/airlock/store.key"},
		{map[string]string{}, ""},
	} {
		if got := DefaultKeyPath(env(tc.env)); got != tc.want {
			t.Errorf("DefaultKeyPath(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

// An interrupted build (a crash before Commit) leaves no entry, only a
// temporary directory, which RemoveStale deletes once its builder is gone.
func TestInterruptedBuild(t *testing.T) {
	s := openTest(t, t.TempDir(), testKey(1), Link)
	id := testID("a")
	b, err := s.Begin(id)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, b.Dir(), pkgFiles[:2])
	if _, _, err := place(t, s, id, placement); !errors.Is(err, ErrNotFound) {
		t.Fatalf("half-built entry visible: %v", err)
	}
	tmp := filepath.Dir(b.Dir())
	old := time.Now().Add(-2 * tempGrace)
	os.Chtimes(tmp, old, old)
	s.RemoveStale()
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("RemoveStale removed a live builder's directory: %v", err)
	}
	// The process dies: its lock goes with its descriptors.
	syscall.Close(b.lock)
	b.done = true
	s.RemoveStale()
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("dead builder's directory left: %v", err)
	}
	// A fresh unlocked directory may be a builder about to lock it.
	fresh := filepath.Join(s.Dir(), tempDir, TempPrefix+"fresh")
	os.Mkdir(fresh, 0o700)
	s.RemoveStale()
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("RemoveStale removed a new directory: %v", err)
	}
	if _, _, err := place(t, s, id, placement); !errors.Is(err, ErrNotFound) {
		t.Fatalf("after the crash: %v", err)
	}
}

// Installs sharing a store build and place the same entries at once: every
// one gets a correct tree and the store ends with one good entry.
func TestConcurrentInstalls(t *testing.T) {
	dir := t.TempDir()
	ids := []ID{testID("a"), testID("b"), testID("c")}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := 0; w < 8; w++ {
		s, err := Open(dir, testKey(1), Mode(w%2))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 5; round++ {
				for _, id := range ids {
					dst, err := os.MkdirTemp(t.TempDir(), "dst")
					if err != nil {
						errs <- err
						return
					}
					if _, err := s.Place(context.Background(), id, dst, placement); err == nil {
						continue
					} else if !errors.Is(err, ErrNotFound) {
						errs <- err
						return
					}
					os.RemoveAll(dst)
					os.Mkdir(dst, 0o755)
					b, err := s.Begin(id)
					if err != nil {
						errs <- err
						return
					}
					var recs []File
					for _, f := range pkgFiles {
						p := filepath.Join(b.Dir(), filepath.FromSlash(f.path))
						os.MkdirAll(filepath.Dir(p), 0o755)
						os.WriteFile(p, []byte(f.data), f.mode)
						os.Chmod(p, f.mode)
						recs = append(recs, File{Path: f.path, Mode: f.mode, Size: int64(len(f.data)), SHA256: sha256.Sum256([]byte(f.data))})
					}
					if _, err := b.Place(dst, recs, placement); err != nil {
						errs <- err
						return
					}
					if err := b.Commit(recs, 1); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := openTest(t, dir, testKey(1), Link)
	sum, err := s.VerifyAll(context.Background(), func(a Action) { t.Errorf("VerifyAll removed %s: %s", a.Path, a.Reason) })
	if err != nil || sum.Entries != len(ids) {
		t.Fatalf("VerifyAll: %+v, %v", sum, err)
	}
	for _, id := range ids {
		dst, _, err := place(t, s, id, placement)
		if err != nil {
			t.Fatal(err)
		}
		checkTree(t, dst, pkgFiles)
	}
}

func TestVerifyAllAndGC(t *testing.T) {
	s := openTest(t, t.TempDir(), testKey(1), Link)
	good, bad, old := testID("good"), testID("bad"), testID("old")
	for _, id := range []ID{good, bad, old} {
		build(t, s, id, pkgFiles)
	}
	os.WriteFile(entryFile(s, bad, "package.json"), []byte(`{"name":"evil","version":"1.0.0"}`), 0o644)
	os.WriteFile(filepath.Join(s.Dir(), versionDir, "planted"), []byte("x"), 0o644)
	var removed []string
	sum, err := s.VerifyAll(context.Background(), func(a Action) {
		if a.Err != nil {
			t.Error(a.Err)
		}
		removed = append(removed, filepath.Base(a.Path)+": "+a.Reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Entries != 3 || sum.Removed != 2 || len(removed) != 2 {
		t.Fatalf("VerifyAll: %+v, removed %q", sum, removed)
	}
	joined := strings.Join(removed, "\n")
	if !strings.Contains(joined, s.name(bad)+": corrupt: package.json") || !strings.Contains(joined, "planted: not a store directory") {
		t.Errorf("removed %q", removed)
	}

	long := time.Now().Add(-60 * 24 * time.Hour)
	os.Chtimes(filepath.Join(s.EntryPath(old), manifestFn), long, long)
	removed = nil
	sum, err = s.GC(context.Background(), 30*24*time.Hour, func(a Action) { removed = append(removed, filepath.Base(a.Path)) })
	if err != nil || sum.Entries != 2 || sum.Removed != 1 || len(removed) != 1 || removed[0] != s.name(old) {
		t.Fatalf("GC: %+v %v, removed %q", sum, err, removed)
	}
	if _, _, err := place(t, s, good, placement); err != nil {
		t.Fatalf("GC removed a recent entry: %v", err)
	}
}

// Place renews an entry's last use at most daily, so GC keeps what
// installs use.
func TestPlaceRenewsUse(t *testing.T) {
	s := openTest(t, t.TempDir(), testKey(1), Link)
	id := testID("a")
	build(t, s, id, pkgFiles)
	m := filepath.Join(s.EntryPath(id), manifestFn)
	long := time.Now().Add(-60 * 24 * time.Hour)
	os.Chtimes(m, long, long)
	if _, _, err := place(t, s, id, placement); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(m); time.Since(fi.ModTime()) > time.Hour {
		t.Errorf("last use not renewed: %v", fi.ModTime())
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := &manifest{integrity: "sha512-abc", layout: "l \"x\"\n", archive: 77, files: []File{
		{Path: "a b/\"c\".js", Mode: 0o755, Size: 3, SHA256: sha256.Sum256([]byte("abc"))},
		{Path: "ünï/cödé", Mode: 0o600},
	}}
	got, err := decodeManifest(m.encode(testKey(1)), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("round trip:\n%v\nwant\n%v", got, m)
	}
	for _, bad := range []string{"../x", "/abs", "a/../b", "a//b", "./a", ""} {
		m := &manifest{files: []File{{Path: bad}}}
		if _, err := decodeManifest(m.encode(testKey(1)), testKey(1)); err == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
}
