package pypi

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

// inst is an installed distribution for Options.Installed: "name==version"
// and its installed METADATA's Requires-Dist and Provides-Extra lines.
func inst(t *testing.T, nv string, lines ...string) Installed {
	t.Helper()
	name, version, _ := strings.Cut(nv, "==")
	var b strings.Builder
	fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	m, err := ParseMetadata([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return Installed{Name: name, Version: version, Metadata: m, Where: "/venv/site-packages"}
}

func resolveInstalled(t *testing.T, ix Index, up Upgrade, pol *verify.Policy, installed []Installed, rs ...string) (*Result, error) {
	t.Helper()
	return Resolve(context.Background(), ix, reqs(t, rs...), Options{Env: testEnv(), Policy: pol, Now: now, Installed: installed, Upgrade: up})
}

// keptPins is pins with "(kept)" after each installed distribution kept.
func keptPins(res *Result) string {
	var parts []string
	for _, p := range res.Pins {
		s := p.Name + "==" + p.Version
		if p.Requested {
			s += "*"
		}
		if p.Installed {
			s += "(kept)"
			if p.Wheel.Filename != "" {
				s += "(with a wheel!)"
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func listed(ix *fakeIndex) string {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var names []string
	for n := range ix.listed {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// upgradeIndex has a newer release of everything installed.
func upgradeIndex() *fakeIndex {
	return newIndex(map[string][]rel{
		"app":  {{version: "1.0", deps: []string{"lib"}}, {version: "2.0", deps: []string{"lib>=1"}}},
		"lib":  {{version: "1.0"}, {version: "2.0"}},
		"tool": {{version: "1.0", deps: []string{"lib>=2"}}},
	})
}

// TestInstalledKept: without -U an installed version that satisfies the
// requirements is kept, and the index is not even asked about it.
func TestInstalledKept(t *testing.T) {
	installed := func() []Installed {
		return []Installed{inst(t, "app==1.0", "Requires-Dist: lib"), inst(t, "lib==1.0")}
	}
	ix := upgradeIndex()
	res, err := resolveInstalled(t, ix, UpgradeNone, nil, installed(), "app")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "app==1.0*(kept) lib==1.0(kept)"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if got := listed(ix); got != "" {
		t.Errorf("the index was asked about %s; a satisfied install asks nothing", got)
	}

	// A new project's dependency already installed at a version that
	// fits is kept (only-if-needed), one that does not fit is upgraded.
	ix = upgradeIndex()
	res, err = resolveInstalled(t, ix, UpgradeNone, nil, installed(), "app", "tool")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "app==1.0*(kept) lib==2.0 tool==1.0*"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}

	// A requirement the installed version does not meet is resolved on
	// the index as if nothing were installed.
	res, err = resolveInstalled(t, upgradeIndex(), UpgradeNone, nil, installed(), "app>=2")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "app==2.0* lib==1.0(kept)"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
}

// TestUpgradeStrategies: -U upgrades the named projects and keeps their
// dependencies where they fit; eager upgrades everything.
func TestUpgradeStrategies(t *testing.T) {
	for _, tc := range []struct {
		up   Upgrade
		want string
	}{
		{UpgradeNone, "app==1.0*(kept) lib==1.0(kept)"},
		{UpgradeRequested, "app==2.0* lib==1.0(kept)"},
		{UpgradeEager, "app==2.0* lib==2.0"},
	} {
		installed := []Installed{inst(t, "app==1.0", "Requires-Dist: lib"), inst(t, "lib==1.0")}
		res, err := resolveInstalled(t, upgradeIndex(), tc.up, nil, installed, "app")
		if err != nil {
			t.Fatal(err)
		}
		if got := keptPins(res); got != tc.want {
			t.Errorf("upgrade %d: pins = %s, want %s", tc.up, got, tc.want)
		}
	}

	// With -U, an installed version that is the newest is kept: it takes
	// the index's release of the same version.
	installed := []Installed{inst(t, "app==2.0", "Requires-Dist: lib>=1"), inst(t, "lib==2.0")}
	for _, up := range []Upgrade{UpgradeRequested, UpgradeEager} {
		res, err := resolveInstalled(t, upgradeIndex(), up, nil, installed, "app")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := keptPins(res), "app==2.0*(kept) lib==2.0(kept)"; got != want {
			t.Errorf("upgrade %d: pins = %s, want %s", up, got, want)
		}
	}

	// An installed version newer than anything the index has (a local
	// build) stays with -U, as pip keeps it.
	installed = []Installed{inst(t, "lib==3.0.dev1")}
	res, err := resolveInstalled(t, upgradeIndex(), UpgradeEager, nil, installed, "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "lib==3.0.dev1*(kept)"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
}

// TestInstalledDependencies: a kept distribution's dependencies are its
// installed METADATA's (the index's may differ), extras included.
func TestInstalledDependencies(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"web":     {{version: "1.0", extras: []string{"socks"}, deps: []string{"pysocks; extra == 'socks'"}}},
		"pysocks": {{version: "1.7"}},
		"old-dep": {{version: "1.0"}},
	})
	installed := []Installed{inst(t, "web==1.0", "Provides-Extra: socks", "Requires-Dist: old-dep", `Requires-Dist: pysocks>=1.5; extra == "socks"`)}
	res, err := resolveInstalled(t, ix, UpgradeNone, nil, installed, "web[socks]")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "old-dep==1.0 pysocks==1.7 web==1.0*(kept)"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if got := listed(ix); strings.Contains(got, "web") {
		t.Errorf("the index was asked about web (%s)", got)
	}
}

// TestInstalledBacktrack: an installed version tried first is given up
// when a later requirement excludes it, and the index's versions follow.
func TestInstalledBacktrack(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"app": {{version: "1.0", deps: []string{"lib", "mid"}}},
		"mid": {{version: "1.0", deps: []string{"lib<2"}}},
		"lib": {{version: "1.0"}, {version: "2.0"}},
	})
	res, err := resolveInstalled(t, ix, UpgradeNone, nil, []Installed{inst(t, "lib==2.0")}, "app")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "app==1.0* lib==1.0 mid==1.0"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}

	// A conflict that no version can fix still says which requirements
	// clash.
	ix.projects["other"] = []rel{{version: "1.0", deps: []string{"lib>=2"}}}
	_, err = resolveInstalled(t, ix, UpgradeNone, nil, []Installed{inst(t, "lib==2.0")}, "app", "other")
	if !errors.Is(err, ErrConflict) {
		t.Errorf("err = %v, want a conflict", err)
	}
}

// TestInstalledNotOnIndex: a distribution no index lists (installed from
// elsewhere) is kept when it satisfies; it is an error only when it does
// not.
func TestInstalledNotOnIndex(t *testing.T) {
	ix := newIndex(map[string][]rel{"app": {{version: "1.0", deps: []string{"private-lib>=1"}}}})
	installed := []Installed{inst(t, "Private_Lib==1.2")}
	for _, up := range []Upgrade{UpgradeNone, UpgradeEager} {
		res, err := resolveInstalled(t, ix, up, nil, installed, "app")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := keptPins(res), "app==1.0* Private_Lib==1.2(kept)"; got != want {
			t.Errorf("upgrade %d: pins = %s, want %s", up, got, want)
		}
	}
	_, err := resolveInstalled(t, ix, UpgradeNone, nil, installed, "app", "private-lib>=2")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v, want ErrNotFound", err)
	}
}

// TestInstalledPolicy: policy's deny list applies to an installed version
// as to the index's (it is replaced, with a warning); min_release_age
// does not, since a kept distribution is not fetched.
func TestInstalledPolicy(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"lib": {{version: "1.0"}, {version: "2.0"}, {version: "3.0", uploaded: 2 * time.Hour}},
	})
	res, err := resolveInstalled(t, ix, UpgradeNone, policy(t, "", "lib@>=2"), []Installed{inst(t, "lib==2.0")}, "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "lib==1.0*"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, `lib 2.0 is installed but denied by policy: deny "lib@>=2" in airlock.toml [policy]; it is replaced by 1.0`) {
		t.Errorf("warnings: %s", w)
	}
	// With nothing allowed left, the refusal names the installed version.
	_, err = resolveInstalled(t, ix, UpgradeNone, policy(t, "", "lib"), []Installed{inst(t, "lib==2.0")}, "lib")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "installed 2.0: denied by policy") {
		t.Errorf("err = %v", err)
	}

	// The too-new 3.0, installed before, is kept, even when pinned.
	for _, req := range []string{"lib", "lib==3.0"} {
		ix := newIndex(ix.projects)
		res, err := resolveInstalled(t, ix, UpgradeNone, policy(t, "7d"), []Installed{inst(t, "lib==3.0")}, req)
		if err != nil {
			t.Fatalf("%s: %v", req, err)
		}
		if got, want := keptPins(res), "lib==3.0*(kept)"; got != want {
			t.Errorf("%s: pins = %s, want %s", req, got, want)
		}
		if got := listed(ix); got != "" {
			t.Errorf("%s: the index was asked about %s", req, got)
		}
	}
	// With -U the cooldown holds back the index's 3.0 but not the
	// installed one, which is newest: kept.
	res, err = resolveInstalled(t, newIndex(ix.projects), UpgradeRequested, policy(t, "7d"), []Installed{inst(t, "lib==3.0")}, "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "lib==3.0*(kept)"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
}

// TestInstalledTwice: two installed versions of one project are not
// kept: the install replaces both.
func TestInstalledTwice(t *testing.T) {
	res, err := resolveInstalled(t, upgradeIndex(), UpgradeNone, nil, []Installed{inst(t, "lib==1.0"), inst(t, "lib==2.0")}, "lib")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keptPins(res), "lib==2.0*"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "lib is installed more than once (1.0 in /venv/site-packages, 2.0 in /venv/site-packages)") {
		t.Errorf("warnings: %s", w)
	}
}
