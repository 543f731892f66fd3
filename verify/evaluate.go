package verify

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// Subject is one lockfile entry as policy sees it.
type Subject struct {
	Name, Version, Path string
	// Source is "registry", "git", "remote" or "file".
	Source string
	// Resolved is where the lockfile says the bytes come from, shown in
	// explanations (already redacted by the caller).
	Resolved string
	// Integrity is the lockfile's integrity string.
	Integrity string
	// Registry is the registry the package's metadata comes from.
	Registry string
}

func (s Subject) id() string { return s.Name + "@" + s.Version }

func (s Subject) decision(rule string, v Verdict, msg string) Decision {
	return Decision{Rule: rule, Verdict: v, Name: s.Name, Version: s.Version, Path: s.Path, Message: msg}
}

// RegistryTrust is what airlock knows about a registry's signing.
type RegistryTrust struct {
	URL string
	// Keys are the trusted signing keys; empty when the registry publishes
	// none (or none are pinned).
	Keys []RegistryKey
	// KeysFrom says where the keys came from ("built in", "pinned in
	// airlock.toml", "trusted on first use, pinned in airlock.keys.toml").
	KeysFrom string
	// Origin, when set, is the authoritative registry this one mirrors and
	// whose metadata must agree with it (origin_check).
	Origin string
}

// Needs says what registry metadata Metadata will need for a package.
type Needs struct {
	Packument bool // this registry's packument version
	Time      bool // with time[version] (may need the full document)
	Origin    bool // the origin registry's packument version too
	// Provenance: verify the attestations the packument lists (and look
	// at earlier versions' for a downgrade).
	Provenance bool
}

// Any reports whether anything must be fetched.
func (n Needs) Any() bool { return n.Packument || n.Origin }

// Static evaluates the rules that need only the lockfile: deny,
// allow_sources and the lockfile's own integrity (weak_hashes). It runs
// before anything, metadata included, is fetched.
func (p *Policy) Static(s Subject, match RangeMatcher) []Decision {
	out := p.Denied(s, match)
	e := p.For(s.Name)
	src := p.source()
	if s.Source != "registry" {
		allowed := false
		for _, a := range e.AllowSources {
			allowed = allowed || a == s.Source
		}
		where := e.From["allow_sources"]
		if where == "" {
			where = "the default"
		}
		d := s.decision("allow_sources", Deny, "")
		d.Evidence = fmt.Sprintf("allow_sources = [%s] from %s", quoteList(e.AllowSources), where)
		if !allowed {
			d.Message = fmt.Sprintf("%s comes from a %s source, which policy does not allow", s.id(), s.Source)
			d.Override = fmt.Sprintf("add %q to allow_sources in [policy] (or in [policy.packages.%q]) of %s to allow it; or publish it to a registry and update the lockfile", s.Source, s.Name, src)
		} else {
			d.Message = fmt.Sprintf("%s comes from a %s source: allowed by policy, but installing %s sources is not supported yet", s.id(), s.Source, s.Source)
			d.Override = "publish it to a registry (or configure its host as one in .npmrc) and update the lockfile"
		}
		out = append(out, d)
		return out
	}
	in, err := ParseSRI(s.Integrity)
	switch {
	case err != nil:
		d := s.decision("integrity", Deny, fmt.Sprintf("%s has no usable integrity in the lockfile", s.id()))
		d.Evidence = err.Error()
		d.Override = fmt.Sprintf("run `%s` to record its sha512, review and commit the lockfile", p.relock())
		out = append(out, d)
	case in.WeakOnly():
		v := Warn
		if e.WeakHashes == WeakDeny {
			v = Deny
		}
		d := s.decision("weak_hashes", v, fmt.Sprintf("%s is pinned by sha1 only, which can be forged", s.id()))
		d.Evidence = "lockfile integrity " + s.Integrity
		if w := e.From["weak_hashes"]; w != "" {
			d.Evidence += fmt.Sprintf("; weak_hashes = %q from %s", e.WeakHashes, w)
		}
		d.Override = fmt.Sprintf("`%s` records sha512", p.relock())
		if v == Deny {
			d.Override += fmt.Sprintf(`; or set weak_hashes = "warn" in [policy.packages.%q] of %s`, s.Name, src)
		}
		out = append(out, d)
	}
	return out
}

