package npmrc

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strings"
)

// DefaultRegistry is npm's registry default.
const DefaultRegistry = "https://registry.npmjs.org/"

// npmjsHost is what replace-registry-host=npmjs (the default) matches.
const npmjsHost = "registry.npmjs.org"

// Registry returns the default registry with exactly one trailing slash, as
// arborist normalises it.
func (c *Config) Registry() string {
	if v, ok := c.str("registry"); ok && truthy(v.Value) {
		return normalizeRegistry(v.Value)
	}
	return DefaultRegistry
}

// RegistryFor returns the registry npm would ask for a package, as
// npm-registry-fetch's pickRegistry does: @scope:registry for "@scope/name",
// else the registry of the scope setting (it applies to unscoped names too),
// else the default registry.
func (c *Config) RegistryFor(name string) string {
	if scope, _, ok := strings.Cut(name, "/"); ok && strings.HasPrefix(scope, "@") {
		if v, ok := c.str(scope + ":registry"); ok && truthy(v.Value) {
			return normalizeRegistry(v.Value)
		}
	}
	if v, ok := c.str("scope"); ok && truthy(v.Value) {
		scope := v.Value
		if !strings.HasPrefix(scope, "@") {
			scope = "@" + scope
		}
		if v, ok := c.str(scope + ":registry"); ok && truthy(v.Value) {
			return normalizeRegistry(v.Value)
		}
	}
	return c.Registry()
}

// registrySource names where the registry for name was configured, for
// error messages.
func (c *Config) registrySource(reg string) string {
	for _, k := range c.Keys() {
		if k == "registry" || strings.HasSuffix(k, ":registry") {
			if v := c.values[k]; normalizeRegistry(v.Value) == reg {
				return v.Source + ": " + k
			}
		}
	}
	return ""
}

// normalizeRegistry strips trailing slashes and adds one, like
// registry.replace(/(?<!\/)\/+$/, ”) + '/'.
func normalizeRegistry(r string) string {
	return strings.TrimRight(strings.TrimSpace(r), "/") + "/"
}

// checkRegistryURL refuses anything but an absolute https:// URL without
// user:password@.
func checkRegistryURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return ErrBadURL
	case !strings.EqualFold(u.Scheme, "https"):
		if strings.EqualFold(u.Scheme, "http") {
			return ErrInsecureURL
		}
		return ErrBadURL
	case u.User != nil:
		return ErrCredentialsInURL
	}
	return nil
}

// TarballURL returns the URL to download a registry package from.
//
// Without resolved it is {registry}{name}/-/{basename(name)}-{version}.tgz,
// the registry picked by RegistryFor: "@s/n" at 1.0.0 becomes
// {registry}@s/n/-/n-1.0.0.tgz, the slash left unescaped as the npm registry
// publishes it (only packument URLs escape it, as @s%2fn). npm itself would
// read dist.tarball from the packument; for the npm registry and its mirrors
// both are the same URL.
//
// With resolved, replace-registry-host decides whether the lockfile's host is
// swapped for the default registry's, as arborist's reify does: "npmjs" (the
// default) swaps registry.npmjs.org, "never" nothing, "always" every host, a
// hostname that host, and a URL with a path that host and path prefix. The
// registry's path is prepended when the resolved path does not already start
// with it.
//
// Plain http:// registries and results are refused; an http:// resolved URL
// is accepted only when the swap moves it to the https:// registry.
func (c *Config) TarballURL(name, version, resolved string) (string, error) {
	if resolved == "" {
		if err := checkNameVersion(name, version); err != nil {
			return "", err
		}
		reg := c.RegistryFor(name)
		if err := checkRegistryURL(reg); err != nil {
			return "", &ConfigError{Source: c.registrySource(reg), Key: "registry for " + name, Detail: redactURL(reg), Err: err}
		}
		base := name
		if i := strings.LastIndexByte(name, '/'); i >= 0 {
			base = name[i+1:]
		}
		return reg + name + "/-/" + base + "-" + version + ".tgz", nil
	}
	key := "resolved URL of " + name + "@" + version
	u, err := url.Parse(resolved)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Scheme, "https") && !strings.EqualFold(u.Scheme, "http") {
		return "", &ConfigError{Key: key, Detail: fmt.Sprintf("%q", redactURL(resolved)), Err: ErrBadURL}
	}
	if u.User != nil {
		return "", &ConfigError{Key: key, Detail: redactURL(resolved), Err: ErrCredentialsInURL}
	}
	if hasDotSegment(u.EscapedPath()) {
		// The path a server resolves would differ from the one the
		// registry and credential checks saw; npm never writes one.
		return "", &ConfigError{Key: key, Detail: fmt.Sprintf("%q has \".\" or \"..\" path segments", redactURL(resolved)), Err: ErrBadURL}
	}
	out := c.replaceRegistryHost(u)
	if !strings.EqualFold(out.Scheme, "https") {
		err := ErrBadURL
		if strings.EqualFold(out.Scheme, "http") {
			err = ErrInsecureURL
		}
		return "", &ConfigError{Key: key, Detail: redactURL(out.String()), Err: err}
	}
	if !c.underRegistries(out) {
		e := &HostError{Package: name + "@" + version, URL: redactURL(out.String()), Host: hostKey(out), RelockHint: c.RelockHint}
		for _, r := range c.registries() {
			e.Registries = append(e.Registries, r.String())
			e.SameHost = e.SameHost || hostKey(r) == e.Host
		}
		return "", e
	}
	return out.String(), nil
}

