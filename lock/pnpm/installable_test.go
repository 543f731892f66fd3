package pnpm

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// installableLock has a required and an optional package for another
// node, optional packages for darwin, arm64 and musl, and one that only
// the darwin package needs (left out with it; Skipped names only the
// package that did not match).
const installableLock = `lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      new-node:
        specifier: 1.0.0
        version: 1.0.0
    devDependencies:
      dev-only:
        specifier: 1.0.0
        version: 1.0.0
    optionalDependencies:
      darwin-only:
        specifier: 1.0.0
        version: 1.0.0
      arm-only:
        specifier: 1.0.0
        version: 1.0.0
      musl-only:
        specifier: 1.0.0
        version: 1.0.0
      opt-new-node:
        specifier: 1.0.0
        version: 1.0.0
      opt-any-node:
        specifier: 1.0.0
        version: 1.0.0

packages:

  new-node@1.0.0:
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=99'}

  dev-only@1.0.0:
    resolution: {integrity: sha512-AAAA}

  darwin-only@1.0.0:
    resolution: {integrity: sha512-AAAA}
    os: [darwin]

  needed-by-darwin@1.0.0:
    resolution: {integrity: sha512-AAAA}

  arm-only@1.0.0:
    resolution: {integrity: sha512-AAAA}
    cpu: [arm64]

  musl-only@1.0.0:
    resolution: {integrity: sha512-AAAA}
    libc: [musl]

  opt-new-node@1.0.0:
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=99.0.0-0'}

  opt-any-node@1.0.0:
    resolution: {integrity: sha512-AAAA}
    engines: {node: '>=18', npm: '>=99'}

snapshots:

  new-node@1.0.0: {}

  dev-only@1.0.0: {}

  darwin-only@1.0.0:
    optional: true
    dependencies:
      needed-by-darwin: 1.0.0

  needed-by-darwin@1.0.0:
    optional: true

  arm-only@1.0.0:
    optional: true

  musl-only@1.0.0:
    optional: true

  opt-new-node@1.0.0:
    optional: true

  opt-any-node@1.0.0:
    optional: true
`

func names(sel *Selection) []string {
	var out []string
	for _, p := range sel.Install {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

// TestSelectInstallable checks Select against pnpm's packageIsInstallable
// (config/package-is-installable: checkPlatform, then checkEngine on
// engines.node only, since the lockfile filter passes no pnpm version) as
// filterLockfileByImportersAndEngine applies it.
func TestSelectInstallable(t *testing.T) {
	lf, err := Parse([]byte(installableLock))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		o         Options
		want      []string
		warnings  []string // substrings, one per warning
		skipped   int
		strictErr error
	}{
		{
			name:     "linux x64 glibc, node 20",
			o:        Options{Platform: linux, NodeVersion: "20.20.2"},
			want:     []string{"dev-only", "new-node", "opt-any-node"},
			warnings: []string{`unsupported engine: new-node@1.0.0 wants engines.node ">=99", this is node 20.20.2`},
			skipped:  4,
		},
		{
			// An unknown node skips the engines check: pnpm always knows
			// its node, airlock does not run one.
			name:    "node unknown",
			o:       Options{Platform: linux},
			want:    []string{"dev-only", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 3,
		},
		{
			// A prerelease satisfies a range with a prerelease-free bound
			// (semver.satisfies with includePrerelease).
			name:    "node prerelease",
			o:       Options{Platform: linux, NodeVersion: "99.0.0-nightly"},
			want:    []string{"dev-only", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 3,
		},
		{
			name:    "supportedArchitectures adds darwin and arm64",
			o:       Options{Platform: linux, NodeVersion: "99.1.0", Supported: &Architectures{OS: []string{"current", "darwin"}, CPU: []string{"current", "arm64"}}},
			want:    []string{"arm-only", "darwin-only", "dev-only", "needed-by-darwin", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 1,
		},
		{
			// Without "current" the host's own values are not supported.
			name:    "supportedArchitectures without current",
			o:       Options{Platform: linux, NodeVersion: "99.1.0", Supported: &Architectures{OS: []string{"darwin"}}},
			want:    []string{"darwin-only", "dev-only", "needed-by-darwin", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 2,
		},
		{
			name:    "supportedArchitectures libc musl",
			o:       Options{Platform: linux, NodeVersion: "99.1.0", Supported: &Architectures{Libc: []string{"musl"}}},
			want:    []string{"dev-only", "musl-only", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 2,
		},
		{
			// An unknown libc is not checked (checkPlatform: currentLibc
			// "unknown").
			name:    "libc unknown",
			o:       Options{Platform: Platform{OS: "linux", CPU: "x64"}, NodeVersion: "99.1.0"},
			want:    []string{"dev-only", "musl-only", "new-node", "opt-any-node", "opt-new-node"},
			skipped: 2,
		},
		{
			// --dev: dependencies and optional dependencies are left out.
			name: "no prod",
			o:    Options{Platform: linux, NodeVersion: "20.0.0", NoProd: true},
			want: []string{"dev-only"},
		},
		{
			name:      "engine-strict",
			o:         Options{Platform: linux, NodeVersion: "20.0.0", EngineStrict: true},
			strictErr: ErrBadEngine,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := lf.Select(tc.o)
			if tc.strictErr != nil {
				if !errors.Is(err, tc.strictErr) || !strings.Contains(err.Error(), "new-node@1.0.0") {
					t.Fatalf("err = %v, want %v naming new-node", err, tc.strictErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(sel); !slices.Equal(got, tc.want) {
				t.Errorf("installed %v, want %v", got, tc.want)
			}
			if len(sel.Skipped) != tc.skipped {
				t.Errorf("skipped %d: %+v", len(sel.Skipped), sel.Skipped)
			}
			if len(sel.Warnings) != len(tc.warnings) {
				t.Fatalf("warnings %+v, want %q", sel.Warnings, tc.warnings)
			}
			for i, w := range tc.warnings {
				if !strings.Contains(sel.Warnings[i].Message, w) {
					t.Errorf("warning %q, want %q", sel.Warnings[i].Message, w)
				}
			}
			if tc.o.NoProd {
				if imp := sel.Importers[0]; len(imp.Dependencies) != 0 || len(imp.Optional) != 0 || len(imp.Dev) != 1 {
					t.Errorf("importer %+v", imp)
				}
			}
		})
	}
}

func TestWithCurrentAndCheckList(t *testing.T) {
	for _, tc := range []struct {
		values, list []string
		want         bool
	}{
		{[]string{"linux"}, []string{"linux", "darwin"}, true},
		{[]string{"linux"}, []string{"!win32"}, true},
		{[]string{"linux"}, []string{"!linux"}, false},
		{[]string{"linux", "darwin"}, []string{"darwin"}, true},
		// pnpm counts a negation once per supported value, so two
		// values never pass a one-entry negated list: kept as pnpm does.
		{[]string{"linux", "darwin"}, []string{"!win32"}, false},
		{[]string{"linux"}, []string{"any"}, true},
	} {
		if got := checkList(tc.values, tc.list); got != tc.want {
			t.Errorf("checkList(%v, %v) = %v", tc.values, tc.list, got)
		}
	}
	if got := withCurrent([]string{"current", "darwin"}, "linux"); !slices.Equal(got, []string{"linux", "darwin"}) {
		t.Errorf("withCurrent = %v", got)
	}
	if got := withCurrent(nil, "linux"); !slices.Equal(got, []string{"linux"}) {
		t.Errorf("withCurrent(nil) = %v", got)
	}
}
