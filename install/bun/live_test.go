//go:build live

package bun

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLiveBun installs bun from the npm registry into a temporary prefix
// (npm install --prefix; its platform optional dependency brings the
// binary), then runs every comparison of TestIdenticalToBun with it and
// rewrites the fixtures' bun-tree.txt from what it made. Run by make
// test-live; needs the network.
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
	bun := filepath.Join(prefix, "node_modules", ".bin", "bun")
	if _, err := os.Stat(bun); err != nil {
		t.Fatal(err)
	}
	for _, f := range layoutFixtures {
		for _, c := range bunCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				compareBun(t, f, bun, c, c.name == "default")
			})
		}
	}
}
