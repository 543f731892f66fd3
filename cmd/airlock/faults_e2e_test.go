package main

// End-to-end tests of local faults: a full disk, a read-only or foreign
// cache, signals and SIGKILL mid-install, concurrent processes, and every
// kind of cache tampering. Each runs the real airlock binary (testscript.Main
// puts it on PATH) against a local TLS registry, and checks the exact error,
// that the previous tree is intact, and that no debris is left.

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/testfs"
	"github.com/airlock-dev/airlock/internal/testregistry"
)

// e2e is one test's registry, HOME and default cache.
type e2e struct {
	t     *testing.T
	reg   *testregistry.Registry
	home  string
	cache string
}

// with returns e for use in the subtest t, so failures are reported there.
func (e *e2e) with(t *testing.T) *e2e {
	c := *e
	c.t = t
	return &c
}

func newE2E(t *testing.T, mw ...testregistry.Middleware) *e2e {
	t.Helper()
	e := &e2e{t: t, home: t.TempDir()}
	e.cache = filepath.Join(e.home, "cache")
	var opts []testregistry.Option
	if len(mw) > 0 {
		opts = append(opts, testregistry.WithMiddleware(mw...))
	}
	e.reg = testregistry.New(t, opts...)
	if err := os.WriteFile(filepath.Join(e.home, "empty-npmrc"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// project copies fixture project name to dir (created if needed) with an
// .npmrc for the registry and returns dir.
func (e *e2e) project(name, dir string) string {
	e.t.Helper()
	src := filepath.Join(projectsDir, name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(e.reg.Npmrc()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// cmd is `airlock args...` in dir with an isolated environment and the
// given cache directory.
func (e *e2e) cmd(dir, cacheDir string, args ...string) *exec.Cmd {
	cmd := exec.Command("airlock", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k := strings.ToLower(kv[:strings.IndexByte(kv, '=')+1])
		if strings.HasPrefix(k, "npm_config_") || strings.HasPrefix(k, "airlock_") || k == "home=" || k == "node_env=" || k == "xdg_cache_home=" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env,
		"HOME="+e.home,
		"NPM_CONFIG_GLOBALCONFIG="+filepath.Join(e.home, "empty-npmrc"),
		"AIRLOCK_CACHE="+cacheDir,
		"XDG_CONFIG_HOME="+filepath.Join(e.home, "config"),
	)
	return cmd
}

type result struct {
	code           int
	stdout, stderr string
}

func (e *e2e) run(dir, cacheDir string, args ...string) result {
	e.t.Helper()
	cmd := e.cmd(dir, cacheDir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		e.t.Fatal(err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

// ci runs `airlock npm ci` and requires success.
func (e *e2e) ci(dir, cacheDir string, args ...string) result {
	e.t.Helper()
	r := e.run(dir, cacheDir, append([]string{"npm", "ci"}, args...)...)
	if r.code != 0 {
		e.t.Fatalf("airlock npm ci %s in %s: exit %d\n%s%s", strings.Join(args, " "), dir, r.code, r.stdout, r.stderr)
	}
	return r
}

func (r result) want(t *testing.T, code int, stderr ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}
}

// tarballPath is the registry path of name@version's tarball.
func (e *e2e) tarballPath(name, version string) string {
	return strings.TrimPrefix(e.reg.TarballURL(name, version), strings.TrimSuffix(e.reg.URL(), "/"))
}

// downloads counts GETs of the path so far.
func (e *e2e) downloads(path string) int {
	n := 0
	for _, r := range e.reg.Requests() {
		if r.Method == http.MethodGet && r.Path == path {
			n++
		}
	}
	return n
}

// tree is a snapshot of every entry below a directory: type, permissions,
// contents' hash or link target.
type tree map[string]string

func snapshot(t *testing.T, dir string) tree {
	t.Helper()
	out := tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link " + target
		case d.IsDir():
			out[rel] = fmt.Sprintf("dir %v", info.Mode().Perm())
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out[rel] = fmt.Sprintf("file %v %x", info.Mode(), sum[:8])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, want, got tree) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != w {
			diffs = append(diffs, fmt.Sprintf("changed %s: %s, was %s", p, g, w))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
		}
		t.Errorf("%s differs:\n\t%s", what, strings.Join(diffs, "\n\t"))
	}
}

// debris lists airlock's leftovers: staging or kept areas in the project and
// temporary files in the cache.
func debris(t *testing.T, project, cacheDir string) []string {
	t.Helper()
	var out []string
	ents, _ := os.ReadDir(filepath.Join(project, install.StateDir))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "staging-") || strings.HasPrefix(e.Name(), "kept-") {
			out = append(out, filepath.Join(project, install.StateDir, e.Name()))
		}
	}
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), cache.TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func noDebris(t *testing.T, project, cacheDir string) {
	t.Helper()
	if d := debris(t, project, cacheDir); len(d) > 0 {
		t.Errorf("debris left behind: %v", d)
	}
}

// checkCache requires every blob in the cache to hash to its name.
func checkCache(t *testing.T, cacheDir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(cacheDir, "blobs", "sha512"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("cache blob %s: %v", p, err)
			return nil
		}
		sum := sha512.Sum512(b)
		if hex.EncodeToString(sum[:]) != d.Name() {
			t.Errorf("cache blob %s does not match its name", p)
		}
		n++
		return nil
	})
	return n
}

// blobOf returns the cache path of the lockfile package's blob.
func blobOf(t *testing.T, project, cacheDir, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(project, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	var lf struct {
		Packages map[string]struct{ Integrity string }
	}
	if err := json.Unmarshal(b, &lf); err != nil {
		t.Fatal(err)
	}
	integ, ok := strings.CutPrefix(lf.Packages[path].Integrity, "sha512-")
	if !ok {
		t.Fatalf("%s has no sha512 integrity", path)
	}
	sum, err := base64.StdEncoding.DecodeString(integ)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(sum)
	return filepath.Join(cacheDir, "blobs", "sha512", h[:2], h)
}

// reference installs fixture name once in a scratch directory and returns
// its node_modules: the tree every recovered install must equal.
func (e *e2e) reference(name string) tree {
	e.t.Helper()
	dir := e.project(name, e.t.TempDir())
	e.ci(dir, filepath.Join(e.t.TempDir(), "cache"))
	e.reg.ResetRequests()
	return snapshot(e.t, filepath.Join(dir, "node_modules"))
}

// fillTo allocates a file on dir's filesystem so that exactly free bytes
// (a multiple of the page size) remain available.
func fillTo(t *testing.T, dir string, free int64) string {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	avail := int64(st.Bavail) * st.Bsize
	if avail < free {
		t.Fatalf("only %d bytes free, want to leave %d", avail, free)
	}
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if n := avail - free; n > 0 {
		if err := unix.Fallocate(int(f.Fd()), 0, 0, n); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	if got := int64(st.Bavail) * st.Bsize; got != free {
		t.Fatalf("filled to %d free bytes, want %d", got, free)
	}
	return filler
}

// blocks sums the 512-byte blocks allocated to the files below dir.
func blocks(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			var st unix.Stat_t
			if unix.Lstat(p, &st) == nil {
				n += st.Blocks
			}
		}
		return nil
	})
	return n
}

const diskFullHint = "the disk (or your quota) is full: free some space and run again; nothing was installed and the previous node_modules is unchanged"

// The project's disk fills up while the new tree is extracted: a clear
// ENOSPC error that says what to do, the previous node_modules untouched,
// the staging area gone; freeing space makes the next run succeed.
func TestFaultProjectDiskFullDuringExtract(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	want := e.reference("basic")
	mnt := testfs.Tmpfs(t, 8<<20, 0o755)
	dir := e.project("basic", filepath.Join(mnt, "app"))
	e.ci(dir, e.cache)
	before := snapshot(t, filepath.Join(dir, "node_modules"))
	sameTree(t, "first install", want, before)

	filler := fillTo(t, mnt, 16<<10)
	r := e.run(dir, e.cache, "npm", "ci")
	r.want(t, 2, "no space left on device", "unpacking ", diskFullHint)
	sameTree(t, "node_modules after the failed install", before, snapshot(t, filepath.Join(dir, "node_modules")))
	noDebris(t, dir, e.cache)

	os.Remove(filler)
	e.ci(dir, e.cache)
	sameTree(t, "node_modules after freeing space", want, snapshot(t, filepath.Join(dir, "node_modules")))
	noDebris(t, dir, e.cache)
}

// A project on a read-only filesystem: nothing can be staged, the error
// says the project must be writable, and the tree is untouched.
func TestFaultProjectReadOnly(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	mnt := testfs.Tmpfs(t, 8<<20, 0o755)
	dir := e.project("basic", filepath.Join(mnt, "app"))
	e.ci(dir, e.cache)
	before := snapshot(t, filepath.Join(dir, "node_modules"))
	testfs.Remount(t, mnt, unix.MS_RDONLY)
	r := e.run(dir, e.cache, "npm", "ci")
	r.want(t, 2, "read-only file system", "the project directory must be writable by you")
	sameTree(t, "node_modules", before, snapshot(t, filepath.Join(dir, "node_modules")))
}

// The disk has room for every package but not for the hidden lockfile,
// written last: the same guarantees as a failure mid-extract.
func TestFaultProjectDiskFullDuringHiddenLockfile(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	mnt := testfs.Tmpfs(t, 8<<20, 0o755)
	dir := e.project("basic", filepath.Join(mnt, "app"))
	e.ci(dir, e.cache)
	nm := filepath.Join(dir, "node_modules")
	before := snapshot(t, nm)

	// The new tree needs exactly what the old one holds (tmpfs allocates
	// whole pages; directories and short symlinks take none). Leave one
	// page less: every package fits, the hidden lockfile's last page not.
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Join(nm, ".package-lock.json"), &st); err != nil {
		t.Fatal(err)
	}
	page := int64(os.Getpagesize())
	free := blocks(t, nm)*512 - page
	filler := fillTo(t, mnt, free)

	r := e.run(dir, e.cache, "npm", "ci")
	r.want(t, 2, "writing hidden lockfile", "no space left on device", diskFullHint)
	sameTree(t, "node_modules after the failed install", before, snapshot(t, nm))
	noDebris(t, dir, e.cache)

	os.Remove(filler)
	e.ci(dir, e.cache)
	sameTree(t, "node_modules after freeing space", before, snapshot(t, nm))
}

