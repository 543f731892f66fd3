package pnpm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/unpack"
)

// fixturesDir holds the pnpm fixture projects (testdata/pnpm/README.md).
var fixturesDir = filepath.Join("..", "..", "testdata", "pnpm")

// bookkeeping are the files pnpm writes for its own runs that airlock does
// not write (see the package documentation).
var bookkeeping = Bookkeeping

// fixture is a project and the pnpm major its lockfile was written by.
type fixture struct {
	name  string
	major int
}

var layoutFixtures = []fixture{{"layout", 10}, {"layout9", 9}, {"patched", 10}, {"patched9", 9}}

// stage copies fixture f into dir (which may exist).
func stage(t testing.TB, f fixture, dir string) {
	t.Helper()
	omit := func(rel string) bool { return strings.HasSuffix(rel, "pnpm-tree.txt") }
	if err := treecmp.CopyFixture(filepath.Join(fixturesDir, f.name), dir, omit); err != nil {
		t.Fatal(err)
	}
}

// extractFromFixtures is an Extract that reads the test registry's
// archives (testregistry.FixtureTarball), checked against the lockfile's integrity, and
// unpacks them as airlock pnpm install does.
func extractFromFixtures(_ context.Context, pkg lock.Package, dir string) error {
	data, err := testregistry.FixtureTarball(pkg.Name, pkg.Version, pkg.Integrity)
	if err != nil {
		return err
	}
	_, err = unpack.NpmTarball(bytes.NewReader(data), dir, unpack.NpmOptions{Umask: 0o022, KeepGitignore: true})
	return err
}

// airlockInstall installs fixture f, already staged in dir, the way
// airlock pnpm install does.
func airlockInstall(t testing.TB, f fixture, dir string, o lockpnpm.Options, h Hoisting) *Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockpnpm.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	o.Major = f.major
	if o.Platform == (lockpnpm.Platform{}) {
		o.Platform = lockpnpm.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	}
	sel, err := lf.Select(o)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, imp := range lf.Importers {
		if imp.ID == "." {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, imp.ID, "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Name string }
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		names[imp.ID] = m.Name
	}
	patches := map[string]string{}
	for h, p := range lf.Patches {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p.Path)))
		if err != nil {
			t.Fatal(err)
		}
		if got := lockpnpm.PatchHash(b, h); got != h {
			t.Fatalf("%s: hash %s, lockfile says %s", p.Path, got, h)
		}
		patches[h] = string(b)
	}
	res, err := Install(context.Background(), Options{
		ProjectDir:     dir,
		Selection:      sel,
		WorkspaceNames: names,
		Hoisting:       h,
		Major:          f.major,
		Extract:        extractFromFixtures,
		Umask:          0o022,
		Patches:        patches,
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// listing describes a project tree one line per path: kind, permission
// bits (files), and content digest or symlink target. Absolute paths of
// the project inside file contents (pnpm's shims) are replaced by
// $PROJECT (and the node_modules above it by $ANCESTORS), so trees made in
// different directories compare. Directory
// modes are left out: the process umask decides them for pnpm and airlock
// alike.
func listing(t testing.TB, dir string) []string {
	t.Helper()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	ancestors := strings.Join(nodeModulePaths(filepath.Dir(real)), ":")
	out, err := treecmp.List(dir, func(rel string) bool {
		return rel == ".airlock" || rel == ".npmrc" || slices.Contains(bookkeeping, rel)
	}, func(b []byte) []byte {
		// pnpm 9's shims for workspace bins list every node_modules
		// above the project too.
		b = bytes.ReplaceAll(b, []byte(ancestors), []byte("$ANCESTORS"))
		return bytes.ReplaceAll(b, []byte(real), []byte("$PROJECT"))
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedTree reads the listing of the tree real pnpm made for fixture f.
func expectedTree(t testing.TB, f fixture) []string {
	t.Helper()
	out, err := treecmp.ReadListing(filepath.Join(fixturesDir, f.name, "pnpm-tree.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLayoutMatchesPnpm installs each layout fixture and compares the
// tree, path by path (modes, contents, symlink targets, shims), with the
// listing of the tree real pnpm made from the same lockfile and archives
// (pnpm-tree.txt; TestLivePnpm regenerates and re-checks it against pnpm
// itself).
func TestLayoutMatchesPnpm(t *testing.T) {
	for _, f := range layoutFixtures {
		t.Run(f.name, func(t *testing.T) {
			dir := t.TempDir()
			stage(t, f, dir)
			airlockInstall(t, f, dir, lockpnpm.Options{}, Hoisting{})
			if d := treecmp.DiffListings(expectedTree(t, f), listing(t, dir)); d != "" {
				t.Errorf("airlock's tree differs from pnpm's (- pnpm, + airlock):\n%s", d)
			}
		})
	}
}

// findPnpm returns a pnpm of the given major version: $AIRLOCK_PNPM<major>,
// else pnpm on PATH if it is that version.
func findPnpm(t testing.TB, major int) string {
	if p := os.Getenv(fmt.Sprintf("AIRLOCK_PNPM%d", major)); p != "" {
		return p
	}
	p, err := exec.LookPath("pnpm")
	if err != nil {
		return ""
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), fmt.Sprintf("%d.", major)) {
		return ""
	}
	return p
}
