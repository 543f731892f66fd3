//go:build live

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/internal/treecmp"
)

// TestLiveIdenticalToNpmCI installs real-world lockfiles from the real npm
// registry (whatever this machine's npm configuration names) with both npm
// and airlock and compares the trees. Run it with `make test-live`; it needs
// the network and npm, and is not part of `make test`.
func TestLiveIdenticalToNpmCI(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("make test-live needs npm on PATH")
	}
	for _, project := range []string{
		filepath.Join("..", "..", "testdata", "npm", "live", "medium"),
		filepath.Join("..", "..", "examples", "webapp"),
	} {
		t.Run(filepath.Base(project), func(t *testing.T) {
			want := copyProject(t, project)
			npm := exec.Command("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache", t.TempDir())
			npm.Dir = want
			if out, err := npm.CombinedOutput(); err != nil {
				t.Fatalf("npm ci: %v\n%s", err, out)
			}

			got := copyProject(t, project)
			for _, warm := range []bool{false, true} {
				cmd := exec.Command("airlock", "npm", "ci")
				cmd.Dir = got
				cmd.Env = append(os.Environ(), "AIRLOCK_CACHE="+filepath.Join(got, ".airlock-cache"))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("airlock npm ci (warm cache: %v): %v\n%s", warm, err, out)
				}
				t.Logf("airlock (warm cache: %v): %s", warm, out)
				diffs, err := treecmp.Compare(want, got, treecmp.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if len(diffs) > 0 {
					t.Fatalf("airlock's tree differs from npm ci's (want = npm, got = airlock):\n%s", treecmp.Report(diffs))
				}
			}
		})
	}
}

func copyProject(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
