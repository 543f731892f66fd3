package lockdiff

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

func parse(t *testing.T, path string) []lock.Package {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := locknpm.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return lf.Packages
}

const pairs = "../../cmd/airlock/testdata/diff/update/"

func byKey(cs []Change) map[string]Change {
	m := map[string]Change{}
	for _, c := range cs {
		m[c.Key] = c
	}
	return m
}

// TestRealUpdate diffs two real npm lockfiles: debug updated, esbuild (with
// an install script) and its platform packages added, is-number removed.
func TestRealUpdate(t *testing.T) {
	cs := Diff(parse(t, pairs+"old.package-lock.json"), parse(t, pairs+"new.package-lock.json"))
	s := Summarize(cs)
	if s != (Summary{Added: 24, Removed: 1, Changed: 2, Suspicious: 1}) {
		t.Errorf("summary = %+v", s)
	}
	m := byKey(cs)
	if c := m["node_modules/esbuild"]; c.Kind != Added || !reflect.DeepEqual(c.Flags, []Flag{NewInstallScript}) {
		t.Errorf("esbuild: %+v", c)
	}
	if c := m["node_modules/debug"]; c.Kind != Changed || c.Old.Version != "4.3.4" || c.New.Version != "4.4.0" || c.Suspicious() {
		t.Errorf("debug: %+v", c)
	}
	if c := m["node_modules/is-number"]; c.Kind != Removed || !c.Old.Dev {
		t.Errorf("is-number: %+v", c)
	}
	if _, ok := m["node_modules/semver"]; ok {
		t.Error("semver is unchanged but listed")
	}
	if c := m["node_modules/@esbuild/linux-x64"]; c.Kind != Added || !c.New.Optional || c.Suspicious() {
		t.Errorf("@esbuild/linux-x64: %+v", c)
	}
	if d := Diff(parse(t, pairs+"new.package-lock.json"), parse(t, pairs+"new.package-lock.json")); len(d) != 0 {
		t.Errorf("a lockfile differs from itself: %+v", d)
	}
}

func TestTampered(t *testing.T) {
	m := byKey(Diff(parse(t, pairs+"new.package-lock.json"), parse(t, pairs+"tampered.package-lock.json")))
	if c := m["node_modules/semver"]; !reflect.DeepEqual(c.Flags, []Flag{IntegrityChanged}) {
		t.Errorf("semver with another digest: %+v", c)
	}
	if c := m["node_modules/tiny-helper"]; c.Kind != Added || !reflect.DeepEqual(c.Flags, []Flag{NewSource}) || c.New.Source != "git" {
		t.Errorf("git dependency: %+v", c)
	}
	var out bytes.Buffer
	if err := WriteText(&out, Diff(parse(t, pairs+"new.package-lock.json"), parse(t, pairs+"tampered.package-lock.json"))); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "1 added, 0 removed, 1 changed; 2 need a reviewer's attention\n") {
		t.Errorf("text:\n%s", out.String())
	}
}

const (
	sha512A = "sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEP8BBq0LmJ3nDbx2gK6Vl3s+0Brp4L3MAEmAjUuwcX5HSg=="
	sha512B = "sha512-nG96G3Wp6acyAgJqGasjODb+acrI7KltPiRxzHPXnP3NgI28bpQDRv53olbqGXbfcgF5aiiHmO3xpwEpS5Ld9g=="
	sha1A   = "sha1-5sPZCDhPFY4YUgl3x/Hpx4HeH0o="
	sha256A = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	sha256B = "sha256-ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs="
)

