package yarnberry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install/yarnberry/berryzip"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock/yarnberry"
)

var (
	fixturesDir = filepath.Join("..", "..", "testdata", "yarnberry")
	tarballsDir = filepath.Join("..", "..", "internal", "testregistry", "tarballs")
	linux       = yarnberry.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
)

// committed reads a fixture listing, without its comment lines.
func committed(t testing.TB, fixture, file string) []string {
	t.Helper()
	lines, err := treecmp.ReadListing(filepath.Join(fixturesDir, fixture, file))
	if err != nil {
		t.Fatal(err)
	}
	return lines
}

// fixtureLayout is the layout of fixture name's lockfile on linux, and its
// bins.
func fixtureLayout(t testing.TB, name string) (*Layout, func(hasFile func(location, rel string) bool)) {
	t.Helper()
	g, err := parseFixture(t, name).LayoutGraph(linux)
	if err != nil {
		t.Fatal(err)
	}
	lay, bins, err := buildLayout(g)
	if err != nil {
		t.Fatal(err)
	}
	return lay, bins
}

func parseFixture(t testing.TB, name string) *yarnberry.Lockfile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixturesDir, name, "yarn.lock"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := yarnberry.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return lf
}

// layoutListing is listing's format for a computed layout.
func layoutListing(lay *Layout) []string {
	var lines []string
	for _, p := range lay.Placements {
		if p.Soft {
			lines = append(lines, fmt.Sprintf("%s -> %s", p.Location, p.Target))
		} else {
			lines = append(lines, fmt.Sprintf("%s %s", p.Location, p.Instance.Entry.Version))
		}
	}
	for at, m := range lay.Bins {
		for k, v := range m {
			lines = append(lines, fmt.Sprintf("BIN %s %s -> %s", at, k, path.Clean(v)))
		}
	}
	sort.Strings(lines)
	return lines
}

// TestLayoutMatchesYarn computes every fixture's layout and compares it
// with the tree yarn 4 made (yarn-tree.txt).
func TestLayoutMatchesYarn(t *testing.T) {
	for _, name := range []string{"layout", "hoist", "bins", "platform", "workspace", "peers", "large"} {
		t.Run(name, func(t *testing.T) {
			lay, bins := fixtureLayout(t, name)
			// Every bin of these fixtures exists in its package.
			bins(func(string, string) bool { return true })
			if d := treecmp.DiffListings(committed(t, name, "yarn-tree.txt"), layoutListing(lay)); d != "" {
				t.Errorf("layout differs from yarn's (- yarn, + airlock):\n%s", d)
			}
		})
	}
}

// tarballFile names a test registry tarball the way its README does.
func tarballFile(e *yarnberry.Entry) string {
	name := strings.ReplaceAll(strings.TrimPrefix(e.Locator.Name, "@"), "/", "-")
	return name + "-" + e.Version + ".tgz"
}

// verifiedExtract is what cmd/airlock's Extract does, minus the network:
// the tarball, rebuilt into yarn's zip, must match the lockfile checksum.
func verifiedExtract(t testing.TB, lf *yarnberry.Lockfile, corrupt string) func(ctx context.Context, e *yarnberry.Entry, dir string) error {
	return func(ctx context.Context, e *yarnberry.Entry, dir string) error {
		tgz, err := os.ReadFile(filepath.Join(tarballsDir, tarballFile(e)))
		if err != nil {
			return err
		}
		if e.Locator.Name == corrupt {
			tgz, err = os.ReadFile(filepath.Join(tarballsDir, "ms-2.0.0.tgz"))
			if err != nil {
				return err
			}
		}
		a, err := berryzip.Convert(bytes.NewReader(tgz), e.Locator.Name, berryzip.Limits{})
		if err != nil {
			return err
		}
		if e.Checksum == "" && e.Conditions != "" {
			// yarn records no checksum for optional platform packages;
			// cmd/airlock checks these against the registry's integrity.
			return WriteArchive(a, e.Locator.Name, dir, 0o022)
		}
		want, err := berryzip.ParseChecksum(e.Checksum, lf.CacheKey)
		if err != nil {
			return err
		}
		sum, err := a.Sum()
		if err != nil {
			return err
		}
		if sum != want.Hex {
			return fmt.Errorf("checksum mismatch for %s: %s", e.Locator, sum[:16])
		}
		return WriteArchive(a, e.Locator.Name, dir, 0o022)
	}
}

