package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newClient(t testing.TB, ca *testCA, edit func(*Options)) *Client {
	t.Helper()
	opts := Options{
		RetryWaitMin:    time.Millisecond,
		RetryWaitMax:    20 * time.Millisecond,
		IdleReadTimeout: 300 * time.Millisecond,
		Proxy:           func(*http.Request) (*url.URL, error) { return nil, nil },
	}
	if ca != nil {
		opts.ExtraCAs = []CABundle{ca.bundle()}
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func get(t testing.TB, c *Client, url string, h http.Header) ([]byte, *http.Response, error) {
	t.Helper()
	resp, err := c.Get(context.Background(), url, h)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return data, resp, err
}

func hello(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") }

// TestTLSMatrix is the TLS attack matrix: each case is a server a client
// must refuse (or, for the controls, accept), named after the attack. A
// refusal must happen before any request reaches the server, must not be
// retried, must name the URL and must say what to do (wantHint). Redirect
// attacks are in TestRedirectMatrix.
func TestTLSMatrix(t *testing.T) {
	ca := newCA(t)
	other := newCA(t)
	self := selfSignedLeaf(t)
	tests := []struct {
		name     string
		cert     tls.Certificate
		trust    []CABundle // nil: system roots only
		server   func(*httptest.Server)
		wantHint string // empty: the connection must succeed
		wantAs   any
	}{
		{name: "control: leaf from a CA given as cafile", cert: ca.leaf(t, leafOpts{}), trust: []CABundle{ca.bundle()}},
		{name: "private CA, system roots only", cert: ca.leaf(t, leafOpts{}),
			wantHint: "set cafile=/path/to/ca.pem in .npmrc or ca_file in airlock.toml", wantAs: &x509.UnknownAuthorityError{}},
		{name: "leaf from an unknown CA", cert: other.leaf(t, leafOpts{}), trust: []CABundle{ca.bundle()},
			wantHint: "set cafile=/path/to/ca.pem", wantAs: &x509.UnknownAuthorityError{}},
		{name: "self-signed leaf", cert: self.cert, trust: []CABundle{ca.bundle()},
			wantHint: "self-signed; if you trust this server, save its certificate to a file and set cafile=", wantAs: &x509.UnknownAuthorityError{}},
		{name: "control: self-signed leaf given as cafile", cert: self.cert, trust: []CABundle{{Source: "self", PEM: self.pem}}},
		{name: "expired leaf", cert: ca.leaf(t, leafOpts{notBefore: time.Now().Add(-48 * time.Hour), notAfter: time.Now().Add(-24 * time.Hour)}),
			trust: []CABundle{ca.bundle()}, wantHint: "check the server and this machine's clock", wantAs: &x509.CertificateInvalidError{}},
		{name: "not-yet-valid leaf", cert: ca.leaf(t, leafOpts{notBefore: time.Now().Add(24 * time.Hour), notAfter: time.Now().Add(48 * time.Hour)}),
			trust: []CABundle{ca.bundle()}, wantHint: "check the server and this machine's clock", wantAs: &x509.CertificateInvalidError{}},
		{name: "leaf for another host name", cert: ca.leaf(t, leafOpts{dns: []string{"registry.example"}}),
			trust: []CABundle{ca.bundle()}, wantHint: "check the registry URL", wantAs: &x509.HostnameError{}},
		{name: "server offers only TLS 1.0 and 1.1", cert: ca.leaf(t, leafOpts{}), trust: []CABundle{ca.bundle()}, server: func(s *httptest.Server) {
			s.TLS.MinVersion, s.TLS.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		}, wantHint: "requires; upgrade the server"},
		{name: "control: server offers only TLS 1.2", cert: ca.leaf(t, leafOpts{}), trust: []CABundle{ca.bundle()}, server: func(s *httptest.Server) {
			s.TLS.MinVersion, s.TLS.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := serve(t, tt.cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				hello(w, r)
			}), tt.server)
			c := newClient(t, nil, func(o *Options) { o.ExtraCAs = tt.trust })
			data, _, err := get(t, c, srv.URL+"/x", nil)
			if tt.wantHint == "" {
				if err != nil || string(data) != "hello" {
					t.Fatalf("got %q, %v", data, err)
				}
				return
			}
			if err == nil {
				t.Fatal("connection accepted")
			}
			if !strings.Contains(err.Error(), tt.wantHint) || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("error %q lacks %q or the URL", err, tt.wantHint)
			}
			switch want := tt.wantAs.(type) {
			case *x509.UnknownAuthorityError:
				if !errors.As(err, want) {
					t.Errorf("error %v is not %T", err, want)
				}
			case *x509.CertificateInvalidError:
				if !errors.As(err, want) || want.Reason != x509.Expired {
					t.Errorf("error %v is not an expiry %T", err, want)
				}
			case *x509.HostnameError:
				if !errors.As(err, want) {
					t.Errorf("error %v is not %T", err, want)
				}
			}
			var e *Error
			if !errors.As(err, &e) || e.Attempts != 1 {
				t.Errorf("TLS failures must not be retried: %#v", e)
			}
			if requests.Load() != 0 {
				t.Errorf("server handled %d requests over a refused connection", requests.Load())
			}
		})
	}
}

