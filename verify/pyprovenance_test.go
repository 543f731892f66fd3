package verify

import (
	"strings"
	"testing"
)

func TestPythonProvenance(t *testing.T) {
	on := true
	p := &Policy{Base: Rules{RequireProvenance: &on}, Source: "/p/airlock.toml",
		Overrides: []Override{{Pattern: "pinned-repo", Rules: Rules{ProvenanceRepos: []string{"https://github.com/acme/*"}}},
			{Pattern: "pinned-builder", Rules: Rules{ProvenanceBuilders: []string{"https://github.com/actions/runner/github-hosted"}}}}}
	verified := &ProvenanceResult{SourceRepository: "https://github.com/acme/lib", Commit: "abc", Workflow: "https://github.com/acme/lib/.github/workflows/release.yml@refs/tags/v1",
		Builder: "https://github.com/actions/runner/self-hosted", Issuer: "https://token.actions.githubusercontent.com", LogIndex: 7}
	base := PythonProvenanceFacts{File: "lib-1.0-py3-none-any.whl", Index: "https://idx/simple", Listed: true, URL: "https://idx/integrity/lib/1.0/lib-1.0-py3-none-any.whl/provenance",
		Publisher: "GitHub acme/lib, workflow release.yml", TrustedRoot: "built in"}
	with := func(f func(*PythonProvenanceFacts)) PythonProvenanceFacts { c := base; f(&c); return c }
	for _, tc := range []struct {
		name string
		pkg  string
		f    PythonProvenanceFacts
		want string
		text []string
	}{
		{"verified", "lib", with(func(f *PythonProvenanceFacts) { f.Verified = verified }), "provenance:allow",
			[]string{"lib==1.0 has verified provenance", "publisher GitHub acme/lib", "Rekor log index 7"}},
		{"not listed", "lib", with(func(f *PythonProvenanceFacts) { f.Listed = false }), "provenance:deny",
			[]string{"has no provenance (PEP 740 attestations) for lib-1.0-py3-none-any.whl", "https://idx/simple lists no provenance", `require_provenance = false in [policy.packages."lib"] of /p/airlock.toml`}},
		{"unknown", "lib", with(func(f *PythonProvenanceFacts) { f.Unknown = "offline, and the index page is not cached" }), "provenance:deny",
			[]string{"cannot be checked", "offline, and the index page is not cached"}},
		{"tampered", "lib", with(func(f *PythonProvenanceFacts) { f.Problem, f.Error = "signature", "provenance signature: bad" }), "provenance:deny",
			[]string{"does not verify", "provenance signature: bad", "do not override", "airlock trust update"}},
		{"other bytes", "lib", with(func(f *PythonProvenanceFacts) { f.Problem, f.Error = "subject-mismatch", "about other bytes" }), "provenance:deny",
			[]string{"other bytes or another file than the lock pins"}},
		{"repo allowed", "pinned-repo", with(func(f *PythonProvenanceFacts) { f.Verified = verified }), "provenance:allow", nil},
		{"repo not allowed", "pinned-repo", with(func(f *PythonProvenanceFacts) {
			v := *verified
			v.SourceRepository = "https://github.com/mallory/lib"
			f.Verified = &v
		}), "provenance:deny", []string{"provenance_repos does not allow", "fork or an impostor"}},
		{"builder not allowed", "pinned-builder", with(func(f *PythonProvenanceFacts) { f.Verified = verified }), "provenance:deny",
			[]string{"built by https://github.com/actions/runner/self-hosted, which provenance_builders does not allow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := p.PythonProvenance(Subject{Name: tc.pkg, Version: "1.0", Path: "requirements.txt:1", Source: "registry"}, tc.f)
			if got := rules(ds); got != tc.want {
				t.Fatalf("got %s, want %s: %+v", got, tc.want, ds)
			}
			all := ds[0].Message + " | " + ds[0].Evidence + " | " + ds[0].Override
			for _, s := range tc.text {
				if !strings.Contains(all, s) {
					t.Errorf("%q not in %s", s, all)
				}
			}
			if ds[0].Verdict == Deny && ds[0].Override == "" {
				t.Error("a refusal without an override")
			}
		})
	}
}
