package pypi

import (
	"fmt"
	"regexp"
	"strings"
)

// Version is a parsed PEP 440 version. Numbers are kept as decimal strings
// without leading zeros so that any length compares correctly (PEP 440 puts
// no bound on them, and neither does packaging).
type Version struct {
	Epoch   string
	Release []string
	// Pre is the pre-release kind ("a", "b" or "rc"; "" when absent) and
	// PreN its number.
	Pre, PreN string
	// Post and Dev are the post- and dev-release numbers; HasPost and
	// HasDev say whether the segment is present.
	Post, Dev       string
	HasPost, HasDev bool
	// Local holds the local version label's parts ("+ubuntu.1" → "ubuntu", "1"),
	// lower-cased.
	Local []string
}

// versionPattern is packaging's VERSION_PATTERN (PEP 440 appendix B).
var versionPattern = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?` +
	`\s*$`)

var versionGroups = func() map[string]int {
	m := map[string]int{}
	for i, n := range versionPattern.SubexpNames() {
		if n != "" {
			m[n] = i
		}
	}
	return m
}()

// ParseVersion parses a PEP 440 version, accepting the spellings PEP 440's
// normalisation accepts ("1.0-RC1", "v1.0", "1.0.post-1", surrounding
// space). Errors match ErrBadVersion.
func ParseVersion(s string) (Version, error) {
	m := versionPattern.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("%w: %q is not a PEP 440 version", ErrBadVersion, s)
	}
	g := func(name string) string { return m[versionGroups[name]] }
	v := Version{Epoch: trimZeros(g("epoch"))}
	for _, part := range strings.Split(g("release"), ".") {
		v.Release = append(v.Release, trimZeros(part))
	}
	if g("pre") != "" {
		switch strings.ToLower(g("pre_l")) {
		case "alpha", "a":
			v.Pre = "a"
		case "beta", "b":
			v.Pre = "b"
		default: // c, rc, pre, preview
			v.Pre = "rc"
		}
		v.PreN = trimZeros(g("pre_n"))
	}
	if g("post") != "" {
		v.HasPost = true
		v.Post = trimZeros(g("post_n1") + g("post_n2"))
	}
	if g("dev") != "" {
		v.HasDev = true
		v.Dev = trimZeros(g("dev_n"))
	}
	if l := g("local"); l != "" {
		v.Local = strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	}
	return v, nil
}

// trimZeros returns the canonical decimal spelling: no leading zeros, "0"
// for an empty or all-zero string.
func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// cmpNum compares two canonical decimal strings numerically.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// String returns the normalised form ("1!2.0rc1.post2.dev3+local.1").
func (v Version) String() string {
	s := v.Public()
	if len(v.Local) > 0 {
		s += "+" + strings.Join(v.Local, ".")
	}
	return s
}

// Public returns the normalised version without its local label.
func (v Version) Public() string {
	var b strings.Builder
	if v.Epoch != "0" && v.Epoch != "" {
		b.WriteString(v.Epoch + "!")
	}
	b.WriteString(strings.Join(v.Release, "."))
	if v.Pre != "" {
		b.WriteString(v.Pre + v.PreN)
	}
	if v.HasPost {
		b.WriteString(".post" + v.Post)
	}
	if v.HasDev {
		b.WriteString(".dev" + v.Dev)
	}
	return b.String()
}

// IsPrerelease is packaging's is_prerelease: a pre- or dev-release.
func (v Version) IsPrerelease() bool { return v.Pre != "" || v.HasDev }

// publicOnly drops the local label.
func (v Version) publicOnly() Version { v.Local = nil; return v }

// base is packaging's base_version: epoch and release only.
func (v Version) base() Version { return Version{Epoch: v.Epoch, Release: v.Release} }

// Compare orders versions per PEP 440 (packaging's _cmpkey): -1, 0 or +1.
func (v Version) Compare(w Version) int {
	if c := cmpNum(trimZeros(v.Epoch), trimZeros(w.Epoch)); c != 0 {
		return c
	}
	// Trailing zeros of the release do not count: 1.0 == 1.0.0.
	n := max(len(v.Release), len(w.Release))
	for i := range n {
		a, b := "0", "0"
		if i < len(v.Release) {
			a = v.Release[i]
		}
		if i < len(w.Release) {
			b = w.Release[i]
		}
		if c := cmpNum(a, b); c != 0 {
			return c
		}
	}
	if c := cmpPre(v, w); c != 0 {
		return c
	}
	// A missing post-release sorts before every post-release.
	if c := cmpOptional(v.HasPost, v.Post, w.HasPost, w.Post, -1); c != 0 {
		return c
	}
	// A missing dev-release sorts after every dev-release.
	if c := cmpOptional(v.HasDev, v.Dev, w.HasDev, w.Dev, +1); c != 0 {
		return c
	}
	return cmpLocal(v.Local, w.Local)
}

// preKey is packaging's pre-release key: a dev-only release (1.0.dev1)
// sorts before every pre-release of its version, a final or post release
// after all of them.
func preKey(v Version) (rank int, kind, n string) {
	switch {
	case v.Pre == "" && !v.HasPost && v.HasDev:
		return -1, "", ""
	case v.Pre == "":
		return 1, "", ""
	}
	return 0, v.Pre, v.PreN
}

func cmpPre(v, w Version) int {
	rv, kv, nv := preKey(v)
	rw, kw, nw := preKey(w)
	if rv != rw {
		if rv < rw {
			return -1
		}
		return 1
	}
	if rv != 0 {
		return 0
	}
	if c := strings.Compare(kv, kw); c != 0 { // "a" < "b" < "rc"
		return c
	}
	return cmpNum(nv, nw)
}

// cmpOptional compares optional numbers; absentRank says where an absent
// one sorts (-1 first, +1 last).
func cmpOptional(hasA bool, a string, hasB bool, b string, absentRank int) int {
	switch {
	case !hasA && !hasB:
		return 0
	case !hasA:
		return absentRank
	case !hasB:
		return -absentRank
	}
	return cmpNum(a, b)
}

// cmpLocal orders local labels: none before any; part by part, numeric
// parts compare as numbers and sort after alphanumeric ones; a longer label
// whose prefix is equal sorts after.
func cmpLocal(a, b []string) int {
	if len(a) == 0 || len(b) == 0 {
		switch {
		case len(a) == len(b):
			return 0
		case len(a) == 0:
			return -1
		}
		return 1
	}
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		xn, yn := isDigits(x), isDigits(y)
		var c int
		switch {
		case xn && yn:
			c = cmpNum(trimZeros(x), trimZeros(y))
		case xn:
			c = 1
		case yn:
			c = -1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// Specifier is one PEP 440 version clause ("~=1.4", "==1.*", "!=2.0").
type Specifier struct {
	Op      string // ==, !=, <=, >=, <, >, ~=, ===
	Version string // as written, without surrounding space
	// Wildcard is set for "==1.*" and "!=1.*" (Version holds "1").
	Wildcard bool
	v        Version
}

func (s Specifier) String() string {
	if s.Wildcard {
		return s.Op + s.Version + ".*"
	}
	return s.Op + s.Version
}

// Specifiers is a comma-separated conjunction of clauses.
type Specifiers []Specifier

func (ss Specifiers) String() string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

var (
	specOp = regexp.MustCompile(`^\s*(===|~=|==|!=|<=|>=|<|>)\s*`)
	// The clause shapes packaging's Specifier regex accepts per operator:
	// a wildcard only for == and != right after the release, a local label
	// only for == and != without a wildcard, ~= with two or more release
	// numbers and no local label.
	specWildcard = regexp.MustCompile(`^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*\.\*$`)
	specCompat   = regexp.MustCompile(`^v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+[^+]*$`)
)

// ParseSpecifier parses one clause. Errors match ErrSyntax.
func ParseSpecifier(s string) (Specifier, error) {
	m := specOp.FindStringSubmatch(s)
	if m == nil {
		return Specifier{}, fmt.Errorf("%w: %q: a version clause starts with ==, !=, <=, >=, <, >, ~= or ===", ErrSyntax, s)
	}
	op, rest := m[1], strings.TrimSpace(s[len(m[0]):])
	spec := Specifier{Op: op, Version: rest}
	bad := func(why string) (Specifier, error) {
		return Specifier{}, fmt.Errorf("%w: version clause %q: %s", ErrSyntax, strings.TrimSpace(s), why)
	}
	if rest == "" {
		return bad("no version")
	}
	if op == "===" {
		if strings.ContainsAny(rest, " \t;)") {
			return bad("=== takes one word")
		}
		return spec, nil
	}
	if strings.HasSuffix(rest, ".*") {
		if (op != "==" && op != "!=") || !specWildcard.MatchString(strings.ToLower(rest)) {
			return bad(".* is allowed only as ==X.Y.* or !=X.Y.*")
		}
		spec.Wildcard = true
		spec.Version = strings.TrimSuffix(rest, ".*")
	}
	v, err := ParseVersion(spec.Version)
	if err != nil || strings.ContainsAny(spec.Version, " \t") {
		return bad("not a PEP 440 version")
	}
	if len(v.Local) > 0 && (op != "==" && op != "!=") {
		return bad("a local version label (+...) is allowed only with == and !=")
	}
	if op == "~=" && !specCompat.MatchString(spec.Version) {
		return bad("~= needs at least two release numbers (~=1.4)")
	}
	spec.v = v
	return spec, nil
}

// ParseSpecifiers parses a comma-separated specifier set (">=3.9, <4").
// An empty string is the empty set, which every version satisfies. Errors
// match ErrSyntax.
func ParseSpecifiers(s string) (Specifiers, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ss Specifiers
	for _, part := range strings.Split(s, ",") {
		spec, err := ParseSpecifier(part)
		if err != nil {
			return nil, err
		}
		ss = append(ss, spec)
	}
	return ss, nil
}

// Contains reports whether v satisfies every clause. Pre-releases are
// accepted (packaging's contains(prereleases=True)): markers evaluate that
// way, and a lock already chose its versions.
func (ss Specifiers) Contains(v Version) bool {
	for _, s := range ss {
		if !s.Contains(v) {
			return false
		}
	}
	return true
}

// Contains reports whether v satisfies the clause (packaging 24's
// Specifier.contains with prereleases=True).
func (s Specifier) Contains(v Version) bool {
	switch s.Op {
	case "===":
		return strings.EqualFold(v.String(), s.Version)
	case "==":
		return s.equal(v)
	case "!=":
		return !s.equal(v)
	case "<=":
		return v.publicOnly().Compare(s.v) <= 0
	case ">=":
		return v.publicOnly().Compare(s.v) >= 0
	case "<":
		if v.Compare(s.v) >= 0 {
			return false
		}
		// <3.1 must not admit 3.1rc1, a pre-release of the excluded version.
		return s.v.IsPrerelease() || !v.IsPrerelease() || v.base().Compare(s.v.base()) != 0
	case ">":
		if v.Compare(s.v) <= 0 {
			return false
		}
		// >3.1 must not admit 3.1.post1 or 3.1+local, which are "3.1".
		if !s.v.HasPost && v.HasPost && v.base().Compare(s.v.base()) == 0 {
			return false
		}
		return len(v.Local) == 0 || v.base().Compare(s.v.base()) != 0
	case "~=":
		prefix := s.v.Release[:len(s.v.Release)-1]
		return v.publicOnly().Compare(s.v) >= 0 && prefixMatch(v, s.v.Epoch, prefix)
	}
	return false
}

func (s Specifier) equal(v Version) bool {
	if s.Wildcard {
		return prefixMatch(v, s.v.Epoch, s.v.Release)
	}
	if len(s.v.Local) == 0 {
		v = v.publicOnly()
	}
	return v.Compare(s.v) == 0
}

// prefixMatch is packaging's wildcard equality: v's epoch equals epoch and
// v's release, padded with zeros, starts with release.
func prefixMatch(v Version, epoch string, release []string) bool {
	if cmpNum(trimZeros(v.Epoch), trimZeros(epoch)) != 0 {
		return false
	}
	for i, r := range release {
		got := "0"
		if i < len(v.Release) {
			got = v.Release[i]
		}
		if cmpNum(got, r) != 0 {
			return false
		}
	}
	return true
}
