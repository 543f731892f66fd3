package main

// Installing through a real Verdaccio mirror. Verdaccio is not part of the
// hermetic test setup: the test runs when $AIRLOCK_VERDACCIO names its
// executable or `verdaccio` is on PATH (CI: npm install --prefix
// /opt/verdaccio verdaccio, then AIRLOCK_VERDACCIO=/opt/verdaccio/node_modules/.bin/verdaccio),
// and is skipped otherwise.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// verdaccio is a running Verdaccio whose only uplink is the test registry.
type verdaccio struct {
	url, caFile, storage string
}

func startVerdaccio(t *testing.T, e *e2e) *verdaccio {
	t.Helper()
	bin := os.Getenv("AIRLOCK_VERDACCIO")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("verdaccio"); err != nil {
			t.Skip("verdaccio is not installed: npm install --prefix DIR verdaccio and set AIRLOCK_VERDACCIO=DIR/node_modules/.bin/verdaccio")
		}
	}
	dir := t.TempDir()
	files, err := testregistry.WriteServerFiles(dir, "airlock verdaccio test CA", testregistry.LeafOptions{})
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := files.CertFile, files.KeyFile
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile := files.CAFile
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	storage := filepath.Join(dir, "storage")
	// maxage keeps Verdaccio from refreshing packuments from the uplink
	// during the test, so an entry altered in its storage stays altered.
	conf := fmt.Sprintf(`storage: %s
uplinks:
  origin:
    url: %s
    maxage: 60m
    timeout: 10s
packages:
  '@*/*':
    access: $all
    proxy: origin
  '**':
    access: $all
    proxy: origin
https:
  key: %s
  cert: %s
log: { type: stdout, format: json, level: warn }
`, storage, e.reg.URL(), keyFile, certFile)
	confFile := write("config.yaml", []byte(conf))
	cmd := exec.Command(bin, "--config", confFile, "--listen", "https://"+addr)
	// Verdaccio's uplink client (Node) trusts the test registry's CA.
	cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+e.reg.CAFile())
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting verdaccio: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("verdaccio output:\n%s", logs.String())
		}
	})
	v := &verdaccio{url: "https://" + addr + "/", caFile: caFile, storage: storage}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(files.CAPEM)
	cl := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer cl.CloseIdleConnections()
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := cl.Get(v.url + "-/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("verdaccio did not answer /-/ping: %v\n%s", err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// project copies fixture name for installing through Verdaccio: .npmrc
// points at it, airlock.toml declares it a mirror of the test registry.
func (v *verdaccio) project(t *testing.T, e *e2e, name, dir, toml string) string {
	t.Helper()
	dir = e.project(name, dir)
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte("registry="+v.url+"\ncafile="+v.caFile+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// ca_file: the origin's CA, for origin_check's requests to it.
	toml = fmt.Sprintf("ca_file = %q\n\n[[registry]]\nurl = %q\nmirror_of = %q\n%s", e.reg.CAFile(), v.url, e.reg.URL(), toml)
	if err := os.WriteFile(filepath.Join(dir, "airlock.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestVerdaccioMirror(t *testing.T) {
	e := newE2E(t)
	v := startVerdaccio(t, e)
	want := e.reference("basic")

	dir := v.project(t, e, "basic", t.TempDir(), "")
	res := e.run(dir, filepath.Join(t.TempDir(), "cache"), "npm", "ci", "--json")
	res.want(t, 0)
	sameTree(t, "installed through Verdaccio", want, snapshot(t, filepath.Join(dir, "node_modules")))
	if n := strings.Count(res.stdout, `"rule":"origin","verdict":"allow"`); n != 26 {
		t.Errorf("%d packages cross-checked with the origin, want 26:\n%s", n, res.stdout)
	}
	if n := e.downloads(e.tarballPath("ms", "2.1.3")); n != 1 {
		t.Errorf("Verdaccio fetched ms from its uplink %d times, want 1", n)
	}

	// Someone who can write to the mirror's storage swaps ms@2.1.3 for a
	// tarball of their own and records its integrity in the mirror's
	// packument. A lockfile made through the mirror then carries the
	// mirror's integrity, so the lockfile alone cannot tell.
	evil, evilSRI := poisonedTarball(t, e, "ms", "2.1.3")
	if err := os.WriteFile(filepath.Join(v.storage, "ms", "ms-2.1.3.tgz"), evil, 0o644); err != nil {
		t.Fatal(err)
	}
	pkgJSON := filepath.Join(v.storage, "ms", "package.json")
	b, err := os.ReadFile(pkgJSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	dist := doc["versions"].(map[string]any)["2.1.3"].(map[string]any)["dist"].(map[string]any)
	dist["integrity"] = evilSRI
	delete(dist, "shasum")
	delete(dist, "signatures")
	if b, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pkgJSON, b, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("origin_check on refuses", func(t *testing.T) {
		dir := v.project(t, e, "basic", t.TempDir(), "")
		setLockIntegrity(t, dir, "node_modules/ms", evilSRI)
		res := e.run(dir, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		res.want(t, 1, "ms@2.1.3: the mirror "+v.url+" and its origin "+e.reg.URL()+" disagree about its integrity")
		if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
			t.Error("a tree was installed")
		}
	})
	t.Run("lockfile from before the poisoning", func(t *testing.T) {
		// origin_check off: the lockfile's hash is the only guard, and
		// it holds when the lockfile was made from genuine bytes.
		dir := v.project(t, e, "basic", t.TempDir(), "origin_check = false\n")
		res := e.run(dir, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		res.want(t, 1, "integrity mismatch")
		if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
			t.Error("a tree was installed")
		}
	})
	t.Run("origin_check off trusts the lockfile", func(t *testing.T) {
		// The trade-off, shown: with the cross-check off, a lockfile
		// that recorded the mirror's poisoned integrity installs it.
		dir := v.project(t, e, "basic", t.TempDir(), "origin_check = false\n")
		setLockIntegrity(t, dir, "node_modules/ms", evilSRI)
		res := e.run(dir, filepath.Join(t.TempDir(), "cache"), "npm", "ci")
		res.want(t, 0)
		got, err := os.ReadFile(filepath.Join(dir, "node_modules", "ms", "index.js"))
		if err != nil || !bytes.Contains(got, []byte("poisoned by the mirror")) {
			t.Errorf("expected the mirror's bytes with origin_check off: %v", err)
		}
	})
}

// poisonedTarball returns name@version's tarball with a line added to
// index.js, and its SRI.
func poisonedTarball(t *testing.T, e *e2e, name, version string) ([]byte, string) {
	t.Helper()
	orig, err := e.reg.Tarball(name, version)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "package/index.js" {
			body = append(body, []byte("\n// poisoned by the mirror\n")...)
			h.Size = int64(len(body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	sum := sha512.Sum512(out.Bytes())
	return out.Bytes(), "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// setLockIntegrity rewrites one entry's integrity in dir's package-lock.json.
func setLockIntegrity(t *testing.T, dir, path, sri string) {
	t.Helper()
	p := filepath.Join(dir, "package-lock.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var lf map[string]any
	if err := json.Unmarshal(b, &lf); err != nil {
		t.Fatal(err)
	}
	lf["packages"].(map[string]any)[path].(map[string]any)["integrity"] = sri
	if b, err = json.MarshalIndent(lf, "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
