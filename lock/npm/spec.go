package npm

import (
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/airlock-dev/airlock/lock/npm/internal/semver"
)

// specKind is npm-package-arg's result type.
type specKind int

const (
	specRange specKind = iota // also "version": a semver range or version
	specTag
	specAlias
	specFile // a tarball on disk
	specDir  // a directory on disk (installed as a link)
	specRemote
	specGit
	specInvalid
)

// spec is a dependency specifier as npm-package-arg reads it, reduced to
// what CheckInSync compares.
type spec struct {
	kind specKind
	// rng is the semver range of specRange (and of an alias's target).
	rng string
	// aliasName is the package an "npm:name@range" alias installs.
	aliasName string
	// file is the project-relative path of specFile and specDir; outside
	// is set when it leaves the project.
	file    string
	outside bool
	url     string // specRemote
	git     gitRef // specGit
}

type gitRef struct {
	repo       string // host/owner/repo for hosted repositories, else the URL without "git+" and fragment
	committish string
	semver     string // from #semver:<range>
}

var (
	isURLSpec   = regexp.MustCompile(`(?i)^(?:git[+])?[a-z]+:`)
	isScpGit    = regexp.MustCompile(`(?i)^[^@]+@[^:.]+\.[^:]+:.+$`)
	isTarball   = regexp.MustCompile(`(?i)[.](?:tgz|tar\.gz|tar)$`)
	isPosixFile = regexp.MustCompile(`^(?:[.]|~[/]|[/]|[a-zA-Z]:)`)
	isFullSHA   = regexp.MustCompile(`^[a-fA-F0-9]{40,64}$`)
	// scpInURL finds "ssh://git@host:owner/repo", an scp path written as a URL.
	scpInURL = regexp.MustCompile(`(?i)^(ssh://[^/:]+):([^0-9/][^/]*)`)
)

// parseSpec classifies raw the way npm-package-arg's resolve does. where is
// the project-relative directory file: paths are relative to.
func parseSpec(raw, where string) spec {
	s := strings.TrimSpace(raw)
	lower := strings.ToLower(s)
	switch {
	case s == "" || s == "*":
		return spec{kind: specRange, rng: "*"}
	case strings.HasPrefix(lower, "file:") || isPosixFile.MatchString(s):
		return fileSpec(s, where)
	case strings.HasPrefix(lower, "npm:"):
		rest := s[4:]
		name, rng := rest, "*"
		if len(rest) > 1 {
			if i := strings.Index(rest[1:], "@"); i >= 0 {
				name, rng = rest[:i+1], rest[i+2:]
			}
		}
		sub := parseSpec(rng, where)
		if validName(name) != nil || (sub.kind != specRange && sub.kind != specTag) {
			return spec{kind: specInvalid} // npm: aliases only work for registry deps
		}
		// An alias of a tag keeps rng empty: like any tag, it is taken as
		// satisfied.
		return spec{kind: specAlias, aliasName: name, rng: sub.rng}
	}
	if g, ok := hostedGit(s); ok {
		return spec{kind: specGit, git: g}
	}
	if isScpGit.MatchString(s) && !isURLSpec.MatchString(s) {
		s = "git+ssh://" + s
		lower = strings.ToLower(s)
	}
	if isURLSpec.MatchString(s) {
		switch {
		case strings.HasPrefix(lower, "git+") || strings.HasPrefix(lower, "git:"):
			return spec{kind: specGit, git: plainGit(s)}
		case strings.HasPrefix(lower, "http:") || strings.HasPrefix(lower, "https:"):
			return spec{kind: specRemote, url: s}
		}
		return spec{kind: specInvalid}
	}
	if strings.Contains(s, "/") || isTarball.MatchString(s) {
		return fileSpec(s, where)
	}
	if _, err := semver.ParseRange(s, semver.Options{Loose: true}); err == nil {
		return spec{kind: specRange, rng: s}
	}
	if uriSafe(s) {
		return spec{kind: specTag}
	}
	return spec{kind: specInvalid}
}