func TestFlags(t *testing.T) {
	reg := func(v, integrity string) lock.Package {
		return lock.Package{Ecosystem: lock.NPM, Name: "p", Version: v, Path: "node_modules/p", Integrity: integrity,
			Resolved: "https://registry.npmjs.org/p/-/p-" + v + ".tgz"}
	}
	for _, c := range []struct {
		name     string
		old, new lock.Package
		want     []Flag
	}{
		{"version bump", reg("1.0.0", sha512A), reg("1.0.1", sha512B), nil},
		{"same version, other digest", reg("1.0.0", sha512A), reg("1.0.0", sha512B), []Flag{IntegrityChanged}},
		{"sha1 pin upgraded to sha512", reg("1.0.0", sha1A), reg("1.0.0", sha512A), nil},
		{"sha512 added beside sha1", reg("1.0.0", sha1A), reg("1.0.0", sha1A+" "+sha512A), nil},
		{"another wheel's hash added", reg("1.0.0", sha256A), reg("1.0.0", sha256A+" "+sha256B), nil},
		{"one hash replaced among several", reg("1.0.0", sha256A), reg("1.0.0", sha256B), []Flag{IntegrityChanged}},
		{"install script appears", reg("1.0.0", sha512A), func() lock.Package { p := reg("1.0.1", sha512B); p.HasInstallScript = true; return p }(), []Flag{NewInstallScript}},
		{"install script kept", func() lock.Package { p := reg("1.0.0", sha512A); p.HasInstallScript = true; return p }(), func() lock.Package { p := reg("1.0.1", sha512B); p.HasInstallScript = true; return p }(), nil},
		{"registry to git", reg("1.0.0", sha512A), lock.Package{Name: "p", Version: "1.0.0", Path: "node_modules/p", Source: lock.SourceGit, Resolved: "git+https://github.com/x/p.git#abc"}, []Flag{NewSource}},
		{"same version from another URL", reg("1.0.0", sha512A), func() lock.Package {
			p := reg("1.0.0", sha512A)
			p.Resolved = "https://evil.example/p-1.0.0.tgz"
			return p
		}(), []Flag{ResolvedChanged}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cs := Diff([]lock.Package{c.old}, []lock.Package{c.new})
			if len(cs) != 1 || cs[0].Kind != Changed {
				t.Fatalf("changes = %+v", cs)
			}
			if !reflect.DeepEqual(cs[0].Flags, c.want) {
				t.Errorf("flags = %v, want %v (notes %v)", cs[0].Flags, c.want, cs[0].Notes)
			}
		})
	}
}

func TestPythonKeys(t *testing.T) {
	old := []lock.Package{{Ecosystem: lock.PyPI, Name: "Typing_Extensions", Version: "4.0.0", Integrity: sha256A}}
	new := []lock.Package{{Ecosystem: lock.PyPI, Name: "typing-extensions", Version: "4.1.0", Integrity: sha256B}}
	cs := Diff(old, new)
	if len(cs) != 1 || cs[0].Kind != Changed || cs[0].Key != "typing-extensions" {
		t.Errorf("changes = %+v", cs)
	}
}