// Denied evaluates the deny list alone for s: one refusal per matching
// entry. match decides an entry's version range (nil: a ranged entry
// never matches).
func (p *Policy) Denied(s Subject, match RangeMatcher) []Decision {
	var out []Decision
	src := p.source()
	for _, d := range p.denies() {
		if !MatchName(d.Pattern, s.Name) {
			continue
		}
		if d.Range != "" && (match == nil || !match(s.Version, d.Range)) {
			continue
		}
		dd := s.decision("deny", Deny, fmt.Sprintf("%s is denied by policy", s.id()))
		dd.Evidence = fmt.Sprintf("deny matched %q in %s [policy]", d.Spec, src)
		dd.Override = fmt.Sprintf("remove %q from deny in %s, or change the lockfile to a version it does not match", d.Spec, src)
		out = append(out, dd)
	}
	return out
}

// Needs says which metadata Metadata will use for s, given the registry's
// trust. Nothing is needed for a package Static denied.
func (p *Policy) Needs(s Subject, t RegistryTrust) Needs {
	if s.Source != "registry" {
		return Needs{}
	}
	e := p.For(s.Name)
	var n Needs
	sigs := signaturesWanted(e, t)
	if sigs {
		n.Packument = true
		// An expired key verifies only versions published before it
		// expired: with expiring keys the publish time is evidence.
		for _, k := range t.Keys {
			n.Time = n.Time || !k.Expires.IsZero()
		}
	}
	if e.RequireSignatures != nil && *e.RequireSignatures && len(t.Keys) == 0 {
		n.Packument = true // to report the refusal with evidence
	}
	if e.MinReleaseAge > 0 {
		n.Packument, n.Time = true, true
	}
	if t.Origin != "" {
		n.Packument, n.Origin = true, true
	}
	switch rp := e.RequireProvenance; {
	case rp != nil && *rp:
		n.Packument, n.Provenance = true, true
	case rp == nil:
		// Auto: no request only for provenance, but when the packument
		// is read anyway its attestations are checked.
		n.Provenance = n.Packument
	}
	return n
}

func signaturesWanted(e Effective, t RegistryTrust) bool {
	if e.RequireSignatures != nil && !*e.RequireSignatures {
		return false
	}
	return len(t.Keys) > 0
}

// Facts is the registry metadata gathered for one package.
type Facts struct {
	// Found is false when the registry's packument does not list the
	// version at all.
	Found      bool
	Integrity  string // packument dist.integrity
	Shasum     string // packument dist.shasum
	Signatures []Signature
	Published  time.Time
	URL        string // the packument's address

	// Origin* describe the authoritative registry's packument, when
	// origin_check applies.
	OriginFound     bool
	OriginIntegrity string
	OriginShasum    string
	OriginURL       string

	// Deprecated is the version's deprecation message.
	Deprecated string
	// Provenance is what is known of the version's provenance, when
	// Needs.Provenance.
	Provenance *ProvenanceFacts
}

