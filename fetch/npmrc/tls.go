package npmrc

import (
	"sort"
	"strings"
)

// CA is the certificate authority setting: a file to read (cafile) or PEM
// text given inline (ca= or ca[]=).
type CA struct {
	File   string // absolute path of cafile, resolved like npm resolves it
	PEM    []byte // inline certificates when no cafile is set
	Source string // where the setting came from
}

// CA returns the CA setting. cafile wins over ca, as in npm's definitions.
// Inline values may use "\n" for line breaks, as npm documents.
//
// npm passes these to Node as the *only* trusted roots; airlock adds them to
// the system roots instead (see fetch/client). A private registry works the
// same way; a public one stays reachable.
func (c *Config) CA() (CA, bool) {
	if v, ok := c.str("cafile"); ok && truthy(v.Value) {
		return CA{File: c.path(v.Value), Source: v.Source}, true
	}
	v, ok := c.str("ca")
	if !ok || !truthy(v.Value) {
		return CA{}, false
	}
	certs := v.List
	if certs == nil {
		certs = c.GetAll("ca")
	}
	var pem []string
	for _, s := range certs {
		if truthy(s) {
			pem = append(pem, strings.ReplaceAll(s, `\n`, "\n"))
		}
	}
	if len(pem) == 0 {
		return CA{}, false
	}
	return CA{PEM: []byte(strings.Join(pem, "\n") + "\n"), Source: v.Source}, true
}

// ClientCert is a client certificate for mutual TLS, configured for a
// registry as //host/path/:certfile and //host/path/:keyfile.
type ClientCert struct {
	Host     string // host[:port] as in a URL (default port omitted)
	Prefix   string // the nerf-dart prefix, "//host/path/"
	CertFile string
	KeyFile  string
	Source   string
}

// ClientCerts lists every configured certfile/keyfile pair, sorted by
// prefix. A TLS connection is per host, so callers present the certificate to
// every request to Host; npm picks it per request by the same prefix walk as
// AuthFor. The deprecated inline cert= and key= settings are not supported.
func (c *Config) ClientCerts() []ClientCert {
	var out []ClientCert
	for _, k := range c.Keys() {
		prefix, ok := strings.CutSuffix(k, ":certfile")
		if !ok || !strings.HasPrefix(prefix, "//") || !c.set(k) || !c.set(prefix+":keyfile") {
			continue
		}
		host := strings.TrimPrefix(prefix, "//")
		if i := strings.IndexByte(host, '/'); i >= 0 {
			host = host[:i]
		}
		out = append(out, ClientCert{
			Host:     strings.ToLower(strings.TrimSuffix(host, ":443")),
			Prefix:   prefix,
			CertFile: c.path(c.values[k].Value),
			KeyFile:  c.path(c.values[prefix+":keyfile"].Value),
			Source:   c.values[k].Source,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	return out
}
