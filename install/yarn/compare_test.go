package yarn

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// compareYarn runs real yarn 1 (`install --frozen-lockfile
// --ignore-scripts`, its resolved URLs pointed at the test registry) on
// fixture f, moves its tree aside, runs airlock's Install on the same
// project, and compares the two trees with treecmp, ignoring only
// .yarn-integrity. With update set, yarn's listing becomes the fixture's
// yarn-tree*.txt; otherwise it must still equal it.
func compareYarn(t *testing.T, f, yarn string, c yarnCase, update bool) {
	reg := testregistry.New(t)
	base := t.TempDir()
	home := filepath.Join(base, "home")
	dir := filepath.Join(base, "project")
	stage(t, f, dir)
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	// yarn 1 downloads from the lockfile's URLs as written; airlock maps
	// registry.yarnpkg.com to the configured registry instead.
	lockPath := filepath.Join(dir, "yarn.lock")
	data, err := os.ReadFile(lockPath)
	if err != nil {
		t.Fatal(err)
	}
	local := strings.ReplaceAll(string(data), "https://registry.yarnpkg.com/", reg.URL())
	if err := os.WriteFile(lockPath, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	rc := "registry \"" + reg.URL() + "\"\ncafile \"" + reg.CAFile() + "\"\n"
	if err := os.WriteFile(filepath.Join(dir, ".yarnrc"), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(yarn, append([]string{"install", "--frozen-lockfile", "--ignore-scripts", "--non-interactive", "--no-progress",
		"--cache-folder", filepath.Join(base, "cache")}, c.args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k := strings.ToLower(kv[:strings.IndexByte(kv, '=')+1])
		if strings.HasPrefix(k, "npm_config_") || strings.HasPrefix(k, "yarn_") || k == "home=" || k == "node_env=" || strings.HasPrefix(k, "xdg_") {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"), "YARN_ENABLE_TELEMETRY=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("yarn install: %v\n%s", err, out)
	}
	want := listing(t, dir)
	header := "# The tree `" + strings.Join(append([]string{"yarn install --frozen-lockfile --ignore-scripts"}, c.args...), " ") + "` (yarn 1.22.22)\n# made from this fixture, without .yarn-integrity. Regenerate: make test-live.\n"
	if d, err := treecmp.CheckListing(treeFile(f, c), want, header, update); err != nil {
		t.Fatal(err)
	} else if d != "" {
		t.Errorf("%s is not what this yarn makes (- file, + yarn); regenerate it with make test-live:\n%s", treeFile(f, c), d)
	}
	yarnTree := filepath.Join(base, "yarn-tree")
	if err := os.Rename(dir, yarnTree); err != nil {
		t.Fatal(err)
	}
	stage(t, f, dir)
	airlockInstall(t, dir, c)
	diffs, err := treecmp.Compare(yarnTree, dir, treecmp.Options{
		Ignore:         bookkeeping,
		IgnoreDirModes: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Errorf("airlock's tree differs from yarn's (want = yarn, got = airlock):\n%s", treecmp.Report(diffs))
	}
}

// findYarn returns a yarn 1: $AIRLOCK_YARN1, else yarn on PATH if it is
// 1.x.
func findYarn(t testing.TB) string {
	if p := os.Getenv("AIRLOCK_YARN1"); p != "" {
		return p
	}
	p, err := exec.LookPath("yarn")
	if err != nil {
		return ""
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "1.") {
		return ""
	}
	return p
}

// TestIdenticalToYarn compares with the real yarn 1 when it is installed
// (yarn 1.x on PATH, or $AIRLOCK_YARN1); make test-live installs 1.22.22
// from the npm registry.
func TestIdenticalToYarn(t *testing.T) {
	yarn := findYarn(t)
	if yarn == "" {
		t.Skip("no yarn 1 (PATH, $AIRLOCK_YARN1); TestLayoutMatchesYarn checks the committed listings instead")
	}
	for _, f := range layoutFixtures {
		for _, c := range yarnCases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				compareYarn(t, f, yarn, c, os.Getenv("AIRLOCK_YARN_UPDATE") == "1")
			})
		}
	}
}
