package testregistry

import (
	"bytes"
	"crypto/tls"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed tarballs/*.tgz
var fixtures embed.FS

// DefaultTime is the publish time every version gets unless a packument
// hook says otherwise: long enough ago that no release-age policy trips.
var DefaultTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Registry is a running local registry.
type Registry struct {
	srv    *http.Server
	ln     net.Listener
	url    string
	dir    string // holds the CA file; removed by Close
	caFile string
	certs  *certs
	tb     testing.TB

	mu       sync.RWMutex
	pkgs     map[string]map[string]*version
	hooks    []func(name string, doc map[string]any)
	requests []Request

	closeOnce sync.Once
	closeErr  error
}

// Request is one logged request, recorded after the response was written.
type Request struct {
	Method string
	// URI is the request target exactly as sent (escaped path and query),
	// so "/@s%2fn" and "/@s/n" stay distinguishable.
	URI string
	// Path is the decoded path, the form middlewares match.
	Path  string
	Proto string // "HTTP/2.0" or "HTTP/1.1"
	// Authorization is the header's value, empty when absent.
	Authorization string
	Header        http.Header
	Status        int
}

// HasAuth reports whether the request carried an Authorization header.
func (r Request) HasAuth() bool { return r.Authorization != "" }

// Middleware wraps the registry's handler. The first one given wraps the
// others, so it sees requests first.
type Middleware = func(http.Handler) http.Handler

// Option configures a registry.
type Option func(*config)

type config struct {
	addr        string
	noFixtures  bool
	middlewares []Middleware
	hooks       []func(string, map[string]any)
	tls         func(*tls.Config, *CA) error
	http1Only   bool
}

// WithAddr listens on addr instead of 127.0.0.1:0 (a free loopback port).
func WithAddr(addr string) Option { return func(c *config) { c.addr = addr } }

// WithoutFixtures starts with no packages; only Add-ed tarballs are served.
func WithoutFixtures() Option { return func(c *config) { c.noFixtures = true } }

// WithMiddleware wraps the handler (fault injection, logging, ...).
func WithMiddleware(m ...Middleware) Option {
	return func(c *config) { c.middlewares = append(c.middlewares, m...) }
}

// WithTLSConfig lets a test change the server's TLS configuration before it
// starts: serve an expired, misnamed or self-signed certificate (issued by
// the registry's own CA, ca, or another one), or offer only old TLS
// versions. CAFile still holds the registry's own CA.
func WithTLSConfig(f func(cfg *tls.Config, ca *CA) error) Option {
	return func(c *config) { c.tls = f }
}

// WithHTTP1Only turns HTTP/2 off, as behind many proxies and for npm; some
// faults (a TCP reset, a connection closed mid-body) exist only there.
func WithHTTP1Only() Option { return func(c *config) { c.http1Only = true } }

// WithPackumentHook lets a test edit the full packument of a package before
// it is served (add dist.signatures, set time[version] or deprecated, point
// dist.tarball elsewhere). The abbreviated document is derived from the
// edited one, so both stay consistent.
func WithPackumentHook(h func(name string, doc map[string]any)) Option {
	return func(c *config) { c.hooks = append(c.hooks, h) }
}

// New starts a registry for a test and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	r, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	r.tb = t
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("testregistry: close: %v", err)
		}
	})
	return r
}

// Start starts a registry outside a Go test (testscript Setup, the
// standalone command). The caller must Close it.
func Start(opts ...Option) (*Registry, error) {
	c := config{addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(&c)
	}
	r := &Registry{pkgs: map[string]map[string]*version{}, hooks: c.hooks}
	if !c.noFixtures {
		if err := r.loadFixtures(); err != nil {
			return nil, err
		}
	}
	var err error
	if r.certs, err = newCerts(); err != nil {
		return nil, fmt.Errorf("testregistry: certificates: %w", err)
	}
	if r.dir, err = os.MkdirTemp("", "testregistry-"); err != nil {
		return nil, err
	}
	r.caFile = filepath.Join(r.dir, "ca.pem")
	if err := os.WriteFile(r.caFile, r.certs.caPEM, 0o644); err != nil {
		os.RemoveAll(r.dir)
		return nil, err
	}
	if r.ln, err = net.Listen("tcp", c.addr); err != nil {
		os.RemoveAll(r.dir)
		return nil, fmt.Errorf("testregistry: %w", err)
	}
	host := r.ln.Addr().String()
	if a, ok := r.ln.Addr().(*net.TCPAddr); ok && a.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(a.Port))
	}
	r.url = "https://" + host + "/"

	var h http.Handler = http.HandlerFunc(r.serve)
	for i := len(c.middlewares) - 1; i >= 0; i-- {
		h = c.middlewares[i](h)
	}
	// ServeTLS adds h2 and http/1.1 to NextProtos: npm speaks HTTP/1.1,
	// Go clients HTTP/2.
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{r.certs.leaf}, MinVersion: tls.VersionTLS12}
	if c.tls != nil {
		if err := c.tls(tlsConfig, r.certs.ca); err != nil {
			r.ln.Close()
			os.RemoveAll(r.dir)
			return nil, fmt.Errorf("testregistry: TLS config: %w", err)
		}
	}
	r.srv = &http.Server{
		Handler:           r.logging(h),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		// Handshake failures are what some tests provoke; keep them
		// out of the test output.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if c.http1Only {
		// A non-nil empty map is net/http's documented HTTP/2 off switch.
		r.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	go r.srv.ServeTLS(r.ln, "", "")
	return r, nil
}

func (r *Registry) loadFixtures() error {
	entries, err := fs.ReadDir(fixtures, "tarballs")
	if err != nil {
		return err
	}
	for _, e := range entries {
		b, err := fixtures.ReadFile(path.Join("tarballs", e.Name()))
		if err != nil {
			return err
		}
		if err := r.add(b); err != nil {
			return fmt.Errorf("testregistry: fixture %s: %w", e.Name(), err)
		}
	}
	return nil
}

// Close stops the server and removes the CA file. It is safe to call twice.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		// Close, not Shutdown: a graceful HTTP/2 shutdown waits a second
		// for GOAWAY, on every test, and nothing here needs grace.
		r.closeErr = r.srv.Close()
		if err := os.RemoveAll(r.dir); err != nil && r.closeErr == nil {
			r.closeErr = err
		}
	})
	return r.closeErr
}

// URL is the registry's base URL, with a trailing slash.
func (r *Registry) URL() string { return r.url }

// CAFile is the path of the PEM file holding the registry's CA certificate.
func (r *Registry) CAFile() string { return r.caFile }

// Npmrc is the .npmrc text pointing npm (and airlock) at this registry:
// its URL as registry= and its CA file as cafile=.
func (r *Registry) Npmrc() string {
	return "registry=" + r.url + "\ncafile=" + r.caFile + "\n"
}

// Client is an HTTP client that trusts the registry's CA (and nothing
// else), speaking HTTP/2.
func (r *Registry) Client() *http.Client {
	return &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: r.certs.pool},
		ForceAttemptHTTP2: true,
	}}
}

// Add serves another tarball, named by its package.json. It replaces an
// already served name@version (the packument's digests change with it).
// Under New, a bad tarball fails the test; the error is returned too.
func (r *Registry) Add(tgz []byte) error {
	err := r.add(tgz)
	if err != nil && r.tb != nil {
		r.tb.Helper()
		r.tb.Fatal(err)
	}
	return err
}

func (r *Registry) add(tgz []byte) error {
	v, err := parseTarball(bytes.Clone(tgz))
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pkgs[v.name] == nil {
		r.pkgs[v.name] = map[string]*version{}
	}
	r.pkgs[v.name][v.version] = v
	return nil
}

// ErrNotFound is returned by Tarball for a package the registry lacks.
var ErrNotFound = errors.New("testregistry: no such package version")

// Tarball returns the bytes served for name@version.
func (r *Registry) Tarball(name, version string) ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v := r.pkgs[name][version]
	if v == nil {
		return nil, fmt.Errorf("%w: %s@%s", ErrNotFound, name, version)
	}
	return bytes.Clone(v.tgz), nil
}

// TarballURL is the absolute URL of name@version's tarball.
func (r *Registry) TarballURL(name, version string) string {
	return strings.TrimSuffix(r.url, "/") + TarballPath(name, version)
}

// Packages lists every served name@version, sorted.
func (r *Registry) Packages() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []string
	for n, vs := range r.pkgs {
		for v := range vs {
			out = append(out, n+"@"+v)
		}
	}
	sort.Strings(out)
	return out
}

// Requests returns the requests served so far, in the order they finished.
func (r *Registry) Requests() []Request {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]Request(nil), r.requests...)
}

// ResetRequests clears the request log.
func (r *Registry) ResetRequests() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = nil
}

func (r *Registry) logging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			r.mu.Lock()
			r.requests = append(r.requests, Request{
				Method:        req.Method,
				URI:           req.RequestURI,
				Path:          req.URL.Path,
				Proto:         req.Proto,
				Authorization: req.Header.Get("Authorization"),
				Header:        req.Header.Clone(),
				Status:        sw.statusOr200(),
			})
			r.mu.Unlock()
		}()
		next.ServeHTTP(sw, req)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) statusOr200() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (r *Registry) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		// Publishing, audit and search are not offered; npm treats 404s
		// from /-/npm/v1/security/... as "no audit service".
		if strings.HasPrefix(req.URL.Path, "/-/") {
			notFound(w)
			return
		}
		w.Header().Set("Allow", "GET, HEAD")
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "method not allowed"})
		return
	}
	p := req.URL.Path
	switch {
	case p == "/":
		writeJSON(w, http.StatusOK, map[string]any{"db_name": "registry"})
		return
	case p == "/-/ping":
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	case strings.HasPrefix(p, "/-/"):
		notFound(w)
		return
	}
	if name, file, ok := strings.Cut(p[1:], "/-/"); ok {
		r.serveTarball(w, req, name, file)
		return
	}
	name, rest := splitName(p[1:])
	if name == "" {
		notFound(w)
		return
	}
	r.servePackument(w, req, name, rest)
}

// splitName splits "a/1.0.0" or "@s/a/1.0.0" into the package name and the
// rest of the path.
func splitName(p string) (name, rest string) {
	parts := strings.SplitN(p, "/", 3)
	if strings.HasPrefix(p, "@") {
		if len(parts) < 2 || parts[1] == "" {
			return "", ""
		}
		name = parts[0] + "/" + parts[1]
		if len(parts) == 3 {
			rest = parts[2]
		}
		return name, rest
	}
	name = parts[0]
	if len(parts) > 1 {
		rest = strings.Join(parts[1:], "/")
	}
	return name, rest
}

func (r *Registry) serveTarball(w http.ResponseWriter, req *http.Request, name, file string) {
	r.mu.RLock()
	var found *version
	for v, pv := range r.pkgs[name] {
		if file == path.Base(name)+"-"+v+".tgz" {
			found = pv
		}
	}
	r.mu.RUnlock()
	if found == nil {
		notFound(w)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+found.shasum+`"`)
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(found.tgz))
}

func (r *Registry) servePackument(w http.ResponseWriter, req *http.Request, name, rest string) {
	doc := r.packument(name)
	if doc == nil {
		notFound(w)
		return
	}
	if rest != "" {
		// /<name>/<version> or /<name>/<tag>: one version document.
		if tags, ok := doc["dist-tags"].(map[string]any); ok {
			if v, ok := tags[rest].(string); ok {
				rest = v
			}
		}
		vd, ok := doc["versions"].(map[string]any)[rest]
		if !ok {
			notFound(w)
			return
		}
		serveJSON(w, req, "application/json", vd)
		return
	}
	if strings.Contains(req.Header.Get("Accept"), "application/vnd.npm.install-v1+json") {
		serveJSON(w, req, "application/vnd.npm.install-v1+json", corgiDoc(doc))
		return
	}
	serveJSON(w, req, "application/json", doc)
}

// packument returns the hooked full document, or nil for an unknown name.
func (r *Registry) packument(name string) map[string]any {
	r.mu.RLock()
	vs := r.pkgs[name]
	if len(vs) == 0 {
		r.mu.RUnlock()
		return nil
	}
	doc := fullDoc(name, vs, r.url, DefaultTime.Format("2006-01-02T15:04:05.000Z"))
	hooks := r.hooks
	r.mu.RUnlock()
	for _, h := range hooks {
		h(name, doc)
	}
	return doc
}

func serveJSON(w http.ResponseWriter, req *http.Request, ctype string, v any) {
	b, err := marshal(v)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("ETag", etag(b))
	http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(b))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "Not found"})
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
