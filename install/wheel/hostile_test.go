package wheel

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/unpack"
)

// snapshot records every path under dir (but airlock's state directory)
// with its type, mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == install.StateDir {
			return filepath.SkipDir
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			to, _ := os.Readlink(p)
			v += " -> " + to
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		out[rel] = v
		return nil
	})
	must(t, err)
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed: %q → %q", k, v, after[k])
		}
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s appeared", k)
		}
	}
}

func dropRow(prefix string) func([]string) []string {
	return func(rows []string) []string {
		var out []string
		for _, r := range rows {
			if !strings.HasPrefix(r, prefix) {
				out = append(out, r)
			}
		}
		return out
	}
}

func editRow(prefix string, edit func(string) string) func([]string) []string {
	return func(rows []string) []string {
		for i, r := range rows {
			if strings.HasPrefix(r, prefix) {
				rows[i] = edit(r)
			}
		}
		return rows
	}
}

func addRows(extra ...string) func([]string) []string {
	return func(rows []string) []string { return append(rows, extra...) }
}

func good() spec {
	return spec{name: "victim", version: "2.0", files: map[string]string{
		"victim/__init__.py": "V = 2\n", "victim-2.0.data/scripts/tool": "#!python\n",
	}}
}

func with(f func(*spec)) spec {
	s := good()
	f(&s)
	return s
}

