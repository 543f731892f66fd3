package pnpm

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// dump renders a node as a compact, unambiguous string for table tests.
func dump(n *YAMLNode) string {
	switch n.Kind {
	case YAMLNull:
		return "~"
	case YAMLScalar:
		if n.Quoted {
			return "'" + n.Value + "'"
		}
		return n.Value
	case YAMLSeq:
		var parts []string
		for _, it := range n.Items {
			parts = append(parts, dump(it))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	var parts []string
	for _, k := range n.Keys {
		parts = append(parts, k+"="+dump(n.Fields[k]))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func TestParseYAML(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a: b\n", "{a=b}"},
		{"a: 'b'\n", "{a='b'}"},
		{"a: \"b\\u00e9\\\\\"\n", "{a='bé\\'}"},
		{"a: 'it''s'\n", "{a='it's'}"},
		{"a:\n", "{a=~}"},
		{"a: {}\n", "{a={}}"},
		{"a: []\n", "{a=[]}"},
		{"# c\na: b # c\n\n", "{a=b}"},
		{"a:\n  b: c\n  d:\n    e: f\ng: h\n", "{a={b=c,d={e=f}},g=h}"},
		{"a:\n  - x\n  - 'y'\n", "{a=[x,'y']}"},
		{"a:\n- x\n- y\nb: c\n", "{a=[x,y],b=c}"},
		{"r: {integrity: sha512-AB/+==, tarball: https://r.example/a/-/a-1.0.0.tgz}\n", "{r={integrity=sha512-AB/+==,tarball=https://r.example/a/-/a-1.0.0.tgz}}"},
		{"e: {node: ^8.16.0 || ^10.6.0 || >=11.0.0}\n", "{e={node=^8.16.0 || ^10.6.0 || >=11.0.0}}"},
		{"e: {node: '>=6.0'}\n", "{e={node='>=6.0'}}"},
		{"os: [darwin, '!win32']\n", "{os=[darwin,'!win32']}"},
		{"'@a/b@1.0.0(c@2.0.0)':\n  x: y\n", "{@a/b@1.0.0(c@2.0.0)={x=y}}"},
		{"a@1.0.0(b@1.0.0)(c@2.0.0): {}\n", "{a@1.0.0(b@1.0.0)(c@2.0.0)={}}"},
		{".:\n  x: y\n", "{.={x=y}}"},
		{"a: b:c\n", "{a=b:c}"},
		{"a: b#c\n", "{a=b#c}"},
		{"\ufeffa: b\r\n", "{a=b}"},
		{"", "~"},
		{"a: {b: {c: [d, {e: f}]}}\n", "{a={b={c=[d,{e=f}]}}}"},
	} {
		n, err := ParseYAML([]byte(tc.in))
		if err != nil {
			t.Errorf("ParseYAML(%q): %v", tc.in, err)
			continue
		}
		if got := dump(n); got != tc.want {
			t.Errorf("ParseYAML(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestParseYAMLRefusals(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a: &x b\n", "anchors"},
		{"a: *x\n", "aliases"},
		{"a: !!str b\n", "tags"},
		{"a: !t b\n", "tags"},
		{"---\na: b\n", "document marker (---)"},
		{"a: b\n---\nc: d\n", "several"},
		{"a: b\n...\n", "document end markers"},
		{"%YAML 1.2\na: b\n", "directives"},
		{"? a\n: b\n", "complex mapping keys"},
		{"a: |\n  x\n", "block scalars"},
		{"a: >\n  x\n", "block scalars"},
		{"a: b\n  c\n", "unexpected indentation"},
		{"a:\n  b: c\n d: e\n", "unexpected indentation"},
		{"a: b\na: c\n", "appears twice"},
		{"a: {b: c, b: d}\n", "appears twice"},
		{"a: 'b\n  c'\n", "must end on its line"},
		{"a: {b: c,\n  d: e}\n", "closed on their line"},
		{"a: [b, c\n", "closed on their line"},
		{"\ta: b\n", "tab in indentation"},
		{"a:\n\t- b\n", "tab in indentation"},
		{"a: b\x00\n", "control character"},
		{"a: \xff\n", "not UTF-8"},
		{"a: @b\n", "reserves"},
		{"a: `b\n", "reserves"},
		{"a: \"\\q\"\n", "unsupported escape"},
		{"a: [b,]\n", "trailing comma"},
		{"a: b: c\n", "compact mappings"},
		{"a:\n  - b: c\n", "nested blocks"},
		{"a:\n  - - b\n", "nested blocks"},
		{"  a: b\n", "column 1"},
		{"a: {b: c} d\n", "after a flow collection"},
		{"a: 'b' c\n", "after a quoted scalar"},
		{"a: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", "nested too deep"},
	} {
		_, err := ParseYAML([]byte(tc.in))
		if err == nil {
			t.Errorf("ParseYAML(%q) succeeded, want an error containing %q", tc.in, tc.want)
			continue
		}
		if !errors.Is(err, ErrYAML) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseYAML(%q) = %v, want ErrYAML containing %q", tc.in, err, tc.want)
		}
	}
}

func TestParseYAMLDeepBlocks(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 100; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	if _, err := ParseYAML([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Fatalf("100 nested mappings: %v, want nesting too deep", err)
	}
}

// realLockfiles are the pnpm-lock.yaml files real pnpm wrote (see
// testdata/pnpm/README.md).
func realLockfiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pnpm", "*", "pnpm-lock.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("fixture lockfiles: %v %v", files, err)
	}
	return files
}

// TestParseYAMLRealLockfiles checks the reader on lockfiles pnpm wrote:
// every line that holds a key comes back as a key, in order.
func TestParseYAMLRealLockfiles(t *testing.T) {
	for _, f := range realLockfiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := ParseYAML(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var keys []string
		var walk func(*YAMLNode)
		walk = func(n *YAMLNode) {
			if n.Kind == YAMLMap && n.Line != 0 {
				for _, k := range n.Keys {
					keys = append(keys, k)
					walk(n.Fields[k])
				}
			}
			for _, it := range n.Items {
				walk(it)
			}
		}
		walk(n)
		// Every "key:" at the start of a line is there.
		var want []string
		for _, line := range strings.Split(string(data), "\n") {
			s := strings.TrimLeft(line, " ")
			if s == "" || strings.HasPrefix(s, "-") {
				continue
			}
			k, _, ok, err := splitKey(s, 0)
			if err != nil || !ok {
				t.Fatalf("%s: line %q is not a key", f, line)
			}
			want = append(want, k)
		}
		if !containsInOrder(keys, want) {
			t.Errorf("%s: keys read do not include every line's key in order", f)
		}
		if got := n.Get("lockfileVersion"); got == nil || got.Value != "9.0" || !got.Quoted {
			t.Errorf("%s: lockfileVersion = %+v", f, got)
		}
	}
}

func containsInOrder(have, want []string) bool {
	i := 0
	for _, h := range have {
		if i < len(want) && h == want[i] {
			i++
		}
	}
	return i == len(want)
}

func FuzzParseYAML(f *testing.F) {
	for _, file := range realLockfiles(f) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{"a: &x b\n", "a: {b: [c, 'd''e', \"\\u0041\"]}\n", "a:\n- b\n- c\n", "? a\n", "a: b\n  c: d\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseYAML(data)
		if err != nil {
			if !errors.Is(err, ErrYAML) {
				t.Fatalf("error not wrapping ErrYAML: %v", err)
			}
			return
		}
		// Parsing is deterministic and every mapping's keys are unique
		// and all present.
		n2, err := ParseYAML(data)
		if err != nil || !reflect.DeepEqual(n, n2) {
			t.Fatalf("second parse differs: %v", err)
		}
		var check func(*YAMLNode)
		check = func(n *YAMLNode) {
			if n.Kind == YAMLMap {
				if len(n.Keys) != len(n.Fields) {
					t.Fatalf("mapping at line %d: %d keys, %d fields", n.Line, len(n.Keys), len(n.Fields))
				}
				for _, k := range n.Keys {
					check(n.Fields[k])
				}
			}
			for _, it := range n.Items {
				check(it)
			}
		}
		check(n)
		// Parsing a lockfile and selecting from it never panic either.
		if lf, err := Parse(data); err == nil {
			for _, o := range []Options{{Platform: Platform{OS: "linux", CPU: "x64"}}, {NoDev: true, NoOptional: true, Major: 9}} {
				_, _ = lf.Select(o)
			}
		}
	})
}

// TestParseYAMLWorkspaceFiles reads the fixtures' pnpm-workspace.yaml
// files, vuejs/core's among them (catalogs, allowBuilds, nested rules).
func TestParseYAMLWorkspaceFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "pnpm", "*", "pnpm-workspace.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("workspace files: %v %v", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n, err := ParseYAML(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		// A single project's (patched) holds settings only.
		if pk := n.Get("packages"); (pk == nil && n.Get("patchedDependencies") == nil) || pk != nil && (pk.Kind != YAMLSeq || len(pk.Items) == 0) {
			t.Errorf("%s: packages = %+v", f, pk)
		}
	}
}
