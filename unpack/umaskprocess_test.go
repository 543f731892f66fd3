package unpack

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestUmaskIsProcess checks that a caller passing the process umask it read
// once (UmaskIsProcess) gets exactly the tree that reading the umask per
// archive gives, for umasks that do and do not mask the owner's bits, with
// a bin target among the files.
func TestUmaskIsProcess(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no umask")
	}
	tgz, err := os.ReadFile("testdata/npm/semver-7.6.3.tgz")
	if err != nil {
		t.Fatal(err)
	}
	bins := []string{"bin/semver.js"}
	for _, umask := range []int{0o022, 0o077, 0o002, 0o000, 0o277} {
		t.Run(os.FileMode(umask).String(), func(t *testing.T) {
			// The test binary creates no files concurrently.
			old := setUmask(umask)
			defer setUmask(old)
			pm := ProcessUmask()
			trees := map[bool]map[string]fs.FileMode{}
			for _, known := range []bool{false, true} {
				dir := t.TempDir()
				// 0o277 takes the owner's write bit: keep the test able to
				// clean up after itself.
				defer os.Chmod(dir, 0o700)
				if _, err := NpmTarball(bytes.NewReader(tgz), dir, NpmOptions{Bins: bins, Umask: pm, UmaskIsProcess: known}); err != nil {
					t.Fatal(err)
				}
				trees[known] = modesOf(t, dir)
			}
			if len(trees[true]) == 0 {
				t.Fatal("nothing extracted")
			}
			for p, m := range trees[false] {
				if trees[true][p] != m {
					t.Errorf("%s: mode %v with UmaskIsProcess, %v without", p, trees[true][p], m)
				}
			}
			if len(trees[true]) != len(trees[false]) {
				t.Errorf("%d paths with UmaskIsProcess, %d without", len(trees[true]), len(trees[false]))
			}
			want := ((0o777 &^ os.FileMode(umask)) | 0o600) & os.ModePerm
			if got := trees[true]["bin/semver.js"]; got.Perm() != want {
				t.Errorf("bin target mode %v, want %v", got.Perm(), want)
			}
		})
	}
}

func modesOf(t *testing.T, dir string) map[string]fs.FileMode {
	t.Helper()
	out := map[string]fs.FileMode{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// BenchmarkNpmTarballUmask extracts a small real package (semver: 52 files)
// reading the process umask per archive and passing it once
// (UmaskIsProcess), the way an install of a thousand packages does.
func BenchmarkNpmTarballUmask(b *testing.B) {
	tgz, err := os.ReadFile("testdata/npm/semver-7.6.3.tgz")
	if err != nil {
		b.Fatal(err)
	}
	pm := ProcessUmask()
	for _, known := range []bool{false, true} {
		name := "read-per-archive"
		if known {
			name = "passed"
		}
		b.Run(name, func(b *testing.B) {
			parent := b.TempDir()
			for range b.N {
				b.StopTimer()
				dir := filepath.Join(parent, "x")
				os.RemoveAll(dir)
				if err := os.Mkdir(dir, 0o755); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := NpmTarball(bytes.NewReader(tgz), dir, NpmOptions{Umask: pm, UmaskIsProcess: known}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