func TestPackument(t *testing.T) {
	body, err := os.ReadFile("testdata/packument-left-pad.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	f, err := Packument(body, "1.3.0", "1.3.1", now)
	if err != nil {
		t.Fatal(err)
	}
	if f.Age != "6 days ago" || !f.Published.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("published %v, age %q", f.Published, f.Age)
	}
	if f.Publisher != "mallory" || f.OldPublisher != "stevemao" {
		t.Errorf("publishers %q, %q", f.Publisher, f.OldPublisher)
	}
	if !reflect.DeepEqual(f.MaintainersAdded, []string{"mallory"}) || !reflect.DeepEqual(f.MaintainersRemoved, []string{"azer"}) {
		t.Errorf("maintainers +%v -%v", f.MaintainersAdded, f.MaintainersRemoved)
	}
	if f.Provenance || !f.OldProvenance {
		t.Errorf("provenance %v, old %v", f.Provenance, f.OldProvenance)
	}
	notes := strings.Join(f.Notes, "\n")
	for _, want := range []string{"published by mallory; the old version was published by stevemao", "new maintainers: mallory", "maintainers gone: azer", "the old version had a provenance attestation and the new one has none"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	added, err := Packument(body, "", "1.3.0", now)
	if err != nil || !added.Provenance || added.Publisher != "stevemao" || len(added.Notes) != 0 {
		t.Errorf("added package facts = %+v, %v", added, err)
	}
	if _, err := Packument(body, "", "9.9.9", now); err == nil || !strings.Contains(err.Error(), "no version 9.9.9") {
		t.Errorf("unknown version: %v", err)
	}
	if _, err := Packument([]byte("<html>"), "", "1.3.0", now); err == nil {
		t.Error("an HTML page was read as a packument")
	}
}

func TestAddAdvisories(t *testing.T) {
	high := Advisory{ID: "GHSA-1", Severity: "high", Summary: "bad"}
	low := Advisory{ID: "GHSA-2", Severity: "low", Summary: "meh"}
	mal := Advisory{ID: "MAL-1", Severity: "critical", Malware: true, Summary: "malicious"}
	for _, c := range []struct {
		name      string
		new, old  []Advisory
		flags     []Flag
		fixed     int
		textParts []string
	}{
		{"none", nil, nil, nil, 0, nil},
		{"brought in", []Advisory{high}, nil, []Flag{KnownAdvisory}, 0, []string{"advisory GHSA-1 (high): bad"}},
		{"already there", []Advisory{high}, []Advisory{high}, nil, 0, []string{"advisory GHSA-1 (high)"}},
		{"fixed by the update", nil, []Advisory{high, low}, nil, 2, []string{"fixes GHSA-1 (high): bad", "fixes GHSA-2 (low)"}},
		{"malware", []Advisory{mal}, nil, []Flag{Malware, KnownAdvisory}, 0, []string{"MALICIOUS PACKAGE MAL-1 (critical): malicious"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ch := Change{Kind: Changed, Key: "node_modules/p", Old: &Entry{Name: "p", Version: "1.0.0", Source: "registry"}, New: &Entry{Name: "p", Version: "1.0.1", Source: "registry"}}
			ch.AddAdvisories(c.new, c.old)
			if !reflect.DeepEqual(ch.Flags, c.flags) || len(ch.Fixed) != c.fixed {
				t.Errorf("flags %v fixed %v", ch.Flags, ch.Fixed)
			}
			var out bytes.Buffer
			WriteText(&out, []Change{ch})
			for _, p := range c.textParts {
				if !strings.Contains(out.String(), p) {
					t.Errorf("text lacks %q:\n%s", p, out.String())
				}
			}
		})
	}
}

// TestPackumentInstallScript: yarn lockfiles do not record install
// scripts, so the registry's manifest says whether a version has one.
func TestPackumentInstallScript(t *testing.T) {
	body := []byte(`{"versions":{
		"1.0.0":{"scripts":{"test":"x"}},
		"1.1.0":{"scripts":{"postinstall":"node evil.js"}},
		"1.2.0":{"gypfile":true},
		"1.3.0":{"hasInstallScript":true},
		"1.4.0":{"scripts":{"prepare":"x","preinstall":"y"}}}}`)
	now := time.Now()
	for _, tc := range []struct {
		old, new      string
		want, wantOld bool
	}{
		{"", "1.0.0", false, false},
		{"1.0.0", "1.1.0", true, false},
		{"1.1.0", "1.2.0", true, true},
		{"", "1.3.0", true, false},
		{"1.0.0", "1.4.0", true, false},
	} {
		f, err := Packument(body, tc.old, tc.new, now)
		if err != nil {
			t.Fatal(err)
		}
		if f.InstallScript != tc.want || f.OldInstallScript != tc.wantOld {
			t.Errorf("%s -> %s: install script %v (old %v), want %v (old %v)", tc.old, tc.new, f.InstallScript, f.OldInstallScript, tc.want, tc.wantOld)
		}
	}
}
