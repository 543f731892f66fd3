package npm

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/airlock-dev/airlock/lock"
)

var linux = Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

func TestSelectReasonsAndWarnings(t *testing.T) {
	l, _ := readFixture(t, "badplatform")
	sel, err := l.Select(Options{Omit: Omit{Dev: true}, Platform: linux, NodeVersion: "20.20.2"})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]Skip{}
	for _, s := range sel.Skipped {
		reasons[s.Package.Path] = s
	}
	if s := reasons["node_modules/semver"]; s.Why != SkipOmitted || s.Reason != "omitted (dev)" {
		t.Errorf("semver: %+v", s)
	}
	if s := reasons["node_modules/fsevents"]; s.Why != SkipPlatform || s.Reason != "optional, os darwin does not match linux" {
		t.Errorf("fsevents: %+v", s)
	}
	if len(sel.Warnings) != 1 || sel.Warnings[0].Package.Path != "node_modules/debug" ||
		!strings.Contains(sel.Warnings[0].Message, `engines.node ">=99" is not satisfied by node 20.20.2`) {
		t.Errorf("warnings: %+v", sel.Warnings)
	}

	// engine-strict makes the warning fatal; --force drops the node check.
	_, err = l.Select(Options{Omit: Omit{Dev: true}, Platform: linux, NodeVersion: "20.20.2", EngineStrict: true})
	if !errors.Is(err, ErrBadEngine) || !strings.Contains(err.Error(), "node_modules/debug (debug@2.6.9)") {
		t.Errorf("EngineStrict: %v", err)
	}
	sel, err = l.Select(Options{Omit: Omit{Dev: true}, Platform: linux, NodeVersion: "20.20.2", Force: true})
	if err != nil || len(sel.Warnings) != 0 {
		t.Errorf("Force: %v %+v", err, sel)
	}

	_, err = l.Select(Options{Platform: linux})
	if !errors.Is(err, ErrBadPlatform) || !strings.Contains(err.Error(), "node_modules/semver (semver@7.6.3)") || !strings.Contains(err.Error(), "os darwin does not match linux") {
		t.Errorf("required darwin package on linux: %v", err)
	}
}

func TestSelectOptionalSetReasons(t *testing.T) {
	l, _ := readFixture(t, "optset")
	sel, err := l.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]SkipReason{
		"node_modules/fsevents":                      SkipPlatform,
		"node_modules/is-odd/node_modules/is-number": SkipPlatform,
		"node_modules/is-odd":                        SkipOptionalSet,
	}
	if len(sel.Skipped) != len(want) {
		t.Fatalf("skipped %+v", sel.Skipped)
	}
	for _, s := range sel.Skipped {
		if w, ok := want[s.Package.Path]; !ok || w != s.Why {
			t.Errorf("%s: %v (%s)", s.Package.Path, s.Why, s.Reason)
		}
	}
}