func TestNewRejectsEmptyCABundle(t *testing.T) {
	_, err := New(Options{ExtraCAs: []CABundle{{Source: "cafile /x.pem", PEM: []byte("not a cert")}}})
	if err == nil || !strings.Contains(err.Error(), "/x.pem") {
		t.Errorf("err = %v", err)
	}
}

// TestCABundleParsing: an extra CA bundle is read as
// x509.CertPool.AppendCertsFromPEM reads it (only header-less CERTIFICATE
// blocks that parse count), and parsed once per process however many
// clients use it.
func TestCABundleParsing(t *testing.T) {
	ca, other := newCA(t), newCA(t)
	withHeader := strings.Replace(string(other.PEM), "-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n", 1)
	bundle := "# comment\n" +
		"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" +
		"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n" +
		withHeader + string(ca.PEM)
	want := x509.NewCertPool()
	if !want.AppendCertsFromPEM([]byte(bundle)) {
		t.Fatal("AppendCertsFromPEM found no certificate")
	}
	got := parseCABundle([]byte(bundle))
	if len(got) != 1 || !got[0].Equal(ca.cert) {
		t.Fatalf("parseCABundle kept %d certificates, want only the test CA", len(got))
	}
	pool := x509.NewCertPool()
	pool.AddCert(got[0])
	if !pool.Equal(want) {
		t.Error("parseCABundle and AppendCertsFromPEM disagree")
	}
	if again := parseCABundle([]byte(bundle)); &again[0] != &got[0] {
		t.Error("the same bundle was parsed twice")
	}
	// Two clients from the one bundle both trust its CA.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(hello))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.leaf(t, leafOpts{})}}
	srv.StartTLS()
	defer srv.Close()
	for i := range 2 {
		c := newClient(t, nil, func(o *Options) { o.ExtraCAs = []CABundle{{Source: "bundle", PEM: []byte(bundle)}} })
		if body, _, err := get(t, c, srv.URL, nil); err != nil || string(body) != "hello" {
			t.Fatalf("client %d: %q, %v", i, body, err)
		}
	}
}

