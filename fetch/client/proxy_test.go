package client

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/fetch/npmrc"
)

// The Getter and Locator shapes fetch depends on.
var (
	_ interface {
		Get(context.Context, string, http.Header) (*http.Response, error)
	} = (*Client)(nil)
	_ interface {
		TarballURL(name, version, resolved string) (string, error)
	} = (*npmrc.Config)(nil)
)

// connectProxy is a minimal HTTP CONNECT proxy that records the targets.
func connectProxy(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var targets []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		mu.Lock()
		targets = append(targets, r.Host)
		mu.Unlock()
		upstream, err := net.Dial("tcp", r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusOK)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			upstream.Close()
			return
		}
		go func() { io.Copy(upstream, buf); upstream.Close() }()
		io.Copy(conn, upstream)
		conn.Close()
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), targets...) }
}

// TestNpmrcEndToEnd wires the client the way airlock does: credentials
// from npmrc's AuthFor, proxy from npmrc's Proxy, CA from its cafile.
func TestNpmrcEndToEnd(t *testing.T) {
	ca := newCA(t)
	var mu sync.Mutex
	seen := map[string]string{}
	srv := serve(t, ca.leaf(t, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		if r.URL.Path == "/npm/a/-/a-1.0.0.tgz" {
			http.Redirect(w, r, strings.Replace(srvURL(r), "127.0.0.1", "localhost", 1)+"/cdn/a.tgz", http.StatusFound)
			return
		}
		io.WriteString(w, "tarball")
	}), nil)
	proxy, targets := connectProxy(t)

	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	host := strings.TrimPrefix(srv.URL, "https://")
	os.WriteFile(caFile, ca.PEM, 0o644)
	os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(strings.Join([]string{
		"registry=" + srv.URL + "/npm/",
		"//" + host + "/npm/:_authToken=${TOKEN}",
		"cafile=" + caFile,
		"https-proxy=" + proxy.URL,
	}, "\n")), 0o644)
	cfg, err := npmrc.Load(dir, []string{"HOME=" + dir, "PATH=", "TOKEN=s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	caSetting, ok := cfg.CA()
	if !ok {
		t.Fatal("no cafile")
	}
	bundle, err := ReadCAFile(caSetting.File, "cafile in "+caSetting.Source)
	if err != nil {
		t.Fatal(err)
	}
	p, err := cfg.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Options{ExtraCAs: []CABundle{bundle}, Auth: cfg.AuthFor, Proxy: p.Func()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()

	url, err := cfg.TarballURL("a", "1.0.0", "")
	if err != nil || url != srv.URL+"/npm/a/-/a-1.0.0.tgz" {
		t.Fatalf("TarballURL = %q, %v", url, err)
	}
	resp, err := c.Get(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(data) != "tarball" {
		t.Fatalf("body %q, %v", data, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["/npm/a/-/a-1.0.0.tgz"] != "Bearer s3cret" || seen["/cdn/a.tgz"] != "" {
		t.Errorf("Authorization seen = %q", seen)
	}
	if got := targets(); len(got) != 2 {
		t.Errorf("proxy tunnels = %q, want one per host", got)
	}
}

func srvURL(r *http.Request) string { return (&url.URL{Scheme: "https", Host: r.Host}).String() }

func BenchmarkGet1MiB(b *testing.B) {
	ca := newCA(b)
	payload := strings.Repeat("x", 1<<20)
	srv := serve(b, ca.leaf(b, leafOpts{}), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, payload)
	}), nil)
	c, err := New(Options{ExtraCAs: []CABundle{ca.bundle()}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	b.SetBytes(int64(len(payload)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(context.Background(), srv.URL, nil)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