// hasDotSegment reports a "." or ".." path segment, also written with %2e.
func hasDotSegment(escaped string) bool {
	for _, s := range strings.Split(escaped, "/") {
		switch strings.ToLower(s) {
		case ".", "%2e", "..", ".%2e", "%2e.", "%2e%2e":
			return true
		}
	}
	return false
}

// PackumentURL returns where the scope's registry serves name's metadata
// document (the "packument"), the scope's slash escaped as npm sends it:
// {registry}@s%2fn. fetch asks it for dist.tarball when the conventional
// tarball URL is missing, as registries with other layouts need.
func (c *Config) PackumentURL(name string) (string, error) {
	if err := checkNameVersion(name, "0.0.0"); err != nil {
		return "", err
	}
	reg := c.RegistryFor(name)
	if err := checkRegistryURL(reg); err != nil {
		return "", &ConfigError{Source: c.registrySource(reg), Key: "registry for " + name, Detail: redactURL(reg), Err: err}
	}
	return reg + strings.Replace(name, "/", "%2f", 1), nil
}

// replaceRegistryHost is arborist's #registryResolved for a parsed URL.
func (c *Config) replaceRegistryHost(resolved *url.URL) *url.URL {
	mode := "npmjs"
	if v, ok := c.str("replace-registry-host"); ok && v.Value != "" {
		mode = v.Value
	}
	if mode == "npmjs" {
		mode = npmjsHost
	}
	reg, err := url.Parse(c.Registry())
	if err != nil {
		return resolved
	}
	regPath := strings.TrimSuffix(reg.EscapedPath(), "/")

	matchHost, matchPath := mode, ""
	if m, err := url.Parse(mode); err == nil && m.Scheme != "" && m.Host != "" {
		matchHost = m.Hostname()
		matchPath = strings.TrimSuffix(m.EscapedPath(), "/")
	}
	hasPrefix := func(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

	resPath := resolved.EscapedPath()
	hostMatches := mode == "always" || strings.EqualFold(matchHost, resolved.Hostname())
	if !hostMatches || (matchPath != "" && !hasPrefix(resPath, matchPath)) {
		return resolved
	}
	out := *resolved
	out.Scheme = reg.Scheme
	out.Host = reg.Host
	switch {
	case matchPath != "":
		resPath = regPath + resPath[len(matchPath):]
	case regPath != "" && !hasPrefix(resPath, regPath):
		resPath = regPath + resPath
	}
	setEscapedPath(&out, resPath)
	return &out
}

func setEscapedPath(u *url.URL, escaped string) {
	if p, err := url.PathUnescape(escaped); err == nil {
		u.Path = p
		u.RawPath = escaped
		if u.EscapedPath() != escaped {
			u.RawPath = ""
		}
	}
}

// IsRegistryURL reports whether u is under a configured registry (the
// default or a scope's), directly or after replace-registry-host would move
// it there: a lockfile "resolved" URL for which this is false is a remote
// tarball, not a registry package.
func (c *Config) IsRegistryURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return false
	}
	if u.User != nil || hasDotSegment(u.EscapedPath()) {
		return false
	}
	return c.underRegistries(u) || c.underRegistries(c.replaceRegistryHost(u))
}

