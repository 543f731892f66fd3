package npm

// npm sorts lockfile keys with String.prototype.localeCompare(b, 'en'),
// which in Node (built with full ICU) is the Unicode Collation Algorithm
// with CLDR root order and punctuation non-ignorable. localeCompare
// reproduces it for ASCII, which covers npm package names and lockfile
// locations; other characters sort after ASCII letters by code point, which
// is deterministic but not ICU's exact order.

// asciiPrimary is ICU's primary order of printable ASCII with letters case
// folded, as printed by Node:
// [...Array(95)].map((_, i) => String.fromCharCode(32 + i)).sort((a, b) => a.localeCompare(b, 'en'))
const asciiPrimary = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"

var primaryWeight [128]int

func init() {
	for i := range primaryWeight {
		primaryWeight[i] = -1 // control characters are ignorable
	}
	for i, c := range []byte(asciiPrimary) {
		primaryWeight[c] = i + 1
		if c >= 'a' && c <= 'z' {
			primaryWeight[c-'a'+'A'] = i + 1
		}
	}
}

// collationKey returns the primary weights and the tertiary (case)
// weights of s: lower case before upper case, as in ICU.
func collationKey(s string) (primary, tertiary []int) {
	for _, r := range s {
		switch {
		case r < 128 && primaryWeight[r] < 0:
			continue
		case r < 128:
			primary = append(primary, primaryWeight[r])
			if r >= 'A' && r <= 'Z' {
				tertiary = append(tertiary, 1)
			} else {
				tertiary = append(tertiary, 0)
			}
		default:
			primary = append(primary, len(asciiPrimary)+int(r))
			tertiary = append(tertiary, 0)
		}
	}
	return primary, tertiary
}

func compareInts(a, b []int) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// localeCompare is a.localeCompare(b, 'en') for ASCII strings: all primary
// weights are compared before any case difference counts.
func localeCompare(a, b string) int {
	if a == b {
		return 0
	}
	pa, ta := collationKey(a)
	pb, tb := collationKey(b)
	if c := compareInts(pa, pb); c != 0 {
		return c
	}
	return compareInts(ta, tb)
}
