package npm

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// A registry archive whose package.json names another package or version
// than its lockfile entry is installed (the bytes match the integrity, and
// npm ci installs it) but reported in Result.Warnings, by location. Aliases
// compare by the published name; versions as npm cleans them on publish.
func TestManifestMismatchWarns(t *testing.T) {
	alias := reg("node_modules/my-alias", "is-number")
	alias.Version = "7.0.0"
	git := reg("node_modules/from-git", "from-git")
	git.Source = lock.SourceGit
	pkgs := []lock.Package{
		reg("node_modules/renamed", "renamed"),
		reg("node_modules/other-version", "other-version"),
		reg("node_modules/same", "same"),
		reg("node_modules/v-prefix", "v-prefix"),
		reg("node_modules/case", "case"),
		reg("node_modules/shadowed-key", "shadowed-key"),
		reg("node_modules/no-manifest", "no-manifest"),
		reg("node_modules/broken", "broken"),
		reg("node_modules/no-name", "no-name"),
		reg("node_modules/no-version", "no-version"),
		alias,
		git,
	}
	files := fakeRegistry{
		"node_modules/renamed":       {"package.json": `{"name":"evil","version":"1.0.0"}`},
		"node_modules/other-version": {"package.json": `{"name":"other-version","version":"6.6.6"}`},
		"node_modules/same":          {"package.json": `{"name":"same","version":"1.0.0"}`},
		"node_modules/v-prefix":      {"package.json": "\ufeff" + `{"name":"v-prefix","version":"v1.0.0+build.7"}`},
		"node_modules/case":          {"package.json": `{"name":"Case","version":"1.0.0"}`},
		// JSON.parse reads only the exact key, and the last of two.
		"node_modules/shadowed-key": {"package.json": `{"NAME":"shadowed-key","name":"x","name":"evil","version":"1.0.0"}`},
		"node_modules/no-manifest":  {"index.js": "x"},
		"node_modules/broken":       {"package.json": `{"name":"broken",`},
		"node_modules/no-name":      {"package.json": `{"version":"2.0.0"}`},
		"node_modules/no-version":   {"package.json": `{"name":"no-version"}`},
		"node_modules/my-alias":     {"package.json": `{"name":"is-number","version":"7.0.0"}`},
		"node_modules/from-git":     {"package.json": `{"name":"something-else","version":"0.0.0"}`},
	}
	dir := t.TempDir()
	res, err := Install(context.Background(), Options{ProjectDir: dir, Packages: pkgs, Extract: files.extract})
	if err != nil {
		t.Fatal(err)
	}
	if res.Packages != len(pkgs) {
		t.Errorf("installed %d packages, want all %d: a mismatch is a warning, not an error", res.Packages, len(pkgs))
	}
	want := []struct{ path, text string }{
		{"node_modules/broken", "package.json is unreadable"},
		{"node_modules/case", "the lockfile says case@1.0.0, but the archive's package.json says Case@1.0.0"},
		{"node_modules/no-name", "says no-name@1.0.0, but the archive's package.json says no-name@2.0.0"},
		{"node_modules/other-version", "says other-version@1.0.0, but the archive's package.json says other-version@6.6.6"},
		{"node_modules/renamed", "says renamed@1.0.0, but the archive's package.json says evil@1.0.0"},
		{"node_modules/shadowed-key", "package.json says evil@1.0.0"},
	}
	if len(res.Warnings) != len(want) {
		t.Fatalf("warnings:\n%s\nwant %d", strings.Join(res.Warnings, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(res.Warnings[i], w.path+": ") || !strings.Contains(res.Warnings[i], w.text) {
			t.Errorf("warning %d = %q, want %s: ...%s...", i, res.Warnings[i], w.path, w.text)
		}
	}
	if !slices.ContainsFunc(res.Warnings, func(s string) bool { return strings.Contains(s, "matches the lockfile's integrity") }) {
		t.Error("no warning says the bytes matched the integrity")
	}
}
