package fetch_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// counter counts requests for path as they arrive (the registry's own log
// records them only once answered, and a hanging one never is).
type counter struct {
	path string
	n    atomic.Int32
}

func (c *counter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == c.path {
			c.n.Add(1)
		}
		next.ServeHTTP(w, r)
	})
}

// faultEnv is the real pipeline (npmrc locator, strict client, cache)
// against a local registry misbehaving for one tarball.
type faultEnv struct {
	reg     *testregistry.Registry
	fetcher *fetch.Fetcher
	pkg     lock.Package
	tarball []byte
	url     string
	count   *counter
}

const (
	faultName    = "ms"
	faultVersion = "2.1.3"
)

func newFaultEnv(t *testing.T, http1 bool, edit func(*client.Options), faults ...testregistry.Middleware) *faultEnv {
	t.Helper()
	path := testregistry.TarballPath(faultName, faultVersion)
	cnt := &counter{path: path}
	opts := []testregistry.Option{testregistry.WithMiddleware(append([]testregistry.Middleware{cnt.middleware}, faults...)...)}
	if http1 {
		opts = append(opts, testregistry.WithHTTP1Only())
	}
	reg := testregistry.New(t, opts...)
	tgz, err := reg.Tarball(faultName, faultVersion)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(reg.Npmrc()), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, err := npmrc.Load(dir, []string{"HOME=" + dir, "PATH="})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := client.ReadCAFile(reg.CAFile(), "test")
	if err != nil {
		t.Fatal(err)
	}
	copts := client.Options{
		ExtraCAs:     []client.CABundle{ca},
		Auth:         rc.AuthFor,
		Proxy:        func(*http.Request) (*url.URL, error) { return nil, nil },
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 20 * time.Millisecond,
		// Generous, so that a loaded machine (-race, 2 cores) is not a
		// timeout; the timeout cases set their own short ones.
		ResponseHeaderTimeout: 5 * time.Second,
		IdleReadTimeout:       5 * time.Second,
	}
	if edit != nil {
		edit(&copts)
	}
	cl, err := client.New(copts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdleConnections)
	c, err := cache.Open(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	sum := sha512.Sum512(tgz)
	return &faultEnv{
		reg:     reg,
		fetcher: &fetch.Fetcher{Getter: cl, Locator: rc, Cache: c},
		tarball: tgz,
		url:     reg.TarballURL(faultName, faultVersion),
		count:   cnt,
		pkg: lock.Package{
			Ecosystem: lock.NPM, Name: faultName, Version: faultVersion,
			Path: "node_modules/" + faultName, Source: lock.SourceRegistry,
			Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
		},
	}
}

// blobs lists every file below the cache's blobs directory: verified
// blobs and temporary files alike.
func (e *faultEnv) blobs(t *testing.T) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(e.fetcher.Cache.Dir(), "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, filepath.Base(p))
		}
		return nil
	})
	return out
}

