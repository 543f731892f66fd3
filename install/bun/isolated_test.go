package bun

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// isolatedInstall installs the fixture staged in dir with the isolated
// linker, as airlock bun install --linker=isolated does.
func isolatedInstall(t testing.TB, dir string, o lockbun.Options) *IsolatedResult {
	t.Helper()
	iso, err := fixtureLock(t, dir).SelectIsolated(onFixturePlatform(o))
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
			if d := treecmp.DiffListings(expectedListing(t, f, "bun-isolated-tree.txt"), listing(t, dir)); d != "" {
				t.Errorf("airlock's tree differs from bun's (- bun, + airlock):\n%s", d)
			}
		})
	}
}

// selectIsolated parses fixture f staged in dir and lets edit change the
// lockfile before SelectIsolated.
func selectIsolated(t *testing.T, dir string, edit func(*lockbun.Lockfile)) *lockbun.Isolated {
	t.Helper()
	lf := fixtureLock(t, dir)
	if edit != nil {
		edit(lf)
	}
	iso, err := lf.SelectIsolated(lockbun.Options{Platform: fixturePlatform})
	if err != nil {
		t.Fatal(err)
	}
	return iso
}

// TestIsolatedFailureLeavesTree: an extraction that fails (an integrity
// mismatch) leaves the previous node_modules and the workspaces' exactly
// as they were.
func TestIsolatedFailureLeavesTree(t *testing.T) {
	dir := t.TempDir()
	stage(t, "workspace", dir)
	for _, d := range []string{"node_modules/old", "packages/app/node_modules/old"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("integrity mismatch")
	_, err := InstallIsolated(context.Background(), Options{ProjectDir: dir, Extract: func(ctx context.Context, pkg lock.Package, d string) error {
		if pkg.Name == "semver" {
			return boom
		}
		return extractFromFixtures(ctx, pkg, d)
	}}, selectIsolated(t, dir, nil))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	for _, d := range []string{"node_modules", "packages/app/node_modules"} {
		entries, _ := os.ReadDir(filepath.Join(dir, d))
		if len(entries) != 1 || entries[0].Name() != "old" {
			t.Errorf("%s now holds %v", d, entries)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "packages/tool/node_modules")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("packages/tool/node_modules was created: %v", err)
	}
}

// TestIsolatedWorkspaceSymlinkRefused: a workspace directory that is a
// symlink (to somewhere outside the project) is refused before anything is
// written through it.
func TestIsolatedWorkspaceSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	stage(t, "workspace", dir)
	outside := t.TempDir()
	if err := os.RemoveAll(filepath.Join(dir, "packages", "app")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "packages", "app")); err != nil {
		t.Fatal(err)
	}
	iso := selectIsolated(t, dir, nil)
	_, err := InstallIsolated(context.Background(), Options{ProjectDir: dir, Extract: extractFromFixtures}, iso)
	if !errors.Is(err, install.ErrSymlinkInPath) {
		t.Fatalf("err = %v, want ErrSymlinkInPath", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the project: %v", entries)
	}
}

// TestIsolatedBinEscapes: a bin whose path leaves its package, or whose
// name is a path, links nothing outside node_modules/.bin (bun takes the
// name's last segment and skips targets outside the package).
func TestIsolatedBinEscapes(t *testing.T) {
	dir := t.TempDir()
	stage(t, "layout", dir)
	iso := selectIsolated(t, dir, func(lf *lockbun.Lockfile) {
		lf.Entries["which"].Bin = map[string]string{
			"evil":       "../../../../../package.json",
			"../../pwn":  "bin/node-which",
			"node-which": "bin/node-which",
		}
	})
	if _, err := InstallIsolated(context.Background(), Options{ProjectDir: dir, Extract: extractFromFixtures}, iso); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"node_modules/.bin/evil", "node_modules/.bun/which@2.0.2/node_modules/.bin/evil", "pwn", "node_modules/pwn", "node_modules/.bun/pwn"} {
		if _, err := os.Lstat(filepath.Join(dir, p)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s exists", p)
		}
	}
	for _, p := range []string{"node_modules/.bin/pwn", "node_modules/.bin/node-which"} {
		target, err := os.Readlink(filepath.Join(dir, p))
		if err != nil || target != "../which/bin/node-which" {
			t.Errorf("%s -> %q (%v), want ../which/bin/node-which", p, target, err)
		}
	}
}
