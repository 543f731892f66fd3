package provenance

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// builtinRoot is Sigstore's public-good trusted root (Fulcio CAs, Rekor
// and CT log keys, timestamp authorities), as sigstore-go v1.3.0 ships it
// in examples/trusted-root-public-good.json. testdata/README.md says more.
//
//go:embed trusted_root.json
var builtinRoot []byte

// TrustedRootFile is the refreshed trusted root's name under the cache's
// sigstore directory (written by `airlock trust update`).
const TrustedRootFile = "trusted_root.json"

// maxRootBytes caps a trusted root; the public-good one is 7 KB.
const maxRootBytes = 1 << 20

// BuiltinTrustedRoot returns the built-in trusted root's JSON.
func BuiltinTrustedRoot() []byte { return append([]byte(nil), builtinRoot...) }

// ParseTrustedRoot parses and checks a trusted_root.json: it must be the
// Sigstore trusted-root format with at least one Fulcio CA and one Rekor
// log, or it could verify nothing (and an empty root must never look like
// "no provenance").
func ParseTrustedRoot(data []byte) (*root.TrustedRoot, error) {
	tr, err := root.NewTrustedRootFromJSON(data)
	if err != nil {
		return nil, fmt.Errorf("not a Sigstore trusted root (application/vnd.dev.sigstore.trustedroot+json): %w", err)
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 || len(tr.RekorLogs()) == 0 {
		return nil, errors.New("the trusted root lists no Fulcio certificate authority or no Rekor log; it cannot verify npm provenance")
	}
	return tr, nil
}

// LoadTrustedRoot returns the trusted root to verify with and where it came
// from: the file named by override (AIRLOCK_TRUSTED_ROOT: a private
// Sigstore instance), else dir/trusted_root.json when `airlock trust
// update` wrote one, else the built-in root. A file that exists but does
// not parse is an error, never a fallback to the built-in root.
func LoadTrustedRoot(override, dir string) (*root.TrustedRoot, string, error) {
	path := override
	if path == "" && dir != "" {
		p := filepath.Join(dir, TrustedRootFile)
		if _, err := os.Lstat(p); err == nil {
			path = p
		}
	}
	if path == "" {
		tr, err := ParseTrustedRoot(builtinRoot)
		if err != nil {
			return nil, "", fmt.Errorf("built-in trusted root: %w", err) // a build defect, caught by tests
		}
		return tr, "built into airlock (Sigstore public good)", nil
	}
	data, err := safefile.Read(path, maxRootBytes)
	if err != nil {
		return nil, "", fmt.Errorf("Sigstore trusted root: %w", err)
	}
	tr, err := ParseTrustedRoot(data)
	if err != nil {
		return nil, "", fmt.Errorf("Sigstore trusted root %s: %w; run `airlock trust update` to replace it, or delete it to use the built-in one", path, err)
	}
	return tr, path, nil
}

// InstallTrustedRoot checks data and writes it as dir/trusted_root.json,
// atomically.
func InstallTrustedRoot(dir string, data []byte) error {
	if _, err := ParseTrustedRoot(data); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".airlock-tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil && cerr == nil {
		werr = os.Rename(f.Name(), filepath.Join(dir, TrustedRootFile))
	}
	if werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(f.Name())
	}
	return werr
}

// FetchTrustedRoot fetches the current trusted root through Sigstore's
// TUF repository (mirror: "" for tuf-repo-cdn.sigstore.dev), verifying the
// TUF metadata chain from the root embedded in sigstore-go; TUF's own
// cache goes to cacheDir.
func FetchTrustedRoot(mirror, cacheDir string) ([]byte, error) {
	opts := tuf.DefaultOptions().WithCachePath(cacheDir)
	if mirror != "" {
		opts = opts.WithRepositoryBaseURL(mirror)
	}
	c, err := tuf.New(opts)
	if err != nil {
		return nil, fmt.Errorf("Sigstore TUF repository %s: %w", opts.RepositoryBaseURL, err)
	}
	data, err := c.GetTarget("trusted_root.json")
	if err != nil {
		return nil, fmt.Errorf("Sigstore TUF repository %s: trusted_root.json: %w", opts.RepositoryBaseURL, err)
	}
	return data, nil
}
