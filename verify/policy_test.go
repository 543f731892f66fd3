package verify

import (
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// semverLite is a stand-in RangeMatcher for "<N" and exact versions, so
// verify's tests do not depend on lock/npm (which cmd wires in).
func semverLite(version, rng string) bool {
	if n, ok := strings.CutPrefix(rng, "<"); ok {
		return strings.Split(version, ".")[0] < n
	}
	return version == rng
}

func ptr[T any](v T) *T { return &v }

func sri512(data string) string {
	s := sha512.Sum512([]byte(data))
	return "sha512-" + base64.StdEncoding.EncodeToString(s[:])
}

func sha1Of(data string) (sriForm, hexForm string) {
	s := sha1.Sum([]byte(data))
	return "sha1-" + base64.StdEncoding.EncodeToString(s[:]), hex.EncodeToString(s[:])
}

func rules(ds []Decision) string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Rule+":"+string(d.Verdict))
	}
	return strings.Join(out, ",")
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute, "1d12h": 36 * time.Hour, "0": 0, "45s": 45 * time.Second,
	} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "7", "d", "7w", "-1d", "7d ", "1.5d"} {
		if _, err := ParseAge(bad); err == nil {
			t.Errorf("ParseAge(%q) accepted", bad)
		}
	}
}

func TestMatchName(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"left-pad", "left-pad", true},
		{"left-pad", "left-pads", false},
		{"@evil/*", "@evil/x", true},
		{"@evil/*", "@evilx/y", false},
		{"*", "@s/n", true},
		{"*-malware", "my-malware", true},
		{"*-malware", "malware", false},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{strings.Repeat("*a", 30), strings.Repeat("a", 60) + "b", false},
	} {
		if got := MatchName(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchName(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
}

func TestParseDeny(t *testing.T) {
	valid := func(r string) error {
		if strings.ContainsAny(r, "!") {
			return fmt.Errorf("bad")
		}
		return nil
	}
	for spec, want := range map[string]DenyRule{
		"left-pad":      {Pattern: "left-pad"},
		"left-pad@<2":   {Pattern: "left-pad", Range: "<2"},
		"@s/n@1.0.0":    {Pattern: "@s/n", Range: "1.0.0"},
		"@evil/*":       {Pattern: "@evil/*"},
		"@evil/*@>=1.0": {Pattern: "@evil/*", Range: ">=1.0"},
	} {
		got, err := ParseDeny(spec, valid)
		if err != nil || got.Pattern != want.Pattern || got.Range != want.Range {
			t.Errorf("ParseDeny(%q) = %+v, %v", spec, got, err)
		}
	}
	for _, bad := range []string{"", "x@", "x@!!"} {
		if _, err := ParseDeny(bad, valid); err == nil {
			t.Errorf("ParseDeny(%q) accepted", bad)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	p := &Policy{
		Base: Rules{MinReleaseAge: ptr(7 * 24 * time.Hour), WeakHashes: WeakDeny},
		Overrides: []Override{
			{Pattern: "@corp/special", Rules: Rules{MinReleaseAge: ptr(time.Hour)}},
			{Pattern: "@corp/*", Rules: Rules{MinReleaseAge: ptr(time.Duration(0)), RequireSignatures: ptr(false)}},
		},
	}
	e := p.For("@corp/special")
	if e.MinReleaseAge != time.Hour || e.RequireSignatures == nil || *e.RequireSignatures || e.WeakHashes != WeakDeny {
		t.Errorf("@corp/special: %+v", e)
	}
	if e.From["min_release_age"] != `[policy.packages."@corp/special"]` {
		t.Errorf("From = %v", e.From)
	}
	if e := p.For("@corp/other"); e.MinReleaseAge != 0 {
		t.Errorf("@corp/other: %+v", e)
	}
	if e := p.For("lodash"); e.MinReleaseAge != 7*24*time.Hour || e.RequireSignatures != nil || len(e.AllowSources) != 1 {
		t.Errorf("lodash: %+v", e)
	}
}

func TestStatic(t *testing.T) {
	weakSRI, _ := sha1Of("x")
	p := &Policy{
		Deny:   []DenyRule{{Spec: "left-pad@<2", Pattern: "left-pad", Range: "<2"}, {Spec: "@evil/*", Pattern: "@evil/*"}},
		Source: "/p/airlock.toml",
		Overrides: []Override{
			{Pattern: "gitdep", Rules: Rules{AllowSources: []string{"registry", "git"}}},
			{Pattern: "strict", Rules: Rules{WeakHashes: WeakDeny}},
		},
	}
	reg := func(name, version, integrity string) Subject {
		return Subject{Name: name, Version: version, Source: "registry", Integrity: integrity}
	}
	for _, tc := range []struct {
		name string
		s    Subject
		want string
		text []string
	}{
		{"denied by range", reg("left-pad", "1.3.0", sri512("a")), "deny:deny", []string{`deny matched "left-pad@<2" in /p/airlock.toml [policy]`, `remove "left-pad@<2" from deny`}},
		{"outside the range", reg("left-pad", "2.0.0", sri512("a")), "", nil},
		{"denied by glob", reg("@evil/x", "1.0.0", sri512("a")), "deny:deny", []string{`"@evil/*"`}},
		{"git not allowed", Subject{Name: "g", Version: "1.0.0", Source: "git", Resolved: "git+https://h/r.git#abc"}, "allow_sources:deny", []string{`add "git" to allow_sources`, "the default"}},
		{"git allowed but unsupported", Subject{Name: "gitdep", Version: "1.0.0", Source: "git"}, "allow_sources:deny", []string{"not supported yet"}},
		{"sha1 only warns", reg("x", "1.0.0", weakSRI), "weak_hashes:warn", []string{"sha1 only"}},
		{"sha1 only denied", reg("strict", "1.0.0", weakSRI), "weak_hashes:deny", []string{`weak_hashes = "deny" from [policy.packages."strict"]`}},
		{"no integrity", reg("x", "1.0.0", ""), "integrity:deny", []string{"package-lock-only"}},
		{"sha512", reg("x", "1.0.0", sri512("a")), "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := p.Static(tc.s, semverLite)
			if got := rules(ds); got != tc.want {
				t.Fatalf("decisions %s, want %s: %v", got, tc.want, ds)
			}
			for _, want := range tc.text {
				if !strings.Contains(ds[0].String(), want) {
					t.Errorf("%q does not say %q", ds[0].String(), want)
				}
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	key := newTestKey(t, "SHA256:reg", "")
	old := newTestKey(t, "SHA256:old", "2025-01-29T00:00:00Z")
	trust := RegistryTrust{URL: "https://reg.example/", Keys: []RegistryKey{key.pub, old.pub}, KeysFrom: "pinned in airlock.toml"}
	noKeys := RegistryTrust{URL: "https://plain.example/", KeysFrom: "none"}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	longAgo := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	integ := sri512("bytes")
	_, sha1hex := sha1Of("bytes")
	subj := Subject{Name: "pkg", Version: "1.0.0", Source: "registry", Integrity: integ}
	signed := Facts{Found: true, Integrity: integ, Signatures: []Signature{key.sign(t, "pkg", "1.0.0", integ)}, Published: longAgo, URL: "https://reg.example/pkg"}
	with := func(f func(*Facts)) Facts { c := signed; f(&c); return c }

	base := &Policy{}
	aged := &Policy{Base: Rules{MinReleaseAge: ptr(7 * 24 * time.Hour)}, Overrides: []Override{{Pattern: "fresh-ok", Rules: Rules{MinReleaseAge: ptr(time.Duration(0))}}}}
	required := &Policy{Base: Rules{RequireSignatures: ptr(true)}}
	off := &Policy{Base: Rules{RequireSignatures: ptr(false)}}

	for _, tc := range []struct {
		name  string
		p     *Policy
		s     Subject
		t     RegistryTrust
		f     Facts
		want  string
		texts []string
	}{
		{"valid signature", base, subj, trust, signed, "signatures:allow", []string{"keyid SHA256:reg"}},
		{"bad signature", base, subj, trust, with(func(f *Facts) { f.Signatures = []Signature{key.sign(t, "pkg", "1.0.1", integ)} }), "signatures:deny", []string{"invalid", "do not override"}},
		{"unknown key", base, subj, trust, with(func(f *Facts) {
			f.Signatures = []Signature{newTestKey(t, "SHA256:x", "").sign(t, "pkg", "1.0.0", integ)}
		}), "signatures:deny", []string{"unknown-key", "rotated"}},
		{"expired key, published before", base, subj, trust, with(func(f *Facts) { f.Signatures = []Signature{old.sign(t, "pkg", "1.0.0", integ)} }), "signatures:allow", nil},
		{"expired key, published after", base, subj, trust, with(func(f *Facts) {
			f.Signatures = []Signature{old.sign(t, "pkg", "1.0.0", integ)}
			f.Published = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
		}), "signatures:deny", []string{"expired-key"}},
		{"missing signature (auto, registry signs)", base, subj, trust, with(func(f *Facts) { f.Signatures = nil }), "signatures:deny", []string{"missing", "require_signatures = false"}},
		{"missing signature, turned off", off, subj, trust, with(func(f *Facts) { f.Signatures = nil }), "", nil},
		{"registry without keys (auto)", base, subj, noKeys, with(func(f *Facts) { f.Signatures = nil }), "", nil},
		{"registry without keys, required", required, subj, noKeys, with(func(f *Facts) { f.Signatures = nil }), "signatures:deny", []string{"publishes no signing keys"}},
		{"integrity disagrees", base, subj, trust, with(func(f *Facts) { f.Integrity = sri512("other") }), "integrity:deny", []string{"lockfile and the registry disagree", "do not override"}},
		{"only shasum to compare, agrees", off, Subject{Name: "pkg", Version: "1.0.0", Source: "registry", Integrity: integ + " sha1-" + base64.StdEncoding.EncodeToString(mustHex(sha1hex))}, RegistryTrust{Origin: "https://o/"}, Facts{Found: true, Shasum: sha1hex, OriginFound: true, OriginShasum: sha1hex}, "origin:allow", nil},
		{"nothing comparable", off, subj, RegistryTrust{Origin: "https://o/"}, Facts{Found: true, Shasum: sha1hex}, "integrity:deny", []string{"no digest comparable"}},
		{"version not in packument", base, subj, trust, Facts{URL: "u"}, "integrity:deny", []string{"does not list version"}},
		{"too new", aged, subj, noKeys, with(func(f *Facts) { f.Published = now.Add(-36 * time.Hour) }), "min_release_age:deny", []string{"published 2026-11-24T00:00:00Z", "allowed from 2026-12-01T00:00:00Z", `min_release_age = "0" in [policy.packages."pkg"]`}},
		{"old enough", aged, subj, noKeys, signed, "min_release_age:allow", nil},
		{"too new but overridden", aged, Subject{Name: "fresh-ok", Version: "1.0.0", Source: "registry", Integrity: integ}, noKeys, with(func(f *Facts) { f.Published = now }), "", nil},
		{"no publish time", aged, subj, noKeys, with(func(f *Facts) { f.Published = time.Time{} }), "min_release_age:deny", []string{"no publish time"}},
		{"mirror agrees with origin", off, subj, RegistryTrust{URL: "https://mirror/", Origin: "https://registry.npmjs.org/"}, with(func(f *Facts) { f.OriginFound, f.OriginIntegrity = true, integ }), "origin:allow", nil},
		{"mirror disagrees with origin", off, subj, RegistryTrust{URL: "https://mirror/", Origin: "https://registry.npmjs.org/"}, with(func(f *Facts) { f.OriginFound, f.OriginIntegrity = true, sri512("evil") }), "origin:deny", []string{"disagree", "mirror https://reg.example/pkg says"}},
		{"origin lacks the version", off, subj, RegistryTrust{URL: "https://mirror/", Origin: "https://registry.npmjs.org/"}, signed, "origin:deny", []string{"does not list it", "origin_check = false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := tc.p.Metadata(tc.s, tc.t, tc.f, now)
			if got := rules(ds); got != tc.want {
				t.Fatalf("decisions %s, want %s: %v", got, tc.want, ds)
			}
			var all []string
			for _, d := range ds {
				all = append(all, d.String())
			}
			for _, want := range tc.texts {
				if !strings.Contains(strings.Join(all, "\n"), want) {
					t.Errorf("%q does not say %q", all, want)
				}
			}
		})
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestNeeds(t *testing.T) {
	key := newTestKey(t, "k", "")
	old := newTestKey(t, "o", "2025-01-29T00:00:00Z")
	s := Subject{Name: "p", Version: "1", Source: "registry"}
	for _, tc := range []struct {
		name string
		p    *Policy
		t    RegistryTrust
		want Needs
	}{
		{"no keys, no rules: nothing fetched", &Policy{}, RegistryTrust{}, Needs{}},
		{"keys without expiry: no time", &Policy{}, RegistryTrust{Keys: []RegistryKey{key.pub}}, Needs{Packument: true, Provenance: true}},
		{"expiring key: time", &Policy{}, RegistryTrust{Keys: []RegistryKey{key.pub, old.pub}}, Needs{Packument: true, Time: true, Provenance: true}},
		{"signatures off", &Policy{Base: Rules{RequireSignatures: ptr(false)}}, RegistryTrust{Keys: []RegistryKey{key.pub}}, Needs{}},
		{"release age", &Policy{Base: Rules{MinReleaseAge: ptr(time.Hour)}}, RegistryTrust{}, Needs{Packument: true, Time: true, Provenance: true}},
		{"origin", &Policy{}, RegistryTrust{Origin: "https://o/"}, Needs{Packument: true, Origin: true, Provenance: true}},
		// Provenance: auto rides along with metadata read anyway; required
		// reads it for every package; off never.
		{"provenance required", &Policy{Base: Rules{RequireProvenance: ptr(true)}}, RegistryTrust{}, Needs{Packument: true, Provenance: true}},
		{"provenance off", &Policy{Base: Rules{RequireProvenance: ptr(false)}}, RegistryTrust{Keys: []RegistryKey{key.pub}}, Needs{Packument: true}},
	} {
		if got := tc.p.Needs(s, tc.t); got != tc.want {
			t.Errorf("%s: Needs = %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if n := (&Policy{}).Needs(Subject{Source: "git"}, RegistryTrust{Origin: "x"}); n.Any() {
		t.Error("a git source needs no registry metadata")
	}
}
