package verify

import (
	"strings"
	"testing"
	"time"
)

func decisionsText(ds []Decision) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(string(d.Verdict) + " " + d.Rule + ": " + d.String() + "\n")
	}
	return b.String()
}

func TestProvenanceDecisions(t *testing.T) {
	s := Subject{Name: "widget", Version: "2.0.0", Path: "node_modules/widget", Source: "registry"}
	ok := &ProvenanceResult{SourceRepository: "https://github.com/acme/widget", Commit: "abc", Workflow: "https://github.com/acme/widget/.github/workflows/release.yml@refs/heads/main",
		Builder: "https://github.com/actions/runner/github-hosted", Issuer: "https://token.actions.githubusercontent.com", LogIndex: 42}
	req := &Policy{Base: Rules{RequireProvenance: ptr(true)}}
	for _, c := range []struct {
		name    string
		p       *Policy
		f       ProvenanceFacts
		verdict Verdict // "" for no decision
		want    []string
	}{
		{"verified", &Policy{}, ProvenanceFacts{Listed: true, Verified: ok, URL: "u", TrustedRoot: "built in"}, Allow,
			[]string{"verified provenance: built from https://github.com/acme/widget", "commit abc", "builder https://github.com/actions/runner/github-hosted", "Rekor log index 42"}},
		{"subject mismatch", &Policy{}, ProvenanceFacts{Listed: true, Problem: "subject-mismatch", Error: "provenance subject-mismatch: other bytes"}, Deny,
			[]string{"does not verify", "other bytes", "do not override"}},
		{"bad signature", &Policy{}, ProvenanceFacts{Listed: true, Problem: "signature", Error: "provenance signature: x"}, Deny,
			[]string{"evidence of tampering", "airlock trust update"}},
		{"unavailable", &Policy{}, ProvenanceFacts{Listed: true, Problem: "unavailable", Error: "404"}, Deny, []string{"does not serve"}},
		{"wrong repo", &Policy{Base: Rules{ProvenanceRepos: []string{"https://github.com/other/*"}}}, ProvenanceFacts{Listed: true, Verified: ok}, Deny,
			[]string{"built from https://github.com/acme/widget, which provenance_repos does not allow", `provenance_repos = ["https://github.com/other/*"] from [policy]`, `[policy.packages."widget"]`}},
		{"repo allowed per package", &Policy{Base: Rules{ProvenanceRepos: []string{"https://github.com/other/*"}},
			Overrides: []Override{{Pattern: "widget", Rules: Rules{ProvenanceRepos: []string{"https://github.com/acme/widget"}}}}}, ProvenanceFacts{Listed: true, Verified: ok}, Allow, nil},
		{"wrong builder", &Policy{Base: Rules{ProvenanceBuilders: []string{"https://gitlab.com/*"}}}, ProvenanceFacts{Listed: true, Verified: ok}, Deny,
			[]string{"which provenance_builders does not allow"}},
		{"downgrade warns by default", &Policy{}, ProvenanceFacts{EarlierWith: "1.9.0", URL: "https://r/widget"}, Warn,
			[]string{"the earlier version 1.9.0 had one: a provenance downgrade", `versions["1.9.0"].dist.attestations.provenance is present in https://r/widget`}},
		{"downgrade refused under require", req, ProvenanceFacts{EarlierWith: "1.9.0"}, Deny, []string{"provenance downgrade", "require_provenance = false"}},
		{"missing: silent by default", &Policy{}, ProvenanceFacts{}, "", nil},
		{"missing under require", req, ProvenanceFacts{URL: "u"}, Deny, []string{"no provenance attestation and require_provenance is on", "require_provenance = true from [policy]"}},
		{"off", &Policy{Base: Rules{RequireProvenance: ptr(false)}}, ProvenanceFacts{Listed: true, Problem: "signature"}, "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := c.p.Needs(s, RegistryTrust{Keys: []RegistryKey{{KeyID: "k"}}})
			var ds []Decision
			if n.Provenance {
				ds = c.p.provenance(s, c.p.For(s.Name), c.f, "airlock.toml")
			}
			if c.verdict == "" {
				if len(ds) != 0 {
					t.Fatalf("got %s", decisionsText(ds))
				}
				return
			}
			if len(ds) != 1 || ds[0].Verdict != c.verdict || ds[0].Rule != "provenance" {
				t.Fatalf("got %s, want one %s", decisionsText(ds), c.verdict)
			}
			for _, w := range c.want {
				if !strings.Contains(ds[0].String(), w) {
					t.Errorf("%q does not say %q", ds[0].String(), w)
				}
			}
		})
	}
}

