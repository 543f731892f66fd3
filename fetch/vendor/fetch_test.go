package vendor_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/vendor"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// TestFetcherReadsVendorByLockDigest checks the wiring airlock npm ci
// --from uses: a Fetcher whose Locator and Getter are a vendor Source, no
// cache, verifying what it reads against the lockfile's digest.
func TestFetcherReadsVendorByLockDigest(t *testing.T) {
	dir := t.TempDir()
	data := []byte("the archive")
	sum := sha512.Sum512(data)
	d := verify.Digest{Algorithm: "sha512", Sum: sum[:]}
	w, err := vendor.Begin(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := w.Blob()
	b.Write(data)
	if _, err := b.Commit(d); err != nil {
		t.Fatal(err)
	}
	w.Add(vendor.Entry{Ecosystem: "npm", Name: "a", Version: "1.0.0", Digests: []string{d.String()}})
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	src, err := vendor.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f := &fetch.Fetcher{Getter: src, Locator: src}
	pkg := lock.Package{Name: "a", Version: "1.0.0", Path: "node_modules/a", Source: lock.SourceRegistry,
		Resolved: "https://registry.example/a/-/a-1.0.0.tgz", Integrity: d.String()}
	var got bytes.Buffer
	res, err := f.Fetch(context.Background(), pkg, func(r io.Reader) error { got.Reset(); _, err := io.Copy(&got, r); return err })
	if err != nil || got.String() != string(data) || res.FromCache {
		t.Fatalf("Fetch: %v, %q, %+v", err, got.String(), res)
	}

	// Bytes swapped under the locked name: refused against the lockfile.
	p := filepath.Join(dir, vendor.BlobPath(d))
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("other bytes"), 0o644)
	_, err = f.Fetch(context.Background(), pkg, nil)
	if !errors.Is(err, verify.ErrIntegrity) {
		t.Fatalf("tampered blob: %v, want an integrity error", err)
	}

	// A package the directory does not hold.
	other := sha512.Sum512([]byte("x"))
	pkg.Integrity = verify.Digest{Algorithm: "sha512", Sum: other[:]}.String()
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, vendor.ErrNotVendored) {
		t.Fatalf("unvendored: %v", err)
	}
}
