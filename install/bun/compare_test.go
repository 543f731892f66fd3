package bun

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// fixturesDir holds the bun fixture projects (testdata/bun/README.md).
var fixturesDir = filepath.Join("..", "..", "testdata", "bun")

// layoutFixtures are installed by the tests; the others are parser
// fixtures resolved against the public registry.
var layoutFixtures = []string{"layout", "workspace"}

// bunCase is one comparison: bun's flags and the same options for Select.
type bunCase struct {
	name string
	args []string
	opts lockbun.Options
	// isolated: bun's isolated linker (--linker=isolated), compared with
	// bun-isolated-tree.txt.
	isolated bool
}

var bunCases = []bunCase{
	{name: "default"},
	{name: "production", args: []string{"--production"}, opts: lockbun.Options{NoDev: true}},
	{name: "omit-optional", args: []string{"--omit=optional"}, opts: lockbun.Options{NoOptional: true}},
	{name: "isolated", args: []string{"--linker=isolated"}, isolated: true},
	{name: "isolated-production", args: []string{"--linker=isolated", "--production"}, opts: lockbun.Options{NoDev: true}, isolated: true},
	{name: "isolated-omit-optional", args: []string{"--linker=isolated", "--omit=optional"}, opts: lockbun.Options{NoOptional: true}, isolated: true},
}

// stage copies fixture name into dir (which may exist), files 0o644,
// without the listings of bun's trees.
func stage(t testing.TB, name, dir string) {
	t.Helper()
	omit := func(rel string) bool { return rel == "bun-tree.txt" || rel == "bun-isolated-tree.txt" }
	if err := treecmp.CopyFixture(filepath.Join(fixturesDir, name), dir, omit); err != nil {
		t.Fatal(err)
	}
}

// extractFromFixtures is an Extract that reads the test registry's
// archives (testregistry.FixtureTarball), checked against the lockfile's integrity, and
// unpacks them with ExtractOptions.
func extractFromFixtures(_ context.Context, pkg lock.Package, dir string) error {
	data, err := testregistry.FixtureTarball(pkg.Name, pkg.Version, pkg.Integrity)
	if err != nil {
		return err
	}
	_, err = unpack.NpmTarball(bytes.NewReader(data), dir, ExtractOptions(unpack.ProcessUmask()))
	return err
}

// fixturePlatform is the platform bun made the fixtures' listings on.
var fixturePlatform = lockbun.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

// onFixturePlatform is o, on fixturePlatform unless o names a platform.
func onFixturePlatform(o lockbun.Options) lockbun.Options {
	if o.Platform == (lockbun.Platform{}) {
		o.Platform = fixturePlatform
	}
	return o
}

// fixtureLock parses the bun.lock of the fixture staged in dir.
func fixtureLock(t testing.TB, dir string) *lockbun.Lockfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "bun.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockbun.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

// airlockInstall installs the fixture staged in dir as airlock bun
// install does.
func airlockInstall(t testing.TB, dir string, o lockbun.Options) *Result {
	t.Helper()
	sel, err := fixtureLock(t, dir).Select(onFixturePlatform(o))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Extract: extractFromFixtures})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// listing is treecmp.List of a project's node_modules trees and
