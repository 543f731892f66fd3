package verify

import (
	"strings"
	"testing"
	"time"
)

// TestWithNames: an ecosystem whose names compare in a normal form (PEP
// 503 for Python) matches deny and override patterns in that form; the
// spec as written stays the evidence.
func TestWithNames(t *testing.T) {
	pep503 := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(s)) }
	age := 7 * 24 * time.Hour
	p := &Policy{
		Deny:      []DenyRule{{Spec: "Evil_Pkg", Pattern: "Evil_Pkg"}, {Spec: "Corp.*@<2", Pattern: "Corp.*", Range: "<2"}},
		Overrides: []Override{{Pattern: "My_Lib", Rules: Rules{MinReleaseAge: ptr(time.Duration(0))}}},
		Base:      Rules{MinReleaseAge: &age},
	}
	q := p.WithNames(pep503)
	if p.Deny[0].Pattern != "Evil_Pkg" || p.Overrides[0].Pattern != "My_Lib" {
		t.Fatal("WithNames changed the original policy")
	}
	reg := func(name, version string) Subject { return Subject{Name: name, Version: version, Source: "registry"} }
	if got := rules(q.Denied(reg("evil-pkg", "1.0"), semverLite)); got != "deny:deny" {
		t.Errorf("evil-pkg: %s", got)
	}
	if ds := q.Denied(reg("corp-x", "1.0"), semverLite); rules(ds) != "deny:deny" || !strings.Contains(ds[0].Evidence, `"Corp.*@<2"`) {
		t.Errorf("corp-x 1.0: %v", ds)
	}
	if got := rules(q.Denied(reg("corp-x", "3.0"), semverLite)); got != "" {
		t.Errorf("corp-x 3.0 is outside the range: %s", got)
	}
	if got := rules(p.Denied(reg("evil-pkg", "1.0"), semverLite)); got != "" {
		t.Errorf("the unnormalized policy matched a normalized name: %s", got)
	}
	if e := q.For("my-lib"); e.MinReleaseAge != 0 {
		t.Errorf("my-lib's override did not apply: %v", e.MinReleaseAge)
	}
	if (*Policy)(nil).WithNames(pep503) != nil {
		t.Error("nil policy")
	}
}

func TestReleaseAge(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	age := 7 * 24 * time.Hour
	p := &Policy{Base: Rules{MinReleaseAge: &age}, Source: "/p/airlock.toml",
		Overrides: []Override{{Pattern: "reviewed", Rules: Rules{MinReleaseAge: ptr(time.Duration(0))}}}}
	s := Subject{Name: "lib", Version: "2.0", Path: "requirements.txt:1", Source: "registry"}
	for _, tc := range []struct {
		name string
		s    Subject
		t    ReleaseTime
		want string
		text []string
	}{
		{"too young", s, ReleaseTime{At: now.Add(-2 * time.Hour), Evidence: "upload-time of lib-2.0.whl in pylock.toml"}, "min_release_age:deny",
			[]string{"published 2026-11-25T10:00:00Z", "allowed from 2026-12-02T10:00:00Z", "upload-time of lib-2.0.whl in pylock.toml; min_release_age from [policy]", `min_release_age = "0" in [policy.packages."lib"] of /p/airlock.toml`}},
		{"old enough", s, ReleaseTime{At: now.Add(-8 * 24 * time.Hour), Evidence: "e"}, "min_release_age:allow", []string{"more than 7d ago"}},
		{"unknown time fails closed", s, ReleaseTime{Missing: "the index gives no upload-time", Evidence: "HTML index"}, "min_release_age:deny",
			[]string{`lib@2.0: the index gives no upload-time, so min_release_age = "7d" cannot be checked`, "HTML index"}},
		{"no cooldown for the package", Subject{Name: "reviewed", Version: "1.0", Source: "registry"}, ReleaseTime{}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := p.ReleaseAge(tc.s, tc.t, now)
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
