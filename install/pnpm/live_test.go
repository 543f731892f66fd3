//go:build live

package pnpm

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLivePnpm installs pnpm 9 and 10 from the npm registry into a
// temporary prefix (npm install --prefix), then runs every comparison of
// TestIdenticalToPnpm with them and rewrites the fixtures' pnpm-tree.txt
// from what they made. Run by make test-live; needs the network.
func TestLivePnpm(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH; it installs pnpm")
	}
	for _, f := range layoutFixtures {
		prefix := t.TempDir()
		spec := "pnpm@" + map[int]string{9: "9", 10: "10"}[f.major]
		cmd := exec.Command(npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", spec)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install %s: %v\n%s", spec, err, out)
		}
		pnpm := filepath.Join(prefix, "node_modules", ".bin", "pnpm")
		if _, err := os.Stat(pnpm); err != nil {
			t.Fatal(err)
		}
		for _, c := range pnpmCases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				comparePnpm(t, f, pnpm, c, true)
			})
		}
	}
}
