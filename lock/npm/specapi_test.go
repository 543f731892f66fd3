package npm

import (
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

func TestSpecSource(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want lock.Source
		ok   bool
	}{
		{"^1.2.3", lock.SourceRegistry, true},
		{"latest", lock.SourceRegistry, true},
		{"", lock.SourceRegistry, true},
		{"npm:is-number@7", lock.SourceRegistry, true},
		{"github:owner/repo", lock.SourceGit, true},
		{"owner/repo#v1", lock.SourceGit, true},
		{"git+https://example.com/r.git", lock.SourceGit, true},
		{"git@github.com:owner/repo.git", lock.SourceGit, true},
		{"https://example.com/x-1.0.0.tgz", lock.SourceRemote, true},
		{"file:../x-1.0.0.tgz", lock.SourceFile, true},
		{"./packages/a", lock.SourceLink, true},
		{"npm:github:o/r", lock.SourceRegistry, false},
	} {
		got, ok := SpecSource(tc.spec)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SpecSource(%q) = %v, %v; want %v, %v", tc.spec, got, ok, tc.want, tc.ok)
		}
	}
}
