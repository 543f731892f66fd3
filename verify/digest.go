package verify

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
)

// Digest is one cryptographic hash of an archive.
type Digest struct {
	// Algorithm is "sha512", "sha384", "sha256" or "sha1".
	Algorithm string
	Sum       []byte
}

// algorithm describes one supported hash. rank orders them by strength the way
// ssri's DEFAULT_PRIORITY does: a higher rank wins in Strongest.
type algorithm struct {
	rank int
	size int
	new  func() hash.Hash
}

var algorithms = map[string]algorithm{
	"sha1":   {rank: 1, size: sha1.Size, new: sha1.New},
	"sha256": {rank: 2, size: sha256.Size, new: sha256.New},
	"sha384": {rank: 3, size: sha512.Size384, new: sha512.New384},
	"sha512": {rank: 4, size: sha512.Size, new: sha512.New},
}

// String returns the digest in SRI form, "sha512-<base64>", which is how
// lockfiles record it and how users compare it.
func (d Digest) String() string {
	if d.Algorithm == "" && len(d.Sum) == 0 {
		return ""
	}
	return d.Algorithm + "-" + base64.StdEncoding.EncodeToString(d.Sum)
}

// Hex returns the sum as lowercase hex, the form cache paths and npm's legacy
// shasum use.
func (d Digest) Hex() string {
	return hex.EncodeToString(d.Sum)
}

// Validate reports whether d names a supported algorithm and has that
// algorithm's size, so that callers can build file names from it.
func (d Digest) Validate() error {
	a, ok := algorithms[d.Algorithm]
	if !ok {
		return fmt.Errorf("verify: unsupported digest algorithm %q (want sha512, sha384, sha256 or sha1)", d.Algorithm)
	}
	if len(d.Sum) != a.size {
		return fmt.Errorf("verify: %s digest has %d bytes, want %d", d.Algorithm, len(d.Sum), a.size)
	}
	return nil
}

// ParseHex parses a hex digest such as npm's legacy `shasum` field
// (ParseHex("sha1", "2ef7bde6...")). Upper- and lowercase hex are accepted.
func ParseHex(algo, s string) (Digest, error) {
	a, ok := algorithms[algo]
	if !ok {
		return Digest{}, &ParseError{Input: s, Reason: fmt.Sprintf("unsupported digest algorithm %q", algo)}
	}
	if len(s) != 2*a.size {
		return Digest{}, &ParseError{Input: s, Reason: fmt.Sprintf("a %s digest is %d hex characters, got %d", algo, 2*a.size, len(s))}
	}
	sum, err := hex.DecodeString(s)
	if err != nil {
		return Digest{}, &ParseError{Input: s, Reason: fmt.Sprintf("not hex: %v", err)}
	}
	return Digest{Algorithm: algo, Sum: sum}, nil
}