// workspace files, without the fixture's inputs and airlock's directory.
// Directory modes are left out: bun makes them 0o755 whatever the umask,
// airlock 0o777 less the umask, as npm does.
func listing(t testing.TB, dir string) []string {
	t.Helper()
	out, err := treecmp.List(dir, func(rel string) bool {
		switch rel {
		case ".airlock", ".npmrc", "bun.lock", "bunfig.toml", "package.json":
			return true
		}
		return false
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// expectedTree reads a fixture's committed bun-tree.txt.
func expectedTree(t testing.TB, name string) []string {
	t.Helper()
	return expectedListing(t, name, "bun-tree.txt")
}

// expectedListing reads a fixture's committed listing file.
func expectedListing(t testing.TB, name, file string) []string {
	t.Helper()
	out, err := treecmp.ReadListing(filepath.Join(fixturesDir, name, file))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLayoutMatchesBun installs each layout fixture without network and
// compares the tree with the listing of the tree real bun made from it
// (bun-tree.txt), with the umask bun ran with.
func TestLayoutMatchesBun(t *testing.T) {
	if unpack.ProcessUmask() != 0o022 {
		t.Skip("bun-tree.txt was made with umask 022")
	}
	for _, f := range layoutFixtures {
		t.Run(f, func(t *testing.T) {
			dir := t.TempDir()
			stage(t, f, dir)
			airlockInstall(t, dir, lockbun.Options{})
			if d := treecmp.DiffListings(expectedTree(t, f), listing(t, dir)); d != "" {
				t.Errorf("airlock's tree differs from bun's (- bun, + airlock):\n%s", d)
			}
		})
	}
}

// findBun returns real bun: $AIRLOCK_BUN, or bun on PATH.
func findBun(t *testing.T) string {
	if p := os.Getenv("AIRLOCK_BUN"); p != "" {
		return p
	}
	p, _ := exec.LookPath("bun")
	return p
}

// compareBun runs real bun (`install --frozen-lockfile --ignore-scripts`
// against the test registry) on fixture f, moves its tree aside, runs
// airlock's Install on a fresh copy, and compares the two with treecmp.
// With update set, the default case's listing becomes the fixture's
// bun-tree.txt; otherwise bun's listing must still equal it.
func compareBun(t *testing.T, f, bun string, c bunCase, update bool) {
	reg := testregistry.New(t)
	base := t.TempDir()
	home := filepath.Join(base, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "project")
	stage(t, f, dir)
	rc := "registry=" + reg.URL() + "\ncafile=" + reg.CAFile() + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bun, append([]string{"install", "--frozen-lockfile", "--ignore-scripts"}, c.args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k := strings.ToLower(kv[:strings.IndexByte(kv, '=')+1])
		if strings.HasPrefix(k, "npm_config_") || strings.HasPrefix(k, "bun_") || k == "home=" || k == "xdg_config_home=" || k == "xdg_cache_home=" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"),
		"BUN_INSTALL_CACHE_DIR="+filepath.Join(base, "cache"), "CI=true")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bun install: %v\n%s", err, out)
	}
	want := listing(t, dir)
	if c.name == "default" || c.name == "isolated" {
		file, cmdline := "bun-tree.txt", "bun install --frozen-lockfile --ignore-scripts"
		if c.isolated {
			file, cmdline = "bun-isolated-tree.txt", cmdline+" --linker=isolated"
		}
		header := "# The tree `" + cmdline + "` made from this\n# fixture with umask 022 (see install/bun's listing). Regenerate: make test-live.\n"
		if d, err := treecmp.CheckListing(filepath.Join(fixturesDir, f, file), want, header, update); err != nil {
			t.Fatal(err)
		} else if d != "" && unpack.ProcessUmask() == 0o022 {
			t.Errorf(file+" is not what this bun makes (- file, + bun); regenerate it with make test-live:\n%s", d)
		}
	}
	bunTree := filepath.Join(base, "bun-tree")
	if err := os.Rename(dir, bunTree); err != nil {
		t.Fatal(err)
	}
	stage(t, f, dir)
	if c.isolated {
		isolatedInstall(t, dir, c.opts)
	} else {
		airlockInstall(t, dir, c.opts)
	}
	diffs, err := treecmp.Compare(bunTree, dir, treecmp.Options{
		Roots:          []string{"node_modules", "packages"},
		IgnoreDirModes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Errorf("airlock's tree differs from bun's (want = bun, got = airlock):\n%s", treecmp.Report(diffs))
	}
}

// TestIdenticalToBun compares with the real bun when it is installed (bun
// on PATH, or $AIRLOCK_BUN); make test-live installs it from the npm
// registry.
func TestIdenticalToBun(t *testing.T) {
	bun := findBun(t)
	if bun == "" {
		t.Skip("no bun (PATH, $AIRLOCK_BUN); TestLayoutMatchesBun checks the committed listings instead")
	}
	for _, f := range layoutFixtures {
		for _, c := range bunCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				compareBun(t, f, bun, c, os.Getenv("AIRLOCK_BUN_UPDATE") == "1")
			})
		}
	}
}
