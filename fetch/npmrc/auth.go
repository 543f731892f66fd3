package npmrc

import (
	"encoding/base64"
	"net/url"
	"strings"
)

// AuthFor returns the Authorization header value npm would send to rawURL,
// following npm-registry-fetch's lib/auth.js:
//
//  1. Walk from "//host[:port]/path" towards "//host", removing either the
//     last segment or the trailing slash at each step, so both
//     "//host/path/:_authToken" and "//host/path:_authToken" match. The
//     first prefix with a credential decides: :_authToken (Bearer), else
//     :_auth (Basic, sent as written), else :username with :_password
//     (base64 of the password; Basic of username:password). A prefix with
//     only :certfile and :keyfile also ends the walk, without a header.
//  2. If no prefix has one, a URL on the same host as a configured registry
//     gets that registry's credential (npm: tarballs on the registry host
//     outside its path). The default registry is tried first, then the
//     scope registries in key order.
//
// Nothing is returned for a URL that is not https://, nor for any host
// without a credential of its own: there is no fallback to a credential
// configured for another host.
func (c *Config) AuthFor(rawURL string) (header string, ok bool) {
	u, err := url.Parse(rawURL)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
		return "", false
	}
	if prefix, found := c.authPrefix(u); found {
		return c.authHeader(prefix)
	}
	for _, reg := range c.registries() {
		if hostKey(reg) != hostKey(u) || reg.String() == rawURL {
			continue
		}
		if prefix, found := c.authPrefix(reg); found {
			if h, ok := c.authHeader(prefix); ok {
				return h, true
			}
		}
	}
	return "", false
}

// authPrefix is regFromURI: the longest nerf-dart prefix of u that has any
// credential configured.
func (c *Config) authPrefix(u *url.URL) (string, bool) {
	key := "//" + hostKey(u) + removeDotSegments(u.EscapedPath())
	for len(key) > len("//") {
		if c.hasAuth(key) {
			return key, true
		}
		if strings.HasSuffix(key, "/") {
			key = key[:len(key)-1]
		} else {
			key = key[:strings.LastIndexByte(key, '/')+1]
		}
	}
	return "", false
}

func (c *Config) set(key string) bool {
	v, ok := c.values[key]
	return ok && truthy(v.Value)
}

func (c *Config) hasAuth(prefix string) bool {
	return c.set(prefix+":_authToken") || c.set(prefix+":_auth") ||
		(c.set(prefix+":username") && c.set(prefix+":_password")) ||
		(c.set(prefix+":certfile") && c.set(prefix+":keyfile"))
}

// authHeader is the Auth class of auth.js: token, else _auth, else
// username + base64 password.
func (c *Config) authHeader(prefix string) (string, bool) {
	switch {
	case c.set(prefix + ":_authToken"):
		return "Bearer " + c.values[prefix+":_authToken"].Value, true
	case c.set(prefix + ":_auth"):
		return "Basic " + c.values[prefix+":_auth"].Value, true
	case c.set(prefix+":username") && c.set(prefix+":_password"):
		user := c.values[prefix+":username"].Value
		pass := decodeBase64Lenient(c.values[prefix+":_password"].Value)
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), true
	}
	return "", false
}

// decodeBase64Lenient decodes like Node's Buffer.from(s, "base64"): both
// alphabets, characters outside them skipped, stopping at "=", and the bytes
// read back as UTF-8.
func decodeBase64Lenient(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '=':
			goto done
		case r == '-':
			b.WriteByte('+')
		case r == '_':
			b.WriteByte('/')
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '+', r == '/':
			b.WriteRune(r)
		}
	}
done:
	enc := b.String()
	if len(enc)%4 == 1 {
		enc = enc[:len(enc)-1] // a lone trailing sextet carries no byte
	}
	out, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	// npm then calls toString("utf8"), which replaces invalid bytes.
	return decodeLikeNode(string(out))
}

// removeDotSegments resolves "." and ".." path segments (also written
// %2e) as WHATWG URL parsing does before npm looks the path up, so that
// "/a/../b" is matched as "/b".
func removeDotSegments(p string) string {
	if p == "" {
		return "/"
	}
	segs := strings.Split(p, "/")
	out := make([]string, 0, len(segs))
	for i, s := range segs {
		last := i == len(segs)-1
		switch strings.ToLower(s) {
		case ".", "%2e":
			if last {
				out = append(out, "")
			}
		case "..", ".%2e", "%2e.", "%2e%2e":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	res := strings.Join(out, "/")
	if !strings.HasPrefix(res, "/") {
		res = "/" + res
	}
	return res
}
