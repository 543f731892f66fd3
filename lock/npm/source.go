package npm

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/lock/npm/internal/semver"
)

// classify says where an entry's bytes come from. It describes; refusing
// sources is policy's job elsewhere.
func classify(p *lock.Package, loc location, link, inBundle bool) (lock.Source, error) {
	r := p.Resolved
	switch {
	case inBundle:
		return lock.SourceBundled, nil
	case link:
		return lock.SourceLink, nil
	case !loc.inNodeModules():
		return lock.SourceWorkspace, nil
	case r == "":
		if p.Version == "" {
			return 0, fmt.Errorf("%w: neither \"version\" nor \"resolved\" is set, so there is nothing to download; the lockfile is damaged: run `npm install` to repair it", ErrInvalidEntry)
		}
		return registrySource(p.Version)
	}
	lower := strings.ToLower(r)
	for _, prefix := range []string{"git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:"} {
		if strings.HasPrefix(lower, prefix) {
			return lock.SourceGit, nil
		}
	}
	switch {
	case strings.HasPrefix(lower, "file:"):
		return lock.SourceFile, nil
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		if registryShaped(r, p.Name, p.Version) {
			return registrySource(p.Version)
		}
		return lock.SourceRemote, nil
	}
	return 0, fmt.Errorf("%w: \"resolved\" %q is neither a URL, a git repository nor a file: path", ErrInvalidEntry, r)
}

// registrySource accepts a registry entry's version. The registry's tarball
// URL is derived from it ({registry}/{name}/-/{name}-{version}.tgz), and the
// npm registry publishes only valid semver versions, so anything else
// ("1.0.0/../../x", "1.0.0?a", "%2e%2e") is an attempt to steer that URL.
func registrySource(version string) (lock.Source, error) {
	if _, err := semver.Parse(version, false); err != nil || strings.TrimSpace(version) != version {
		return 0, fmt.Errorf("%w %q: a registry package's version must be valid semver (the npm registry publishes no other), and airlock derives the download URL from it; the lockfile is damaged or tampered with: regenerate it with `npm install --package-lock-only`", ErrBadVersion, version)
	}
	return lock.SourceRegistry, nil
}

// registryShaped reports whether u is a registry tarball URL for
// name@version: its path ends in /<name>/-/<basename>-<version>.tgz (the
// scope's slash may be encoded as %2f), below any path prefix, with no query
// or fragment. That is the shape npm's registries (and mirrors such as
// Artifactory, Nexus and Verdaccio) serve tarballs under.
func registryShaped(u, name, version string) bool {
	if name == "" || version == "" {
		return false
	}
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" || parsed.RawQuery != "" || parsed.Fragment != "" || parsed.User != nil {
		return false
	}
	p := parsed.EscapedPath()
	p = strings.ReplaceAll(strings.ReplaceAll(p, "%2f", "/"), "%2F", "/")
	want := "/" + name + "/-/" + path.Base(name) + "-" + version + ".tgz"
	return strings.HasSuffix(p, want)
}

// FileIsDirectory reports whether a SourceFile package's Resolved names a
// directory rather than a tarball: npm's --install-links copies a file:
// directory into node_modules and records "resolved": "file:libs/x". npm
// (npm-package-arg) tells the two apart by the .tgz/.tar.gz/.tar extension
// alone, as this does.
func FileIsDirectory(p lock.Package) bool {
	return p.Source == lock.SourceFile && !isTarball.MatchString(strings.TrimPrefix(p.Resolved, "file:"))
}
