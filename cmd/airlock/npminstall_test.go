package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/npmref"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/testregistry/synth"
	"github.com/airlock-dev/airlock/internal/treecmp"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// TestNpmInstallIdenticalToNpm is the test of truth for airlock npm
// install, update and uninstall: real `npm <args> --ignore-scripts` and
// `airlock npm <args>` run on two copies of a fixture project against the
// same local registry, and the package.json, the lockfile and the
// node_modules tree must come out byte for byte the same.
func TestNpmInstallIdenticalToNpm(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not on PATH; airlock npm install runs the real npm to resolve")
	}
	reg := testregistry.New(t)
	cases := []struct {
		name, project string
		noLock        bool
		args          []string
		// thenCI: npm installs only part of the tree (a workspace's
		// dependencies with -w), where airlock installs the whole new
		// lockfile as npm ci does; the reference is npm ci after npm.
		thenCI bool
	}{
		{name: "add", project: "basic", args: []string{"install", "@airlock-fixture/modes"}},
		{name: "add dev exact", project: "basic", args: []string{"i", "-D", "--save-exact", "@airlock-fixture/dev-tool@1"}},
		{name: "add optional natives", project: "basic", args: []string{"add", "@airlock-fixture/with-natives"}},
		{name: "add peers", project: "basic", args: []string{"install", "@airlock-fixture/peer-user", "@airlock-fixture/peer-host"}},
		{name: "add to a workspace", project: "workspaces", args: []string{"install", "ms@2.1.3", "-w", "packages/a"}, thenCI: true},
		{name: "no lockfile", project: "basic", noLock: true, args: []string{"install"}},
		{name: "uninstall", project: "basic", args: []string{"uninstall", "semver", "debug"}},
		{name: "update", project: "basic", args: []string{"update"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join(projectsDir, tc.project)
			want := npmref.Stage(t, src, reg)
			got := npmref.Stage(t, src, reg).Dir
			if tc.noLock {
				for _, dir := range []string{want.Dir, got} {
					if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil {
						t.Fatal(err)
					}
				}
			}
			if out, err := want.Run(append(tc.args, "--ignore-scripts", "--no-audit", "--no-fund")...); err != nil {
				t.Fatalf("npm %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			if tc.thenCI {
				if out, err := want.Run("ci", "--ignore-scripts", "--no-audit", "--no-fund"); err != nil {
					t.Fatalf("npm ci: %v\n%s", err, out)
				}
			}
			cmd := airlockCmd(t, got, append([]string{"npm"}, tc.args...)...)
			// npm, run by airlock, must not send the loopback registry's
			// requests through a developer's proxy.
			cmd.Env = append(cmd.Env, "NO_PROXY=127.0.0.1,localhost,::1", "no_proxy=127.0.0.1,localhost,::1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("airlock npm %s: %v\n%s", strings.Join(tc.args, " "), err, out)
			}
			for _, f := range []string{"package.json", "package-lock.json", "packages/a/package.json"} {
				w, werr := os.ReadFile(filepath.Join(want.Dir, f))
				g, gerr := os.ReadFile(filepath.Join(got, f))
				if os.IsNotExist(werr) && os.IsNotExist(gerr) {
					continue
				}
				if !bytes.Equal(w, g) {
					t.Errorf("%s differs from npm's:\nnpm:\n%s\nairlock:\n%s", f, w, g)
				}
			}
			opts := treecmp.Options{}
			if tc.project == "workspaces" {
				opts.Roots = []string{"node_modules", "packages"}
			}
			diffs, err := treecmp.Compare(want.Dir, got, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) > 0 {
				t.Errorf("airlock's tree differs from npm's (want = npm, got = airlock):\n%s", treecmp.Report(diffs))
			}
			assertNoScriptsRan(t, got)
		})
	}
}

func TestSplitPackageArg(t *testing.T) {
	for _, tc := range []struct{ arg, name, spec string }{
		{"ms", "ms", ""},
		{"ms@2", "ms", "2"},
		{"ms@^2.1.0", "ms", "^2.1.0"},
		{"@scope/pkg", "@scope/pkg", ""},
		{"@scope/pkg@next", "@scope/pkg", "next"},
		{"alias@npm:is-number@7", "alias", "npm:is-number@7"},
		{"left-pad@git+https://example.com/l.git", "left-pad", "git+https://example.com/l.git"},
		{"github:owner/repo", "", "github:owner/repo"},
		{"owner/repo#v1", "", "owner/repo#v1"},
		{"git@github.com:owner/repo.git", "", "git@github.com:owner/repo.git"},
		{"https://example.com/x-1.0.0.tgz", "", "https://example.com/x-1.0.0.tgz"},
		{"./local", "", "./local"},
		{"../x.tgz", "", "../x.tgz"},
		{"/abs/dir", "", "/abs/dir"},
	} {
		name, spec := splitPackageArg(tc.arg)
		if name != tc.name || spec != tc.spec {
			t.Errorf("splitPackageArg(%q) = %q, %q; want %q, %q", tc.arg, name, spec, tc.name, tc.spec)
		}
	}
}

