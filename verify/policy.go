package verify

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Policy is the install policy (airlock.toml's [policy]) as data: a base
// set of Rules, per-package overrides and a deny list. It decides; it never
// fetches. Evaluation is two steps so that nothing is downloaded before
// policy allows it: Static needs only the lockfile, Metadata also the
// registry's metadata for the version (which Needs says whether to fetch).
//
// Provenance (require_provenance, provenance_repos, provenance_builders)
// and advisory thresholds are Rules like the others, inherited and
// overridden per package; provenance is decided in Metadata over
// Facts.Provenance, advisories by Advisories over what verify/advisory
// matched.
type Policy struct {
	Base      Rules
	Overrides []Override
	Deny      []DenyRule
	// AdvisoryBulk is [policy] advisories.bulk: ask the registry's bulk
	// advisory endpoint (nil: yes, where the registry answers).
	AdvisoryBulk *bool
	// Source names where the policy was written ("airlock.toml" path), for
	// explanations; "" means the built-in defaults.
	Source string
	// RelockHint is the command that rewrites the lockfile being installed
	// ("pnpm install --lockfile-only"), which overrides name; "" means
	// DefaultRelockHint. The policy is shared by every lockfile kind and
	// only the caller knows which one it applies to.
	RelockHint string
}

// DefaultRelockHint is the re-lock command named when the caller names
// none: npm's, whose lockfile was airlock's first.
const DefaultRelockHint = "npm install --package-lock-only"

// relock is the command overrides name for rewriting the lockfile.
func (p *Policy) relock() string {
	if p == nil || p.RelockHint == "" {
		return DefaultRelockHint
	}
	return p.RelockHint
}

// Rules are the settings that can differ per package. A nil or empty field
// inherits from the less specific level (Base, then the built-in default).
type Rules struct {
	// RequireSignatures: nil is "auto", required wherever airlock holds
	// signing keys for the package's registry; false never checks; true
	// also refuses registries without keys.
	RequireSignatures *bool
	// MinReleaseAge refuses versions published more recently than this.
	MinReleaseAge *time.Duration
	// WeakHashes is what to do with a lockfile entry pinned by sha1 only:
	// WeakWarn (default) or WeakDeny.
	WeakHashes string
	// AllowSources lists the sources allowed besides nothing: "registry"
	// (the default), "git", "remote", "file".
	AllowSources []string

	// RequireProvenance: nil is "auto", verify the provenance attestations
	// a registry lists whenever its metadata is read for another rule, and
	// warn about a provenance downgrade; true fetches metadata for every
	// package and refuses those without verified provenance (and
	// downgrades); false never checks.
	RequireProvenance *bool
	// ProvenanceRepos and ProvenanceBuilders, when set, are globs (with *)
	// that a verified attestation's source repository and builder id must
	// match ("https://github.com/acme/*").
	ProvenanceRepos    []string
	ProvenanceBuilders []string

	// AdvisoryFail and AdvisoryWarn are severity thresholds (low, moderate,
	// high, critical, never) for known vulnerabilities; malware always
	// fails. IgnoreAdvisories lists advisory ids or aliases not to act on.
	AdvisoryFail     string
	AdvisoryWarn     string
	IgnoreAdvisories []string
}

const (
	WeakWarn = "warn"
	WeakDeny = "deny"
)

// Default advisory thresholds: a known high or critical vulnerability
// refuses the install, anything lower warns.
const (
	DefaultAdvisoryFail = "high"
	DefaultAdvisoryWarn = "low"
)

// Sources a lockfile entry can come from, as AllowSources names them.
var knownSources = []string{"registry", "git", "remote", "file"}

// Override is one [policy.packages."PATTERN"] table.
type Override struct {
	Pattern string // a name or a glob with *
	Rules   Rules
	// From names where the override was written when that is not
	// airlock.toml's [policy.packages."PATTERN"] (a native tool's setting,
	// such as pnpm-workspace.yaml's minimumReleaseAge), for explanations.
	From string
}

// DenyRule is one entry of deny: a name or glob, optionally with a
// version range ("left-pad", "@evil/*", "left-pad@<2", "ua-parser-js@0.7.29").
type DenyRule struct {
	Spec    string
	Pattern string
	Range   string
}

// RangeMatcher reports whether version is in an ecosystem's version range
// (lock/npm.Satisfies for npm); ParseDeny uses its companion validator.
type RangeMatcher func(version, rng string) bool

// ParseDeny parses one deny entry. validRange checks the range part.
func ParseDeny(spec string, validRange func(string) error) (DenyRule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return DenyRule{}, errors.New("empty deny entry")
	}
	// "@scope/name@range": the range starts at the second "@".
	at := strings.Index(s[1:], "@")
	if at < 0 {
		return DenyRule{Spec: spec, Pattern: s}, nil
	}
	at++
	d := DenyRule{Spec: spec, Pattern: s[:at], Range: s[at+1:]}
	if d.Pattern == "" || d.Range == "" {
		return DenyRule{}, fmt.Errorf("deny %q: want NAME, NAME@RANGE or a glob such as \"@scope/*\"", spec)
	}
	if validRange != nil {
		if err := validRange(d.Range); err != nil {
			return DenyRule{}, fmt.Errorf("deny %q: version range %q: %v", spec, d.Range, err)
		}
	}
	return d, nil
}

