package client

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Errors callers can branch on with errors.Is.
var (
	ErrNotHTTPS         = errors.New("only https:// URLs are fetched")
	ErrInsecureRedirect = errors.New("redirect to a plain http:// URL refused")
	ErrTooManyRedirects = errors.New("too many redirects")
	ErrCredentialsInURL = errors.New("URL carries user:password@; credentials come only from .npmrc (//host/:_authToken)")
	ErrShortBody        = errors.New("response body ended before its Content-Length")
	ErrTooLarge         = errors.New("response body larger than the size limit")
	ErrStalled          = errors.New("response body stalled")
	// ErrBrokenBody is a connection or HTTP/2 stream that broke off while
	// the body was read (a reset, a proxy dropping it). A new request may
	// well succeed; callers that can start over (fetch) try once more.
	ErrBrokenBody = errors.New("the connection broke off mid-body")
	// ErrBadEncoding is a body the server declared as Content-Encoding: gzip
	// that does not decode: the server or a proxy mislabels its responses.
	ErrBadEncoding = errors.New("the server declared Content-Encoding: gzip but the body is not gzip data")
)

// Error is a failed GET: a transport, TLS or body error, or one of the
// refusals above. URL is redacted.
type Error struct {
	URL      string
	Attempts int // requests made to URL; 0 when refused before sending
	Err      error
	// ClientCertAsked says that the server asked for a client certificate
	// in a TLS handshake and none is configured for its host. A server
	// that requires one ends the connection, which the client may see only
	// as a connection broken while writing (timing decides), so the hint
	// names the missing certificate whenever the error has no more
	// specific cause.
	ClientCertAsked bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s: %v", e.URL, e.Err)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	h := hint(e.Err)
	if e.ClientCertAsked && (h == tlsHint || h == networkHint) {
		h = clientCertHint(e.URL)
	}
	b.WriteString("; " + h)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// The hints that name no specific cause.
const (
	tlsHint     = "the TLS handshake failed; check the registry URL, proxy and any client certificate (//host/:certfile, :keyfile)"
	networkHint = "check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY, https-proxy in .npmrc)"
)

func clientCertHint(rawURL string) string {
	host := "host"
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("the server asked for a TLS client certificate and none is configured for %s; "+
		"if it requires one, set //%s/:certfile and :keyfile in .npmrc (pip: --client-cert, or client-cert in pip.conf)", host, host)
}

// StatusError is a final response other than 200 (after retries for 429 and
// 5xx). URL is redacted.
type StatusError struct {
	URL        string
	Code       int
	Attempts   int
	RetryAfter time.Duration // the server's Retry-After, when it sent one
	SentAuth   bool          // whether the request carried a credential
	// GaveUp says why retrying stopped before MaxAttempts, if it did (a
	// Retry-After over RetryWaitMax, the MaxElapsed budget).
	GaveUp error
}

func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s: HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if e.GaveUp != nil {
		fmt.Fprintf(&b, " (%v)", e.GaveUp)
	}
	b.WriteString("; ")
	switch {
	case (e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden) && e.SentAuth:
		b.WriteString("the server refused the credential configured for this URL: check its //host/:_authToken (or _auth) in .npmrc, that the token has not expired, and that any ${VAR} it uses is set")
	case e.Code == http.StatusUnauthorized:
		b.WriteString("the server wants a credential and none is configured for this URL: add //host/:_authToken=... for this registry to .npmrc")
	case e.Code == http.StatusForbidden:
		b.WriteString("access refused: the package may not exist or be blocked (the npm registry answers 403 for tarballs of unknown packages), or the registry needs a credential: //host/:_authToken=... in .npmrc")
	case e.Code == http.StatusNotFound:
		b.WriteString("the server has no such file: check the package name and version in the lockfile and the registry configured for it")
		if !e.SentAuth {
			b.WriteString(" (a private package also answers 404 without credentials)")
		}
	case e.Code == http.StatusTooManyRequests && e.RetryAfter > 0:
		fmt.Fprintf(&b, "the server is rate-limiting and asked to wait %s; try again later", e.RetryAfter)
	case e.Code == http.StatusTooManyRequests:
		b.WriteString("the server is rate-limiting; try again later")
	case e.Code >= 500:
		b.WriteString("the server is failing; try again later, or check the registry's status")
	case e.Code == http.StatusNotModified:
		b.WriteString("not modified since the version named in the request headers")
	default:
		b.WriteString("unexpected response; check the URL")
	}
	return b.String()
}

