package yarn

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
	"github.com/airlock-dev/airlock/unpack"
)

var (
	fixturesDir = filepath.Join("..", "..", "testdata", "yarn")
	tarballsDir = filepath.Join("..", "..", "internal", "testregistry", "tarballs")
)

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
var layoutFixtures = []string{"basic", "hoisting", "workspace"}

// bookkeeping is what yarn writes for its own next run; see the package
// documentation for why airlock does not.
var bookkeeping = []string{"node_modules/.yarn-integrity"}

func tarballFile(name, version string) string {
	return strings.ReplaceAll(strings.TrimPrefix(name, "@"), "/", "-") + "-" + version + ".tgz"
}

// extractFromFixtures is the Extract of these tests: the test registry's
// tarball, checked against the lockfile's integrity, unpacked as airlock
// yarn install unpacks it.
func extractFromFixtures(_ context.Context, pkg lock.Package, dir string) error {
	data, err := os.ReadFile(filepath.Join(tarballsDir, tarballFile(pkg.Name, pkg.Version)))
	if err != nil {
		return err
	}
	sum := sha512.Sum512(data)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != pkg.Integrity {
		return fmt.Errorf("%s@%s: integrity %s, lockfile says %s", pkg.Name, pkg.Version, got, pkg.Integrity)
	}
	_, err = unpack.NpmTarball(bytes.NewReader(data), dir, unpack.NpmOptions{Umask: 0o022, KeepGitignore: true})
	return err
}

// stage copies fixture name (package.json, yarn.lock, workspaces) into
// dir, files with mode 0o644.
func stage(t testing.TB, name, dir string) {
	t.Helper()
	src := filepath.Join(fixturesDir, name)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if strings.HasPrefix(d.Name(), "yarn-tree") {
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
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

// listing describes the project (node_modules, workspaces) one line per path: kind, permission
// bits and content digest of files, symlink targets. Directory modes are
// left out: the umask decides them for yarn and airlock alike.
func listing(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch rel {
		case ".", "package.json", "yarn.lock", ".yarnrc":
			return nil
		case install.StateDir:
			return filepath.SkipDir
		}
		for _, ig := range bookkeeping {
			if rel == ig {
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, "l "+rel+" -> "+target)
		case d.IsDir():
			out = append(out, "d "+rel)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			out = append(out, fmt.Sprintf("f %s %04o %s", rel, info.Mode().Perm(), hex.EncodeToString(sum[:8])))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
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
	b, err := os.ReadFile(treeFile(fixture, c))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// diffListings reports the lines only in want or only in got.
func diffListings(want, got []string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range want {
		w[l] = true
	}
	for _, l := range got {
		g[l] = true
	}
	var sb strings.Builder
	for _, l := range want {
		if !g[l] {
			fmt.Fprintf(&sb, "- %s\n", l)
		}
	}
	for _, l := range got {
		if !w[l] {
			fmt.Fprintf(&sb, "+ %s\n", l)
		}
	}
	return sb.String()
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
				if d := diffListings(expectedTree(t, f, c), listing(t, dir)); d != "" {
					t.Errorf("airlock's tree differs from yarn's (- yarn, + airlock):\n%s", d)
				}
			})
		}
	}
}
