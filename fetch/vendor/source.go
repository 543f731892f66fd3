package vendor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// URLScheme starts the address Source gives a blob; it is never a network
// address.
const URLScheme = "vendor:"

// Source serves a vendor directory's blobs to a fetch.Fetcher in place of
// the network: it is the Fetcher's Locator (finding a package's blob by
// the lockfile's digest) and its Getter (reading the file). The Fetcher
// verifies the bytes against the lockfile's digest as it would a download.
type Source struct {
	dir      string
	root     *os.Root
	manifest *Manifest
}

// Open opens dir for installing. It does not check the blobs: call Check
// first to report a tampered directory precisely.
func Open(dir string) (*Source, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	m, err := readManifest(root, dir)
	if err != nil {
		root.Close()
		return nil, err
	}
	return &Source{dir: dir, root: root, manifest: m}, nil
}

// Close releases the directory.
func (s *Source) Close() error { return s.root.Close() }

// Manifest returns the directory's manifest.
func (s *Source) Manifest() *Manifest { return s.manifest }

// Entries returns the manifest's entries for one package version.
// Names compare as given, or with norm applied when norm is not nil.
func (s *Source) Entries(ecosystem, name, version string, norm func(string) string) []Entry {
	if norm == nil {
		norm = func(x string) string { return x }
	}
	var out []Entry
	for _, e := range s.manifest.Packages {
		if e.Ecosystem == ecosystem && norm(e.Name) == norm(name) && e.Version == version {
			out = append(out, e)
		}
	}
	return out
}

// ErrNotVendored is matched by the error for a package whose blob the
// directory does not hold.
var ErrNotVendored = errors.New("not in the vendor directory")

// LocateDigest returns the address of the blob named by want, the
// lockfile's digest of pkg's archive.
func (s *Source) LocateDigest(pkg lock.Package, want verify.Digest) (string, error) {
	if err := want.Validate(); err != nil {
		return "", err
	}
	p := BlobPath(want)
	if _, err := s.root.Lstat(p); err != nil {
		return "", fmt.Errorf("%s@%s (%s, %s) is %w %s: run `airlock vendor %s` again with this lockfile", pkg.Name, pkg.Version, pkg.Path, want, ErrNotVendored, s.dir, s.dir)
	}
	return URLScheme + p, nil
}

// TarballURL is never how Source is asked; it says so, so that a Fetcher
// wired without digest lookups fails loudly.
func (s *Source) TarballURL(name, version, resolved string) (string, error) {
	return "", fmt.Errorf("%s@%s: a vendor directory finds archives by their locked digest only", name, version)
}

// Get opens the blob addressed by url (from LocateDigest) as a 200
// response.
func (s *Source) Get(ctx context.Context, url string, h http.Header) (*http.Response, error) {
	p, ok := strings.CutPrefix(url, URLScheme)
	if !ok {
		return nil, fmt.Errorf("vendor directory %s: refusing %s: installing from a vendor directory never uses the network", s.dir, url)
	}
	if _, err := parseBlobPath(p); err != nil {
		return nil, fmt.Errorf("vendor directory %s: %v", s.dir, err)
	}
	st, err := s.root.Lstat(p)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", s.dir, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("vendor directory %s: %s is %w", s.dir, p, errNotRegular)
	}
	f, err := s.root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", s.dir, err)
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{},
		ContentLength: st.Size(),
		Body:          readCloser{f},
	}, nil
}

type readCloser struct{ f *os.File }

func (r readCloser) Read(p []byte) (int, error) { return r.f.Read(p) }
func (r readCloser) Close() error               { return r.f.Close() }

var _ io.ReadCloser = readCloser{}
