package install

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// writeTree creates files (path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns every regular file under dir (path → content) and
// every symlink (path → "-> target").
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			tgt, _ := os.Readlink(p)
			out[filepath.ToSlash(rel)] = "-> " + tgt
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func equalTrees(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s", k)
		}
	}
}

// stagingAreas lists the staging areas currently in the project.
func stagingAreas(t *testing.T, project string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(project, StateDir, stagingPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCommitSwapsTargets(t *testing.T) {
	tests := []struct {
		name   string
		before map[string]string // project files before the install
		stage  map[string]map[string]string
		after  map[string]string // project files after (outside StateDir)
	}{
		{
			name:  "first install creates the target",
			stage: map[string]map[string]string{"node_modules": {"a/index.js": "new"}},
			after: map[string]string{"node_modules/a/index.js": "new"},
		},
		{
			name: "existing target is exchanged and the old tree removed",
			before: map[string]string{
				"node_modules/old/index.js": "old", "node_modules/.cache/x": "user junk",
				"package.json": "{}",
			},
			stage: map[string]map[string]string{"node_modules": {"a/index.js": "new"}},
			after: map[string]string{"node_modules/a/index.js": "new", "package.json": "{}"},
		},
		{
			name: "root and workspace targets together",
			before: map[string]string{
				"node_modules/old/x": "old", "packages/w/package.json": "{}",
				"packages/w/node_modules/old/x": "old",
			},
			stage: map[string]map[string]string{
				"node_modules":            {"a/x": "new"},
				"packages/w/node_modules": {"b/x": "new"},
			},
			after: map[string]string{
				"node_modules/a/x": "new", "packages/w/package.json": "{}",
				"packages/w/node_modules/b/x": "new",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			project := t.TempDir()
			writeTree(t, project, tt.before)
			s, err := Begin(context.Background(), project, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for target, files := range tt.stage {
				d, err := s.Dir(target)
				if err != nil {
					t.Fatal(err)
				}
				writeTree(t, d, files)
			}
			if _, err := s.Commit(); err != nil {
				t.Fatal(err)
			}
			got := readTree(t, project)
			for k := range got {
				if strings.HasPrefix(k, StateDir+"/") {
					delete(got, k)
				}
			}
			equalTrees(t, got, tt.after)
			if m := stagingAreas(t, project); len(m) != 0 {
				t.Errorf("staging areas left behind: %v", m)
			}
			if _, err := s.Commit(); !errors.Is(err, ErrFinished) {
				t.Errorf("second Commit = %v, want ErrFinished", err)
			}
			if err := s.Abort(); err != nil {
				t.Errorf("Abort after Commit = %v, want nil", err)
			}
			// The lock is free again.
			s2, err := Begin(context.Background(), project, Options{LockWait: -1})
			if err != nil {
				t.Fatalf("Begin after Commit: %v", err)
			}
			s2.Abort()
		})
	}
}

func TestAbortLeavesTargetsUntouched(t *testing.T) {
	project := t.TempDir()
	before := map[string]string{"node_modules/old/index.js": "old", "packages/w/node_modules/x/y": "old"}
	writeTree(t, project, before)
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"node_modules", "packages/w/node_modules"} {
		d, err := s.Dir(target)
		if err != nil {
			t.Fatal(err)
		}
		writeTree(t, d, map[string]string{"new/file": "new"})
	}
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, project)
	delete(got, StateDir+"/lock")
	delete(got, StateDir+"/.gitignore")
	equalTrees(t, got, before)
	if m := stagingAreas(t, project); len(m) != 0 {
		t.Errorf("staging areas left behind: %v", m)
	}
	if _, err := s.Dir("node_modules"); !errors.Is(err, ErrFinished) {
		t.Errorf("Dir after Abort = %v, want ErrFinished", err)
	}
}

// TestRootDir: installers that write through an os.Root on Root find the
// staged directories and scratch space at RootDir's and Rel's paths.
func TestRootDir(t *testing.T) {
	project := t.TempDir()
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	rel, err := s.RootDir("packages/w/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Dir("packages/w/node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(s.Root(), filepath.FromSlash(rel)); d != want || strings.Contains(rel, "..") {
		t.Errorf("RootDir = %q, Dir = %q: want Dir at %q", rel, d, want)
	}
	again, err := s.RootDir("packages/w/node_modules")
	if err != nil || again != rel {
		t.Errorf("RootDir again = %q, %v; want %q", again, err, rel)
	}
	scratch, err := s.Scratch()
	if err != nil {
		t.Fatal(err)
	}
	sr, err := s.Rel(filepath.Join(scratch, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(s.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.MkdirAll(sr, 0o777); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(scratch, "a", "b")); err != nil || !fi.IsDir() {
		t.Errorf("Rel(%q) = %q: made nothing there (%v)", filepath.Join(scratch, "a", "b"), sr, err)
	}
}

func TestPreflightFailureChangesNothing(t *testing.T) {
	project := t.TempDir()
	before := map[string]string{"node_modules/old/index.js": "old"}
	writeTree(t, project, before)
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Dir("node_modules")
	writeTree(t, d, map[string]string{"new/x": "new"})
	// The workspace directory does not exist, so its node_modules cannot
	// be swapped in; the root target must not change either.
	if _, err := s.Dir("packages/missing/node_modules"); err != nil {
		t.Fatal(err)
	}
	_, err = s.Commit()
	if err == nil || !strings.Contains(err.Error(), "packages/missing/node_modules") {
		t.Fatalf("Commit = %v, want an error naming the missing workspace", err)
	}
	got := readTree(t, project)
	delete(got, StateDir+"/lock")
	delete(got, StateDir+"/.gitignore")
	equalTrees(t, got, before)
	if m := stagingAreas(t, project); len(m) != 0 {
		t.Errorf("staging areas left behind: %v", m)
	}
}

func TestStaleStagingRemoved(t *testing.T) {
	project := t.TempDir()
	stale := filepath.Join(project, StateDir, stagingPrefix+"deadbeef")
	writeTree(t, stale, map[string]string{"t0/a/index.js": "half-built", "old-0/x/y": "old tree"})
	// A package may ship a read-only directory; cleanup must cope.
	if err := os.Chmod(filepath.Join(stale, "old-0", "x"), 0o555); err != nil {
		t.Fatal(err)
	}
	unrelated := filepath.Join(project, StateDir, "keep-me")
	writeTree(t, unrelated, map[string]string{"f": "x"})

	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale staging area still there: %v", err)
	}
	if _, err := os.Stat(unrelated); err != nil {
		t.Errorf("unrelated entry removed: %v", err)
	}
	if m := stagingAreas(t, project); len(m) != 1 || m[0] != s.Root() {
		t.Errorf("staging areas = %v, want only %s", m, s.Root())
	}
}

func TestLockContention(t *testing.T) {
	project := t.TempDir()
	s1, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// flock locks belong to the open file description, so a second open
	// in the same process contends exactly like a second process would.
	start := time.Now()
	_, err = Begin(context.Background(), project, Options{LockWait: 300 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Begin = %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("gave up after %v, want at least the LockWait", waited)
	}
	if !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())) {
		t.Errorf("error %q does not name the lock holder", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := Begin(ctx, project, Options{LockWait: time.Hour}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Begin with cancelled ctx = %v, want context.Canceled", err)
	}

	// Once the holder finishes, a waiting Begin gets the lock.
	aborted := make(chan struct{})
	go func() { time.Sleep(100 * time.Millisecond); s1.Abort(); close(aborted) }()
	s2, err := Begin(context.Background(), project, Options{LockWait: 5 * time.Second})
	// The flock orders the two for the kernel, not for the race detector:
	// wait for the goroutine before a later test changes removeTree.
	<-aborted
	if err != nil {
		t.Fatalf("Begin after release: %v", err)
	}
	s2.Abort()
}

func TestDirRejectsBadTargets(t *testing.T) {
	project := t.TempDir()
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	for _, target := range []string{"", ".", "..", "../x", "/abs/node_modules", "a/../../b", ".airlock", ".airlock/x", "a\\b"} {
		if _, err := s.Dir(target); !errors.Is(err, ErrBadTarget) {
			t.Errorf("Dir(%q) = %v, want ErrBadTarget", target, err)
		}
	}
	if _, err := s.Dir("packages/a/node_modules"); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"packages/a", "packages/a/node_modules/x"} {
		if _, err := s.Dir(target); err == nil {
			t.Errorf("Dir(%q) overlapping packages/a/node_modules succeeded", target)
		}
	}
	d1, _ := s.Dir("node_modules")
	d2, _ := s.Dir("./node_modules")
	if d1 != d2 {
		t.Errorf("same target staged twice: %s, %s", d1, d2)
	}
}

func TestSymlinkTargetReplacedNotFollowed(t *testing.T) {
	project := t.TempDir()
	elsewhere := t.TempDir()
	writeTree(t, elsewhere, map[string]string{"keep/x": "not ours"})
	if err := os.Symlink(elsewhere, filepath.Join(project, "node_modules")); err != nil {
		t.Fatal(err)
	}
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Dir("node_modules")
	writeTree(t, d, map[string]string{"a/x": "new"})
	if _, err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(filepath.Join(project, "node_modules"))
	if err != nil || !fi.IsDir() {
		t.Fatalf("node_modules is not a real directory now: %v %v", fi, err)
	}
	equalTrees(t, readTree(t, elsewhere), map[string]string{"keep/x": "not ours"})
}

// TestExchangeUnsupported plays a filesystem without renameat2 flags: the
// fallback must still install and undo correctly.
func TestExchangeUnsupported(t *testing.T) {
	orig := renameat2
	renameat2 = func(int, string, int, string, uint) error { return unix.EINVAL }
	defer func() { renameat2 = orig }()

	for _, existing := range []bool{false, true} {
		project := t.TempDir()
		if existing {
			writeTree(t, project, map[string]string{"node_modules/old": "old"})
		}
		s, err := Begin(context.Background(), project, Options{})
		if err != nil {
			t.Fatal(err)
		}
		d, _ := s.Dir("node_modules")
		writeTree(t, d, map[string]string{"new": "new"})
		if _, err := s.Commit(); err != nil {
			t.Fatal(err)
		}
		equalTrees(t, readTree(t, filepath.Join(project, "node_modules")), map[string]string{"new": "new"})
	}
}

func TestSwapUndo(t *testing.T) {
	for _, existing := range []bool{false, true} {
		dir := t.TempDir()
		staged, target := filepath.Join(dir, "staged"), filepath.Join(dir, "target")
		writeTree(t, staged, map[string]string{"new": "new"})
		if existing {
			writeTree(t, target, map[string]string{"old": "old"})
		}
		fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		sw, err := swapIn(entry{fd, "staged"}, entry{fd, "target"}, entry{fd, "aside"}, "target")
		if err != nil {
			t.Fatal(err)
		}
		equalTrees(t, readTree(t, target), map[string]string{"new": "new"})
		if err := sw.undo(); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		if existing {
			want["old"] = "old"
		}
		equalTrees(t, readTree(t, target), want)
		equalTrees(t, readTree(t, staged), map[string]string{"new": "new"})
	}
}

func TestHeldSignalIsRedelivered(t *testing.T) {
	// Our own listener keeps the default action (exit) away from the test.
	c := make(chan os.Signal, 4)
	signal.Notify(c, syscall.SIGHUP)
	defer signal.Stop(c)

	release := holdSignals()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	<-c // the original delivery
	release()
	select {
	case <-c: // re-raised after release
	case <-time.After(5 * time.Second):
		t.Fatal("held signal was not re-raised after release")
	}
}

// A repository can commit .airlock/lock as a symlink (or plant a FIFO or a
// hard link there); airlock must refuse it, never truncate or write the file
// it points to, and never hang on it.
func TestLockFileIsNeverFollowed(t *testing.T) {
	for name, plant := range map[string]func(t *testing.T, lock, victim string){
		"symlink":          func(t *testing.T, lock, victim string) { must(t, os.Symlink(victim, lock)) },
		"dangling symlink": func(t *testing.T, lock, victim string) { must(t, os.Symlink(victim+".new", lock)) },
		"hard link":        func(t *testing.T, lock, victim string) { must(t, os.Link(victim, lock)) },
		"fifo":             func(t *testing.T, lock, victim string) { must(t, unix.Mkfifo(lock, 0o644)) },
	} {
		t.Run(name, func(t *testing.T) {
			project, outside := t.TempDir(), t.TempDir()
			victim := filepath.Join(outside, "precious.txt")
			must(t, os.WriteFile(victim, []byte("precious data"), 0o644))
			must(t, os.Mkdir(filepath.Join(project, StateDir), 0o755))
			plant(t, filepath.Join(project, StateDir, LockFile), victim)

			_, err := Begin(context.Background(), project, Options{LockWait: -1})
			if err == nil || !strings.Contains(err.Error(), "remove it") {
				t.Fatalf("Begin = %v, want a refusal", err)
			}
			if b, _ := os.ReadFile(victim); string(b) != "precious data" {
				t.Errorf("victim file now holds %q", b)
			}
			if _, err := os.Lstat(victim + ".new"); err == nil {
				t.Error("a file was created through the dangling symlink")
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// When a swap fails and putting back an earlier one fails too, Commit must
// say so, name each target's state, and keep the previous tree where no
// later run deletes it.
func TestUndoFailureReported(t *testing.T) {
	project := t.TempDir()
	before := map[string]string{"a/node_modules/old": "old a", "b/node_modules/old": "old b", "c/node_modules/old": "old c"}
	writeTree(t, project, before)
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"a/node_modules", "b/node_modules", "c/node_modules"} {
		d, err := s.Dir(target)
		must(t, err)
		writeTree(t, d, map[string]string{"new": "new " + target})
	}
	// Call 1 swaps a in; call 2 (b) fails; call 3, undoing a, fails too.
	orig := renameat2
	calls := 0
	renameat2 = func(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
		calls++
		if calls >= 2 {
			return unix.EIO
		}
		return orig(olddirfd, oldpath, newdirfd, newpath, flags)
	}
	defer func() { renameat2 = orig }()

	_, err = s.Commit()
	if err == nil {
		t.Fatal("Commit succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		"swapping in b/node_modules",
		"putting back a/node_modules failed",
		"a/node_modules holds the new tree; its previous tree is kept at " + filepath.Join(project, StateDir, keptPrefix),
		"never changed: b/node_modules, c/node_modules",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if !errors.Is(err, ErrNotRestored) || !errors.Is(err, unix.EIO) {
		t.Errorf("error does not wrap ErrNotRestored and EIO: %v", err)
	}
	if n := strings.Count(msg, "input/output error"); n != 2 {
		t.Errorf("error holds %d of the 2 failures:\n%s", n, msg)
	}
	renameat2 = orig
	got := readTree(t, project)
	var keptOld string
	for k, v := range got {
		if strings.HasPrefix(k, StateDir+"/"+keptPrefix) && v == "old a" {
			keptOld = k
		}
	}
	if keptOld == "" {
		t.Fatalf("the previous tree of a/node_modules is gone: %v", got)
	}
	if got["a/node_modules/new"] != "new a/node_modules" || got["b/node_modules/old"] != "old b" || got["c/node_modules/old"] != "old c" {
		t.Errorf("targets: %v", got)
	}
	// A later run removes stale staging areas, but not this one.
	s2, err := Begin(context.Background(), project, Options{})
	must(t, err)
	s2.Abort()
	if _, err := os.Stat(filepath.Join(project, filepath.FromSlash(keptOld))); err != nil {
		t.Errorf("kept tree removed by a later run: %v", err)
	}
}

// A swap that fails after others succeeded puts them back: nothing changed.
func TestSwapFailureUndone(t *testing.T) {
	project := t.TempDir()
	before := map[string]string{"a/node_modules/old": "old a", "b/node_modules/old": "old b"}
	writeTree(t, project, before)
	s, err := Begin(context.Background(), project, Options{})
	must(t, err)
	for _, target := range []string{"a/node_modules", "b/node_modules", "c/node_modules"} {
		d, err := s.Dir(target)
		must(t, err)
		writeTree(t, d, map[string]string{"new": "new"})
	}
	must(t, os.Mkdir(filepath.Join(project, "c"), 0o777))
	orig := renameat2
	calls := 0
	renameat2 = func(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
		if calls++; calls == 2 {
			return unix.EIO
		}
		return orig(olddirfd, oldpath, newdirfd, newpath, flags)
	}
	defer func() { renameat2 = orig }()
	_, err = s.Commit()
	if !errors.Is(err, unix.EIO) || errors.Is(err, ErrNotRestored) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Commit = %v, want the one swap error", err)
	}
	got := readTree(t, project)
	delete(got, StateDir+"/lock")
	delete(got, StateDir+"/.gitignore")
	equalTrees(t, got, before)
	if m := stagingAreas(t, project); len(m) != 0 {
		t.Errorf("staging areas left behind: %v", m)
	}
}

// Once the swaps are done the install has happened: failing to delete the
// replaced trees afterwards is a warning, not a failed Commit.
func TestCommitCleanupFailureIsAWarning(t *testing.T) {
	project := t.TempDir()
	writeTree(t, project, map[string]string{"node_modules/old": "old"})
	s, err := Begin(context.Background(), project, Options{})
	must(t, err)
	d, err := s.Dir("node_modules")
	must(t, err)
	writeTree(t, d, map[string]string{"new": "new"})
	orig := removeTree
	removeTree = func(string) error { return unix.EBUSY }
	defer func() { removeTree = orig }()

	warnings, err := s.Commit()
	if err != nil {
		t.Fatalf("Commit = %v, want success with a warning", err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "removing staging area "+s.Root()) || !strings.Contains(warnings[0], "next airlock run") {
		t.Errorf("warnings = %q", warnings)
	}
	equalTrees(t, readTree(t, filepath.Join(project, "node_modules")), map[string]string{"new": "new"})
	removeTree = orig
	s2, err := Begin(context.Background(), project, Options{LockWait: -1})
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	s2.Abort()
	if _, err := os.Stat(s.Root()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the next run left the old staging area: %v", err)
	}
}

// A waiting Begin says so once, naming the holder, so the command can tell
// the user why nothing happens for a while.
func TestOnLockWait(t *testing.T) {
	project := t.TempDir()
	var calls []string
	record := func(holder string) { calls = append(calls, holder) }

	s1, err := Begin(context.Background(), project, Options{OnLockWait: record})
	must(t, err)
	if len(calls) != 0 {
		t.Errorf("OnLockWait called for a free lock: %q", calls)
	}
	if _, err := Begin(context.Background(), project, Options{LockWait: -1, OnLockWait: record}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Begin = %v, want ErrLocked", err)
	}
	if len(calls) != 0 {
		t.Errorf("OnLockWait called without a wait: %q", calls)
	}
	if _, err := Begin(context.Background(), project, Options{LockWait: 300 * time.Millisecond, OnLockWait: record}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Begin = %v, want ErrLocked", err)
	}
	if want := []string{strconv.Itoa(os.Getpid())}; strings.Join(calls, ",") != strings.Join(want, ",") {
		t.Errorf("OnLockWait calls = %q, want %q", calls, want)
	}
	s1.Abort()
}

// Path stages files as targets and Remove takes targets away, both undone
// when a later swap fails.
func TestPathAndRemove(t *testing.T) {
	before := map[string]string{
		"bin/python": "interp", "bin/old-script": "old", "bin/tool": "old tool",
		"lib/site/pkg-1.dist-info/RECORD": "r1", "lib/site/pkg/a.py": "old a",
	}
	stage := func(t *testing.T, project string) *Staging {
		s, err := Begin(context.Background(), project, Options{})
		must(t, err)
		p, err := s.Path("bin/tool")
		must(t, err)
		must(t, os.WriteFile(p, []byte("new tool"), 0o755))
		p, err = s.Path("bin/new-script")
		must(t, err)
		must(t, os.Symlink("tool", p))
		must(t, s.Remove("bin/old-script"))
		must(t, s.Remove("bin/never-existed"))
		must(t, s.Remove("lib/site/pkg-1.dist-info"))
		d, err := s.Dir("lib/site/pkg-2.dist-info")
		must(t, err)
		writeTree(t, d, map[string]string{"RECORD": "r2"})
		if err := s.Remove("lib/site/pkg-2.dist-info"); err == nil {
			t.Error("Remove of a staged target succeeded")
		}
		if _, err := s.Path("lib/site/pkg-1.dist-info/RECORD"); err == nil {
			t.Error("Path inside a removed target succeeded")
		}
		return s
	}
	clean := func(got map[string]string) map[string]string {
		for k := range got {
			if strings.HasPrefix(k, StateDir+"/") {
				delete(got, k)
			}
		}
		return got
	}

	t.Run("commit", func(t *testing.T) {
		project := t.TempDir()
		writeTree(t, project, before)
		s := stage(t, project)
		if _, err := s.Commit(); err != nil {
			t.Fatal(err)
		}
		equalTrees(t, clean(readTree(t, project)), map[string]string{
			"bin/python": "interp", "bin/tool": "new tool", "bin/new-script": "-> tool",
			"lib/site/pkg-2.dist-info/RECORD": "r2", "lib/site/pkg/a.py": "old a",
		})
	})
	t.Run("undone", func(t *testing.T) {
		project := t.TempDir()
		writeTree(t, project, before)
		s := stage(t, project)
		// Fail the last of the six renames (targets are swapped in sorted
		// order; the removal of the missing one makes a call too).
		orig := renameat2
		calls := 0
		renameat2 = func(olddirfd int, oldpath string, newdirfd int, newpath string, flags uint) error {
			if calls++; calls == 6 {
				return unix.EIO
			}
			return orig(olddirfd, oldpath, newdirfd, newpath, flags)
		}
		defer func() { renameat2 = orig }()
		_, err := s.Commit()
		if !errors.Is(err, unix.EIO) || errors.Is(err, ErrNotRestored) {
			t.Fatalf("Commit = %v, want the one swap error", err)
		}
		equalTrees(t, clean(readTree(t, project)), before)
	})
}
