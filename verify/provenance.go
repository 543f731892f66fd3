package verify

import (
	"fmt"
	"strings"
)

// ProvenanceFacts is what the CLI learned about one version's provenance:
// whether the registry lists an attestation, the outcome of verifying it
// (verify/provenance does the cryptography), and earlier versions that had
// one.
type ProvenanceFacts struct {
	// Listed: the packument's dist.attestations names SLSA provenance.
	Listed bool
	// URL is the attestations document's address.
	URL string
	// Verified is set when the bundle verified; Error when it did not
	// (Problem classifies it: malformed, signature, subject-mismatch,
	// identity, unavailable).
	Verified *ProvenanceResult
	Error    string
	Problem  string
	// EarlierWith is the highest version below this one whose packument
	// entry lists provenance ("" when none did).
	EarlierWith string
	// TrustedRoot says which Sigstore trusted root verified.
	TrustedRoot string
}

// ProvenanceResult is a verified attestation's claims.
type ProvenanceResult struct {
	SourceRepository, Commit, Ref, Workflow, Builder, Issuer, PredicateType string
	LogIndex                                                                int64
}

// provenance decides the provenance rule for a version whose metadata was
// read.
func (p *Policy) provenance(s Subject, e Effective, f ProvenanceFacts, src string) []Decision {
	required := e.RequireProvenance != nil && *e.RequireProvenance
	where := from(e.From["require_provenance"])
	if !f.Listed {
		switch {
		case f.EarlierWith != "":
			v := Warn
			if required {
				v = Deny
			}
			d := s.decision("provenance", v, fmt.Sprintf("%s has no provenance attestation, but the earlier version %s had one: a provenance downgrade (the release may not come from the project's CI)", s.id(), f.EarlierWith))
			d.Evidence = fmt.Sprintf("versions[%q].dist.attestations is absent and versions[%q].dist.attestations.provenance is present in %s", s.Version, f.EarlierWith, f.URL)
			d.Override = fmt.Sprintf("check with the maintainers how %s was published; if that is expected, set require_provenance = false in [policy.packages.%q] of %s", s.id(), s.Name, src)
			if !required {
				d.Override = fmt.Sprintf("a warning under the default policy; check with the maintainers how %s was published. require_provenance = true in [policy] refuses such versions", s.id())
			}
			return []Decision{d}
		case required:
			d := s.decision("provenance", Deny, fmt.Sprintf("%s has no provenance attestation and require_provenance is on", s.id()))
			d.Evidence = fmt.Sprintf("require_provenance = true from %s; no dist.attestations for %s in %s", where, s.Version, f.URL)
			d.Override = fmt.Sprintf("ask the maintainers to publish with provenance (npm publish --provenance from CI), or set require_provenance = false in [policy.packages.%q] of %s", s.Name, src)
			return []Decision{d}
		}
		return nil
	}
	if f.Verified == nil {
		d := s.decision("provenance", Deny, fmt.Sprintf("%s: its provenance attestation does not verify", s.id()))
		d.Evidence = fmt.Sprintf("%s; attestations %s; trusted root %s", f.Error, f.URL, f.TrustedRoot)
		switch f.Problem {
		case "subject-mismatch":
			d.Override = "the attestation is about other bytes than the lockfile pins: do not override; the registry serves a tarball its own build did not produce, or the lockfile was edited"
		case "unavailable":
			d.Override = fmt.Sprintf("the registry lists an attestation it does not serve; retry, or set require_provenance = false in [policy.packages.%q] of %s", s.Name, src)
		default:
			d.Override = fmt.Sprintf("an attestation that fails verification is evidence of tampering: do not override. If Sigstore rotated its keys, run `airlock trust update`; only if you must install anyway, set require_provenance = false in [policy.packages.%q] of %s", s.Name, src)
		}
		return []Decision{d}
	}
	r := f.Verified
	ev := fmt.Sprintf("repository %s, commit %s, workflow %s, builder %s, issuer %s; Rekor log index %d; %s; trusted root %s",
		r.SourceRepository, orNone(r.Commit), orNone(r.Workflow), orNone(r.Builder), orNone(r.Issuer), r.LogIndex, f.URL, f.TrustedRoot)
	if len(e.ProvenanceRepos) > 0 && !matchAny(e.ProvenanceRepos, r.SourceRepository) {
		d := s.decision("provenance", Deny, fmt.Sprintf("%s was built from %s, which provenance_repos does not allow", s.id(), r.SourceRepository))
		d.Evidence = fmt.Sprintf("%s; provenance_repos = [%s] from %s", ev, quoteList(e.ProvenanceRepos), e.From["provenance_repos"])
		d.Override = fmt.Sprintf("if %s is the package's real home, add it to provenance_repos in [policy.packages.%q] of %s; otherwise the package was built from a fork or an impostor repository: do not install it", r.SourceRepository, s.Name, src)
		return []Decision{d}
	}
	if len(e.ProvenanceBuilders) > 0 && !matchAny(e.ProvenanceBuilders, r.Builder) {
		d := s.decision("provenance", Deny, fmt.Sprintf("%s was built by %s, which provenance_builders does not allow", s.id(), orNone(r.Builder)))
		d.Evidence = fmt.Sprintf("%s; provenance_builders = [%s] from %s", ev, quoteList(e.ProvenanceBuilders), e.From["provenance_builders"])
		d.Override = fmt.Sprintf("add the builder to provenance_builders in [policy.packages.%q] of %s if you trust it", s.Name, src)
		return []Decision{d}
	}
	d := s.decision("provenance", Allow, fmt.Sprintf("%s has verified provenance: built from %s", s.id(), r.SourceRepository))
	d.Evidence = ev
	return []Decision{d}
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if MatchName(g, s) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(none)"
	}
	return s
}
