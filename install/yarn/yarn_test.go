package yarn

import (
	"bytes"
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
	"github.com/airlock-dev/airlock/unpack"
)

var fixturesDir = filepath.Join("..", "..", "testdata", "yarn")

// yarnCase is one comparison: yarn's flags and the same for airlock.
type yarnCase struct {
	name       string
	args       []string
	production bool
}

var yarnCases = []yarnCase{
	{name: "default"},
	{name: "production", args: []string{"--production"}, production: true},
}

// layoutFixtures are the projects under testdata/yarn compared with yarn.
var layoutFixtures = []string{"basic", "hoisting", "workspace", "nohoist"}

// bookkeeping is what yarn writes for its own next run; see the package
// documentation for why airlock does not.
var bookkeeping = []string{"node_modules/.yarn-integrity"}

// extractFromFixtures is the Extract of these tests: the test registry's
// tarball, checked against the lockfile's integrity, unpacked as airlock
// yarn install unpacks it.
func extractFromFixtures(_ context.Context, pkg lock.Package, dir string) error {
	data, err := testregistry.FixtureTarball(pkg.Name, pkg.Version, pkg.Integrity)
	if err != nil {
		return err
	}
	_, err = unpack.NpmTarball(bytes.NewReader(data), dir, unpack.NpmOptions{Umask: 0o022, KeepGitignore: true})
	return err
}

// stage copies fixture name (package.json, yarn.lock, workspaces) into
// dir, files with mode 0o644.
func stage(t testing.TB, name, dir string) {
	t.Helper()
	omit := func(rel string) bool { return strings.HasPrefix(path.Base(rel), "yarn-tree") }
	if err := treecmp.CopyFixture(filepath.Join(fixturesDir, name), dir, omit); err != nil {
		t.Fatal(err)
	}
}

// airlockInstall installs the project in dir the way airlock yarn
// install does, on linux/x64.
func airlockInstall(t testing.TB, dir string, c yarnCase) *Result {
	t.Helper()
	res, err := installDir(dir, c, extractFromFixtures)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func installDir(dir string, c yarnCase, extract func(context.Context, lock.Package, string) error) (*Result, error) {
	data, err := os.ReadFile(filepath.Join(dir, "yarn.lock"))
	if err != nil {
		return nil, err
	}
	lf, err := lockyarn.Parse(data)
	if err != nil {
		return nil, err
	}
	pj, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	m, err := lockyarn.ReadManifest(pj)
	if err != nil {
		return nil, err
	}
	ws, _, err := FindWorkspaces(dir, m)
	if err != nil {
		return nil, err
	}
	var wsm []*lockyarn.Manifest
	for _, w := range ws {
		wsm = append(wsm, w.Manifest)
	}
	if err := lockyarn.CheckInSync(lf, m, wsm...); err != nil {
		return nil, err
	}
	return Install(context.Background(), Options{
		ProjectDir: dir,
		Lockfile:   lf,
		Manifest:   m,
		Workspaces: ws,
		Production: c.production,
		Platform:   Platform{OS: "linux", CPU: "x64"},
		Extract:    extract,
	})
}

// listing describes the project (node_modules, workspaces) as
// treecmp.List does, without the inputs and yarn's bookkeeping.
func listing(t testing.TB, dir string) []string {
	t.Helper()
	out, err := treecmp.List(dir, func(rel string) bool {
		return rel == "package.json" || rel == "yarn.lock" || rel == ".yarnrc" || rel == install.StateDir || slices.Contains(bookkeeping, rel)
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func treeFile(fixture string, c yarnCase) string {
	if c.name == "default" {
		return filepath.Join(fixturesDir, fixture, "yarn-tree.txt")
	}
	return filepath.Join(fixturesDir, fixture, "yarn-tree-"+c.name+".txt")
}

// expectedTree reads the listing of the tree real yarn made.
func expectedTree(t testing.TB, fixture string, c yarnCase) []string {
	t.Helper()
	out, err := treecmp.ReadListing(treeFile(fixture, c))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLayoutMatchesYarn installs each fixture and compares the tree, path
// by path (modes, contents, symlink targets), with the listing of the
// tree real yarn 1.22.22 made from the same lockfile and archives
// (yarn-tree*.txt; TestLiveYarn regenerates and re-checks them against
// yarn itself).
func TestLayoutMatchesYarn(t *testing.T) {
	for _, f := range layoutFixtures {
		for _, c := range yarnCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				stage(t, f, dir)
				airlockInstall(t, dir, c)
				if d := treecmp.DiffListings(expectedTree(t, f, c), listing(t, dir)); d != "" {
					t.Errorf("airlock's tree differs from yarn's (- yarn, + airlock):\n%s", d)
				}
			})
		}
	}
}
