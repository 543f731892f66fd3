package vendor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

const (
	// ManifestName is the manifest's file name inside a vendor directory.
	ManifestName = "airlock-vendor.json"
	// Format names the manifest's schema; a reader refuses any other.
	Format = "airlock-vendor/1"
	// MaxManifestSize caps the manifest read: tens of thousands of entries
	// are a few MB.
	MaxManifestSize = 64 << 20

	blobsDir  = "blobs"
	tmpPrefix = ".tmp-"
)

// Manifest describes a vendor directory's blobs.
type Manifest struct {
	Format   string  `json:"format"`
	Packages []Entry `json:"packages"`
}

// Entry is one vendored archive. Several lockfile entries that share an
// archive (the same npm package at two install paths) share an Entry.
type Entry struct {
	Ecosystem string `json:"ecosystem"` // "npm" or "pypi"
	Name      string `json:"name"`
	Version   string `json:"version"`
	// Paths are the lockfile's install paths (npm) or wheel file names
	// (pypi) this archive serves.
	Paths []string `json:"paths"`
	// Filename is the archive's name at its source.
	Filename string `json:"filename,omitempty"`
	// URL is where it was fetched from, redacted (no credentials, no query
	// values).
	URL string `json:"url,omitempty"`
	// Digests are all the digests the lockfile gives for it, SRI form; the
	// first is the one the blob is named by.
	Digests []string `json:"digests"`
	// Blob is the blob's path inside the directory, slash-separated.
	Blob string `json:"blob"`
	Size int64  `json:"size"`
	// Fetched is when the archive entered the vendor directory (UTC); an
	// update that keeps the archive keeps the time.
	Fetched time.Time `json:"fetched"`
	// Decisions are what airlock's policy decided about the package when it
	// was vendored (signatures, release age, sources, ...), as reported by
	// the install command's --json decision events.
	Decisions []Decision `json:"decisions,omitempty"`
}

// Decision is one policy decision recorded for an entry.
type Decision struct {
	Rule     string `json:"rule"`
	Verdict  string `json:"verdict"`
	Message  string `json:"message"`
	Evidence string `json:"evidence,omitempty"`
}

// BlobPath is where the blob for d lives inside a vendor directory.
func BlobPath(d verify.Digest) string {
	return path.Join(blobsDir, d.Algorithm, d.Hex())
}

// parseBlobPath returns the digest a blob path names.
func parseBlobPath(p string) (verify.Digest, error) {
	parts := strings.Split(p, "/")
	if len(parts) != 3 || parts[0] != blobsDir {
		return verify.Digest{}, fmt.Errorf("%q is not blobs/<algo>/<hex>", p)
	}
	return verify.ParseHex(parts[1], parts[2])
}

// ErrManifest is matched by every manifest that cannot be used.
var ErrManifest = errors.New("unusable vendor manifest")

// ReadManifest reads dir's manifest. A directory without one is an error
// matching fs.ErrNotExist.
func ReadManifest(dir string) (*Manifest, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	defer root.Close()
	return readManifest(root, dir)
}

func readManifest(root *os.Root, dir string) (*Manifest, error) {
	f, err := root.Open(ManifestName)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w; create it with `airlock vendor %s`", dir, err, dir)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: reading %s: %w", dir, ManifestName, err)
	}
	if len(data) > MaxManifestSize {
		return nil, fmt.Errorf("vendor directory %s: %s is over %d bytes: %w", dir, ManifestName, MaxManifestSize, ErrManifest)
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("vendor directory %s: %s: %v: %w; run `airlock vendor %s` again", dir, ManifestName, err, ErrManifest, dir)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("vendor directory %s: %s has format %q, want %q: %w; run `airlock vendor %s` with this airlock", dir, ManifestName, m.Format, Format, ErrManifest, dir)
	}
	seen := map[string]bool{}
	for i, e := range m.Packages {
		d, err := parseBlobPath(e.Blob)
		if err != nil {
			return nil, fmt.Errorf("vendor directory %s: %s: entry %d (%s@%s): blob %v: %w", dir, ManifestName, i, e.Name, e.Version, err, ErrManifest)
		}
		if len(e.Digests) == 0 || e.Digests[0] != d.String() {
			return nil, fmt.Errorf("vendor directory %s: %s: entry %d (%s@%s): the first digest must be the blob's (%s): %w", dir, ManifestName, i, e.Name, e.Version, d, ErrManifest)
		}
		if seen[e.Blob] {
			return nil, fmt.Errorf("vendor directory %s: %s: blob %s is listed twice: %w", dir, ManifestName, e.Blob, ErrManifest)
		}
		seen[e.Blob] = true
	}
	return &m, nil
}

// encode returns the manifest as written: entries sorted so that an update
// diffs well under version control.
func (m *Manifest) encode() ([]byte, error) {
	sort.Slice(m.Packages, func(i, j int) bool {
		a, b := m.Packages[i], m.Packages[j]
		if a.Ecosystem != b.Ecosystem {
			return a.Ecosystem < b.Ecosystem
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.Blob < b.Blob
	})
	for i := range m.Packages {
		sort.Strings(m.Packages[i].Paths)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
