package testregistry

import (
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lockedTarball is one registry tarball a fixture lockfile refers to.
type lockedTarball struct {
	where, name, version, integrity string
}

// TestFixtureProjectsAreServed: every registry package that a fixture
// project's lockfile records is in the fixture set, byte for byte (its
// sha512 is the lockfile's integrity), so every project installs offline.
func TestFixtureProjectsAreServed(t *testing.T) {
	locks, err := filepath.Glob("../../testdata/npm/projects/*/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(locks) == 0 {
		t.Fatal("no fixture projects found")
	}
	r := New(t)
	n := 0
	for _, lf := range locks {
		b, err := os.ReadFile(lf)
		if err != nil {
			t.Fatal(err)
		}
		var lock struct {
			Packages     map[string]lockEntry
			Dependencies map[string]v1Entry
		}
		if err := json.Unmarshal(b, &lock); err != nil {
			t.Fatalf("%s: %v", lf, err)
		}
		var want []lockedTarball
		if lock.Packages != nil {
			want = fromPackages(lf, lock.Packages)
		} else {
			want = fromDependencies(lf, lock.Dependencies)
		}
		for _, w := range want {
			n++
			tgz, err := r.Tarball(w.name, w.version)
			if err != nil {
				t.Errorf("%s: %s@%s is not in the fixture set (npm pack it into internal/testregistry/tarballs)", w.where, w.name, w.version)
				continue
			}
			sum := sha512.Sum512(tgz)
			if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != w.integrity {
				t.Errorf("%s: %s@%s: lockfile integrity %s, fixture tarball %s", w.where, w.name, w.version, w.integrity, got)
			}
		}
	}
	if n == 0 {
		t.Fatal("the fixture lockfiles name no registry packages")
	}
}

type lockEntry struct {
	Name, Version, Resolved, Integrity string
	Link, InBundle                     bool
}

type v1Entry struct {
	Version, Integrity string
	Bundled            bool
	Dependencies       map[string]v1Entry
}

func fromPackages(lf string, pkgs map[string]lockEntry) []lockedTarball {
	var out []lockedTarball
	for key, e := range pkgs {
		i := strings.LastIndex(key, "node_modules/")
		if i < 0 || e.Link || e.InBundle || strings.HasPrefix(e.Resolved, "git") {
			continue // the root, workspaces, links, bundled and git deps
		}
		name := e.Name
		if name == "" {
			name = key[i+len("node_modules/"):]
		}
		out = append(out, lockedTarball{lf + ": " + key, name, e.Version, e.Integrity})
	}
	return out
}

// fromDependencies reads lockfileVersion 1's nested "dependencies", where an
// alias's version is "npm:<name>@<version>".
func fromDependencies(lf string, deps map[string]v1Entry) []lockedTarball {
	var out []lockedTarball
	for name, e := range deps {
		if !e.Bundled && !strings.HasPrefix(e.Version, "git") && !strings.HasPrefix(e.Version, "file:") {
			n, v := name, e.Version
			if alias, ok := strings.CutPrefix(v, "npm:"); ok {
				at := strings.LastIndex(alias, "@")
				n, v = alias[:at], alias[at+1:]
			}
			out = append(out, lockedTarball{lf + ": " + name, n, v, e.Integrity})
		}
		out = append(out, fromDependencies(lf, e.Dependencies)...)
	}
	return out
}

// TestTarballReadme keeps tarballs/README.md, the record of where each
// fixture came from, in step with the files.
func TestTarballReadme(t *testing.T) {
	readme, err := os.ReadFile("tarballs/README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{} // file → row
	for _, line := range strings.Split(string(readme), "\n") {
		if f, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(f, "`"); ok && strings.HasSuffix(name, ".tgz") {
				rows[name] = line
			}
		}
	}
	entries, err := fixtures.ReadDir("tarballs")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fixtures.ReadFile("tarballs/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha512.Sum512(b)
		sri := "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
		row, ok := rows[e.Name()]
		switch {
		case !ok:
			t.Errorf("tarballs/README.md does not list %s (%s)", e.Name(), sri)
		case !strings.Contains(row, sri):
			t.Errorf("tarballs/README.md: %s is listed with another digest; the file's is %s", e.Name(), sri)
		}
		delete(rows, e.Name())
	}
	for name := range rows {
		t.Errorf("tarballs/README.md lists %s, which is not there", name)
	}
}
