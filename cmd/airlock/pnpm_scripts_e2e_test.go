package main

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/testregistry/synth"
	"github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/sandbox"
)

// pnpmScriptProject publishes one package whose postinstall is script to
// reg and writes a pnpm project depending on it, with airlock.toml holding
// toml. It returns the project and the package's virtual-store directory.
func pnpmScriptProject(t *testing.T, reg *testregistry.Registry, name, script, toml string) (string, string) {
	t.Helper()
	manifest, _ := json.Marshal(map[string]any{
		"name": name, "version": "1.0.0", "license": "MIT",
		"scripts": map[string]string{"postinstall": script},
	})
	tgz, err := synth.Package{Manifest: string(manifest), Files: []synth.File{{Path: "index.js", Mode: 0o644, Body: "module.exports = 1\n"}}}.Tgz()
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(tgz); err != nil {
		t.Fatal(err)
	}
	served, err := reg.Tarball(name, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(served)
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
    resolution: {integrity: sha512-%[2]s}

snapshots:

  '%[1]s@1.0.0': {}
`, name, base64.StdEncoding.EncodeToString(sum[:]))
	pkgJSON, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": map[string]string{name: "1.0.0"}})
	dir := t.TempDir()
	for file, body := range map[string]string{
		"package.json": string(pkgJSON) + "\n", "pnpm-lock.yaml": lockfile,
		".npmrc": reg.Npmrc(), "airlock.toml": toml,
	} {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
	for _, c := range []struct {
		name, script, toml string
		args               []string
		ok                 bool
		check              func(t *testing.T, dir, pkgDir, out string)
	}{
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
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "@airlock-fixture/" + c.name
			dir, pkgDir := pnpmScriptProject(t, reg, name, c.script, c.toml)
			code, out := runAirlock(t, append([]string{"pnpm", "install", "--dir", dir}, c.args...)...)
			if c.ok != (code == 0) {
				t.Fatalf("exit code %d, want success=%v:\n%s\nlogs:\n%s", code, c.ok, out, readLogs(t, dir))
			}
			if !c.ok && (code != exitVerify || !strings.Contains(out, "install scripts failed for "+name)) {
				t.Errorf("want exit %d naming %s:\n%s", exitVerify, name, out)
			}
			if _, err := os.Stat(filepath.Join(pkgDir, "index.js")); err != nil {
				t.Errorf("package not installed: %v", err)
			}
			c.check(t, dir, pkgDir, out)
		})
	}
}