// npm 11 checks required packages against the machine it runs on, even with
// --os/--cpu/--libc, which only steer optional packages.
func TestSelectHostVersusTarget(t *testing.T) {
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1.0.0"},"optionalDependencies":{"b":"1.0.0"}},
		"node_modules/a":{"version":"1.0.0","os":["linux"]},"node_modules/b":{"version":"1.0.0","optional":true,"os":["darwin"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	darwin := Platform{OS: "darwin", CPU: "arm64"}
	sel, err := l.Select(Options{Platform: darwin, Host: linux})
	if err != nil || len(sel.Install) != 2 {
		t.Fatalf("target darwin on a linux host: %v %+v", err, sel)
	}
	if _, err := l.Select(Options{Platform: darwin}); !errors.Is(err, ErrBadPlatform) {
		t.Fatalf("darwin host: %v", err)
	}
}

// npm ci recomputes the dependency flags from the graph: the lockfile's
// record does not decide what --omit drops or which packages are optional.
func TestSelectComputesFlags(t *testing.T) {
	// The root requires a, yet the lockfile calls a optional: npm ci checks
	// it as required (EBADPLATFORM, checked with npm 11.19.1).
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1.0.0"}},
		"node_modules/a":{"version":"1.0.0","optional":true,"os":["darwin"]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Select(Options{Platform: linux}); !errors.Is(err, ErrBadPlatform) || !strings.Contains(err.Error(), "node_modules/a") {
		t.Fatalf("got %v", err)
	}

	// Recorded dev but needed by the project, recorded prod but only a dev
	// dependency's, recorded optional but required: --omit=dev
	// --omit=optional goes by the graph.
	l, err = Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"p":"1"},"devDependencies":{"d":"1"}},
		"node_modules/p":{"version":"1.0.0","dev":true,"dependencies":{"q":"1"}},
		"node_modules/q":{"version":"1.0.0","optional":true},
		"node_modules/d":{"version":"1.0.0"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := l.Select(Options{Platform: linux, Omit: Omit{Dev: true, Optional: true}})
	if err != nil {
		t.Fatal(err)
	}
	var installed []string
	for _, p := range sel.Install {
		installed = append(installed, p.Path)
	}
	if got, want := strings.Join(installed, " "), "node_modules/p node_modules/q"; got != want {
		t.Errorf("installed %s, want %s", got, want)
	}
	if len(sel.Skipped) != 1 || sel.Skipped[0].Package.Path != "node_modules/d" || sel.Skipped[0].Reason != "omitted (dev)" {
		t.Errorf("skipped %+v", sel.Skipped)
	}
}

func TestSelectNeedsPlatform(t *testing.T) {
	l, _ := readFixture(t, "basic")
	if _, err := l.Select(Options{}); err == nil {
		t.Fatal("Select without a platform succeeded")
	}
}

func TestSelectSharedOptionalDeps(t *testing.T) {
	// x and y are optional and both fail; z is needed only by them. npm
	// marks z gone whichever fails first; w is still needed by the root.
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"optionalDependencies":{"x":"1","y":"1"},"dependencies":{"w":"1"}},
		"node_modules/x":{"version":"1.0.0","optional":true,"os":["darwin"],"dependencies":{"z":"1","w":"1"}},
		"node_modules/y":{"version":"1.0.0","optional":true,"cpu":["arm64"],"dependencies":{"z":"1"}},
		"node_modules/z":{"version":"1.0.0","optional":true},
		"node_modules/w":{"version":"1.0.0"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := l.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Install) != 1 || sel.Install[0].Path != "node_modules/w" {
		t.Fatalf("installed %+v", sel.Install)
	}
}

func TestSelectBundledAndLinks(t *testing.T) {
	l, _ := readFixture(t, "bundle")
	sel, err := l.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	bundled := 0
	for _, p := range sel.Install {
		if p.Source == lock.SourceBundled {
			bundled++
		}
	}
	if bundled != 2 {
		t.Errorf("%d bundled entries in Install, want 2", bundled)
	}
}

func TestCheckList(t *testing.T) {
	for _, tc := range []struct {
		value string
		list  []string
		want  bool
	}{
		{"linux", []string{"linux"}, true},
		{"linux", []string{"darwin", "linux"}, true},
		{"linux", []string{"darwin"}, false},
		{"linux", []string{"!win32"}, true},
		{"win32", []string{"!win32"}, false},
		{"linux", []string{"!win32", "darwin"}, false},
		{"linux", []string{"any"}, true},
		{"linux", []string{}, true},
		{"", []string{"glibc"}, false},
	} {
		if got := checkList(tc.value, tc.list); got != tc.want {
			t.Errorf("checkList(%q, %q) = %v", tc.value, tc.list, got)
		}
	}
}

func TestPlatformMismatch(t *testing.T) {
	for _, tc := range []struct {
		pkg  lock.Package
		p    Platform
		want string
	}{
		{lock.Package{Libc: []string{"glibc"}}, Platform{OS: "darwin", CPU: "arm64"}, "libc glibc does not match no known libc"},
		{lock.Package{Libc: []string{}}, Platform{OS: "darwin", CPU: "arm64"}, "libc  does not match no known libc"},
		{lock.Package{Libc: []string{"musl"}}, linux, "libc musl does not match glibc"},
		{lock.Package{OS: []string{"!linux"}, CPU: []string{"arm64"}}, linux, "os !linux does not match linux; cpu arm64 does not match x64"},
		{lock.Package{OS: []string{"linux"}, CPU: []string{"x64"}, Libc: []string{"glibc"}}, linux, ""},
	} {
		got := ""
		if err := platformMismatch(&tc.pkg, tc.p); err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("%+v on %v: %q, want %q", tc.pkg, tc.p, got, tc.want)
		}
	}
}

