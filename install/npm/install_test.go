package npm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
)

// fakeRegistry is a fake Extract: package files by location.
type fakeRegistry map[string]map[string]string

func (f fakeRegistry) extract(ctx context.Context, pkg lock.Package, dir string) error {
	files, ok := f[pkg.Path]
	if !ok {
		return fmt.Errorf("no archive for %s", pkg.Path)
	}
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(c), 0o666); err != nil {
			return err
		}
	}
	return nil
}

// fixture is a small lockfile: raw entries plus the selected packages.
type fixture struct {
	raw  map[string]string
	pkgs []lock.Package
}

func (fx fixture) rawEntries() map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range fx.raw {
		out[k] = json.RawMessage(v)
	}
	return out
}

func reg(path, name string) lock.Package {
	return lock.Package{Ecosystem: lock.NPM, Path: path, Name: name, Version: "1.0.0", Source: lock.SourceRegistry}
}

// dump describes every entry under dir: "d" for directories, "l -> x" for
// symlinks, "f <mode> <content>" for files.
func dump(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case rel == ".":
		case fi.Mode()&os.ModeSymlink != 0:
			tgt, _ := os.Readlink(p)
			out[rel] = "l -> " + tgt
		case fi.IsDir():
			out[rel] = "d"
		default:
			b, _ := os.ReadFile(p)
			out[rel] = fmt.Sprintf("f %o %s", fi.Mode().Perm(), b)
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func withUmask(t *testing.T, m int) {
	old := syscall.Umask(m)
	t.Cleanup(func() { syscall.Umask(old) })
}

// workspaceFixture: root deps a-cli (bin map), @s/tool (string bin),
// nested dep with its own bin, a workspace linked into node_modules with a
// CRLF bin, and a workspace dependency under packages/w/node_modules.
func workspaceFixture() (fixture, fakeRegistry) {
	fx := fixture{
		raw: map[string]string{
			"": `{"name":"proj","version":"1.0.0","workspaces":["packages/*"],
			      "dependencies":{"a-cli":"^1","@s/tool":"^1"},"devDependencies":{"devonly":"1.0.0"}}`,
			"node_modules/a-cli": `{"version":"1.0.0","integrity":"sha512-a","license":"MIT",
			      "dependencies":{"dep":"^2"},"bin":{"acli":"bin/cli.js","dir/sub":"../../escape.js"}}`,
			"node_modules/a-cli/node_modules/dep": `{"version":"2.0.0","integrity":"sha512-d2","bin":{"dep":"dep.js"}}`,
			"node_modules/@s/tool":                `{"version":"1.0.0","integrity":"sha512-t","license":{"type":"ISC"},"bin":"./t.js","engines":{},"funding":{"url":"https://x"}}`,
			"node_modules/devonly":                `{"version":"1.0.0","integrity":"sha512-v"}`,
			"node_modules/w":                      `{"resolved":"packages/w","link":true}`,
			"packages/w":                          `{"version":"0.1.0","bin":{"wcli":"cli.js"},"dependencies":{"dep":"^1"},"devDependencies":{}}`,
			"packages/w/node_modules/dep":         `{"version":"1.0.0","integrity":"sha512-d1","bin":{"dep":"dep.js"}}`,
		},
		pkgs: []lock.Package{
			reg("node_modules/a-cli", "a-cli"),
			reg("node_modules/a-cli/node_modules/dep", "dep"),
			reg("node_modules/@s/tool", "@s/tool"),
			reg("node_modules/devonly", "devonly"),
			{Ecosystem: lock.NPM, Path: "node_modules/w", Name: "w", Source: lock.SourceLink, Resolved: "packages/w"},
			{Ecosystem: lock.NPM, Path: "packages/w", Name: "w", Version: "0.1.0", Source: lock.SourceWorkspace},
			reg("packages/w/node_modules/dep", "dep"),
		},
	}
	files := fakeRegistry{
		"node_modules/a-cli":                  {"package.json": `{}`, "bin/cli.js": "#!/usr/bin/env node\n", "escape.js": "x"},
		"node_modules/a-cli/node_modules/dep": {"package.json": `{}`, "dep.js": "#!/bin/sh\r\necho 2\r\n"},
		"node_modules/@s/tool":                {"package.json": `{}`, "t.js": "tool"},
		"node_modules/devonly":                {"package.json": `{}`},
		"packages/w/node_modules/dep":         {"package.json": `{}`, "dep.js": "dep1"},
	}
	return fx, files
}

func newProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestInstallLayout(t *testing.T) {
	withUmask(t, 0o022)
	fx, files := workspaceFixture()
	project := newProject(t, map[string]string{
		"package.json":             "{}",
		"packages/w/package.json":  "{}",
		"packages/w/cli.js":        "#!/usr/bin/env node\r\nconsole.log(1)\r\n",
		"node_modules/.cache/junk": "user file npm ci removes",
	})
	res, err := Install(context.Background(), Options{
		ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(),
		RootName: "proj", RootVersion: "1.0.0", LockfileVersion: 3,
		Extract: files.extract, Concurrency: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := dump(t, filepath.Join(project, "node_modules"))
	delete(got, ".package-lock.json")
	want := map[string]string{
		"a-cli":                               "d",
		"a-cli/package.json":                  "f 644 {}",
		"a-cli/bin":                           "d",
		"a-cli/bin/cli.js":                    "f 755 #!/usr/bin/env node\n",
		"a-cli/escape.js":                     "f 755 x", // "../../escape.js" is clamped into the package
		"a-cli/node_modules":                  "d",
		"a-cli/node_modules/.bin":             "d",
		"a-cli/node_modules/.bin/dep":         "l -> ../dep/dep.js",
		"a-cli/node_modules/dep":              "d",
		"a-cli/node_modules/dep/package.json": "f 644 {}",
		"a-cli/node_modules/dep/dep.js":       "f 755 #!/bin/sh\necho 2\r\n",
		"@s":                                  "d",
		"@s/tool":                             "d",
		"@s/tool/package.json":                "f 644 {}",
		"@s/tool/t.js":                        "f 755 tool",
		"devonly":                             "d",
		"devonly/package.json":                "f 644 {}",
		"w":                                   "l -> ../packages/w",
		".bin":                                "d",
		".bin/acli":                           "l -> ../a-cli/bin/cli.js",
		".bin/sub":                            "l -> ../a-cli/escape.js",
		".bin/tool":                           "l -> ../@s/tool/t.js",
		".bin/wcli":                           "l -> ../w/cli.js",
	}
	compareDumps(t, got, want)

	wsGot := dump(t, filepath.Join(project, "packages", "w"))
	compareDumps(t, wsGot, map[string]string{
		"package.json":                  "f 644 {}",
		"cli.js":                        "f 755 #!/usr/bin/env node\nconsole.log(1)\r\n",
		"node_modules":                  "d",
		"node_modules/.bin":             "d",
		"node_modules/.bin/dep":         "l -> ../dep/dep.js",
		"node_modules/dep":              "d",
		"node_modules/dep/package.json": "f 644 {}",
		"node_modules/dep/dep.js":       "f 755 dep1",
	})
	if res.Packages != 5 || res.Links != 1 || res.Bins != 6 || res.Workspaces != 1 {
		t.Errorf("result = %+v", res)
	}
	if fi, err := os.Stat(filepath.Join(project, "node_modules")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("node_modules mode: %v %v", fi, err)
	}
	// fix-bin rewrote packages/w/cli.js after the swap; the hidden
	// lockfile must still be stamped after that.
	hl, _ := os.Stat(filepath.Join(project, "node_modules", ".package-lock.json"))
	if ws, err := os.Stat(filepath.Join(project, "packages", "w")); err != nil || ws.ModTime().After(hl.ModTime()) {
		t.Errorf("packages/w (%v) is newer than the hidden lockfile (%v)", ws.ModTime(), hl.ModTime())
	}
}

func compareDumps(t *testing.T, got, want map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			t.Errorf("%s:\n got  %q\n want %q", k, got[k], want[k])
		}
	}
}

func TestHiddenLockfileContent(t *testing.T) {
	withUmask(t, 0o022)
	fx, files := workspaceFixture()
	project := newProject(t, map[string]string{"packages/w/cli.js": "x"})
	_, err := Install(context.Background(), Options{
		ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(),
		RootName: "proj", RootVersion: "1.0.0", Extract: files.extract,
		Indent: "\t", Newline: "\r\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(project, "node_modules", ".package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Written by hand following npm's rules: sorted by json-stringify-nice
	// (primitives first, swKeyOrder first — so "dependencies" leads the
	// objects — then localeCompare: "@s/tool"
	// before "a-cli"), flags recomputed (devonly is dev), license object
	// reduced to its type, empty engines and devDependencies dropped… except
	// a top's devDependencies, which npm keeps even when empty.
	want := strings.ReplaceAll(`{
	"name": "proj",
	"version": "1.0.0",
	"lockfileVersion": 3,
	"requires": true,
	"packages": {
		"node_modules/@s/tool": {
			"version": "1.0.0",
			"integrity": "sha512-t",
			"bin": "./t.js",
			"license": "ISC",
			"funding": {
				"url": "https://x"
			}
		},
		"node_modules/a-cli": {
			"version": "1.0.0",
			"integrity": "sha512-a",
			"license": "MIT",
			"dependencies": {
				"dep": "^2"
			},
			"bin": {
				"acli": "bin/cli.js",
				"dir/sub": "../../escape.js"
			}
		},
		"node_modules/a-cli/node_modules/dep": {
			"version": "2.0.0",
			"integrity": "sha512-d2",
			"bin": {
				"dep": "dep.js"
			}
		},
		"node_modules/devonly": {
			"version": "1.0.0",
			"integrity": "sha512-v",
			"dev": true
		},
		"node_modules/w": {
			"resolved": "packages/w",
			"link": true
		},
		"packages/w": {
			"version": "0.1.0",
			"dependencies": {
				"dep": "^1"
			},
			"bin": {
				"wcli": "cli.js"
			},
			"devDependencies": {}
		},
		"packages/w/node_modules/dep": {
			"version": "1.0.0",
			"integrity": "sha512-d1",
			"bin": {
				"dep": "dep.js"
			}
		}
	}
}
`, "\n", "\r\n")
	if string(got) != want {
		t.Errorf("hidden lockfile:\n%s\nwant:\n%s", got, want)
	}
	// npm trusts it only if it is at least as new as every directory.
	hl, _ := os.Stat(filepath.Join(project, "node_modules", ".package-lock.json"))
	for _, d := range []string{"node_modules", "node_modules/a-cli", "node_modules/@s", "packages/w", "packages/w/node_modules", "node_modules/a-cli/node_modules"} {
		fi, err := os.Stat(filepath.Join(project, d))
		if err != nil {
			t.Fatal(err)
		}
		if fi.ModTime().After(hl.ModTime()) {
			t.Errorf("%s (%v) is newer than the hidden lockfile (%v)", d, fi.ModTime(), hl.ModTime())
		}
	}
}

func TestBinConflicts(t *testing.T) {
	withUmask(t, 0o027)
	// ICU order puts "_" before "-", so x_y owns "tool" although "-" <
	// "_" in ASCII; a missing target still claims its name; a workspace
	// link is linked after every package, so it loses too.
	fx := fixture{
		raw: map[string]string{
			"":                   `{"workspaces":["ws"],"dependencies":{"x-y":"1","x_y":"1","ghost":"1","zz":"1"}}`,
			"node_modules/x-y":   `{"version":"1.0.0","bin":{"tool":"dash.js"}}`,
			"node_modules/x_y":   `{"version":"1.0.0","bin":{"tool":"under.js"}}`,
			"node_modules/ghost": `{"version":"1.0.0","bin":{"spooky":"missing.js"}}`,
			"node_modules/zz":    `{"version":"1.0.0","bin":{"spooky":"real.js"}}`,
			"node_modules/aaa":   `{"resolved":"ws","link":true}`,
			"ws":                 `{"name":"aaa","version":"1.0.0","bin":{"tool":"ws.js"}}`,
		},
		pkgs: []lock.Package{
			reg("node_modules/x-y", "x-y"), reg("node_modules/x_y", "x_y"),
			reg("node_modules/ghost", "ghost"), reg("node_modules/zz", "zz"),
			{Path: "node_modules/aaa", Name: "aaa", Source: lock.SourceLink, Resolved: "ws"},
			{Path: "ws", Name: "aaa", Source: lock.SourceWorkspace},
		},
	}
	files := fakeRegistry{
		"node_modules/x-y":   {"dash.js": "d"},
		"node_modules/x_y":   {"under.js": "u"},
		"node_modules/ghost": {"package.json": "{}"},
		"node_modules/zz":    {"real.js": "r"},
	}
	project := newProject(t, map[string]string{"ws/ws.js": "w"})
	res, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: files.extract})
	if err != nil {
		t.Fatal(err)
	}
	got := dump(t, filepath.Join(project, "node_modules", ".bin"))
	compareDumps(t, got, map[string]string{"tool": "l -> ../x_y/under.js"})
	wantConflicts := []BinConflict{
		{Bin: "node_modules/.bin/tool", Owner: "node_modules/x_y", Loser: "node_modules/x-y"},
		{Bin: "node_modules/.bin/spooky", Owner: "node_modules/ghost", Loser: "node_modules/zz"},
		{Bin: "node_modules/.bin/tool", Owner: "node_modules/x_y", Loser: "node_modules/aaa", LoserIsLinked: true},
	}
	sortConflicts := func(c []BinConflict) {
		sort.Slice(c, func(i, j int) bool { return c[i].Loser < c[j].Loser })
	}
	sortConflicts(res.BinConflicts)
	sortConflicts(wantConflicts)
	if fmt.Sprint(res.BinConflicts) != fmt.Sprint(wantConflicts) {
		t.Errorf("conflicts = %+v\nwant %+v", res.BinConflicts, wantConflicts)
	}
	if len(res.MissingBins) != 1 || res.MissingBins[0] != "node_modules/ghost/missing.js" {
		t.Errorf("missing = %v", res.MissingBins)
	}
	// Losers' files are not touched by fix-bin; the winner gets 0o777&^umask.
	for p, mode := range map[string]os.FileMode{"x_y/under.js": 0o750, "x-y/dash.js": 0o640, "zz/real.js": 0o640} {
		fi, err := os.Stat(filepath.Join(project, "node_modules", p))
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %v (%v), want %o", p, fi.Mode().Perm(), err, mode)
		}
	}
}