func fileSpec(s, where string) spec {
	p := s
	if strings.HasPrefix(strings.ToLower(p), "file:") {
		p = p[5:]
		// npm turns file://x and file:/../x into relative forms.
		if strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "///") {
			p = p[1:]
		}
		if t := strings.TrimLeft(p, "/"); strings.HasPrefix(t, "./") || strings.HasPrefix(t, "../") || t == "." || t == ".." {
			p = t
		}
	}
	if u, err := url.PathUnescape(p); err == nil {
		p = u
	}
	kind := specDir
	if isTarball.MatchString(p) {
		kind = specFile
	}
	if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "~") || (len(p) > 1 && p[1] == ':') {
		return spec{kind: kind, file: p, outside: true}
	}
	j := path.Join(where, p)
	if j == "." {
		j = ""
	}
	return spec{kind: kind, file: j, outside: j == ".." || strings.HasPrefix(j, "../")}
}

// gitHosts are hosted-git-info's hosts and their shortcuts.
var gitHosts = map[string]string{"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org", "gist": "gist.github.com"}

// hostedGit recognizes the forms hosted-git-info accepts for the big hosts:
// "owner/repo" (GitHub), "github:owner/repo", and git, ssh, https or scp
// URLs on those hosts, each with an optional #committish.
func hostedGit(s string) (gitRef, bool) {
	body, frag, _ := strings.Cut(s, "#")
	if isGitHubShorthand(s) {
		body = "github:" + body
	}
	if host, rest, ok := strings.Cut(body, ":"); ok {
		if domain, known := gitHosts[strings.ToLower(host)]; known {
			rest = strings.TrimPrefix(rest, "//")
			if i := strings.LastIndex(rest, "@"); i >= 0 {
				rest = rest[i+1:]
			}
			owner, repo, ok := strings.Cut(strings.Trim(rest, "/"), "/")
			if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
				return gitRef{}, false
			}
			return newGitRef(domain+"/"+owner+"/"+strings.TrimSuffix(repo, ".git"), frag), true
		}
	}
	u := body
	if isScpGit.MatchString(u) && !isURLSpec.MatchString(u) {
		// git@github.com:owner/repo.git
		at := strings.Index(u, "@")
		colon := strings.Index(u[at:], ":") + at
		u = "ssh://" + u[:colon] + "/" + u[colon+1:]
	}
	if len(u) >= 4 && strings.EqualFold(u[:4], "git+") {
		u = u[4:]
	}
	parsed, err := url.Parse(scpInURL.ReplaceAllString(u, "$1/$2"))
	if err != nil {
		return gitRef{}, false
	}
	switch strings.ToLower(parsed.Scheme) {
	case "git", "ssh", "https", "http":
	default:
		return gitRef{}, false
	}
	host := strings.TrimPrefix(strings.ToLower(parsed.Hostname()), "www.")
	known := false
	for _, d := range gitHosts {
		known = known || host == d
	}
	if !known {
		return gitRef{}, false
	}
	parts := strings.Split(strings.Trim(parsed.Path, "/"), "/")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return gitRef{}, false
	}
	if len(parts) > 2 {
		// github.com/o/r/tree/<committish> is a repository; any other
		// third segment (tarball, archive) is a plain URL.
		if parts[2] != "tree" || len(parts) < 4 {
			return gitRef{}, false
		}
		frag = strings.Join(parts[3:], "/")
	}
	return newGitRef(host+"/"+parts[0]+"/"+strings.TrimSuffix(parts[1], ".git"), frag), true
}

// isGitHubShorthand is hosted-git-info's test for "owner/repo[#ref]".
func isGitHubShorthand(s string) bool {
	hash := strings.Index(s, "#")
	before := s
	if hash >= 0 {
		before = s[:hash]
	}
	slash := strings.Index(before, "/")
	return slash > 0 &&
		!strings.ContainsAny(before, " \t\n\r\f\v@:") &&
		!strings.Contains(before[slash+1:], "/") &&
		!strings.HasSuffix(before, "/") &&
		!strings.HasPrefix(s, ".")
}

func plainGit(s string) gitRef {
	body, frag, _ := strings.Cut(s, "#")
	if len(body) >= 4 && strings.EqualFold(body[:4], "git+") {
		body = body[4:]
	}
	return newGitRef(body, frag)
}

// newGitRef splits npm's "#committish", "#semver:<range>" and "::"-joined
// forms; path: parts do not identify the repository and are ignored.
func newGitRef(repo, frag string) gitRef {
	g := gitRef{repo: repo}
	for _, part := range strings.Split(frag, "::") {
		k, v, isKV := strings.Cut(part, ":")
		switch {
		case !isKV:
			g.committish = part
		case k == "semver":
			if u, err := url.PathUnescape(v); err == nil {
				g.semver = u
			} else {
				g.semver = v
			}
		}
	}
	return g
}
