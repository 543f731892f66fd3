package testregistry

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFailFirst(t *testing.T) {
	r := New(t, WithMiddleware(FailFirst("/ms", 2, 503, "Retry-After", "1")))
	for i, want := range []int{503, 503, 200, 200} {
		resp, _ := get(t, r, "/ms")
		if resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == 503 && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("request %d: Retry-After %q", i+1, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := get(t, r, "/debug"); resp.StatusCode != 200 {
		t.Errorf("unmatched path failed: %s", resp.Status)
	}
	var statuses []int
	for _, req := range r.Requests() {
		statuses = append(statuses, req.Status)
	}
	if got := statuses; len(got) != 5 || got[0] != 503 || got[2] != 200 {
		t.Errorf("logged statuses %v, want the injected 503s first", got)
	}
}

func TestReplace(t *testing.T) {
	evil := []byte("not the tarball you locked")
	path := TarballPath("ms", "2.1.3")
	r := New(t, WithMiddleware(Replace(path, evil)))
	resp, body := get(t, r, path)
	if resp.StatusCode != 200 || !bytes.Equal(body, evil) {
		t.Fatalf("got %s %q", resp.Status, body)
	}
	if real, _ := r.Tarball("ms", "2.1.3"); bytes.Equal(real, evil) {
		t.Fatal("Replace changed the registry's own copy")
	}
}

func TestTruncate(t *testing.T) {
	path := TarballPath("semver", "7.7.2")
	r := New(t, WithMiddleware(Truncate(path, 100)))
	full, _ := r.Tarball("semver", "7.7.2")
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: r.Client().Transport.(*http.Transport).TLSClientConfig.Clone(), ForceAttemptHTTP2: h2}
		if !h2 {
			tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		}
		resp, err := (&http.Client{Transport: tr}).Get(strings.TrimSuffix(r.URL(), "/") + path)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ContentLength != int64(len(full)) {
			t.Errorf("h2=%t: Content-Length %d, want the full %d", h2, resp.ContentLength, len(full))
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Errorf("h2=%t: read %d bytes without error from a truncated body", h2, len(b))
		}
		if len(b) > 100 {
			t.Errorf("h2=%t: read %d bytes, more than the 100 sent", h2, len(b))
		}
	}
}

func TestRequireTokenAndLog(t *testing.T) {
	r := New(t, WithMiddleware(RequireToken("/@airlock-fixture/*", "s3cret")))
	if resp, _ := get(t, r, "/@airlock-fixture%2fmodes"); resp.StatusCode != 401 {
		t.Errorf("no token: %s, want 401", resp.Status)
	}
	if resp, _ := get(t, r, "/@airlock-fixture%2fmodes", "Authorization", "Bearer wrong"); resp.StatusCode != 401 {
		t.Errorf("wrong token: %s, want 401", resp.Status)
	}
	if resp, _ := get(t, r, "/@airlock-fixture%2fmodes", "Authorization", "Bearer s3cret"); resp.StatusCode != 200 {
		t.Errorf("right token: %s, want 200", resp.Status)
	}
	if resp, _ := get(t, r, "/ms"); resp.StatusCode != 200 {
		t.Errorf("outside the prefix: %s, want 200", resp.Status)
	}
	reqs := r.Requests()
	if len(reqs) != 4 {
		t.Fatalf("logged %d requests, want 4", len(reqs))
	}
	if reqs[0].HasAuth() || !reqs[2].HasAuth() || reqs[2].Authorization != "Bearer s3cret" {
		t.Errorf("auth log: %+v", reqs)
	}
	if reqs[0].URI != "/@airlock-fixture%2fmodes" || reqs[0].Path != "/@airlock-fixture/modes" {
		t.Errorf("URI %q Path %q: want the escaped form kept in URI and decoded in Path", reqs[0].URI, reqs[0].Path)
	}
	if reqs[0].Proto != "HTTP/2.0" {
		t.Errorf("Proto %q", reqs[0].Proto)
	}
	r.ResetRequests()
	if len(r.Requests()) != 0 {
		t.Error("ResetRequests left entries")
	}
}