// failAfter fails the extraction of one package after others succeeded.
func TestFailureLeavesOldTrees(t *testing.T) {
	fx, files := workspaceFixture()
	old := map[string]string{
		"node_modules/old/index.js":            "old",
		"packages/w/node_modules/old/index.js": "old ws",
		"packages/w/cli.js":                    "x",
	}
	cases := map[string]func(ctx context.Context, cancel context.CancelFunc) func(context.Context, lock.Package, string) error{
		"extract error": func(ctx context.Context, cancel context.CancelFunc) func(context.Context, lock.Package, string) error {
			return func(ctx context.Context, p lock.Package, dir string) error {
				if p.Path == "packages/w/node_modules/dep" {
					return errors.New("integrity mismatch")
				}
				return files.extract(ctx, p, dir)
			}
		},
		"context cancelled": func(ctx context.Context, cancel context.CancelFunc) func(context.Context, lock.Package, string) error {
			var n atomic.Int32
			return func(ctx context.Context, p lock.Package, dir string) error {
				if n.Add(1) == 2 {
					cancel() // Ctrl-C half way through the downloads
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				return files.extract(ctx, p, dir)
			}
		},
		"bundled dependency missing": func(ctx context.Context, cancel context.CancelFunc) func(context.Context, lock.Package, string) error {
			return files.extract
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			project := newProject(t, old)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pkgs := fx.pkgs
			if name == "bundled dependency missing" {
				pkgs = append(append([]lock.Package{}, pkgs...), lock.Package{Path: "node_modules/a-cli/node_modules/inner", Name: "inner", Source: lock.SourceBundled})
			}
			raw := fx.rawEntries()
			raw["node_modules/a-cli/node_modules/inner"] = json.RawMessage(`{"version":"1.0.0","inBundle":true}`)
			_, err := Install(ctx, Options{ProjectDir: project, Packages: pkgs, RawEntries: raw, Extract: mk(ctx, cancel), Concurrency: 1})
			if err == nil {
				t.Fatal("Install succeeded")
			}
			if name == "bundled dependency missing" && !errors.Is(err, ErrBundledMissing) {
				t.Errorf("err = %v, want ErrBundledMissing", err)
			}
			got := dump(t, project)
			for k := range got {
				if strings.HasPrefix(k, ".airlock") {
					delete(got, k)
				}
			}
			compareDumps(t, got, map[string]string{
				"node_modules": "d", "node_modules/old": "d", "node_modules/old/index.js": "f 644 old",
				"packages": "d", "packages/w": "d", "packages/w/cli.js": "f 644 x",
				"packages/w/node_modules": "d", "packages/w/node_modules/old": "d",
				"packages/w/node_modules/old/index.js": "f 644 old ws",
			})
			m, _ := filepath.Glob(filepath.Join(project, ".airlock", "staging-*"))
			if len(m) != 0 {
				t.Errorf("staging left behind: %v", m)
			}
		})
	}
}

