package verify

import (
	"strings"
	"testing"
	"time"
)

// TestRelockHint: every override that tells the user to rewrite the
// lockfile names the command the caller gave (the lockfile being installed
// may be pnpm's, yarn's, bun's), and npm's when it gave none.
func TestRelockHint(t *testing.T) {
	weak, _ := sha1Of("x")
	integ := sri512("bytes")
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	noKeys := RegistryTrust{URL: "https://reg.example/", KeysFrom: "none"}
	subj := func(integrity string) Subject {
		return Subject{Name: "pkg", Version: "1.0.0", Source: "registry", Integrity: integrity}
	}
	static := func(integrity string) func(*Policy) []Decision {
		return func(p *Policy) []Decision { return p.Static(subj(integrity), semverLite) }
	}
	// A release-age rule makes Metadata read the packument, and so compare
	// its digests with the lockfile's.
	metadata := func(f Facts) func(*Policy) []Decision {
		return func(p *Policy) []Decision {
			f.Found, f.URL, f.Published = true, "https://reg.example/pkg", now.Add(-30*24*time.Hour)
			return p.Metadata(subj(integ), noKeys, f, now)
		}
	}
	cases := []struct {
		name string
		eval func(*Policy) []Decision
		rule string
	}{
		{"no integrity", static(""), "integrity"},
		{"sha1 only", static(weak), "weak_hashes"},
		{"registry has no comparable digest", metadata(Facts{}), "integrity"},
		{"registry disagrees", metadata(Facts{Integrity: sri512("other bytes")}), "integrity"},
	}
	for _, hint := range []string{"", "pnpm install --lockfile-only"} {
		want := hint
		if want == "" {
			want = DefaultRelockHint
		}
		for _, tc := range cases {
			t.Run(tc.name+"/"+want, func(t *testing.T) {
				p := &Policy{Base: Rules{MinReleaseAge: ptr(24 * time.Hour)}, RelockHint: hint}
				ds := tc.eval(p)
				if len(ds) == 0 || ds[0].Rule != tc.rule {
					t.Fatalf("decisions %s, want %s first", rules(ds), tc.rule)
				}
				if !strings.Contains(ds[0].Override, "`"+want+"`") {
					t.Errorf("override %q does not name `%s`", ds[0].Override, want)
				}
				if hint != "" && strings.Contains(ds[0].Override, "package-lock-only") {
					t.Errorf("override %q still names npm's command", ds[0].Override)
				}
			})
		}
	}
}
