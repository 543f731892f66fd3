package npm

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

func pkgAt(t *testing.T, l *Lockfile, path string) lock.Package {
	t.Helper()
	i, ok := slices.BinarySearchFunc(l.Packages, path, func(p lock.Package, s string) int { return strings.Compare(p.Path, s) })
	if !ok {
		t.Fatalf("no entry %q", path)
	}
	return l.Packages[i]
}

func TestParseFixtures(t *testing.T) {
	type check struct {
		path  string
		check func(lock.Package) bool
		what  string
	}
	for _, tc := range []struct {
		fixture    string
		version    int
		name       string
		count      int
		workspaces []string
		checks     []check
	}{
		{fixture: "basic", version: 3, name: "basic", count: 23, checks: []check{
			{"node_modules/my-ms", func(p lock.Package) bool {
				return p.Name == "ms" && p.Version == "2.0.0" && p.Source == lock.SourceRegistry && p.Resolved == ""
			}, "alias: published name ms, registry, no resolved"},
			{"node_modules/@types/ms", func(p lock.Package) bool {
				return p.Name == "@types/ms" && p.Integrity == "sha512-nG96G3Wp6acyAgJqGasjODb+acrI7KltPiRxzHPXnP3NgI28bpQDRv53olbqGXbfcgF5aiiHmO3xpwEpS5Ld9g=="
			}, "scoped name from the path, integrity verbatim"},
			{"node_modules/fsevents", func(p lock.Package) bool {
				return p.Optional && slices.Equal(p.OS, []string{"darwin"}) && p.Engines["node"] == "^8.16.0 || ^10.6.0 || >=11.0.0"
			}, "optional, os, engines"},
			{"node_modules/semver", func(p lock.Package) bool {
				return p.Dev && maps.Equal(p.Bin, map[string]string{"semver": "bin/semver.js"})
			}, "dev with bin"},
			{"node_modules/debug/node_modules/ms", func(p lock.Package) bool { return p.Name == "ms" && p.Version == "2.0.0" }, "nested"},
			{"node_modules/is-odd/node_modules/is-number", func(p lock.Package) bool { return p.Optional && p.Ecosystem == lock.NPM }, "nested optional"},
		}},
		{fixture: "basic-v2", version: 2, name: "basic", count: 23, checks: []check{
			{"node_modules/@types/ms", func(p lock.Package) bool {
				return p.Source == lock.SourceRegistry && p.Resolved == "https://registry.npmjs.org/@types/ms/-/ms-0.7.34.tgz"
			}, "registry resolved URL kept"},
			{"node_modules/my-ms", func(p lock.Package) bool {
				return p.Source == lock.SourceRegistry && p.Resolved == "https://registry.npmjs.org/ms/-/ms-2.0.0.tgz"
			}, "alias resolves to the real name's tarball"},
		}},
		{fixture: "shrinkwrap", version: 3, name: "basic", count: 23},
		{fixture: "workspaces", version: 3, name: "ws-root", count: 16, workspaces: []string{"packages/a", "packages/b", "tools/c"}, checks: []check{
			{"node_modules/@ws/a", func(p lock.Package) bool {
				return p.Source == lock.SourceLink && p.Resolved == "packages/a" && p.Name == "@ws/a" && p.Version == "1.0.0" &&
					maps.Equal(p.Bin, map[string]string{"a": "cli.js"})
			}, "link carries its target's name, version and bin"},
			{"packages/a", func(p lock.Package) bool { return p.Source == lock.SourceWorkspace && p.Name == "@ws/a" }, "workspace"},
			{"libs/local", func(p lock.Package) bool { return p.Source == lock.SourceWorkspace && p.Name == "local-lib" }, "file: directory"},
			{"packages/b/node_modules/is-number", func(p lock.Package) bool { return p.Optional && p.Source == lock.SourceRegistry }, "workspace's nested dep"},
			{"tools/c", func(p lock.Package) bool { return p.Name == "c-tool" }, "name field wins over the folder"},
		}},
		{fixture: "sources", version: 3, name: "sources", count: 8, checks: []check{
			{"node_modules/remote-ms", func(p lock.Package) bool {
				return p.Source == lock.SourceRegistry && p.Name == "ms" && p.Resolved == "https://registry.npmjs.org/ms/-/ms-2.1.1.tgz"
			}, "a URL of registry shape is a registry source"},
			{"node_modules/vendored-ms", func(p lock.Package) bool {
				return p.Source == lock.SourceFile && p.Resolved == "file:vendor/ms-2.1.3.tgz"
			}, "file tarball"},
			{"node_modules/react", func(p lock.Package) bool { return p.Peer && !p.Dev }, "peer"},
			{"node_modules/is-number", func(p lock.Package) bool { return p.DevOptional && !p.Dev && !p.Optional }, "devOptional"},
			{"node_modules/loose-envify", func(p lock.Package) bool { return maps.Equal(p.Bin, map[string]string{"loose-envify": "cli.js"}) }, "bin"},
		}},
		{fixture: "bundle", version: 3, name: "bundle", count: 4, checks: []check{
			{"node_modules/bundler-pkg", func(p lock.Package) bool { return p.Source == lock.SourceFile }, "file tarball"},
			{"node_modules/bundler-pkg/node_modules/debug", func(p lock.Package) bool { return p.Source == lock.SourceBundled }, "bundled"},
			{"node_modules/bundler-pkg/node_modules/ms", func(p lock.Package) bool { return p.Source == lock.SourceBundled }, "transitively bundled"},
		}},
		{fixture: "rollup", version: 3, name: "native", count: 19, checks: []check{
			{"node_modules/@rollup/rollup-linux-x64-musl", func(p lock.Package) bool {
				return slices.Equal(p.Libc, []string{"musl"}) && slices.Equal(p.CPU, []string{"x64"}) && p.Dev && p.Optional
			}, "libc"},
		}},
		{fixture: "git", version: 2, name: "@isaacs/minimist-git-dep", count: 1, checks: []check{
			{"node_modules/minimist", func(p lock.Package) bool {
				return p.Source == lock.SourceGit && p.Peer && p.Resolved == "git+ssh://git@github.com/substack/minimist.git#3754568bfd43a841d2d72d7fb54598635aea8fa4"
			}, "git"},
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			l, data := readFixture(t, tc.fixture)
			if l.LockfileVersion != tc.version || l.Name != tc.name || len(l.Packages) != tc.count {
				t.Errorf("got version %d name %q %d packages; want %d %q %d", l.LockfileVersion, l.Name, len(l.Packages), tc.version, tc.name, tc.count)
			}
			if !slices.IsSortedFunc(l.Packages, func(a, b lock.Package) int { return strings.Compare(a.Path, b.Path) }) {
				t.Error("Packages not sorted by Path")
			}
			if !slices.Equal(l.Workspaces, tc.workspaces) {
				t.Errorf("Workspaces = %q, want %q", l.Workspaces, tc.workspaces)
			}
			for _, c := range tc.checks {
				if p := pkgAt(t, l, c.path); !c.check(p) {
					t.Errorf("%s: %s: got %+v", c.path, c.what, p)
				}
			}
			// Raw holds every entry, the root too, byte for byte.
			var top struct {
				Packages map[string]json.RawMessage `json:"packages"`
			}
			if err := json.Unmarshal(data, &top); err != nil {
				t.Fatal(err)
			}
			if len(l.Raw) != len(top.Packages) || len(l.Raw) != len(l.Packages)+1 {
				t.Fatalf("Raw has %d entries, the file %d, Packages %d", len(l.Raw), len(top.Packages), len(l.Packages))
			}
			for k, v := range top.Packages {
				if string(l.Raw[k]) != string(v) {
					t.Errorf("Raw[%q] differs from the file", k)
				}
			}
		})
	}
}

