package yarn

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// Dep is one dependency of an entry: yarn requests it as the pattern
// Name@Range, which names another entry.
type Dep struct {
	Name, Range string
}

// Pattern is the lockfile key the dependency is resolved through.
func (d Dep) Pattern() string { return d.Name + "@" + d.Range }

// Entry is one top-level block of yarn.lock: one resolved package and
// every pattern that resolved to it.
type Entry struct {
	Patterns []string
	// Name is what the package is installed as: the patterns' name,
	// which for an npm: alias ("x@npm:y@^1") is the alias, x.
	Name string
	// RealName is the name the package is published under: y for an
	// alias, else Name.
	RealName string
	Version  string
	// Resolved is where the bytes come from, as the lockfile wrote it
	// (for registry tarballs with the "#sha1" fragment).
	Resolved string
	// Integrity is the integrity field, or, when there is none, the sha1
	// of resolved's fragment as SRI ("sha1-...").
	Integrity string
	// Source is where the bytes come from; URL is Resolved without the
	// fragment, registry.yarnpkg.com read as registry.npmjs.org.
	Source lock.Source
	URL    string
	// Dependencies and OptionalDependencies in lockfile order.
	Dependencies, OptionalDependencies []Dep
	Line                               int
}

// Key identifies the package an entry installs: yarn gives one manifest
// to every pattern that resolves to the same name and version.
func (e *Entry) Key() string { return e.Name + "@" + e.Version }

// Package is the entry as a lock.Package at install location path (named
// by RealName, as lock/npm names an npm: alias).
func (e *Entry) Package(path string) lock.Package {
	return lock.Package{
		Ecosystem: lock.NPM,
		Name:      e.RealName,
		Version:   e.Version,
		Path:      path,
		Source:    e.Source,
		Resolved:  e.URL,
		Integrity: e.Integrity,
	}
}

// Lockfile is a parsed yarn.lock.
type Lockfile struct {
	// Entries in lockfile order.
	Entries []*Entry
	// ByPattern finds the entry of every pattern.
	ByPattern map[string]*Entry
}

// versionRe is semver 2.0 without a leading "v" or "=", as in lock/pnpm:
// the version becomes part of tarball URLs and is compared with ranges.
var versionRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// sha1Re is the fragment yarn appends to registry tarball URLs.
var sha1Re = regexp.MustCompile(`^[0-9a-f]{40}$`)

// SplitPattern is yarn's normalizePattern: "@s/n@^1" is "@s/n" and "^1".
// A pattern without a range gets "latest", as yarn does.
func SplitPattern(p string) (name, rng string) {
	rest := p
	scoped := strings.HasPrefix(rest, "@")
	if scoped {
		rest = rest[1:]
	}
	name, rng, ok := strings.Cut(rest, "@")
	switch {
	case !ok:
		rng = "latest"
	case rng == "":
		rng = "*"
	}
	if scoped {
		name = "@" + name
	}
	return name, rng
}

// Parse reads a yarn 1 lockfile. See the package documentation for what
// it refuses.
func Parse(data []byte) (*Lockfile, error) {
	raws, err := parseRaw(data)
	if err != nil {
		return nil, fmt.Errorf("lock/yarn: %w", err)
	}
	lf := &Lockfile{ByPattern: map[string]*Entry{}}
	for _, r := range raws {
		e, err := interpret(r)
		if err != nil {
			return nil, fmt.Errorf("lock/yarn: line %d (%s): %w", r.line, strings.Join(r.patterns, ", "), err)
		}
		for _, p := range e.Patterns {
			if prev, dup := lf.ByPattern[p]; dup {
				return nil, fmt.Errorf("lock/yarn: %w: line %d: pattern %q is also the key of the entry on line %d", ErrSyntax, r.line, p, prev.Line)
			}
			lf.ByPattern[p] = e
		}
		lf.Entries = append(lf.Entries, e)
	}
	return lf, nil
}

