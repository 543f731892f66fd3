package bun

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

func readFixture(t testing.TB, name string) *Lockfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bun", name, "bun.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

var linux = Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

func pathsOf(sel *Selection) string {
	var out []string
	for _, p := range sel.Install {
		out = append(out, p.Path)
	}
	return strings.Join(out, "\n")
}

func find(t *testing.T, sel *Selection, path string) lock.Package {
	t.Helper()
	for _, p := range sel.Install {
		if p.Path == path {
			return p
		}
	}
	t.Fatalf("%s is not installed; installed:\n%s", path, pathsOf(sel))
	return lock.Package{}
}

// TestParseBasic reads a lockfile bun 1.4.5 wrote against the npm
// registry: nested copies, a peer, a string bin, an optional darwin
// package.
func TestParseBasic(t *testing.T) {
	lf := readFixture(t, "basic")
	if lf.Version != 2 || lf.ConfigVersion != 1 || len(lf.Workspaces) != 1 || lf.Workspaces[0].Name != "basic" {
		t.Fatalf("header: version %d config %d workspaces %+v", lf.Version, lf.ConfigVersion, lf.Workspaces)
	}
	ms := lf.Entries["debug/ms"]
	if ms == nil || ms.Name != "ms" || ms.Version != "2.0.0" || strings.Join(ms.Segments, ",") != "debug,ms" || !strings.HasPrefix(ms.Integrity, "sha512-Tpp60P6I") || ms.Tarball != "" {
		t.Errorf("debug/ms = %+v", ms)
	}
	if b := lf.Entries["rimraf"].Bin; b["rimraf"] != "./bin.js" {
		t.Errorf("rimraf's string bin = %v", b)
	}
	if e := lf.Entries["fsevents"]; strings.Join(e.OS, ",") != "darwin" {
		t.Errorf("fsevents os = %v", e.OS)
	}
	if e := lf.Entries["use-sync-external-store"]; e.PeerDependencies["react"] == "" {
		t.Errorf("peer dependencies = %v", e.PeerDependencies)
	}
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Install) != 26 || len(sel.Skipped) != 1 || sel.Skipped[0].Package.Name != "fsevents" {
		t.Errorf("installed %d, skipped %+v", len(sel.Install), sel.Skipped)
	}
	if p := find(t, sel, "node_modules/make-dir/node_modules/semver"); p.Version != "6.3.2" || p.Bin["semver"] != "./bin/semver.js" || p.Source != lock.SourceRegistry {
		t.Errorf("nested semver = %+v", p)
	}
	if p := find(t, sel, "node_modules/@sindresorhus/is"); p.Name != "@sindresorhus/is" {
		t.Errorf("scoped = %+v", p)
	}
	for _, p := range sel.Install {
		dev := p.Name == "is-number" || p.Name == "rimraf" || p.Name == "glob" || p.Name == "once" || p.Name == "wrappy" ||
			p.Name == "inflight" || p.Name == "inherits" || p.Name == "minimatch" || p.Name == "brace-expansion" ||
			p.Name == "balanced-match" || p.Name == "concat-map" || p.Name == "fs.realpath" || p.Name == "path-is-absolute"
		if p.Dev != dev {
			t.Errorf("%s: Dev = %v", p.Path, p.Dev)
		}
	}
	sel, err = lf.Select(Options{Platform: Platform{OS: "darwin", CPU: "arm64"}, NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	got := pathsOf(sel)
	if !strings.Contains(got, "node_modules/fsevents") || strings.Contains(got, "rimraf") || strings.Contains(got, "glob") {
		t.Errorf("darwin --production installs:\n%s", got)
	}
	sel, err = lf.Select(Options{Platform: Platform{OS: "darwin", CPU: "arm64"}, NoOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(pathsOf(sel), "fsevents") {
		t.Error("--omit=optional installs fsevents")
	}
}

// TestSelectLayout checks the test-registry fixture: an alias, libc and
// negated os filtering, an optional peer that is not installed.
func TestSelectLayout(t *testing.T) {
	lf := readFixture(t, "layout")
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if p := find(t, sel, "node_modules/my-uuid"); p.Name != "uuid" || p.Version != "8.3.2" || p.Bin["uuid"] != "dist/bin/uuid" {
		t.Errorf("alias = %+v", p)
	}
	find(t, sel, "node_modules/is-odd/node_modules/is-number")
	find(t, sel, "node_modules/@airlock-fixture/native-not-win32")
	find(t, sel, "node_modules/@airlock-fixture/native-linux-x64-gnu")
	var skipped []string
	for _, s := range sel.Skipped {
		skipped = append(skipped, s.Package.Name)
	}
	if strings.Join(skipped, " ") != "@airlock-fixture/native-darwin-arm64 @airlock-fixture/native-linux-musl @airlock-fixture/native-win32" {
		t.Errorf("skipped = %v", skipped)
	}
	if strings.Contains(pathsOf(sel), "peer-optional") {
		t.Error("an optional peer nobody installed was selected")
	}
	// Unknown libc (bun on a system it cannot tell) installs both.
	sel, err = lf.Select(Options{Platform: Platform{OS: "linux", CPU: "x64"}})
	if err != nil {
		t.Fatal(err)
	}
	find(t, sel, "node_modules/@airlock-fixture/native-linux-musl")
}

// TestSelectWorkspace: workspace links, keys below a workspace's name,
// workspace devDependencies, and --production.
func TestSelectWorkspace(t *testing.T) {
	lf := readFixture(t, "workspace")
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if p := find(t, sel, "node_modules/@ws/app"); p.Source != lock.SourceLink || p.Resolved != "packages/app" {
		t.Errorf("workspace link = %+v", p)
	}
	if p := find(t, sel, "packages/tool"); p.Source != lock.SourceWorkspace || p.Bin["ws-tool"] != "bin/tool.js" {
		t.Errorf("workspace = %+v", p)
	}
	if p := find(t, sel, "packages/app/node_modules/ms"); p.Version != "2.0.0" {
		t.Errorf("app's ms = %+v", p)
	}
	if p := find(t, sel, "packages/tool/node_modules/is-number"); p.Version != "6.0.0" || !p.Dev {
		t.Errorf("tool's dev is-number = %+v", p)
	}
	sel, err = lf.Select(Options{Platform: linux, NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	got := pathsOf(sel)
	if strings.Contains(got, "rimraf") || strings.Contains(got, "packages/tool/node_modules") || !strings.Contains(got, "packages/app/node_modules/ms") {
		t.Errorf("--production installs:\n%s", got)
	}
}

// TestKeepsTreeUnderProduction: bun leaves a copy nested because of a
// devDependency where it is (checked with bun 1.4.5: debug/ms stays in
// node_modules/debug/node_modules under --production).
func TestKeepsTreeUnderProduction(t *testing.T) {
	lf, err := Parse([]byte(`{
  "lockfileVersion": 1,
  "workspaces": { "": { "name": "prod", "dependencies": { "debug": "2.6.9" }, "devDependencies": { "ms": "2.1.3" } } },
  "packages": {
    "debug": ["debug@2.6.9", "", { "dependencies": { "ms": "2.0.0" } }, "sha512-a"],
    "ms": ["ms@2.1.3", "", {}, "sha512-b"],
    "debug/ms": ["ms@2.0.0", "", {}, "sha512-c"],
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(Options{NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := pathsOf(sel); got != "node_modules/debug\nnode_modules/debug/node_modules/ms" {
		t.Errorf("installed:\n%s", got)
	}
}

func TestParseIsolated(t *testing.T) {
	lf := readFixture(t, "isolated")
	if lf.ConfigVersion != 1 || len(lf.Workspaces) != 3 || lf.Workspaces[1].Bin["a-cli"] != "cli.js" {
		t.Errorf("parsed %+v", lf.Workspaces)
	}
}

// TestParseForms: comments, trailing commas, a registry URL, version 0
// workspace entries, bundled packages.
func TestParseForms(t *testing.T) {
	lf, err := Parse([]byte(`// written by hand
{
  "lockfileVersion": 0, /* old */
  "workspaces": {
    "": { "name": "x", "dependencies": { "a": "^1", "w": "workspace:*" }, },
    "pkgs/w": { "name": "w", "version": "1.0.0" },
  },
  "packages": {
    "a": ["a@1.0.0", "https://npm.example.com/a/-/a-1.0.0.tgz", { "dependencies": { "b": "1" }, "bin": "cli.js" }, "sha512-x"],
    "a/b": ["b@1.0.0", "", { "bundled": true, "hasInstallScript": true, "dependencies": { "c": "1" }, "bin": { "b": "b.js" } }, "sha512-y"],
    "a/b/c": ["c@1.0.0", "", {}, "sha512-z"],
    "w": ["w@workspace:pkgs/w", {}],
  },
}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := find(t, sel, "node_modules/a"); p.Resolved != "https://npm.example.com/a/-/a-1.0.0.tgz" || p.Bin["a"] != "cli.js" {
		t.Errorf("a = %+v", p)
	}
	if p := find(t, sel, "node_modules/a/node_modules/b"); p.Source != lock.SourceBundled || !p.HasInstallScript || p.Bin != nil {
		t.Errorf("bundled b = %+v", p)
	}
	// What the lockfile resolves below a bundled package is not installed:
	// the archive brings what it brings.
	if strings.Contains(pathsOf(sel), "/c") {
		t.Errorf("installed below a bundled package:\n%s", pathsOf(sel))
	}
	if p := find(t, sel, "node_modules/w"); p.Source != lock.SourceLink || p.Resolved != "pkgs/w" {
		t.Errorf("w = %+v", p)
	}
}

func TestRefusals(t *testing.T) {
	head := `{"lockfileVersion": 1, "workspaces": {"": {"name": "x"}}, "packages": {`
	cases := []struct {
		name, lock string
		want       error
		msg        string
	}{
		{"binary", "#!/usr/bin/env bun\nbun-lockfile-format-v0\n\x03\x00", ErrBinaryLockfile, "--save-text-lockfile"},
		{"version", `{"lockfileVersion": 9, "workspaces": {"": {}}}`, ErrUnsupportedVersion, "0 to 3"},
		{"version string", `{"lockfileVersion": "1", "workspaces": {"": {}}}`, ErrSyntax, "lockfileVersion"},
		{"no root", `{"lockfileVersion": 1, "workspaces": {"a": {"name": "a"}}}`, ErrSyntax, "root"},
		{"unknown top", `{"lockfileVersion": 1, "workspaces": {"": {}}, "extra": 1}`, ErrSyntax, `"extra"`},
		{"unknown info", head + `"a": ["a@1.0.0", "", {"scripts": {}}, "sha512-x"]}}`, ErrSyntax, `"scripts"`},
		{"short entry", head + `"a": ["a@1.0.0", "", {}]}}`, ErrSyntax, "not 4"},
		{"git", head + `"a": ["a@git+https://github.com/x/a#abc", {}, "abc"]}}`, ErrUnsupportedSource, "a git"},
		{"github", head + `"a": ["a@github:x/a#abc", {}, "x-a-abc"]}}`, ErrUnsupportedSource, "a git"},
		{"tarball", head + `"a": ["a@https://x.example/a.tgz", {}]}}`, ErrUnsupportedSource, "tarball URL"},
		{"folder", head + `"a": ["a@file:../a", {}]}}`, ErrUnsupportedSource, "local folder"},
		{"link", head + `"a": ["a@link:a", {}]}}`, ErrUnsupportedSource, "local folder"},
		{"patched", `{"lockfileVersion": 1, "workspaces": {"": {}}, "patchedDependencies": {"a@1.0.0": "patches/a.patch"}}`, ErrUnsupportedSource, "patches"},
		{"bad version", head + `"a": ["a@latest", "", {}, "sha512-x"]}}`, ErrBadVersion, "semver"},
		{"bad name", head + `"a": ["../../etc@1.0.0", "", {}, "sha512-x"]}}`, ErrBadName, "cannot start with a period"},
		{"key escapes", head + `"../x": ["x@1.0.0", "", {}, "sha512-x"]}}`, ErrUnsafePath, "../x"},
		{"key dot", head + `"a/./b": ["b@1.0.0", "", {}, "sha512-x"]}}`, ErrUnsafePath, "a/./b"},
		{"bare scope key", head + `"@s": ["@s/a@1.0.0", "", {}, "sha512-x"]}}`, ErrUnsafePath, "bare scope"},
		{"workspace escapes", `{"lockfileVersion": 1, "workspaces": {"": {}, "../out": {"name": "o"}}}`, ErrUnsafePath, "inside the project"},
		{"workspace in node_modules", `{"lockfileVersion": 1, "workspaces": {"": {}, "node_modules/x": {"name": "x"}}}`, ErrUnsafePath, "node_modules"},
		{"unknown workspace", head + `"w": ["w@workspace:pkgs/w"]}}`, ErrMissingEntry, "pkgs/w"},
		{"registry not URL", head + `"a": ["a@1.0.0", "file:/etc", {}, "sha512-x"]}}`, ErrSyntax, "tarball URL"},
		{"duplicate key", head + `"a": ["a@1.0.0", "", {}, "sha512-x"], "a": ["a@1.0.0", "", {}, "sha512-x"]}}`, ErrJSONC, "duplicate key"},
		{"single quotes", `{'lockfileVersion': 1}`, ErrJSONC, "quoted key"},
		{"truncated", head, ErrJSONC, "unterminated"},
		{"bad utf8", "{\"a\xff\": 1}", ErrJSONC, "UTF-8"},
		{"control char", "{\"a\tb\": 1}", ErrJSONC, "control character"},
		{"open comment", `{"lockfileVersion": 1 /* `, ErrJSONC, "unterminated /*"},
		{"deep", strings.Repeat("[", 100), ErrJSONC, "deeper"},
		{"number", `{"lockfileVersion": 01}`, ErrJSONC, "invalid number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.lock))
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want %v mentioning %q", err, c.want, c.msg)
			}
		})
	}
}

func TestSelectRefusals(t *testing.T) {
	cases := []struct {
		name, lock string
		want       error
		msg        string
	}{
		{"missing dependency", `{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1"}}}, "packages": {}}`, ErrMissingEntry, `dependencies "a"`},
		{"missing transitive", `{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1"}}}, "packages": {"a": ["a@1.0.0", "", {"dependencies": {"b": "1"}}, "sha512-x"]}}`, ErrMissingEntry, `dependencies "b" resolves to no package`},
		{"workspace without entry", `{"lockfileVersion": 1, "workspaces": {"": {}, "p/w": {"name": "w"}}, "packages": {}}`, ErrMissingEntry, "p/w"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lf, err := Parse([]byte(c.lock))
			if err != nil {
				t.Fatal(err)
			}
			_, err = lf.Select(Options{})
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("err = %v, want %v mentioning %q", err, c.want, c.msg)
			}
		})
	}
	// Optional dependencies and peers bun did not install are no error.
	lf, err := Parse([]byte(`{"lockfileVersion": 1, "workspaces": {"": {"optionalDependencies": {"o": "1"}, "peerDependencies": {"p": "1"}}}, "packages": {}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lf.Select(Options{}); err != nil {
		t.Errorf("unresolved optional/peer: %v", err)
	}
}

// TestBinDirs: directories.bin is passed on for install/bun to list.
func TestBinDirs(t *testing.T) {
	lf, err := Parse([]byte(`{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1", "w": "workspace:*"}}, "p/w": {"name": "w", "binDir": "tools"}},
  "packages": {"a": ["a@1.0.0", "", {"binDir": "./bin"}, "sha512-x"], "w": ["w@workspace:p/w"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sel.BinDirs["node_modules/a"] != "./bin" || sel.BinDirs["p/w"] != "tools" || len(sel.BinDirs) != 2 {
		t.Errorf("BinDirs = %v", sel.BinDirs)
	}
}

// TestNativeBinLinks: bun links esbuild's bin to its platform package's
// binary (checked with bun 1.4.5: node_modules/.bin/esbuild ->
// ../@esbuild/linux-x64/bin/esbuild), only in the root node_modules, not on
// Windows, and not when the first matching platform package is not
// installed.
func TestNativeBinLinks(t *testing.T) {
	text := `{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"esbuild": "1", "tool": "1"}}},
  "packages": {
    "esbuild": ["esbuild@0.24.2", "", {"optionalDependencies": {"@esbuild/linux-x64": "0.24.2", "@esbuild/darwin-arm64": "0.24.2", "@esbuild/linux-x64-musl": "0.24.2"}, "bin": {"esbuild": "bin/esbuild"}}, "sha512-e"],
    "@esbuild/linux-x64": ["@esbuild/linux-x64@0.24.2", "", {"os": "linux", "cpu": "x64"}, "sha512-l"],
    "@esbuild/darwin-arm64": ["@esbuild/darwin-arm64@0.24.2", "", {"os": "darwin", "cpu": "arm64"}, "sha512-d"],
    "tool": ["tool@1.0.0", "", {"dependencies": {"esbuild": "0.1.0"}}, "sha512-t"],
    "tool/esbuild": ["esbuild@0.1.0", "", {"optionalDependencies": {"@esbuild/linux-x64": "0.24.2"}, "bin": {"esbuild": "bin/esbuild"}}, "sha512-n"],
  }}`
	lf, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	bins := func(o Options) map[string]map[string]string {
		sel, err := lf.Select(o)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]map[string]string{}
		for _, p := range sel.Install {
			if len(p.Bin) > 0 {
				m[p.Path] = p.Bin
			}
		}
		return m
	}
	got := bins(Options{Platform: Platform{OS: "linux", CPU: "x64"}})
	if got["node_modules/@esbuild/linux-x64"]["esbuild"] != "bin/esbuild" || got["node_modules/esbuild"] != nil || got["node_modules/tool/node_modules/esbuild"]["esbuild"] != "bin/esbuild" {
		t.Errorf("linux: %v", got)
	}
	if got := bins(Options{Platform: Platform{OS: "win32", CPU: "x64"}}); got["node_modules/esbuild"]["esbuild"] != "bin/esbuild" {
		t.Errorf("win32: %v", got)
	}
	if got := bins(Options{Platform: Platform{OS: "linux", CPU: "x64"}, NativeBinLinks: []string{}}); got["node_modules/esbuild"]["esbuild"] != "bin/esbuild" {
		t.Errorf("disabled: %v", got)
	}
	// No platform package for this platform: esbuild's own bin.
	if got := bins(Options{Platform: Platform{OS: "freebsd", CPU: "x64"}}); got["node_modules/esbuild"]["esbuild"] != "bin/esbuild" {
		t.Errorf("freebsd: %v", got)
	}
}

func TestSplitNameRes(t *testing.T) {
	for in, want := range map[string][2]string{
		"a@1.0.0":                      {"a", "1.0.0"},
		"@s/a@1.0.0":                   {"@s/a", "1.0.0"},
		"@s/a@workspace:packages/a":    {"@s/a", "workspace:packages/a"},
		"a@https://r.example/@s/a.tgz": {"a", "https://r.example/@s/a.tgz"},
	} {
		n, r, ok := splitNameRes(in)
		if !ok || n != want[0] || r != want[1] {
			t.Errorf("splitNameRes(%q) = %q, %q, %v", in, n, r, ok)
		}
	}
	for _, bad := range []string{"a", "@s", "@s/a", "@1.0.0"} {
		if _, _, ok := splitNameRes(bad); ok {
			t.Errorf("splitNameRes(%q) ok", bad)
		}
	}
}

// FuzzParse: no input makes Parse or Select panic, and what Parse accepts
// Select either refuses or places only inside the project.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"basic", "layout", "workspace", "isolated"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bun", name, "bun.lock"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1"}}}, "packages": {"a": ["a@1.0.0", "", {}, "sha512-x"], "a/b": ["b@1.0.0", "", {"bundled": true}, "x"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse(data)
		if err != nil {
			return
		}
		sel, err := lf.Select(Options{Platform: linux})
		if err != nil {
			return
		}
		for _, p := range sel.Install {
			if p.Path == "" || strings.HasPrefix(p.Path, "/") || strings.Contains("/"+p.Path+"/", "/../") || strings.Contains("/"+p.Path+"/", "/./") {
				t.Fatalf("unsafe path %q", p.Path)
			}
		}
	})
}

// TestPackages lists every registry entry at its tree path, skipped ones
// included.
func TestPackages(t *testing.T) {
	pkgs := readFixture(t, "workspace").Packages()
	var paths []string
	for _, p := range pkgs {
		paths = append(paths, p.Path)
	}
	got := strings.Join(paths, "\n")
	for _, want := range []string{"node_modules/ms", "packages/app/node_modules/ms", "packages/tool/node_modules/is-number", "node_modules/is-odd/node_modules/is-number"} {
		if !strings.Contains(got, want+"\n") && !strings.HasSuffix(got, want) {
			t.Errorf("%s missing from:\n%s", want, got)
		}
	}
	if len(pkgs) != 21 {
		t.Errorf("%d packages, want the lockfile's 21", len(pkgs))
	}
	if all := readFixture(t, "layout").Packages(); len(all) != 37 {
		t.Errorf("layout: %d packages, want all 37 (skipped platforms included)", len(all))
	}
}