func stageLayout(t testing.TB, dir string) {
	t.Helper()
	src := filepath.Join(fixturesDir, "layout")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		if strings.HasPrefix(d.Name(), "yarn-") && strings.HasSuffix(d.Name(), ".txt") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if d.Name() == "cli.js" {
			mode = 0o755
		}
		return os.WriteFile(filepath.Join(dir, rel), b, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInstallMatchesYarnFiles installs the layout fixture from the test
// registry's tarballs and compares every file, mode and link with the tree
// yarn 4 made (yarn-files.txt, made under umask 022).
func TestInstallMatchesYarnFiles(t *testing.T) {
	if old := unixUmask(0o022); old != 0o022 {
		defer unixUmask(old)
	}
	lf := parseFixture(t, "layout")
	g, err := lf.Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stageLayout(t, dir)
	res, err := Install(context.Background(), Options{ProjectDir: dir, Graph: g, Extract: verifiedExtract(t, lf, "")})
	if err != nil {
		t.Fatal(err)
	}
	got := fileListing(t, dir, []string{".", "packages/app", "packages/lib"})
	if d := treecmp.DiffListings(committed(t, "layout", "yarn-files.txt"), got); d != "" {
		t.Errorf("installed tree differs from yarn's (- yarn, + airlock):\n%s", d)
	}
	if got := listing(t, dir, []string{".", "packages/app", "packages/lib"}); treecmp.DiffListings(committed(t, "layout", "yarn-tree.txt"), got) != "" {
		t.Errorf("listing differs:\n%s", treecmp.DiffListings(committed(t, "layout", "yarn-tree.txt"), got))
	}
	state, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(fixturesDir, "layout", "yarn-state.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(stanzas(state, extensionVirtuals["layout"]), "\n\n") != strings.Join(stanzas(want, extensionVirtuals["layout"]), "\n\n") {
		t.Errorf("node_modules/.yarn-state.yml is not yarn's:\n%s", state)
	}
	if res.Packages != 33 || res.Links != 3 || res.Bins != 9 {
		t.Errorf("result = %+v", res)
	}
	if strings.Join(res.InstallScripts, " ") != "@scarf/scarf@1.4.0" {
		t.Errorf("install scripts = %v", res.InstallScripts)
	}
}

// TestChecksumMismatchLeavesTree: a tarball whose rebuilt zip does not
// match the lockfile stops the install before anything is swapped in.
func TestChecksumMismatchLeavesTree(t *testing.T) {
	lf := parseFixture(t, "layout")
	g, err := lf.Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stageLayout(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "node_modules", "old"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), Options{ProjectDir: dir, Graph: g, Extract: verifiedExtract(t, lf, "is-odd")})
	if err == nil || !strings.Contains(err.Error(), "checksum mismatch for is-odd@npm:3.0.1") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "old")); err != nil {
		t.Fatalf("the previous node_modules was touched: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ms")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a partial tree was swapped in: %v", err)
	}
}

