package testregistry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry/synth"
)

const corgiAccept = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

func get(t *testing.T, r *Registry, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", strings.TrimSuffix(r.URL(), "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := r.Client().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return resp, body
}

func decodeJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	return m
}

// TestPackumentMatchesTarball fetches both documents for a scoped and an
// unscoped package and checks their digests against the served bytes.
func TestPackumentMatchesTarball(t *testing.T) {
	r := New(t)
	for _, tc := range []struct{ name, path, version string }{
		{"which", "/which", "2.0.2"},
		{"@tootallnate/once", "/@tootallnate%2fonce", "2.0.0"},
		{"@tootallnate/once", "/@tootallnate/once", "2.0.0"},
		{"@tootallnate/once", "/@tootallnate%2Fonce", "2.0.0"},
	} {
		for _, accept := range []string{"application/json", corgiAccept} {
			resp, body := get(t, r, tc.path, "Accept", accept)
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %s", tc.path, resp.Status)
			}
			if resp.ProtoMajor != 2 {
				t.Errorf("GET %s: served over %s, want HTTP/2", tc.path, resp.Proto)
			}
			doc := decodeJSON(t, body)
			if doc["name"] != tc.name {
				t.Errorf("GET %s: name %v", tc.path, doc["name"])
			}
			v, ok := doc["versions"].(map[string]any)[tc.version].(map[string]any)
			if !ok {
				t.Fatalf("GET %s: no version %s", tc.path, tc.version)
			}
			dist := v["dist"].(map[string]any)
			tarURL := dist["tarball"].(string)
			if want := r.TarballURL(tc.name, tc.version); tarURL != want {
				t.Errorf("dist.tarball = %s, want %s", tarURL, want)
			}
			tresp, tgz := get(t, r, strings.TrimPrefix(tarURL, strings.TrimSuffix(r.URL(), "/")))
			if tresp.StatusCode != 200 {
				t.Fatalf("GET %s: %s", tarURL, tresp.Status)
			}
			s512 := sha512.Sum512(tgz)
			s1 := sha1.Sum(tgz)
			if want := "sha512-" + base64.StdEncoding.EncodeToString(s512[:]); dist["integrity"] != want {
				t.Errorf("%s: integrity %v, tarball hashes to %s", tc.path, dist["integrity"], want)
			}
			if want := hex.EncodeToString(s1[:]); dist["shasum"] != want {
				t.Errorf("%s: shasum %v, tarball hashes to %s", tc.path, dist["shasum"], want)
			}
		}
	}
}

func TestCorgiIsAbbreviated(t *testing.T) {
	r := New(t)
	_, full := get(t, r, "/@airlock-fixture%2fpostinstall-marker", "Accept", "application/json")
	resp, corgi := get(t, r, "/@airlock-fixture%2fpostinstall-marker", "Accept", corgiAccept)
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.npm.install-v1+json" {
		t.Errorf("corgi Content-Type %q", ct)
	}
	f, c := decodeJSON(t, full), decodeJSON(t, corgi)
	if _, ok := f["time"]; !ok {
		t.Error("full document lacks time")
	}
	for _, k := range []string{"time", "_id", "description"} {
		if _, ok := c[k]; ok {
			t.Errorf("corgi has top-level %q", k)
		}
	}
	if c["modified"] != f["time"].(map[string]any)["modified"] {
		t.Errorf("corgi modified %v, full time.modified %v", c["modified"], f["time"].(map[string]any)["modified"])
	}
	fv := f["versions"].(map[string]any)["1.0.0"].(map[string]any)
	cv := c["versions"].(map[string]any)["1.0.0"].(map[string]any)
	if _, ok := cv["scripts"]; ok {
		t.Error("corgi version has scripts")
	}
	if _, ok := fv["scripts"]; !ok {
		t.Error("full version lacks scripts")
	}
	if cv["hasInstallScript"] != true {
		t.Errorf("corgi hasInstallScript = %v, want true", cv["hasInstallScript"])
	}
	if _, ok := fv["hasInstallScript"]; ok {
		t.Error("full version has hasInstallScript; the registry adds it to the abbreviated form only")
	}
}

func TestNotFoundAndSpecialRoutes(t *testing.T) {
	r := New(t)
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/no-such-package", 404},
		{"/@airlock-fixture%2fno-such", 404},
		{"/ms/-/ms-9.9.9.tgz", 404},
		{"/ms/-/debug-2.6.9.tgz", 404},
		{"/ms/9.9.9", 404},
		{"/ms/2.1.3", 200},
		{"/ms/latest", 200},
		{"/-/ping", 200},
		{"/-/npm/v1/security/advisories/bulk", 404},
		{"/-/npm/v1/keys", 404},
	} {
		resp, body := get(t, r, tc.path)
		if resp.StatusCode != tc.status {
			t.Errorf("GET %s: %d, want %d (%s)", tc.path, resp.StatusCode, tc.status, body)
		}
	}
	req, _ := http.NewRequest("POST", r.URL()+"-/npm/v1/security/advisories/bulk", strings.NewReader("{}"))
	resp, err := r.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("POST advisories/bulk: %d, want 404", resp.StatusCode)
	}
	_, body := get(t, r, "/ms/latest")
	if v := decodeJSON(t, body)["version"]; v != "2.1.3" {
		t.Errorf("ms latest = %v, want the highest fixture version 2.1.3", v)
	}
}

