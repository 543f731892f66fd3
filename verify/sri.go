package verify

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ErrBadIntegrity is matched (errors.Is) by every ParseSRI and ParseHex
// failure: the lockfile's integrity cannot be used to check anything.
var ErrBadIntegrity = errors.New("unusable integrity")

// ParseError explains why an integrity string is unusable.
type ParseError struct {
	Input  string // the whole integrity string as given
	Entry  string // the offending entry, if one entry is to blame
	Reason string
}

func (e *ParseError) Error() string {
	if e.Entry != "" && e.Entry != e.Input {
		return fmt.Sprintf("integrity %q: entry %q: %s", e.Input, e.Entry, e.Reason)
	}
	return fmt.Sprintf("integrity %q: %s", e.Input, e.Reason)
}

func (e *ParseError) Is(target error) bool { return target == ErrBadIntegrity }

// Integrity is the parsed form of an SRI string: the usable digests in the
// order they appeared, without duplicates.
type Integrity []Digest

// ParseSRI parses an integrity string as npm writes it in lockfiles:
// whitespace-separated "<algo>-<base64>[?opts]" entries. Options are dropped
// (npm gives them no meaning). Entries that are not of that shape, or name an
// algorithm this package does not know, are ignored like ssri ignores them;
// an entry of a known algorithm with a malformed digest is an error (see the
// package doc). At least one usable entry must remain.
func ParseSRI(s string) (Integrity, error) {
	var out Integrity
	for _, entry := range strings.Fields(s) {
		algo, digest, ok := splitEntry(entry)
		if !ok {
			continue
		}
		a, known := algorithms[algo]
		if !known {
			continue
		}
		// StdEncoding.Strict also rejects non-zero padding bits, so each sum
		// has exactly one accepted spelling, the one ssri compares against.
		sum, err := base64.StdEncoding.Strict().DecodeString(digest)
		if err != nil || len(sum) != a.size {
			return nil, &ParseError{Input: s, Entry: entry, Reason: fmt.Sprintf(
				"a %s digest is %d characters of padded standard base64 (%d bytes), got %q",
				algo, base64.StdEncoding.EncodedLen(a.size), a.size, digest)}
		}
		d := Digest{Algorithm: algo, Sum: sum}
		if !out.contains(d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		if strings.TrimSpace(s) == "" {
			return nil, &ParseError{Input: s, Reason: "empty"}
		}
		return nil, &ParseError{Input: s, Reason: "no sha512, sha384, sha256 or sha1 digest in it"}
	}
	return out, nil
}

// splitEntry applies ssri's entry grammar, /^([a-z0-9]+)-([^?]+)(\?[?\S*]*)?$/,
// to one whitespace-free entry.
func splitEntry(entry string) (algo, digest string, ok bool) {
	algo, rest, found := strings.Cut(entry, "-")
	if !found || algo == "" {
		return "", "", false
	}
	for _, r := range algo {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9') {
			return "", "", false
		}
	}
	digest, _, _ = strings.Cut(rest, "?")
	if digest == "" {
		return "", "", false
	}
	return algo, digest, true
}

func (i Integrity) contains(d Digest) bool {
	for _, e := range i {
		if e.Algorithm == d.Algorithm && bytes.Equal(e.Sum, d.Sum) {
			return true
		}
	}
	return false
}

// Strongest returns the first digest of the strongest algorithm present
// (sha512 > sha384 > sha256 > sha1, as ssri's pickAlgorithm orders them), or
// the zero Digest when i is empty.
func (i Integrity) Strongest() Digest {
	var best Digest
	bestRank := 0
	for _, d := range i {
		if r := algorithms[d.Algorithm].rank; r > bestRank {
			best, bestRank = d, r
		}
	}
	return best
}

// WeakOnly reports whether sha1 is the only algorithm present. sha1 is
// broken for collisions; whether that is acceptable is for policy to decide.
func (i Integrity) WeakOnly() bool {
	if len(i) == 0 {
		return false
	}
	for _, d := range i {
		if d.Algorithm != "sha1" {
			return false
		}
	}
	return true
}

// String returns i in SRI form, entries separated by a space.
func (i Integrity) String() string {
	parts := make([]string, len(i))
	for n, d := range i {
		parts[n] = d.String()
	}
	return strings.Join(parts, " ")
}
