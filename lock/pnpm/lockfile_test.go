package pnpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(t *testing.T, name string) *Lockfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", name, "pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

var linux = Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

func paths(sel *Selection) []string {
	var out []string
	for _, p := range sel.Install {
		out = append(out, p.Path)
	}
	return out
}

func TestSelectBasic(t *testing.T) {
	lf := readFixture(t, "basic")
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"node_modules/.pnpm/debug@4.3.7/node_modules/debug",
		"node_modules/.pnpm/is-number@7.0.0/node_modules/is-number",
		"node_modules/.pnpm/isexe@3.1.5/node_modules/isexe",
		"node_modules/.pnpm/js-tokens@4.0.0/node_modules/js-tokens",
		"node_modules/.pnpm/loose-envify@1.4.0/node_modules/loose-envify",
		"node_modules/.pnpm/ms@2.1.3/node_modules/ms",
		"node_modules/.pnpm/react@18.3.1/node_modules/react",
		"node_modules/.pnpm/semver@7.6.3/node_modules/semver",
		"node_modules/.pnpm/use-sync-external-store@1.2.2_react@18.3.1/node_modules/use-sync-external-store",
		"node_modules/.pnpm/which@4.0.0/node_modules/which",
	}
	if got := paths(sel); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("installed:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(sel.Skipped) != 1 || sel.Skipped[0].Package.Name != "fsevents" {
		t.Errorf("skipped = %+v, want fsevents", sel.Skipped)
	}
	for _, p := range sel.Install {
		if p.Dev != (p.Name == "is-number") {
			t.Errorf("%s: Dev = %v", p.Name, p.Dev)
		}
		if !strings.HasPrefix(p.Integrity, "sha512-") {
			t.Errorf("%s: integrity %q", p.Name, p.Integrity)
		}
	}
	// On macOS fsevents is installed; with --prod is-number is not.
	sel, err = lf.Select(Options{Platform: Platform{OS: "darwin", CPU: "arm64"}, NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(paths(sel), "\n")
	if !strings.Contains(got, "fsevents@2.3.3") || strings.Contains(got, "is-number") {
		t.Errorf("darwin --prod installs:\n%s", got)
	}
	sel, err = lf.Select(Options{Platform: Platform{OS: "darwin", CPU: "arm64"}, NoOptional: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(paths(sel), "\n"), "fsevents") {
		t.Errorf("--no-optional installs fsevents")
	}
}

func TestSelectWorkspace(t *testing.T) {
	lf := readFixture(t, "workspace")
	sel, err := lf.Select(Options{Platform: linux, Major: 9})
	if err != nil {
		t.Fatal(err)
	}
	var a *Importer
	for _, imp := range sel.Importers {
		if imp.ID == "packages/a" {
			a = imp
		}
	}
	if a == nil || len(a.Dependencies) != 3 {
		t.Fatalf("importer packages/a: %+v", a)
	}
	if d := a.Dependencies[0]; d.Alias != "@ws/b" || d.Link != "packages/b" {
		t.Errorf("link dep = %+v", d)
	}
	if d := a.Dependencies[2]; d.Alias != "string-width-cjs" || d.DepPath != "string-width@4.2.3" {
		t.Errorf("alias dep = %+v", d)
	}
	if n := sel.Nodes["@sindresorhus/is@4.6.0"]; n == nil || n.Dir != "node_modules/.pnpm/@sindresorhus+is@4.6.0/node_modules/@sindresorhus/is" {
		t.Errorf("scoped node = %+v", n)
	}
	sel, err = lf.Select(Options{Platform: linux, NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(paths(sel), "\n"), "semver") {
		t.Errorf("--prod installs the root's devDependency semver")
	}
}

// TestSelectWorkspacePeer: a peer dependency that a workspace package
// satisfies is a link: in the snapshot (vuejs/core's lockfile has them),
// relative to the lockfile's directory, and nothing to fetch.
func TestSelectWorkspacePeer(t *testing.T) {
	lf := readFixture(t, "layout")
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	n := sel.Nodes["@airlock-fixture/peer-user@1.0.0(@airlock-fixture/peer-host@packages+host)"]
	if n == nil || n.Dir != "node_modules/.pnpm/@airlock-fixture+peer-user@1.0.0_@airlock-fixture+peer-host@packages+host/node_modules/@airlock-fixture/peer-user" {
		t.Fatalf("node = %+v", n)
	}
	if len(n.Children) != 1 || n.Children[0].Link != "packages/host" || n.Children[0].DepPath != "" {
		t.Errorf("children = %+v, want a link to packages/host", n.Children)
	}
	for _, p := range sel.Install {
		if p.Name == "@airlock-fixture/peer-host" && p.Version != "1.0.0" {
			t.Errorf("unexpected %+v", p)
		}
	}
}

func TestSelectLarge(t *testing.T) {
	lf := readFixture(t, "large")
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Install) < 100 {
		t.Errorf("only %d packages", len(sel.Install))
	}
	n := sel.Nodes["@typescript-eslint/parser@8.15.0(eslint@9.15.0)(typescript@5.6.3)"]
	if n == nil || n.Dir != "node_modules/.pnpm/@typescript-eslint+parser@8.15.0_eslint@9.15.0_typescript@5.6.3/node_modules/@typescript-eslint/parser" {
		t.Errorf("peer-suffixed node = %+v", n)
	}
	for _, s := range sel.Skipped {
		if !strings.HasPrefix(s.Package.Name, "@rollup/") && !strings.HasPrefix(s.Package.Name, "@esbuild/") && s.Package.Name != "fsevents" {
			t.Errorf("unexpected skip %s: %s", s.Package.Name, s.Reason)
		}
	}
}

// TestSelectVueCore reads vuejs/core's real lockfile (18 importers,
// catalogs, snapshot links to workspace packages) end to end.
func TestSelectVueCore(t *testing.T) {
	lf := readFixture(t, "vuejs-core")
	if len(lf.Importers) != 18 {
		t.Errorf("%d importers", len(lf.Importers))
	}
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for _, n := range sel.Nodes {
		for _, c := range n.Children {
			if c.Link != "" {
				links++
				if !strings.HasPrefix(c.Link, "packages/") {
					t.Errorf("%s: link %q", n.Entry.DepPath, c.Link)
				}
			}
		}
	}
	if links == 0 || len(sel.Install) < 400 {
		t.Errorf("%d packages, %d snapshot links", len(sel.Install), links)
	}
}

func TestDepPathToFilename(t *testing.T) {
	long := "@very-long-scope-name-for-testing/" + strings.Repeat("x", 60) + "@1.0.0(" + strings.Repeat("y", 40) + "@2.0.0)"
	for _, tc := range []struct {
		in    string
		major int
		want  string
	}{
		{"a@1.0.0", 10, "a@1.0.0"},
		{"@s/a@1.0.0", 10, "@s+a@1.0.0"},
		{"a@1.0.0(b@2.0.0)(@c/d@3.0.0)", 10, "a@1.0.0_b@2.0.0_@c+d@3.0.0"},
		{"a@1.0.0(b@2.0.0(c@1.0.0))", 10, "a@1.0.0_b@2.0.0_c@1.0.0_"},
		// Values computed with pnpm 10.34.9's and 9.15.9's own
		// depPathToFilename: testdata/pnpm/tools/depPathToFilename.js.
		{"a@1.0.0-RC1", 10, "a@1.0.0-RC1_ab6fe05f01dc86e76990220f6decbd70"},
		{"a@1.0.0-RC1", 9, "a@1.0.0-RC1_wfk2owiw32j5x5gd4bdrfhoaky"},
		{long, 10, "@very-long-scope-name-for-testing+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_ce61129b6bd50195189780a6b0a1acc5"},
		{long, 9, "@very-long-scope-name-for-testing+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx_nsp26snnncnarla5lavlnrjttq"},
		{"a@1.0.0#x", 10, "a@1.0.0+x"},
		{"a@1.0.0#x", 9, "a@1.0.0#x"},
	} {
		if got := DepPathToFilename(tc.in, 120, tc.major); got != tc.want {
			t.Errorf("DepPathToFilename(%q, %d) = %q, want %q", tc.in, tc.major, got, tc.want)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	const head = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      a:\n        specifier: 1.0.0\n        version: 1.0.0\n\n"
	const pkgs = "packages:\n\n  a@1.0.0:\n    resolution: {integrity: sha512-AAAA}\n\nsnapshots:\n\n  a@1.0.0: {}\n"
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"v6", "lockfileVersion: '6.0'\n", ErrUnsupportedVersion},
		{"git", strings.Replace(head+pkgs, "{integrity: sha512-AAAA}", "{type: git, repo: https://github.com/a/a, commit: abc}", 1), ErrUnsupportedSource},
		{"directory", strings.Replace(head+pkgs, "{integrity: sha512-AAAA}", "{type: directory, directory: ../x}", 1), ErrUnsupportedSource},
		{"tarball file", strings.Replace(head+pkgs, "{integrity: sha512-AAAA}", "{integrity: sha512-AAAA, tarball: file:../a.tgz}", 1), ErrUnsupportedSource},
		{"path in version", strings.ReplaceAll(head+pkgs, "a@1.0.0", "a@1.0.0/../../../x"), ErrBadVersion},
		{"version with hash", strings.ReplaceAll(head+pkgs, "a@1.0.0", "a@1.0.0#x"), ErrBadVersion},
		{"bad name", strings.ReplaceAll(head+pkgs, "a@1.0.0", "'../a@1.0.0'"), ErrBadName},
		{"bad alias", strings.Replace(head+pkgs, "      a:\n", "      ../../x:\n", 1), ErrBadName},
		{"importer escapes", strings.Replace(head+pkgs, "  .:\n", "  ../outside:\n", 1), ErrUnsafePath},
		{"importer absolute", strings.Replace(head+pkgs, "  .:\n", "  /etc:\n", 1), ErrUnsafePath},
		{"importer in node_modules", strings.Replace(head+pkgs, "  .:\n", "  node_modules/x:\n", 1), ErrUnsafePath},
		{"link escapes", strings.Replace(head+pkgs, "version: 1.0.0\n", "version: link:../../x\n", 1), ErrUnsafePath},
		{"file dep", strings.Replace(head+pkgs, "version: 1.0.0\n", "version: file:../x\n", 1), ErrUnsupportedSource},
		{"missing snapshot", head + "packages: {}\nsnapshots: {}\n", ErrMissingEntry},
		{"missing package", head + "snapshots:\n  a@1.0.0: {}\n", ErrMissingEntry},
		{"newline in peer suffix", strings.ReplaceAll(head+pkgs, "a@1.0.0", "\"a@1.0.0(b@1.0.0\\n)\""), ErrSyntax},
		{"backslash in peer suffix", strings.ReplaceAll(head+pkgs, "a@1.0.0", "'a@1.0.0(..\\..\\x)'"), ErrSyntax},
		{"unbalanced peers", strings.Replace(head+pkgs, "version: 1.0.0\n", "version: 1.0.0(b@1\n", 1), ErrSyntax},
		{"unknown field", head + pkgs + "bogus: 1\n", ErrSyntax},
		{"patched", head + pkgs + "patchedDependencies:\n  a@1.0.0:\n    hash: x\n    path: patches/a.patch\n", ErrUnsupportedSource},
		{"alias", head + pkgs + "x: *a\n", ErrYAML},
		// As pnpm 10.34.9 wrote it for a workspace package with a peer
		// dependency under injectWorkspacePackages: true.
		{"injected", strings.Replace(head+pkgs, "version: 1.0.0\n", "version: file:packages/a(c@file:packages/c)\n", 1), ErrUnsupportedSource},
	} {
		_, err := Parse([]byte(tc.in))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Parse = %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := Parse([]byte(head + pkgs)); err != nil {
		t.Errorf("valid base: %v", err)
	}
	// The refusals users meet in real projects say why and what to do.
	for in, want := range map[string]string{
		head + pkgs + "patchedDependencies:\n  a@1.0.0:\n    hash: x\n    path: patches/a.patch\n":         "hash \"x\" is neither pnpm 10's SHA-256 nor pnpm 9's base32 MD5 (line 21); rewrite the lockfile with `pnpm install --lockfile-only`",
		strings.Replace(head+pkgs, "version: 1.0.0\n", "version: file:packages/a(c@file:packages/c)\n", 1): "a workspace package pnpm injects: dependenciesMeta injected, injectWorkspacePackages): airlock installs only registry packages checked against the lockfile's integrity and links workspace packages, it does not copy them; install this project with pnpm itself",
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse = %v, want %q", err, want)
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"JSONStream": true, "@s/a": true, "a.b-c_d~e": true, "@types/node": true,
		"": false, ".a": false, "_a": false, "node_modules": false, "@s/node_modules": false, "@./a": false, "@s/.a": false,
		"../a": false, "a/b": false, "a b": false, "@s/a/b": false, "a\\b": false, "@s/": false,
	} {
		if err := validName(name); (err == nil) != ok {
			t.Errorf("validName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
