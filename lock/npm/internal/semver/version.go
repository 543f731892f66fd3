package semver

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MaxVersionLength is node-semver's MAX_LENGTH: longer version strings are
// invalid, whatever they contain.
const MaxVersionLength = 256

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER. node-semver rejects
// version components above it and keeps larger prerelease numbers as text.
const maxSafeInteger = 1<<53 - 1

// ErrInvalid is wrapped by every parse error of this package.
var ErrInvalid = errors.New("invalid semver")

// Version is a parsed semantic version. Build metadata is dropped: it never
// takes part in range matching.
type Version struct {
	Major, Minor, Patch uint64
	// Pre holds the prerelease identifiers; numerals below 2^53 are in
	// canonical form ("01" becomes "1") as node-semver keeps them.
	Pre []string
}

// String formats v the way node-semver's SemVer.version does.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Pre) > 0 {
		s += "-" + strings.Join(v.Pre, ".")
	}
	return s
}

// Parse parses a version. Loose accepts what node-semver's loose mode
// accepts: leading "v", "=" and spaces, leading zeros, and a prerelease
// without its hyphen ("1.0.0beta1").
func Parse(s string, loose bool) (Version, error) {
	if len(s) > MaxVersionLength {
		return Version{}, fmt.Errorf("%w: version is longer than %d characters", ErrInvalid, MaxVersionLength)
	}
	re := reFull
	if loose {
		re = reLoose
	}
	m := re.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("%w: version %q", ErrInvalid, s)
	}
	var v Version
	for i, p := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.ParseUint(m[i+1], 10, 64)
		if err != nil || n > maxSafeInteger {
			return Version{}, fmt.Errorf("%w: version %q: component too large", ErrInvalid, s)
		}
		*p = n
	}
	if m[4] != "" {
		v.Pre = strings.Split(m[4], ".")
		for i, id := range v.Pre {
			// node-semver stores small numerals as numbers, so "01" is 1.
			if n, ok := jsNumber(id); ok {
				v.Pre[i] = strconv.FormatFloat(n, 'f', -1, 64)
			}
		}
	}
	return v, nil
}

// Compare orders versions like node-semver's SemVer.compare: -1, 0 or +1.
func (v Version) Compare(w Version) int {
	if c := cmpUint(v.Major, w.Major); c != 0 {
		return c
	}
	if c := cmpUint(v.Minor, w.Minor); c != 0 {
		return c
	}
	if c := cmpUint(v.Patch, w.Patch); c != 0 {
		return c
	}
	return comparePre(v.Pre, w.Pre)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// comparePre follows node-semver: no prerelease sorts after any prerelease,
// then identifiers are compared in turn and the first difference decides.
func comparePre(a, b []string) int {
	switch {
	case len(a) > 0 && len(b) == 0:
		return -1
	case len(a) == 0 && len(b) > 0:
		return 1
	}
	for i := 0; ; i++ {
		switch {
		case i >= len(a) && i >= len(b):
			return 0
		case i >= len(b):
			return 1
		case i >= len(a):
			return -1
		}
		if sameIdentifier(a[i], b[i]) {
			continue
		}
		// node-semver returns here even when the comparison says 0 (two
		// numerals too large to tell apart as doubles).
		return compareIdentifiers(a[i], b[i])
	}
}

// isNumeral reports whether a prerelease identifier is all digits.
func isNumeral(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jsNumber is the value node-semver stores for a numeric identifier: it
// becomes a number only when below MAX_SAFE_INTEGER, else it stays text.
func jsNumber(s string) (float64, bool) {
	if !isNumeral(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f >= maxSafeInteger {
		return 0, false
	}
	return f, true
}

// sameIdentifier is JavaScript's === on the stored identifiers.
func sameIdentifier(a, b string) bool {
	an, aok := jsNumber(a)
	bn, bok := jsNumber(b)
	if aok != bok {
		return false
	}
	if aok {
		return an == bn
	}
	return a == b
}

func compareIdentifiers(a, b string) int {
	an, bn := isNumeral(a), isNumeral(b)
	if an && bn {
		fa, _ := strconv.ParseFloat(a, 64)
		fb, _ := strconv.ParseFloat(b, 64)
		switch {
		case fa == fb:
			return 0
		case fa < fb:
			return -1
		}
		return 1
	}
	switch {
	case a == b:
		return 0
	case an:
		return -1
	case bn:
		return 1
	case a < b:
		return -1
	}
	return 1
}

// The grammar below is node-semver's (internal/re.js). Go's RE2 picks the
// same leftmost-first matches as JavaScript here. node-semver bounds some
// repetitions (256 digits, 250 identifier characters) to defuse regex
// backtracking; RE2 needs no such defence, so they are unbounded here, which
// differs only for identifiers longer than any version node-semver accepts.
const (
	numID      = `0|[1-9]\d*`
	numIDLoose = `\d+`
	nonNumID   = `\d*[a-zA-Z-][a-zA-Z0-9-]*`
	mainV      = `(` + numID + `)\.(` + numID + `)\.(` + numID + `)`
	mainVLoose = `(` + numIDLoose + `)\.(` + numIDLoose + `)\.(` + numIDLoose + `)`
	preID      = `(?:` + nonNumID + `|` + numID + `)`
	preIDLoose = `(?:` + nonNumID + `|` + numIDLoose + `)`
	pre        = `(?:-(` + preID + `(?:\.` + preID + `)*))`
	preLoose   = `(?:-?(` + preIDLoose + `(?:\.` + preIDLoose + `)*))`
	buildID    = `[a-zA-Z0-9-]+`
	build      = `(?:\+(` + buildID + `(?:\.` + buildID + `)*))`
	// buildAny is the unbounded form node-semver strips from whole ranges.
	buildAny     = `(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))`
	fullPlain    = `v?` + mainV + pre + `?` + build + `?`
	loosePlain   = `[v=\s]*` + mainVLoose + preLoose + `?` + build + `?`
	gtlt         = `((?:<|>)?=?)`
	xrID         = numID + `|x|X|\*`
	xrIDLoose    = numIDLoose + `|x|X|\*`
	xrPlain      = `[v=\s]*(` + xrID + `)(?:\.(` + xrID + `)(?:\.(` + xrID + `)(?:` + pre + `)?` + build + `?)?)?`
	xrPlainLoose = `[v=\s]*(` + xrIDLoose + `)(?:\.(` + xrIDLoose + `)(?:\.(` + xrIDLoose + `)(?:` + preLoose + `)?` + build + `?)?)?`
	loneTilde    = `(?:~>?)`
	loneCaret    = `(?:\^)`
)

var (
	reFull  = regexp.MustCompile(`^` + fullPlain + `$`)
	reLoose = regexp.MustCompile(`^` + loosePlain + `$`)
)
