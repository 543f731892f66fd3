package bun

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func manifests(t *testing.T, fixture string) (map[string][]byte, []string) {
	t.Helper()
	dir := filepath.Join("..", "..", "testdata", "bun", fixture)
	root, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{"": root}
	pats, err := WorkspacePatterns(root)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, p := range pats {
		matches, _ := filepath.Glob(filepath.Join(dir, p, "package.json"))
		for _, f := range matches {
			rel, _ := filepath.Rel(dir, filepath.Dir(f))
			rel = filepath.ToSlash(rel)
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m[rel] = b
			dirs = append(dirs, rel)
		}
	}
	return m, dirs
}

func TestCheckInSyncFixtures(t *testing.T) {
	for _, f := range []string{"basic", "layout", "workspace", "isolated"} {
		m, dirs := manifests(t, f)
		if err := CheckInSync(readFixture(t, f), m, dirs); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestCheckInSyncDrift(t *testing.T) {
	lf := readFixture(t, "workspace")
	cases := []struct {
		name string
		edit func(m map[string][]byte, dirs []string) []string
		msg  string
	}{
		{"changed range", func(m map[string][]byte, d []string) []string {
			m[""] = []byte(strings.Replace(string(m[""]), `"ms": "2.1.3"`, `"ms": "^2.1.3"`, 1))
			return d
		}, `package.json: dependencies: ms is "^2.1.3" in package.json but "2.1.3" in the lockfile`},
		{"added dev", func(m map[string][]byte, d []string) []string {
			m["packages/app"] = []byte(`{"name": "@ws/app", "dependencies": {"@ws/tool": "workspace:*", "is-odd": "3.0.1", "mkdirp": "1.0.4", "ms": "2.0.0"}, "devDependencies": {"x": "1"}}`)
			return d
		}, `packages/app/package.json: devDependencies: x "1" is not in the lockfile`},
		{"removed", func(m map[string][]byte, d []string) []string {
			m["packages/tool"] = []byte(`{"name": "@ws/tool", "dependencies": {"semver": "7.7.2"}, "devDependencies": {"is-number": "6.0.0"}}`)
			return d
		}, "@tootallnate/once is in the lockfile but not in package.json"},
		{"renamed", func(m map[string][]byte, d []string) []string {
			m["packages/tool"] = []byte(`{"name": "@ws/tools"}`)
			return d
		}, `names the package "@ws/tools"`},
		{"new workspace", func(m map[string][]byte, d []string) []string {
			return append(d, "packages/new")
		}, "package.json's workspaces are packages/app, packages/new, packages/tool"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, dirs := manifests(t, "workspace")
			dirs = c.edit(m, dirs)
			err := CheckInSync(lf, m, dirs)
			if !errors.Is(err, ErrOutOfSync) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "bun install") {
				t.Errorf("err = %v, want one mentioning %q", err, c.msg)
			}
		})
	}
}

func TestWorkspacePatterns(t *testing.T) {
	for in, want := range map[string]string{
		`{}`:                                    "",
		`{"workspaces": ["a/*", "b"]}`:          "a/* b",
		`{"workspaces": {"packages": ["p/*"]}}`: "p/*",
	} {
		got, err := WorkspacePatterns([]byte(in))
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("%s: %v, %v", in, got, err)
		}
	}
	if _, err := WorkspacePatterns([]byte(`{"workspaces": 3}`)); err == nil {
		t.Error("numeric workspaces accepted")
	}
}