// Metadata evaluates the rules that need the registry's metadata: the
// packument agrees with the lockfile (integrity), registry signatures,
// min_release_age and the mirror's origin. now is the current time.
func (p *Policy) Metadata(s Subject, t RegistryTrust, f Facts, now time.Time) []Decision {
	n := p.Needs(s, t)
	if !n.Any() {
		return nil
	}
	e := p.For(s.Name)
	src := p.source()
	var out []Decision
	if !f.Found {
		d := s.decision("integrity", Deny, fmt.Sprintf("%s's registry metadata does not list version %s", s.Name, s.Version))
		d.Evidence = "packument " + f.URL
		d.Override = "the lockfile names a version the registry does not serve (unpublished, or the wrong registry): update the lockfile"
		return append(out, d)
	}
	if d, ok := integrityAgrees(s, f.Integrity, f.Shasum, f.URL, p.relock()); !ok {
		out = append(out, d)
		return out // nothing the registry says about other bytes is evidence for these
	}

	switch {
	case signaturesWanted(e, t):
		keys, err := VerifyRegistrySignatures(t.Keys, s.Name, s.Version, f.Integrity, f.Signatures, f.Published)
		if err != nil {
			d := s.decision("signatures", Deny, fmt.Sprintf("%s: the registry signature does not hold", s.id()))
			d.Evidence = fmt.Sprintf("%v; keys %s; packument %s", err, t.KeysFrom, f.URL)
			d.Override = signatureOverride(err, s, t, src)
			out = append(out, d)
			break
		}
		ids := make([]string, len(keys))
		for i, k := range keys {
			ids[i] = k.KeyID
		}
		d := s.decision("signatures", Allow, fmt.Sprintf("%s is signed by its registry", s.id()))
		d.Evidence = fmt.Sprintf("keyid %s (%s) over %q", strings.Join(ids, ", "), t.KeysFrom, SignedMessage(s.Name, s.Version, f.Integrity))
		out = append(out, d)
	case e.RequireSignatures != nil && *e.RequireSignatures:
		d := s.decision("signatures", Deny, fmt.Sprintf("%s: require_signatures is on but %s publishes no signing keys", s.id(), t.URL))
		d.Evidence = fmt.Sprintf("require_signatures = true from %s; GET %s-/npm/v1/keys has no keys and none are pinned", e.From["require_signatures"], ensureSlash(t.URL))
		d.Override = fmt.Sprintf("pin the registry's keys in a [[registry]] entry of %s, or set require_signatures = false for this registry's packages", src)
		out = append(out, d)
	}

	rt := ReleaseTime{At: f.Published, Evidence: fmt.Sprintf("time[%q] in %s", s.Version, f.URL),
		Missing: "the registry gives no publish time"}
	if f.Published.IsZero() {
		rt.Evidence = "no time[" + s.Version + "] in " + f.URL
	}
	out = append(out, p.ReleaseAge(s, rt, now)...)

	out = append(out, p.Deprecated(s, f.Deprecated, f.URL)...)
	if n.Provenance && f.Provenance != nil {
		out = append(out, p.provenance(s, e, *f.Provenance, src)...)
	}

	if t.Origin != "" {
		switch {
		case !f.OriginFound:
			d := s.decision("origin", Deny, fmt.Sprintf("%s is served by the mirror %s but its origin %s does not list it", s.id(), t.URL, t.Origin))
			d.Evidence = "origin packument " + f.OriginURL
			d.Override = fmt.Sprintf("if the package is private to the mirror, set origin_check = false on its [[registry]] in %s", src)
			out = append(out, d)
		case !sameDigests(digestSet(f.Integrity, f.Shasum), digestSet(f.OriginIntegrity, f.OriginShasum)):
			d := s.decision("origin", Deny, fmt.Sprintf("%s: the mirror %s and its origin %s disagree about its integrity", s.id(), t.URL, t.Origin))
			d.Evidence = fmt.Sprintf("mirror %s says %s; origin %s says %s", f.URL, f.Integrity, f.OriginURL, f.OriginIntegrity)
			d.Override = "the mirror serves other bytes than the origin published: do not override; report it to the mirror's operator"
			out = append(out, d)
		default:
			d := s.decision("origin", Allow, fmt.Sprintf("%s: the mirror agrees with its origin %s", s.id(), t.Origin))
			d.Evidence = "origin integrity " + f.OriginIntegrity
			out = append(out, d)
		}
	}
	return out
}

// integrityAgrees checks the packument's digests against the lockfile's:
// the strongest algorithm both name decides, and its digests must be
// equal. Digests of algorithms only one side has say nothing. A packument
// with no comparable digest is a disagreement too: the registry then
// vouches for nothing the lockfile pinned. relock is the command the
// overrides name for rewriting the lockfile.
func integrityAgrees(s Subject, pIntegrity, pShasum, url, relock string) (Decision, bool) {
	lock, err := ParseSRI(s.Integrity)
	if err != nil {
		return Decision{}, true // Static already refused it
	}
	l, r, compared := strongestShared(lock, digestSet(pIntegrity, pShasum))
	switch {
	case !compared:
		d := s.decision("integrity", Deny, fmt.Sprintf("%s: the registry's metadata has no digest comparable with the lockfile's", s.id()))
		d.Evidence = fmt.Sprintf("lockfile %s; registry integrity %q shasum %q (%s)", s.Integrity, pIntegrity, pShasum, url)
		d.Override = fmt.Sprintf("re-lock against this registry with `%s` and review the diff", relock)
		return d, false
	case !bytes.Equal(l.Sum, r.Sum):
		d := s.decision("integrity", Deny, fmt.Sprintf("%s: the lockfile and the registry disagree about its %s", s.id(), l.Algorithm))
		d.Evidence = fmt.Sprintf("lockfile %s; registry %s (%s)", l, r, url)
		d.Override = fmt.Sprintf("the registry now serves other bytes under this version than were locked: do not override; find out why (a republished or tampered package, or the wrong registry), then re-lock with `%s` only if the new bytes are trusted", relock)
		return d, false
	}
	return Decision{}, true
}

// digestSet is a packument's dist.integrity and dist.shasum as one set;
// unusable values are left out (they can only fail to compare).
func digestSet(integrity, shasum string) Integrity {
	var out Integrity
	if integrity != "" {
		if in, err := ParseSRI(integrity); err == nil {
			out = in
		}
	}
	if shasum != "" {
		if d, err := ParseHex("sha1", shasum); err == nil && !out.contains(d) {
			out = append(out, d)
		}
	}
	return out
}

