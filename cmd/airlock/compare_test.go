package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/npmref"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// projectsDir holds the fixture projects whose lockfiles real npm wrote.
var projectsDir = filepath.Join("..", "..", "testdata", "npm", "projects")

// TestIdenticalToNpmCI is the test of truth: for each fixture project and
// set of flags, real `npm ci --ignore-scripts` and `airlock npm ci` install
// from the same local registry, and the trees must match file for file:
// names, contents, modes, symlink targets, .bin links and the hidden
// lockfile. It skips only when npm is not installed.
func TestIdenticalToNpmCI(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not on PATH; the comparison needs the real npm")
	}
	reg := testregistry.New(t)
	cases := []struct {
		project string
		args    []string
		opts    treecmp.Options
	}{
		{project: "basic"},
		{project: "resolved"},
		{project: "workspaces", opts: treecmp.Options{Roots: []string{"node_modules", "packages"}}},
		{project: "workspaces", args: []string{"--omit=dev"}, opts: treecmp.Options{Roots: []string{"node_modules", "packages"}}},
		{project: "optional-platform"},
		{project: "optional-platform", args: []string{"--omit=dev"}},
		{project: "optional-platform", args: []string{"--omit=optional"}},
		{project: "optional-platform", args: []string{"--omit=dev", "--omit=optional"}},
		{project: "optional-platform", args: []string{"--omit=peer"}},
		{project: "optional-platform", args: []string{"--omit=dev", "--include=dev"}},
		{project: "bundled"},
		{project: "scripts"},
		{project: "layout"},
	}
	for _, tc := range cases {
		name := tc.project
		if len(tc.args) > 0 {
			name += " " + strings.Join(tc.args, " ")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join(projectsDir, tc.project)
			want := npmref.CI(t, src, reg, tc.args...)

			got := npmref.Stage(t, src, reg).Dir
			out, err := airlockCmd(t, got, append([]string{"npm", "ci"}, tc.args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("airlock npm ci %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			diffs, err := treecmp.Compare(want, got, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) > 0 {
				t.Errorf("airlock's tree differs from npm ci's (want = npm, got = airlock):\n%s", treecmp.Report(diffs))
			}
			assertNoScriptsRan(t, got)
		})
	}
}

// airlockCmd runs the airlock CLI in dir with an environment as isolated as
// npmref's: its own HOME and cache, no global npmrc, no npm_config_*.
func airlockCmd(t *testing.T, dir string, args ...string) *exec.Cmd {
	t.Helper()
	home := t.TempDir()
	empty := filepath.Join(home, "empty-npmrc")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("airlock", args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		k := strings.ToLower(kv[:strings.IndexByte(kv, '=')+1])
		if strings.HasPrefix(k, "npm_config_") || strings.HasPrefix(k, "airlock_") || k == "home=" || k == "node_env=" {
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env,
		"HOME="+home,
		"NPM_CONFIG_GLOBALCONFIG="+empty,
		"AIRLOCK_CACHE="+filepath.Join(home, "cache"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
	)
	return cmd
}

// assertNoScriptsRan checks that none of the fixture packages' install
// scripts left their marker file anywhere in the project.
func assertNoScriptsRan(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "AIRLOCK_SCRIPT_RAN") {
			t.Errorf("an install script ran: %s exists", p)
		}
		return nil
	})
}
