package wheel

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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

// TestInstalledSpecialMetadata: a METADATA (or RECORD) that is a FIFO, a
// device or a symbolic link to one is skipped with a reason; opening a
// FIFO for reading would otherwise wait for a writer for ever.
func TestInstalledSpecialMetadata(t *testing.T) {
	_, s := fakeVenv(t)
	fifoDir := filepath.Join(s.Purelib, "fifo-1.0.dist-info")
	linkDir := filepath.Join(s.Purelib, "link-1.0.dist-info")
	for _, d := range []string{fifoDir, linkDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := unix.Mkfifo(filepath.Join(fifoDir, "METADATA"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(filepath.Join(fifoDir, "METADATA"), filepath.Join(linkDir, "METADATA")); err != nil {
		t.Fatal(err)
	}
	type result struct {
		dists   []InstalledDist
		skipped []string
		err     error
	}
	done := make(chan result, 1)
	go func() {
		d, sk, err := Installed(s)
		done <- result{d, sk, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		// Unblock the stuck open so the goroutine ends with the test.
		for _, d := range []string{fifoDir} {
			if w, err := os.OpenFile(filepath.Join(d, "METADATA"), os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
				w.Close()
			}
		}
		t.Fatal("Installed hangs on a METADATA that is a FIFO")
	}
	if r.err != nil || len(r.dists) != 0 {
		t.Fatalf("Installed = %v, %v; want nothing installed", r.dists, r.err)
	}
	all := strings.Join(r.skipped, "\n")
	for _, want := range []string{"fifo-1.0.dist-info: METADATA:", "link-1.0.dist-info: METADATA:", "not a regular file"} {
		if !strings.Contains(all, want) {
			t.Errorf("skipped does not say %q:\n%s", want, all)
		}
	}

	// Uninstalling reads RECORD the same way.
	if err := unix.Mkfifo(filepath.Join(fifoDir, "RECORD"), 0o644); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := findInstalled(s, "fifo", &Options{})
		errc <- err
	}()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("findInstalled with a FIFO RECORD: %v", err)
		}
	case <-time.After(10 * time.Second):
		if w, err := os.OpenFile(filepath.Join(fifoDir, "RECORD"), os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("findInstalled hangs on a RECORD that is a FIFO")
	}
}