func TestChildArchiveReplacesParentCopy(t *testing.T) {
	// The parent's archive ships node_modules/child (not bundled); the
	// child's own archive must win, without leftovers.
	fx := fixture{
		raw: map[string]string{
			"":                                       `{"dependencies":{"parent":"1"}}`,
			"node_modules/parent":                    `{"version":"1.0.0","dependencies":{"child":"1"}}`,
			"node_modules/parent/node_modules/child": `{"version":"1.0.0"}`,
		},
		pkgs: []lock.Package{reg("node_modules/parent", "parent"), reg("node_modules/parent/node_modules/child", "child")},
	}
	files := fakeRegistry{
		"node_modules/parent":                    {"index.js": "p", "node_modules/child/stale.js": "from parent", "node_modules/other/x": "kept"},
		"node_modules/parent/node_modules/child": {"index.js": "c"},
	}
	withUmask(t, 0o022)
	project := newProject(t, nil)
	if _, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: files.extract}); err != nil {
		t.Fatal(err)
	}
	got := dump(t, filepath.Join(project, "node_modules", "parent"))
	compareDumps(t, got, map[string]string{
		"index.js": "f 644 p", "node_modules": "d",
		"node_modules/child": "d", "node_modules/child/index.js": "f 644 c",
		"node_modules/other": "d", "node_modules/other/x": "f 644 kept",
	})
}