func TestEngineMismatch(t *testing.T) {
	for _, tc := range []struct {
		engines      map[string]string
		node, npm    string
		wantMismatch bool
	}{
		{map[string]string{"node": ">=18"}, "20.20.2", "", false},
		{map[string]string{"node": ">=22"}, "20.20.2", "", true},
		{map[string]string{"node": ">=22"}, "", "", false},
		{map[string]string{"node": "^20.0.0"}, "v20.20.2", "", false},
		{map[string]string{"node": ">=20"}, "20.0.0-pre", "", false}, // prereleases count, as in npm
		{map[string]string{"npm": ">=12"}, "20.20.2", "11.19.1", true},
		{map[string]string{"vscode": "^1.80.0"}, "20.20.2", "11.19.1", false},
		{map[string]string{"node": "not a range"}, "20.20.2", "", true},
	} {
		err := engineMismatch(&lock.Package{Engines: tc.engines}, tc.node, tc.npm)
		if (err != nil) != tc.wantMismatch {
			t.Errorf("%v with node %q npm %q: %v", tc.engines, tc.node, tc.npm, err)
		}
	}
}

func TestResolveOmit(t *testing.T) {
	// Each case was checked with `npm config get omit include` (npm 11.19.1).
	for _, tc := range []struct {
		name                              string
		omitFlags, includeFlags, rcO, rcI []string
		nodeEnv                           string
		want                              Omit
	}{
		{name: "nothing"},
		{name: "--omit=dev", omitFlags: []string{"dev"}, want: Omit{Dev: true}},
		{name: "repeated", omitFlags: []string{"dev", "optional"}, want: Omit{Dev: true, Optional: true}},
		{name: "comma list (npm ignores it; airlock reads it)", omitFlags: []string{"dev,optional"}, want: Omit{Dev: true, Optional: true}},
		{name: "include wins", omitFlags: []string{"dev"}, includeFlags: []string{"dev"}},
		{name: "NODE_ENV=production", nodeEnv: "production", want: Omit{Dev: true}},
		{name: "NODE_ENV=production, --omit=optional", nodeEnv: "production", omitFlags: []string{"optional"}, want: Omit{Optional: true}},
		{name: "NODE_ENV=production, --include=dev", nodeEnv: "production", includeFlags: []string{"dev"}},
		{name: "NODE_ENV=production, .npmrc include=dev", nodeEnv: "production", rcI: []string{"dev"}},
		{name: "NODE_ENV=production, .npmrc omit=optional", nodeEnv: "production", rcO: []string{"optional"}, want: Omit{Optional: true}},
		{name: ".npmrc omit=dev, --omit=optional", rcO: []string{"dev"}, omitFlags: []string{"optional"}, want: Omit{Optional: true}},
		{name: ".npmrc omit dev+optional include optional", rcO: []string{"dev", "optional"}, rcI: []string{"optional"}, want: Omit{Dev: true}},
		{name: "... and --include=peer replaces .npmrc's include", rcO: []string{"dev", "optional"}, rcI: []string{"optional"}, includeFlags: []string{"peer"}, want: Omit{Dev: true, Optional: true}},
		{name: "include prod is allowed", includeFlags: []string{"prod"}},
		{name: "peer", omitFlags: []string{"peer"}, want: Omit{Peer: true}},
	} {
		got, err := ResolveOmit(tc.omitFlags, tc.includeFlags, tc.rcO, tc.rcI, tc.nodeEnv)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{{"bogus"}, {"prod"}, {""}, {"dev,"}} {
		if _, err := ResolveOmit(bad, nil, nil, nil, ""); !errors.Is(err, ErrBadOmit) {
			t.Errorf("--omit=%q: %v", bad, err)
		}
	}
}

func TestOmitConfigAliases(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name string
		c    OmitConfig
		want Omit
	}{
		{"--production", OmitConfig{Production: &yes}, Omit{Dev: true}},
		{"--production with .npmrc omit=optional", OmitConfig{Production: &yes, Omit: []string{"optional"}}, Omit{Dev: true, Optional: true}},
		{"--production=false under NODE_ENV=production", OmitConfig{Production: &no, NodeEnv: "production"}, Omit{}},
		{"--only=prod", OmitConfig{Only: "prod"}, Omit{Dev: true}},
		{"--only=production", OmitConfig{Only: "production"}, Omit{Dev: true}},
		{"--also=dev", OmitConfig{Also: "dev", Omit: []string{"dev"}}, Omit{}},
		{"--dev", OmitConfig{Dev: true, Omit: []string{"dev"}}, Omit{}},
		{"--optional=false", OmitConfig{Optional: &no}, Omit{Optional: true}},
		{"--optional", OmitConfig{Optional: &yes, Omit: []string{"optional"}}, Omit{}},
	} {
		got, err := tc.c.Resolve()
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestNpmPlatformNames(t *testing.T) {
	for goos, want := range map[string]string{"linux": "linux", "darwin": "darwin", "windows": "win32", "freebsd": "freebsd", "illumos": "sunos"} {
		if got := npmOS(goos); got != want {
			t.Errorf("npmOS(%s) = %s, want %s", goos, got, want)
		}
	}
	for goarch, want := range map[string]string{"amd64": "x64", "386": "ia32", "arm64": "arm64", "arm": "arm", "ppc64le": "ppc64", "s390x": "s390x", "mipsle": "mipsel"} {
		if got := npmCPU(goarch); got != want {
			t.Errorf("npmCPU(%s) = %s, want %s", goarch, got, want)
		}
	}
	if p := HostPlatform(); p.OS == "" || p.CPU == "" || p.Libc != "" {
		t.Errorf("HostPlatform() = %+v", p)
	}
}

func TestDetectLibc(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want string
	}{
		{"glibc ldd", fstest.MapFS{"usr/bin/ldd": {Data: []byte("#!/bin/bash\n# This file is part of the GNU C Library.\n")}}, "glibc"},
		{"musl ldd", fstest.MapFS{"usr/bin/ldd": {Data: []byte("#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list \"$@\"\n")}}, "musl"},
		{"unknown ldd", fstest.MapFS{"usr/bin/ldd": {Data: []byte("#!/bin/sh\n")}, "lib/ld-musl-x86_64.so.1": {}}, ""},
		{"no ldd, musl loader", fstest.MapFS{"lib/ld-musl-aarch64.so.1": {}}, "musl"},
		{"no ldd, glibc loader", fstest.MapFS{"lib64/ld-linux-x86-64.so.2": {}}, "glibc"},
		{"nothing", fstest.MapFS{}, ""},
	} {
		if got := detectLibc(tc.fs); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// npm ci recomputes the dependency flags from the graph and prunes what
// nothing needs, whatever the lockfile's "extraneous" says, before checking
// platforms: an unreachable entry (and what is nested in it) is skipped even
// when it could not run here, and a reachable one marked extraneous stays.
func TestSelectPrunesExtraneous(t *testing.T) {
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1.0.0","p":"1.0.0"}},
		"node_modules/a":{"version":"1.0.0","extraneous":true},
		"node_modules/p":{"version":"1.0.0","peerDependencies":{"y":"2"},"peerDependenciesMeta":{"y":{"optional":true}}},
		"node_modules/p/node_modules/y":{"version":"2.0.0","os":["darwin"],"dependencies":{"z":"1"}},
		"node_modules/p/node_modules/y/node_modules/z":{"version":"1.0.0"},
		"node_modules/gone":{"version":"1.0.0","cpu":["arm"]},
		"node_modules/gone/node_modules/inner":{"version":"1.0.0"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := l.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	var installed, extraneous []string
	for _, p := range sel.Install {
		installed = append(installed, p.Path)
	}
	for _, s := range sel.Skipped {
		if s.Why == SkipExtraneous {
			extraneous = append(extraneous, s.Package.Path)
		}
	}
	if got, want := strings.Join(installed, " "), "node_modules/a node_modules/p"; got != want {
		t.Errorf("installed %s, want %s", got, want)
	}
	if got, want := strings.Join(extraneous, " "), "node_modules/gone node_modules/gone/node_modules/inner node_modules/p/node_modules/y node_modules/p/node_modules/y/node_modules/z"; got != want {
		t.Errorf("extraneous %s, want %s", got, want)
	}
}
