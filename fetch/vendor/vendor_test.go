package vendor

import (
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

func digestOf(b []byte) verify.Digest {
	s := sha512.Sum512(b)
	return verify.Digest{Algorithm: "sha512", Sum: s[:]}
}

func sha1Of(b []byte) verify.Digest {
	s := sha1.Sum(b)
	return verify.Digest{Algorithm: "sha1", Sum: s[:]}
}

// vendorAll writes one run with the given archives (name -> bytes).
func vendorAll(t *testing.T, dir string, archives map[string][]byte) Changes {
	t.Helper()
	w, err := Begin(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	for name, data := range archives {
		d := digestOf(data)
		if !w.Has(d) {
			b, err := w.Blob()
			if err != nil {
				t.Fatal(err)
			}
			// A fetch may deliver twice: the first attempt is discarded.
			b.Write([]byte("garbage"))
			if err := b.Reset(); err != nil {
				t.Fatal(err)
			}
			b.Write(data)
			if _, err := b.Commit(d); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Add(Entry{Ecosystem: "npm", Name: name, Version: "1.0.0", Paths: []string{"node_modules/" + name},
			URL: "https://user:secret@registry.example/" + name + ".tgz?token=abc", Digests: []string{d.String(), sha1Of(data).String()}}); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func TestWriteCheckRoundTrip(t *testing.T) {
	dir := t.TempDir()
	a, b := []byte("archive a"), []byte("archive b")
	ch := vendorAll(t, dir, map[string][]byte{"a": a, "b": b})
	if len(ch.Added) != 2 || len(ch.Kept) != 0 || len(ch.Removed) != 0 {
		t.Fatalf("first run: %+v", ch)
	}
	rep, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Blobs != 2 {
		t.Fatalf("fresh dir: %+v", rep.Problems)
	}
	m := rep.Manifest
	for _, e := range m.Packages {
		if strings.Contains(e.URL, "secret") || strings.Contains(e.URL, "abc") {
			t.Errorf("URL not redacted: %s", e.URL)
		}
		if e.Size != int64(len("archive a")) || e.Fetched.IsZero() {
			t.Errorf("entry %+v", e)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			t.Errorf("temporary directory left: %s", e.Name())
		}
	}
	// Incremental: b kept (same fetch time), a removed, c added.
	fetchedB := m.Packages[1].Fetched
	ch = vendorAll(t, dir, map[string][]byte{"b": b, "c": []byte("archive c")})
	if len(ch.Added) != 1 || len(ch.Kept) != 1 || len(ch.Removed) != 1 || ch.Removed[0] != BlobPath(digestOf(a)) {
		t.Fatalf("second run: %+v", ch)
	}
	m2, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m2.Packages {
		if e.Name == "b" && !e.Fetched.Equal(fetchedB) {
			t.Errorf("kept entry's fetch time changed: %v -> %v", fetchedB, e.Fetched)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, BlobPath(digestOf(a)))); !os.IsNotExist(err) {
		t.Errorf("unlisted blob a still there: %v", err)
	}
	if rep, _ := Check(dir); !rep.OK() {
		t.Fatalf("after update: %v", rep.Problems)
	}
}

func TestCheckReportsEachProblem(t *testing.T) {
	dir := t.TempDir()
	a, b, c := []byte("archive a"), []byte("archive b"), []byte("archive c")
	vendorAll(t, dir, map[string][]byte{"a": a, "b": b, "c": c})
	pa := filepath.Join(dir, BlobPath(digestOf(a)))
	os.Chmod(pa, 0o644)
	if err := os.WriteFile(pa, []byte("archive A"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, BlobPath(digestOf(b)))); err != nil {
		t.Fatal(err)
	}
	pc := filepath.Join(dir, BlobPath(digestOf(c)))
	os.Remove(pc)
	os.Symlink("/etc/passwd", pc)
	os.WriteFile(filepath.Join(dir, "blobs", "sha512", "planted"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, "blobs", "md5"), 0o755)

	rep, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ProblemKind{}
	for _, p := range rep.Problems {
		got[p.Path] = p.Kind
	}
	want := map[string]ProblemKind{
		BlobPath(digestOf(a)):  Changed,
		BlobPath(digestOf(b)):  Missing,
		BlobPath(digestOf(c)):  Changed,
		"blobs/sha512/planted": Extra,
		"notes.txt":            Extra,
		"blobs/md5":            Extra,
	}
	if len(got) != len(want) {
		t.Errorf("problems: %v", rep.Problems)
	}
	for p, k := range want {
		if got[p] != k {
			t.Errorf("%s: got %q, want %q (all: %v)", p, got[p], k, rep.Problems)
		}
	}
	err = rep.Err(dir)
	if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "missing: "+BlobPath(digestOf(b))+" (b@1.0.0)") {
		t.Errorf("Err: %v", err)
	}
	// A run repairs everything.
	vendorAll(t, dir, map[string][]byte{"a": a, "b": b, "c": c})
	if rep, _ := Check(dir); !rep.OK() {
		t.Fatalf("after repair: %v", rep.Problems)
	}
}

func TestManifestRefusals(t *testing.T) {
	for name, body := range map[string]string{
		"unknown format": `{"format":"other","packages":[]}`,
		"unknown field":  `{"format":"airlock-vendor/1","packages":[],"extra":1}`,
		"bad blob path":  `{"format":"airlock-vendor/1","packages":[{"ecosystem":"npm","name":"a","version":"1","paths":[],"digests":["sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="],"blob":"../x","size":1,"fetched":"2026-01-01T00:00:00Z"}]}`,
		"digest differs": `{"format":"airlock-vendor/1","packages":[{"ecosystem":"npm","name":"a","version":"1","paths":[],"digests":["sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA="],"blob":"blobs/sha1/0000000000000000000000000000000000000001","size":1,"fetched":"2026-01-01T00:00:00Z"}]}`,
		"not json":       `{`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, ManifestName), []byte(body), 0o644)
			if _, err := ReadManifest(dir); !errors.Is(err, ErrManifest) {
				t.Errorf("got %v, want ErrManifest", err)
			}
			if _, err := Begin(dir); err == nil {
				t.Errorf("Begin accepted an unusable manifest")
			}
		})
	}
}

