//go:build live

package yarn

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLiveYarn installs yarn 1.22.22 from the npm registry into a
// temporary prefix (npm install --prefix), then runs every comparison of
// TestIdenticalToYarn with it and rewrites the fixtures' yarn-tree*.txt
// from what it made. Run by make test-live; needs the network.
func TestLiveYarn(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH; it installs yarn")
	}
	prefix := t.TempDir()
	cmd := exec.Command(npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "yarn@1.22.22")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install yarn@1.22.22: %v\n%s", err, out)
	}
	yarn := filepath.Join(prefix, "node_modules", ".bin", "yarn")
	if _, err := os.Stat(yarn); err != nil {
		t.Fatal(err)
	}
	for _, f := range layoutFixtures {
		for _, c := range yarnCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				compareYarn(t, f, yarn, c, true)
			})
		}
	}
}
