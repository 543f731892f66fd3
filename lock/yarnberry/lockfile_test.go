package yarnberry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var fixtures = filepath.Join("..", "..", "testdata", "yarnberry")

func readFixture(t testing.TB, name string) *Lockfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, name, "yarn.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return lf
}

var linux = Platform{OS: "linux", CPU: "x64", Libc: "glibc"}

func TestParseRealLockfiles(t *testing.T) {
	for _, name := range []string{"layout", "hoist", "bins", "platform", "workspace", "peers", "extensions"} {
		t.Run(name, func(t *testing.T) {
			lf := readFixture(t, name)
			if lf.Version != 10 || lf.CacheKey != "10c0" {
				t.Errorf("metadata = %d %q", lf.Version, lf.CacheKey)
			}
			if _, err := lf.LayoutGraph(linux); err != nil {
				t.Fatal(err)
			}
			_, err := lf.Graph(linux)
			if name == "peers" {
				// @emotion/babel-plugin reaches resolve, which yarn patches.
				if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "builtin compat patches") {
					t.Fatalf("err = %v, want the builtin patch refusal", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestEntryFields(t *testing.T) {
	lf := readFixture(t, "layout")
	alias := lf.Lookup("is-num@npm:is-number@7.0.0")
	if alias == nil || alias.Locator != (Locator{"is-number", "npm:7.0.0"}) {
		t.Fatalf("alias entry = %+v", alias)
	}
	user := lf.ByLocator(Locator{"@airlock-fixture/peer-user", "npm:1.0.0"})
	if user == nil || len(user.PeerDependencies) != 2 || !user.PeerOptional["@airlock-fixture/peer-optional"] {
		t.Fatalf("peer-user = %+v", user)
	}
	gnu := lf.ByLocator(Locator{"@airlock-fixture/native-linux-x64-gnu", "npm:1.0.0"})
	if gnu == nil || gnu.Conditions != "os=linux & cpu=x64 & libc=glibc" {
		t.Fatalf("native-linux-x64-gnu = %+v", gnu)
	}
	natives := lf.ByLocator(Locator{"@airlock-fixture/with-natives", "npm:1.0.0"})
	if natives == nil || !natives.Optional["@airlock-fixture/native-win32"] {
		t.Fatalf("with-natives = %+v", natives)
	}
	app := lf.ByLocator(Locator{"app", "workspace:packages/app"})
	if app == nil || app.Bin["app-cli"] != "cli.js" || app.LinkType != "soft" {
		t.Fatalf("app = %+v", app)
	}
	ws := lf.Workspaces()
	if len(ws) != 3 || ws[0].WorkspacePath() != "." || ws[1].WorkspacePath() != "packages/app" {
		t.Fatalf("workspaces %v", ws)
	}
}

func TestGraph(t *testing.T) {
	lf := readFixture(t, "layout")
	g, err := lf.Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	for _, e := range g.Skipped {
		skipped = append(skipped, e.Locator.Name)
	}
	if got := strings.Join(skipped, " "); got != "@airlock-fixture/native-darwin-arm64 @airlock-fixture/native-linux-musl @airlock-fixture/native-win32" {
		t.Errorf("skipped = %s", got)
	}
	// peer-user is virtual: its peer resolves to the root's peer-host,
	// and the optional peer nobody provides stays unresolved.
	var user *Instance
	for _, in := range g.Instances {
		if in.Entry.Locator.Name == "@airlock-fixture/peer-user" {
			if user != nil {
				t.Fatal("two instances of peer-user")
			}
			user = in
		}
	}
	if user == nil || !strings.HasPrefix(user.Locator.Reference, "virtual:") {
		t.Fatalf("peer-user instance %+v", user)
	}
	if h := user.Dep("@airlock-fixture/peer-host"); h == nil || h.Entry.Version != "1.0.0" {
		t.Errorf("peer-host resolved to %v", h)
	}
	if user.Dep("@airlock-fixture/peer-optional") != nil || !user.Peers["@airlock-fixture/peer-optional"] {
		t.Error("the optional peer nobody provides should stay unresolved")
	}
	// On a musl machine the musl build replaces the glibc one; on darwin
	// neither is there, and libc conditions never match.
	g2, err := lf.Graph(Platform{OS: "linux", CPU: "x64", Libc: "musl"})
	if err != nil {
		t.Fatal(err)
	}
	has := func(g *Graph, name string) bool {
		for _, e := range g.Fetched() {
			if e.Locator.Name == name {
				return true
			}
		}
		return false
	}
	if !has(g2, "@airlock-fixture/native-linux-musl") || has(g2, "@airlock-fixture/native-linux-x64-gnu") {
		t.Error("musl platform: wrong native package")
	}
	if !has(g, "@airlock-fixture/native-linux-x64-gnu") || has(g, "@airlock-fixture/native-linux-musl") {
		t.Error("glibc platform: wrong native package")
	}
	if len(g.Unreached) != 0 {
		t.Errorf("unreached: %v", g.Unreached)
	}
}

func TestUnreachedExtensions(t *testing.T) {
	g, err := readFixture(t, "extensions").Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range g.Unreached {
		names = append(names, e.Locator.String())
	}
	if got := strings.Join(names, " "); got != "@babel/helper-string-parser@npm:7.29.15 @babel/helper-validator-identifier@npm:7.29.7 @babel/types@npm:7.29.15" {
		t.Errorf("unreached = %s", got)
	}
}

func TestPlatformSkipsSubtrees(t *testing.T) {
	g, err := readFixture(t, "platform").Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range g.Fetched() {
		switch e.Locator.Name {
		case "fsevents", "node-gyp", "@esbuild/darwin-arm64":
			t.Errorf("%s should not be fetched on linux", e.Locator)
		}
	}
	// fsevents' patch: entry is never reached on linux, so it is not
	// refused; on darwin it is.
	if _, err := readFixture(t, "platform").Graph(Platform{OS: "darwin", CPU: "arm64"}); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "patch:") {
		t.Errorf("darwin: err = %v, want the patch: refusal", err)
	}
}

func TestConditions(t *testing.T) {
	for _, tc := range []struct {
		expr string
		p    Platform
		want bool
	}{
		{"os=linux", linux, true},
		{"os=darwin", linux, false},
		{"os=linux & cpu=x64 & libc=glibc", linux, true},
		{"os=linux & cpu=x64 & libc=musl", linux, false},
		{"libc=glibc", Platform{OS: "darwin", CPU: "arm64"}, false},
		{"!os=win32", linux, true},
		{"(os=darwin | os=linux) & !cpu=ia32", linux, true},
		{"(os=darwin | os=freebsd)", linux, false},
	} {
		c, err := ParseConditions(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		if got := c.Match(tc.p); got != tc.want {
			t.Errorf("%q on %v = %v", tc.expr, tc.p, got)
		}
	}
	for _, bad := range []string{"", "os=", "os=Linux", "arch=x64", "os=linux &", "(os=linux", "os=linux)", "os=linux | | cpu=x64", strings.Repeat("(", 100) + "os=linux" + strings.Repeat(")", 100)} {
		if _, err := ParseConditions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

const header = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"

const rootEntry = "\"r@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"r@workspace:.\"\n  languageName: unknown\n  linkType: soft\n"

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, lock, want string
	}{
		{"classic", "# yarn lockfile v1\n\nfoo@^1:\n  version \"1.0.0\"\n", "not a yarn berry lockfile"},
		{"no metadata", rootEntry, "no __metadata"},
		{"old version", "__metadata:\n  version: 3\n  cacheKey: 8\n", "line 2"},
		{"unknown field", header + rootEntry + "  integrity: sha512-x\n", "unknown field \"integrity\""},
		{"bad key", header + "\"nothing\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  languageName: node\n  linkType: hard\n", "not a descriptor"},
		{"bad resolution", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a\"\n  languageName: node\n  linkType: hard\n", "not a locator"},
		{"dangling dependency", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    b: \"npm:^2\"\n  languageName: node\n  linkType: hard\n", "which no entry resolves"},
		{"duplicate descriptor", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  languageName: node\n  linkType: hard\n\n\"a@npm:^1, a@npm:1.0.1\":\n  version: 1.0.1\n  resolution: \"a@npm:1.0.1\"\n  languageName: node\n  linkType: hard\n", "line 11"},
		{"bad link type", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  languageName: node\n  linkType: symlink\n", "linkType"},
		{"escaping workspace", header + "\"w@workspace:../x\":\n  version: 0.0.0-use.local\n  resolution: \"w@workspace:../x\"\n  languageName: unknown\n  linkType: soft\n", "inside the project"},
		{"bad conditions", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  conditions: os=linux && cpu=x64\n  languageName: node\n  linkType: hard\n", "conditions"},
		{"anchor", header + "\"a@npm:^1\": &x\n  version: 1.0.0\n", "not a yarn berry lockfile"},
		{"bad name", header + "\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    \"../b\": \"npm:^2\"\n  languageName: node\n  linkType: hard\n", "not a package name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.lock))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			if !errors.Is(err, ErrLockfile) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v does not wrap ErrLockfile", err)
			}
		})
	}
}

func TestGraphRefusals(t *testing.T) {
	for _, tc := range []struct{ name, dep, entry, want string }{
		{"patch", "patch:a@npm%3A1.0.0#./a.patch", "\"a@patch:a@npm%3A1.0.0#./a.patch\":\n  version: 1.0.0\n  resolution: \"a@patch:a@npm%3A1.0.0#./a.patch::version=1.0.0&hash=abc\"\n  languageName: node\n  linkType: hard\n", "patch:"},
		{"git", "https://github.com/x/a.git", "\"a@https://github.com/x/a.git\":\n  version: 1.0.0\n  resolution: \"a@https://github.com/x/a.git#commit=abc\"\n  languageName: node\n  linkType: hard\n", "not an npm registry"},
		{"link", "link:../a", "\"a@link:../a\":\n  version: 0.0.0-use.local\n  resolution: \"a@link:../a::locator=r%40workspace%3A.\"\n  languageName: node\n  linkType: soft\n", "link:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lock := header + strings.Replace(rootEntry, "  languageName", "  dependencies:\n    a: \""+tc.dep+"\"\n  languageName", 1) + "\n" + tc.entry
			lf, err := Parse([]byte(lock))
			if err != nil {
				t.Fatal(err)
			}
			_, err = lf.Graph(linux)
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestIsBerry(t *testing.T) {
	if !IsBerry([]byte("# x\n\n__metadata:\n  version: 8\n")) || IsBerry([]byte("# yarn lockfile v1\n")) {
		t.Fatal("IsBerry")
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range []string{"layout", "workspace", "platform"} {
		b, err := os.ReadFile(filepath.Join(fixtures, n, "yarn.lock"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(header + rootEntry))
	f.Fuzz(func(t *testing.T, data []byte) {
		lf, err := Parse(data)
		if err != nil {
			return
		}
		g, err := lf.Graph(linux)
		if err != nil {
			return
		}
		for _, e := range g.Fetched() {
			if _, _, err := e.NpmVersion(); err != nil {
				t.Fatalf("fetched entry %s has no version: %v", e.Locator, err)
			}
		}
	})
}

func TestUnpatchedGraph(t *testing.T) {
	lf := readFixture(t, "peers")
	g, err := lf.UnpatchedGraph(linux)
	if err != nil {
		t.Fatal(err)
	}
	var subs []string
	for p, src := range g.Unpatched {
		if !p.IsBuiltinPatch() || src.Kind() != KindNpm || src.Version != p.Version {
			t.Errorf("%s -> %s", p.Locator, src.Locator)
		}
		subs = append(subs, src.Locator.String())
	}
	if strings.Join(subs, " ") != "resolve@npm:1.22.14" {
		t.Errorf("substitutions %v", subs)
	}
	found := false
	for _, e := range g.Fetched() {
		if e.IsBuiltinPatch() {
			t.Errorf("%s fetched", e.Locator)
		}
		found = found || e.Locator.String() == "resolve@npm:1.22.14"
	}
	if !found {
		t.Error("the unpatched resolve is not fetched")
	}
}