// ParseAge parses a release age: a whole number followed by d, h, m or s,
// concatenated as in "7d", "36h", "1d12h"; "0" means no minimum.
func ParseAge(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	rest := s
	var total time.Duration
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i == len(rest) {
			return 0, fmt.Errorf("release age %q: want a number and a unit, such as \"7d\", \"36h\" or \"90m\"", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 32)
		u, ok := units[rest[i]]
		if err != nil || !ok {
			return 0, fmt.Errorf("release age %q: want a number and a unit (d, h, m, s), such as \"7d\"", s)
		}
		total += time.Duration(n) * u
		rest = rest[i+1:]
	}
	if s == "" {
		return 0, errors.New("release age is empty; use \"0\" for none")
	}
	return total, nil
}

// formatAge prints a duration the way ParseAge reads it.
func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// ValidateRules checks values that the type system does not.
func ValidateRules(r Rules) error {
	switch r.WeakHashes {
	case "", WeakWarn, WeakDeny:
	default:
		return fmt.Errorf("weak_hashes = %q: want \"warn\" or \"deny\"", r.WeakHashes)
	}
	for name, v := range map[string]string{"advisories.fail": r.AdvisoryFail, "advisories.warn": r.AdvisoryWarn} {
		if v != "" {
			if err := ParseSeverityLevel(v); err != nil {
				return fmt.Errorf("%s = %w", name, err)
			}
		}
	}
	for _, ig := range r.IgnoreAdvisories {
		if strings.HasPrefix(strings.ToUpper(ig), "MAL-") {
			return fmt.Errorf("advisories.ignore: %q is a malicious-package report, which cannot be ignored; remove the package instead", ig)
		}
	}
	for _, s := range r.AllowSources {
		ok := false
		for _, k := range knownSources {
			ok = ok || s == k
		}
		if !ok {
			return fmt.Errorf("allow_sources: unknown source %q (want %s)", s, strings.Join(knownSources, ", "))
		}
	}
	return nil
}

// WithNames returns the policy as it applies to an ecosystem whose package
// names compare in a normal form (PEP 503 for Python: "Foo_Bar" is
// "foo-bar"): every deny and override pattern is put in that form, so that
// the names it is matched against must be given in it too. Specs stay as
// written, for explanations.
func (p *Policy) WithNames(normalize func(string) string) *Policy {
	if p == nil {
		return nil
	}
	q := *p
	q.Deny = make([]DenyRule, len(p.Deny))
	for i, d := range p.Deny {
		d.Pattern = normalize(d.Pattern)
		q.Deny[i] = d
	}
	q.Overrides = make([]Override, len(p.Overrides))
	for i, o := range p.Overrides {
		o.Pattern = normalize(o.Pattern)
		q.Overrides[i] = o
	}
	return &q
}

