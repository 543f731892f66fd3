package treecmp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree describes files to create: path → content; a value starting with
// "->" is a symlink target, "/" a directory. Modes are applied after.
type tree map[string]string

func build(t *testing.T, files tree, modes map[string]os.FileMode) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(strings.TrimPrefix(content, "->"), full)
		case content == "/":
			err = os.MkdirAll(full, 0o755)
		default:
			err = os.WriteFile(full, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for p, m := range modes {
		if err := os.Chmod(filepath.Join(root, filepath.FromSlash(p)), m); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func base() tree {
	return tree{
		"package.json":                    `{"name":"p"}`,
		"node_modules/ms/package.json":    `{"name":"ms","version":"2.1.3"}`,
		"node_modules/ms/index.js":        "module.exports = 1\nline two\n",
		"node_modules/which/bin/which":    "#!/usr/bin/env node\n",
		"node_modules/.bin/which":         "->../which/bin/which",
		"node_modules/.package-lock.json": `{"name":"p","lockfileVersion":3,"packages":{"node_modules/ms":{"version":"2.1.3","license":"MIT"}}}`,
		"packages/b/package.json":         `{"name":"b"}`,
		"packages/b/node_modules/x/a.js":  "x\n",
	}
}

func with(t tree, changes tree) tree {
	out := tree{}
	for k, v := range t {
		out[k] = v
	}
	for k, v := range changes {
		if v == "<delete>" {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func TestCompare(t *testing.T) {
	exec := map[string]os.FileMode{"node_modules/which/bin/which": 0o755}
	for _, tc := range []struct {
		name   string
		b      tree
		modesB map[string]os.FileMode
		opts   Options
		want   []string // Difference.String() substrings, in order
	}{
		{name: "identical", b: base(), modesB: exec},
		{name: "outside node_modules is not compared", modesB: exec,
			b: with(base(), tree{"package.json": `{"name":"other"}`, "airlock.toml": "x"})},
		{name: "lockfile key order and formatting", modesB: exec,
			b: with(base(), tree{"node_modules/.package-lock.json": "{\n  \"packages\": {\"node_modules/ms\": {\"license\": \"MIT\", \"version\": \"2.1.3\"}},\n  \"lockfileVersion\": 3, \"name\": \"p\"\n}\n"})},
		{name: "missing file", modesB: exec,
			b:    with(base(), tree{"node_modules/ms/index.js": "<delete>"}),
			want: []string{"node_modules/ms/index.js: only in a (file 0644, 28 bytes)"}},
		{name: "extra file in a workspace node_modules", modesB: exec,
			b:    with(base(), tree{"packages/b/node_modules/x/b.js": "b"}),
			want: []string{"packages/b/node_modules/x/b.js: only in b"}},
		{name: "content", modesB: exec,
			b: with(base(), tree{"node_modules/ms/index.js": "module.exports = 1\nline 2!!\n"}),
			want: []string{`node_modules/ms/index.js: content differs:
	a: 28 bytes, sha256 00c7041a58cf2e51; line 2: "line two\n"
	b: 28 bytes, sha256 55d310fd9d01984e; line 2: "line 2!!\n"`}},
		{name: "exec bit", modesB: map[string]os.FileMode{"node_modules/which/bin/which": 0o744},
			b:    base(),
			want: []string{"node_modules/which/bin/which: mode differs:\n\ta: 0755\n\tb: 0744"}},
		{name: "symlink target", modesB: exec,
			b:    with(base(), tree{"node_modules/.bin/which": "->../which/bin/./which"}),
			want: []string{"node_modules/.bin/which: symlink target differs:\n\ta: ../which/bin/which\n\tb: ../which/bin/./which"}},
		{name: "symlink replaced by a copy", modesB: map[string]os.FileMode{"node_modules/which/bin/which": 0o755, "node_modules/.bin/which": 0o755},
			b:    with(base(), tree{"node_modules/.bin/which": "#!/usr/bin/env node\n"}),
			want: []string{"node_modules/.bin/which: type differs:\n\ta: symlink to ../which/bin/which\n\tb: file 0755"}},
		{name: "directory mode", modesB: map[string]os.FileMode{"node_modules/which/bin/which": 0o755, "node_modules/ms": 0o700},
			b:    base(),
			want: []string{"node_modules/ms: mode differs:\n\ta: 0755\n\tb: 0700"}},
		{name: "directory mode ignored", modesB: map[string]os.FileMode{"node_modules/which/bin/which": 0o755, "node_modules/ms": 0o700},
			b: base(), opts: Options{IgnoreDirModes: true}},
		{name: "lockfile values", modesB: exec,
			b: with(base(), tree{"node_modules/.package-lock.json": `{"name":"p","lockfileVersion":3,"packages":{"node_modules/ms":{"version":"2.1.2","license":"MIT","resolved":"https://x/ms.tgz"},"node_modules/y":{}}}`}),
			want: []string{
				`node_modules/.package-lock.json packages["node_modules/ms"].resolved: hidden lockfile differs:` + "\n\ta: (absent)\n\tb: \"https://x/ms.tgz\"",
				`node_modules/.package-lock.json packages["node_modules/ms"].version: hidden lockfile differs:` + "\n\ta: \"2.1.3\"\n\tb: \"2.1.2\"",
				`node_modules/.package-lock.json packages["node_modules/y"]: hidden lockfile differs`,
			}},
		{name: "lockfile not JSON", modesB: exec,
			b:    with(base(), tree{"node_modules/.package-lock.json": `{"name":`}),
			want: []string{"node_modules/.package-lock.json: hidden lockfile differs:\n\ta: valid JSON\n\tb: not JSON"}},
		{name: "ignore pattern", modesB: exec,
			b:    with(base(), tree{"node_modules/.cache/x": "1", "node_modules/ms/index.js": "changed"}),
			opts: Options{Ignore: []string{"node_modules/.cache", "node_modules/ms/*.js"}}},
		{name: "explicit roots", modesB: exec,
			b:    with(base(), tree{"packages/b/node_modules/x/a.js": "changed", "packages/b/package.json": "changed"}),
			opts: Options{Roots: []string{"packages"}},
			want: []string{"packages/b/node_modules/x/a.js: content differs", "packages/b/package.json: content differs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := build(t, base(), exec)
			b := build(t, tc.b, tc.modesB)
			diffs, err := Compare(a, b, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(diffs) != len(tc.want) {
				t.Fatalf("%d differences, want %d:\n%s", len(diffs), len(tc.want), Report(diffs))
			}
			for i, w := range tc.want {
				if !strings.Contains(diffs[i].String(), w) {
					t.Errorf("difference %d:\n%s\nwant it to contain:\n%s", i, diffs[i], w)
				}
			}
		})
	}
}

func TestCompareMissingRoot(t *testing.T) {
	a := build(t, tree{"node_modules/ms/index.js": "x"}, nil)
	b := build(t, tree{"package.json": "{}"}, nil)
	diffs, err := Compare(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 3 || diffs[0].Kind != OnlyInA || diffs[0].Path != "node_modules" {
		t.Fatalf("want node_modules and its contents only in a, got:\n%s", Report(diffs))
	}
}

func TestCompareUnreadableTree(t *testing.T) {
	if _, err := Compare(filepath.Join(t.TempDir(), "nope"), t.TempDir(), Options{}); err == nil {
		t.Error("comparing a missing project gave no error")
	}
}

func TestReportTruncates(t *testing.T) {
	diffs := make([]Difference, MaxReport+5)
	for i := range diffs {
		diffs[i] = Difference{Path: "p", Kind: OnlyInA, A: "file"}
	}
	r := Report(diffs)
	if got := strings.Count(r, "only in a"); got != MaxReport {
		t.Errorf("printed %d differences, want %d", got, MaxReport)
	}
	if !strings.Contains(r, "... and 5 more differences") {
		t.Errorf("no summary line:\n%s", r[len(r)-200:])
	}
}