// underRegistries reports whether an https:// u is under one of the
// configured registries.
func (c *Config) underRegistries(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "https") {
		return false
	}
	for _, r := range c.registries() {
		if underRegistry(u, r) {
			return true
		}
	}
	return false
}

// registries lists the default registry and every @scope:registry, parsed,
// in a stable order (default first, then by key).
func (c *Config) registries() []*url.URL {
	raw := []string{c.Registry()}
	var scoped []string
	for k, v := range c.values {
		if strings.HasPrefix(k, "@") && strings.HasSuffix(k, ":registry") && truthy(v.Value) {
			scoped = append(scoped, k)
		}
	}
	sort.Strings(scoped)
	for _, k := range scoped {
		raw = append(raw, normalizeRegistry(c.values[k].Value))
	}
	var out []*url.URL
	for _, r := range raw {
		if checkRegistryURL(r) != nil {
			continue
		}
		if u, err := url.Parse(r); err == nil {
			out = append(out, u)
		}
	}
	return out
}

// underRegistry is arborist's #isRegistryResolvedTarball test: same origin,
// and the path starts with the registry's path.
func underRegistry(u, reg *url.URL) bool {
	if !sameOrigin(u, reg) {
		return false
	}
	regPath := strings.TrimSuffix(reg.EscapedPath(), "/") + "/"
	return regPath == "/" || strings.HasPrefix(u.EscapedPath(), regPath)
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && hostKey(a) == hostKey(b)
}

// hostKey is WHATWG URL's host: lowercased, default port omitted.
func hostKey(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" || (port == "443" && strings.EqualFold(u.Scheme, "https")) || (port == "80" && strings.EqualFold(u.Scheme, "http")) {
		return host
	}
	return host + ":" + port
}

// checkNameVersion keeps lockfile text from reshaping the URL: a name is
// [@scope/]name of URL-safe characters, a version is semver's alphabet.
func checkNameVersion(name, version string) error {
	bad := func(what, s string) error {
		return &ConfigError{Key: what, Detail: fmt.Sprintf("%q", s), Err: ErrBadPackage}
	}
	parts := strings.Split(name, "/")
	switch {
	case len(parts) == 2 && (len(parts[0]) < 2 || parts[0][0] != '@'):
		return bad("package name", name)
	case len(parts) > 2 || len(parts) == 0:
		return bad("package name", name)
	}
	for i, p := range parts {
		if i == 0 && len(parts) == 2 {
			p = p[1:]
		}
		if p == "" || p == "." || p == ".." || path.Clean(p) != p || !urlSafe(p) {
			return bad("package name", name)
		}
	}
	if !strictSemver.MatchString(version) {
		return bad("version of "+name, version)
	}
	return nil
}

// strictSemver is node-semver's FULL pattern (semver.valid without loose),
// which is what the npm registry accepts at publish: a version outside it
// never names a real tarball, only an attempt to reshape the URL.
var strictSemver = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][a-zA-Z0-9-]*))*))?` +
	`(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?$`)

// urlSafe is npm's rule that a name survives encodeURIComponent unchanged.
func urlSafe(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("-_.!~*'()", r)) {
			return false
		}
	}
	return true
}

// nerfDart is @npmcli/config's nerf-dart.js: "//host[:port]/dir/" of a URL.
func nerfDart(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "//" + raw
	}
	p := u.EscapedPath()
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[:i+1]
	} else {
		p = "/"
	}
	return "//" + hostKey(u) + p
}
