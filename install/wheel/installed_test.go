package wheel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstalled lists what pip would see as installed, and leaves out
// (saying why) what it could not read as one distribution.
func TestInstalled(t *testing.T) {
	_, s := fakeVenv(t)
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(s.Purelib, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Foo_Bar-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0.0\nRequires-Dist: six\n\nbody\n")
	write("Foo_Bar-1.0.dist-info/RECORD", "")
	write("lib-2.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: lib\nVersion: 2.0\n")
	write("liar-1.0.dist-info/METADATA", "Name: other\nVersion: 1.0\n")
	write("old-1.0.dist-info/METADATA", "Name: old\nVersion: 2.0\n")
	write("nameless-1.0.dist-info/METADATA", "Version: 1.0\n")
	write("empty-1.0.dist-info/RECORD", "")
	write("egg-1.0-py3.11.egg-info/PKG-INFO", "Name: egg\nVersion: 1.0\n")
	write("file-1.0.dist-info", "not a directory")
	write("pkg/__init__.py", "")

	dists, skipped, err := Installed(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range dists {
		got = append(got, d.Name+"=="+d.Version+" "+d.DistInfo)
		if d.Dir != s.Purelib {
			t.Errorf("%s: Dir = %s, want %s", d.Name, d.Dir, s.Purelib)
		}
	}
	if want := "foo-bar==1.0.0 Foo_Bar-1.0.dist-info, lib==2.0 lib-2.0.dist-info"; strings.Join(got, ", ") != want {
		t.Errorf("installed = %s, want %s", strings.Join(got, ", "), want)
	}
	if len(dists) > 0 && !strings.Contains(string(dists[0].Metadata), "Requires-Dist: six") {
		t.Errorf("Metadata = %q", dists[0].Metadata)
	}
	all := strings.Join(skipped, "\n")
	for _, want := range []string{
		"liar-1.0.dist-info: METADATA describes other 1.0, not the directory's liar 1.0",
		"old-1.0.dist-info: METADATA describes old 2.0, not the directory's old 1.0",
		"nameless-1.0.dist-info: METADATA has no Name or no Version",
		"empty-1.0.dist-info: METADATA: open",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("skipped does not say %q:\n%s", want, all)
		}
	}
	if len(skipped) != 4 {
		t.Errorf("skipped %d, want 4:\n%s", len(skipped), all)
	}

	// A lib directory that does not exist yet holds nothing.
	empty := venvScheme(filepath.Join(t.TempDir(), "none"))
	if dists, skipped, err := Installed(empty); err != nil || len(dists)+len(skipped) != 0 {
		t.Errorf("Installed(missing) = %v, %v, %v", dists, skipped, err)
	}
}