// hint says what to do about a transport error.
func hint(err error) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	switch {
	case errors.Is(err, ErrInsecureRedirect):
		return "airlock never downloads over plain http; the server (or a proxy in front of it) must redirect to https://"
	case errors.Is(err, ErrNotHTTPS):
		return "airlock never downloads over plain http; use the registry's https:// URL"
	case errors.Is(err, ErrCredentialsInURL):
		return "remove user:password@ from the URL (in the lockfile or registry setting)"
	case errors.Is(err, ErrTooManyRedirects):
		return "the server redirects in a loop; check the registry URL"
	case errors.Is(err, ErrShortBody), errors.Is(err, ErrBrokenBody):
		return "the connection ended early; run the command again, and if it keeps happening check your network or proxy"
	case errors.Is(err, ErrBadEncoding):
		return "the server or a proxy between you mislabels its responses; report it to the registry's operator, or bypass the proxy"
	case errors.Is(err, ErrTooLarge):
		return "no genuine package is that large: check that the registry URL and any proxy serve package archives"
	case errors.Is(err, ErrStalled) && strings.Contains(err.Error(), "took longer than"):
		return "the download is too slow; check your network or proxy, or allow more time with fetch-timeout=<milliseconds> in .npmrc"
	case errors.Is(err, ErrStalled):
		return "the server stopped sending; check your network or proxy and run the command again"
	case errors.As(err, &unknownCA) && selfSigned(unknownCA.Cert):
		return "the server's certificate is self-signed; if you trust this server, save its certificate to a file and set cafile=/path/to/cert.pem in .npmrc or ca_file in airlock.toml"
	case errors.As(err, &unknownCA):
		return "the server's certificate is not signed by a trusted CA; if your registry or a TLS-inspecting proxy uses a private CA, set cafile=/path/to/ca.pem in .npmrc or ca_file in airlock.toml"
	case errors.As(err, &hostErr):
		return "the server's certificate is for another host name; check the registry URL, and that no proxy or DNS entry sends you to another server"
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "the server's certificate is expired or not yet valid; check the server and this machine's clock"
	case errors.As(err, &invalid):
		return "the server's certificate is not valid for TLS server use"
	case isTLSVersionError(err):
		return "the server offers no TLS 1.2 or newer, which airlock requires; upgrade the server, or the proxy terminating TLS in front of it"
	case strings.Contains(err.Error(), "tls: "):
		return tlsHint
	case errors.As(err, &dnsErr):
		return "the host name does not resolve; check the URL and your DNS or proxy settings"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "the server did not answer in time; check your network or proxy (HTTPS_PROXY, https-proxy in .npmrc)"
	}
	return networkHint
}

// selfSigned reports a certificate that is its own issuer.
func selfSigned(c *x509.Certificate) bool {
	// Not CheckSignatureFrom: it insists that the signer be a CA, and a
	// self-signed server certificate usually is not.
	return c != nil && bytes.Equal(c.RawIssuer, c.RawSubject) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

func isTLSVersionError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "protocol version") || strings.Contains(s, "unsupported protocol version")
}

// permanent reports transport errors that a retry cannot fix.
func permanent(err error) bool {
	var (
		verify    *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		dnsErr    *net.DNSError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &verify), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &record):
		return true
	case errors.As(err, &dnsErr):
		return dnsErr.IsNotFound
	case errors.As(err, &netErr) && netErr.Timeout():
		return false
	}
	s := err.Error()
	return strings.Contains(s, "tls: ") || strings.Contains(s, "server gave HTTP response to HTTPS client")
}

// unwrapURLError drops net/http's *url.Error, whose message repeats the URL
// unredacted; Error carries the redacted one instead.
func unwrapURLError(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// Redact returns u for messages: user info removed and query values
// replaced, since signed CDN URLs carry their secrets there.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		if i := strings.IndexAny(raw, "?@"); i >= 0 {
			return raw[:i] + "…(unparsable URL, rest redacted)"
		}
		return raw
	}
	return redactURL(u)
}

func redactURL(u *url.URL) string {
	r := *u
	if r.User != nil {
		r.User = url.User("REDACTED")
	}
	if r.RawQuery != "" {
		q := r.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		r.RawQuery = q.Encode()
	}
	r.Fragment, r.RawFragment = "", ""
	return r.String()
}