func sri(b []byte) string {
	sum := sha512.Sum512(b)
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// TestFaultMatrix is the network fault matrix: each case is a registry
// misbehaving for one tarball, fetched through the real client, npmrc
// locator and cache. Every case checks the outcome, the error's class and
// words, how many requests the tarball got (no retry storms), and that the
// cache holds the blob only when its bytes were verified, and never a
// temporary file.
func TestFaultMatrix(t *testing.T) {
	path := testregistry.TarballPath(faultName, faultVersion)
	var endless atomic.Int64
	zeros := make([]byte, 2<<20)
	tests := []struct {
		name     string
		faults   []testregistry.Middleware
		http1    bool // the server speaks HTTP/1.1 only, where TCP resets and closes happen
		edit     func(*client.Options)
		maxBytes int64
		wantErr  error    // nil: the fetch succeeds with the genuine bytes
		wantAs   any      // also errors.As this type
		wantMsg  []string // substrings of the error; the package and URL are always required
		requests int32    // requests for the tarball
	}{
		{name: "500 then success", faults: mw(testregistry.FailFirst(path, 1, 500)), requests: 2},
		{name: "502, 503 then success", faults: mw(testregistry.First(1, path, testregistry.FailFirst(path, 1, 502)), testregistry.FailFirst(path, 1, 503)), requests: 3},
		{name: "503 forever stops at MaxAttempts", faults: mw(testregistry.FailFirst(path, 1000, 503)),
			wantAs: &client.StatusError{}, wantMsg: []string{"HTTP 503", "after 4 attempts", "try again later"}, requests: client.DefaultMaxAttempts},
		{name: "429 with Retry-After 0 then success", faults: mw(testregistry.FailFirst(path, 1, 429, "Retry-After", "0")), requests: 2},
		{name: "429 with a huge Retry-After is not waited for", faults: mw(testregistry.FailFirst(path, 1000, 429, "Retry-After", "86400")),
			wantAs: &client.StatusError{}, wantMsg: []string{"HTTP 429", "Retry-After of 24h0m0s is longer than the 20ms airlock waits at most", "asked to wait 24h0m0s", "try again later"}, requests: 1},
		{name: "404 names the package and URL, no retry", faults: mw(testregistry.FailFirst(path, 1000, 404)),
			wantAs: &client.StatusError{}, wantMsg: []string{"HTTP 404", "check the package name and version"}, requests: 1},
		{name: "connection reset mid-body once is retried", faults: mw(testregistry.First(1, path, testregistry.Reset(path, 1000))), http1: true, requests: 2},
		{name: "connection reset mid-body every time", faults: mw(testregistry.Reset(path, 1000)), http1: true, wantErr: client.ErrBrokenBody,
			wantMsg: []string{"connection reset", "after 1000 bytes", "downloaded 2 times; it broke off each time"}, requests: 2},
		{name: "stream reset mid-body (HTTP/2) every time", faults: mw(testregistry.Reset(path, 1000)), wantErr: client.ErrBrokenBody,
			wantMsg: []string{"after 1000 bytes", "downloaded 2 times; it broke off each time"}, requests: 2},
		{name: "body shorter than Content-Length once is retried", faults: mw(testregistry.First(1, path, testregistry.Truncate(path, 1000))), http1: true, requests: 2},
		{name: "body shorter than Content-Length every time", faults: mw(testregistry.Truncate(path, 1000)), http1: true,
			wantErr: client.ErrShortBody, wantMsg: []string{"got 1000 of", "downloaded 2 times; it broke off each time"}, requests: 2},
		{name: "headers never come", faults: mw(testregistry.Delay(path, time.Hour)), edit: func(o *client.Options) { o.MaxAttempts, o.ResponseHeaderTimeout = 2, 300*time.Millisecond },
			wantMsg: []string{"timeout awaiting response headers", "after 2 attempts", "did not answer in time"}, requests: 2},
		{name: "body stalls", faults: mw(testregistry.Stall(path, 1000)), edit: func(o *client.Options) { o.IdleReadTimeout = 300 * time.Millisecond },
			wantErr: client.ErrStalled, wantMsg: []string{"no data for 300ms after 1000 bytes", "stopped sending"}, requests: 1},
		{name: "body trickles past BodyTimeout", faults: mw(testregistry.Stall(path, 1000)), edit: func(o *client.Options) { o.IdleReadTimeout, o.BodyTimeout = time.Hour, 300*time.Millisecond },
			wantErr: client.ErrStalled, wantMsg: []string{"the body took longer than 300ms", "fetch-timeout=<milliseconds>"}, requests: 1},
		{name: "server streams forever", faults: mw(testregistry.Endless(path, &endless)), maxBytes: 1 << 20,
			wantErr: fetch.ErrTooLarge, wantMsg: []string{"more than 1048576 bytes", "no genuine package is that large"}, requests: 1},
		{name: "server streams forever, client cap", faults: mw(testregistry.Endless(path, &endless)), edit: func(o *client.Options) { o.MaxBodySize = 1 << 20 },
			wantErr: client.ErrTooLarge, wantMsg: []string{"more than 1048576 bytes", "no genuine package is that large"}, requests: 1},
		{name: "Content-Length over the size cap", maxBytes: 1000,
			wantErr: fetch.ErrTooLarge, wantMsg: []string{"is over the 1000-byte limit"}, requests: 1},
		{name: "gzip bomb through Content-Encoding", faults: mw(testregistry.Gzip(path), testregistry.Replace(path, zeros)), maxBytes: 1 << 20,
			wantErr: fetch.ErrTooLarge, wantMsg: []string{"more than 1048576 bytes"}, requests: 1},
		{name: "honest gzip Content-Encoding over the tarball", faults: mw(testregistry.Gzip(path)), requests: 1},
		{name: "Content-Encoding gzip label on the tarball's own compression", faults: mw(testregistry.ContentEncoding(path, "gzip")),
			wantErr: verify.ErrIntegrity, wantMsg: []string{"Content-Encoding: gzip"}, requests: 2},
		{name: "Content-Encoding gzip over bytes that are not gzip", faults: mw(testregistry.ContentEncoding(path, "gzip"), testregistry.Replace(path, []byte("plain bytes, no gzip header"))),
			wantErr: client.ErrBadEncoding, wantMsg: []string{"Content-Encoding: gzip", "not gzip"}, requests: 1},
		{name: "unrequested Content-Encoding br over the genuine bytes: they verify as they are", faults: mw(testregistry.ContentEncoding(path, "br")), requests: 1},
		{name: "unrequested Content-Encoding br over other bytes", faults: mw(testregistry.ContentEncoding(path, "br"), testregistry.Replace(path, []byte("\x1b\x00\x00 not the tarball"))),
			wantErr: verify.ErrIntegrity, wantMsg: []string{"declared Content-Encoding: br, which airlock did not ask for"}, requests: 2},
		{name: "200 with an HTML error page", faults: mw(testregistry.ErrorPage(path)),
			wantErr: verify.ErrIntegrity, wantAs: &fetch.IntegrityError{}, wantMsg: []string{"integrity mismatch", sri([]byte(testregistry.ErrorPageHTML)), "text/html"}, requests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newFaultEnv(t, tt.http1, tt.edit, tt.faults...)
			e.fetcher.MaxBytes = tt.maxBytes
			var got []byte
			start := time.Now()
			res, err := e.fetcher.Fetch(context.Background(), e.pkg, func(r io.Reader) error {
				var err error
				got, err = io.ReadAll(r)
				return err
			})
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if n := e.count.n.Load(); n != tt.requests {
				t.Errorf("%d requests for the tarball, want %d", n, tt.requests)
			}
			blobs := e.blobs(t)
			if tt.wantErr == nil && tt.wantAs == nil && tt.wantMsg == nil {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if !bytes.Equal(got, e.tarball) || res.Bytes != int64(len(e.tarball)) {
					t.Errorf("consumed %d bytes (result says %d), want the %d-byte tarball", len(got), res.Bytes, len(e.tarball))
				}
				if len(blobs) != 1 || strings.HasPrefix(blobs[0], cache.TempPrefix) {
					t.Errorf("cache holds %q, want the one verified blob", blobs)
				}
				return
			}
			if err == nil {
				t.Fatalf("Fetch succeeded (%d bytes)", len(got))
			}
			if len(blobs) != 0 {
				t.Errorf("cache holds %q after a failed fetch", blobs)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error is not %v: %v", tt.wantErr, err)
			}
			switch want := tt.wantAs.(type) {
			case *client.StatusError:
				if !errors.As(err, &want) {
					t.Errorf("error is not a %T: %v", want, err)
				}
			case *fetch.IntegrityError:
				if !errors.As(err, &want) || want.Want.String() != e.pkg.Integrity {
					t.Errorf("error is not a %T wanting the locked digest: %v", want, err)
				}
			}
			msg := err.Error()
			for _, s := range append([]string{faultName + "@" + faultVersion, e.url}, tt.wantMsg...) {
				if !strings.Contains(msg, s) {
					t.Errorf("error lacks %q:\n%s", s, msg)
				}
			}
			if tt.maxBytes > 0 && res.Bytes > tt.maxBytes {
				t.Errorf("read %d bytes past the %d-byte cap", res.Bytes, tt.maxBytes)
			}
		})
	}
	// The endless server was stopped near the cap: flow control and socket
	// buffers let it run a few MiB ahead of the reader, never unboundedly.
	if n := endless.Load(); n > 64<<20 {
		t.Errorf("the endless server wrote %d bytes for a 1 MiB cap", n)
	}
}

func mw(m ...testregistry.Middleware) []testregistry.Middleware { return m }