func TestHTTP2AndReuse(t *testing.T) {
	ca := newCA(t)
	var conns atomic.Int32
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(hello), func(s *httptest.Server) {
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	c := newClient(t, ca, nil)
	for i := 0; i < 5; i++ {
		_, resp, err := get(t, c, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 {
			t.Fatalf("negotiated %s, want HTTP/2", resp.Proto)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for 5 sequential requests, want 1", n)
	}
}

// With HTTP/1.1, a second wave of 32 parallel downloads must reuse the first
// wave's connections (net/http keeps only 2 idle per host by default).
func TestParallelReuseHTTP1(t *testing.T) {
	ca := newCA(t)
	var conns atomic.Int32
	release := make(chan struct{})
	var inFlight sync.WaitGroup
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Done()
		<-release
		hello(w, r)
	}), func(s *httptest.Server) {
		http1(s)
		s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				conns.Add(1)
			}
		}
	})
	c := newClient(t, ca, nil)
	const parallel = 32
	for wave := 0; wave < 2; wave++ {
		inFlight.Add(parallel)
		release = make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, parallel)
		for i := 0; i < parallel; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := get(t, c, srv.URL, nil)
				errs <- err
			}()
		}
		inFlight.Wait() // all 32 are in the server at once
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := conns.Load(); n != parallel {
		t.Errorf("%d connections for two waves of %d, want %d", n, parallel, parallel)
	}
}

// TestRedirectMatrix: redirects are followed hop by hop, each hop checked:
// same-host and relative hops keep the registry's credential, a hop to
// another host carries none (the server side records what arrived), a hop
// to plain http is refused before connecting, and loops are bounded.
func TestRedirectMatrix(t *testing.T) {
	ca := newCA(t)
	cert := ca.leaf(t, leafOpts{})
	type seen struct{ path, auth string }
	var mu sync.Mutex
	var log []seen
	record := func(r *http.Request) {
		mu.Lock()
		log = append(log, seen{r.URL.Path, r.Header.Get("Authorization")})
		mu.Unlock()
	}
	cdn := serve(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		hello(w, r)
	}), nil)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		hello(w, r)
	}))
	defer plain.Close()
	var reg *httptest.Server
	reg = serve(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		switch r.URL.Path {
		case "/to-cdn":
			// Another host: "localhost" instead of 127.0.0.1.
			http.Redirect(w, r, strings.Replace(cdn.URL, "127.0.0.1", "localhost", 1)+"/blob?sig=secret", http.StatusFound)
		case "/same-host":
			http.Redirect(w, r, "/final", http.StatusMovedPermanently)
		case "/relative":
			w.Header().Set("Location", "final")
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "/to-http":
			http.Redirect(w, r, plain.URL+"/x", http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/no-location":
			w.WriteHeader(http.StatusFound)
		default:
			hello(w, r)
		}
	}), nil)
	regHost := strings.TrimPrefix(reg.URL, "https://")
	// The credential belongs to the registry's host:port only, as npmrc's
	// AuthFor would decide.
	auth := func(u string) (string, bool) {
		if strings.HasPrefix(u, "https://"+regHost+"/") {
			return "Bearer TOKEN", true
		}
		return "", false
	}
	c := newClient(t, ca, func(o *Options) { o.Auth = auth })
	caller := http.Header{"Authorization": {"Bearer FROM-CALLER"}, "Accept": {"application/octet-stream"}}

	tests := []struct {
		name    string
		path    string
		wantErr error
		hint    string
		want    []seen // requests as the servers saw them, Authorization included
	}{
		{"redirect to another host does not carry the token", "/to-cdn", nil, "", []seen{{"/to-cdn", "Bearer TOKEN"}, {"/blob", ""}}},
		{"same-host redirect keeps the token", "/same-host", nil, "", []seen{{"/same-host", "Bearer TOKEN"}, {"/final", "Bearer TOKEN"}}},
		{"relative redirect keeps the token", "/relative", nil, "", []seen{{"/relative", "Bearer TOKEN"}, {"/final", "Bearer TOKEN"}}},
		{"https to http redirect is refused before connecting", "/to-http", ErrInsecureRedirect, "must redirect to https://", []seen{{"/to-http", "Bearer TOKEN"}}},
		{"redirect without Location", "/no-location", nil, "", []seen{{"/no-location", "Bearer TOKEN"}}},
		{"redirect loop is bounded", "/loop", ErrTooManyRedirects, "redirects in a loop; check the registry URL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			log = nil
			mu.Unlock()
			data, _, err := get(t, c, reg.URL+tt.path, caller)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.hint) {
					t.Fatalf("err = %v, want %v saying %q", err, tt.wantErr, tt.hint)
				}
			case tt.path == "/no-location":
				if err == nil || !strings.Contains(err.Error(), "Location") {
					t.Fatalf("err = %v", err)
				}
			case err != nil || string(data) != "hello":
				t.Fatalf("got %q, %v", data, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.path == "/loop" {
				if len(log) != MaxRedirects+1 {
					t.Errorf("loop made %d requests, want %d", len(log), MaxRedirects+1)
				}
				return
			}
			if fmt.Sprint(log) != fmt.Sprint(tt.want) {
				t.Errorf("requests = %v, want %v", log, tt.want)
			}
		})
	}
	// The redacted URL in errors hides signed query values.
	if strings.Contains(Redact("https://u:p@h/x?sig=secret&a=1"), "secret") || strings.Contains(Redact("https://u:p@h/x"), "p@") {
		t.Error("Redact leaks")
	}
}