func TestBadInputs(t *testing.T) {
	files := fakeRegistry{}
	cases := map[string][]lock.Package{
		"dot-dot":             {reg("node_modules/../etc", "x")},
		"absolute":            {reg("/node_modules/x", "x")},
		"not in node_modules": {reg("lib/x", "x")},
		"hidden name":         {reg("node_modules/.bin", "x")},
		"airlock dir":         {reg(".airlock/node_modules/x", "x")},
		"duplicate":           {reg("node_modules/x", "x"), reg("node_modules/x", "x")},
		"under a link": {
			{Path: "node_modules/l", Source: lock.SourceLink, Resolved: "ws"},
			reg("node_modules/l/node_modules/x", "x"),
		},
		"workspace in node_modules": {{Path: "node_modules/w", Source: lock.SourceWorkspace}},
		"link without target":       {{Path: "node_modules/l", Source: lock.SourceLink}},
		"missing workspace":         {{Path: "packages/gone", Source: lock.SourceWorkspace}},
		// lock/npm refuses these already; Install refuses them again.
		"workspace outside":    {{Path: "../x", Source: lock.SourceWorkspace}},
		"absolute workspace":   {{Path: "/tmp/x", Source: lock.SourceWorkspace}},
		"link outside":         {{Path: "node_modules/l", Source: lock.SourceLink, Resolved: "../x"}},
		"link to the parent":   {{Path: "node_modules/l", Source: lock.SourceLink, Resolved: ".."}},
		"absolute link":        {{Path: "node_modules/l", Source: lock.SourceLink, Resolved: "/tmp/x"}},
		"link through dot-dot": {{Path: "node_modules/l", Source: lock.SourceLink, Resolved: "ws/../../x"}},
		"link to the project":  {{Path: "node_modules/l", Source: lock.SourceLink, Resolved: "."}},
	}
	for name, pkgs := range cases {
		t.Run(name, func(t *testing.T) {
			project := newProject(t, map[string]string{"node_modules/keep": "k"})
			if _, err := Install(context.Background(), Options{ProjectDir: project, Packages: pkgs, Extract: files.extract}); err == nil {
				t.Fatal("Install succeeded")
			}
			if b, err := os.ReadFile(filepath.Join(project, "node_modules", "keep")); err != nil || string(b) != "k" {
				t.Errorf("existing tree changed: %v", err)
			}
		})
	}
}

