package main

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/testregistry/synth"
	"github.com/airlock-dev/airlock/sandbox"
)

// scriptProject publishes one package whose postinstall is script to reg
// and writes a project depending on it, with airlock.toml holding toml.
func scriptProject(t *testing.T, reg *testregistry.Registry, name, script, toml string) string {
	t.Helper()
	integrity := publishScript(t, reg, name, script)
	lockfile, _ := json.MarshalIndent(map[string]any{
		"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
		"packages": map[string]any{
			"": map[string]any{"name": "app", "version": "1.0.0", "dependencies": map[string]string{name: "1.0.0"}},
			"node_modules/" + name: map[string]any{
				"version": "1.0.0", "integrity": integrity,
				"hasInstallScript": true, "license": "MIT",
			},
		},
	}, "", "  ")
	pkgJSON, _ := json.MarshalIndent(map[string]any{"name": "app", "version": "1.0.0", "dependencies": map[string]string{name: "1.0.0"}}, "", "  ")
	return writeScriptProject(t, reg, toml, map[string]string{"package.json": string(pkgJSON) + "\n", "package-lock.json": string(lockfile) + "\n"})
}

// publishScript publishes name@1.0.0, whose postinstall is script, to reg
// and returns the integrity of the tarball reg serves.
func publishScript(t *testing.T, reg *testregistry.Registry, name, script string) string {
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
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// writeScriptProject writes files, reg's .npmrc and an airlock.toml
// holding toml into a new project directory, and returns it.
func writeScriptProject(t *testing.T, reg *testregistry.Registry, toml string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files[".npmrc"], files["airlock.toml"] = reg.Npmrc(), toml
	for file, body := range files {
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scriptCase is one allowed-scripts case of a package manager's install:
// a package whose postinstall is script, airlock.toml holding toml, extra
// install args; check looks at the project, the package's directory and
// airlock's output.
type scriptCase struct {
	name, script, toml string
	args               []string
	ok                 bool
	check              func(t *testing.T, dir, pkgDir, out string)
}

// runScriptCases installs each case's project (made by project, which
// returns it and the package's directory) with airlock and args, then
// checks the exit code (a failed script is exitVerify, naming the
// package), that the package is installed either way, and c.check.
func runScriptCases(t *testing.T, reg *testregistry.Registry, args []string, cases []scriptCase, project func(t *testing.T, reg *testregistry.Registry, name, script, toml string) (string, string)) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "@airlock-fixture/" + c.name
			dir, pkgDir := project(t, reg, name, c.script, c.toml)
			code, out := runAirlock(t, append(append(append([]string(nil), args...), "--dir", dir), c.args...)...)
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

func runAirlock(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	t.Setenv("AIRLOCK_CACHE", filepath.Join(t.TempDir(), "cache"))
	code := run(args, &out, &out)
	return code, out.String()
}

// TestAllowedScriptsRunSandboxed runs real postinstall scripts through
// npm rebuild in the sandbox: a well-behaved one builds, and each hostile
// one is stopped, fails the install and is reported with its log.
func TestAllowedScriptsRunSandboxed(t *testing.T) {
	if err := sandbox.Probe().Err(); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	if _, err := nativeNpm(); err != nil {
		t.Skip(err)
	}
	reg := testregistry.New(t)
	home := t.TempDir() // stands for the user's home with credentials
	secret := filepath.Join(home, ".npmrc")
	os.WriteFile(secret, []byte("//registry.npmjs.org/:_authToken=npm_SECRET\n"), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello\n"))
			c.Close()
		}
	}()
	js := func(code string) string { return "node -e " + shellQuote(code) }
	connect := js(fmt.Sprintf(`require('net').connect(%d,'127.0.0.1').on('data',()=>process.exit(0)).on('error',e=>{console.error(e.message);process.exit(1)})`, ln.Addr().(*net.TCPAddr).Port))

	cases := []struct {
		name, script, toml string
		ok                 bool
		check              func(t *testing.T, dir, out string)
	}{
		{
			name:   "builds-in-its-dir",
			script: js(`require('fs').writeFileSync('built.txt', 'ok')`),
			toml:   "[scripts]\nallow = [\"@airlock-fixture/builds-in-its-dir\"]\n",
			ok:     true,
			check: func(t *testing.T, dir, out string) {
				if _, err := os.Stat(filepath.Join(dir, "node_modules/@airlock-fixture/builds-in-its-dir/built.txt")); err != nil {
					t.Errorf("the allowed script did not build: %v\n%s", err, out)
				}
			},
		},
		{
			name:   "not-allowed",
			script: js(`require('fs').writeFileSync('built.txt', 'ok')`),
			toml:   "",
			ok:     true,
			check: func(t *testing.T, dir, out string) {
				if _, err := os.Stat(filepath.Join(dir, "node_modules/@airlock-fixture/not-allowed/built.txt")); err == nil {
					t.Error("a script that was not allowed ran")
				}
				if !strings.Contains(out, "did not run") {
					t.Errorf("summary does not say the script did not run:\n%s", out)
				}
			},
		},
		{name: "reads-npmrc", script: js(fmt.Sprintf(`console.log(require('fs').readFileSync(%q,'utf8'))`, secret)), toml: "[scripts]\nallow = [\"@airlock-fixture/reads-npmrc\"]\n# static analysis flags it (AL003); let it run to show the sandbox stops it\nreviewed = [\"@airlock-fixture/reads-npmrc\"]\n",
			check: func(t *testing.T, dir, out string) {
				logs := readLogs(t, dir)
				if strings.Contains(out, "npm_SECRET") || strings.Contains(logs, "npm_SECRET") {
					t.Error("the script read the secret")
				}
				if !strings.Contains(logs, "EACCES") {
					t.Errorf("the script was not stopped by the sandbox (EACCES):\n%s", logs)
				}
			}},
		{name: "writes-outside", script: js(`require('fs').writeFileSync(process.env.INIT_CWD + '/pwned.js', 'x')`), toml: "[scripts]\nallow = [\"@airlock-fixture/writes-outside\"]\n",
			check: func(t *testing.T, dir, out string) {
				if _, err := os.Stat(filepath.Join(dir, "pwned.js")); err == nil {
					t.Error("the script wrote outside its directory")
				}
			}},
		{name: "phones-home", script: connect, toml: "[scripts]\nallow = [\"@airlock-fixture/phones-home\"]\n"},
		{name: "phones-home-allowed", script: connect, toml: "[scripts]\nallow = [\"@airlock-fixture/phones-home-allowed\"]\nnetwork = [\"@airlock-fixture/phones-home-allowed\"]\n", ok: true},
		{name: "fork-bomb", script: js(`const cp=require('child_process');for(;;){try{cp.spawn('sleep',['60'])}catch(e){}}`), toml: "[scripts]\nallow = [\"@airlock-fixture/fork-bomb\"]\ntimeout = \"20s\"\n",
			check: func(t *testing.T, dir, out string) {
				if !strings.Contains(out, "too many processes") {
					t.Errorf("fork bomb not reported as such:\n%s", out)
				}
			}},
		{name: "flagged-by-analysis", script: "echo https://example.com/payload > fetched.txt", toml: "[scripts]\nallow = [\"@airlock-fixture/flagged-by-analysis\"]\n",
			check: func(t *testing.T, dir, out string) {
				if !strings.Contains(out, "static analysis found") || !strings.Contains(out, "AL001") {
					t.Errorf("not blocked by static analysis:\n%s", out)
				}
				if _, err := os.Stat(filepath.Join(dir, "node_modules/@airlock-fixture/flagged-by-analysis/fetched.txt")); err == nil {
					t.Error("the flagged script ran")
				}
			}},
		{name: "flagged-but-reviewed", script: "echo https://example.com/payload > fetched.txt", toml: "[scripts]\nallow = [\"@airlock-fixture/flagged-but-reviewed\"]\nreviewed = [\"@airlock-fixture/flagged-but-reviewed@1\"]\n", ok: true,
			check: func(t *testing.T, dir, out string) {
				if _, err := os.Stat(filepath.Join(dir, "node_modules/@airlock-fixture/flagged-but-reviewed/fetched.txt")); err != nil {
					t.Errorf("the reviewed script did not run: %v\n%s", err, out)
				}
			}},
		{name: "optional-failure", script: "exit 3", toml: "[scripts]\nallow = [\"@airlock-fixture/optional-failure\"]\noptional = [\"@airlock-fixture/optional-failure\"]\n", ok: true,
			check: func(t *testing.T, dir, out string) {
				if !strings.Contains(out, "optional") {
					t.Errorf("no warning about the optional failure:\n%s", out)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "fork-bomb" && sandbox.Probe().ProcessBound == "" {
				t.Skip("no hard process bound here (root without a pids cgroup)")
			}
			name := "@airlock-fixture/" + c.name
			dir := scriptProject(t, reg, name, c.script, c.toml)
			code, out := runAirlock(t, "npm", "ci", "--dir", dir)
			if c.ok != (code == 0) {
				t.Fatalf("exit code %d, want success=%v:\n%s\nlogs:\n%s", code, c.ok, out, readLogs(t, dir))
			}
			if !c.ok && (code != exitVerify || !strings.Contains(out, "install scripts failed for "+name)) {
				t.Errorf("want exit %d naming %s:\n%s", exitVerify, name, out)
			}
			// The package itself is installed either way.
			if _, err := os.Stat(filepath.Join(dir, "node_modules", name, "index.js")); err != nil {
				t.Errorf("package not installed: %v", err)
			}
			if c.check != nil {
				c.check(t, dir, out)
			}
		})
	}
}

func readLogs(t *testing.T, dir string) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(dir, ".airlock", "logs", "*.log"))
	for _, l := range logs {
		data, _ := os.ReadFile(l)
		b.Write(data)
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// TestRealNativeModuleBuildsInSandbox installs the real utf-8-validate
// addon and compiles it from source with node-gyp inside the sandbox: a
// C++ toolchain, Python and node's headers are reachable, the network and
// the user's files are not.
func TestRealNativeModuleBuildsInSandbox(t *testing.T) {
	if err := sandbox.Probe().Err(); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	if _, err := nativeNpm(); err != nil {
		t.Skip(err)
	}
	if nodeHeaders() == "" {
		t.Skip("node's C headers (include/node) are not installed: node-gyp would download them")
	}
	if py, _ := buildPython(); py == "" {
		t.Skip("no python3 for node-gyp")
	}
	if _, err := exec.LookPath("c++"); err != nil {
		t.Skip("no C++ compiler")
	}
	reg := testregistry.New(t)
	lockPkgs := map[string]any{}
	for _, f := range []struct{ file, path string }{
		{"utf-8-validate-6.0.5.tgz", "node_modules/utf-8-validate"},
		{"node-gyp-build-4.8.4.tgz", "node_modules/node-gyp-build"},
	} {
		tgz, err := os.ReadFile(filepath.Join("testdata", "native", f.file))
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Add(tgz); err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum512(tgz)
		entry := map[string]any{"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:]), "license": "MIT"}
		if f.path == "node_modules/utf-8-validate" {
			entry["version"], entry["hasInstallScript"] = "6.0.5", true
			entry["dependencies"] = map[string]string{"node-gyp-build": "^4.3.0"}
		} else {
			entry["version"] = "4.8.4"
			entry["bin"] = map[string]string{"node-gyp-build": "bin.js", "node-gyp-build-optional": "optional.js", "node-gyp-build-test": "build-test.js"}
		}
		lockPkgs[f.path] = entry
	}
	lockPkgs[""] = map[string]any{"name": "app", "version": "1.0.0", "dependencies": map[string]string{"utf-8-validate": "6.0.5"}}
	lockfile, _ := json.MarshalIndent(map[string]any{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": lockPkgs}, "", "  ")
	dir := t.TempDir()
	for file, body := range map[string]string{
		"package.json":      `{"name":"app","version":"1.0.0","dependencies":{"utf-8-validate":"6.0.5"}}` + "\n",
		"package-lock.json": string(lockfile) + "\n",
		".npmrc":            reg.Npmrc(),
		"airlock.toml":      "[scripts]\nallow = [\"utf-8-validate@6\"]\ntimeout = \"5m\"\n",
	} {
		os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644)
	}
	t.Setenv("npm_config_build_from_source", "true")
	code, out := runAirlock(t, "npm", "ci", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d:\n%s\nlogs:\n%s", code, out, readLogs(t, dir))
	}
	addon := filepath.Join(dir, "node_modules/utf-8-validate/build/Release/validation.node")
	if _, err := os.Stat(addon); err != nil {
		t.Fatalf("the addon was not compiled: %v\n%s", err, readLogs(t, dir))
	}
	// The compiled addon loads and works.
	check := exec.Command("node", "-e", `const v=require('utf-8-validate'); process.exit(v(Buffer.from('h\u00e9')) && !v(Buffer.from([0xff])) ? 0 : 1)`)
	check.Dir = dir
	if b, err := check.CombinedOutput(); err != nil {
		t.Fatalf("the built addon does not work: %v\n%s", err, b)
	}
}
