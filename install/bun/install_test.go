package bun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
)

// selection parses a bun.lock text and selects it for linux/x64.
func selection(t *testing.T, text string) *lockbun.Selection {
	t.Helper()
	lf, err := lockbun.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(lockbun.Options{Platform: lockbun.Platform{OS: "linux", CPU: "x64"}})
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

const twoPackages = `{
  "lockfileVersion": 1,
  "workspaces": { "": { "dependencies": { "a": "1.0.0", "b": "1.0.0" } } },
  "packages": {
    "a": ["a@1.0.0", "", { "bin": { "a": "cli.js" } }, "sha512-a"],
    "b": ["b@1.0.0", "", {}, "sha512-b"],
  }
}`

// fakeExtract writes a package.json, with a postinstall script for b, and
// a bin file.
func fakeExtract(_ context.Context, pkg lock.Package, dir string) error {
	scripts := ""
	if pkg.Name == "b" {
		scripts = `, "scripts": {"postinstall": "node setup.js"}`
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name": "`+pkg.Name+`", "version": "`+pkg.Version+`"`+scripts+`}`), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cli.js"), []byte("#!/usr/bin/env node\r\n"), 0o644)
}

func TestInstallScriptsAndBins(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Install(context.Background(), Options{ProjectDir: dir, Selection: selection(t, twoPackages), Extract: fakeExtract})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.InstallScripts, ",") != "b@1.0.0" || res.Packages != 2 || res.Bins != 1 {
		t.Errorf("result %+v, scripts %v", res.Result, res.InstallScripts)
	}
	if l, err := os.Readlink(filepath.Join(dir, "node_modules", ".bin", "a")); err != nil || l != "../a/cli.js" {
		t.Errorf(".bin/a -> %q, %v", l, err)
	}
	fi, err := os.Stat(filepath.Join(dir, "node_modules", "a", "cli.js"))
	if err != nil || fi.Mode().Perm()&0o111 == 0 {
		t.Errorf("bin target mode %v, %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "a", "cli.js"))
	if string(b) != "#!/usr/bin/env node\n" {
		t.Errorf("bin target %q: the hashbang's \\r was not removed", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a hidden lockfile was written (%v)", err)
	}
}

// TestFailureLeavesTree: an extraction error (a digest mismatch, say)
// leaves the previous node_modules exactly as it was.
func TestFailureLeavesTree(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "node_modules", "old")
	if err := os.MkdirAll(old, 0o755); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("integrity mismatch")
	_, err := Install(context.Background(), Options{ProjectDir: dir, Selection: selection(t, twoPackages), Extract: func(ctx context.Context, pkg lock.Package, d string) error {
		if pkg.Name == "b" {
			return boom
		}
		return fakeExtract(ctx, pkg, d)
	}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "node_modules"))
	if len(entries) != 1 || entries[0].Name() != "old" {
		t.Errorf("node_modules now holds %v", entries)
	}
}

// TestWorkspaceSymlinkRefused: a workspace directory that is a symlink
// (out of the project, say) is refused before anything is written.
func TestWorkspaceSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "pkgs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "pkgs", "w")); err != nil {
		t.Fatal(err)
	}
	sel := selection(t, `{
  "lockfileVersion": 1,
  "workspaces": { "": {}, "pkgs/w": { "name": "w", "dependencies": { "a": "1.0.0" } } },
  "packages": {
    "w": ["w@workspace:pkgs/w"],
    "a": ["a@1.0.0", "", {}, "sha512-a"],
    "w/a": ["a@1.0.0", "", {}, "sha512-a"],
  }
}`)
	_, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Extract: fakeExtract})
	if err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("err = %v, want a refusal of the symlinked workspace", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("wrote outside the project: %v", entries)
	}
}

// TestBinDir: directories.bin links every file of the directory, found
// after extraction (bun's Bin.Linker for a "binDir"), dot files included;
// a workspace's is listed in the project.
func TestBinDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "p", "w", "tools"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "p", "w", "tools", "wtool"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sel := selection(t, `{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1"}}, "p/w": {"name": "w", "binDir": "tools"}},
  "packages": {"a": ["a@1.0.0", "", {"binDir": "./bin"}, "sha512-x"], "w": ["w@workspace:p/w"]}}`)
	extract := func(_ context.Context, pkg lock.Package, d string) error {
		if err := os.MkdirAll(filepath.Join(d, "bin", "sub"), 0o755); err != nil {
			return err
		}
		for _, f := range []string{"package.json", "bin/one", "bin/.two", "bin/sub/three"} {
			if err := os.WriteFile(filepath.Join(d, f), []byte("#!/bin/sh\n"), 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	if _, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Extract: extract}); err != nil {
		t.Fatal(err)
	}
	for link, want := range map[string]string{"one": "../a/bin/one", ".two": "../a/bin/.two", "wtool": "../w/tools/wtool"} {
		if got, err := os.Readlink(filepath.Join(dir, "node_modules", ".bin", link)); err != nil || got != want {
			t.Errorf(".bin/%s -> %q, %v; want %q", link, got, err, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "node_modules", ".bin", "three")); err == nil {
		t.Error("a file in a subdirectory of directories.bin was linked")
	}
	if sel.Install[0].Bin != nil && len(sel.Install[0].Bin) > 0 {
		t.Errorf("the caller's selection was changed: %v", sel.Install[0].Bin)
	}
}
