package pypi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/safefile"
)

// ProvenanceCache remembers provenance objects (PEP 740) under <cache
// root>/pypi-provenance, beside the page cache, so that --offline can
// still check require_provenance. Like a remembered page it is never
// trusted: a provenance object is verified on every use (Sigstore
// signatures, subject = the file's name and locked sha256, certificate =
// the Trusted Publisher it lists), so a cached copy proves no more and no
// less than a fresh one. An object is remembered under its URL together
// with the file's name and locked sha256: a lookup for other bytes finds
// nothing, even at the same URL. Like a page, an object's mtime is its
// last use (renewed by Get at most daily), for `airlock cache gc`.
type ProvenanceCache struct{ dir string }

// OpenProvenanceCache returns the provenance cache under the airlock cache
// root.
func OpenProvenanceCache(cacheRoot string) *ProvenanceCache {
	return &ProvenanceCache{dir: filepath.Join(cacheRoot, "pypi-provenance")}
}

// ErrProvenanceNotCached is matched by the error of an offline lookup of a
// provenance object no online run fetched.
var ErrProvenanceNotCached = errors.New("provenance object not in the cache")

func (c *ProvenanceCache) path(f File, sha256Hex string) string {
	sum := sha256.Sum256([]byte(f.Provenance + "\n" + f.Filename + "\n" + strings.ToLower(sha256Hex)))
	return filepath.Join(c.dir, hex.EncodeToString(sum[:])+".json")
}

// Get returns the object remembered for f with the locked sha256Hex, or
// an error matching ErrProvenanceNotCached.
func (c *ProvenanceCache) Get(f File, sha256Hex string) ([]byte, error) {
	p := c.path(f, sha256Hex)
	data, err := safefile.Read(p, MaxProvenanceBytes)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("provenance of %s (%s): %w", f.Filename, client.Redact(f.Provenance), ErrProvenanceNotCached)
	case err != nil:
		return nil, fmt.Errorf("reading the cached provenance of %s: %w", f.Filename, err)
	}
	// An object an offline run still reads is in use: cache gc keeps it.
	cache.TouchUsed(p)
	return data, nil
}

// Put remembers doc as f's provenance object, replacing the previous copy
// atomically (a reader sees the old object or the new one, never part of
// one). Objects over MaxProvenanceBytes are not remembered.
func (c *ProvenanceCache) Put(f File, sha256Hex string, doc []byte) error {
	if len(doc) > MaxProvenanceBytes {
		return fmt.Errorf("provenance of %s: %d bytes is over the %d-byte limit", f.Filename, len(doc), MaxProvenanceBytes)
	}
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, ".airlock-tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(doc); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path(f, sha256Hex))
}

// Provenance returns f's provenance object for the file with the locked
// sha256Hex: online fetched from the index (GetProvenance) and remembered
// in Provenances; offline read from Provenances only. cached says which.
// Either way the caller verifies it before trusting anything in it.
func (fd *Finder) Provenance(ctx context.Context, f File, sha256Hex string) (doc []byte, cached bool, err error) {
	if fd.Offline {
		if fd.Provenances == nil {
			return nil, false, fmt.Errorf("provenance of %s (%s): %w", f.Filename, client.Redact(f.Provenance), ErrProvenanceNotCached)
		}
		doc, err := fd.Provenances.Get(f, sha256Hex)
		return doc, err == nil, err
	}
	if doc, err = GetProvenance(ctx, fd.Getter, f); err != nil {
		return nil, false, err
	}
	if fd.Provenances != nil {
		// An object that cannot be remembered costs only --offline.
		_ = fd.Provenances.Put(f, sha256Hex, doc)
	}
	return doc, false, nil
}
