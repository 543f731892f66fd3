package pypi

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFinderProvenanceCache: an object fetched online is remembered and
// served offline with no request; offline, an object never fetched, or
// one asked for with other bytes' sha256 or another URL, is
// ErrProvenanceNotCached; a damaged or oversized cache entry is an error,
// not an object.
func TestFinderProvenanceCache(t *testing.T) {
	const prov = "https://idx.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance"
	const sha = "AB12"
	root := t.TempDir()
	g := &fakeGetter{pages: map[string][2]string{prov: {"application/vnd.pypi.integrity.v1+json", `{"version":1}`}}}
	f := File{Filename: "demo-1.0-py3-none-any.whl", Index: "https://idx.example/simple", Provenance: prov}

	online := &Finder{Getter: g, Provenances: OpenProvenanceCache(root)}
	doc, cached, err := online.Provenance(context.Background(), f, sha)
	if err != nil || cached || string(doc) != `{"version":1}` {
		t.Fatalf("online: %q, cached %v, %v", doc, cached, err)
	}
	asked := len(g.accept)

	offline := &Finder{Offline: true, Provenances: OpenProvenanceCache(root)}
	doc, cached, err = offline.Provenance(context.Background(), f, strings.ToLower(sha))
	if err != nil || !cached || string(doc) != `{"version":1}` {
		t.Fatalf("offline: %q, cached %v, %v", doc, cached, err)
	}
	if len(g.accept) != asked {
		t.Errorf("offline made %d requests", len(g.accept)-asked)
	}

	other := f
	other.Provenance = prov + "2"
	for name, c := range map[string]struct {
		f   File
		sha string
		fd  *Finder
	}{
		"other bytes": {f, "cd34", offline},
		"other URL":   {other, sha, offline},
		"other file":  {File{Filename: "demo-1.0-py2-none-any.whl", Provenance: prov}, sha, offline},
		"no cache":    {f, sha, &Finder{Offline: true}},
	} {
		if _, _, err := c.fd.Provenance(context.Background(), c.f, c.sha); !errors.Is(err, ErrProvenanceNotCached) {
			t.Errorf("%s: %v, want ErrProvenanceNotCached", name, err)
		}
	}

	// The cache holds exactly one file, no temporary debris.
	dir := filepath.Join(root, "pypi-provenance")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) != 1 {
		t.Fatalf("cache dir: %v, %v", ents, err)
	}
	entry := filepath.Join(dir, ents[0].Name())

	// Oversized: refused on read, and never written.
	if err := os.WriteFile(entry, []byte(strings.Repeat("x", MaxProvenanceBytes+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := offline.Provenance(context.Background(), f, sha); err == nil || errors.Is(err, ErrProvenanceNotCached) {
		t.Errorf("oversized entry: %v", err)
	}
	if err := offline.Provenances.Put(f, "ef56", make([]byte, MaxProvenanceBytes+1)); err == nil {
		t.Error("Put accepted an oversized object")
	}
	// Not a regular file (a FIFO must not hang the read).
	os.Remove(entry)
	if err := os.Mkdir(entry, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := offline.Provenance(context.Background(), f, sha); err == nil || errors.Is(err, ErrProvenanceNotCached) {
		t.Errorf("directory entry: %v", err)
	}
}

// TestCacheReadIsAUse: an offline read of a remembered page or provenance
// object renews its mtime, so that `airlock cache gc` (cache.GCDir) keeps
// what offline runs still need.
func TestCacheReadIsAUse(t *testing.T) {
	const prov = "https://idx.example/provenance"
	root := t.TempDir()
	pages, provs := OpenPageCache(root), OpenProvenanceCache(root)
	f := File{Filename: "demo-1.0-py3-none-any.whl", Provenance: prov}
	if err := pages.Put("https://idx.example/simple", "demo", &Page{}); err != nil {
		t.Fatal(err)
	}
	if err := provs.Put(f, "ab12", []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-40 * 24 * time.Hour)
	for _, p := range []string{pages.path("https://idx.example/simple", "demo"), provs.path(f, "ab12")} {
		if err := os.Chtimes(p, long, long); err != nil {
			t.Fatal(err)
		}
	}
	if page, err := pages.Get("https://idx.example/simple", "demo"); page == nil || err != nil {
		t.Fatalf("page: %v, %v", page, err)
	}
	if _, err := provs.Get(f, "ab12"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pages.path("https://idx.example/simple", "demo"), provs.path(f, "ab12")} {
		if st, err := os.Stat(p); err != nil || time.Since(st.ModTime()) > time.Hour {
			t.Errorf("%s: read did not record a use (%v)", p, err)
		}
	}
}
