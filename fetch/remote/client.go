package remote

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/verify"
)

// Defaults; zero Options fields take them.
const (
	// DefaultTimeout bounds connecting, the TLS handshake, waiting for
	// response headers, and each silence in a body. A shared cache is on
	// the local network: when it takes longer than this, the registry is
	// the better bet.
	DefaultTimeout = 5 * time.Second
	// DefaultUploadJobs uploads run at once, so that uploads never compete
	// much with the install's own downloads.
	DefaultUploadJobs = 4
	// DefaultMaxQueued bounds the uploads waiting; more are dropped.
	DefaultMaxQueued = 1024
	// DefaultUploadTimeout bounds one upload (the archive and its entry).
	DefaultUploadTimeout = 2 * time.Minute
)

// acPrefix separates airlock's AC keys from any other user of the cache.
const acPrefix = "airlock archive v1\x00"

// Options configures a Client.
type Options struct {
	// URL is the cache's base URL (https only), e.g.
	// "https://cache.example.com" or "https://cache.example.com/npm":
	// requests go to URL + "/cas/..." and URL + "/ac/...".
	URL string
	// Token, if set, is sent as "Authorization: Bearer <Token>" to URL's
	// host, and nowhere else.
	Token string
	// ClientCert, if set, is presented to URL's host for mutual TLS.
	ClientCert *tls.Certificate
	// ExtraCAs are trusted in addition to the system roots, as by the
	// registry client.
	ExtraCAs []client.CABundle
	// Proxy picks a proxy per request; nil means http.ProxyFromEnvironment.
	Proxy     func(*http.Request) (*url.URL, error)
	UserAgent string
	Timeout   time.Duration
	// ReadOnly turns uploads off (runners that should only read a cache
	// that trusted builders fill).
	ReadOnly      bool
	UploadJobs    int
	MaxQueued     int
	UploadTimeout time.Duration
}

// Client reads and writes one remote cache. It is safe for concurrent use.
type Client struct {
	opts  Options
	base  string // URL without a trailing slash
	host  string
	http  *http.Client
	trans *http.Transport

	down      atomic.Bool // a failure was seen: lookups and uploads stop
	upDown    atomic.Bool // an upload failed: uploads stop
	mu        sync.Mutex
	downErr   error
	upErr     error
	suspect   map[string]bool // digests whose remote entry proved bad
	queue     chan job
	closed    bool
	workers   sync.WaitGroup
	upCtx     context.Context
	upCancel  context.CancelFunc
	served    atomic.Int64
	misses    atomic.Int64
	rejected  atomic.Int64
	broken    atomic.Int64
	badEntry  atomic.Int64
	uploaded  atomic.Int64
	present   atomic.Int64
	dropped   atomic.Int64
	upFailed  atomic.Int64
	abandoned atomic.Int64
}

type job struct {
	want verify.Digest
	open func() (io.ReadCloser, int64, error)
}

