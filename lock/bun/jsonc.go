package bun

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrJSONC is the error every syntax refusal of ParseJSONC wraps.
var ErrJSONC = errors.New("not valid bun.lock JSONC")

// numberRe is JSON's number grammar.
var numberRe = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// maxDepth bounds nesting; bun.lock's deepest is five (packages → key →
// info object → dependencies → name).
const maxDepth = 64

// Kind is the kind of a JSONC value.
type Kind int

const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	return [...]string{"null", "boolean", "number", "string", "array", "object"}[k]
}

// Value is one parsed JSONC value.
type Value struct {
	Kind Kind
	// Str is a string's text, a number's literal, or "true"/"false".
	Str string
	// Keys are an object's keys in document order; Fields their values.
	Keys   []string
	Fields map[string]*Value
	// Items are an array's elements.
	Items []*Value
	// Line is where the value starts (1-based), for error messages.
	Line int
}

// Get returns the value of key in an object, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != Object {
		return nil
	}
	return v.Fields[key]
}

// ParseJSONC reads JSON with the two extensions bun's lockfile reader
// accepts and bun itself writes or tolerates: trailing commas in arrays
// and objects, and // and /* */ comments. Everything else is strict JSON:
// duplicate keys (bun then ignores the whole lockfile), invalid UTF-8,
// control characters in strings, unquoted keys, single quotes, and nesting
// deeper than maxDepth are refused with ErrJSONC and the line.
func ParseJSONC(data []byte) (*Value, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: the file is not UTF-8", ErrJSONC)
	}
	p := &parser{s: string(data), line: 1}
	p.s = strings.TrimPrefix(p.s, "\uFEFF")
	if err := p.space(); err != nil {
		return nil, err
	}
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if err := p.space(); err != nil {
		return nil, err
	}
	if p.i < len(p.s) {
		return nil, p.errf("text after the end of the document")
	}
	return v, nil
}

type parser struct {
	s    string
	i    int
	line int
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrJSONC, p.line, fmt.Sprintf(format, args...))
}

// space skips whitespace and comments.
func (p *parser) space() error {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '\n':
			p.line++
			p.i++
		case c == ' ' || c == '\t' || c == '\r':
			p.i++
		case c == '/' && strings.HasPrefix(p.s[p.i:], "//"):
			end := strings.IndexByte(p.s[p.i:], '\n')
			if end < 0 {
				p.i = len(p.s)
			} else {
				p.i += end
			}
		case c == '/' && strings.HasPrefix(p.s[p.i:], "/*"):
			end := strings.Index(p.s[p.i+2:], "*/")
			if end < 0 {
				return p.errf("unterminated /* comment")
			}
			p.line += strings.Count(p.s[p.i:p.i+2+end], "\n")
			p.i += 2 + end + 2
		default:
			return nil
		}
	}
	return nil
}

func (p *parser) value(depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, p.errf("nested deeper than %d levels", maxDepth)
	}
	if p.i >= len(p.s) {
		return nil, p.errf("unexpected end of input")
	}
	line := p.line
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return &Value{Kind: String, Str: s, Line: line}, nil
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	for _, lit := range []struct {
		word string
		kind Kind
	}{{"true", Bool}, {"false", Bool}, {"null", Null}} {
		if strings.HasPrefix(p.s[p.i:], lit.word) {
			p.i += len(lit.word)
			return &Value{Kind: lit.kind, Str: lit.word, Line: line}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(p.s[p.i:])
	return nil, p.errf("unexpected character %q", r)
}

func (p *parser) object(depth int) (*Value, error) {
	v := &Value{Kind: Object, Fields: map[string]*Value{}, Line: p.line}
	p.i++ // {
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated object (opened on line %d)", v.Line)
		}
		if p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		if p.s[p.i] != '"' {
			return nil, p.errf("expected a quoted key or '}'")
		}
		keyLine := p.line
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if _, dup := v.Fields[key]; dup {
			return nil, p.errf("duplicate key %q", key)
		}
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.errf("expected ':' after key %q", key)
		}
		p.i++
		if err := p.space(); err != nil {
			return nil, err
		}
		val, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		if val.Line == 0 {
			val.Line = keyLine
		}
		v.Keys = append(v.Keys, key)
		v.Fields[key] = val
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		return nil, p.errf("expected ',' or '}' after the value of %q", key)
	}
}

func (p *parser) array(depth int) (*Value, error) {
	v := &Value{Kind: Array, Line: p.line}
	p.i++ // [
	for {
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i >= len(p.s) {
			return nil, p.errf("unterminated array (opened on line %d)", v.Line)
		}
		if p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		item, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.Items = append(v.Items, item)
		if err := p.space(); err != nil {
			return nil, err
		}
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		return nil, p.errf("expected ',' or ']' in the array opened on line %d", v.Line)
	}
}

func (p *parser) number() (*Value, error) {
	start, line := p.i, p.line
	for p.i < len(p.s) && strings.IndexByte("+-0123456789.eE", p.s[p.i]) >= 0 {
		p.i++
	}
	lit := p.s[start:p.i]
	if !numberRe.MatchString(lit) {
		return nil, p.errf("invalid number %q", lit)
	}
	return &Value{Kind: Number, Str: lit, Line: line}, nil
}

// str reads a JSON string starting at the opening quote.
func (p *parser) str() (string, error) {
	p.i++ // opening quote
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.errf("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c < 0x20:
			return "", p.errf("control character %q in a string", c)
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.errf("unterminated string")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, err := p.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					if !strings.HasPrefix(p.s[p.i:], `\u`) {
						return "", p.errf("unpaired surrogate in a string")
					}
					p.i += 2
					r2, err := p.hex4()
					if err != nil {
						return "", err
					}
					if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
						return "", p.errf("invalid surrogate pair in a string")
					}
				}
				b.WriteRune(r)
			default:
				return "", p.errf("invalid escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *parser) hex4() (rune, error) {
	if p.i+4 > len(p.s) {
		return 0, p.errf("short \\u escape")
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, p.errf("invalid \\u escape %q", p.s[p.i:p.i+4])
	}
	p.i += 4
	return rune(n), nil
}