func TestRedirect(t *testing.T) {
	other := New(t)
	path := TarballPath("ms", "2.1.3")
	r := New(t, WithMiddleware(Redirect(path, other.TarballURL("ms", "2.1.3"), http.StatusFound)))
	c := r.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(strings.TrimSuffix(r.URL(), "/") + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != other.TarballURL("ms", "2.1.3") {
		t.Errorf("got %s to %q", resp.Status, resp.Header.Get("Location"))
	}
}

func TestDelay(t *testing.T) {
	r := New(t, WithMiddleware(Delay("*", 300*time.Millisecond)))
	c := r.Client()
	c.Timeout = 50 * time.Millisecond
	if _, err := c.Get(r.URL() + "ms"); err == nil {
		t.Error("a client with a shorter timeout got an answer")
	}
	start := time.Now()
	if resp, _ := get(t, r, "/ms"); resp.StatusCode != 200 {
		t.Errorf("delayed request: %s", resp.Status)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("answered after %v, before the delay", d)
	}
}

// rawGet fetches path with a client that trusts r and, unlike get, returns
// body errors instead of failing the test. h2 picks the protocol.
func rawGet(t *testing.T, r *Registry, path string, h2 bool, timeout time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: r.Client().Transport.(*http.Transport).TLSClientConfig.Clone(), ForceAttemptHTTP2: h2}
	if !h2 {
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: timeout}).Get(strings.TrimSuffix(r.URL(), "/") + path)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFirst(t *testing.T) {
	path := TarballPath("ms", "2.1.3")
	r := New(t, WithMiddleware(First(1, path, Reset(path, 10))))
	full, _ := r.Tarball("ms", "2.1.3")
	if _, b, err := rawGet(t, r, path, true, 0); err == nil || len(b) > 10 {
		t.Errorf("first request: %d bytes, %v; want a reset after 10", len(b), err)
	}
	if _, b, err := rawGet(t, r, path, true, 0); err != nil || !bytes.Equal(b, full) {
		t.Errorf("second request: %d bytes, %v; want the whole tarball", len(b), err)
	}
}

func TestReset(t *testing.T) {
	path := TarballPath("semver", "7.7.2")
	r := New(t, WithMiddleware(Reset(path, 100)))
	for _, h2 := range []bool{true, false} {
		resp, b, err := rawGet(t, r, path, h2, 0)
		if resp == nil {
			t.Fatalf("h2=%t: no response: %v", h2, err)
		}
		if err == nil || len(b) > 100 {
			t.Errorf("h2=%t: read %d bytes, err %v; want at most 100 and an error", h2, len(b), err)
		}
		if !h2 && !strings.Contains(err.Error(), "connection reset") {
			t.Errorf("HTTP/1.1: %v, want a connection reset", err)
		}
	}
}

func TestStall(t *testing.T) {
	path := TarballPath("ms", "2.1.3")
	r := New(t, WithMiddleware(Stall(path, 50)))
	full, _ := r.Tarball("ms", "2.1.3")
	resp, b, err := rawGet(t, r, path, true, 200*time.Millisecond)
	if resp == nil || resp.ContentLength != int64(len(full)) {
		t.Fatalf("want the headers with the full Content-Length, got %v", err)
	}
	if err == nil || len(b) != 50 {
		t.Errorf("read %d bytes, %v; want 50 then a timeout", len(b), err)
	}
}

func TestEndless(t *testing.T) {
	var written atomic.Int64
	r := New(t, WithMiddleware(Endless("/big", &written)))
	tr := r.Client()
	resp, err := tr.Get(r.URL() + "big")
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 10*EndlessChunk))
	resp.Body.Close()
	if n != 10*EndlessChunk || resp.ContentLength != -1 {
		t.Errorf("read %d bytes, Content-Length %d", n, resp.ContentLength)
	}
	if written.Load() < n {
		t.Errorf("written counts %d, fewer than the %d read", written.Load(), n)
	}
}

func TestContentEncodingAndGzip(t *testing.T) {
	path := TarballPath("ms", "2.1.3")
	full, _ := New(t).Tarball("ms", "2.1.3")

	// The label alone: Go's transport undoes the "gzip" the tarball's own
	// compression stands for, and hands out the inner tar.
	lie := New(t, WithMiddleware(ContentEncoding(path, "gzip")))
	resp, b, err := rawGet(t, lie, path, true, 0)
	if err != nil || !resp.Uncompressed || bytes.Equal(b, full) || !bytes.HasPrefix(b, []byte("package/")) {
		t.Errorf("labelled gzip: %d bytes (uncompressed %t), %v; want the inner tar", len(b), resp != nil && resp.Uncompressed, err)
	}

	// Really encoded: decoding gives back exactly the tarball.
	honest := New(t, WithMiddleware(Gzip(path)))
	resp, b, err = rawGet(t, honest, path, false, 0)
	if err != nil || !resp.Uncompressed || !bytes.Equal(b, full) {
		t.Errorf("gzip-encoded: %d bytes, %v; want the tarball", len(b), err)
	}
}

func TestErrorPage(t *testing.T) {
	r := New(t, WithMiddleware(ErrorPage("*")))
	resp, b := get(t, r, TarballPath("ms", "2.1.3"))
	if resp.StatusCode != 200 || string(b) != ErrorPageHTML {
		t.Errorf("got %s %q", resp.Status, b)
	}
}

func TestWithTLSConfig(t *testing.T) {
	r := New(t, WithTLSConfig(func(cfg *tls.Config, ca *CA) error {
		leaf, err := ca.Leaf(LeafOptions{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
		cfg.Certificates = []tls.Certificate{leaf}
		return err
	}))
	_, err := r.Client().Get(r.URL())
	var invalid x509.CertificateInvalidError
	if !errors.As(err, &invalid) || invalid.Reason != x509.Expired {
		t.Errorf("expired leaf: %v", err)
	}
	if _, err := Start(WithTLSConfig(func(*tls.Config, *CA) error { return errors.New("boom") })); err == nil {
		t.Error("a failing TLS hook started a registry")
	}
}
