//go:build live

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/internal/treecmp"
)

// TestLiveIdenticalToBun installs bun from the npm registry, then installs
// testdata/bun's real-world lockfiles (vite, and npm@10.9.0's bundled tree)
// from the real registry with bun (`install --frozen-lockfile
// --ignore-scripts`) and with airlock bun install, and compares the trees
// file for file. Run by make test-live; needs the network.
func TestLiveIdenticalToBun(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatal("make test-live needs npm on PATH (it installs bun)")
	}
	prefix := t.TempDir()
	inst := exec.Command("npm", "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "bun")
	if out, err := inst.CombinedOutput(); err != nil {
		t.Fatalf("npm install bun: %v\n%s", err, out)
	}
	bun := nativeBun(t, prefix)
	for _, name := range []string{"vite", "bundled"} {
		t.Run(name, func(t *testing.T) {
			copyBun := func() string {
				dst := t.TempDir()
				for _, f := range []string{"package.json", "bun.lock"} {
					b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bun", name, f))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return dst
			}
			want := copyBun()
			cmd := exec.Command(bun, "install", "--frozen-lockfile", "--ignore-scripts")
			cmd.Dir = want
			cmd.Env = append(os.Environ(), "BUN_INSTALL_CACHE_DIR="+t.TempDir())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("bun install: %v\n%s", err, out)
			}
			got := copyBun()
			cmd = exec.Command("airlock", "bun", "install")
			cmd.Dir = got
			cmd.Env = append(os.Environ(), "AIRLOCK_CACHE="+t.TempDir())
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("airlock bun install: %v\n%s", err, out)
			}
			t.Logf("airlock: %s", out)
			diffs, err := treecmp.Compare(want, got, treecmp.Options{IgnoreDirModes: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) > 0 {
				t.Fatalf("airlock's tree differs from bun's (want = bun, got = airlock):\n%s", treecmp.Report(diffs))
			}
		})
	}
}

// nativeBun finds the bun binary npm installed under prefix: with
// --ignore-scripts the bun package's own bin is a placeholder its
// postinstall would replace, and the binary is in its platform package
// (@oven/bun-linux-x64, or the -baseline/-musl variants).
func nativeBun(t *testing.T, prefix string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(prefix, "node_modules", "@oven", "bun-*", "bin", "bun"))
	if len(m) == 0 {
		t.Fatalf("no @oven/bun-* platform binary under %s", prefix)
	}
	return m[0]
}