func TestETag(t *testing.T) {
	r := New(t)
	resp, _ := get(t, r, "/ms")
	tag := resp.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag on packument")
	}
	resp, body := get(t, r, "/ms", "If-None-Match", tag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional GET: %s with %d bytes, want 304 and no body", resp.Status, len(body))
	}
}

// TestPublishNormalization checks the publish-time rewriting of the
// synthetic manifests the registry serves.
func TestPublishNormalization(t *testing.T) {
	r := New(t)
	version := func(name string) map[string]any {
		_, body := get(t, r, PackumentPath(name))
		return decodeJSON(t, body)["versions"].(map[string]any)["1.0.0"].(map[string]any)
	}
	bins := func(v map[string]any) string {
		b, _ := json.Marshal(v["bin"])
		return string(b)
	}
	if got, want := bins(version("@airlock-fixture/dir-bin")), `{"dir-bin-a":"tools/dir-bin-a","dir-bin-b.js":"tools/dir-bin-b.js"}`; got != want {
		t.Errorf("directories.bin expanded to %s, want %s", got, want)
	}
	if got, want := bins(version("@airlock-fixture/modes")), `{"modes":"cli.js"}`; got != want {
		t.Errorf("string bin became %s, want %s", got, want)
	}
	gyp := version("@airlock-fixture/gyp-only")
	if s, _ := gyp["scripts"].(map[string]any); s["install"] != "node-gyp rebuild" || gyp["gypfile"] != true {
		t.Errorf("gyp-only: scripts %v gypfile %v, want install=node-gyp rebuild and gypfile", gyp["scripts"], gyp["gypfile"])
	}
	if id := version("@airlock-fixture/modes")["_id"]; id != "@airlock-fixture/modes@1.0.0" {
		t.Errorf("_id = %v", id)
	}
}

func TestNormalizeForPublish(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manifest string
		files    []string
		gyp      bool
		key      string
		want     string // JSON of m[key]; "null" for absent
	}{
		{"string bin, scoped", `{"name":"@s/tool","version":"1.0.0","bin":"./cli.js"}`, nil, false, "bin", `{"tool":"cli.js"}`},
		{"object bin cleaned", `{"name":"x","version":"1.0.0","bin":{"a":"./a.js","dir/b":"../../b.js","c":"","d":5}}`, nil, false, "bin", `{"a":"a.js","b":"b.js"}`},
		{"array bin", `{"name":"x","version":"1.0.0","bin":["bin/one.js","two"]}`, nil, false, "bin", `{"one.js":"bin/one.js","two":"two"}`},
		{"empty bin removed", `{"name":"x","version":"1.0.0","bin":{"a":"/"}}`, nil, false, "bin", `null`},
		{"directories.bin", `{"name":"x","version":"1.0.0","directories":{"bin":"../b"}}`,
			[]string{"b/one", "b/.two", "b/sub/three", "b/.dot/four", "c/five"}, false, "bin",
			`{"one":"b/one","three":"b/sub/three"}`},
		{"bin wins over directories.bin", `{"name":"x","version":"1.0.0","bin":{"a":"a.js"},"directories":{"bin":"b"}}`,
			[]string{"b/one"}, false, "bin", `{"a":"a.js"}`},
		{"bundledDependencies renamed", `{"name":"x","version":"1.0.0","bundledDependencies":["a"]}`, nil, false, "bundleDependencies", `["a"]`},
		{"bundleDependencies true", `{"name":"x","version":"1.0.0","dependencies":{"b":"1","a":"1"},"bundleDependencies":true}`, nil, false, "bundleDependencies", `["a","b"]`},
		{"bundleDependencies false", `{"name":"x","version":"1.0.0","bundleDependencies":false}`, nil, false, "bundleDependencies", `null`},
		{"gyp adds install", `{"name":"x","version":"1.0.0","scripts":{"test":"t"}}`, nil, true, "scripts", `{"install":"node-gyp rebuild","test":"t"}`},
		{"gyp keeps preinstall", `{"name":"x","version":"1.0.0","scripts":{"preinstall":"p"}}`, nil, true, "scripts", `{"preinstall":"p"}`},
		{"gypfile false", `{"name":"x","version":"1.0.0","gypfile":false}`, nil, true, "scripts", `null`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal([]byte(tc.manifest), &m); err != nil {
				t.Fatal(err)
			}
			normalizeForPublish(m, tc.files, tc.gyp)
			got, _ := json.Marshal(m[tc.key])
			if string(got) != tc.want {
				t.Errorf("%s = %s, want %s", tc.key, got, tc.want)
			}
		})
	}
}