func TestNoDependencies(t *testing.T) {
	// npm ci on a project without dependencies: an existing node_modules is
	// emptied and gets a hidden lockfile with no packages; a missing one is
	// not created (both checked against npm 11.19).
	withUmask(t, 0o022)
	raw := map[string]json.RawMessage{"": json.RawMessage(`{"name":"z","version":"1.0.0"}`)}
	opts := func(dir string) Options {
		return Options{ProjectDir: dir, RawEntries: raw, RootName: "z", RootVersion: "1.0.0", Extract: fakeRegistry{}.extract}
	}
	fresh := newProject(t, map[string]string{"package.json": "{}"})
	if _, err := Install(context.Background(), opts(fresh)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(fresh, "node_modules")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("node_modules created: %v", err)
	}
	existing := newProject(t, map[string]string{"node_modules/junk/x": "x"})
	if _, err := Install(context.Background(), opts(existing)); err != nil {
		t.Fatal(err)
	}
	got := dump(t, filepath.Join(existing, "node_modules"))
	compareDumps(t, got, map[string]string{
		".package-lock.json": "f 644 {\n  \"name\": \"z\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {}\n}\n",
	})
}

// A repository can commit a symlink where the lockfile has a workspace (or
// a file: directory). Its node_modules would be replaced, and packages put,
// wherever the symlink points; Install must refuse before touching
// anything.
func TestSymlinkedWorkspaceRefused(t *testing.T) {
	for name, to := range map[string]string{"outside": "", "parent": ".."} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			project := filepath.Join(parent, "proj")
			if err := os.Mkdir(project, 0o777); err != nil {
				t.Fatal(err)
			}
			victim := parent
			if to == "" {
				victim = t.TempDir()
				to = victim
			}
			if err := os.Symlink(to, filepath.Join(project, "ws")); err != nil {
				t.Fatal(err)
			}
			keep := map[string]string{"node_modules/keep/x": "not ours"}
			for p, c := range keep {
				full := filepath.Join(victim, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fx := fixture{
				raw: map[string]string{
					"":                     `{"name":"proj","dependencies":{"ws":"file:ws"}}`,
					"ws":                   `{"name":"ws","version":"1.0.0","dependencies":{"evil":"1"}}`,
					"ws/node_modules/evil": `{"version":"1.0.0"}`,
					"node_modules/ws":      `{"resolved":"ws","link":true}`,
				},
				pkgs: []lock.Package{
					{Path: "ws", Name: "ws", Version: "1.0.0", Source: lock.SourceWorkspace},
					{Path: "node_modules/ws", Name: "ws", Source: lock.SourceLink, Resolved: "ws"},
					reg("ws/node_modules/evil", "evil"),
				},
			}
			files := fakeRegistry{"ws/node_modules/evil": {"index.js": "attacker's"}}
			_, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: files.extract})
			if err == nil {
				t.Fatal("Install succeeded through a symlinked workspace")
			}
			if !errors.Is(err, install.ErrSymlinkInPath) || !strings.Contains(err.Error(), "workspace ws is a symlink") {
				t.Errorf("err = %v, want install.ErrSymlinkInPath naming ws", err)
			}
			got := dump(t, filepath.Join(victim, "node_modules"))
			compareDumps(t, got, map[string]string{"keep": "d", "keep/x": "f 644 not ours"})
			if _, err := os.Lstat(filepath.Join(project, "node_modules")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("project node_modules created: %v", err)
			}
		})
	}
}

