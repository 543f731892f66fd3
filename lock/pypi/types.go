package pypi

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Hash is one locked digest of a distribution file.
type Hash struct {
	Algo string // "sha256", "sha384" or "sha512" (pip's --hash algorithms)
	Hex  string // lowercase hex
}

func (h Hash) String() string { return h.Algo + ":" + h.Hex }

// hashSizes are the algorithms pip accepts in --hash (pip's STRONG_HASHES)
// with their digest sizes in bytes; pylock.toml and uv.lock are held to the
// same set so that every lock format verifies with the same strength.
var hashSizes = map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}

// ParseHash parses "<algo>:<hex>" as pip's --hash and uv.lock's hash fields
// spell it. The hex digits may be in either case; the result is lowercase.
func ParseHash(s string) (Hash, error) {
	algo, hx, ok := strings.Cut(s, ":")
	if !ok {
		return Hash{}, fmt.Errorf("%w: %q is not <algorithm>:<hex digest>", ErrBadHash, s)
	}
	return newHash(algo, hx)
}

func newHash(algo, hx string) (Hash, error) {
	size, known := hashSizes[algo]
	if !known {
		return Hash{}, fmt.Errorf("%w: algorithm %q: use sha256, sha384 or sha512", ErrBadHash, algo)
	}
	if len(hx) != 2*size {
		return Hash{}, fmt.Errorf("%w: a %s digest is %d hex digits, got %d", ErrBadHash, algo, 2*size, len(hx))
	}
	if _, err := hex.DecodeString(hx); err != nil {
		return Hash{}, fmt.Errorf("%w: %s digest %q is not hexadecimal", ErrBadHash, algo, hx)
	}
	return Hash{Algo: algo, Hex: strings.ToLower(hx)}, nil
}

// Integrity converts hashes to the SRI string fetch and verify use
// ("sha256-<base64> sha256-<base64>"). Hashes this package did not produce
// (unknown algorithm or bad hex) are left out; an empty result means nothing
// can be verified and the caller must refuse the file.
func Integrity(hashes []Hash) string {
	var b strings.Builder
	for _, h := range hashes {
		if _, known := hashSizes[h.Algo]; !known {
			continue
		}
		sum, err := hex.DecodeString(h.Hex)
		if err != nil || len(sum) != hashSizes[h.Algo] {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h.Algo + "-" + base64.StdEncoding.EncodeToString(sum))
	}
	return b.String()
}

// Artifact is one file of a distribution: a wheel or an sdist.
type Artifact struct {
	Filename string
	URL      string // absolute https URL, or "" when the lock gives none
	Path     string // a local file path the lock names (pylock "path"), or ""
	Hashes   []Hash
	Size     int64 // 0 when unknown
	// UploadTime is the lock's upload-time as written (RFC 3339), or "".
	UploadTime string
}

// Dist is one distribution the lock pins.
type Dist struct {
	// Name is the project name as written; NormalizedName gives PEP 503's form.
	Name    string
	Version string
	// Marker is the PEP 508 environment marker guarding this distribution
	// ("" = always). For uv.lock the markers live on the graph's edges and
	// Lock.Select evaluates them; Marker stays "".
	Marker string
	// RequiresPython is the distribution's own requires-python, or "".
	RequiresPython string
	// Extras are the extras requested for it ("name[a,b]==1"): recorded
	// only, since every dependency they pull in is itself in the lock.
	Extras []string
	// Arbitrary is set for a requirements-file pin with === (arbitrary
	// equality): Version must then match a file's version as a string.
	Arbitrary bool
	// Requested marks a top-level requirement (pip writes REQUESTED for it).
	Requested bool
	// Hashes are a requirements file's --hash values: a file matching any
	// one of them is accepted. Empty for pylock.toml and uv.lock, whose
	// hashes are per artifact.
	Hashes []Hash
	// Wheels lists the locked wheels (pylock.toml, uv.lock); empty for
	// requirements files, where the index says which files exist.
	Wheels []Artifact
	// Sdist is recorded for diagnostics only: airlock never builds one.
	Sdist *Artifact
	// Index is the index URL the lock names for this distribution, or "".
	Index string
	// Source names where the entry came from, for error messages:
	// "requirements.txt:12", "pylock.toml packages[3]", "uv.lock package foo 1.0".
	Source string

	// refuse is why this entry cannot be installed (a VCS or local source,
	// say); Select returns it only if the entry is selected, so that a lock
	// for many platforms installs where its selected entries are fine.
	refuse error
}

// NormalizedName is the PEP 503 normal form of d.Name.
func (d Dist) NormalizedName() string { return NormalizeName(d.Name) }

var nameSeparators = regexp.MustCompile(`[-_.]+`)

// NormalizeName returns the PEP 503 normal form of a project name: runs of
// "-", "_" and "." become one "-", and letters are lower-cased.
func NormalizeName(name string) string {
	return strings.ToLower(nameSeparators.ReplaceAllString(name, "-"))
}

// validName is PEP 508's identifier for project names.
var validName = regexp.MustCompile(`^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$`)

// Lock is a parsed lockfile.
type Lock struct {
	// Format is "requirements", "pylock" or "uv.lock".
	Format string
	Dists  []Dist
	// IndexURL is the lock's primary index (-i/--index-url), or "".
	IndexURL string
	// ExtraIndexURLs are --extra-index-url values in order.
	ExtraIndexURLs []string
	// NoIndex is set by --no-index: the lock forbids index lookups, so
	// every file must come from a URL or path the lock itself names.
	NoIndex bool
	// RequiresPython is the lock's top-level requires-python, or "".
	RequiresPython string
	// Environments are pylock.toml's "environments" markers: when present,
	// the target must satisfy at least one of them.
	Environments []string
	// Extras, DependencyGroups and DefaultGroups are pylock.toml's
	// top-level lists of what the lock can install.
	Extras, DependencyGroups, DefaultGroups []string

	// uv holds uv.lock's dependency graph for Select.
	uv *uvGraph
	// constraints are a requirements file's -c lines, applied by Select.
	constraints []reqLine
}
