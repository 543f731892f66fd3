package yarn

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// MaxLockfileSize bounds the input to Parse, as lock/npm and lock/pnpm
// bound theirs: the yarn.lock files of the largest monorepos are a few MB.
const MaxLockfileSize = 256 << 20

// Errors callers can branch on with errors.Is.
var (
	// ErrSyntax: the input is not a yarn.lock as yarn 1 writes it.
	ErrSyntax = errors.New("not a valid yarn.lock")
	// ErrTooLarge: the input is over MaxLockfileSize.
	ErrTooLarge = errors.New("lockfile too large")
	// ErrBerry: a lockfile of yarn 2 or later (__metadata:).
	ErrBerry = errors.New("yarn berry lockfile")
	// ErrBadName: a package name npm would not accept.
	ErrBadName = errors.New("invalid package name")
	// ErrBadVersion: a version that is not plain semver.
	ErrBadVersion = errors.New("invalid version")
	// ErrUnsupportedSource: an npm: alias, or another pattern airlock
	// cannot install from yarn.lock.
	ErrUnsupportedSource = errors.New("unsupported package source")
)

// node is one parsed block: ordered keys, each with a string value or a
// nested block.
type node struct {
	keys   []string
	values map[string]string
	blocks map[string]*node
	lines  map[string]int
	line   int
}

func newNode(line int) *node {
	return &node{values: map[string]string{}, blocks: map[string]*node{}, lines: map[string]int{}, line: line}
}

// rawEntry is one top-level entry before interpretation.
type rawEntry struct {
	patterns []string
	body     *node
	line     int
}

func syntaxErr(line int, format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrSyntax, line, fmt.Sprintf(format, args...))
}

// parseRaw splits data into entries. It accepts exactly the shape yarn's
// stringify writes: top-level keys ending in ':', fields at two spaces,
// dependency maps at four.
func parseRaw(data []byte) ([]rawEntry, error) {
	if len(data) > MaxLockfileSize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrTooLarge, len(data), MaxLockfileSize)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	lines := strings.Split(text, "\n")
	var entries []rawEntry
	var cur *rawEntry
	var block *node // the open nested block (dependencies:), if any
	sawVersion := false
	for i, ln := range lines {
		n := i + 1
		if strings.ContainsRune(ln, '\r') || strings.ContainsRune(ln, 0) {
			return nil, syntaxErr(n, "carriage return or NUL byte")
		}
		trimmed := strings.TrimLeft(ln, " ")
		indent := len(ln) - len(trimmed)
		if strings.HasPrefix(trimmed, "\t") {
			return nil, syntaxErr(n, "tab in indentation")
		}
		if trimmed == "" {
			continue
		}
		if strings.HasPrefix(trimmed, "#") {
			if indent == 0 && strings.TrimSpace(trimmed[1:]) == "yarn lockfile v1" {
				sawVersion = true
			}
			continue
		}
		for _, m := range []string{"<<<<<<<", "=======", ">>>>>>>", "|||||||"} {
			if strings.HasPrefix(ln, m) {
				return nil, syntaxErr(n, "git merge conflict marker %q: resolve the conflict (run `yarn install` and commit the result)", m)
			}
		}
		switch indent {
		case 0:
			if trimmed == "__metadata:" {
				return nil, fmt.Errorf("%w: line %d: __metadata: this yarn.lock was written by yarn 2 or later", ErrBerry, n)
			}
			if !strings.HasSuffix(trimmed, ":") {
				return nil, syntaxErr(n, "a top-level entry must be patterns followed by ':'")
			}
			pats, err := splitPatterns(strings.TrimSuffix(trimmed, ":"), n)
			if err != nil {
				return nil, err
			}
			entries = append(entries, rawEntry{patterns: pats, body: newNode(n), line: n})
			cur = &entries[len(entries)-1]
			block = nil
		case 2, 4:
			if cur == nil {
				return nil, syntaxErr(n, "indented line outside an entry")
			}
			target := cur.body
			if indent == 4 {
				if block == nil {
					return nil, syntaxErr(n, "indented too deep: only dependency lists nest")
				}
				target = block
			} else {
				block = nil
			}
			key, rest, err := readToken(trimmed, n)
			if err != nil {
				return nil, err
			}
			if _, dup := target.lines[key]; dup {
				return nil, syntaxErr(n, "duplicate key %q", key)
			}
			target.lines[key] = n
			target.keys = append(target.keys, key)
			if rest == ":" {
				if indent == 4 {
					return nil, syntaxErr(n, "indented too deep: %q opens a third level", key)
				}
				block = newNode(n)
				target.blocks[key] = block
				continue
			}
			if !strings.HasPrefix(rest, " ") {
				return nil, syntaxErr(n, "expected a space and a value after %q", key)
			}
			val, tail, err := readToken(strings.TrimLeft(rest, " "), n)
			if err != nil {
				return nil, err
			}
			if strings.TrimRight(tail, " ") != "" {
				return nil, syntaxErr(n, "unexpected text %q after the value of %q", tail, key)
			}
			target.values[key] = val
		default:
			return nil, syntaxErr(n, "indentation of %d spaces (yarn.lock uses 2 and 4)", indent)
		}
	}
	if len(entries) > 0 && !sawVersion {
		return nil, fmt.Errorf("%w: no \"# yarn lockfile v1\" header: this is not a lockfile yarn 1 wrote", ErrSyntax)
	}
	return entries, nil
}

// readToken reads one key or value: a JSON string in double quotes, or a
// bare word ending at ':', ' ' or ','. It returns the rest of s.
func readToken(s string, line int) (tok, rest string, err error) {
	if s == "" {
		return "", "", syntaxErr(line, "missing key or value")
	}
	if s[0] == '"' {
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if s[i] == '"' {
				break
			}
		}
		if i >= len(s) {
			return "", "", syntaxErr(line, "unterminated string")
		}
		var v string
		if err := json.Unmarshal([]byte(s[:i+1]), &v); err != nil {
			return "", "", syntaxErr(line, "invalid string %s", s[:i+1])
		}
		return v, s[i+1:], nil
	}
	i := strings.IndexAny(s, ": ,")
	if i < 0 {
		i = len(s)
	}
	if i == 0 {
		return "", "", syntaxErr(line, "unexpected %q", s[:1])
	}
	return s[:i], s[i:], nil
}

// splitPatterns reads `a@1, "b@2"`: one or more patterns separated by ", ".
func splitPatterns(s string, line int) ([]string, error) {
	var out []string
	for {
		tok, rest, err := readToken(s, line)
		if err != nil {
			return nil, err
		}
		if tok == "" {
			return nil, syntaxErr(line, "empty pattern")
		}
		out = append(out, tok)
		if rest == "" {
			return out, nil
		}
		if !strings.HasPrefix(rest, ", ") {
			return nil, syntaxErr(line, "expected \", \" between patterns, got %q", rest)
		}
		s = rest[2:]
	}
}