// MatchName reports whether name matches pattern, where * matches any run
// of characters (slashes included: "@babel/*" matches every @babel package,
// "*" every package).
func MatchName(pattern, name string) bool {
	// Iterative wildcard match with single backtracking point: linear in
	// practice, never exponential.
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// specificity orders overrides: an exact name beats any glob, and among
// globs the one with more literal characters is more specific.
func specificity(pattern string) int {
	lit := len(pattern) - strings.Count(pattern, "*")
	if !strings.Contains(pattern, "*") {
		return 1<<20 + lit
	}
	return lit
}

// Effective is the resolved rule set for one package, with where each
// setting came from for explanations.
type Effective struct {
	RequireSignatures  *bool
	MinReleaseAge      time.Duration
	WeakHashes         string
	AllowSources       []string
	RequireProvenance  *bool
	ProvenanceRepos    []string
	ProvenanceBuilders []string
	AdvisoryFail       string
	AdvisoryWarn       string
	IgnoreAdvisories   []string
	// From maps a setting name to `[policy]` or `[policy.packages."PATTERN"]`.
	From map[string]string
}

// For resolves the rules that apply to name: built-in defaults, then
// [policy], then every matching override from least to most specific.
func (p *Policy) For(name string) Effective {
	e := Effective{WeakHashes: WeakWarn, AllowSources: []string{"registry"}, From: map[string]string{},
		AdvisoryFail: DefaultAdvisoryFail, AdvisoryWarn: DefaultAdvisoryWarn}
	apply := func(r Rules, where string) {
		if r.RequireSignatures != nil {
			e.RequireSignatures, e.From["require_signatures"] = r.RequireSignatures, where
		}
		if r.MinReleaseAge != nil {
			e.MinReleaseAge, e.From["min_release_age"] = *r.MinReleaseAge, where
		}
		if r.WeakHashes != "" {
			e.WeakHashes, e.From["weak_hashes"] = r.WeakHashes, where
		}
		if r.AllowSources != nil {
			e.AllowSources, e.From["allow_sources"] = r.AllowSources, where
		}
		if r.RequireProvenance != nil {
			e.RequireProvenance, e.From["require_provenance"] = r.RequireProvenance, where
		}
		if r.ProvenanceRepos != nil {
			e.ProvenanceRepos, e.From["provenance_repos"] = r.ProvenanceRepos, where
		}
		if r.ProvenanceBuilders != nil {
			e.ProvenanceBuilders, e.From["provenance_builders"] = r.ProvenanceBuilders, where
		}
		if r.AdvisoryFail != "" {
			e.AdvisoryFail, e.From["advisories.fail"] = r.AdvisoryFail, where
		}
		if r.AdvisoryWarn != "" {
			e.AdvisoryWarn, e.From["advisories.warn"] = r.AdvisoryWarn, where
		}
		if r.IgnoreAdvisories != nil {
			// Ignores accumulate: a package's list adds to [policy]'s.
			e.IgnoreAdvisories, e.From["advisories.ignore"] = append(append([]string(nil), e.IgnoreAdvisories...), r.IgnoreAdvisories...), where
		}
	}
	if p == nil {
		return e
	}
	apply(p.Base, "[policy]")
	var matched []Override
	for _, o := range p.Overrides {
		if MatchName(o.Pattern, name) {
			matched = append(matched, o)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool { return specificity(matched[i].Pattern) < specificity(matched[j].Pattern) })
	for _, o := range matched {
		where := o.From
		if where == "" {
			where = fmt.Sprintf("[policy.packages.%q]", o.Pattern)
		}
		apply(o.Rules, where)
	}
	return e
}

// Verdict is what a decision means for the install.
type Verdict string

const (
	Allow Verdict = "allow" // a check ran and passed
	Warn  Verdict = "warn"  // install, but tell the user
	Deny  Verdict = "deny"  // refuse the install
	Info  Verdict = "info"  // a check could not run ("not available")
)

// Decision is one explained policy outcome: which rule, which package,
// what evidence, and how to change the outcome.
type Decision struct {
	Rule     string // "deny", "allow_sources", "weak_hashes", "integrity", "signatures", "min_release_age", "origin", "provenance", "advisories", "malware", "deprecated"
	Verdict  Verdict
	Name     string
	Version  string
	Path     string
	Message  string // what was decided and why, one sentence
	Evidence string // the facts it rests on (keyids, times, digests, URLs)
	Override string // how to change the outcome, "" when nothing should
}

func (d Decision) String() string {
	s := d.Message
	if d.Evidence != "" {
		s += " [" + d.Evidence + "]"
	}
	if d.Override != "" {
		s += "; " + d.Override
	}
	return s
}
