package client

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Limits and defaults. Zero Options fields take the defaults.
const (
	// MaxRedirects bounds a redirect chain (Go and browsers use 10 too).
	MaxRedirects = 10
	// MaxIdleConnsPerHost keeps a connection per parallel download to one
	// registry open between requests (fetch runs about 32 at once).
	MaxIdleConnsPerHost = 64

	DefaultMaxAttempts  = 4
	DefaultRetryWaitMin = 500 * time.Millisecond
	DefaultRetryWaitMax = 30 * time.Second
	// DefaultMaxElapsed bounds the time spent on one URL across retries,
	// waits included; the body download is not counted.
	DefaultMaxElapsed            = 2 * time.Minute
	DefaultResponseHeaderTimeout = time.Minute
	// DefaultIdleReadTimeout is how long a body may send nothing.
	DefaultIdleReadTimeout = time.Minute
	// DefaultBodyTimeout bounds a whole body, so a server trickling a byte
	// a minute cannot hold an install forever. It is npm's fetch-timeout
	// default.
	DefaultBodyTimeout = 5 * time.Minute
	// DefaultMaxBodySize is far above the largest npm tarballs (a few
	// hundred MB) and far below what would fill a disk.
	DefaultMaxBodySize = 1 << 30
	DefaultUserAgent   = "airlock"

	// MaxCAFileSize bounds a CA bundle file; the whole Mozilla store is
	// about 200 KiB.
	MaxCAFileSize = 16 << 20

	dialTimeout         = 30 * time.Second
	tlsHandshakeTimeout = 30 * time.Second
	idleConnTimeout     = 90 * time.Second
)

// CABundle is PEM text trusted in addition to the system roots, with where
// it came from for error messages ("cafile in ~/.npmrc").
type CABundle struct {
	Source string
	PEM    []byte
}

// ReadCAFile reads a PEM bundle from a file, such as npm's cafile,
// airlock.toml's ca_file or NODE_EXTRA_CA_CERTS.
func ReadCAFile(path, source string) (CABundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return CABundle{}, fmt.Errorf("CA file %s (%s): %w", path, source, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxCAFileSize+1))
	if err != nil {
		return CABundle{}, fmt.Errorf("CA file %s (%s): %w", path, source, err)
	}
	if len(data) > MaxCAFileSize {
		return CABundle{}, fmt.Errorf("CA file %s (%s): larger than %d bytes; is it a certificate bundle?", path, source, MaxCAFileSize)
	}
	return CABundle{Source: fmt.Sprintf("%s (%s)", path, source), PEM: data}, nil
}

// Options configures a Client. The zero value is usable.
type Options struct {
	// ExtraCAs are trusted in addition to the system roots. Each must hold
	// at least one PEM certificate.
	ExtraCAs []CABundle
	// Auth returns the Authorization header for a URL, e.g.
	// (*npmrc.Config).AuthFor. It is asked for every request, each
	// redirect hop included; nothing else ever sets Authorization.
	Auth      func(url string) (string, bool)
	UserAgent string
	// Proxy picks a proxy per request; nil means http.ProxyFromEnvironment.
	Proxy func(*http.Request) (*url.URL, error)
	// ClientCerts are client certificates for mutual TLS, by host as it
	// appears in URLs ("host" or "host:port", the default port omitted).
	// A certificate is only ever presented to its host.
	ClientCerts map[string]tls.Certificate

	MaxAttempts                            int // requests per URL, first one included
	RetryWaitMin, RetryWaitMax, MaxElapsed time.Duration
	// ResponseHeaderTimeout bounds each wait for the server before the
	// body: the TCP connect and TLS handshake (at most 30s each, less when
	// this is shorter) and the response headers.
	ResponseHeaderTimeout, IdleReadTimeout time.Duration
	// BodyTimeout bounds the time from response headers to the body's
	// end (npm's fetch-timeout).
	BodyTimeout time.Duration
	MaxBodySize int64
}

// Client performs strict HTTPS GETs. It is safe for concurrent use.
type Client struct {
	opts       Options
	http       *http.Client
	transports []*http.Transport
	// certAsked holds the hosts (hostKey) whose server asked for a client
	// certificate in a TLS handshake while none was configured for them.
	// A server that requires one ends the connection, and depending on
	// timing the client sees its "certificate required" alert or only a
	// connection broken while it writes (EPIPE, ECONNRESET, an HTTP/2
	// connection that "could not be established"); this lets the error say
	// the real cause either way.
	certAsked sync.Map
}

