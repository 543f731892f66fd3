//go:build live

package bun

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLiveBun installs bun from the npm registry into a temporary prefix
// (npm install --prefix; its platform optional dependency brings the
// binary), then runs every comparison of TestIdenticalToBun with it and
// rewrites the fixtures' bun-tree.txt and bun-isolated-tree.txt from what
// it made. Run by make test-live; needs the network.
func TestLiveBun(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH; it installs bun")
	}
	prefix := t.TempDir()
	cmd := exec.Command(npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "bun")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install bun: %v\n%s", err, out)
	}
	bun := nativeBun(t, prefix)
	for _, f := range layoutFixtures {
		for _, c := range bunCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				compareBun(t, f, bun, c, c.name == "default" || c.name == "isolated")
			})
		}
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