func TestLatest(t *testing.T) {
	for _, tc := range []struct {
		versions []string
		want     string
	}{
		{[]string{"1.0.0", "1.10.0", "1.9.0"}, "1.10.0"},
		{[]string{"2.0.0-rc.1", "1.5.0"}, "1.5.0"},
		{[]string{"2.0.0-rc.1", "2.0.0-rc.10", "2.0.0-beta"}, "2.0.0-rc.10"},
		{[]string{"1.0.0-2", "1.0.0-10", "1.0.0-alpha"}, "1.0.0-alpha"},
		{[]string{"1.0.0+build.2"}, "1.0.0+build.2"},
	} {
		if got := latest(tc.versions); got != tc.want {
			t.Errorf("latest(%v) = %s, want %s", tc.versions, got, tc.want)
		}
	}
}

// TestSynthTarballsUpToDate proves the committed synthetic tarballs are what
// the generator makes. It compares the tar streams, not the gzip bytes, so
// a change in Go's compressor cannot fail it; a change in the package
// definitions without `go generate` does.
func TestSynthTarballsUpToDate(t *testing.T) {
	for _, p := range synth.Packages() {
		name, err := p.FileName()
		if err != nil {
			t.Fatal(err)
		}
		committed, err := fixtures.ReadFile("tarballs/" + name)
		if err != nil {
			t.Errorf("%s: %v (run go generate ./internal/testregistry)", name, err)
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(committed))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := p.Tar()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./internal/testregistry and regenerate the lockfiles that use it (testdata/npm/regen.sh)", name)
		}
	}
}

func TestAddAndReplaceVersion(t *testing.T) {
	r := New(t, WithoutFixtures())
	if got := r.Packages(); len(got) != 0 {
		t.Fatalf("WithoutFixtures serves %v", got)
	}
	pkg := synth.Package{Manifest: `{"name":"@airlock-fixture/added","version":"3.0.0"}`,
		Files: []synth.File{{Path: "index.js", Mode: 0o644, Body: "one\n"}}}
	tgz, err := pkg.Tgz()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Add(tgz); err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, r, TarballPath("@airlock-fixture/added", "3.0.0"))
	if resp.StatusCode != 200 || !bytes.Equal(body, tgz) {
		t.Fatalf("added tarball: %s, %d bytes (want %d)", resp.Status, len(body), len(tgz))
	}
	pkg.Files[0].Body = "two\n"
	tgz2, _ := pkg.Tgz()
	r.Add(tgz2)
	if got, _ := r.Tarball("@airlock-fixture/added", "3.0.0"); !bytes.Equal(got, tgz2) {
		t.Error("re-adding a version did not replace it")
	}
	if _, err := r.Tarball("@airlock-fixture/added", "1.0.0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tarball of a missing version: %v, want ErrNotFound", err)
	}
}

func TestAddRejectsBadTarballs(t *testing.T) {
	r, err := Start(WithoutFixtures())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	noName, _ := synth.Package{Manifest: `{"version":"1.0.0"}`}.Tgz()
	var plainTar bytes.Buffer
	tw := tar.NewWriter(&plainTar)
	tw.Close()
	for name, b := range map[string][]byte{
		"not gzip":        []byte("hello"),
		"no package.json": mustGzip(t, plainTar.Bytes()),
		"no name":         noName,
	} {
		if err := r.Add(b); !errors.Is(err, ErrBadTarball) {
			t.Errorf("%s: Add = %v, want ErrBadTarball", name, err)
		}
	}
}

func mustGzip(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCAIsPrivate: the server is trusted through its CA file and only
// through it.
func TestCAIsPrivate(t *testing.T) {
	r := New(t)
	pem, err := os.ReadFile(r.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("CA file holds no certificate")
	}
	for _, host := range []string{r.URL(), strings.Replace(r.URL(), "127.0.0.1", "localhost", 1)} {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		resp, err := c.Get(host + "-/ping")
		if err != nil {
			t.Fatalf("with the CA file: %v", err)
		}
		resp.Body.Close()
	}
	other := New(t)
	if _, err := other.Client().Get(r.URL() + "-/ping"); err == nil {
		t.Error("a client trusting another registry's CA connected")
	}
}

func TestStartAndClose(t *testing.T) {
	r, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	ca := r.CAFile()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(ca); !os.IsNotExist(err) {
		t.Errorf("CA file survives Close: %v", err)
	}
	c := r.Client()
	c.Timeout = 2 * time.Second
	if _, err := c.Get(r.URL()); err == nil {
		t.Error("server still answers after Close")
	}
}
