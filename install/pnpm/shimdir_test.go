package pnpm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// TestShimProjectDir lays a tree out in one directory with the shims of
// another, as airlock verify builds a project's expected tree elsewhere:
// NODE_PATH names only the other directory, and the tree is otherwise
// the one a normal install makes.
func TestShimProjectDir(t *testing.T) {
	f := layoutFixtures[0]
	dir, other := t.TempDir(), t.TempDir()
	stage(t, f, dir)
	data, err := os.ReadFile(filepath.Join(dir, "pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockpnpm.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(lockpnpm.Options{Platform: lockpnpm.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}, Major: f.major})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Major: f.major, Extract: extractFromFixtures, Umask: 0o022, ShimProjectDir: other}); err != nil {
		t.Fatal(err)
	}
	shim, err := os.ReadFile(filepath.Join(dir, "node_modules", ".bin", "node-which"))
	if err != nil {
		t.Fatal(err)
	}
	realOther, _ := filepath.EvalSymlinks(other)
	realDir, _ := filepath.EvalSymlinks(dir)
	if !strings.Contains(string(shim), realOther+"/node_modules/.pnpm/") || strings.Contains(string(shim), realDir) {
		t.Errorf("shim names the wrong project (want %s, not %s):\n%s", realOther, realDir, shim)
	}
}
