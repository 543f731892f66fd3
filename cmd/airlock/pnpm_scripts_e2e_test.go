package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/sandbox"
)

// pnpmScriptProject publishes one package whose postinstall is script to
// reg and writes a pnpm project depending on it, with airlock.toml holding
// toml. It returns the project and the package's virtual-store directory.
func pnpmScriptProject(t *testing.T, reg *testregistry.Registry, name, script, toml string) (string, string) {
	t.Helper()
	integrity := publishScript(t, reg, name, script)
	// As pnpm 10 writes it (no requiresBuild: airlock finds the scripts
	// in the package.json it extracts).
	lockfile := fmt.Sprintf(`lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      '%[1]s':
        specifier: 1.0.0
        version: 1.0.0

packages:

  '%[1]s@1.0.0':
    resolution: {integrity: %[2]s}

snapshots:

  '%[1]s@1.0.0': {}
`, name, integrity)
	pkgJSON, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": map[string]string{name: "1.0.0"}})
	dir := writeScriptProject(t, reg, toml, map[string]string{"package.json": string(pkgJSON) + "\n", "pnpm-lock.yaml": lockfile})
	return dir, filepath.Join(dir, "node_modules", ".pnpm", pnpm.DepPathToFilename(name+"@1.0.0", pnpm.DefaultVirtualStoreDirMaxLength, 10), "node_modules", name)
}

// TestPnpmAllowedScriptsRunSandboxed runs a pnpm project's allowed
// postinstall scripts through the real `pnpm rebuild` in the sandbox
// (pnpm on PATH; make test-live provides it): one that builds in its
// directory succeeds, one that writes to the project is stopped, one that
// static analysis flags is refused, and one that is not allowed never runs. The project's node_modules keeps no
// pnpm state from the run.
func TestPnpmAllowedScriptsRunSandboxed(t *testing.T) {
	if err := sandbox.Probe().Err(); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	if _, err := nativePnpm(); err != nil {
		t.Skip(err)
	}
	reg := testregistry.New(t)
	js := func(code string) string { return "node -e " + shellQuote(code) }
	runScriptCases(t, reg, []string{"pnpm", "install"}, []scriptCase{
		{
			name: "builds-in-its-dir", script: js(`require('fs').writeFileSync('built.txt', process.env.npm_lifecycle_event)`),
			toml: "[scripts]\nallow = [\"@airlock-fixture/builds-in-its-dir\"]\n", ok: true,
			check: func(t *testing.T, dir, pkgDir, out string) {
				if b, err := os.ReadFile(filepath.Join(pkgDir, "built.txt")); err != nil || string(b) != "postinstall" {
					t.Errorf("the allowed script did not build (%q, %v):\n%s\nlogs:\n%s", b, err, out, readLogs(t, dir))
				}
				if !strings.Contains(readLogs(t, dir), "rebuild @airlock-fixture/builds-in-its-dir@1.0.0") {
					t.Errorf("not run through pnpm rebuild:\n%s", readLogs(t, dir))
				}
				for _, f := range []string{"node_modules/.modules.yaml", "node_modules/.pnpm/lock.yaml"} {
					if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
						t.Errorf("pnpm rebuild left %s in the project", f)
					}
				}
			},
		},
		{
			name: "flag-allowed", script: js(`require('fs').writeFileSync('built.txt', 'ok')`), args: []string{"--allow-scripts=@airlock-fixture/flag-allowed@1"}, ok: true,
			check: func(t *testing.T, dir, pkgDir, out string) {
				if _, err := os.Stat(filepath.Join(pkgDir, "built.txt")); err != nil {
					t.Errorf("--allow-scripts did not build: %v\n%s", err, out)
				}
			},
		},
		{
			name: "writes-outside", script: js(`require('fs').writeFileSync(process.env.INIT_CWD + '/pwned.js', 'x')`),
			toml: "[scripts]\nallow = [\"@airlock-fixture/writes-outside\"]\n",
			check: func(t *testing.T, dir, pkgDir, out string) {
				if _, err := os.Stat(filepath.Join(dir, "pwned.js")); err == nil {
					t.Error("the script wrote outside its directory")
				}
				if !strings.Contains(readLogs(t, dir), "EACCES") {
					t.Errorf("not stopped by the sandbox (EACCES):\n%s", readLogs(t, dir))
				}
			},
		},
		{
			// pnpm's lockfile does not say the package has scripts: the
			// analysis runs on what was extracted, and its error blocks.
			name: "flagged-by-analysis", script: "echo https://example.com/payload > fetched.txt",
			toml: "[scripts]\nallow = [\"@airlock-fixture/flagged-by-analysis\"]\n",
			check: func(t *testing.T, dir, pkgDir, out string) {
				if !strings.Contains(out, "static analysis found") || !strings.Contains(out, "AL001") {
					t.Errorf("not blocked by static analysis:\n%s", out)
				}
				if _, err := os.Stat(filepath.Join(pkgDir, "fetched.txt")); err == nil {
					t.Error("the flagged script ran")
				}
			},
		},
		{
			name: "not-allowed", script: js(`require('fs').writeFileSync('built.txt', 'ok')`), ok: true,
			check: func(t *testing.T, dir, pkgDir, out string) {
				if _, err := os.Stat(filepath.Join(pkgDir, "built.txt")); err == nil {
					t.Error("a script that was not allowed ran")
				}
				if !strings.Contains(out, "did not run: @airlock-fixture/not-allowed@1.0.0") {
					t.Errorf("summary does not name the script that did not run:\n%s", out)
				}
			},
		},
	}, pnpmScriptProject)
}