// TestHostileWheels: every refusal leaves the environment exactly as it
// was, including the installed previous version of the distribution.
func TestHostileWheels(t *testing.T) {
	tests := []struct {
		name  string
		spec  spec
		opts  func(*Options)
		wheel func(*Wheel)
		want  error
	}{
		{"file differs from its RECORD digest", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(string) string { return "victim/__init__.py," + b64("V = 666\n") + ",6" })
		}), nil, nil, ErrRecordMismatch},
		{"size differs from RECORD", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(r string) string { return strings.TrimSuffix(r, ",6") + ",7" })
		}), nil, nil, ErrRecordMismatch},
		{"file without a digest", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(string) string { return "victim/__init__.py,,6" })
		}), nil, nil, ErrRecordMismatch},
		{"file missing from RECORD", with(func(s *spec) { s.mutate = dropRow("victim/__init__.py,") }), nil, nil, ErrRecordMissing},
		{"unlisted file smuggled in", with(func(s *spec) { s.unlisted = map[string]string{"victim/evil.py": "import os\n"} }), nil, nil, ErrRecordMissing},
		{"RECORD lists a file the archive lacks", with(func(s *spec) { s.mutate = addRows("victim/gone.py," + b64("x") + ",1") }), nil, nil, ErrRecordExtra},
		{"RECORD path escapes", with(func(s *spec) { s.mutate = addRows("../../etc/passwd," + b64("x") + ",1") }), nil, nil, ErrUnsafeRecordPath},
		{"RECORD path absolute", with(func(s *spec) { s.mutate = addRows("/etc/passwd," + b64("x") + ",1") }), nil, nil, ErrUnsafeRecordPath},
		{"RECORD path not clean", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(r string) string { return "./" + r })
		}), nil, nil, ErrUnsafeRecordPath},
		{"md5 digest", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(string) string { return "victim/__init__.py,md5=AAAAAAAAAAAAAAAAAAAAAA,6" })
		}), nil, nil, ErrWeakHash},
		{"sha1 digest", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(string) string { return "victim/__init__.py,sha1=AAAAAAAAAAAAAAAAAAAAAAAAAAA,6" })
		}), nil, nil, ErrWeakHash},
		{"unknown digest", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(string) string { return "victim/__init__.py,crc32=AAAAAA,6" })
		}), nil, nil, ErrWeakHash},
		{"two RECORD rows disagree", with(func(s *spec) { s.mutate = addRows("victim/__init__.py," + b64("other") + ",5") }), nil, nil, ErrRecordSyntax},
		{"line break pip reads differently (U+2028)", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(r string) string { return r + "\u2028x,," })
		}), nil, nil, ErrRecordSyntax},
		{"form feed in RECORD", with(func(s *spec) {
			s.mutate = editRow("victim/__init__.py,", func(r string) string { return r + "\fx,," })
		}), nil, nil, ErrRecordSyntax},
		{"unterminated quote in RECORD", with(func(s *spec) { s.mutate = addRows(`"victim/x.py,` + b64("x") + ",1") }), nil, nil, ErrRecordSyntax},
		{"blank line in RECORD", with(func(s *spec) { s.mutate = addRows("") }), nil, nil, ErrRecordSyntax},
		{"RECORD row of two fields", with(func(s *spec) { s.mutate = addRows("victim/x.py,sha256=x") }), nil, nil, ErrRecordSyntax},
		{"unknown .data key", with(func(s *spec) { s.files["victim-2.0.data/etc/passwd"] = "x" }), nil, nil, ErrDataKey},
		{".data file without a key directory", with(func(s *spec) { s.files["victim-2.0.data/stray"] = "x" }), nil, nil, ErrDataKey},
		{"any top-level *.data is a .data directory (pip's rule)", with(func(s *spec) { s.files["looks.data/lib/x"] = "x" }), nil, nil, ErrDataKey},
		{"two .dist-info directories", with(func(s *spec) { s.files["other-1.0.dist-info/METADATA"] = "Name: other\n" }), nil, nil, ErrDistInfo},
		{".dist-info of another name", with(func(s *spec) { s.distInfo = "attacker-2.0.dist-info" }), nil, nil, ErrDistInfo},
		{".dist-info of another version", with(func(s *spec) { s.distInfo = "victim-2.1.dist-info" }), nil, nil, ErrDistInfo},
		{"METADATA names another version", with(func(s *spec) { s.metadata = "Metadata-Version: 2.1\nName: victim\nVersion: 9.9\n" }), nil, nil, ErrMetadata},
		{"METADATA names another project", with(func(s *spec) { s.metadata = "Metadata-Version: 2.1\nName: attacker\nVersion: 2.0\n" }), nil, nil, ErrMetadata},
		{"Wheel-Version 2", with(func(s *spec) { s.wheelFile = "Wheel-Version: 2.0\nRoot-Is-Purelib: true\n" }), nil, nil, ErrWheelFile},
		{"no Root-Is-Purelib", with(func(s *spec) { s.wheelFile = "Wheel-Version: 1.0\n" }), nil, nil, ErrWheelFile},
		{"no WHEEL", with(func(s *spec) {
			s.post = func(t *testing.T, p string) string {
				return rewriteZip(t, p, func(n string) bool { return strings.HasSuffix(n, ".dist-info/WHEEL") }, dropRow("victim-2.0.dist-info/WHEEL,"))
			}
		}), nil, nil, ErrWheelFile},
		{"no RECORD", with(func(s *spec) {
			s.post = func(t *testing.T, p string) string {
				return rewriteZip(t, p, func(n string) bool { return strings.HasSuffix(n, ".dist-info/RECORD") }, nil)
			}
		}), nil, nil, ErrRecordMissing},
		{"root file and .data/purelib file at one path", with(func(s *spec) {
			s.files["victim-2.0.data/purelib/victim/__init__.py"] = "shadow\n"
		}), nil, nil, ErrConflict},
		{".data/data file replacing the scripts directory", with(func(s *spec) { s.files["victim-2.0.data/data/bin"] = "x" }), nil, nil, ErrConflict},
		{".data/data file replacing site-packages", with(func(s *spec) {
			s.files["victim-2.0.data/data/lib/python3.11/site-packages"] = "x"
		}), nil, nil, ErrConflict},
		{"entry point name with a slash", with(func(s *spec) { s.entryPoints = "[console_scripts]\n../../evil = victim:main\n" }), nil, nil, ErrEntryPoint},
		{"entry point named ..", with(func(s *spec) { s.entryPoints = "[gui_scripts]\n.. = victim:main\n" }), nil, nil, ErrEntryPoint},
		{"entry point without a callable", with(func(s *spec) { s.entryPoints = "[console_scripts]\nv = victim\n" }), nil, nil, ErrEntryPoint},
		{"entry point code injection", with(func(s *spec) {
			s.entryPoints = "[console_scripts]\nv = os:system('id') #\n"
		}), nil, nil, ErrEntryPoint},
		{"entry_points.txt line without =", with(func(s *spec) { s.entryPoints = "[console_scripts]\njunk\n" }), nil, nil, ErrEntryPoint},
		{"console script replacing the interpreter", with(func(s *spec) { s.entryPoints = "[console_scripts]\npython = victim:main\n" }), nil, nil, ErrConflict},
		{".data/scripts file replacing the activate script", with(func(s *spec) { s.files["victim-2.0.data/scripts/activate"] = "evil\n" }), nil, nil, ErrConflict},
		{".data/data file replacing the interpreter", with(func(s *spec) { s.files["victim-2.0.data/data/bin/python"] = "evil\n" }), nil, nil, ErrConflict},
		{"file replacing a symlink of the environment", with(func(s *spec) { s.files["victim-2.0.data/scripts/envlink"] = "evil\n" }), nil, nil, ErrConflict},
		{".pth refused with DenyPth", with(func(s *spec) { s.files["zzz.pth"] = "import os; os.system('id')\n" }),
			func(o *Options) { o.DenyPth = true }, nil, ErrPth},
		{"unsafe zip path", with(func(s *spec) { s.unlisted = map[string]string{"../evil.py": "x"} }), nil, nil, unpack.ErrUnsafePath},
		{"wheel name with a slash", good(), nil, func(w *Wheel) { w.Name = "victim/../x" }, ErrDistInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix, sch := fakeVenv(t)
			// The previous version, as installed (by anyone).
			old := build(t, t.TempDir(), spec{name: "victim", version: "1.0", files: map[string]string{"victim/__init__.py": "V = 1\n"},
				entryPoints: "[console_scripts]\nvictim = victim:main\n"})
			opts := testOptions(prefix)
			if _, err := installWheels(t, prefix, sch, []Wheel{{File: old, Name: "victim", Version: "1.0"}}, opts); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, prefix)

			whl := build(t, t.TempDir(), tt.spec)
			w := Wheel{File: whl, Name: "victim", Version: "2.0"}
			if tt.wheel != nil {
				tt.wheel(&w)
			}
			if tt.opts != nil {
				tt.opts(&opts)
			}
			_, err := installWheels(t, prefix, sch, []Wheel{w}, opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Install = %v, want %v", err, tt.want)
			}
			t.Log(err)
			sameSnapshot(t, before, snapshot(t, prefix))
		})
	}
}
