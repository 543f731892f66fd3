package wheel

import (
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		in   string
		want [][3]string
		err  bool
	}{
		{in: "a.py,sha256=x,1\r\nb/RECORD,,\r\n", want: [][3]string{{"a.py", "sha256=x", "1"}, {"b/RECORD", "", ""}}},
		{in: "a.py,sha256=x,1\nb,,", want: [][3]string{{"a.py", "sha256=x", "1"}, {"b", "", ""}}},
		{in: `"with,comma",h,1` + "\n" + `"q""uote",h,2`, want: [][3]string{{"with,comma", "h", "1"}, {`q"uote`, "h", "2"}}},
		{in: "a,b,c,d\n", err: true},
		{in: "a,b\n", err: true},
		{in: "a,b,c\n\nd,e,f\n", err: true},
		{in: `"a,b,c` + "\n", err: true},
		{in: `"a"x,b,c` + "\n", err: true},
		{in: `a"b,c,d` + "\n", err: true},
		{in: "a,b,c\rd,e,f\n", err: true},
		{in: "a,b,c\x1ed,e,f\n", err: true},
		{in: "a\x85,b,c\n", err: true},
		{in: "\xff,b,c\n", err: true},
	}
	for _, tt := range tests {
		rows, err := parseRecord([]byte(tt.in))
		if tt.err {
			if err == nil {
				t.Errorf("parseRecord(%q) = %v, want an error", tt.in, rows)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseRecord(%q): %v", tt.in, err)
			continue
		}
		var got [][3]string
		for _, r := range rows {
			got = append(got, [3]string{r.Path, r.Hash, r.Size})
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseRecord(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeVersion(t *testing.T) {
	for in, want := range map[string]string{
		"1.0": "1", "1.0.0": "1", "v1.2": "1.2", "1.2.0rc1": "1.2rc1", "1.2-c1": "1.2rc1", "1.0alpha": "1a0",
		"1.0-1": "1.post1", "1.0.post0": "1.post0", "1.0rev3": "1.post3", "2.0.dev": "2.dev0", "1!1.0": "1!1",
		"0!1.0": "1", "1.0+Local.A-b": "1+local.a.b", "007.01": "7.1", "not a version": "not a version",
	} {
		if got := normalizeVersion(in); got != want {
			t.Errorf("normalizeVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseEntryPoints(t *testing.T) {
	eps, err := parseEntryPoints([]byte("top = ignored\n[console_scripts]\n  # comment\na = m:f\nb=m.n:o.p [x, y]\na = m:g\n\n[gui_scripts]\ng = m:h\n[other]\nx = anything at all\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &entryPoints{
		console: []entryPoint{{name: "a", value: "m:g"}, {name: "b", value: "m.n:o.p [x, y]"}},
		gui:     []entryPoint{{name: "g", value: "m:h", gui: true}},
	}
	if !reflect.DeepEqual(eps, want) {
		t.Errorf("got %+v, want %+v", eps, want)
	}
	if got := string(scriptText("/p", eps.console[1])); !strings.Contains(got, "from m.n import o\n") || !strings.Contains(got, "sys.exit(o.p())") {
		t.Errorf("script text:\n%s", got)
	}
	var names []string
	for _, ep := range scriptsToGenerate(&entryPoints{console: []entryPoint{{name: "pip3.9", value: "pip:main"}, {name: "pip", value: "pip:main"},
		{name: "pip3", value: "pip:main"}, {name: "easy_install-3.9", value: "s:m"}, {name: "easy_install", value: "s:m"}, {name: "x", value: "x:y"}}}, "3.11") {
		names = append(names, ep.name)
	}
	if got := strings.Join(names, " "); got != "pip pip3 pip3.11 easy_install easy_install-3.11 x" {
		t.Errorf("scripts = %s", got)
	}
}

// TestAgainstPython checks the pieces that imitate Python against Python
// itself: csv quoting, PEP 503 names and PEP 440 canonical versions (pip's
// vendored packaging), splitlines.
func TestAgainstPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	fields := []string{"plain", "with,comma", `with"quote`, "with space", "", "ünï", "a\tb", "'single'", `"`, ","}
	versions := []string{"1.0", "1.0.0", "v1.2", "1.2.0RC1", "1.2-c1", "1.0alpha", "1.0-1", "1.0.post0", "1.0rev3", "2.0.dev", "1!1.0", "0!1.0",
		"1.0+Local.A-b", "007.01", "1.0.0.0.0", "1.0a1.post2.dev3", "1.0_preview_4", "2024.01.0"}
	names := []string{"Foo_Bar", "foo.bar", "foo--bar", "FOO", "a._-b"}
	lines := []string{"a\nb", "a\r\nb\rc", "a\x0bb\x0cc\x1cd\x1de\x1ef\u0085g\u2028h\u2029i", "a\n", "\n\nb"}
	in, _ := json.Marshal(map[string]any{"fields": fields, "versions": versions, "names": names, "lines": lines})
	cmd := exec.Command(py, "-I", "-c", `import csv, io, json, sys
from pip._vendor.packaging.utils import canonicalize_name, canonicalize_version
d = json.load(sys.stdin)
out = {"csv": [], "versions": [canonicalize_version(v) for v in d["versions"]],
       "names": [canonicalize_name(n) for n in d["names"]], "lines": [l.splitlines() for l in d["lines"]]}
for f in d["fields"]:
    b = io.StringIO(); csv.writer(b).writerow([f, "h", "1"]); out["csv"].append(b.getvalue())
json.dump(out, sys.stdout)`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("python3 with pip's packaging: %v", err)
	}
	var want struct {
		CSV, Versions, Names []string
		Lines                [][]string
	}
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	for i, f := range fields {
		if got := string(formatRecord([]recordRow{{Path: f, Hash: "h", Size: "1"}})); got != want.CSV[i] {
			t.Errorf("RECORD row for %q = %q, Python's csv %q", f, got, want.CSV[i])
		}
		if rows, err := parseRecord([]byte(want.CSV[i])); err != nil || rows[0].Path != f {
			t.Errorf("parseRecord(%q) = %v, %v; want path %q", want.CSV[i], rows, err, f)
		}
	}
	for i, v := range versions {
		if got := normalizeVersion(v); got != want.Versions[i] {
			t.Errorf("normalizeVersion(%q) = %q, packaging says %q", v, got, want.Versions[i])
		}
	}
	for i, n := range names {
		if got := normalizeName(n); got != want.Names[i] {
			t.Errorf("normalizeName(%q) = %q, packaging says %q", n, got, want.Names[i])
		}
	}
	for i, l := range lines {
		got := pySplitLines(l)
		if len(got) == 0 && len(want.Lines[i]) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, want.Lines[i]) {
			t.Errorf("pySplitLines(%q) = %q, Python %q", l, got, want.Lines[i])
		}
	}
}