func TestSourceServesByLockDigest(t *testing.T) {
	dir := t.TempDir()
	a := []byte("archive a")
	vendorAll(t, dir, map[string][]byte{"a": a})
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pkg := lock.Package{Name: "a", Version: "1.0.0", Path: "node_modules/a"}
	u, err := s.LocateDigest(pkg, digestOf(a))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Get(context.Background(), u, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != string(a) || resp.ContentLength != int64(len(a)) {
		t.Errorf("got %q (%d)", got, resp.ContentLength)
	}
	if _, err := s.LocateDigest(pkg, digestOf([]byte("other"))); !errors.Is(err, ErrNotVendored) {
		t.Errorf("unvendored digest: %v", err)
	}
	for _, bad := range []string{"https://registry.example/a.tgz", "vendor:../../etc/passwd", "vendor:blobs/sha512/zz"} {
		if _, err := s.Get(context.Background(), bad, nil); err == nil {
			t.Errorf("Get(%q) succeeded", bad)
		}
	}
	// A symlink at a blob path is not followed.
	p := filepath.Join(dir, BlobPath(digestOf(a)))
	os.Remove(p)
	os.Symlink("/etc/hostname", p)
	if _, err := s.Get(context.Background(), u, nil); err == nil {
		t.Errorf("Get followed a symlink")
	}
}

func TestAbortLeavesDirectoryUnchanged(t *testing.T) {
	dir := t.TempDir()
	vendorAll(t, dir, map[string][]byte{"a": []byte("archive a")})
	before, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	w, err := Begin(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.Blob()
	b.Write([]byte("not new"))
	if _, err := b.Commit(digestOf([]byte("new"))); !errors.Is(err, verify.ErrIntegrity) {
		t.Errorf("Commit of wrong bytes: %v", err)
	}
	w.Abort()
	after, _ := os.ReadFile(filepath.Join(dir, ManifestName))
	if string(before) != string(after) {
		t.Errorf("manifest changed by an aborted run")
	}
	if rep, _ := Check(dir); !rep.OK() {
		t.Errorf("after abort: %v", rep.Problems)
	}
}

func TestOneRunAtATime(t *testing.T) {
	dir := t.TempDir()
	w, err := Begin(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Begin(dir); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Begin: %v, want ErrBusy", err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	w2, err := Begin(dir)
	if err != nil {
		t.Fatalf("Begin after the first run ended: %v", err)
	}
	w2.Abort()
}
