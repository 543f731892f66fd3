package unpack

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestTreeConfinement drives the tree implementations directly, with paths
// the extractor would never pass and with symbolic links planted in the
// directory behind the extractor's back (another process racing it): the
// kernel must refuse every write that would land outside.
func TestTreeConfinement(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			forceRootTree = backend == "root"
			s := newSandbox(t)
			tr, err := openTree(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			defer tr.close()
			if backend == "beneath" && fmt.Sprintf("%T", tr) != "*unpack.beneathTree" {
				t.Skip("openat2 unavailable here; only os.Root is in use")
			}
			// Planted after the tree was opened, as a racing process would.
			if err := os.Symlink("..", filepath.Join(s.dir, "up")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(s.outside, filepath.Join(s.dir, "out")); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(s.dir, "real"), 0o755); err != nil {
				t.Fatal(err)
			}

			for _, rel := range []string{"../escaped", "/tmp/escaped", "up/escaped", "real/../../escaped", "up/pkg/escaped"} {
				if f, err := tr.create(rel, 0o644); err == nil {
					f.Close()
					t.Errorf("create(%q) succeeded", rel)
				}
				if err := tr.mkdir(rel, 0o755); err == nil {
					t.Errorf("mkdir(%q) succeeded", rel)
				}
			}
			for _, rel := range []string{"out", "up/outside"} {
				if f, err := tr.truncate(rel); err == nil {
					f.Close()
					t.Errorf("truncate(%q) succeeded", rel)
				}
				if f, err := tr.create(rel, 0o644); err == nil {
					f.Close()
					t.Errorf("create(%q) succeeded", rel)
				}
			}
			if err := tr.chmodDir("up", 0o700); err == nil {
				t.Error("chmodDir through a symbolic link succeeded")
			}
			if backend == "beneath" {
				_, err := tr.create("up/escaped", 0o644)
				if !errors.Is(err, ErrUnsafePath) {
					t.Errorf("kernel refusal reported as %v, want ErrUnsafePath", err)
				}
			}

			// The ordinary operations still work.
			if err := tr.mkdir("real/sub", 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := tr.create("real/sub/file", 0o600)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("data")); err != nil {
				t.Fatal(err)
			}
			if err := f.chmod(0o640); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := tr.create("real/sub/file", 0o600); err == nil {
				t.Error("create of an existing file succeeded")
			}
			f, err = tr.truncate("real/sub/file")
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("new"))
			f.Close()
			b, err := os.ReadFile(filepath.Join(s.dir, "real/sub/file"))
			info, _ := os.Stat(filepath.Join(s.dir, "real/sub/file"))
			if err != nil || string(b) != "new" || info.Mode().Perm() != 0o640 {
				t.Errorf("file = %q, %v, mode %v; want \"new\", 0640", b, err, info.Mode().Perm())
			}

			os.Remove(filepath.Join(s.dir, "up"))
			os.Remove(filepath.Join(s.dir, "out"))
			s.check(t)
		})
	}
}

func TestNpmTarballTarget(t *testing.T) {
	archive := gz(t, tarOf(t, pj))
	t.Run("not empty", func(t *testing.T) {
		s := newSandbox(t)
		os.WriteFile(filepath.Join(s.dir, "stale"), nil, 0o644)
		if _, err := NpmTarball(bytes.NewReader(archive), s.dir, NpmOptions{}); err == nil {
			t.Fatal("extracted into a non-empty directory")
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := NpmTarball(bytes.NewReader(archive), filepath.Join(t.TempDir(), "nope"), NpmOptions{}); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("error = %v, want not-exist", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "file")
		os.WriteFile(p, nil, 0o644)
		if _, err := NpmTarball(bytes.NewReader(archive), p, NpmOptions{}); err == nil {
			t.Fatal("extracted into a file")
		}
	})
}

func TestProcessUmask(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no umask")
	}
	// Set a known umask (the test binary creates no files concurrently).
	old := setUmask(0o027)
	defer setUmask(old)
	if got := ProcessUmask(); got != 0o027 {
		t.Errorf("ProcessUmask() = %#o, want 0o027", got)
	}
}