func TestRefusedURLs(t *testing.T) {
	c := newClient(t, nil, nil)
	for _, tt := range []struct {
		url  string
		want error
	}{
		{"http://registry.npmjs.org/x", ErrNotHTTPS},
		{"ftp://x/y", ErrNotHTTPS},
		{"//host/x", ErrNotHTTPS},
		{"https://someuser:s3cr3t@registry.example/x", ErrCredentialsInURL},
	} {
		_, err := c.Get(context.Background(), tt.url, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("Get(%q) = %v, want %v", tt.url, err, tt.want)
		}
		if strings.Contains(fmt.Sprint(err), "s3cr3t") || strings.Contains(fmt.Sprint(err), "someuser") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}

func TestRetries(t *testing.T) {
	ca := newCA(t)
	cert := ca.leaf(t, leafOpts{})
	tests := []struct {
		name      string
		statuses  []int // served in order, then 200
		header    http.Header
		edit      func(*Options)
		wantCode  int // 0: success
		wantCalls int
	}{
		{"500 then success", []int{500}, nil, nil, 0, 2},
		{"502, 503 then success", []int{502, 503}, nil, nil, 0, 3},
		{"always 503 stops at MaxAttempts", []int{503, 503, 503, 503, 503, 503}, nil, nil, 503, DefaultMaxAttempts},
		{"501 is not retried", []int{501}, nil, nil, 501, 1},
		{"404 is not retried", []int{404}, nil, nil, 404, 1},
		{"401 is not retried", []int{401}, nil, nil, 401, 1},
		{"429 then success", []int{429}, nil, nil, 0, 2},
		{"429 with Retry-After longer than RetryWaitMax is not retried", []int{429}, http.Header{"Retry-After": {"3600"}}, nil, 429, 1},
		{"MaxAttempts 1", []int{500}, nil, func(o *Options) { o.MaxAttempts = 1 }, 500, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := serve(t, cert, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := int(calls.Add(1))
				if n <= len(tt.statuses) {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					w.WriteHeader(tt.statuses[n-1])
					return
				}
				hello(w, r)
			}), nil)
			c := newClient(t, ca, tt.edit)
			data, _, err := get(t, c, srv.URL+"/p", nil)
			if tt.wantCode == 0 {
				if err != nil || string(data) != "hello" {
					t.Fatalf("got %q, %v", data, err)
				}
			} else {
				var se *StatusError
				if !errors.As(err, &se) || se.Code != tt.wantCode {
					t.Fatalf("err = %v, want *StatusError %d", err, tt.wantCode)
				}
				if se.Attempts != tt.wantCalls || !strings.Contains(err.Error(), srv.URL+"/p") {
					t.Errorf("StatusError %+v: %v", se, err)
				}
			}
			if got := int(calls.Load()); got != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	ca := newCA(t)
	var first time.Time
	var gap time.Duration
	var calls atomic.Int32
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		gap = time.Since(first)
		hello(w, r)
	}), nil)
	c := newClient(t, ca, func(o *Options) { o.RetryWaitMax = 5 * time.Second })
	if _, _, err := get(t, c, srv.URL, nil); err != nil {
		t.Fatal(err)
	}
	// A correctness bound, not a speed target: retrying before the server's
	// Retry-After would ignore it.
	if gap < time.Second {
		t.Errorf("retried after %v, before Retry-After: 1", gap)
	}
}

