package verify

import "fmt"

// PythonProvenanceFacts is what the CLI learned about the provenance (PEP
// 740 attestations) of the one wheel a Python install chose for a
// distribution: whether its index lists a provenance object and the outcome
// of verifying it (verify/provenance.VerifyPyPI does the cryptography).
type PythonProvenanceFacts struct {
	// File is the wheel's filename.
	File string
	// Index is the index whose listing was read (redacted).
	Index string
	// Listed: the index lists a provenance URL for the file (with one
	// of the locked hashes). URL is that URL.
	Listed bool
	URL    string
	// Unknown says why nothing could be learned (offline without the
	// page cached, no index to ask, a vendor directory); a refusal
	// under require_provenance, with this as evidence.
	Unknown string
	// Verified is set when every attestation verified; Error and
	// Problem (malformed, signature, subject-mismatch, identity,
	// unavailable) when not.
	Verified *ProvenanceResult
	// Publisher names the Trusted Publisher the provenance object lists
	// ("GitHub acme/lib, workflow release.yml").
	Publisher   string
	Error       string
	Problem     string
	TrustedRoot string
}

// PythonProvenance decides require_provenance, provenance_repos and
// provenance_builders for a Python distribution whose wheel's provenance
// was looked up. It is asked only when require_provenance is true for
// s: Python indexes publish no npm-style packument that is read anyway,
// so there is no "auto" check.
func (p *Policy) PythonProvenance(s Subject, f PythonProvenanceFacts) []Decision {
	e := p.For(s.Name)
	src := p.source()
	id := s.Name + "==" + s.Version
	off := fmt.Sprintf(`set require_provenance = false in [policy.packages.%q] of %s`, s.Name, src)
	switch {
	case f.Unknown != "":
		d := s.decision("provenance", Deny, fmt.Sprintf("%s: its provenance (PEP 740) cannot be checked, and require_provenance is on", id))
		d.Evidence = fmt.Sprintf("require_provenance = true from %s; %s", from(e.From["require_provenance"]), f.Unknown)
		d.Override = "run the install online against the index (which lists each file's provenance), or " + off
		return []Decision{d}
	case !f.Listed:
		d := s.decision("provenance", Deny, fmt.Sprintf("%s has no provenance (PEP 740 attestations) for %s and require_provenance is on", id, f.File))
		d.Evidence = fmt.Sprintf("require_provenance = true from %s; %s lists no provenance for %s", from(e.From["require_provenance"]), f.Index, f.File)
		d.Override = "ask the maintainers to publish from a Trusted Publisher (pypa/gh-action-pypi-publish attaches attestations), or " + off
		return []Decision{d}
	case f.Verified == nil:
		d := s.decision("provenance", Deny, fmt.Sprintf("%s: the provenance of %s does not verify", id, f.File))
		d.Evidence = fmt.Sprintf("%s; provenance %s (publisher %s); trusted root %s", f.Error, f.URL, orNone(f.Publisher), f.TrustedRoot)
		switch f.Problem {
		case "subject-mismatch":
			d.Override = "the attestation is about other bytes or another file than the lock pins: do not override; the index serves a file its publisher did not attest, or the lock was edited"
		case "unavailable":
			d.Override = "the index lists a provenance object it does not serve; retry, or " + off
		default:
			d.Override = "an attestation that fails verification is evidence of tampering: do not override. If Sigstore rotated its keys, run `airlock trust update`; only if you must install anyway, " + off
		}
		return []Decision{d}
	}
	r := f.Verified
	ev := fmt.Sprintf("publisher %s; repository %s, commit %s, workflow %s, builder %s, issuer %s; Rekor log index %d; %s; trusted root %s",
		orNone(f.Publisher), r.SourceRepository, orNone(r.Commit), orNone(r.Workflow), orNone(r.Builder), orNone(r.Issuer), r.LogIndex, f.URL, f.TrustedRoot)
	if len(e.ProvenanceRepos) > 0 && !matchAny(e.ProvenanceRepos, r.SourceRepository) {
		d := s.decision("provenance", Deny, fmt.Sprintf("%s was published from %s, which provenance_repos does not allow", id, r.SourceRepository))
		d.Evidence = fmt.Sprintf("%s; provenance_repos = [%s] from %s", ev, quoteList(e.ProvenanceRepos), e.From["provenance_repos"])
		d.Override = fmt.Sprintf("if %s is the project's real home, add it to provenance_repos in [policy.packages.%q] of %s; otherwise the file was published from a fork or an impostor repository: do not install it", r.SourceRepository, s.Name, src)
		return []Decision{d}
	}
	if len(e.ProvenanceBuilders) > 0 && !matchAny(e.ProvenanceBuilders, r.Builder) {
		d := s.decision("provenance", Deny, fmt.Sprintf("%s was built by %s, which provenance_builders does not allow", id, orNone(r.Builder)))
		d.Evidence = fmt.Sprintf("%s; provenance_builders = [%s] from %s", ev, quoteList(e.ProvenanceBuilders), e.From["provenance_builders"])
		d.Override = fmt.Sprintf("add the builder to provenance_builders in [policy.packages.%q] of %s if you trust it", s.Name, src)
		return []Decision{d}
	}
	d := s.decision("provenance", Allow, fmt.Sprintf("%s has verified provenance: %s published from %s", id, f.File, r.SourceRepository))
	d.Evidence = ev
	return []Decision{d}
}