func TestMissingWorkspace(t *testing.T) {
	lf := parseFixture(t, "layout")
	g, err := lf.Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	stageLayout(t, dir)
	if err := os.RemoveAll(filepath.Join(dir, "packages", "lib")); err != nil {
		t.Fatal(err)
	}
	_, err = Install(context.Background(), Options{ProjectDir: dir, Graph: g, Extract: verifiedExtract(t, lf, "")})
	if !errors.Is(err, ErrWorkspaceMissing) {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteArchiveHostile(t *testing.T) {
	mk := func(entries ...*berryzip.Entry) *berryzip.Archive {
		return &berryzip.Archive{Entries: append([]*berryzip.Entry{
			{Name: "node_modules/", Mode: 0o040755},
			{Name: "node_modules/p/", Mode: 0o040755},
		}, entries...)}
	}
	for name, a := range map[string]*berryzip.Archive{
		"absolute symlink":  mk(&berryzip.Entry{Name: "node_modules/p/l", Mode: 0o120777, Data: []byte("/etc/passwd")}),
		"escaping symlink":  mk(&berryzip.Entry{Name: "node_modules/p/d/l", Mode: 0o120777, Data: []byte("../../x")}),
		"node_modules link": mk(&berryzip.Entry{Name: "node_modules/p/node_modules", Mode: 0o120777, Data: []byte(".")}),
		"node_modules file": mk(&berryzip.Entry{Name: "node_modules/p/node_modules", Mode: 0o100644, Data: []byte("x")}),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := WriteArchive(a, "p", dir, 0o022); !errors.Is(err, ErrBadPackage) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	// Inside links are kept; bundled dependencies are not installed.
	dir := t.TempDir()
	a := mk(
		&berryzip.Entry{Name: "node_modules/p/a.js", Mode: 0o100644, Data: []byte("a")},
		&berryzip.Entry{Name: "node_modules/p/l.js", Mode: 0o120777, Data: []byte("a.js")},
		&berryzip.Entry{Name: "node_modules/p/node_modules/", Mode: 0o040755},
		&berryzip.Entry{Name: "node_modules/p/node_modules/b/", Mode: 0o040755},
		&berryzip.Entry{Name: "node_modules/p/node_modules/b/index.js", Mode: 0o100644, Data: []byte("b")},
	)
	if err := WriteArchive(a, "p", dir, 0o022); err != nil {
		t.Fatal(err)
	}
	if target, err := os.Readlink(filepath.Join(dir, "l.js")); err != nil || target != "a.js" {
		t.Errorf("link: %q %v", target, err)
	}
	if entries, err := os.ReadDir(filepath.Join(dir, "node_modules")); err != nil || len(entries) != 0 {
		t.Errorf("bundled node_modules: %v %v", entries, err)
	}
}

// extensionVirtuals are the packages yarn's builtin packageExtensions
// (@yarnpkg/extensions) give peer dependencies in each fixture: yarn makes
// them virtual packages, which airlock, not applying extensions, does not,
// so their .yarn-state.yml stanzas are named differently (the tree is the
// same; yarn run, yarn bin and yarn node work with either).
var extensionVirtuals = map[string][]string{
	"layout": {`"debug@`},
	"hoist":  {`"debug@`},
	"large":  {`"debug@`},
}

// stanzas splits a state file at blank lines, leaving out those whose
// first line starts with one of skip.
func stanzas(b []byte, skip []string) []string {
	var out []string
next:
	for _, st := range strings.Split(string(b), "\n\n") {
		for _, p := range skip {
			if strings.HasPrefix(st, p) {
				continue next
			}
		}
		out = append(out, st)
	}
	return out
}

// TestStateMatchesYarn renders node_modules/.yarn-state.yml for every
// fixture and compares it with the one yarn 4 wrote, byte for byte but
// for extensionVirtuals.
func TestStateMatchesYarn(t *testing.T) {
	for _, name := range []string{"layout", "hoist", "bins", "platform", "workspace", "peers", "rootbin", "large"} {
		t.Run(name, func(t *testing.T) {
			lay, bins := fixtureLayout(t, name)
			bins(func(string, string) bool { return true })
			want, err := os.ReadFile(filepath.Join(fixturesDir, name, "yarn-state.yml"))
			if err != nil {
				t.Fatal(err)
			}
			got := lay.yarnState()
			w, g2 := stanzas(want, extensionVirtuals[name]), stanzas(got, extensionVirtuals[name])
			if strings.Join(w, "\n\n") != strings.Join(g2, "\n\n") {
				t.Errorf("state differs from yarn's (- yarn, + airlock):\n%s", treecmp.DiffListings(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")))
			}
			if len(extensionVirtuals[name]) == 0 && !bytes.Equal(got, want) {
				t.Error("state is not byte for byte yarn's")
			}
		})
	}
}
