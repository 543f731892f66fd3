package wheel

import (
	"strings"
	"unicode"
)

// Python reads wheel metadata with str.splitlines and str.strip, which know
// more line breaks and spaces than Go's strings package. airlock must read
// the same lines pip reads, or a crafted file could mean one thing to the
// verifier and another to the installer.

// pySplitLines is Python's str.splitlines(): lines end at \n, \r\n, \r,
// \v, \f, \x1c, \x1d, \x1e, \x85, \u2028 or \u2029, and a break at the very
// end yields no empty last line.
func pySplitLines(s string) []string {
	var lines []string
	start := 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= 0x80 {
			r, size = decodeRune(s[i:])
		}
		if isPyLineBreak(r) {
			lines = append(lines, s[start:i])
			i += size
			if r == '\r' && i < len(s) && s[i] == '\n' {
				i++
			}
			start = i
			continue
		}
		i += size
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}

func decodeRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 1
}

func isPyLineBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\v', '\f', 0x1c, 0x1d, 0x1e, 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// hasPyLineBreak reports whether s holds a character Python would split a
// line at.
func hasPyLineBreak(s string) bool {
	return strings.IndexFunc(s, isPyLineBreak) >= 0
}

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }
