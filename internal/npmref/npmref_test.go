package npmref

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

const projects = "../../testdata/npm/projects"

// TestFixtureProjects runs the real `npm ci --ignore-scripts` on every
// fixture project against its own test registry and checks the result
// against the rules the installer has to follow (testdata/npm/README.md).
// Each project also checks that its lockfile still exercises what the
// project is for, so a regenerated fixture cannot silently lose its point.
func TestFixtureProjects(t *testing.T) {
	for _, tc := range []struct {
		project string
		args    []string
		check   func(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry)
	}{
		{"basic", nil, checkBasic},
		{"resolved", nil, checkResolved},
		{"resolved", []string{"--omit-lockfile-registry-resolved"}, checkResolvedOmitted},
		{"workspaces", nil, checkWorkspaces},
		{"optional-platform", nil, checkOptionalPlatform},
		{"optional-platform", []string{"--omit=dev"}, checkOmitDev},
		{"optional-platform", []string{"--omit=dev", "--omit=optional", "--omit=peer"}, nil},
		{"bundled", nil, checkBundled},
		{"scripts", nil, checkScripts},
		{"layout", nil, checkLayout},
	} {
		name := tc.project
		if len(tc.args) > 0 {
			name += " " + strings.Join(tc.args, " ")
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			reg := testregistry.New(t)
			tree := CI(t, filepath.Join(projects, tc.project), reg, tc.args...)
			lock := readLock(t, filepath.Join(tree, "package-lock.json"))
			omit := map[string]bool{}
			for _, a := range tc.args {
				if o, ok := strings.CutPrefix(a, "--omit="); ok {
					omit[o] = true
				}
			}
			checkTree(t, tree, lock, omit, !contains(tc.args, "--omit-lockfile-registry-resolved"))
			if tc.check != nil {
				tc.check(t, tree, lock, reg)
			}
		})
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// checkTree holds npm ci's output to the general rules, all derived from
// the lockfile.
func checkTree(t *testing.T, tree string, lock *lockfile, omit map[string]bool, keepResolved bool) {
	t.Helper()
	installed, skipped := lock.expected(omit)

	for key, e := range installed {
		p := filepath.Join(tree, filepath.FromSlash(key))
		switch {
		case e.Link:
			got, err := os.Readlink(p)
			if want := linkTarget(path.Dir(key), e.Resolved); err != nil || got != want {
				t.Errorf("%s: link %q (%v), want a relative symlink %q", key, got, err, want)
			}
		case !strings.Contains(key, "node_modules/"):
			// A workspace directory: part of the project, not installed.
		default:
			var pj struct{ Name, Version string }
			b, err := os.ReadFile(filepath.Join(p, "package.json"))
			if err == nil {
				err = json.Unmarshal(b, &pj)
			}
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if want := packageName(key, e); pj.Name != want || pj.Version != e.Version {
				t.Errorf("%s: installed %s@%s, lockfile says %s@%s", key, pj.Name, pj.Version, want, e.Version)
			}
		}
	}
	for key := range skipped {
		if _, err := os.Lstat(filepath.Join(tree, filepath.FromSlash(key))); err == nil {
			t.Errorf("%s: installed, but npm ci should leave it out", key)
		}
	}

	// Nothing installed that the lockfile does not account for.
	for _, dir := range packageDirs(t, tree) {
		if _, ok := installed[dir]; !ok {
			t.Errorf("%s: installed but not an expected lockfile entry", dir)
		}
	}

	checkBins(t, tree, lock, installed)
	checkHiddenLockfile(t, tree, lock, installed, keepResolved)
	checkNoScriptRan(t, tree)
}

// packageDirs lists every package location in the tree's node_modules
// directories (including workspaces'), as lockfile keys.
func packageDirs(t *testing.T, tree string) []string {
	var out []string
	var walk func(nm string)
	walk = func(nm string) {
		entries, _ := os.ReadDir(filepath.Join(tree, filepath.FromSlash(nm)))
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			if strings.HasPrefix(name, "@") && e.IsDir() {
				scoped, _ := os.ReadDir(filepath.Join(tree, filepath.FromSlash(nm), name))
				for _, s := range scoped {
					key := nm + "/" + name + "/" + s.Name()
					out = append(out, key)
					if s.IsDir() {
						walk(key + "/node_modules")
					}
				}
				continue
			}
			key := nm + "/" + name
			out = append(out, key)
			if e.IsDir() {
				walk(key + "/node_modules")
			}
		}
	}
	walk("node_modules")
	ws, _ := filepath.Glob(filepath.Join(tree, "*", "*", "node_modules"))
	for _, w := range ws {
		rel, _ := filepath.Rel(tree, w)
		walk(filepath.ToSlash(rel))
	}
	return out
}

// checkBins: every bin of an installed package is a relative symlink in the
// .bin of the node_modules that holds it, to an executable target. A link
// (workspace) entry takes its bins from the workspace's entry.
func checkBins(t *testing.T, tree string, lock *lockfile, installed map[string]lockEntry) {
	t.Helper()
	wantLinks := map[string]string{}
	for key, e := range installed {
		if !strings.Contains(key, "node_modules/") {
			continue
		}
		bins := e.Bin
		if e.Link {
			bins = lock.Packages[e.Resolved].Bin
		}
		for cmd, target := range bins {
			link := binDir(key) + "/" + cmd
			wantLinks[link] = linkTarget(binDir(key), joinKey(key, target))
			st, err := os.Stat(filepath.Join(tree, filepath.FromSlash(joinKey(key, target))))
			if err != nil {
				t.Errorf("%s: bin %s: %v", key, cmd, err)
			} else if st.Mode()&0o111 != 0o111 {
				t.Errorf("%s: bin target %s has mode %04o, want executable by all", key, target, st.Mode().Perm())
			}
		}
	}
	for link, want := range wantLinks {
		got, err := os.Readlink(filepath.Join(tree, filepath.FromSlash(link)))
		if err != nil || got != want {
			t.Errorf("%s: %q (%v), want symlink to %q", link, got, err, want)
		}
	}
	// No other .bin entries.
	bins, _ := filepath.Glob(filepath.Join(tree, "*", ".bin", "*"))
	more, _ := filepath.Glob(filepath.Join(tree, "node_modules", "*", "node_modules", ".bin", "*"))
	scoped, _ := filepath.Glob(filepath.Join(tree, "node_modules", "@*", "*", "node_modules", ".bin", "*"))
	ws, _ := filepath.Glob(filepath.Join(tree, "*", "*", "node_modules", ".bin", "*"))
	for _, b := range append(append(append(bins, more...), scoped...), ws...) {
		rel, _ := filepath.Rel(tree, b)
		if _, ok := wantLinks[filepath.ToSlash(rel)]; !ok {
			t.Errorf("%s: unexpected bin link", rel)
		}
	}
}

// checkHiddenLockfile: npm ci's node_modules/.package-lock.json is the
// lockfile's name and version, lockfileVersion 3, requires, and exactly the
// installed entries, copied as they are in package-lock.json (minus
// "resolved" under omit-lockfile-registry-resolved). It is newer than every
// directory in the tree, or npm would not trust it.
func checkHiddenLockfile(t *testing.T, tree string, lock *lockfile, installed map[string]lockEntry, keepResolved bool) {
	t.Helper()
	file := filepath.Join(tree, "node_modules", ".package-lock.json")
	hidden := readLock(t, file)
	wantTop := map[string]any{"name": lock.raw["name"], "version": lock.raw["version"], "lockfileVersion": 3.0, "requires": true}
	for k, v := range hidden.raw {
		if k == "packages" {
			continue
		}
		if w, ok := wantTop[k]; !ok || !reflect.DeepEqual(v, w) {
			t.Errorf("hidden lockfile: %s = %v, want %v", k, v, w)
		}
	}
	hp, _ := hidden.raw["packages"].(map[string]any)
	lp, _ := lock.raw["packages"].(map[string]any)
	for key := range installed {
		want, _ := lp[key].(map[string]any)
		if !keepResolved && !installed[key].Link && strings.Contains(key, "node_modules/") {
			want = copyWithout(want, "resolved")
		}
		if got, ok := hp[key]; !ok {
			t.Errorf("hidden lockfile lacks %s", key)
		} else if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("hidden lockfile %s:\n got %s\nwant %s", key, g, w)
		}
	}
	for key := range hp {
		if _, ok := installed[key]; !ok {
			t.Errorf("hidden lockfile has %s, which npm ci did not install", key)
		}
	}

	st, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(filepath.Join(tree, "node_modules"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			if info, err := d.Info(); err == nil && info.ModTime().After(st.ModTime()) {
				t.Errorf("%s is newer than the hidden lockfile", p)
			}
		}
		return nil
	})
}

func copyWithout(m map[string]any, key string) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// checkNoScriptRan: the synthetic install scripts leave
// AIRLOCK_SCRIPT_RAN.<event> files wherever they run.
func checkNoScriptRan(t *testing.T, tree string) {
	t.Helper()
	filepath.WalkDir(tree, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), "AIRLOCK_SCRIPT_RAN") {
			t.Errorf("an install script ran: %s exists", p)
		}
		return nil
	})
}

func requireEntry(t *testing.T, lock *lockfile, key string, cond func(lockEntry) bool, why string) {
	t.Helper()
	e, ok := lock.Packages[key]
	if !ok || !cond(e) {
		t.Errorf("fixture lockfile no longer has %s (%s); regenerate it with what the project is for", key, why)
	}
}

func checkBasic(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	if lock.LockfileVersion != 3 {
		t.Errorf("basic: lockfileVersion %d, want 3", lock.LockfileVersion)
	}
	for key, e := range lock.Packages {
		if e.Resolved != "" {
			t.Errorf("basic: %s has resolved %s; the project is the no-resolved case", key, e.Resolved)
		}
	}
	requireEntry(t, lock, "node_modules/debug/node_modules/ms", func(e lockEntry) bool { return e.Version == "2.0.0" }, "nested conflict")
	requireEntry(t, lock, "node_modules/my-alias", func(e lockEntry) bool { return e.Name == "is-number" }, "npm: alias")
	requireEntry(t, lock, "node_modules/@tootallnate/once", func(lockEntry) bool { return true }, "scoped")
	// Without resolved, npm reads each packument (abbreviated) to find the
	// tarball URL, then fetches the tarballs from this registry.
	packuments, tarballs := 0, 0
	for _, r := range reg.Requests() {
		if r.Proto != "HTTP/1.1" || r.HasAuth() {
			t.Errorf("%s: %s, Authorization %q; npm 11 sends HTTP/1.1 and no credentials unless configured", r.URI, r.Proto, r.Authorization)
		}
		switch {
		case strings.Contains(r.Path, "/-/"):
			tarballs++
		default:
			packuments++
			if !strings.HasPrefix(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json") {
				t.Errorf("%s requested with Accept %q, want the abbreviated form first", r.URI, r.Header.Get("Accept"))
			}
		}
	}
	if want := len(lock.Packages) - 1; tarballs != want || packuments == 0 {
		t.Errorf("npm made %d packument and %d tarball requests; want some packuments and %d tarballs", packuments, tarballs, want)
	}
}

func checkResolved(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	if lock.LockfileVersion != 2 {
		t.Errorf("resolved: lockfileVersion %d, want 2", lock.LockfileVersion)
	}
	for key, e := range lock.Packages {
		if key != "" && !strings.HasPrefix(e.Resolved, "https://registry.npmjs.org/") {
			t.Errorf("resolved: %s resolved %q, want a registry.npmjs.org URL", key, e.Resolved)
		}
	}
	// replace-registry-host (default "npmjs"): the registry.npmjs.org URLs
	// are fetched from the configured registry, same path; no packuments.
	want := map[string]bool{}
	for key, e := range lock.Packages {
		if key != "" {
			want[strings.TrimPrefix(e.Resolved, "https://registry.npmjs.org")] = true
		}
	}
	for _, r := range reg.Requests() {
		if !want[r.Path] {
			t.Errorf("npm requested %s, not a rewritten resolved URL", r.URI)
		}
		delete(want, r.Path)
	}
	for p := range want {
		t.Errorf("npm never requested %s", p)
	}
}

func checkResolvedOmitted(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	hidden := readLock(t, filepath.Join(tree, "node_modules", ".package-lock.json"))
	for key, e := range hidden.Packages {
		if e.Resolved != "" {
			t.Errorf("hidden lockfile %s keeps resolved %s under omit-lockfile-registry-resolved", key, e.Resolved)
		}
	}
}

func checkWorkspaces(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	requireEntry(t, lock, "node_modules/@airlock-ws/a", func(e lockEntry) bool { return e.Link && e.Resolved == "packages/a" }, "workspace link")
	requireEntry(t, lock, "packages/b/node_modules/is-number", func(e lockEntry) bool { return e.Version == "6.0.0" }, "conflict kept under a workspace")
	requireEntry(t, lock, "packages/b", func(e lockEntry) bool { return len(e.Bin) > 0 }, "workspace with a bin")
	// bin-links makes a workspace's bin target executable in place.
	st, err := os.Stat(filepath.Join(tree, "packages", "b", "cli.js"))
	if err != nil || st.Mode()&0o111 != 0o111 {
		t.Errorf("packages/b/cli.js: %v, mode %v; npm makes workspace bin targets executable", err, st.Mode())
	}
}

func checkOptionalPlatform(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	for _, key := range []string{"native-darwin-arm64", "native-linux-musl", "native-win32", "native-linux-x64-gnu", "native-not-win32"} {
		requireEntry(t, lock, "node_modules/@airlock-fixture/"+key, func(e lockEntry) bool {
			return e.Optional && len(e.OS)+len(e.CPU)+len(e.Libc) > 0
		}, "optional with platform constraints")
	}
	requireEntry(t, lock, "node_modules/@airlock-fixture/shared-opt", func(e lockEntry) bool { return e.DevOptional }, "devOptional")
	requireEntry(t, lock, "node_modules/@airlock-fixture/peer-host", func(e lockEntry) bool { return e.Peer }, "peer")
	if _, ok := lock.Packages["node_modules/@airlock-fixture/peer-optional"]; ok {
		t.Error("an optional peer dependency is in the lockfile; npm leaves those out")
	}
	if osName, cpu, libc := platform(); osName == "linux" && cpu == "x64" && libc == "glibc" {
		for key, want := range map[string]bool{
			"native-darwin-arm64": false, "native-linux-musl": false, "native-win32": false,
			"native-linux-x64-gnu": true, "native-not-win32": true,
		} {
			_, err := os.Lstat(filepath.Join(tree, "node_modules", "@airlock-fixture", key))
			if got := err == nil; got != want {
				t.Errorf("linux-x64-glibc: %s installed = %t, want %t", key, got, want)
			}
		}
	}
}

func checkOmitDev(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	for key, want := range map[string]bool{
		"@airlock-fixture/dev-tool":   false, // dev
		"mkdirp":                      false, // dev, with a bin
		"@airlock-fixture/shared-opt": true,  // devOptional stays unless optional is omitted too
		"@airlock-fixture/peer-host":  true,
	} {
		_, err := os.Lstat(filepath.Join(tree, "node_modules", filepath.FromSlash(key)))
		if got := err == nil; got != want {
			t.Errorf("--omit=dev: %s installed = %t, want %t", key, got, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(tree, "node_modules", ".bin", "mkdirp")); err == nil {
		t.Error("--omit=dev: the bin of an omitted package is linked")
	}
}

func checkBundled(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	requireEntry(t, lock, "node_modules/@airlock-fixture/bundler/node_modules/@airlock-fixture/bundled-dep",
		func(e lockEntry) bool { return e.InBundle && e.Integrity == "" && len(e.Bin) > 0 }, "bundled dependency with a bin")
	requireEntry(t, lock, "node_modules/@airlock-fixture/bundler/node_modules/ms",
		func(e lockEntry) bool { return !e.InBundle && e.Version == "2.1.3" }, "fetched package nested in a bundler")
	for _, r := range reg.Requests() {
		if strings.Contains(r.Path, "bundled-") {
			t.Errorf("npm requested %s; bundled packages come from the bundler's tarball", r.URI)
		}
	}
}

func checkScripts(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	for _, key := range []string{"@airlock-fixture/gyp-only", "@airlock-fixture/postinstall-marker", "@scarf/scarf"} {
		requireEntry(t, lock, "node_modules/"+key, func(e lockEntry) bool { return e.HasInstallScript }, "hasInstallScript")
	}
}

func checkLayout(t *testing.T, tree string, lock *lockfile, reg *testregistry.Registry) {
	nm := filepath.Join(tree, "node_modules")
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(nm, filepath.FromSlash(rel)))
		if err != nil {
			return "(" + err.Error() + ")"
		}
		return string(b)
	}
	// .gitignore → .npmignore, unless a .npmignore came earlier in the
	// tarball; a later .npmignore overwrites the renamed file.
	for rel, want := range map[string]string{
		"@airlock-fixture/modes/.npmignore":      "# root .gitignore\n",
		"@airlock-fixture/modes/sub/.npmignore":  "# sub .npmignore\n",
		"@airlock-fixture/modes/late/.npmignore": "# late .npmignore\n",
		// bin-links rewrites a CRLF hashbang line, and only that line.
		"@airlock-fixture/odd-root/bin/crlf.js": "#!/usr/bin/env node\nconsole.log('crlf')\r\n",
		// The top directory is stripped whatever its name.
		"@airlock-fixture/odd-root/deep/a/b/c/d.txt": "deep\n",
	} {
		if got := read(rel); got != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
	for _, rel := range []string{"@airlock-fixture/modes/.gitignore", "@airlock-fixture/modes/sub/.gitignore", "@airlock-fixture/modes/late/.gitignore"} {
		if _, err := os.Lstat(filepath.Join(nm, filepath.FromSlash(rel))); err == nil {
			t.Errorf("%s exists; npm never extracts a .gitignore", rel)
		}
	}
	requireEntry(t, lock, "node_modules/@airlock-fixture/dir-bin", func(e lockEntry) bool {
		return len(e.Bin) == 2 && e.Bin["dir-bin-a"] == "tools/dir-bin-a"
	}, "bins from directories.bin, expanded at publish")
	requireEntry(t, lock, "node_modules/which", func(e lockEntry) bool { return e.Bin["node-which"] == "bin/node-which" }, "bin path normalized from ./bin/node-which")

	// Modes: ((tar mode | 0666) &^ umask) | 0600, directories from umask
	// alone (directory entries are not extracted), bin targets 0777 &^ umask.
	mask, ok := umask()
	if !ok || runtime.GOOS == "windows" {
		t.Log("cannot read the umask; skipping mode checks")
		return
	}
	file := func(tarMode os.FileMode) os.FileMode { return ((tarMode | 0o666) &^ mask) | 0o600 }
	for rel, want := range map[string]os.FileMode{
		"@airlock-fixture/modes/lib/owner-only.js": file(0o700),
		"@airlock-fixture/modes/lib/private.js":    file(0o600),
		"@airlock-fixture/modes/lib/readonly.js":   file(0o444),
		"@airlock-fixture/modes/lib/group.js":      file(0o640),
		"@airlock-fixture/modes/lib/group-exec.sh": file(0o775),
		"@airlock-fixture/modes/lib/world.sh":      file(0o777),
		"@airlock-fixture/modes/cli.js":            0o777 &^ mask, // bin, 0644 in the tarball
		"@airlock-fixture/dir-bin/tools/.hidden":   file(0o644),
		"@airlock-fixture/modes/lib":               os.ModeDir | 0o777&^mask, // 0700 entry in the tarball
		"@airlock-fixture/odd-root/deep/a":         os.ModeDir | 0o777&^mask,
	} {
		st, err := os.Stat(filepath.Join(nm, filepath.FromSlash(rel)))
		if err != nil {
			t.Error(err)
			continue
		}
		if got := st.Mode() & (os.ModeDir | os.ModePerm); got != want {
			t.Errorf("%s: mode %v, want %v (umask %04o)", rel, got, want, mask)
		}
	}
}

// TestV1Lockfile: npm 11 still installs from a lockfileVersion 1 lockfile,
// after an "old lockfile" fix-up that reads packuments. airlock refuses
// such lockfiles by design; this pins what npm does instead.
func TestV1Lockfile(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t)
	p := Stage(t, filepath.Join(projects, "v1"), reg)
	out, err := p.Run("ci", "--ignore-scripts", "--no-audit", "--no-fund")
	if err != nil {
		t.Fatalf("npm ci on a v1 lockfile: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "old lockfile") {
		t.Errorf("npm did not warn about the old lockfile:\n%s", out)
	}
	lock := readLock(t, filepath.Join(p.Dir, "package-lock.json"))
	if lock.LockfileVersion != 1 {
		t.Errorf("the v1 fixture has lockfileVersion %d", lock.LockfileVersion)
	}
	hidden := readLock(t, filepath.Join(p.Dir, "node_modules", ".package-lock.json"))
	if hidden.LockfileVersion != 3 || hidden.Packages["node_modules/debug/node_modules/ms"].Version != "2.0.0" {
		t.Errorf("hidden lockfile after a v1 install: version %d, packages %v", hidden.LockfileVersion, hidden.Packages)
	}
	packuments := 0
	for _, r := range reg.Requests() {
		if !strings.Contains(r.Path, "/-/") {
			packuments++
		}
	}
	if packuments == 0 {
		t.Error("npm fixed up the old lockfile without reading packuments")
	}
}

func TestGitDependency(t *testing.T) {
	lock := readLock(t, filepath.Join(projects, "git-dep", "package-lock.json"))
	e := lock.Packages["node_modules/is-number"]
	if !strings.HasPrefix(e.Resolved, "git+ssh://git@github.com/") || e.Integrity != "" {
		t.Fatalf("git-dep fixture: is-number resolved %q integrity %q; want a git+ssh URL and no integrity", e.Resolved, e.Integrity)
	}
	t.Skip("npm ci would clone github.com/jonschlinkert/is-number and tests have no network; " +
		"airlock must refuse this lockfile before fetching anything")
}

// TestReferenceIsDeterministic: two npm ci runs of the same project give
// trees treecmp finds identical, so a difference from airlock's tree is
// airlock's, not noise.
func TestReferenceIsDeterministic(t *testing.T) {
	t.Parallel()
	reg := testregistry.New(t)
	a := CI(t, filepath.Join(projects, "layout"), reg)
	b := CI(t, filepath.Join(projects, "layout"), reg)
	diffs, err := treecmp.Compare(a, b, treecmp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) > 0 {
		t.Errorf("two npm ci runs differ:\n%s", treecmp.Report(diffs))
	}
}

// TestTamperedTarball: npm ci refuses a tarball whose bytes do not match
// the lockfile's integrity (EINTEGRITY), the failure airlock must match.
// npm refetches on EINTEGRITY like on a network error (fetch-retries=2,
// 10s then 60s apart); retries are turned off here to keep the test fast.
func TestTamperedTarball(t *testing.T) {
	t.Parallel()
	other := testregistry.New(t)
	evil, err := other.Tarball("ms", "2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	reg := testregistry.New(t, testregistry.WithMiddleware(
		testregistry.Replace(testregistry.TarballPath("ms", "2.1.3"), evil)))
	p := Stage(t, filepath.Join(projects, "resolved"), reg)
	out, err := p.Run("ci", "--ignore-scripts", "--no-audit", "--no-fund", "--fetch-retries=0")
	if err == nil {
		t.Fatalf("npm ci installed a tampered tarball:\n%s", out)
	}
	if !strings.Contains(string(out), "EINTEGRITY") {
		t.Errorf("npm ci failed without EINTEGRITY:\n%s", out)
	}
}