func TestMaxElapsedBoundsRetries(t *testing.T) {
	ca := newCA(t)
	var calls atomic.Int32
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}), nil)
	c := newClient(t, ca, func(o *Options) {
		o.MaxAttempts = 1000
		o.RetryWaitMin, o.RetryWaitMax = 20*time.Millisecond, 40*time.Millisecond
		o.MaxElapsed = 200 * time.Millisecond
	})
	_, _, err := get(t, c, srv.URL, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 503 || !strings.Contains(err.Error(), "would pass the limit of 200ms") {
		t.Fatalf("err = %v", err)
	}
	if n := calls.Load(); n < 2 || n > 20 {
		t.Errorf("%d attempts within a 200ms budget of 10-40ms waits", n)
	}
}

func TestConnectionErrorsRetried(t *testing.T) {
	ca := newCA(t)
	var calls atomic.Int32
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			// Drop the connection without an answer.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		hello(w, r)
	}), http1)
	c := newClient(t, ca, nil)
	data, _, err := get(t, c, srv.URL, nil)
	if err != nil || string(data) != "hello" || calls.Load() != 2 {
		t.Fatalf("got %q, %v after %d calls", data, err, calls.Load())
	}

	// Nothing listening: retried, then an error naming the URL.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, _, err = get(t, c, "https://"+addr+"/x", nil)
	var e *Error
	if !errors.As(err, &e) || e.Attempts != DefaultMaxAttempts || !strings.Contains(err.Error(), addr) {
		t.Errorf("err = %v (%#v)", err, e)
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	ca := newCA(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // the client is about to wait an hour before retrying
		w.WriteHeader(http.StatusServiceUnavailable)
	}), nil)
	c := newClient(t, ca, func(o *Options) {
		o.RetryWaitMin, o.RetryWaitMax, o.MaxElapsed = time.Hour, time.Hour, 3*time.Hour
	})
	_, err := c.Get(ctx, srv.URL, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// hijacked serves raw HTTP/1.1 bytes and then does what end says.
func hijacked(t *testing.T, head string, body []byte, end func(net.Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString(head)
		buf.Write(body)
		buf.Flush()
		end(conn)
	})
}

