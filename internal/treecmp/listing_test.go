package treecmp

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

func TestList(t *testing.T) {
	dir := build(t, tree{
		"node_modules/a/index.js":  "module.exports = '" + "/home/me/project" + "'\n",
		"node_modules/a/cli.js":    "#!/usr/bin/env node\n",
		"node_modules/a/link":      "->cli.js",
		"node_modules/.state/junk": "x",
		"package.json":             "{}",
	}, map[string]os.FileMode{"node_modules/a/cli.js": 0o755})
	omit := func(rel string) bool { return rel == "package.json" || rel == "node_modules/.state" }
	rewrite := func(b []byte) []byte { return []byte(strings.ReplaceAll(string(b), "/home/me/project", "$PROJECT")) }
	got, err := List(dir, omit, rewrite)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d node_modules",
		"d node_modules/a",
		"f node_modules/a/cli.js 0755 " + digest("#!/usr/bin/env node\n"),
		"f node_modules/a/index.js 0644 " + digest("module.exports = '$PROJECT'\n"),
		"l node_modules/a/link -> cli.js",
	}
	if !slices.Equal(got, want) {
		t.Errorf("List =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if d := DiffListings(want, got); d != "" {
		t.Errorf("DiffListings of equal listings = %q", d)
	}
	if d, w := DiffListings(want[:4], append(slices.Clone(want[1:4]), "d extra")), "- d node_modules\n+ d extra\n"; d != w {
		t.Errorf("DiffListings = %q, want %q", d, w)
	}
	p := filepath.Join(t.TempDir(), "tree.txt")
	if err := os.WriteFile(p, []byte("# made by hand\n\n"+want[0]+"\n"+want[4]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := ReadListing(p); err != nil || !slices.Equal(r, []string{want[0], want[4]}) {
		t.Errorf("ReadListing = %q, %v", r, err)
	}
}

func TestCheckListing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "tree.txt")
	got := []string{"d node_modules", "l node_modules/.bin/a -> ../a/cli.js"}
	if d, err := CheckListing(p, got, "", false); err == nil {
		t.Errorf("CheckListing of a missing file = %q, nil; want an error", d)
	}
	if d, err := CheckListing(p, got, "# made by hand\n", true); d != "" || err != nil {
		t.Fatalf("CheckListing update = %q, %v", d, err)
	}
	if b, _ := os.ReadFile(p); string(b) != "# made by hand\n"+got[0]+"\n"+got[1]+"\n" {
		t.Errorf("written listing = %q", b)
	}
	if d, err := CheckListing(p, got, "", false); d != "" || err != nil {
		t.Errorf("CheckListing of the same tree = %q, %v", d, err)
	}
	if d, err := CheckListing(p, got[:1], "", false); d != "- "+got[1]+"\n" || err != nil {
		t.Errorf("CheckListing of a smaller tree = %q, %v", d, err)
	}
}

func TestCopyFixture(t *testing.T) {
	src := build(t, tree{"package.json": "{}", "packages/a/package.json": `{"name":"a"}`, "pm-tree.txt": "d node_modules", "packages/a/pm-tree.txt": "kept"}, map[string]os.FileMode{"package.json": 0o600})
	dst := filepath.Join(t.TempDir(), "project")
	if err := CopyFixture(src, dst, func(rel string) bool { return rel == "pm-tree.txt" }); err != nil {
		t.Fatal(err)
	}
	got, err := List(dst, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d packages", "d packages/a",
		"f package.json 0644 " + digest("{}"),
		"f packages/a/package.json 0644 " + digest(`{"name":"a"}`),
		"f packages/a/pm-tree.txt 0644 " + digest("kept"),
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("copied =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
