package npmrc

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxFileSize bounds one config file. Real .npmrc files are a few hundred
// bytes; an inline CA bundle (ca[]=) can reach a few hundred KiB.
const MaxFileSize = 1 << 20

// Parse decodes one .npmrc file the way npm's `ini` package and
// @npmcli/config do, expanding ${VAR} references with env (nil: no variable
// is set). Every Value gets source as its Source. Lines npm ignores are
// ignored: those without a key, and every key after a [section] header.
func Parse(data []byte, source string, env func(string) (string, bool)) (map[string]Value, error) {
	if len(data) > MaxFileSize {
		return nil, &ConfigError{Source: source,
			Detail: fmt.Sprintf("%d bytes (limit %d)", len(data), MaxFileSize), Err: ErrTooLarge}
	}
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	text := string(data)
	if !utf8.ValidString(text) {
		text = decodeLikeNode(text)
	}
	out := make(map[string]Value)
	inSection := false
	for _, line := range splitLines(text) {
		if line == "" || isCommentOrBlank(line) {
			continue
		}
		if sectionHeader(line) {
			// Keys below a section header form an object value in npm,
			// which no setting reads; they are not top-level settings.
			inSection = true
			continue
		}
		rawKey, rawValue, hasValue, ok := keyValue(line)
		if !ok || inSection {
			continue
		}
		keyText := unquote(rawKey)
		isArray := len(keyText) > 2 && strings.HasSuffix(keyText, "[]")
		if isArray {
			keyText = keyText[:len(keyText)-2]
		}
		if keyText == "__proto__" {
			continue
		}
		value := "true" // a key without "=" is boolean true in ini
		if hasValue {
			value = unquote(rawValue)
		}
		// @npmcli/config expands ${VAR} in keys and, after trimming, in
		// string values; true/false/null are not strings there.
		key := expandEnv(keyText, env)
		if value != "true" && value != "false" && value != "null" {
			value = expandEnv(jsTrim(value), env)
		}
		prev, exists := out[key]
		switch {
		case isArray || (exists && prev.List != nil):
			// ini turns a scalar into an array when key[]= follows it,
			// and appends to an array even when [] is forgotten.
			list := prev.List
			if exists && prev.List == nil {
				list = []string{prev.Value}
			}
			list = append(append([]string(nil), list...), value)
			out[key] = Value{Value: value, List: list, Source: source, redact: redactionFor(key)}
		default:
			out[key] = Value{Value: value, Source: source, redact: redactionFor(key)}
		}
	}
	return out, nil
}

// splitLines splits like JavaScript's str.split(/[\r\n]+/).
func splitLines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' })
}

// isCommentOrBlank matches /^\s*[;#]/ and /^\s*$/.
func isCommentOrBlank(line string) bool {
	rest := strings.TrimLeftFunc(line, isJSSpace)
	return rest == "" || rest[0] == ';' || rest[0] == '#'
}

// sectionHeader matches /^\[([^\]]*)\]\s*$/.
func sectionHeader(line string) bool {
	if !strings.HasPrefix(line, "[") {
		return false
	}
	end := strings.IndexByte(line, ']')
	return end >= 0 && strings.TrimLeftFunc(line[end+1:], isJSSpace) == ""
}

// keyValue matches /^([^=]+)(=(.*))?$/: the key is everything before the
// first "=" and must not be empty. JavaScript's "." does not match U+2028
// or U+2029, so a value containing them makes the whole line not match.
func keyValue(line string) (key, value string, hasValue, ok bool) {
	i := strings.IndexByte(line, '=')
	if i == 0 {
		return "", "", false, false
	}
	if i < 0 {
		return line, "", false, true
	}
	value = line[i+1:]
	if strings.ContainsAny(value, "\u2028\u2029") {
		return "", "", false, false
	}
	return line[:i], value, true, true
}

// unquote is ini's unsafe(): trim; a value in matching quotes is JSON
// (single quotes are dropped first), falling back to the text itself;
// otherwise the value ends at the first unescaped ; or #, and \; \# \\
// are escapes.
func unquote(val string) string {
	val = jsTrim(val)
	if isQuoted(val) {
		if val[0] == '\'' {
			val = val[1 : len(val)-1+boolInt(len(val) == 1)]
		}
		if s, ok := jsonParse(val); ok {
			return s
		}
		return val
	}
	var b strings.Builder
	esc := false
	for i := 0; i < len(val); i++ {
		c := val[i]
		switch {
		case esc:
			if c != '\\' && c != ';' && c != '#' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			esc = false
		case c == ';' || c == '#':
			return jsTrim(b.String())
		case c == '\\':
			esc = true
		default:
			b.WriteByte(c)
		}
	}
	if esc {
		b.WriteByte('\\')
	}
	return jsTrim(b.String())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isQuoted(v string) bool {
	return v != "" && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'')
}

// jsonParse returns what JSON.parse would produce, as the text npm would
// later see: strings as themselves, true/false/null by name, other JSON
// (numbers, objects, arrays) as written.
func jsonParse(s string) (string, bool) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", false
	}
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case nil:
		return "null", true
	}
	return jsTrim(s), true
}

// isJSSpace is the set JavaScript's \s and String.prototype.trim remove;
// it differs from unicode.IsSpace (U+FEFF yes, U+0085 no), and a UTF-8 BOM
// at the start of a file is trimmed from the first key this way.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

func jsTrim(s string) string { return strings.TrimFunc(s, isJSSpace) }

// decodeLikeNode replaces invalid UTF-8 the way Node's decoder (WHATWG)
// does: one U+FFFD per maximal subpart of an ill-formed sequence.
func decodeLikeNode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(s[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += maximalSubpart(s[i:])
	}
	return b.String()
}

// maximalSubpart is the length of the ill-formed sequence at the start of
// s: its lead byte and the continuation bytes that were still acceptable.
func maximalSubpart(s string) int {
	lo, hi := byte(0x80), byte(0xBF)
	var need int
	switch c := s[0]; {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}