func TestBodyErrors(t *testing.T) {
	ca := newCA(t)
	cert := ca.leaf(t, leafOpts{})
	chunk := []byte(strings.Repeat("x", 1000))
	done := make(chan struct{})
	defer close(done)
	tests := []struct {
		name    string
		handler http.Handler
		h2      bool
		edit    func(*Options)
		want    error
		msg     string
	}{
		{"short body", hijacked(t, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", chunk, func(c net.Conn) { c.Close() }),
			false, nil, ErrShortBody, "got 1000 of 5000 bytes"},
		{"connection reset mid-body", hijacked(t, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", chunk, func(c net.Conn) {
			c.(*tls.Conn).NetConn().(*net.TCPConn).SetLinger(0)
			c.Close()
		}), false, nil, nil, "bytes"},
		{"reset without Content-Length", hijacked(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n", chunk, func(c net.Conn) {
			c.(*tls.Conn).NetConn().(*net.TCPConn).SetLinger(0)
			c.Close()
		}), false, nil, ErrBrokenBody, "broke off mid-body after 1000 bytes"},
		{"short body over HTTP/2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			w.Write(chunk)
		}), true, nil, ErrShortBody, ""},
		{"stalled body", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "5000")
			w.Write(chunk)
			http.NewResponseController(w).Flush()
			select {
			case <-done:
			case <-r.Context().Done():
			}
		}), true, nil, ErrStalled, "no data for 300ms"},
		{"trickling body", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// A byte every 100ms never trips the 300ms idle timeout;
			// only the whole-body bound stops it.
			w.Header().Set("Content-Length", "5000")
			for i := 0; i < 5000; i++ {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				http.NewResponseController(w).Flush()
				select {
				case <-done:
					return
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}), true, func(o *Options) { o.BodyTimeout = 700 * time.Millisecond }, ErrStalled, "the body took longer than 700ms"},
		{"endless body", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}), true, func(o *Options) { o.MaxBodySize = 1 << 20 }, ErrTooLarge, "more than 1048576 bytes"},
		{"Content-Length over the limit", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "2000000")
			w.Write(chunk)
		}), true, func(o *Options) { o.MaxBodySize = 1 << 20 }, ErrTooLarge, "Content-Length 2000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			configure := http1
			if tt.h2 {
				configure = nil
			}
			srv := serve(t, cert, tt.handler, configure)
			c := newClient(t, ca, tt.edit)
			data, _, err := get(t, c, srv.URL+"/file.tgz", nil)
			if err == nil {
				t.Fatalf("read %d bytes without error", len(data))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), srv.URL+"/file.tgz") {
				t.Errorf("error %q lacks %q or the URL", err, tt.msg)
			}
			if tt.want == ErrTooLarge && int64(len(data)) > 1<<20 {
				t.Errorf("read %d bytes past the limit", len(data))
			}
		})
	}
}

// A consumer that pauses between reads is not a stalled server.
func TestSlowConsumerIsNotStalled(t *testing.T) {
	ca := newCA(t)
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(hello), nil)
	c := newClient(t, ca, func(o *Options) { o.IdleReadTimeout = 50 * time.Millisecond })
	resp, err := c.Get(context.Background(), srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	time.Sleep(150 * time.Millisecond)
	data, err := io.ReadAll(resp.Body)
	if err != nil || string(data) != "hello" {
		t.Fatalf("got %q, %v", data, err)
	}
}

func TestStatusErrorHints(t *testing.T) {
	tests := []struct {
		err  StatusError
		want string
	}{
		{StatusError{URL: "https://r/x", Code: 401, SentAuth: true}, "token has not expired"},
		{StatusError{URL: "https://r/x", Code: 401}, "none is configured"},
		{StatusError{URL: "https://r/x", Code: 403}, "may not exist"},
		{StatusError{URL: "https://r/x", Code: 403, SentAuth: true}, "refused the credential"},
		{StatusError{URL: "https://r/x", Code: 404}, "private package"},
		{StatusError{URL: "https://r/x", Code: 429, RetryAfter: time.Hour}, "asked to wait 1h0m0s"},
		{StatusError{URL: "https://r/x", Code: 503, Attempts: 4}, "after 4 attempts"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); !strings.Contains(got, tt.want) || !strings.Contains(got, "https://r/x") {
			t.Errorf("%+v: %q lacks %q", tt.err, got, tt.want)
		}
	}
}

