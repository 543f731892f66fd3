package main

// End-to-end tests of [cache] remote: machines (separate local caches)
// sharing a remote cache, a poisoned remote, a slow remote, the token's
// reach, --no-remote-cache, and several processes sharing both caches.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/remote"
	"github.com/airlock-dev/airlock/internal/testcas"
	"github.com/airlock-dev/airlock/verify"
)

const remoteToken = "team-cache-token"

// remoteEnv is a registry, a remote cache, and the airlock.toml pointing
// at it (with extra lines).
type remoteEnv struct {
	*e2e
	cas    *testcas.Server
	caFile string
}

func newRemoteEnv(t *testing.T) *remoteEnv {
	e := newE2E(t)
	cas := testcas.New(t)
	cas.Token = remoteToken
	caFile := filepath.Join(e.home, "remote-ca.pem")
	if err := os.WriteFile(caFile, cas.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return &remoteEnv{e2e: e, cas: cas, caFile: caFile}
}

// project copies the fixture and writes its airlock.toml.
func (r *remoteEnv) project(name, dir string, extra ...string) string {
	dir = r.e2e.project(name, dir)
	toml := fmt.Sprintf("ca_file = %q\n\n[cache]\nremote = %q\ntoken_env = \"AIRLOCK_REMOTE_CACHE_TOKEN\"\n%s", r.caFile, r.cas.URL+"/airlock", strings.Join(extra, "\n"))
	if err := os.WriteFile(filepath.Join(dir, "airlock.toml"), []byte(toml), 0o644); err != nil {
		r.t.Fatal(err)
	}
	return dir
}

func (r *remoteEnv) cmd(dir, cacheDir string, args ...string) *exec.Cmd {
	c := r.e2e.cmd(dir, cacheDir, args...)
	c.Env = append(c.Env, "AIRLOCK_REMOTE_CACHE_TOKEN="+remoteToken)
	return c
}

func (r *remoteEnv) run(dir, cacheDir string, args ...string) result {
	r.t.Helper()
	c := r.cmd(dir, cacheDir, args...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	c.Run()
	return result{code: c.ProcessState.ExitCode(), stdout: out.String(), stderr: errb.String()}
}

func (r *remoteEnv) tarballGets() int {
	n := 0
	for _, q := range r.reg.Requests() {
		if q.Method == http.MethodGet && strings.HasSuffix(q.Path, ".tgz") {
			n++
		}
	}
	return n
}

// lockDigests returns the strongest digest of every archive in the
// project's lockfile, by lockfile path.
func lockDigests(t *testing.T, dir string) map[string]verify.Digest {
	t.Helper()
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
	out := map[string]verify.Digest{}
	for p, e := range lf.Packages {
		if e.Integrity == "" {
			continue
		}
		integ, err := verify.ParseSRI(e.Integrity)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = integ.Strongest()
	}
	return out
}

// checkRemote requires every CAS blob to hash to its key and every
// lockfile archive to be served, through the real client, as bytes that
// match the lockfile. It returns how many archives the remote serves.
func (r *remoteEnv) checkRemote(t *testing.T, digests map[string]verify.Digest) int {
	t.Helper()
	for _, k := range r.cas.Keys() {
		if hexKey, ok := strings.CutPrefix(k, "cas/"); ok {
			b, _ := r.cas.Blob(k)
			if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != hexKey {
				t.Errorf("remote %s does not hash to its key", k)
			}
		}
	}
	c, err := remote.New(remote.Options{URL: r.cas.URL + "/airlock", Token: remoteToken,
		ExtraCAs: []client.CABundle{{Source: "test", PEM: r.cas.CAPEM()}},
		Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil }, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	served := 0
	seen := map[string]bool{}
	for p, d := range digests {
		if seen[d.String()] {
			continue
		}
		seen[d.String()] = true
		body, _, err := c.Get(context.Background(), d)
		if err != nil {
			t.Errorf("remote lookup of %s: %v", p, err)
			continue
		}
		if body == nil {
			continue
		}
		chk := verify.NewChecker(d)
		io.Copy(chk, body)
		body.Close()
		if err := chk.Check(); err != nil {
			t.Errorf("remote serves bad bytes for %s: %v", p, err)
		}
		served++
	}
	return served
}

func TestRemoteCacheAcrossMachines(t *testing.T) {
	r := newRemoteEnv(t)
	a := r.project("basic", t.TempDir())
	res := r.run(a, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
	res.want(t, 0)
	want := snapshotProject(t, a)
	digests := lockDigests(t, a)
	if n := r.tarballGets(); n != 26 {
		t.Errorf("first machine downloaded %d archives, want 26", n)
	}
	if !strings.Contains(res.stdout, "remote cache: 0 hits, 26 misses, 0 rejected, 26 uploaded") {
		t.Errorf("first machine's summary:\n%s", res.stdout)
	}
	if n := r.checkRemote(t, digests); n != 26 {
		t.Errorf("remote serves %d of the 26 archives", n)
	}
	for _, q := range r.cas.Requests() {
		if q.Authorization != "Bearer "+remoteToken {
			t.Errorf("remote request %s %s without the token", q.Method, q.Path)
		}
	}
	for _, q := range r.reg.Requests() {
		if strings.Contains(q.Authorization, remoteToken) {
			t.Errorf("the registry got the remote cache's token: %s %s", q.Method, q.Path)
		}
	}

	t.Run("hit", func(t *testing.T) {
		r.reg.ResetRequests()
		b := r.project("basic", t.TempDir())
		res := r.run(b, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		res.want(t, 0)
		sameTree(t, "installed from the remote cache", want, snapshotProject(t, b))
		if n := r.tarballGets(); n != 0 {
			t.Errorf("%d registry downloads with a full remote cache", n)
		}
		if !strings.Contains(res.stdout, "remote cache: 26 hits, 0 misses, 0 rejected, 0 uploaded") {
			t.Errorf("summary:\n%s", res.stdout)
		}
		res = r.run(r.project("basic", t.TempDir()), filepath.Join(t.TempDir(), "cache"), "npm", "ci", "--json")
		res.want(t, 0)
		if n := strings.Count(res.stdout, `"source":"remote"`); n != 26 {
			t.Errorf("%d package events with source remote, want 26", n)
		}
	})

	t.Run("no-remote-cache", func(t *testing.T) {
		r.reg.ResetRequests()
		before := len(r.cas.Requests())
		c := r.project("basic", t.TempDir())
		res := r.run(c, filepath.Join(t.TempDir(), "cache"), "npm", "ci", "--no-remote-cache")
		res.want(t, 0)
		if n := len(r.cas.Requests()) - before; n != 0 {
			t.Errorf("--no-remote-cache: %d remote requests", n)
		}
		if n := r.tarballGets(); n != 26 {
			t.Errorf("--no-remote-cache: %d registry downloads, want 26", n)
		}
	})

	t.Run("poisoned", func(t *testing.T) {
		// Someone with write access swaps ms's archive for another
		// package's (a well-formed tarball, just not the locked one).
		ms, other := digests["node_modules/ms"], digests["node_modules/uuid"]
		msKey, otherBytes := r.casKeyOf(t, ms), r.casBytesOf(t, other)
		r.cas.Set(msKey, otherBytes)
		r.reg.ResetRequests()
		d := r.project("basic", t.TempDir())
		cacheDir := filepath.Join(t.TempDir(), "cache")
		res := r.run(d, cacheDir, "npm", "ci")
		res.want(t, 0, "served an archive that does not match the lockfile", "verifying ms@")
		sameTree(t, "installed past a poisoned remote", want, snapshotProject(t, d))
		if n := r.tarballGets(); n != 1 {
			t.Errorf("%d registry downloads, want 1 (ms)", n)
		}
		if !strings.Contains(res.stdout, "25 hits, 0 misses, 1 rejected, 1 uploaded") {
			t.Errorf("summary:\n%s", res.stdout)
		}
		checkCache(t, cacheDir)
		if b, _ := r.cas.Blob(msKey); bytes.Equal(b, otherBytes) {
			t.Error("the poisoned entry was not replaced")
		}
		r.checkRemote(t, digests)
	})

	t.Run("broken mid-body", func(t *testing.T) {
		r.cas.BreakBodies(true)
		defer r.cas.BreakBodies(false)
		r.reg.ResetRequests()
		d := r.project("basic", t.TempDir())
		res := r.run(d, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		// The break shows at the response headers or in the body,
		// whichever the connection reaches first; either way, once.
		res.want(t, 0, "not using the remote cache for the rest of this run")
		if n := strings.Count(res.stderr, "warning: remote cache"); n != 1 {
			t.Errorf("%d warnings about the remote cache, want 1:\n%s", n, res.stderr)
		}
		if n := r.tarballGets(); n != 26 {
			t.Errorf("%d registry downloads, want 26 (the remote is given up on after the first break)", n)
		}
		sameTree(t, "installed past a broken remote", want, snapshotProject(t, d))
	})

	t.Run("slow", func(t *testing.T) {
		r.cas.Delay(10 * time.Second)
		defer r.cas.Delay(0)
		e := r.project("basic", t.TempDir(), "timeout = \"300ms\"")
		start := time.Now()
		res := r.run(e, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		res.want(t, 0, "not using the remote cache for the rest of this run")
		if n := strings.Count(res.stderr, "warning: remote cache"); n != 1 {
			t.Errorf("%d warnings about the remote cache, want 1:\n%s", n, res.stderr)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("install with a slow remote took %s", d)
		}
		got := snapshotProject(t, e)
		delete(got, "airlock.toml") // the only file that differs: it sets the timeout
		w := maps.Clone(want)
		delete(w, "airlock.toml")
		sameTree(t, "installed past a slow remote", w, got)
	})
}

// casKeyOf finds the remote's CAS key for a lockfile digest through its AC
// entry (by asking the real client which URL it reads).
func (r *remoteEnv) casKeyOf(t *testing.T, d verify.Digest) string {
	t.Helper()
	c, err := remote.New(remote.Options{URL: r.cas.URL + "/airlock", Token: remoteToken,
		ExtraCAs: []client.CABundle{{Source: "test", PEM: r.cas.CAPEM()}},
		Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil }, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	body, u, err := c.Get(context.Background(), d)
	if err != nil || body == nil {
		t.Fatalf("remote has no %s: %v", d, err)
	}
	body.Close()
	return "cas/" + u[strings.LastIndex(u, "/")+1:]
}

func (r *remoteEnv) casBytesOf(t *testing.T, d verify.Digest) []byte {
	b, _ := r.cas.Blob(r.casKeyOf(t, d))
	return b
}

// Four airlock processes at once on one machine, sharing one local cache
// and one remote cache, then four on a "second machine" (another local
// cache): both caches end up holding exactly the verified archives, each
// archive is downloaded from the registry once (the processes' claims on
// the shared local cache agree on who fetches it), and the second wave
// reads each from the remote once and downloads nothing.
func TestRemoteCacheConcurrentProcesses(t *testing.T) {
	const procs = 4
	r := newRemoteEnv(t)
	var dirs []string
	for range procs {
		dirs = append(dirs, r.project("basic", t.TempDir()))
	}
	want := map[string]tree{}
	digests := lockDigests(t, dirs[0])
	for wave, local := range []string{filepath.Join(t.TempDir(), "cache1"), filepath.Join(t.TempDir(), "cache2")} {
		r.reg.ResetRequests()
		before := len(r.cas.Requests())
		var wg sync.WaitGroup
		results := make([]result, procs)
		for i, d := range dirs {
			wg.Go(func() { results[i] = r.run(d, local, "npm", "ci") })
		}
		wg.Wait()
		for i, d := range dirs {
			results[i].want(t, 0)
			if strings.Contains(results[i].stderr, "warning") {
				t.Errorf("wave %d process %d warned:\n%s", wave, i, results[i].stderr)
			}
			got := snapshotProject(t, d)
			if want[d] == nil {
				want[d] = got
			}
			sameTree(t, fmt.Sprintf("wave %d process %d", wave, i), want[dirs[0]], got)
			noDebris(t, d, local)
		}
		per := map[string]int{}
		for _, q := range r.reg.Requests() {
			if strings.HasSuffix(q.Path, ".tgz") {
				per[q.Path]++
			}
		}
		dup, total := 0, 0
		for p, n := range per {
			total += n
			dup += n - 1
			if n != 1 {
				t.Errorf("wave %d: %s downloaded %d times by %d processes, want once", wave, p, n, procs)
			}
		}
		remoteGets := 0
		for _, q := range r.cas.Requests()[before:] {
			if q.Method == http.MethodGet && strings.Contains(q.Path, "/cas/") {
				remoteGets++
			}
		}
		t.Logf("wave %d: %d registry downloads of %d archives (%d duplicates), %d remote archive reads, %d remote requests in all",
			wave, total, len(per), dup, remoteGets, len(r.cas.Requests())-before)
		if wave == 1 && (total != 0 || remoteGets != 26) {
			t.Errorf("wave 1 (warm remote): %d registry downloads, %d remote reads; want 0 and 26 (each archive read once for the shared local cache)", total, remoteGets)
		}
		if wave == 0 && len(per) != 26 {
			t.Errorf("wave 0 downloaded %d distinct archives, want 26", len(per))
		}
		if n := checkCache(t, local); n != 26 {
			t.Errorf("wave %d: local cache holds %d valid blobs, want 26", wave, n)
		}
		if n := r.checkRemote(t, digests); n != 26 {
			t.Errorf("wave %d: remote serves %d of the 26 archives", wave, n)
		}
	}
}
