package bun

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// isolatedInstall installs the fixture staged in dir with the isolated
// linker, as airlock bun install --linker=isolated does.
func isolatedInstall(t testing.TB, dir string, o lockbun.Options) *IsolatedResult {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "bun.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockbun.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if o.Platform == (lockbun.Platform{}) {
		o.Platform = lockbun.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	}
	iso, err := lf.SelectIsolated(o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := InstallIsolated(context.Background(), Options{ProjectDir: dir, Extract: extractFromFixtures}, iso)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestIsolatedMatchesBun installs each layout fixture with the isolated
// linker, without network, and compares the tree with the listing of the
// one real bun made (bun-isolated-tree.txt).
func TestIsolatedMatchesBun(t *testing.T) {
	if unpack.ProcessUmask() != 0o022 {
		t.Skip("bun-isolated-tree.txt was made with umask 022")
	}
	for _, f := range layoutFixtures {
		t.Run(f, func(t *testing.T) {
			dir := t.TempDir()
			stage(t, f, dir)
			isolatedInstall(t, dir, lockbun.Options{})
			if d := diffListings(expectedListing(t, f, "bun-isolated-tree.txt"), listing(t, dir)); d != "" {
				t.Errorf("airlock's tree differs from bun's (- bun, + airlock):\n%s", d)
			}
		})
	}
}