func TestClientCertsPerHost(t *testing.T) {
	ca := newCA(t)
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(hello), func(s *httptest.Server) {
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = pool
	})
	host := strings.TrimPrefix(srv.URL, "https://")
	clientCert := ca.leaf(t, leafOpts{clientAuth: true, dns: []string{"client"}})

	with := newClient(t, ca, func(o *Options) { o.ClientCerts = map[string]tls.Certificate{host: clientCert} })
	if data, _, err := get(t, with, srv.URL, nil); err != nil || string(data) != "hello" {
		t.Fatalf("with client cert: %q, %v", data, err)
	}
	otherHost := newClient(t, ca, func(o *Options) { o.ClientCerts = map[string]tls.Certificate{"elsewhere.example": clientCert} })
	if _, _, err := get(t, otherHost, srv.URL, nil); err == nil {
		t.Fatal("a certificate configured for another host was presented")
	}

	// Without a certificate the client sees, depending on timing, the
	// server's "certificate required" alert, a write that broke (EPIPE,
	// ECONNRESET) or an HTTP/2 connection that "could not be established".
	// Every outcome must name the missing client certificate: many fresh
	// clients at once, one try each, make the racy outcomes likely.
	wantHint := "the server asked for a TLS client certificate and none is configured for " + host
	var wg sync.WaitGroup
	errs := make([]error, 24)
	for i := range errs {
		wg.Go(func() {
			c := newClient(t, ca, func(o *Options) { o.MaxAttempts = 1 })
			_, _, errs[i] = get(t, c, srv.URL, nil)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err == nil || !strings.Contains(err.Error(), wantHint) {
			t.Errorf("no client certificate: %v, want the hint %q", err, wantHint)
		}
	}

	// A server that asks for none and drops the connection gets no such hint.
	plain := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}), http1)
	_, _, err := get(t, newClient(t, ca, func(o *Options) { o.MaxAttempts = 1 }), plain.URL, nil)
	if err == nil || strings.Contains(err.Error(), "client certificate") {
		t.Errorf("dropped connection without a certificate request: %v", err)
	}
}

func TestReadCAFile(t *testing.T) {
	ca := newCA(t)
	dir := t.TempDir()
	path := dir + "/ca.pem"
	if err := os.WriteFile(path, ca.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := ReadCAFile(path, "cafile in .npmrc")
	if err != nil || !strings.Contains(b.Source, path) {
		t.Fatalf("ReadCAFile = %+v, %v", b, err)
	}
	if _, err := ReadCAFile(dir+"/missing.pem", "cafile in .npmrc"); err == nil || !strings.Contains(err.Error(), "cafile in .npmrc") {
		t.Errorf("missing file: %v", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		in     string
		min    time.Duration
		max    time.Duration
		wantOK bool
	}{
		{"120", 120 * time.Second, 120 * time.Second, true},
		{" 0 ", 0, 0, true},
		{"-1", 0, 0, false},
		{"", 0, 0, false},
		{"soon", 0, 0, false},
		// A server cannot make the number overflow into a short wait.
		{"99999999999999999", 365 * 24 * time.Hour, 365 * 24 * time.Hour, true},
		{future, 80 * time.Second, 90 * time.Second, true},
		{past, 0, 0, true},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.in)
		if ok != tt.wantOK || got < tt.min || got > tt.max {
			t.Errorf("parseRetryAfter(%q) = %v, %t; want %v..%v, %t", tt.in, got, ok, tt.min, tt.max, tt.wantOK)
		}
	}
}

// A server that accepts the TCP connection and never answers the TLS
// handshake is bounded by ResponseHeaderTimeout, retried like any timeout,
// and named.
func TestHandshakeNeverCompletes(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepted atomic.Int32
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			conns = append(conns, c) // held open, silent
		}
	}()
	c := newClient(t, nil, func(o *Options) { o.ResponseHeaderTimeout, o.MaxAttempts = 200*time.Millisecond, 2 })
	start := time.Now()
	_, _, err = get(t, c, "https://"+l.Addr().String()+"/x.tgz", nil)
	// Generous (25x) so that load cannot fail it; without the bound the
	// two tries would wait out the 30 s handshake timeout each.
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v for two 200ms handshake timeouts", took)
	}
	var e *Error
	if !errors.As(err, &e) || e.Attempts != 2 || !strings.Contains(err.Error(), "TLS handshake timeout") ||
		!strings.Contains(err.Error(), l.Addr().String()) || !strings.Contains(err.Error(), "did not answer in time") {
		t.Errorf("err = %v", err)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}