// lockJSON builds a lockfileVersion 3 file from "packages" entries.
func lockJSON(entries string) []byte {
	return []byte(`{"name":"p","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"p","version":"1.0.0"}` + entries + `}}`)
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  []byte
		want  error
		entry string // the path the error must name, if any
		text  string // a fragment the message must contain
	}{
		{"v1", []byte(`{"lockfileVersion":1,"dependencies":{}}`), ErrLockfileV1, "", "npm install --package-lock-only"},
		{"no packages", []byte(`{"lockfileVersion":3}`), ErrLockfileV1, "", "lockfileVersion 3"},
		{"v4", []byte(`{"lockfileVersion":4,"packages":{}}`), ErrUnsupportedVersion, "", "newer"},
		{"fractional", []byte(`{"lockfileVersion":2.5,"packages":{}}`), ErrUnsupportedVersion, "", "2.5"},
		{"string version", []byte(`{"lockfileVersion":"3","packages":{}}`), ErrUnsupportedVersion, "", "not a number"},
		{"missing version", []byte(`{"packages":{}}`), ErrUnsupportedVersion, "", "missing"},
		{"zero", []byte(`{"lockfileVersion":0,"packages":{}}`), ErrUnsupportedVersion, "", "positive"},
		{"not json", []byte(`lockfileVersion: 3`), ErrSyntax, "", ""},
		{"array", []byte(`[]`), ErrSyntax, "", "not a JSON object"},
		{"trailing garbage", []byte(`{"lockfileVersion":3,"packages":{}} x`), ErrSyntax, "", ""},
		{"packages array", []byte(`{"lockfileVersion":3,"packages":[]}`), ErrSyntax, "", "packages"},
		{"entry not object", lockJSON(`,"node_modules/a":"1.0.0"`), ErrInvalidEntry, "node_modules/a", ""},
		{"absolute", lockJSON(`,"/etc/x":{"version":"1.0.0"}`), ErrOutsideProject, "/etc/x", "absolute"},
		{"drive letter", lockJSON(`,"C:/x/node_modules/a":{"version":"1.0.0"}`), ErrOutsideProject, "C:/x/node_modules/a", ""},
		{"dotdot", lockJSON(`,"node_modules/a/../../x":{"version":"1.0.0"}`), ErrOutsideProject, "node_modules/a/../../x", ".."},
		{"outside dir", lockJSON(`,"../shared":{"version":"1.0.0"}`), ErrOutsideProject, "../shared", "workspace"},
		{"dot segment", lockJSON(`,"./node_modules/a":{"version":"1.0.0"}`), ErrUnsafePath, "./node_modules/a", ""},
		{"empty segment", lockJSON(`,"node_modules//a":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules//a", ""},
		{"backslash", lockJSON(`,"node_modules\\a":{"version":"1.0.0"}`), ErrUnsafePath, `node_modules\a`, "backslash"},
		{"nul", lockJSON(`,"node_modules/a\u0000":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/a\x00", "NUL"},
		{"control", lockJSON(`,"node_modules/a\n":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/a\n", ""},
		{"bare node_modules", lockJSON(`,"node_modules":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules", ""},
		{"scope only", lockJSON(`,"node_modules/@s":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/@s", "scope"},
		{"extra segment", lockJSON(`,"node_modules/a/lib":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/a/lib", "only node_modules"},
		{"dot folder", lockJSON(`,"node_modules/.bin":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/.bin", "period"},
		{"nested node_modules name", lockJSON(`,"node_modules/node_modules/a":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/node_modules/a", ""},
		{"scoped dotdot", lockJSON(`,"node_modules/@s/..":{"version":"1.0.0"}`), ErrOutsideProject, "node_modules/@s/..", ""},
		{"dotdot scope", lockJSON(`,"node_modules/@../x":{"version":"1.0.0"}`), ErrBadName, "node_modules/@../x", "scope"},
		{"non-url-safe folder", lockJSON(`,"node_modules/a b":{"version":"1.0.0"}`), ErrUnsafePath, "node_modules/a b", "URL-friendly"},
		{"bad name field", lockJSON(`,"node_modules/a":{"name":"../../evil","version":"1.0.0"}`), ErrBadName, "node_modules/a", "evil"},
		{"name with slash", lockJSON(`,"node_modules/a":{"name":"a/b","version":"1.0.0"}`), ErrBadName, "node_modules/a", ""},
		{"name underscore", lockJSON(`,"node_modules/a":{"name":"_a","version":"1.0.0"}`), ErrBadName, "node_modules/a", "underscore"},
		{"link outside", lockJSON(`,"node_modules/a":{"resolved":"../a","link":true}`), ErrOutsideProject, "node_modules/a", ".."},
		{"link absolute", lockJSON(`,"node_modules/a":{"resolved":"/tmp/a","link":true}`), ErrOutsideProject, "node_modules/a", ""},
		{"link missing target", lockJSON(`,"node_modules/a":{"resolved":"packages/a","link":true}`), ErrMissingTarget, "node_modules/a", "npm install"},
		{"link to link", lockJSON(`,"node_modules/a":{"resolved":"node_modules/b","link":true},"node_modules/b":{"resolved":"packages/b","link":true},"packages/b":{}`), ErrMissingTarget, "node_modules/a", ""},
		{"link to itself", lockJSON(`,"node_modules/a":{"resolved":"node_modules/a","link":true}`), ErrMissingTarget, "node_modules/a", ""},
		{"link without target", lockJSON(`,"node_modules/a":{"link":true}`), ErrInvalidEntry, "node_modules/a", "resolved"},
		{"nothing to fetch", lockJSON(`,"node_modules/a":{"integrity":"sha512-x"}`), ErrInvalidEntry, "node_modules/a", "damaged"},
		{"odd resolved", lockJSON(`,"node_modules/a":{"version":"1.0.0","resolved":"ftp://x/a.tgz"}`), ErrInvalidEntry, "node_modules/a", "ftp"},
		{"dev not bool", lockJSON(`,"node_modules/a":{"version":"1.0.0","dev":"yes"}`), ErrInvalidEntry, "node_modules/a", "dev"},
		{"version not string", lockJSON(`,"node_modules/a":{"version":1}`), ErrInvalidEntry, "node_modules/a", "version"},
		{"os not strings", lockJSON(`,"node_modules/a":{"version":"1.0.0","os":[1]}`), ErrInvalidEntry, "node_modules/a", "os"},
		{"dependency not string", lockJSON(`,"node_modules/a":{"version":"1.0.0","dependencies":{"b":1}}`), ErrInvalidEntry, "node_modules/a", `"b"`},
		{"workspaces not list", []byte(`{"lockfileVersion":3,"packages":{"":{"workspaces":"packages/*"}}}`), ErrInvalidEntry, "", "workspaces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.data)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Parse = %v, %v; want %v", l, err, tc.want)
			}
			var ee *EntryError
			if tc.entry != "" && (!errors.As(err, &ee) || ee.Path != tc.entry) {
				t.Errorf("error %q does not name entry %q", err, tc.entry)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.HasPrefix(err.Error(), "lock/npm: ") {
				t.Errorf("error %q lacks %q or the package prefix", err, tc.text)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	data := make([]byte, MaxLockfileSize+1)
	if _, err := Parse(data); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// TestParseJSONLikeNpm: the lockfile must mean to airlock what it means to
// npm's JSON.parse, or an attacker could show each a different package.
func TestParseJSONLikeNpm(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		path string
		want func(lock.Package) bool
	}{
		{"field names are case-sensitive",
			lockJSON(`,"node_modules/a":{"version":"1.0.0","Resolved":"https://evil.example/a.tgz","Version":"6.6.6"}`),
			"node_modules/a", func(p lock.Package) bool { return p.Version == "1.0.0" && p.Resolved == "" }},
		{"byte-order mark",
			append([]byte("\xef\xbb\xbf"), lockJSON(`,"node_modules/a":{"version":"1.0.0"}`)...),
			"node_modules/a", func(p lock.Package) bool { return p.Version == "1.0.0" }},
		{"null fields read as absent",
			lockJSON(`,"node_modules/a":{"version":"1.0.0","resolved":null,"dev":null,"os":null}`),
			"node_modules/a", func(p lock.Package) bool { return p.Resolved == "" && !p.Dev && p.OS == nil }},
		{"os as a string",
			lockJSON(`,"node_modules/a":{"version":"1.0.0","os":"darwin"}`),
			"node_modules/a", func(p lock.Package) bool { return slices.Equal(p.OS, []string{"darwin"}) }},
		{"empty libc list is kept",
			lockJSON(`,"node_modules/a":{"version":"1.0.0","libc":[]}`),
			"node_modules/a", func(p lock.Package) bool { return p.Libc != nil && len(p.Libc) == 0 }},
		{"engines as an ancient array is ignored",
			lockJSON(`,"node_modules/a":{"version":"1.0.0","engines":["node >= 0.4"]}`),
			"node_modules/a", func(p lock.Package) bool { return p.Engines == nil }},
		{"capitals are allowed in old names",
			lockJSON(`,"node_modules/JSONStream":{"version":"1.3.5"}`),
			"node_modules/JSONStream", func(p lock.Package) bool { return p.Name == "JSONStream" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Parse(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if p := pkgAt(t, l, tc.path); !tc.want(p) {
				t.Errorf("got %+v", p)
			}
		})
	}
}

// A repeated key inside a dependency map decides no bytes (only which
// package.json changes CheckInSync tolerates), so it is read as npm reads
// it rather than refused like a repeated entry field.
func TestDuplicateDependencyKeepsLast(t *testing.T) {
	l, err := Parse(lockJSON(`,"node_modules/a":{"version":"1.0.0","dependencies":{"b":"^1","b":"^2"}},"node_modules/b":{"version":"2.0.0"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := l.nodes["node_modules/a"].specs[edgeProd]["b"]; got != "^2" {
		t.Errorf("dependencies.b = %q, want the last value ^2", got)
	}
}

func TestOutsideFixture(t *testing.T) {
	data := mustRead(t, "testdata/outside/package-lock.json")
	_, err := Parse(data)
	var ee *EntryError
	if !errors.Is(err, ErrOutsideProject) || !errors.As(err, &ee) || ee.Path != "../shared" {
		t.Fatalf("got %v", err)
	}
}

func TestV1Fixture(t *testing.T) {
	if _, err := Parse(mustRead(t, "testdata/v1/package-lock.json")); !errors.Is(err, ErrLockfileV1) {
		t.Fatalf("got %v", err)
	}
}

func TestSource(t *testing.T) {
	for _, tc := range []struct {
		name, version, resolved string
		want                    lock.Source
	}{
		{"a", "1.0.0", "", lock.SourceRegistry},
		{"a", "1.0.0", "https://registry.npmjs.org/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"@s/a", "1.0.0", "https://registry.npmjs.org/@s/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"@s/a", "1.0.0", "https://registry.example/@s%2fa/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"a", "1.0.0", "https://art.example/artifactory/api/npm/npm/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"a", "1.0.0", "http://localhost:4873/a/-/a-1.0.0.tgz", lock.SourceRegistry},
		{"a", "1.0.0", "https://registry.npmjs.org/a/-/a-1.0.1.tgz", lock.SourceRemote},
		{"a", "1.0.0", "https://registry.npmjs.org/b/-/a-1.0.0.tgz", lock.SourceRemote},
		{"a", "1.0.0", "https://registry.npmjs.org/a/-/a-1.0.0.tgz?token=x", lock.SourceRemote},
		{"a", "1.0.0", "https://user:pw@registry.npmjs.org/a/-/a-1.0.0.tgz", lock.SourceRemote},
		{"a", "1.0.0", "https://codeload.github.com/o/a/tar.gz/abc", lock.SourceRemote},
		{"a", "1.0.0", "git+ssh://git@github.com/o/a.git#0123456789abcdef0123456789abcdef01234567", lock.SourceGit},
		{"a", "1.0.0", "git+https://gitlab.com/o/a.git#abc", lock.SourceGit},
		{"a", "1.0.0", "git://example.com/a.git", lock.SourceGit},
		{"a", "1.0.0", "github:o/a#abc", lock.SourceGit},
		{"a", "1.0.0", "file:vendor/a-1.0.0.tgz", lock.SourceFile},
		{"a", "", "file:../a-1.0.0.tgz", lock.SourceFile},
	} {
		entry := `,"node_modules/` + tc.name + `":{"version":"` + tc.version + `","resolved":"` + tc.resolved + `"}`
		l, err := Parse(lockJSON(entry))
		if err != nil {
			t.Errorf("%s: %v", tc.resolved, err)
			continue
		}
		if p := l.Packages[0]; p.Source != tc.want || p.Resolved != tc.resolved {
			t.Errorf("%q: Source %v Resolved %q, want %v", tc.resolved, p.Source, p.Resolved, tc.want)
		}
	}
}

func TestNormalizeBin(t *testing.T) {
	for _, tc := range []struct {
		raw, name string
		want      map[string]string
	}{
		{`"cli.js"`, "a", map[string]string{"a": "cli.js"}},
		{`"./bin/cli.js"`, "@s/a", map[string]string{"a": "bin/cli.js"}},
		{`{"x":"bin/x.js","y":"./y.js"}`, "a", map[string]string{"x": "bin/x.js", "y": "y.js"}},
		{`{"../../evil":"x.js"}`, "a", map[string]string{"evil": "x.js"}},
		{`{"x":"../../../etc/passwd"}`, "a", map[string]string{"x": "etc/passwd"}},
		{`{"a\\b":"x.js","c:d":"y.js"}`, "a", map[string]string{"b": "x.js", "d": "y.js"}},
		{`{"x":"bin\\x.js"}`, "a", map[string]string{"x": "bin/x.js"}},
		{`{"..":"x.js","x":"..","y":1}`, "a", nil},
		{`["bin/x.js","y"]`, "a", map[string]string{"x.js": "bin/x.js", "y": "y"}},
		{`""`, "a", nil},
		{`true`, "a", nil},
		{`{}`, "a", nil},
	} {
		if got := normalizeBin(json.RawMessage(tc.raw), tc.name); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("normalizeBin(%s, %q) = %v, want %v", tc.raw, tc.name, got, tc.want)
		}
	}
}

func TestFindLockfile(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"package.json", "package-lock.json"}, "package-lock.json"},
		{[]string{"package-lock.json", "npm-shrinkwrap.json"}, "npm-shrinkwrap.json"},
		{[]string{"package.json", "yarn.lock"}, ""},
	} {
		if got := FindLockfile(tc.names); got != tc.want {
			t.Errorf("FindLockfile(%q) = %q, want %q", tc.names, got, tc.want)
		}
	}
}

func TestWorkspaceGlobs(t *testing.T) {
	keys := []string{"", "packages/a", "packages/b", "packages/.hidden", "packages/a/sub", "apps/web", "tools/c",
		"node_modules/x", "packages/a/node_modules/y", "libs/local"}
	for _, tc := range []struct {
		patterns []string
		want     []string
	}{
		{[]string{"packages/*"}, []string{"packages/a", "packages/b"}},
		{[]string{"./packages/*/"}, []string{"packages/a", "packages/b"}},
		{[]string{"packages/**"}, []string{"packages/a", "packages/b", "packages/a/sub"}},
		{[]string{"packages/*", "!packages/b"}, []string{"packages/a"}},
		{[]string{"packages/*", "!packages/b", "packages/b"}, []string{"packages/a", "packages/b"}},
		{[]string{"{apps,tools}/*"}, []string{"apps/web", "tools/c"}},
		{[]string{"**/c"}, []string{"tools/c"}},
		{[]string{"packages/[ab]"}, []string{"packages/a", "packages/b"}},
		{[]string{"**"}, []string{"packages/a", "packages/b", "packages/a/sub", "apps/web", "tools/c", "libs/local"}},
		{nil, nil},
	} {
		if got := matchWorkspaces(tc.patterns, keys); !slices.Equal(got, tc.want) {
			t.Errorf("matchWorkspaces(%q) = %q, want %q", tc.patterns, got, tc.want)
		}
	}
}

func TestWorkspaceNeedsLink(t *testing.T) {
	// A directory the globs match is a workspace only with its link, as in
	// npm; the object form of "workspaces" is accepted.
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{
		"":{"name":"r","workspaces":{"packages":["packages/*"]}},
		"packages/a":{"name":"a","version":"1.0.0"},
		"packages/b":{"name":"b","version":"1.0.0"},
		"node_modules/a":{"resolved":"packages/a","link":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Workspaces, []string{"packages/a"}) {
		t.Fatalf("Workspaces = %q", l.Workspaces)
	}
}

func TestInventoryOrderIsJavaScripts(t *testing.T) {
	obj, ok, err := decodeObject([]byte(`{"b":1,"10":2,"a":3,"2":4,"b":5,"01":6,"4294967295":7}`))
	if err != nil || !ok {
		t.Fatal(err)
	}
	want := []string{"2", "10", "b", "a", "01", "4294967295"}
	if !slices.Equal(obj.keys, want) || string(obj.values["b"]) != "5" {
		t.Fatalf("keys %q, b=%s; want %q, b=5", obj.keys, obj.values["b"], want)
	}
}

func TestFileIsDirectory(t *testing.T) {
	// node_modules/local-lib is how npm 11 --install-links records a file:
	// directory dependency (checked with npm install --package-lock-only).
	l, err := Parse(lockJSON(`,"node_modules/local-lib":{"version":"3.0.0","resolved":"file:libs/local","dev":true},
		"node_modules/t":{"version":"1.0.0","resolved":"file:vendor/t-1.0.0.TGZ"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p := pkgAt(t, l, "node_modules/local-lib"); p.Source != lock.SourceFile || !FileIsDirectory(p) {
		t.Errorf("local-lib: %+v", p)
	}
	if p := pkgAt(t, l, "node_modules/t"); p.Source != lock.SourceFile || FileIsDirectory(p) {
		t.Errorf("t: %+v", p)
	}
}