// New builds a Client. It fails when an extra CA bundle holds no
// certificate or the system roots cannot be loaded and no bundle is given.
func New(opts Options) (*Client, error) {
	setDefault(&opts.MaxAttempts, DefaultMaxAttempts)
	setDefault(&opts.RetryWaitMin, DefaultRetryWaitMin)
	setDefault(&opts.RetryWaitMax, DefaultRetryWaitMax)
	setDefault(&opts.MaxElapsed, DefaultMaxElapsed)
	setDefault(&opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	setDefault(&opts.IdleReadTimeout, DefaultIdleReadTimeout)
	setDefault(&opts.BodyTimeout, DefaultBodyTimeout)
	setDefault(&opts.MaxBodySize, DefaultMaxBodySize)
	setDefault(&opts.UserAgent, DefaultUserAgent)
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	if opts.RetryWaitMax < opts.RetryWaitMin {
		opts.RetryWaitMax = opts.RetryWaitMin
	}

	roots, err := x509.SystemCertPool()
	if err != nil {
		if len(opts.ExtraCAs) == 0 {
			return nil, fmt.Errorf("loading the system's trusted certificates: %w; set SSL_CERT_FILE, or cafile in .npmrc", err)
		}
		roots = x509.NewCertPool()
	}
	for _, ca := range opts.ExtraCAs {
		certs := parseCABundle(ca.PEM)
		if len(certs) == 0 {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", ca.Source)
		}
		for _, cert := range certs {
			roots.AddCert(cert)
		}
	}

	base := &http.Transport{
		Proxy: opts.Proxy,
		// A server that accepts connections and then says nothing must not
		// outlast a short ResponseHeaderTimeout (npm's fetch-timeout
		// covers the connection too).
		DialContext: (&net.Dialer{Timeout: min(dialTimeout, opts.ResponseHeaderTimeout), KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    roots,
		},
		// With a custom TLS config net/http only offers HTTP/2 when asked.
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   min(tlsHandshakeTimeout, opts.ResponseHeaderTimeout),
		ResponseHeaderTimeout: opts.ResponseHeaderTimeout,
		MaxIdleConns:          4 * MaxIdleConnsPerHost,
		MaxIdleConnsPerHost:   MaxIdleConnsPerHost,
		IdleConnTimeout:       idleConnTimeout,
	}
	r := &router{def: base, byHost: map[string]*http.Transport{}}
	c := &Client{opts: opts, transports: []*http.Transport{base}}
	// Hosts without a certificate answer a server's request for one with
	// none, as Go does by default, and note that it was asked (the router
	// puts the host in the handshake's context).
	base.TLSClientConfig.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if host, ok := cri.Context().Value(hostCtxKey{}).(string); ok {
			c.certAsked.Store(host, true)
		}
		return &tls.Certificate{}, nil
	}
	for host, cert := range opts.ClientCerts {
		t := base.Clone()
		t.TLSClientConfig.GetClientCertificate = nil
		t.TLSClientConfig.Certificates = []tls.Certificate{cert}
		r.byHost[strings.ToLower(host)] = t
		c.transports = append(c.transports, t)
	}
	c.http = &http.Client{
		Transport: r,
		// Redirects are followed in Get, where each hop is checked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c, nil
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// CloseIdleConnections closes pooled connections, e.g. before exit.
func (c *Client) CloseIdleConnections() {
	for _, t := range c.transports {
		t.CloseIdleConnections()
	}
}

// router sends each request through the transport holding that host's
// client certificate, if any. It deliberately has no CloseIdleConnections:
// retryablehttp calls that on every failed URL, which would drop the pool
// other downloads are using.
type router struct {
	def    *http.Transport
	byHost map[string]*http.Transport
}

func (r *router) RoundTrip(req *http.Request) (*http.Response, error) {
	key := hostKey(req.URL)
	if t, ok := r.byHost[key]; ok {
		return t.RoundTrip(req)
	}
	// net/http dials with a context that keeps the request's values, so the
	// handshake's GetClientCertificate learns the host. Connections are
	// pooled per host, so the host is right for whichever request uses it.
	return r.def.RoundTrip(req.WithContext(context.WithValue(req.Context(), hostCtxKey{}, key)))
}

type hostCtxKey struct{}

// hostKey is the URL's host as npm writes it: lowercased, :443 omitted.
func hostKey(u *url.URL) string {
	h := strings.ToLower(u.Host)
	return strings.TrimSuffix(h, ":443")
}

// Get fetches url and returns a response with status 200 whose Body enforces
// Content-Length, MaxBodySize, IdleReadTimeout and BodyTimeout; the caller
// must close it.
// Any other final status is a *StatusError; everything else an *Error.
// header is sent on every hop, except any Authorization in it.
func (c *Client) Get(ctx context.Context, rawURL string, header http.Header) (*http.Response, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	st := &retryState{opts: &c.opts, start: time.Now()}
	current := rawURL
	for hop := 0; ; hop++ {
		u, err := checkURL(current)
		if err != nil {
			cancel(nil)
			return nil, &Error{URL: Redact(current), Err: err}
		}
		resp, sentAuth, err := c.do(ctx, u, header, st)
		if err != nil {
			cancel(nil)
			return nil, err
		}
		if isRedirect(resp.StatusCode) {
			loc := resp.Header.Get("Location")
			drain(resp.Body)
			if loc == "" {
				cancel(nil)
				return nil, &Error{URL: redactURL(u), Attempts: st.attempts,
					Err: fmt.Errorf("HTTP %d redirect without a Location header", resp.StatusCode)}
			}
			next, err := u.Parse(loc)
			switch {
			case err != nil:
				cancel(nil)
				return nil, &Error{URL: redactURL(u), Err: fmt.Errorf("bad redirect Location %q", Redact(loc))}
			case !strings.EqualFold(next.Scheme, "https"):
				cancel(nil)
				return nil, &Error{URL: redactURL(u), Err: fmt.Errorf("%w: to %s", ErrInsecureRedirect, redactURL(next))}
			case hop+1 > MaxRedirects:
				cancel(nil)
				return nil, &Error{URL: Redact(rawURL), Err: fmt.Errorf("%w: more than %d, last to %s", ErrTooManyRedirects, MaxRedirects, redactURL(next))}
			}
			current = next.String()
			st.attempts = 0
			continue
		}
		if resp.StatusCode != http.StatusOK {
			retryAfter, _ := parseRetryAfter(resp.Header.Get("Retry-After"))
			drain(resp.Body)
			cancel(nil)
			return nil, &StatusError{URL: redactURL(u), Code: resp.StatusCode, Attempts: st.attempts,
				RetryAfter: retryAfter, SentAuth: sentAuth, GaveUp: st.giveUp}
		}
		if resp.ContentLength > c.opts.MaxBodySize {
			drain(resp.Body)
			cancel(nil)
			return nil, &Error{URL: redactURL(u), Err: fmt.Errorf("%w: Content-Length %d, limit %d", ErrTooLarge, resp.ContentLength, c.opts.MaxBodySize)}
		}
		resp.Body = newBody(ctx, cancel, resp, redactURL(u), &c.opts)
		return resp, nil
	}
}

// do sends one hop, retrying as the rules allow.
func (c *Client) do(ctx context.Context, u *url.URL, header http.Header, st *retryState) (*http.Response, bool, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, false, &Error{URL: redactURL(u), Err: err}
	}
	for k, vs := range header {
		if http.CanonicalHeaderKey(k) == "Authorization" {
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	sentAuth := false
	if c.opts.Auth != nil {
		if h, ok := c.opts.Auth(u.String()); ok && h != "" {
			req.Header.Set("Authorization", h)
			sentAuth = true
		}
	}
	rc := &retryablehttp.Client{
		HTTPClient:   c.http,
		RetryWaitMin: c.opts.RetryWaitMin,
		RetryWaitMax: c.opts.RetryWaitMax,
		RetryMax:     c.opts.MaxAttempts - 1,
		CheckRetry:   st.checkRetry,
		Backoff:      st.backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
		// Logger stays nil: nothing here may print a URL or header.
	}
	resp, err := rc.Do(req)
	if err != nil {
		if resp != nil {
			drain(resp.Body)
		}
		if cause := context.Cause(ctx); cause != nil {
			err = cause
		}
		err = unwrapURLError(err)
		if st.giveUp != nil {
			err = fmt.Errorf("%w (%v)", err, st.giveUp)
		}
		_, asked := c.certAsked.Load(hostKey(u))
		return nil, sentAuth, &Error{URL: redactURL(u), Attempts: st.attempts, Err: err, ClientCertAsked: asked}
	}
	return resp, sentAuth, nil
}

func checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("not a URL: %w", unwrapURLError(err))
	case !strings.EqualFold(u.Scheme, "https"):
		return nil, ErrNotHTTPS
	case u.Host == "":
		return nil, fmt.Errorf("URL has no host")
	case u.User != nil:
		return nil, ErrCredentialsInURL
	}
	return u, nil
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// drainLimit is how much of an unwanted body is read so that the connection
// can be reused; more than that and closing it is cheaper.
const drainLimit = 64 << 10

func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	_ = body.Close()
}

// PreloadSystemRoots starts parsing the system's trusted certificates in
// the background, so that New, called later, finds them parsed. Go parses
// the bundle once per process, on first use, which on Linux costs 15-20 ms
// of one core (about 140 certificates); a warm install that overlaps it
// with reading its lockfile saves that much wall time.
func PreloadSystemRoots() {
	go x509.SystemCertPool() //nolint:errcheck // New reports the error when it needs the roots.
}

// parsedBundles caches each extra CA bundle's certificates by content. One
// command builds several clients (registry metadata, advisories,
// downloads), and the bundle is often the system's own (npm's global
// cafile), about 140 certificates and 15-20 ms of CPU to parse each time.
var parsedBundles sync.Map // sha256 of the PEM → []*x509.Certificate

// parseCABundle returns the certificates of a PEM bundle as
// x509.CertPool.AppendCertsFromPEM reads it: CERTIFICATE blocks without
// headers, skipping any that do not parse.
func parseCABundle(pemData []byte) []*x509.Certificate {
	key := sha256.Sum256(pemData)
	if certs, ok := parsedBundles.Load(key); ok {
		return certs.([]*x509.Certificate)
	}
	var certs []*x509.Certificate
	for rest := pemData; len(rest) > 0; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			continue
		}
		certs = append(certs, cert)
	}
	parsedBundles.Store(key, certs)
	return certs
}
