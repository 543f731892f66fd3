package unpack

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestDigests extracts the modes fixture (exec bits, a .gitignore renamed
// to .npmignore, one replaced by a later .npmignore, a bin) with Digests
// set: the report lists every file on disk once, with the mode, size and
// SHA-256 it has there, computed while writing.
func TestDigests(t *testing.T) {
	for _, keep := range []bool{false, true} {
		f, err := os.Open(filepath.Join("..", "internal", "testregistry", "tarballs", "airlock-fixture-modes-1.0.0.tgz"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		rep, err := NpmTarball(f, dir, NpmOptions{Digests: true, KeepGitignore: keep, Bins: []string{"bin/cli.js"}})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		var onDisk []string
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				rel, _ := filepath.Rel(dir, p)
				onDisk = append(onDisk, filepath.ToSlash(rel))
			}
			return nil
		})
		var listed []string
		for _, d := range rep.Digests {
			listed = append(listed, d.Path)
			p := filepath.Join(dir, filepath.FromSlash(d.Path))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(p)
			if sha256.Sum256(data) != d.SHA256 || int64(len(data)) != d.Size || fi.Mode().Perm() != d.Mode {
				t.Errorf("keep=%v %s: report %#o %d %x, disk %#o %d %x", keep, d.Path, d.Mode, d.Size, d.SHA256, fi.Mode().Perm(), len(data), sha256.Sum256(data))
			}
		}
		sort.Strings(onDisk)
		sort.Strings(listed)
		if strings.Join(onDisk, " ") != strings.Join(listed, " ") || len(listed) != rep.Files {
			t.Errorf("keep=%v: listed %q (Files %d), on disk %q", keep, listed, rep.Files, onDisk)
		}
	}
	// Without the option, no digests and no hashing.
	f, _ := os.Open(filepath.Join("..", "internal", "testregistry", "tarballs", "airlock-fixture-modes-1.0.0.tgz"))
	defer f.Close()
	if rep, err := NpmTarball(f, t.TempDir(), NpmOptions{}); err != nil || rep.Digests != nil {
		t.Errorf("Digests off: %v, %d digests", err, len(rep.Digests))
	}
}
