package yarnberry

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// listing describes a yarn node_modules tree at package granularity, one
// line per package directory ("node_modules/a/node_modules/b 1.2.3"),
// workspace symlink ("node_modules/w -> packages/w") and .bin link
// ("BIN packages/w c -> node_modules/c/cli.js", targets project-relative),
// sorted. dirs are the project-relative directories holding a
// node_modules (the root and the workspaces).
func listing(t testing.TB, project string, dirs []string) []string {
	t.Helper()
	var lines []string
	var walkNM func(nm string)
	pkgDir := func(rel string) {
		full := filepath.Join(project, filepath.FromSlash(rel))
		fi, err := os.Lstat(full)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			target, err := os.Readlink(full)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprintf("%s -> %s", rel, path.Clean(path.Join(path.Dir(rel), filepath.ToSlash(target)))))
			return
		}
		b, err := os.ReadFile(filepath.Join(full, "package.json"))
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		var m struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s/package.json: %v", rel, err)
		}
		lines = append(lines, fmt.Sprintf("%s %s", rel, m.Version))
		walkNM(path.Join(rel, "node_modules"))
	}
	walkNM = func(nm string) {
		entries, err := os.ReadDir(filepath.Join(project, filepath.FromSlash(nm)))
		if err != nil {
			return
		}
		for _, e := range entries {
			rel := path.Join(nm, e.Name())
			switch {
			case e.Name() == ".bin":
				links, _ := os.ReadDir(filepath.Join(project, filepath.FromSlash(rel)))
				for _, l := range links {
					target, err := os.Readlink(filepath.Join(project, filepath.FromSlash(rel), l.Name()))
					if err != nil {
						t.Fatal(err)
					}
					lines = append(lines, fmt.Sprintf("BIN %s %s -> %s", path.Dir(nm), l.Name(), path.Clean(path.Join(rel, filepath.ToSlash(target)))))
				}
			case strings.HasPrefix(e.Name(), "."):
			case strings.HasPrefix(e.Name(), "@"):
				scoped, _ := os.ReadDir(filepath.Join(project, filepath.FromSlash(rel)))
				for _, s := range scoped {
					pkgDir(path.Join(rel, s.Name()))
				}
			default:
				pkgDir(rel)
			}
		}
	}
	for _, d := range dirs {
		walkNM(path.Join(d, "node_modules"))
	}
	sort.Strings(lines)
	return lines
}

// fileListing lists every file, directory and symlink under the
// node_modules of dirs (project-relative), except yarn's bookkeeping
// files:
// "kind mode path" and a file's SHA-256 or a symlink's target, sorted.
// umask-dependent modes are compared as yarn makes them under umask 022.
func fileListing(t testing.TB, project string, dirs []string) []string {
	t.Helper()
	var lines []string
	// The state file is compared on its own (TestStateMatchesYarn).
	skip := map[string]bool{stateFile: true}
	for _, b := range Bookkeeping {
		skip[b] = true
	}
	for _, d := range dirs {
		root := filepath.Join(project, filepath.FromSlash(d), "node_modules")
		if _, err := os.Lstat(root); err != nil {
			continue
		}
		err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(project, p)
			rel = filepath.ToSlash(rel)
			if skip[rel] {
				return nil
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			switch {
			case fi.Mode()&os.ModeSymlink != 0:
				target, err := os.Readlink(p)
				if err != nil {
					return err
				}
				lines = append(lines, fmt.Sprintf("link %s -> %s", rel, target))
			case fi.IsDir():
				lines = append(lines, fmt.Sprintf("dir %o %s", fi.Mode().Perm(), rel))
			default:
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				lines = append(lines, fmt.Sprintf("file %o %s %x", fi.Mode().Perm(), rel, sha256.Sum256(b)))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(lines)
	return lines
}