// After the swap the install has happened: a problem then is a warning in
// the Result, not an error that would make the CLI report failure.
func TestPostSwapProblemsAreWarnings(t *testing.T) {
	fx, files := workspaceFixture()
	project := newProject(t, map[string]string{"packages/w/cli.js": "x"})
	orig := chtimesIn
	chtimesIn = func(string, string, time.Time) error { return syscall.EIO }
	defer func() { chtimesIn = orig }()
	res, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: files.extract})
	if err != nil {
		t.Fatalf("Install = %v, want success with a warning", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "node_modules/.package-lock.json") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	if _, err := os.Stat(filepath.Join(project, "node_modules", "a-cli", "package.json")); err != nil {
		t.Errorf("not installed: %v", err)
	}
}

// npm's fix-bin changes a workspace's own files (mode, CRLF hashbang). A
// failure before or during the swap must leave them as they were, so it
// runs only after the swap.
func TestFailureLeavesWorkspaceBinsUntouched(t *testing.T) {
	fx, files := workspaceFixture()
	fx.pkgs = append(fx.pkgs, lock.Package{Path: "packages/x", Name: "x", Version: "1.0.0", Source: lock.SourceWorkspace})
	fx.raw["packages/x"] = `{"version":"1.0.0"}`
	const crlf = "#!/usr/bin/env node\r\nconsole.log(1)\r\n"
	project := newProject(t, map[string]string{
		"packages/w/cli.js":              crlf,
		"packages/x/node_modules/junk/x": "old",
	})
	var once sync.Once
	extract := func(ctx context.Context, p lock.Package, dir string) error {
		// Another tool removes a workspace meanwhile: its node_modules
		// cannot be swapped in, so Commit fails after bins were linked.
		once.Do(func() {
			if err := os.Rename(filepath.Join(project, "packages/x"), filepath.Join(project, "x-moved")); err != nil {
				t.Error(err)
			}
		})
		return files.extract(ctx, p, dir)
	}
	_, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: extract})
	if err == nil || !strings.Contains(err.Error(), "packages/x/node_modules") {
		t.Fatalf("Install = %v, want a failed swap of packages/x/node_modules", err)
	}
	got := dump(t, filepath.Join(project, "packages", "w"))
	compareDumps(t, got, map[string]string{"cli.js": "f 644 " + crlf})
}

