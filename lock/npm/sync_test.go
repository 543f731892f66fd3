package npm

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// workspaceManifests reads the package.json of every workspace of a fixture.
func workspaceManifests(t *testing.T, fixture string, l *Lockfile) map[string][]byte {
	t.Helper()
	if len(l.Workspaces) == 0 {
		return nil
	}
	ws := map[string][]byte{}
	for _, d := range l.Workspaces {
		ws[d] = mustRead(t, filepath.Join("testdata", fixture, d, "package.json"))
	}
	return ws
}

func TestCheckInSyncFixtures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*/package.json")
	checked := 0
	for _, pj := range dirs {
		fixture := filepath.Base(filepath.Dir(pj))
		if fixture == "v1" || fixture == "outside" {
			continue
		}
		checked++
		l, _ := readFixture(t, fixture)
		for _, ws := range []map[string][]byte{workspaceManifests(t, fixture, l), nil} {
			if err := CheckInSync(l, mustRead(t, pj), ws); err != nil {
				t.Errorf("%s: npm wrote this lockfile from this package.json, yet: %v", fixture, err)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d fixtures", checked)
	}
}

// editJSON applies edit to a decoded JSON document.
func editJSON(t *testing.T, data []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sub(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}

// TestCheckInSync replays edits whose effect on real `npm ci` was observed
// (npm 11.19.1); "npm" says what npm ci did.
func TestCheckInSync(t *testing.T) {
	for _, tc := range []struct {
		name, fixture string
		pkg           func(map[string]any) // edit to package.json
		lockEdit      func(map[string]any) // edit to the lockfile
		ws            func(map[string]map[string]any)
		npm           string   // what npm ci did
		want          []string // problems, as SyncProblem.String() prefixes; nil = in sync
	}{
		{name: "added dependency", fixture: "basic",
			pkg:  func(p map[string]any) { sub(p, "dependencies")["is-even"] = "1.0.0" },
			npm:  "Missing: is-even@1.0.0 from lock file (and its dependencies)",
			want: []string{"Missing: is-even@1.0.0 from the lockfile (package.json dependencies)"}},
		{name: "spec changed, still satisfied", fixture: "basic",
			pkg: func(p map[string]any) { sub(p, "dependencies")["ms"] = "^2.1.0" },
			npm: "installs"},
		{name: "spec changed, unsatisfied", fixture: "basic",
			pkg:  func(p map[string]any) { sub(p, "dependencies")["ms"] = "2.1.2" },
			npm:  "Invalid: lock file's ms@2.1.3 does not satisfy ms@2.1.2",
			want: []string{"Invalid: the lockfile's ms@2.1.3 at node_modules/ms does not satisfy ms@2.1.2 (package.json dependencies)"}},
		{name: "dist-tag", fixture: "basic",
			pkg: func(p map[string]any) { sub(p, "dependencies")["ms"] = "latest" },
			npm: "installs"},
		{name: "added peer dependency", fixture: "basic",
			pkg:  func(p map[string]any) { sub(p, "peerDependencies")["left-pad"] = "1.3.0" },
			npm:  "Missing: left-pad@1.3.0 from lock file",
			want: []string{"Missing: left-pad@1.3.0"}},
		{name: "dependency removed from package.json", fixture: "basic",
			pkg:  func(p map[string]any) { delete(sub(p, "dependencies"), "@types/ms") },
			npm:  "installs, leaving node_modules/@types/ms out (flags recomputed, extraneous pruned)",
			want: []string{"Extraneous: the lockfile records @types/ms in dependencies of the project root; package.json does not list it"}},
		{name: "dev dependency made a dependency", fixture: "basic",
			pkg: func(p map[string]any) {
				sub(p, "dependencies")["semver"] = sub(p, "devDependencies")["semver"]
				delete(sub(p, "devDependencies"), "semver")
			},
			npm:  "installs, and keeps semver with --omit=dev (flags recomputed)",
			want: []string{"Changed: package.json lists semver in dependencies; the lockfile records it in devDependencies"}},
		{name: "transitive entry made invalid", fixture: "basic",
			lockEdit: func(l map[string]any) { sub(l, "packages", "node_modules/debug/node_modules/ms")["version"] = "2.1.0" },
			npm:      "Invalid: lock file's ms@2.1.0 does not satisfy ms@2.0.0",
			want:     []string{"Invalid: the lockfile's ms@2.1.0 at node_modules/debug/node_modules/ms does not satisfy ms@2.0.0 (dependencies of node_modules/debug)"}},
		{name: "transitive entry deleted, falls back to the root's", fixture: "basic",
			lockEdit: func(l map[string]any) { delete(sub(l, "packages"), "node_modules/debug/node_modules/ms") },
			npm:      "Missing: ms@2.0.0 from lock file",
			want:     []string{"Invalid: the lockfile's ms@2.1.3 at node_modules/ms does not satisfy ms@2.0.0 (dependencies of node_modules/debug)"}},
		{name: "transitive entry deleted", fixture: "basic",
			lockEdit: func(l map[string]any) { delete(sub(l, "packages"), "node_modules/braces") },
			npm:      "Missing: braces@3.0.3 from lock file",
			want:     []string{"Missing: braces@~3.0.2 from the lockfile (dependencies of node_modules/chokidar)"}},
		{name: "transitive peer conflict", fixture: "peerconflict",
			npm: "installs, warning ERESOLVE overriding peer dependency (react-side-effect's peer react ^16 meets react 18)"},
		{name: "peer conflict of a direct dependency", fixture: "peerconflict",
			pkg: func(p map[string]any) { sub(p, "dependencies")["react-side-effect"] = "1.2.0" },
			lockEdit: func(l map[string]any) {
				pkgs := sub(l, "packages")
				sub(pkgs, "", "dependencies")["react-side-effect"] = "1.2.0"
				pkgs["node_modules/react-side-effect"] = pkgs["node_modules/react-helmet/node_modules/react-side-effect"]
				delete(pkgs, "node_modules/react-helmet/node_modules/react-side-effect")
			},
			npm:  "ERESOLVE could not resolve (peer react of react-side-effect, which the project depends on)",
			want: []string{"Invalid: the lockfile's react@18.3.1 at node_modules/react does not satisfy react@^0.13.0"}},
		{name: "workspace gained a dependency", fixture: "workspaces",
			ws:   func(ws map[string]map[string]any) { sub(ws["packages/a"], "dependencies")["is-even"] = "1.0.0" },
			npm:  "Missing: is-even@1.0.0 from lock file",
			want: []string{"Missing: is-even@1.0.0 from the lockfile (packages/a/package.json dependencies)"}},
		{name: "workspace version bumped", fixture: "workspaces",
			ws:  func(ws map[string]map[string]any) { ws["packages/b"]["version"] = "1.3.0" },
			npm: "installs"},
		{name: "sibling workspace out of range", fixture: "workspaces",
			ws:   func(ws map[string]map[string]any) { sub(ws["packages/a"], "dependencies")["@ws/b"] = "^2.0.0" },
			npm:  "E404 fetching @ws/b@^2.0.0 (it re-resolves from the registry)",
			want: []string{"Invalid: the lockfile's @ws/b@1.2.0 at node_modules/@ws/b does not satisfy @ws/b@^2.0.0 (packages/a/package.json dependencies)"}},
		{name: "new workspace directory", fixture: "workspaces",
			ws:   func(ws map[string]map[string]any) { ws["packages/d"] = map[string]any{"name": "d", "version": "1.0.0"} },
			npm:  "Missing: d@1.0.0 from lock file",
			want: []string{"Missing: d@file:packages/d from the lockfile (package.json workspaces)"}},
		{name: "file: directory moved", fixture: "workspaces",
			pkg:  func(p map[string]any) { sub(p, "dependencies")["local-lib"] = "file:libs/other" },
			want: []string{"Invalid: the lockfile's local-lib@3.0.0 at node_modules/local-lib does not satisfy local-lib@file:libs/other"}},
		{name: "file: tarball replaced", fixture: "sources",
			pkg:  func(p map[string]any) { sub(p, "dependencies")["vendored-ms"] = "file:vendor/ms-2.1.4.tgz" },
			want: []string{"Invalid: the lockfile's ms@2.1.3 at node_modules/vendored-ms does not satisfy vendored-ms@file:vendor/ms-2.1.4.tgz"}},
		{name: "remote URL changed", fixture: "sources",
			pkg: func(p map[string]any) {
				sub(p, "dependencies")["remote-ms"] = "https://registry.npmjs.org/ms/-/ms-2.1.2.tgz"
			},
			want: []string{"Invalid: the lockfile's ms@2.1.1 at node_modules/remote-ms does not satisfy remote-ms@https://registry.npmjs.org/ms/-/ms-2.1.2.tgz"}},
		{name: "alias retargeted", fixture: "basic",
			pkg:  func(p map[string]any) { sub(p, "dependencies")["my-ms"] = "npm:debug@2.0.0" },
			want: []string{"Invalid: the lockfile's ms@2.0.0 at node_modules/my-ms does not satisfy my-ms@npm:debug@2.0.0"}},
		{name: "alias range widened", fixture: "basic",
			pkg: func(p map[string]any) { sub(p, "dependencies")["my-ms"] = "npm:ms@^2.0.0" }},
		{name: "git commit changed", fixture: "git",
			pkg: func(p map[string]any) {
				sub(p, "peerDependencies")["minimist"] = "github:substack/minimist#0000000000000000000000000000000000000000"
			},
			want: []string{"Invalid: the lockfile's minimist@0.0.8 at node_modules/minimist does not satisfy minimist@github:substack/minimist#0000000000000000000000000000000000000000"}},
		{name: "git repo changed", fixture: "git",
			pkg: func(p map[string]any) {
				sub(p, "peerDependencies")["minimist"] = "github:someone/minimist#3754568bfd43a841d2d72d7fb54598635aea8fa4"
			},
			want: []string{"Invalid: the lockfile's minimist@0.0.8"}},
		{name: "git same commit, other spelling", fixture: "git",
			pkg: func(p map[string]any) {
				sub(p, "peerDependencies")["minimist"] = "git+https://github.com/substack/minimist.git#3754568bfd43a841d2d72d7fb54598635aea8fa4"
			}},
		{name: "overrides relax transitive specs", fixture: "basic",
			pkg:      func(p map[string]any) { p["overrides"] = map[string]any{"ms": "2.1.3"} },
			lockEdit: func(l map[string]any) { delete(sub(l, "packages"), "node_modules/debug/node_modules/ms") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.fixture)
			l0, lockData := readFixture(t, tc.fixture)
			if tc.lockEdit != nil {
				lockData = editJSON(t, lockData, tc.lockEdit)
			}
			l, err := Parse(lockData)
			if err != nil {
				t.Fatal(err)
			}
			pj := mustRead(t, filepath.Join(dir, "package.json"))
			if tc.pkg != nil {
				pj = editJSON(t, pj, tc.pkg)
			}
			ws := workspaceManifests(t, tc.fixture, l0)
			if tc.ws != nil {
				docs := map[string]map[string]any{}
				for d, b := range ws {
					var doc map[string]any
					if err := json.Unmarshal(b, &doc); err != nil {
						t.Fatal(err)
					}
					docs[d] = doc
				}
				tc.ws(docs)
				for d, doc := range docs {
					ws[d], _ = json.Marshal(doc)
				}
			}
			err = CheckInSync(l, pj, ws)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("npm ci %s; CheckInSync: %v", tc.npm, err)
				}
				return
			}
			var se *SyncError
			if !errors.As(err, &se) || !errors.Is(err, ErrOutOfSync) {
				t.Fatalf("npm ci: %s; CheckInSync = %v", tc.npm, err)
			}
			var got []string
			for _, p := range se.Problems {
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("problems %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %q, want prefix %q", got[i], tc.want[i])
				}
			}
			if !strings.Contains(err.Error(), "npm install") {
				t.Errorf("the error does not say how to fix it: %v", err)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		raw, where string
		want       spec
	}{
		{"^1.2.3", "", spec{kind: specRange, rng: "^1.2.3"}},
		{"", "", spec{kind: specRange, rng: "*"}},
		{"1.x || >=3", "", spec{kind: specRange, rng: "1.x || >=3"}},
		{"latest", "", spec{kind: specTag}},
		{"npm:ms@^2", "", spec{kind: specAlias, aliasName: "ms", rng: "^2"}},
		{"npm:@s/n@1.0.0", "", spec{kind: specAlias, aliasName: "@s/n", rng: "1.0.0"}},
		{"npm:ms", "", spec{kind: specAlias, aliasName: "ms", rng: "*"}},
		{"npm:ms@next", "", spec{kind: specAlias, aliasName: "ms"}},
		{"npm:ms@file:x", "", spec{kind: specInvalid}},
		{"file:libs/local", "", spec{kind: specDir, file: "libs/local"}},
		{"file:../b", "packages/a", spec{kind: specDir, file: "packages/b"}},
		{"./x.tgz", "packages/a", spec{kind: specFile, file: "packages/a/x.tgz"}},
		{"file:../../../x", "packages/a", spec{kind: specDir, file: "../x", outside: true}},
		{"/abs/dir", "", spec{kind: specDir, file: "/abs/dir", outside: true}},
		{"vendor/a.tar.gz", "", spec{kind: specGit, git: gitRef{repo: "github.com/vendor/a.tar.gz"}}}, // npa reads it as GitHub shorthand too
		{"./vendor/a.tar.gz", "", spec{kind: specFile, file: "vendor/a.tar.gz"}},
		{"https://example.com/a.tgz", "", spec{kind: specRemote, url: "https://example.com/a.tgz"}},
		{"owner/repo", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo"}}},
		{"owner/repo#v1.0.0", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo", committish: "v1.0.0"}}},
		{"github:owner/repo#semver:^1.2", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo", semver: "^1.2"}}},
		{"gitlab:owner/repo", "", spec{kind: specGit, git: gitRef{repo: "gitlab.com/owner/repo"}}},
		{"git+ssh://git@github.com/owner/repo.git#abc", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo", committish: "abc"}}},
		{"git+ssh://git@github.com:owner/repo.git#abc", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo", committish: "abc"}}},
		{"git@github.com:owner/repo.git", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo"}}},
		{"https://github.com/owner/repo", "", spec{kind: specGit, git: gitRef{repo: "github.com/owner/repo"}}},
		{"https://github.com/owner/repo/tarball/main", "", spec{kind: specRemote, url: "https://github.com/owner/repo/tarball/main"}},
		{"git+https://git.example.com/x/y.git#main", "", spec{kind: specGit, git: gitRef{repo: "https://git.example.com/x/y.git", committish: "main"}}},
		{"ftp://x/y.tgz", "", spec{kind: specInvalid}},
		{"not a valid spec", "", spec{kind: specInvalid}},
	} {
		if got := parseSpec(tc.raw, tc.where); got != tc.want {
			t.Errorf("parseSpec(%q, %q) = %+v, want %+v", tc.raw, tc.where, got, tc.want)
		}
	}
}

func TestCheckInSyncBadManifest(t *testing.T) {
	l, _ := readFixture(t, "basic")
	for _, tc := range []struct {
		name string
		pj   string
		ws   map[string][]byte
		want error
	}{
		{"not json", `{`, nil, ErrSyntax},
		{"array", `[]`, nil, ErrSyntax},
		{"dependency not a string", `{"dependencies":{"ms":2}}`, nil, ErrInvalidEntry},
		{"workspace dir in node_modules", `{}`, map[string][]byte{"node_modules/x": []byte(`{}`)}, nil},
		{"workspace dir outside", `{}`, map[string][]byte{"../x": []byte(`{}`)}, nil},
	} {
		err := CheckInSync(l, []byte(tc.pj), tc.ws)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || errors.Is(err, ErrOutOfSync) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Under legacy-peer-deps npm places no peers: an unmet peer is no
// problem, and a package only a peer and a dev dependency need is dev.
func TestLegacyPeerDeps(t *testing.T) {
	l, err := Parse([]byte(`{"lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1.0.0"}},
		"node_modules/a":{"version":"1.0.0","peerDependencies":{"b":"^1"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	pj := []byte(`{"dependencies":{"a":"1.0.0"}}`)
	if err := CheckInSync(l, pj, nil); !errors.Is(err, ErrOutOfSync) || !strings.Contains(err.Error(), "Missing: b@^1") {
		t.Errorf("without LegacyPeerDeps: %v", err)
	}
	l.LegacyPeerDeps()
	l.LegacyPeerDeps() // idempotent
	if err := CheckInSync(l, pj, nil); err != nil {
		t.Errorf("with LegacyPeerDeps: %v", err)
	}

	// testdata/legacypeer: react is react-dom's and react-redux's peer and
	// the project's dev dependency.
	data := mustRead(t, filepath.Join("testdata", "legacypeer", "package-lock.json"))
	for _, legacy := range []bool{false, true} {
		l, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if legacy {
			l.LegacyPeerDeps()
		}
		sel, err := l.Select(Options{Platform: linux, Omit: Omit{Dev: true}})
		if err != nil {
			t.Fatal(err)
		}
		dropped := len(sel.Skipped) == 1 && sel.Skipped[0].Package.Path == "node_modules/react"
		if dropped != legacy || len(sel.Skipped) > 1 {
			t.Errorf("legacy-peer-deps %v: --omit=dev skipped %+v", legacy, sel.Skipped)
		}
	}
}