func TestAdvisoryDecisions(t *testing.T) {
	s := Subject{Name: "ms", Version: "0.7.0", Path: "node_modules/ms", Source: "registry"}
	high := Advisory{ID: "GHSA-3fx5-fwvr-xrjg", Aliases: []string{"CVE-2015-8315"}, Severity: "high", Matched: "ECOSYSTEM range: introduced 0, fixed 0.7.1", Fixed: []string{"0.7.1"}, Source: "OSV"}
	low := Advisory{ID: "GHSA-low", Severity: "low", Source: "OSV"}
	unknown := Advisory{ID: "GHSA-unk", Severity: "unknown", Source: "OSV"}
	mal := Advisory{ID: "MAL-2022-6", Malware: true, Severity: "unknown", Source: "OSV", Summary: "Malicious code"}
	for _, c := range []struct {
		name string
		p    *Policy
		in   []Advisory
		want string // verdicts and rules, one per decision
	}{
		{"default: high fails, low warns", &Policy{}, []Advisory{high, low}, "deny advisories,warn advisories"},
		{"unknown counts as moderate", &Policy{}, []Advisory{unknown}, "warn advisories"},
		{"unknown fails at moderate", &Policy{Base: Rules{AdvisoryFail: "moderate"}}, []Advisory{unknown}, "deny advisories"},
		{"never fails", &Policy{Base: Rules{AdvisoryFail: "never"}}, []Advisory{high}, "warn advisories"},
		{"never anything", &Policy{Base: Rules{AdvisoryFail: "never", AdvisoryWarn: "never"}}, []Advisory{high, low}, ""},
		{"malware ignores thresholds", &Policy{Base: Rules{AdvisoryFail: "never", AdvisoryWarn: "never"}}, []Advisory{mal}, "deny malware"},
		{"ignored by alias", &Policy{Overrides: []Override{{Pattern: "ms", Rules: Rules{IgnoreAdvisories: []string{"cve-2015-8315"}}}}}, []Advisory{high}, "allow advisories"},
		{"ignore does not cover malware", &Policy{Base: Rules{IgnoreAdvisories: []string{"MAL-2022-6"}}}, []Advisory{mal}, "deny malware"},
		{"per-package threshold", &Policy{Base: Rules{AdvisoryFail: "low"}, Overrides: []Override{{Pattern: "m*", Rules: Rules{AdvisoryFail: "critical"}}}}, []Advisory{high}, "warn advisories"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ds := c.p.Advisories(s, c.in)
			var got []string
			for _, d := range ds {
				got = append(got, string(d.Verdict)+" "+d.Rule)
			}
			if strings.Join(got, ",") != c.want {
				t.Fatalf("got %q, want %q:\n%s", strings.Join(got, ","), c.want, decisionsText(ds))
			}
		})
	}
	d := (&Policy{}).Advisories(s, []Advisory{high})[0]
	for _, w := range []string{`at or above advisories.fail = "high"`, "fixed 0.7.1", "advisories.fail from the default", `upgrade to a fixed version (0.7.1)`, `add "GHSA-3fx5-fwvr-xrjg" to advisories.ignore in [policy.packages."ms"]`} {
		if !strings.Contains(d.String(), w) {
			t.Errorf("%q does not say %q", d.String(), w)
		}
	}
	if err := ValidateRules(Rules{IgnoreAdvisories: []string{"mal-2022-6"}}); err == nil {
		t.Error("a MAL id in ignore was accepted")
	}
	if err := ValidateRules(Rules{AdvisoryWarn: "severe"}); err == nil {
		t.Error("an unknown level was accepted")
	}
	if ds := (&Policy{}).Deprecated(s, "use ms@2", "https://r/ms"); len(ds) != 1 || ds[0].Verdict != Warn || !strings.Contains(ds[0].String(), `"use ms@2"`) {
		t.Errorf("deprecated: %s", decisionsText(ds))
	}
	if ds := (&Policy{}).Deprecated(s, "", "u"); len(ds) != 0 {
		t.Error("no message, no decision")
	}
}

// TestMetadataWiresProvenance: Metadata reports the provenance and
// deprecation decisions from Facts, after the integrity check.
func TestMetadataWiresProvenance(t *testing.T) {
	integrity := "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
	s := Subject{Name: "ms", Version: "2.1.3", Source: "registry", Integrity: integrity}
	p := &Policy{Base: Rules{RequireProvenance: ptr(true), RequireSignatures: ptr(false)}}
	f := Facts{Found: true, Integrity: integrity, URL: "https://r/ms", Deprecated: "old",
		Provenance: &ProvenanceFacts{EarlierWith: "2.0.0", URL: "https://r/ms"}}
	got := decisionsText(p.Metadata(s, RegistryTrust{URL: "https://r/"}, f, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
	for _, w := range []string{"warn deprecated", "deny provenance", "provenance downgrade"} {
		if !strings.Contains(got, w) {
			t.Errorf("%s: no %q", got, w)
		}
	}
	// The packument disagreeing with the lockfile stops there: nothing it
	// says about provenance is evidence for the locked bytes.
	f.Integrity = "sha512-" + strings.Repeat("A", 86) + "=="
	got = decisionsText(p.Metadata(s, RegistryTrust{URL: "https://r/"}, f, time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
	if strings.Contains(got, "provenance") || !strings.Contains(got, "deny integrity") {
		t.Errorf("got %s", got)
	}
}
