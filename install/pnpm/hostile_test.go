package pnpm

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// selectFixture parses and selects fixture f as staged in dir.
func selectFixture(t *testing.T, dir string) *lockpnpm.Selection {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := lockpnpm.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := lf.Select(lockpnpm.Options{Platform: lockpnpm.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}})
	if err != nil {
		t.Fatal(err)
	}
	return sel
}

func TestInstallRefusals(t *testing.T) {
	f := layoutFixtures[0]
	for _, tc := range []struct {
		name    string
		prepare func(t *testing.T, dir string, sel *lockpnpm.Selection)
		want    error
		msg     string
	}{
		{"importer is a symlink", func(t *testing.T, dir string, _ *lockpnpm.Selection) {
			outside := t.TempDir()
			if err := os.Rename(filepath.Join(dir, "packages", "tool"), filepath.Join(outside, "tool")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(filepath.Join(outside, "tool"), filepath.Join(dir, "packages", "tool")); err != nil {
				t.Fatal(err)
			}
		}, install.ErrSymlinkInPath, "importer packages/tool is a symlink"},
		{"importer missing", func(t *testing.T, dir string, _ *lockpnpm.Selection) {
			if err := os.RemoveAll(filepath.Join(dir, "packages", "app")); err != nil {
				t.Fatal(err)
			}
		}, ErrWorkspaceMissing, "packages/app"},
		{"store dir escapes", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			sel.Nodes["ms@2.1.3"].Dir = "node_modules/.pnpm/../../../x/node_modules/ms"
		}, ErrBadLocation, "not a clean relative path"},
		{"store dir not .pnpm", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			sel.Nodes["ms@2.1.3"].Dir = "node_modules/ms"
		}, ErrBadLocation, "is not node_modules/.pnpm/<dir>/node_modules/ms"},
		{"store dir is the hoisting dir", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			sel.Nodes["ms@2.1.3"].Dir = "node_modules/.pnpm/node_modules/node_modules/ms"
		}, ErrBadLocation, "is not node_modules/.pnpm/<dir>/node_modules/ms"},
		{"two packages in one store dir", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			sel.Nodes["ms@2.1.3"].Dir = sel.Nodes["ms@2.0.0"].Dir
		}, ErrBadLocation, "two packages share node_modules/.pnpm/ms@2.0.0"},
		{"importer in airlock's directory", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			sel.Importers[1].ID = ".airlock/x"
		}, ErrBadLocation, "airlock's own directory"},
		{"link target escapes", func(t *testing.T, _ string, sel *lockpnpm.Selection) {
			for _, imp := range sel.Importers {
				for i := range imp.Dependencies {
					if imp.Dependencies[i].Link != "" {
						imp.Dependencies[i].Link = "../elsewhere"
					}
				}
			}
		}, ErrBadLocation, "leaves the project"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			stage(t, f, dir)
			// An existing tree must survive every refusal.
			if err := os.MkdirAll(filepath.Join(dir, "node_modules", "keep"), 0o755); err != nil {
				t.Fatal(err)
			}
			sel := selectFixture(t, dir)
			tc.prepare(t, dir, sel)
			_, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Major: f.major, Extract: extractFromFixtures, Umask: 0o022})
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("Install = %v, want %v containing %q", err, tc.want, tc.msg)
			}
			if _, err := os.Stat(filepath.Join(dir, "node_modules", "keep")); err != nil {
				t.Errorf("the previous node_modules was touched: %v", err)
			}
		})
	}
}

// TestInstallAtomic: when one archive fails, nothing of the new tree is
// visible and the old node_modules stays as it was.
func TestInstallAtomic(t *testing.T) {
	f := layoutFixtures[0]
	dir := t.TempDir()
	stage(t, f, dir)
	if err := os.MkdirAll(filepath.Join(dir, "node_modules", "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	sel := selectFixture(t, dir)
	boom := errors.New("boom")
	_, err := Install(context.Background(), Options{ProjectDir: dir, Selection: sel, Major: f.major, Umask: 0o022,
		Extract: func(ctx context.Context, pkg lock.Package, d string) error {
			if pkg.Name == "rimraf" {
				return boom
			}
			return extractFromFixtures(ctx, pkg, d)
		}})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "rimraf@3.0.2") {
		t.Fatalf("Install = %v, want boom naming rimraf", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "node_modules"))
	if len(entries) != 1 || entries[0].Name() != "keep" {
		t.Errorf("node_modules after a failed install: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "packages", "app", "node_modules")); !os.IsNotExist(err) {
		t.Errorf("a workspace node_modules appeared: %v", err)
	}
	// A second, successful run replaces the old tree entirely.
	airlockInstall(t, f, dir, lockpnpm.Options{}, Hoisting{})
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "keep")); !os.IsNotExist(err) {
		t.Errorf("the old tree's files survived a successful install: %v", err)
	}
}