// The cache's disk is full: downloads are verified on their way into the
// tree either way, so the install succeeds with one warning; the cache
// keeps only whole, valid blobs and no temporary files.
func TestFaultCacheDiskFull(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	want := e.reference("basic")
	cacheDir := filepath.Join(testfs.Tmpfs(t, 64<<10, 0o755), "cache")
	dir := e.project("basic", t.TempDir())
	r := e.ci(dir, cacheDir)
	r.want(t, 0, "warning: not caching ", "no space left on device", "the archive was verified and installed, but the cache could not keep or serve it: free space in (or fix the permissions of) "+cacheDir, "archives in all were installed but not cached")
	sameTree(t, "node_modules", want, snapshot(t, filepath.Join(dir, "node_modules")))
	noDebris(t, dir, cacheDir)
	if n := checkCache(t, cacheDir); n == 0 || n >= 26 {
		t.Errorf("the full cache holds %d blobs; want some but not all 26", n)
	}
}

// A cache on a read-only filesystem serves what it holds; what it lacks is
// downloaded and installed uncached (with a warning) online, and is a clear
// error offline.
func TestFaultCacheReadOnly(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	want := e.reference("basic")
	mnt := testfs.Tmpfs(t, 4<<20, 0o755)
	cacheDir := filepath.Join(mnt, "cache")
	dir := e.project("basic", t.TempDir())
	e.ci(dir, cacheDir)
	missing := blobOf(t, dir, cacheDir, "node_modules/uuid")
	os.Remove(missing)
	testfs.Remount(t, mnt, unix.MS_RDONLY)

	r := e.run(dir, cacheDir, "npm", "ci", "--offline")
	r.want(t, 3, "warning: cache "+cacheDir+" is not writable", "uuid@8.3.2 is not in the cache", "--offline forbids the network")

	r = e.ci(dir, cacheDir)
	r.want(t, 0, "warning: cache "+cacheDir+" is not writable", "read-only file system", "not caching uuid@8.3.2")
	if !strings.Contains(r.stdout, "verified: 1 downloaded, 25 from cache") {
		t.Errorf("want 1 download and 25 cache hits:\n%s", r.stdout)
	}
	sameTree(t, "node_modules", want, snapshot(t, filepath.Join(dir, "node_modules")))
	noDebris(t, dir, cacheDir)
}