// fix-bin runs through an os.Root of the project: a workspace bin that is a
// symlink to a file outside is linked (as npm does) but never changed; the
// install succeeds with a warning.
func TestWorkspaceBinOutsideNotFixed(t *testing.T) {
	withUmask(t, 0o022)
	fx, files := workspaceFixture()
	const crlf = "#!/bin/sh\r\necho outside\r\n"
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim.sh")
	if err := os.WriteFile(victim, []byte(crlf), 0o600); err != nil {
		t.Fatal(err)
	}
	project := newProject(t, map[string]string{"packages/w/package.json": "{}"})
	if err := os.Symlink(victim, filepath.Join(project, "packages", "w", "cli.js")); err != nil {
		t.Fatal(err)
	}
	res, err := Install(context.Background(), Options{ProjectDir: project, Packages: fx.pkgs, RawEntries: fx.rawEntries(), Extract: files.extract})
	if err != nil {
		t.Fatalf("Install = %v", err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "packages/w/cli.js") {
		t.Errorf("warnings = %q, want one about packages/w/cli.js", res.Warnings)
	}
	fi, err := os.Stat(victim)
	if b, _ := os.ReadFile(victim); err != nil || fi.Mode().Perm() != 0o600 || string(b) != crlf {
		t.Errorf("file outside the project changed: %v %v %q", fi.Mode(), err, b)
	}
	if l, err := os.Readlink(filepath.Join(project, "node_modules", ".bin", "wcli")); err != nil || l != "../w/cli.js" {
		t.Errorf(".bin/wcli = %q, %v", l, err)
	}
}

func TestOnLockWaitPassedOn(t *testing.T) {
	project := newProject(t, nil)
	held, err := install.Begin(context.Background(), project, install.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Abort()
	var holders []string
	_, err = Install(context.Background(), Options{
		ProjectDir: project, Extract: fakeRegistry{}.extract,
		LockWait: 200 * time.Millisecond, OnLockWait: func(h string) { holders = append(holders, h) },
	})
	if !errors.Is(err, install.ErrLocked) {
		t.Fatalf("Install = %v, want install.ErrLocked", err)
	}
	if len(holders) != 1 || holders[0] != fmt.Sprint(os.Getpid()) {
		t.Errorf("OnLockWait calls = %q", holders)
	}
}