func interpret(r rawEntry) (*Entry, error) {
	e := &Entry{Patterns: r.patterns, Line: r.line}
	for i, p := range r.patterns {
		name, rng := SplitPattern(p)
		if err := validName(name); err != nil {
			return nil, err
		}
		real := name
		if target, ok := strings.CutPrefix(rng, "npm:"); ok {
			// An alias: installed under name, published as the package
			// npm:<real>@<range> names (yarn's registry-resolver).
			var inner string
			real, inner = SplitPattern(target)
			if !strings.Contains(target[1:], "@") {
				real, inner = target, "latest"
			}
			if err := validName(real); err != nil {
				return nil, fmt.Errorf("alias %q: %w", p, err)
			}
			if strings.HasPrefix(inner, "npm:") {
				return nil, fmt.Errorf("%w: %q is an alias of an alias", ErrUnsupportedSource, p)
			}
		}
		if i == 0 {
			e.Name, e.RealName = name, real
		} else if name != e.Name || real != e.RealName {
			describe := func(n, r string) string {
				if n == r {
					return fmt.Sprintf("%q", n)
				}
				return fmt.Sprintf("%q (an alias of %q)", n, r)
			}
			return nil, fmt.Errorf("%w: patterns of one entry name %s and %s", ErrSyntax, describe(e.Name, e.RealName), describe(name, real))
		}
	}
	b := r.body
	for _, k := range b.keys {
		_, isBlock := b.blocks[k]
		switch k {
		case "version", "resolved", "integrity", "uid", "registry", "name":
			if isBlock {
				return nil, syntaxErr(b.lines[k], "%s must be a value", k)
			}
		case "dependencies", "optionalDependencies":
			if !isBlock {
				return nil, syntaxErr(b.lines[k], "%s must be a list", k)
			}
		default:
			// permissions, prebuiltVariants and anything newer change
			// what yarn does in ways airlock does not reproduce.
			return nil, syntaxErr(b.lines[k], "unknown field %q; airlock may not understand what it changes", k)
		}
	}
	if n, ok := b.values["name"]; ok && n != e.Name {
		return nil, syntaxErr(b.lines["name"], "name %q differs from the patterns' %q", n, e.Name)
	}
	if reg, ok := b.values["registry"]; ok && reg != "npm" {
		return nil, fmt.Errorf("%w: registry %q", ErrUnsupportedSource, reg)
	}
	e.Version = b.values["version"]
	if !versionRe.MatchString(e.Version) {
		if e.Version == "" {
			return nil, syntaxErr(r.line, "entry has no version")
		}
		return nil, fmt.Errorf("%w: %q is not a semver version", ErrBadVersion, e.Version)
	}
	if uid, ok := b.values["uid"]; ok && uid != "" && uid != e.Version {
		return nil, syntaxErr(b.lines["uid"], "uid %q differs from the version", uid)
	}
	e.Resolved = b.values["resolved"]
	e.Integrity = b.values["integrity"]
	for _, f := range []struct {
		key string
		dst *[]Dep
	}{{"dependencies", &e.Dependencies}, {"optionalDependencies", &e.OptionalDependencies}} {
		blk := b.blocks[f.key]
		if blk == nil {
			continue
		}
		if len(blk.blocks) > 0 {
			return nil, syntaxErr(blk.line, "%s holds a nested list", f.key)
		}
		for _, name := range blk.keys {
			if err := validName(name); err != nil {
				return nil, fmt.Errorf("%s: %w", f.key, err)
			}
			rng := blk.values[name]
			if rng == "" {
				return nil, syntaxErr(blk.lines[name], "%s %q has an empty range", f.key, name)
			}
			*f.dst = append(*f.dst, Dep{Name: name, Range: rng})
		}
	}
	if err := classify(e); err != nil {
		return nil, err
	}
	return e, nil
}

// classify sets Source and URL from resolved and the patterns, and the
// sha1 integrity of an entry without one.
func classify(e *Entry) error {
	res := e.Resolved
	_, rng := SplitPattern(e.Patterns[0])
	switch {
	case res == "":
		return fmt.Errorf("%w: entry has no resolved field; run `yarn install` to record where it came from", ErrSyntax)
	case strings.HasPrefix(res, "file:"):
		e.Source, e.URL = lock.SourceFile, strings.TrimPrefix(res, "file:")
		return nil
	case strings.HasPrefix(res, "git+") || strings.HasPrefix(res, "git:") || strings.HasPrefix(res, "github:") || gitRange(rng):
		e.Source, e.URL = lock.SourceGit, res
		return nil
	case !strings.HasPrefix(res, "https://") && !strings.HasPrefix(res, "http://"):
		return fmt.Errorf("%w: resolved %q is neither a URL nor a file", ErrUnsupportedSource, res)
	}
	u, frag, _ := strings.Cut(res, "#")
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return fmt.Errorf("%w: resolved %q is not a URL", ErrSyntax, res)
	}
	if strings.EqualFold(parsed.Hostname(), "registry.yarnpkg.com") {
		// yarn's default registry is a front for the npm registry: yarn
		// itself sends it the npm registry's credentials.
		parsed.Host = "registry.npmjs.org"
		u = parsed.String()
	}
	e.URL = u
	e.Source = lock.SourceRegistry
	if strings.Contains(rng, "://") {
		e.Source = lock.SourceRemote
	}
	if e.Integrity == "" && frag != "" {
		if !sha1Re.MatchString(frag) {
			return fmt.Errorf("%w: resolved %q: the fragment is not a sha1", ErrSyntax, res)
		}
		sum, _ := hex.DecodeString(frag)
		e.Integrity = "sha1-" + base64.StdEncoding.EncodeToString(sum)
	}
	return nil
}

// gitRange reports a pattern range yarn resolves through one of its git
// resolvers: git URLs, hosted-git prefixes, and the "user/repo" GitHub
// shorthand (whose lockfile entry is then a codeload.github.com tarball).
func gitRange(rng string) bool {
	for _, p := range []string{"git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:"} {
		if strings.HasPrefix(rng, p) {
			return true
		}
	}
	if strings.Contains(rng, "://") {
		u, _, _ := strings.Cut(rng, "#")
		return strings.HasSuffix(u, ".git")
	}
	return strings.Contains(rng, "/") && !strings.Contains(rng, ":")
}

// validName is lock.NameProblem in this package's ErrBadName.
func validName(name string) error {
	if why := lock.NameProblem(name); why != "" {
		return fmt.Errorf("%w %q: %s", ErrBadName, name, why)
	}
	return nil
}