// A cache directory that cannot even be created: online the install goes
// ahead without a cache; offline there is nothing to install from.
func TestFaultCacheUncreatable(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	want := e.reference("basic")
	mnt := testfs.Tmpfs(t, 1<<20, 0o755)
	testfs.Remount(t, mnt, unix.MS_RDONLY)
	cacheDir := filepath.Join(mnt, "cache")
	dir := e.project("basic", t.TempDir())

	r := e.run(dir, cacheDir, "npm", "ci", "--offline")
	r.want(t, 2, "opening the cache: cache: creating "+cacheDir, "read-only file system", "set AIRLOCK_CACHE to a writable directory")
	if _, err := os.Lstat(filepath.Join(dir, "node_modules")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("node_modules after a failed offline install: %v", err)
	}

	r = e.ci(dir, cacheDir)
	r.want(t, 0, "warning: cache: creating "+cacheDir, "installing without a cache")
	sameTree(t, "node_modules", want, snapshot(t, filepath.Join(dir, "node_modules")))
}

// A cache other users can write, or that another user owns, is used (every
// read is verified) with a warning naming the fix.
func TestFaultCacheForeign(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the cache to another user")
	}
	e := newE2E(t)
	dir := e.project("basic", t.TempDir())
	e.ci(dir, e.cache)
	for _, tc := range []struct {
		name  string
		setup func() error
		warn  string
	}{
		{"world-writable", func() error { return os.Chmod(e.cache, 0o777) }, "warning: cache directory " + e.cache + " is writable by other users (mode 0777)"},
		{"another user's", func() error { return os.Chown(e.cache, 65534, 65534) }, "warning: cache directory " + e.cache + " belongs to uid 65534, not to airlock's user (uid 0)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := e.with(t)
			if err := tc.setup(); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(e.cache, 0o700)
			defer os.Chown(e.cache, 0, 0)
			r := e.ci(dir, e.cache, "--offline")
			r.want(t, 0, tc.warn)
		})
	}
}

