package bun

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// isolatedLinks renders SelectIsolated's links as bun's tree has them:
// "path -> relative target", sorted.
func isolatedLinks(iso *Isolated) []string {
	var out []string
	for _, l := range iso.Links() {
		rel, err := filepath.Rel(path.Dir(l.At), l.To)
		if err != nil {
			rel = "?" + err.Error()
		}
		out = append(out, l.At+" -> "+filepath.ToSlash(rel))
	}
	slices.Sort(out)
	return out
}

// TestIsolatedLinksMatchBun compares SelectIsolated with the symlinks (bins
// aside) of the trees bun 1.4.5 made with --linker=isolated on
// linux/x64/glibc from real lockfiles: vite (peer-suffixed entries such as
// @babel/core's through debug's optional supports-color peer, a package
// that its own dependency peers back on), and a workspace project with
// React 18 and 19, peers satisfied by workspaces' dependencies and the
// @nestjs/core ↔ @nestjs/microservices peer cycle (bun-isolated-links.txt,
// see testdata/bun/README.md).
func TestIsolatedLinksMatchBun(t *testing.T) {
	for _, name := range []string{"vite", "peers"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bun", name, "bun-isolated-links.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if !strings.HasPrefix(l, "#") {
					want = append(want, l)
				}
			}
			iso, err := readFixture(t, name).SelectIsolated(Options{Platform: linux})
			if err != nil {
				t.Fatal(err)
			}
			got := isolatedLinks(iso)
			var diff []string
			for _, l := range want {
				if !slices.Contains(got, l) {
					diff = append(diff, "- "+l)
				}
			}
			for _, l := range got {
				if !slices.Contains(want, l) {
					diff = append(diff, "+ "+l)
				}
			}
			if len(diff) > 0 {
				t.Errorf("links differ from bun's (- bun, + airlock):\n%s", strings.Join(diff, "\n"))
			}
		})
	}
}

// TestPeerHash checks bun's Wyhash11 peer suffixes against names real bun
// gave: peer-host@1.0.0 (layout fixture), supports-color@7.2.0 (vite's
// debug), and a 32-byte-plus input (two peers).
func TestPeerHash(t *testing.T) {
	for in, want := range map[string]uint64{
		"@airlock-fixture/peer-host1.0.0": 0xbb0dd5eae1552cf7,
		"supports-color7.2.0":             0x759ce506b1ed1a42,
	} {
		if got := wyhash11(0, []byte(in)); got != want {
			t.Errorf("wyhash11(%q) = %016x, bun: %016x", in, got, want)
		}
	}
}

// TestIsolatedNoStoreEscape: every store entry sits in its own directory
// of node_modules/.bun, whatever the names in the lockfile.
func TestIsolatedNoStoreEscape(t *testing.T) {
	for _, name := range []string{"vite", "peers", "layout", "workspace", "bundled", "isolated"} {
		iso, err := readFixture(t, name).SelectIsolated(Options{Platform: linux})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen := map[string]bool{}
		for _, e := range iso.Entries {
			if e.Kind != StorePackage {
				continue
			}
			if strings.ContainsAny(e.StoreName, "/\\") || e.StoreName == ".." || seen[e.Dir] {
				t.Errorf("%s: store entry %q (%s)", name, e.StoreName, e.Dir)
			}
			seen[e.Dir] = true
		}
	}
}

// TestIsolatedNodeLimit: a lockfile whose first pass would need more than
// the node limit is refused (ErrTooLarge), not laid out.
func TestIsolatedNodeLimit(t *testing.T) {
	old := maxIsolatedNodes
	maxIsolatedNodes = 5
	defer func() { maxIsolatedNodes = old }()
	_, err := readFixture(t, "layout").SelectIsolated(Options{Platform: linux})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// TestIsolatedSelfNamedDependency: a dependency named like the package
// that depends on it is linked one node_modules further down, so it does
// not replace the package itself (bun's entryStoreNodeModulesPackageName
// rule).
func TestIsolatedSelfNamedDependency(t *testing.T) {
	lf, err := Parse([]byte(`{
  "lockfileVersion": 1,
  "workspaces": { "": { "name": "r", "dependencies": { "a": "1.0.0" } } },
  "packages": {
    "a": ["a@1.0.0", "", { "dependencies": { "a": "npm:b@2.0.0" } }, "sha512-AA=="],
    "a/a": ["b@2.0.0", "", {}, "sha512-BB=="],
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	iso, err := lf.SelectIsolated(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	got := isolatedLinks(iso)
	want := "node_modules/.bun/a@1.0.0/node_modules/a/node_modules/a -> ../../../../b@2.0.0/node_modules/b"
	if !slices.Contains(got, want) {
		t.Errorf("links %q lack %q", got, want)
	}
}

// TestIsolatedPackages: every store directory of bun's isolated vite tree
// (from bun-isolated-links.txt's targets) is listed for airlock audit.
func TestIsolatedPackages(t *testing.T) {
	lf := readFixture(t, "vite")
	pkgs, err := lf.IsolatedPackages(linux)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, p := range pkgs {
		have[p.Path] = true
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "bun", "vite", "bun-isolated-links.txt"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(string(data), "\n") {
		at, target, ok := strings.Cut(l, " -> ")
		if !ok || strings.HasPrefix(l, "#") {
			continue
		}
		dir := path.Clean(path.Join(path.Dir(at), target))
		if !strings.HasPrefix(dir, "node_modules/.bun/") {
			continue
		}
		n++
		if !have[dir] {
			t.Errorf("%s (linked from %s) is not listed", dir, at)
		}
	}
	if n < 162 {
		t.Errorf("only %d links into the store checked", n)
	}
}

// TestIsolatedStepLimit: the first pass's ancestor walks are bounded too
// (a long chain with peers costs its depth for every peer).
func TestIsolatedStepLimit(t *testing.T) {
	old := maxIsolatedSteps
	maxIsolatedSteps = 10
	defer func() { maxIsolatedSteps = old }()
	_, err := readFixture(t, "peers").SelectIsolated(Options{Platform: linux})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}
