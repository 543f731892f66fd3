package pnpm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// pnpmCase is one comparison: pnpm's flags and .npmrc lines, and the same
// settings for airlock.
type pnpmCase struct {
	name  string
	args  []string
	npmrc string
	opts  lockpnpm.Options
	hoist Hoisting
}

var pnpmCases = []pnpmCase{
	{name: "default"},
	{name: "prod", args: []string{"--prod"}, opts: lockpnpm.Options{NoDev: true}},
	{name: "no-optional", args: []string{"--no-optional"}, opts: lockpnpm.Options{NoOptional: true}},
	{name: "shamefully-hoist", npmrc: "shamefully-hoist=true\n", hoist: Hoisting{Public: []string{"*"}}},
	{name: "no-hoist", npmrc: "hoist=false\n", hoist: Hoisting{Private: []string{}}},
	{name: "patterns", npmrc: "public-hoist-pattern[]=*is-*\nhoist-pattern[]=*m*\n", hoist: Hoisting{Public: []string{"*is-*"}, Private: []string{"*m*"}}},
}

// comparePnpm runs real pnpm (`install --frozen-lockfile --ignore-scripts
// --offline` after filling its store from the test registry) on fixture f
// in a directory, moves its tree aside, runs airlock's Install in the same
// directory (the shims hold absolute paths), and compares the two trees
// with treecmp, ignoring only pnpm's bookkeeping files. With update set,
// the default case's listing becomes the fixture's pnpm-tree.txt;
// otherwise pnpm's listing must still equal it.
func comparePnpm(t *testing.T, f fixture, pnpm string, c pnpmCase, update bool) {
	reg := testregistry.New(t)
	base := t.TempDir()
	home := filepath.Join(base, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "project")
	stage(t, f, dir)
	rc := "registry=" + reg.URL() + "\ncafile=" + reg.CAFile() + "\n" + c.npmrc
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		cmd := exec.Command(pnpm, args...)
		cmd.Dir = dir
		for _, kv := range os.Environ() {
			k := strings.ToLower(kv[:strings.IndexByte(kv, '=')+1])
			if strings.HasPrefix(k, "npm_config_") || strings.HasPrefix(k, "pnpm_") || k == "home=" || k == "xdg_config_home=" || k == "xdg_data_home=" || k == "xdg_cache_home=" {
				continue
			}
			cmd.Env = append(cmd.Env, kv)
		}
		cmd.Env = append(cmd.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CACHE_HOME="+filepath.Join(home, "cache"), "CI=true")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pnpm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	store := filepath.Join(base, "store")
	run(append([]string{"install", "--frozen-lockfile", "--ignore-scripts", "--store-dir", store}, c.args...)...)
	want := listing(t, dir)
	if c.name == "default" {
		header := "# The tree `pnpm install --frozen-lockfile --ignore-scripts` made from this\n# fixture (see install/pnpm's listing). Regenerate: make test-live.\n"
		if d, err := treecmp.CheckListing(filepath.Join(fixturesDir, f.name, "pnpm-tree.txt"), want, header, update); err != nil {
			t.Fatal(err)
		} else if d != "" {
			t.Errorf("pnpm-tree.txt is not what this pnpm makes (- file, + pnpm); regenerate it with make test-live:\n%s", d)
		}
	}
	pnpmTree := filepath.Join(base, "pnpm-tree")
	if err := os.Rename(dir, pnpmTree); err != nil {
		t.Fatal(err)
	}
	stage(t, f, dir)
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	airlockInstall(t, f, dir, c.opts, c.hoist)
	diffs, err := treecmp.Compare(pnpmTree, dir, treecmp.Options{
		Roots:          []string{"node_modules", "packages"},
		Ignore:         bookkeeping,
		IgnoreDirModes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Errorf("airlock's tree differs from pnpm's (want = pnpm, got = airlock):\n%s", treecmp.Report(diffs))
	}
}

// TestIdenticalToPnpm compares with the real pnpm when it is installed
// (pnpm on PATH, or $AIRLOCK_PNPM9 / $AIRLOCK_PNPM10); make test-live
// installs both from the npm registry.
func TestIdenticalToPnpm(t *testing.T) {
	ran := false
	for _, f := range layoutFixtures {
		pnpm := findPnpm(t, f.major)
		if pnpm == "" {
			continue
		}
		ran = true
		for _, c := range pnpmCases {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				comparePnpm(t, f, pnpm, c, os.Getenv("AIRLOCK_PNPM_UPDATE") == "1")
			})
		}
	}
	if !ran {
		t.Skip("no pnpm 9 or 10 (PATH, $AIRLOCK_PNPM9, $AIRLOCK_PNPM10); TestLayoutMatchesPnpm checks the committed listings instead")
	}
}
