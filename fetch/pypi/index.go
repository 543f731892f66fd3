package pypi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/airlock-dev/airlock/fetch/client"
)

// DefaultIndexURL is pip's default index.
const DefaultIndexURL = "https://pypi.org/simple/"

// Errors a caller can branch on with errors.Is.
var (
	// ErrInsecureIndex: an index URL is not https://.
	ErrInsecureIndex = errors.New("airlock only uses https:// indexes; change the URL to https:// (PyPI and every common mirror serve https)")
	// ErrBadIndexURL: an index URL does not parse or is not absolute.
	ErrBadIndexURL = errors.New("not an absolute https:// URL")
	// ErrTrustedHost: pip's trusted-host is configured.
	ErrTrustedHost = errors.New("trusted-host turns off certificate checks (and allows plain http) for a host, which airlock never does; " +
		"if the index uses a private CA, name the CA file with cert= in pip.conf (or PIP_CERT, or ca_file in airlock.toml) and remove trusted-host")
	// ErrNoIndex: no-index is set, so there is no index to ask.
	ErrNoIndex = errors.New("no index to ask (no-index is set)")
)

// Index is one package index: its simple-API base URL without credentials,
// and the credentials its URL carried, if any.
type Index struct {
	// URL is the base URL with a trailing slash and without user info.
	URL string
	// Source says where the URL was configured ("--index-url",
	// "env PIP_INDEX_URL", "/etc/pip.conf [global] index-url", ...).
	Source string

	origin     string // scheme://host[:port], lowercased, default port dropped
	user, pass string
	hasAuth    bool
}

// ParseIndexURL checks an index URL and takes its credentials out of it.
// Only https:// is accepted.
func ParseIndexURL(raw, source string) (Index, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return Index{}, &ConfigError{Source: source, Value: client.Redact(raw), Err: ErrBadIndexURL}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		if strings.EqualFold(u.Scheme, "http") {
			return Index{}, &ConfigError{Source: source, Value: client.Redact(raw), Err: ErrInsecureIndex}
		}
		return Index{}, &ConfigError{Source: source, Value: client.Redact(raw), Err: ErrBadIndexURL}
	}
	ix := Index{Source: source}
	if u.User != nil {
		ix.user = u.User.Username()
		ix.pass, _ = u.User.Password()
		ix.hasAuth = ix.user != "" || ix.pass != ""
		u.User = nil
	}
	u.Fragment, u.RawFragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	ix.URL = u.String()
	ix.origin = origin(u)
	return ix, nil
}

// String is the index URL fit to print: no credentials.
func (ix Index) String() string { return client.Redact(ix.URL) }

// HasAuth reports whether the index URL carried credentials.
func (ix Index) HasAuth() bool { return ix.hasAuth }

// Host is the index's host[:port] as it appears in URLs (the default port
// dropped), the key fetch/client uses for client certificates.
func (ix Index) Host() string {
	_, h, _ := strings.Cut(ix.origin, "://")
	return h
}

// ProjectURL is the simple-API page of a project: <index>/<normalized>/.
func (ix Index) ProjectURL(name string) string {
	return ix.URL + url.PathEscape(Normalize(name)) + "/"
}

// authHeader is the Basic authorization the index's URL asked for. pip
// sends a token given as the user alone with an empty password.
func (ix Index) authHeader() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(ix.user+":"+ix.pass))
}

// origin is scheme://host[:port], lowercased, with the scheme's default
// port dropped, so that "HTTPS://Host:443" and "https://host" agree.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	if scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

var separators = regexp.MustCompile(`[-_.]+`)

// Normalize is PEP 503's name normalization: runs of "-", "_" and "." become
// one "-", and the name is lowercased.
func Normalize(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

// ConfigError is a refused or malformed pip setting. Value is redacted.
type ConfigError struct {
	Source string // file and key, or variable, or flag
	Value  string
	Err    error
}

func (e *ConfigError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s = %s: %v", e.Source, e.Value, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }
