package yarnberry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func manifests(t *testing.T, fixture string) map[string]*Manifest {
	t.Helper()
	out := map[string]*Manifest{}
	for _, ws := range readFixture(t, fixture).Workspaces() {
		b, err := os.ReadFile(filepath.Join(fixtures, fixture, filepath.FromSlash(ws.WorkspacePath()), "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ReadManifest(b)
		if err != nil {
			t.Fatal(err)
		}
		out[ws.WorkspacePath()] = m
	}
	return out
}

func TestCheckInSync(t *testing.T) {
	for _, f := range []string{"layout", "workspace", "hoist", "platform"} {
		if err := CheckInSync(readFixture(t, f), manifests(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	lf := readFixture(t, "layout")
	for name, edit := range map[string]func(m map[string]*Manifest) string{
		"changed range": func(m map[string]*Manifest) string { m["."].Dependencies["ms"] = "^2.1.3"; return `wants ms "^2.1.3"` },
		"added": func(m map[string]*Manifest) string {
			m["packages/app"].Dependencies["left-pad"] = "1"
			return "left-pad"
		},
		"removed": func(m map[string]*Manifest) string {
			delete(m["."].DevDependencies, "semver")
			return "no longer lists"
		},
		"peer": func(m map[string]*Manifest) string {
			m["packages/lib"].PeerDependencies["ms"] = "^2"
			return "peerDependencies"
		},
		"workspace": func(m map[string]*Manifest) string {
			delete(m, "packages/lib")
			return "no package.json for workspace lib"
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := manifests(t, "layout")
			want := edit(m)
			err := CheckInSync(lf, m)
			if !errors.Is(err, ErrOutOfSync) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want %q", err, want)
			}
		})
	}
}