func TestRefuseNonRegistrySpecs(t *testing.T) {
	old := &oldNpmProject{specs: []depSpec{
		{file: "package.json", name: "gitdep", spec: "github:o/r"},
		{file: "package.json", name: "ms", spec: "^2.0.0"},
	}}
	for _, tc := range []struct {
		verb string
		pkgs []string
		want string // "" for no refusal
	}{
		{"install", []string{"ms@2", "@s/p@latest", "a@npm:b@1"}, "gitdep in package.json"},
		{"uninstall", []string{"gitdep"}, "gitdep in package.json"},
		{"install", []string{"https://example.com/x.tgz"}, "remote archive URL"},
		{"install", []string{"x@file:../x"}, "local directory"},
		{"install", []string{"x@github:o/x"}, "git repository"},
		{"update", []string{"ms"}, "gitdep in package.json"},
		{"uninstall", []string{"ms@2"}, "takes package names"},
		{"install", []string{"--global"}, "not an option"},
	} {
		err := refuseNonRegistrySpecs(tc.verb, tc.pkgs, old)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %v: got %v, want an error mentioning %q", tc.verb, tc.pkgs, err, tc.want)
		}
	}
	// Once the git dependency is locked, npm keeps it without cloning,
	// except when asked to update it.
	old.lock = mustLock(t, `{"lockfileVersion":3,"packages":{"":{"dependencies":{"gitdep":"github:o/r","ms":"^2.0.0"}},
		"node_modules/gitdep":{"version":"1.0.0","resolved":"git+ssh://git@github.com/o/r.git#0123456789abcdef0123456789abcdef01234567"},
		"node_modules/ms":{"version":"2.1.3","integrity":"sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="}}}`)
	if err := refuseNonRegistrySpecs("install", []string{"ms@2"}, old); err != nil {
		t.Errorf("install with the git dependency locked: %v", err)
	}
	if err := refuseNonRegistrySpecs("update", []string{"ms"}, old); err != nil {
		t.Errorf("update of another package: %v", err)
	}
	if err := refuseNonRegistrySpecs("update", nil, old); err == nil || !strings.Contains(err.Error(), "gitdep") {
		t.Errorf("update of everything: got %v, want the git dependency refused", err)
	}
}

func mustLock(t *testing.T, s string) *locknpm.Lockfile {
	t.Helper()
	l, err := locknpm.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestNpmInstallTransitiveGitRefused: a registry package depending on a
// git repository would have npm clone it while resolving. The up-front
// checks see only the command line and package.json; npm is run with a
// git that does not exist, so the clone fails and nothing changes.
func TestNpmInstallTransitiveGitRefused(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not on PATH; airlock npm install runs the real npm to resolve")
	}
	reg := testregistry.New(t)
	tgz, err := synth.Package{Manifest: `{"name": "airlock-gitdep-parent", "version": "1.0.0", "dependencies": {"never-cloned": "github:airlock-dev/never-cloned"}}`}.Tgz()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(tgz); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	manifest := []byte(`{"name": "app", "version": "1.0.0"}` + "\n")
	if err := os.WriteFile(filepath.Join(dir, "package.json"), manifest, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(reg.Npmrc()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := airlockCmd(t, dir, "npm", "install", "airlock-gitdep-parent")
	cmd.Env = append(cmd.Env, "NO_PROXY=127.0.0.1,localhost,::1", "no_proxy=127.0.0.1,localhost,::1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitUsage {
		t.Fatalf("airlock npm install: %v, want exit %d\n%s", err, exitUsage, out)
	}
	if !strings.Contains(string(out), "depends on a git repository, which npm would clone") {
		t.Errorf("the error does not say a git dependency was refused:\n%s", out)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "package.json")); !bytes.Equal(b, manifest) {
		t.Errorf("package.json changed:\n%s", b)
	}
	for _, f := range []string{"package-lock.json", "node_modules"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was created", f)
		}
	}
	for _, r := range reg.Requests() {
		if strings.HasSuffix(r.Path, ".tgz") {
			t.Errorf("a tarball was fetched: %s", r.Path)
		}
	}
}