// gate holds requests for one path until it is opened, counting them.
type gate struct {
	path atomic.Pointer[string] // set once the registry's URL is known
	open chan struct{}
	once sync.Once
	hits atomic.Int32
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) set(path string) { g.path.Store(&path) }

func (g *gate) release() { g.once.Do(func() { close(g.open) }) }

func (g *gate) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := g.path.Load(); p != nil && r.URL.Path == *p {
			g.hits.Add(1)
			select {
			case <-g.open:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// waitFor polls cond for up to 30 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// partialExtract reports whether some of uuid@8.3.2's files (its tarball is
// the only one with a dist/esm-browser directory) have been written into a
// staging area: the install is mid-extract.
func partialExtract(project string) bool {
	found := false
	filepath.WalkDir(filepath.Join(project, install.StateDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.Contains(p, "/dist/esm-browser/") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

// cacheTemps lists the temporary files in a cache.
func cacheTemps(cacheDir string) []string {
	var out []string
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), cache.TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// stopFault stops an install at uuid@8.3.2 once armed: at "download" the
// registry never answers that tarball; at "extract" it sends the headers and
// half the bytes, then nothing, so files are in the staging area and a
// temporary file in the cache.
type stopFault struct {
	where string
	path  atomic.Pointer[string]
	hits  atomic.Int32
}

func (f *stopFault) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := f.path.Load(); p != nil && r.URL.Path == *p {
			f.hits.Add(1)
			if f.where == "extract" {
				testregistry.Stall(*p, 14000)(next).ServeHTTP(w, r)
				return
			}
			<-r.Context().Done()
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (f *stopFault) arm(e *e2e) {
	p := e.tarballPath("uuid", "8.3.2")
	f.path.Store(&p)
}

func (f *stopFault) disarm() { f.path.Store(nil) }

// reached reports whether a running install has got to the fault.
func (f *stopFault) reached(t *testing.T, project, cacheDir string) bool {
	if f.where == "extract" {
		return partialExtract(project) && len(cacheTemps(cacheDir)) > 0
	}
	return f.hits.Load() > 0 && len(debris(t, project, "")) > 0
}

// startStopped starts `airlock npm ci`, waits until the install reaches the
// fault, and returns the running command and its stderr.
func startStopped(t *testing.T, e *e2e, f *stopFault, dir, cacheDir string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := e.cmd(dir, cacheDir, "npm", "ci")
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitFor(t, "the install to reach the fault", func() bool { return f.reached(t, dir, cacheDir) })
	return cmd, &errb
}

// SIGINT, SIGTERM and SIGHUP during the download and during the extraction:
// exit 128+signal (130, 143, 129), the status a shell shows for npm, which re-raises
// the signal after cleaning up; the previous tree byte for byte as it was;
// no debris: the interrupted process removes its own staging area and cache
// temporary file. (The swap itself holds these signals until it is done:
// install's TestHeldSignalIsRedelivered.)
func TestFaultSignalMidInstall(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"download", "extract"} {
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
			t.Run(where+"/"+unix.SignalName(sig), func(t *testing.T) {
				t.Parallel()
				f := &stopFault{where: where}
				e := newE2E(t, f.middleware)
				dir := e.project("basic", t.TempDir())
				e.ci(dir, e.cache)
				before := snapshot(t, filepath.Join(dir, "node_modules"))
				os.RemoveAll(e.cache)
				f.arm(e)

				cmd, errb := startStopped(t, e, f, dir, e.cache)
				cmd.Process.Signal(sig)
				cmd.Wait()
				if got, want := cmd.ProcessState.ExitCode(), 128+int(sig); got != want {
					t.Errorf("exit code %d, want %d\n%s", got, want, errb)
				}
				if msg := "interrupted by " + unix.SignalName(sig) + "; the previous node_modules is unchanged"; !strings.Contains(errb.String(), msg) {
					t.Errorf("stderr lacks %q:\n%s", msg, errb)
				}
				sameTree(t, "node_modules after the interrupt", before, snapshot(t, filepath.Join(dir, "node_modules")))
				noDebris(t, dir, e.cache)
				checkCache(t, e.cache)
			})
		}
	}
}

// SIGKILL (or a crash, or power loss) mid-install: the previous tree is
// intact, the debris (a staging area, a cache temporary file) is there, and
// the next run removes it and installs the right tree.
func TestFaultSIGKILLMidInstall(t *testing.T) {
	t.Parallel()
	for _, where := range []string{"download", "extract"} {
		t.Run(where, func(t *testing.T) {
			t.Parallel()
			f := &stopFault{where: where}
			e := newE2E(t, f.middleware)
			want := e.reference("basic")
			dir := e.project("basic", t.TempDir())
			e.ci(dir, e.cache)
			before := snapshot(t, filepath.Join(dir, "node_modules"))
			os.RemoveAll(e.cache)
			f.arm(e)

			cmd, _ := startStopped(t, e, f, dir, e.cache)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			sameTree(t, "node_modules after SIGKILL", before, snapshot(t, filepath.Join(dir, "node_modules")))
			if len(debris(t, dir, "")) == 0 {
				t.Fatal("SIGKILL left no staging area: the test did not stop the install where it meant to")
			}
			if where == "extract" && len(cacheTemps(e.cache)) == 0 {
				t.Fatal("SIGKILL mid-download left no cache temporary file: the test missed its case")
			}

			f.disarm()
			e.ci(dir, e.cache)
			sameTree(t, "node_modules after recovery", want, snapshot(t, filepath.Join(dir, "node_modules")))
			noDebris(t, dir, e.cache)
			if n := checkCache(t, e.cache); n != 26 {
				t.Errorf("cache holds %d valid blobs, want 26", n)
			}
		})
	}
}

// snapshotProject snapshots a whole project but airlock's own state.
func snapshotProject(t *testing.T, dir string) tree {
	t.Helper()
	out := tree{}
	for p, v := range snapshot(t, dir) {
		if p != install.StateDir && !strings.HasPrefix(p, install.StateDir+"/") {
			out[p] = v
		}
	}
	return out
}

// Two airlock processes install two projects that share packages, at the
// same time, with one cache: both succeed with the right trees, the cache
// ends up with one valid blob per archive and no temporary files, and no
// archive is downloaded more than once per process. (A process waits for
// another's download of the same archive, but two that miss it at the very
// same moment may both download it; the test logs how often that happened.)
func TestFaultConcurrentProjectsShareCache(t *testing.T) {
	t.Parallel()
	e := newE2E(t, testregistry.Delay("*", 20*time.Millisecond))
	projects := []string{"basic", "workspaces"}
	want := map[string]tree{}
	for _, p := range projects {
		dir := e.project(p, t.TempDir())
		e.ci(dir, filepath.Join(t.TempDir(), "cache"))
		want[p] = snapshotProject(t, dir)
	}
	e.reg.ResetRequests()

	dirs := map[string]string{}
	for _, p := range projects {
		dirs[p] = e.project(p, t.TempDir())
	}
	for round, warm := range []bool{false, true} {
		var wg sync.WaitGroup
		results := make([]result, len(projects))
		for i, p := range projects {
			wg.Go(func() { results[i] = e.run(dirs[p], e.cache, "npm", "ci") })
		}
		wg.Wait()
		for i, p := range projects {
			results[i].want(t, 0)
			// Neither process may sweep or spoil the other's downloads.
			if strings.Contains(results[i].stderr, "warning") {
				t.Errorf("%s: warnings:\n%s", p, results[i].stderr)
			}
			sameTree(t, fmt.Sprintf("%s (round %d)", p, round), want[p], snapshotProject(t, dirs[p]))
			noDebris(t, dirs[p], e.cache)
		}
		per := map[string]int{}
		for _, r := range e.reg.Requests() {
			if strings.HasSuffix(r.Path, ".tgz") {
				per[r.Path]++
			}
		}
		for path, n := range per {
			if warm || n > len(projects) {
				t.Errorf("round %d (warm cache %v): %s downloaded %d times", round, warm, path, n)
			}
		}
		dup := 0
		for _, n := range per {
			dup += n - 1
		}
		t.Logf("round %d: %d archives downloaded, %d of them twice", round, len(per), dup)
		if !warm && len(per) == 0 {
			t.Error("nothing was downloaded into the cold cache")
		}
		e.reg.ResetRequests()
	}
	if n, distinct := checkCache(t, e.cache), distinctArchives(t, dirs["basic"], dirs["workspaces"]); n != distinct {
		t.Errorf("cache holds %d valid blobs, want the %d distinct archives", n, distinct)
	}
}

// A second airlock that needs an archive the first is still downloading
// waits for that download (it sees the first one's cache temporary file,
// locked and growing) instead of downloading it again.
func TestFaultConcurrentSameBlobDownloadedOnce(t *testing.T) {
	t.Parallel()
	g := newGate()
	e := newE2E(t, g.middleware)
	a := e.project("basic", t.TempDir())
	b := e.project("basic", t.TempDir())
	uuid := e.tarballPath("uuid", "8.3.2")
	g.set(uuid)
	defer g.release()

	first := e.cmd(a, e.cache, "npm", "ci")
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first install to request uuid", func() bool { return g.hits.Load() > 0 })
	second := e.cmd(b, e.cache, "npm", "ci")
	var secondOut bytes.Buffer
	second.Stdout, second.Stderr = &secondOut, &secondOut
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	// Long enough for the second install to reach uuid; had it not waited
	// for the first one's download, its own request would be held too.
	time.Sleep(2 * time.Second)
	if n := g.hits.Load(); n != 1 {
		t.Errorf("uuid requested %d times while the first download was in progress, want 1", n)
	}
	g.release()
	if err := first.Wait(); err != nil {
		t.Errorf("first install: %v\n%s", err, firstOut.String())
	}
	if err := second.Wait(); err != nil {
		t.Errorf("second install: %v\n%s", err, secondOut.String())
	}
	if n := e.downloads(uuid); n != 1 {
		t.Errorf("uuid downloaded %d times, want 1", n)
	}
	if !strings.Contains(secondOut.String(), "26 from cache") {
		t.Errorf("the second install did not take everything from the cache:\n%s", secondOut.String())
	}
	for _, dir := range []string{a, b} {
		noDebris(t, dir, e.cache)
	}
}

// Two airlock processes install into the same project at once: the second
// says it is waiting for the first (naming its process), then installs in
// turn; the final tree is complete and correct, never a mix.
func TestFaultConcurrentSameProject(t *testing.T) {
	t.Parallel()
	g := newGate()
	e := newE2E(t, g.middleware)
	want := e.reference("basic")
	dir := e.project("basic", t.TempDir())
	e.ci(dir, e.cache)
	os.RemoveAll(e.cache)
	g.set(e.tarballPath("uuid", "8.3.2"))

	first := e.cmd(dir, e.cache, "npm", "ci")
	var firstErr bytes.Buffer
	first.Stdout, first.Stderr = io.Discard, &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer g.release()
	waitFor(t, "the first install to reach its download", func() bool { return g.hits.Load() > 0 })

	second := e.cmd(dir, e.cache, "npm", "ci")
	stderr, err := second.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	second.Stdout = io.Discard
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan string, 1)
	var rest bytes.Buffer
	read := make(chan struct{})
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "waiting up to 30s") {
				waiting <- sc.Text()
			}
			rest.WriteString(sc.Text() + "\n")
		}
	}()
	select {
	case line := <-waiting:
		wantMsg := fmt.Sprintf("airlock: warning: waiting up to 30s for another airlock installing into this project (process %d)", first.Process.Pid)
		if line != wantMsg {
			t.Errorf("second process said %q, want %q", line, wantMsg)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second process did not say it was waiting")
	}
	g.release()
	if err := first.Wait(); err != nil {
		t.Errorf("first install: %v\n%s", err, firstErr.String())
	}
	<-read // Wait closes the pipe: the reader must be done first
	if err := second.Wait(); err != nil {
		t.Errorf("second install: %v\n%s", err, rest.String())
	}
	sameTree(t, "node_modules", want, snapshot(t, filepath.Join(dir, "node_modules")))
	noDebris(t, dir, e.cache)
}

// Every way to tamper with the cache, end to end. A blob whose bytes are
// wrong, or whose path holds something other than a file, is reported,
// removed and downloaded again online; offline it is a clear error and the
// previous tree stays. Planted symlinks below the root are never followed:
// the blob counts as absent (downloaded again online, "not in the cache"
// offline) and the next store puts a real directory there. A hard link or a
// writable mode is not in itself wrong: the bytes are re-verified on every
// read; the mode is put back.
func TestFaultCacheTamper(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	const target = "node_modules/uuid"
	type outcome struct {
		code      int
		downloads int // of uuid's tarball
		stderr    []string
	}
	corruptOnline := outcome{0, 1, []string{"warning: cached archive of uuid@8.3.2 was corrupt (want sha512-", "removed it and downloaded it again"}}
	corruptOffline := outcome{1, 0, []string{"the cached copy of uuid@8.3.2 is unusable: cache blob ", " is corrupt (want sha512-", "removed it, the next attempt downloads it again; --offline forbids downloading it again"}}
	notFileOnline := outcome{0, 1, []string{"warning: cached archive of uuid@8.3.2 at ", " is not a regular file; removed it and downloaded it again"}}
	notFileOffline := outcome{1, 0, []string{"the cached copy of uuid@8.3.2 is unusable: cache blob ", " is not a regular file; removed it"}}
	absentOnline := outcome{0, 1, nil}
	absentOffline := outcome{3, 0, []string{"uuid@8.3.2 is not in the cache", "--offline forbids the network"}}
	// With a whole level of the cache gone, any package may be the first
	// to fail.
	allAbsentOffline := outcome{3, 0, []string{" is not in the cache (sha512-", "--offline forbids the network"}}
	accepted := outcome{0, 0, nil}

	rewrite := func(f func(b []byte) []byte) func(t *testing.T, blob, cacheDir string) {
		return func(t *testing.T, blob, cacheDir string) {
			b, err := os.ReadFile(blob)
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(blob)
			if err := os.WriteFile(blob, f(b), 0o444); err != nil {
				t.Fatal(err)
			}
		}
	}
	outsideCopy := func(t *testing.T, blob string, flip bool) string {
		b, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		if flip {
			b[len(b)/2] ^= 1
		}
		p := filepath.Join(t.TempDir(), "outside")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// symlinkDir moves the directory level levels above the blob out of the
	// cache and plants a symlink to it in its place.
	symlinkDir := func(levels int) func(t *testing.T, blob, cacheDir string) {
		return func(t *testing.T, blob, cacheDir string) {
			d := blob
			for range levels {
				d = filepath.Dir(d)
			}
			moved := filepath.Join(t.TempDir(), "moved")
			if err := os.Rename(d, moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(moved, d); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name            string
		plant           func(t *testing.T, blob, cacheDir string)
		online, offline outcome
		check           func(t *testing.T, blob, cacheDir string)
	}{
		{"byte flipped", rewrite(func(b []byte) []byte { b[len(b)/3] ^= 0x10; return b }), corruptOnline, corruptOffline, nil},
		{"truncated", rewrite(func(b []byte) []byte { return b[:len(b)-1] }), corruptOnline, corruptOffline, nil},
		{"emptied", rewrite(func(b []byte) []byte { return nil }), corruptOnline, corruptOffline, nil},
		{"grown", rewrite(func(b []byte) []byte { return append(b, 0) }), corruptOnline, corruptOffline, nil},
		{"replaced by another valid blob", func(t *testing.T, blob, cacheDir string) {
			other, err := os.ReadFile(blobOf(t, filepath.Join(projectsDir, "basic"), cacheDir, "node_modules/semver"))
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(blob)
			os.WriteFile(blob, other, 0o444)
		}, corruptOnline, corruptOffline, nil},
		{"symlink to a valid copy", func(t *testing.T, blob, cacheDir string) {
			p := outsideCopy(t, blob, false)
			os.Remove(blob)
			if err := os.Symlink(p, blob); err != nil {
				t.Fatal(err)
			}
		}, notFileOnline, notFileOffline, nil},
		{"FIFO", func(t *testing.T, blob, cacheDir string) {
			os.Remove(blob)
			if err := syscall.Mkfifo(blob, 0o644); err != nil {
				t.Fatal(err)
			}
		}, notFileOnline, notFileOffline, nil},
		{"empty directory", func(t *testing.T, blob, cacheDir string) {
			os.Remove(blob)
			if err := os.Mkdir(blob, 0o755); err != nil {
				t.Fatal(err)
			}
		}, notFileOnline, notFileOffline, nil},
		{"directory with contents", func(t *testing.T, blob, cacheDir string) {
			os.Remove(blob)
			os.Mkdir(blob, 0o755)
			if err := os.WriteFile(filepath.Join(blob, "x"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		},
			outcome{0, 1, []string{" is not a regular file; could not remove it from the cache, delete ", "not caching uuid@8.3.2", "a directory is in the way, remove it"}},
			outcome{1, 0, []string{" is not a regular file; could not remove it, delete it by hand"}},
			nil},
		{"symlinked shard directory", symlinkDir(1), absentOnline, absentOffline, nil},
		{"symlinked algorithm directory", symlinkDir(2), outcome{0, 1, nil}, allAbsentOffline, nil},
		{"symlinked blobs directory", symlinkDir(3), outcome{0, 1, nil}, allAbsentOffline, nil},
		{"hard link with the right bytes", func(t *testing.T, blob, cacheDir string) {
			p := outsideCopy(t, blob, false)
			os.Remove(blob)
			if err := os.Link(p, blob); err != nil {
				t.Fatal(err)
			}
		}, accepted, accepted, nil},
		{"hard link with wrong bytes", func(t *testing.T, blob, cacheDir string) {
			p := outsideCopy(t, blob, true)
			os.Remove(blob)
			if err := os.Link(p, blob); err != nil {
				t.Fatal(err)
			}
		}, corruptOnline, corruptOffline, nil},
		{"world-writable blob", func(t *testing.T, blob, cacheDir string) {
			if err := os.Chmod(blob, 0o666); err != nil {
				t.Fatal(err)
			}
		}, accepted, accepted, func(t *testing.T, blob, cacheDir string) {
			if fi, err := os.Lstat(blob); err != nil || fi.Mode().Perm() != 0o444 {
				t.Errorf("blob mode after a read: %v %v, want 0444", fi.Mode(), err)
			}
		}},
	}
	want := e.reference("basic")
	// One installed project and filled cache, copied for each case.
	tmplDir := e.project("basic", t.TempDir())
	tmplCache := filepath.Join(t.TempDir(), "cache")
	e.ci(tmplDir, tmplCache)
	for _, tc := range cases {
		for _, offline := range []bool{false, true} {
			name := tc.name + "/online"
			o := tc.online
			args := []string{"npm", "ci"}
			if offline {
				name, o, args = tc.name+"/offline", tc.offline, append(args, "--offline")
			}
			t.Run(name, func(t *testing.T) {
				// Each case has its own registry, so that cases can run in
				// parallel and count their own downloads. The trees do not
				// depend on the registry: the fixture lockfile records no
				// "resolved" URLs.
				t.Parallel()
				e := newE2E(t)
				cacheDir := copyTree(t, tmplCache)
				dir := copyTree(t, tmplDir)
				if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(e.reg.Npmrc()), 0o644); err != nil {
					t.Fatal(err)
				}
				before := snapshot(t, filepath.Join(dir, "node_modules"))
				blob := blobOf(t, dir, cacheDir, target)
				tc.plant(t, blob, cacheDir)

				r := e.run(dir, cacheDir, args...)
				r.want(t, o.code, o.stderr...)
				if n := e.downloads(e.tarballPath("uuid", "8.3.2")); n != o.downloads {
					t.Errorf("uuid downloaded %d times, want %d", n, o.downloads)
				}
				if o.code == 0 {
					sameTree(t, "node_modules", want, snapshot(t, filepath.Join(dir, "node_modules")))
				} else {
					sameTree(t, "node_modules after the refusal", before, snapshot(t, filepath.Join(dir, "node_modules")))
				}
				noDebris(t, dir, cacheDir)
				if tc.check != nil {
					tc.check(t, blob, cacheDir)
				}
			})
		}
	}

	t.Run("symlinked cache root", func(t *testing.T) {
		t.Parallel()
		e := newE2E(t)
		// The root is the user's choice, like the project directory: a
		// symlink there is followed, and everything below is still verified.
		real := filepath.Join(t.TempDir(), "real")
		link := filepath.Join(t.TempDir(), "link")
		dir := e.project("basic", t.TempDir())
		e.ci(dir, real)
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		r := e.ci(dir, link, "--offline")
		if !strings.Contains(r.stdout, "verified: 0 downloaded, 26 from cache") {
			t.Errorf("through a symlinked root:\n%s", r.stdout)
		}
		blob := blobOf(t, dir, link, target)
		rewrite(func(b []byte) []byte { b[0] ^= 1; return b })(t, blob, link)
		// The second install built the extracted store, which would serve
		// the next one without reading a blob (npm_ci_store_tamper covers
		// it); this case is about the blobs.
		if err := os.RemoveAll(filepath.Join(real, "store")); err != nil {
			t.Fatal(err)
		}
		e.run(dir, link, "npm", "ci", "--offline").want(t, 1, corruptOffline.stderr...)
	})
}

// distinctArchives counts the distinct integrity values in the projects'
// lockfiles: the blobs a cache filled by installing them must hold.
func distinctArchives(t *testing.T, projects ...string) int {
	t.Helper()
	seen := map[string]bool{}
	for _, dir := range projects {
		b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			t.Fatal(err)
		}
		var lf struct {
			Packages map[string]struct{ Integrity string }
		}
		if err := json.Unmarshal(b, &lf); err != nil {
			t.Fatal(err)
		}
		for _, p := range lf.Packages {
			if p.Integrity != "" {
				seen[p.Integrity] = true
			}
		}
	}
	return len(seen)
}

// copyTree copies src, keeping modes and symlinks, to a new directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp -a %s %s: %v\n%s", src, dst, err, out)
	}
	return dst
}
