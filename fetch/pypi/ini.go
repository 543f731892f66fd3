package pypi

import (
	"fmt"
	"strings"
)

// parseINI reads a pip.conf the way Python's configparser.RawConfigParser
// (pip's reader) does, for what pip.conf files use: "[section]" headers,
// "key = value" or "key: value" lines, whole-line comments starting with
// "#" or ";", and indented continuation lines that extend the previous
// value with a newline (how extra-index-url lists several URLs). Keys are
// lowercased; a key or section given twice in one file is an error, as it
// is for configparser. The result maps section → key → value.
func parseINI(data []byte) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	var (
		section string
		key     string // the option a continuation line extends
		sect    map[string]string
	)
	text := strings.TrimPrefix(string(data), "\ufeff")
	for n, line := range strings.Split(text, "\n") {
		lineNo := n + 1
		line = strings.TrimSuffix(line, "\r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			// configparser keeps blank lines inside a value only when a
			// continuation follows; a trailing one is stripped. Keeping
			// none changes nothing for the whitespace-split lists pip has.
			continue
		}
		if trimmed[0] == '#' || trimmed[0] == ';' {
			continue
		}
		indented := line[0] == ' ' || line[0] == '\t'
		if indented && key != "" {
			sect[key] += "\n" + trimmed
			continue
		}
		if strings.HasPrefix(trimmed, "[") {
			end := strings.Index(trimmed, "]")
			if end < 0 {
				return nil, fmt.Errorf("line %d: section header without ]: %q", lineNo, trimmed)
			}
			section = trimmed[1:end]
			if _, dup := out[section]; dup {
				return nil, fmt.Errorf("line %d: section [%s] appears twice", lineNo, section)
			}
			sect = map[string]string{}
			out[section] = sect
			key = ""
			continue
		}
		if sect == nil {
			return nil, fmt.Errorf("line %d: %q comes before any [section] header (pip.conf settings go under [global] or [install])", lineNo, trimmed)
		}
		i := strings.IndexAny(trimmed, "=:")
		if i <= 0 {
			return nil, fmt.Errorf("line %d in [%s]: expected key = value, got %q", lineNo, section, redactLine(trimmed))
		}
		k := strings.ToLower(strings.TrimSpace(trimmed[:i]))
		if _, dup := sect[k]; dup {
			return nil, fmt.Errorf("line %d: %s appears twice in [%s]", lineNo, k, section)
		}
		sect[k] = strings.TrimSpace(trimmed[i+1:])
		key = k
	}
	return out, nil
}

// redactLine keeps a malformed line out of error messages beyond its first
// characters: it may hold a URL with a token.
func redactLine(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
