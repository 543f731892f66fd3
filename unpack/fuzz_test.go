package unpack

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzNpmTarball feeds arbitrary bytes to NpmTarball: it must never panic
// or hang, never write outside its directory or create anything but
// directories and plain files, refuse only with a *FileError, and report
// what it wrote when it succeeds. Seeds: the whole corpus, gzipped and
// plain (so the fuzzer can mutate headers directly), and the real tarballs.
func FuzzNpmTarball(f *testing.F) {
	for _, c := range corpus() {
		b := c.bytes(f)
		if len(b) > 64<<10 {
			continue
		}
		f.Add(b)
		if raw, err := gunzipBytes(b); err == nil && len(raw) <= 64<<10 {
			f.Add(raw)
		}
	}
	real, _ := filepath.Glob("testdata/npm/*.tgz")
	for _, p := range real {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Small limits keep each run fast; the checks do not depend on them.
	opts := NpmOptions{
		Bins:   []string{"cli.js", "bin/x"},
		Umask:  0o022,
		Limits: Limits{MaxFiles: 500, MaxFileSize: 1 << 20, MaxTotalSize: 2 << 20, MaxDepth: 32, MaxPathLength: 512},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t)
		rep, err := NpmTarball(bytes.NewReader(data), s.dir, opts)
		s.check(t)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FileError", err, err)
			}
			return
		}
		files := 0
		filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files++
				info, _ := d.Info()
				if info.Mode().Perm()&0o600 != 0o600 || info.Mode().Perm()&0o022 != 0 {
					t.Errorf("%s: mode %v", p, info.Mode())
				}
			}
			return nil
		})
		if files != rep.Files {
			t.Errorf("Report.Files = %d, %d files on disk", rep.Files, files)
		}
		pj, err := os.ReadFile(filepath.Join(s.dir, "package.json"))
		if err == nil && !bytes.Equal(pj, rep.PackageJSON) {
			t.Errorf("Report.PackageJSON differs from package.json on disk")
		}
		if err != nil && rep.PackageJSON != nil {
			t.Errorf("Report.PackageJSON set without a package.json")
		}
	})
}

// FuzzZip feeds arbitrary bytes to Zip: it must never panic or hang, never
// write outside its directory or create anything but directories and plain
// files, refuse only with a *FileError, and when it succeeds have written
// exactly the files it reports, with the reported sizes, digests and modes.
// An archive it accepts must also read the same in archive/zip, entry by
// entry: no archive may show a Go auditing tool one thing while airlock
// installs another. Seeds: the zip corpus and the real wheel.
func FuzzZip(f *testing.F) {
	for _, c := range zipCorpus() {
		if b := c.bytes(f); len(b) <= 64<<10 {
			f.Add(b)
		}
	}
	real, _ := filepath.Glob("testdata/wheel/*.whl")
	for _, p := range real {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opts := ZipOptions{
		Umask:  0o022,
		Limits: Limits{MaxFiles: 500, MaxFileSize: 1 << 20, MaxTotalSize: 2 << 20, MaxDepth: 32, MaxPathLength: 512},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newSandbox(t)
		rep, err := Zip(bytes.NewReader(data), int64(len(data)), s.dir, opts)
		s.check(t)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T) is not a *FileError", err, err)
			}
			return
		}
		checkZipReport(t, s.dir, rep)
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("accepted, but archive/zip cannot read it: %v", err)
		}
		files := 0
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/") {
				if info, err := os.Stat(filepath.Join(s.dir, zf.Name)); err != nil || !info.IsDir() {
					t.Errorf("archive/zip sees directory %q, not on disk: %v", zf.Name, err)
				}
				continue
			}
			if files >= len(rep.Files) || rep.Files[files].Name != zf.Name {
				t.Fatalf("archive/zip sees file %q as number %d; Zip reported %+v", zf.Name, files, rep.Files)
			}
			files++
			r, err := zf.Open()
			if err != nil {
				t.Fatalf("archive/zip cannot open %q: %v", zf.Name, err)
			}
			theirs, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatalf("archive/zip cannot read %q: %v", zf.Name, err)
			}
			ours, _ := os.ReadFile(filepath.Join(s.dir, zf.Name))
			if !bytes.Equal(ours, theirs) {
				t.Errorf("%q: archive/zip reads %d bytes, Zip wrote %d others", zf.Name, len(theirs), len(ours))
			}
		}
		if files != len(rep.Files) {
			t.Errorf("archive/zip sees %d files, Zip reported %d", files, len(rep.Files))
		}
	})
}