// New checks opts and builds a Client; nothing is sent until first use.
func New(opts Options) (*Client, error) {
	u, err := url.Parse(opts.URL)
	switch {
	case err != nil:
		return nil, fmt.Errorf("remote cache URL %q: %v", client.Redact(opts.URL), err)
	case !strings.EqualFold(u.Scheme, "https"):
		return nil, fmt.Errorf("remote cache URL %s: only https:// is allowed (the cache's answers are verified, but its token and the list of packages you install are not for the network to read)", client.Redact(opts.URL))
	case u.Host == "":
		return nil, fmt.Errorf("remote cache URL %s has no host", client.Redact(opts.URL))
	case u.User != nil:
		return nil, fmt.Errorf("remote cache URL %s holds credentials; use token_env or a client certificate instead", client.Redact(opts.URL))
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("remote cache URL %s: a query or fragment is not allowed; give the base URL the cache serves /cas/ and /ac/ under", client.Redact(opts.URL))
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.UploadJobs <= 0 {
		opts.UploadJobs = DefaultUploadJobs
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = DefaultMaxQueued
	}
	if opts.UploadTimeout <= 0 {
		opts.UploadTimeout = DefaultUploadTimeout
	}
	if opts.UserAgent == "" {
		opts.UserAgent = client.DefaultUserAgent
	}
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		if len(opts.ExtraCAs) == 0 {
			return nil, fmt.Errorf("remote cache: loading the system's trusted certificates: %w; set SSL_CERT_FILE or ca_file", err)
		}
		roots = x509.NewCertPool()
	}
	for _, ca := range opts.ExtraCAs {
		if !roots.AppendCertsFromPEM(ca.PEM) {
			return nil, fmt.Errorf("CA bundle %s holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)", ca.Source)
		}
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if opts.ClientCert != nil {
		// This transport only ever talks to the cache's host (no
		// redirects are followed), so the certificate goes nowhere else.
		tlsConf.Certificates = []tls.Certificate{*opts.ClientCert}
	}
	trans := &http.Transport{
		Proxy:                 opts.Proxy,
		DialContext:           (&net.Dialer{Timeout: opts.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConnsPerHost:   client.MaxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
	}
	c := &Client{
		opts:  opts,
		base:  strings.TrimSuffix(u.String(), "/"),
		host:  u.Host,
		trans: trans,
		http: &http.Client{
			Transport: trans,
			// A cache answers at the URL asked; following a redirect
			// would carry the token and certificate to another host.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		suspect: map[string]bool{},
	}
	c.upCtx, c.upCancel = context.WithCancel(context.Background())
	return c, nil
}

// URL is the cache's base URL, for messages.
func (c *Client) URL() string { return c.base }

// Get looks want (a lockfile digest) up. A miss, or any lookup once the
// remote has been marked down, is (nil, "", nil). A hit is the archive's
// UNVERIFIED bytes and the URL they came from: the caller must check them
// against want and call Reject when they do not match. An error means the
// remote failed (it is then marked down, and the error is returned this
// once) or returned an entry that is not airlock's.
func (c *Client) Get(ctx context.Context, want verify.Digest) (io.ReadCloser, string, error) {
	if err := want.Validate(); err != nil {
		return nil, "", err
	}
	if c.down.Load() {
		return nil, "", nil
	}
	cas := want.Hex()
	if want.Algorithm != "sha256" {
		ref, ok, err := c.lookupAC(ctx, want)
		if err != nil || !ok {
			return nil, "", err
		}
		cas = ref.SHA256
	}
	u := c.base + "/cas/" + cas
	body, ok, err := c.get(ctx, u)
	switch {
	case err != nil:
		return nil, "", err
	case !ok:
		if want.Algorithm != "sha256" {
			// The entry names an evicted (or never written) blob:
			// the upload after the registry fetch must rewrite both.
			c.markSuspect(want)
		}
		c.misses.Add(1)
		return nil, "", nil
	}
	c.served.Add(1)
	return body, u, nil
}

// lookupAC reads want's AC entry.
func (c *Client) lookupAC(ctx context.Context, want verify.Digest) (blobRef, bool, error) {
	u := c.base + "/ac/" + acKey(want)
	body, ok, err := c.get(ctx, u)
	if err != nil || !ok {
		if err == nil {
			c.misses.Add(1)
		}
		return blobRef{}, false, err
	}
	data, err := io.ReadAll(io.LimitReader(body, maxACSize+1))
	body.Close()
	if err != nil {
		return blobRef{}, false, c.fail(fmt.Errorf("remote cache: reading %s: %w", u, err))
	}
	if len(data) > maxACSize {
		err = fmt.Errorf("%w: over %d bytes", errBadAC, maxACSize)
	} else {
		var ref blobRef
		if ref, err = decodeActionResult(data); err == nil {
			return ref, true, nil
		}
	}
	c.badEntry.Add(1)
	c.markSuspect(want)
	return blobRef{}, false, fmt.Errorf("remote cache: %s: %w; ignoring it and fetching from the registry", u, err)
}

// acKey is the AC key under which want's archive is recorded.
func acKey(want verify.Digest) string {
	sum := sha256.Sum256([]byte(acPrefix + want.String()))
	return hex.EncodeToString(sum[:])
}

// get sends one GET. A 404 is (nil, false, nil); anything but 200 marks the
// remote down. The body fails a Read after Timeout of silence.
func (c *Client) get(ctx context.Context, u string) (io.ReadCloser, bool, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		cancel(nil)
		return nil, false, c.fail(fmt.Errorf("remote cache: %w", err))
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		cancel(nil)
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, c.fail(fmt.Errorf("remote cache: GET %s: %w", u, unwrap(err)))
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return newTimedBody(rctx, resp.Body, c.opts.Timeout, cancel, c), true, nil
	case http.StatusNotFound:
		drain(resp.Body)
		cancel(nil)
		return nil, false, nil
	}
	drain(resp.Body)
	cancel(nil)
	return nil, false, c.fail(fmt.Errorf("remote cache: GET %s: %w", u, statusError(resp)))
}

func (c *Client) authorize(req *http.Request) {
	req.Header.Set("User-Agent", c.opts.UserAgent)
	// Every request goes to c.base (New's URL, redirects refused), so
	// this is the only host that ever sees the token.
	if c.opts.Token != "" && req.URL.Host == c.host {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
}

func statusError(resp *http.Response) error {
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%s: the cache refused the credentials; check token_env or cert_file in [cache]", resp.Status)
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return fmt.Errorf("%s to %s: airlock does not follow a remote cache's redirects; point [cache] remote at the server itself", resp.Status, client.Redact(resp.Header.Get("Location")))
	}
	return errors.New(resp.Status)
}

// DownError is the failure that made the Client give up on the remote for
// the rest of the process. It is returned once (by Get, or by a Read of a
// body Get returned); later failures are plain errors, or quiet misses.
type DownError struct{ Err error }

func (e *DownError) Error() string {
	return e.Err.Error() + "\n(not using the remote cache for the rest of this run)"
}

func (e *DownError) Unwrap() error { return e.Err }

// fail marks the remote down and returns a *DownError the first time, nil
// after: one warning, then quick misses for the rest of the process.
func (c *Client) fail(err error) error {
	if c.down.CompareAndSwap(false, true) {
		c.mu.Lock()
		c.downErr = err
		c.mu.Unlock()
		return &DownError{Err: err}
	}
	return nil
}

// Reject records that the bytes Get returned for want did not match it
// (why says how; the caller reports it). The upload that follows the
// registry fetch then replaces the entry.
func (c *Client) Reject(want verify.Digest, why error) {
	c.rejected.Add(1)
	c.markSuspect(want)
}

func (c *Client) markSuspect(want verify.Digest) {
	c.mu.Lock()
	c.suspect[want.String()] = true
	c.mu.Unlock()
}

func (c *Client) isSuspect(want verify.Digest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.suspect[want.String()]
}

// timedBody fails a Read that waits more than timeout for data (the time
// the consumer spends between reads does not count).
type timedBody struct {
	ctx     context.Context
	rc      io.ReadCloser
	timer   *time.Timer
	timeout time.Duration
	cancel  context.CancelCauseFunc
	c       *Client
}

var errStalled = errors.New("no data")

func newTimedBody(ctx context.Context, rc io.ReadCloser, timeout time.Duration, cancel context.CancelCauseFunc, c *Client) *timedBody {
	b := &timedBody{ctx: ctx, rc: rc, timeout: timeout, cancel: cancel, c: c}
	b.timer = time.AfterFunc(time.Hour, func() {
		cancel(fmt.Errorf("remote cache: %w for %s", errStalled, timeout))
	})
	b.timer.Stop()
	return b
}

func (b *timedBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.timeout)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	if err != nil && err != io.EOF {
		if cause := context.Cause(b.ctx); errors.Is(cause, errStalled) {
			err = cause
		}
		// A stalled or broken remote: stop asking it.
		b.c.broken.Add(1)
		if first := b.c.fail(err); first != nil {
			err = first
		}
	}
	return n, err
}

func (b *timedBody) Close() error {
	b.timer.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

func unwrap(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}