// strongestShared returns both sides' digests of the strongest algorithm
// they share.
func strongestShared(a, b Integrity) (x, y Digest, ok bool) {
	for _, algo := range []string{"sha512", "sha384", "sha256", "sha1"} {
		l, r := first(a, algo), first(b, algo)
		if l != nil && r != nil {
			return *l, *r, true
		}
	}
	return Digest{}, Digest{}, false
}

func first(in Integrity, algo string) *Digest {
	for i := range in {
		if in[i].Algorithm == algo {
			return &in[i]
		}
	}
	return nil
}

func signatureOverride(err error, s Subject, t RegistryTrust, src string) string {
	se, _ := err.(*SignatureError)
	if se == nil {
		return ""
	}
	switch se.Problem {
	case SigUnknownKey:
		return fmt.Sprintf("the registry signed with a key airlock does not trust; if %s rotated its keys, compare %s-/npm/v1/keys with your pin and update it (%s)", t.URL, ensureSlash(t.URL), t.KeysFrom)
	case SigExpiredKey:
		return "a retired key signed a version published after it expired, which the registry would not do: do not override"
	case SigNoTime:
		return "the registry's full packument has no time for this version; without it an expired key's signature proves nothing: do not override"
	case SigMissing:
		return fmt.Sprintf("if this registry serves unsigned packages on purpose (or a proxy strips dist.signatures), set require_signatures = false in [policy.packages.%q] of %s for this package, or in [policy] for all", s.Name, src)
	}
	return "a signature that does not verify means the metadata was altered after the registry signed it: do not override"
}

func ensureSlash(u string) string {
	if strings.HasSuffix(u, "/") {
		return u
	}
	return u + "/"
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func (p *Policy) source() string {
	if p == nil || p.Source == "" {
		return "airlock.toml"
	}
	return p.Source
}

func (p *Policy) denies() []DenyRule {
	if p == nil {
		return nil
	}
	return p.Deny
}

// sameDigests reports whether two digest sets agree on the strongest
// algorithm they share; sets with nothing in common do not agree.
func sameDigests(a, b Integrity) bool {
	x, y, ok := strongestShared(a, b)
	return ok && bytes.Equal(x.Sum, y.Sum)
}

// ReleaseTime is when a release was published, as policy's evidence.
type ReleaseTime struct {
	// At is the publish (upload) time; zero when nothing says.
	At time.Time
	// Evidence names where At was read ("time[\"1.0\"] in URL", "upload-time
	// of FILE in pylock.toml"), or, when At is zero, what was looked at.
	Evidence string
	// Missing says, when At is zero, who gives no time ("the registry
	// gives no publish time").
	Missing string
}

// ReleaseAge applies min_release_age to s published at t: nothing when no
// minimum applies, an allow when the release is old enough, and a refusal
// when it is too young or its time is unknown (a cooldown that cannot be
// checked must not let the release through).
func (p *Policy) ReleaseAge(s Subject, t ReleaseTime, now time.Time) []Decision {
	e := p.For(s.Name)
	age := e.MinReleaseAge
	if age <= 0 {
		return nil
	}
	src := p.source()
	switch {
	case t.At.IsZero():
		d := s.decision("min_release_age", Deny, fmt.Sprintf("%s: %s, so min_release_age = %q cannot be checked", s.id(), t.Missing, formatAge(age)))
		d.Evidence = t.Evidence
		d.Override = fmt.Sprintf(`set min_release_age = "0" in [policy.packages.%q] of %s to accept it`, s.Name, src)
		return []Decision{d}
	case now.Sub(t.At) < age:
		allowedAt := t.At.Add(age)
		d := s.decision("min_release_age", Deny, fmt.Sprintf("%s was published %s, less than min_release_age = %q ago; it is allowed from %s",
			s.id(), t.At.UTC().Format(time.RFC3339), formatAge(age), allowedAt.UTC().Format(time.RFC3339)))
		d.Evidence = fmt.Sprintf("%s; min_release_age from %s", t.Evidence, e.From["min_release_age"])
		d.Override = fmt.Sprintf(`wait until %s, or set min_release_age = "0" in [policy.packages.%q] of %s if you have reviewed this release`,
			allowedAt.UTC().Format(time.RFC3339), s.Name, src)
		return []Decision{d}
	}
	d := s.decision("min_release_age", Allow, fmt.Sprintf("%s was published %s, more than %s ago", s.id(), t.At.UTC().Format(time.RFC3339), formatAge(age)))
	d.Evidence = t.Evidence
	return []Decision{d}
}
