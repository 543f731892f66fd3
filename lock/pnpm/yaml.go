package pnpm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrYAML is the error every YAML refusal wraps: the bytes are outside the
// subset of YAML that pnpm writes (see ParseYAML).
var ErrYAML = errors.New("not pnpm's YAML")

// maxFlowDepth bounds the nesting of flow collections ({...} and [...]) on
// one line; pnpm's deepest is two.
const maxFlowDepth = 32

// maxBlockDepth bounds the nesting of block mappings; pnpm's deepest is five.
const maxBlockDepth = 64

// Kind is the kind of a YAML node.
type Kind int

const (
	// YAMLNull is a key with no value ("key:" with nothing nested under it).
	YAMLNull Kind = iota
	YAMLScalar
	YAMLMap
	YAMLSeq
)

// YAMLNode is one parsed YAML value. Every scalar is kept as the string it
// spells: pnpm's readers decide what "true" or "9.0" mean where they
// expect them.
type YAMLNode struct {
	Kind Kind
	// Value is a scalar's text after unquoting.
	Value string
	// Quoted says the scalar was written in quotes.
	Quoted bool
	// Keys are a mapping's keys in document order; Fields holds their values.
	Keys   []string
	Fields map[string]*YAMLNode
	// Items are a sequence's elements.
	Items []*YAMLNode
	// Line is where the node starts (1-based), for error messages.
	Line int
}

// Get returns the value of key in a mapping, or nil.
func (n *YAMLNode) Get(key string) *YAMLNode {
	if n == nil || n.Kind != YAMLMap {
		return nil
	}
	return n.Fields[key]
}

// ParseYAML reads the subset of YAML 1.2 that pnpm writes in pnpm-lock.yaml
// (and pnpm-workspace.yaml): one document of block mappings and block
// sequences, plain, single- and double-quoted scalars, and flow mappings
// and sequences written on one line. Anything else is refused with ErrYAML
// and the line it is on, never guessed at:
//
//   - anchors (&a), aliases (*a), tags (!t, !!str), directives (%YAML) and
//     document markers (---, ...): an alias can make two entries one
//     object, and no pnpm writes any of them;
//   - complex keys ("? "), block scalars (| and >), multi-line plain or
//     quoted scalars and flow collections spread over several lines;
//   - tabs in indentation, inconsistent indentation, and a key repeated
//     in one mapping (YAML forbids it; readers differ on which copy wins);
//   - nesting deeper than maxBlockDepth (block) or maxFlowDepth (flow),
//     and bytes that are not UTF-8 or hold control characters.
func ParseYAML(data []byte) (*YAMLNode, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrYAML)
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	p := &yparser{}
	for i, raw := range strings.Split(text, "\n") {
		raw = strings.TrimSuffix(raw, "\r")
		ln := i + 1
		if err := checkChars(raw); err != nil {
			return nil, yerr(ln, err.Error())
		}
		indent := 0
		for indent < len(raw) && raw[indent] == ' ' {
			indent++
		}
		rest := raw[indent:]
		if strings.HasPrefix(rest, "\t") {
			return nil, yerr(ln, "tab in indentation")
		}
		content := strings.TrimRight(rest, " \t")
		if content == "" || content[0] == '#' {
			continue
		}
		if indent == 0 && (content == "---" || strings.HasPrefix(content, "--- ")) {
			return nil, yerr(ln, "a document marker (---): pnpm 9 and 10 write one document; a lockfile of several (pnpm 11's, with its env document first) is not supported")
		}
		if indent == 0 && (content == "..." || content[0] == '%') {
			return nil, yerr(ln, "document end markers and directives are not used by pnpm")
		}
		p.lines = append(p.lines, yline{num: ln, indent: indent, text: content})
	}
	if len(p.lines) == 0 {
		return &YAMLNode{Kind: YAMLNull, Line: 1}, nil
	}
	if p.lines[0].indent != 0 {
		return nil, yerr(p.lines[0].num, "the document must start at column 1")
	}
	n, err := p.block(0, 0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.lines) {
		return nil, yerr(p.lines[p.pos].num, "unexpected indentation")
	}
	return n, nil
}

func checkChars(s string) error {
	for _, r := range s {
		if r == '\t' {
			continue
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0xfeff {
			return fmt.Errorf("control character %U", r)
		}
	}
	return nil
}

func yerr(line int, msg string) error {
	return fmt.Errorf("%w: line %d: %s", ErrYAML, line, msg)
}

type yline struct {
	num, indent int
	text        string
}

type yparser struct {
	lines []yline
	pos   int
}

// block parses the block node starting at the current line, whose
// indentation is indent.
func (p *yparser) block(indent, depth int) (*YAMLNode, error) {
	l := p.lines[p.pos]
	if depth > maxBlockDepth {
		return nil, yerr(l.num, "nesting too deep")
	}
	if l.text == "-" || strings.HasPrefix(l.text, "- ") {
		return p.seq(indent, depth)
	}
	return p.mapping(indent, depth)
}

func (p *yparser) seq(indent, depth int) (*YAMLNode, error) {
	n := &YAMLNode{Kind: YAMLSeq, Line: p.lines[p.pos].num}
	for p.pos < len(p.lines) {
		l := p.lines[p.pos]
		if l.indent != indent {
			if l.indent > indent {
				return nil, yerr(l.num, "unexpected indentation")
			}
			break
		}
		if l.text != "-" && !strings.HasPrefix(l.text, "- ") {
			break
		}
		item := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		if item == "" || item[0] == '#' {
			return nil, yerr(l.num, "a sequence item must be on its line (nested blocks in sequences are not used by pnpm)")
		}
		if item == "-" || strings.HasPrefix(item, "- ") || isBlockKey(item) {
			return nil, yerr(l.num, "nested blocks in sequence items are not used by pnpm")
		}
		v, err := inlineValue(item, l.num)
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, v)
		p.pos++
	}
	return n, nil
}

// isBlockKey reports whether s starts with a mapping key ("key: ..." or
// "key:").
func isBlockKey(s string) bool {
	_, _, ok, err := splitKey(s, 0)
	return ok && err == nil
}

func (p *yparser) mapping(indent, depth int) (*YAMLNode, error) {
	n := &YAMLNode{Kind: YAMLMap, Line: p.lines[p.pos].num, Fields: map[string]*YAMLNode{}}
	for p.pos < len(p.lines) {
		l := p.lines[p.pos]
		if l.indent < indent {
			break
		}
		if l.indent > indent {
			return nil, yerr(l.num, "unexpected indentation")
		}
		if l.text == "-" || strings.HasPrefix(l.text, "- ") {
			return nil, yerr(l.num, "a sequence item where a mapping key was expected")
		}
		key, rest, ok, err := splitKey(l.text, l.num)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, yerr(l.num, "expected \"key: value\" (multi-line scalars are not used by pnpm)")
		}
		if _, dup := n.Fields[key]; dup {
			return nil, yerr(l.num, fmt.Sprintf("key %q appears twice in one mapping", key))
		}
		p.pos++
		var v *YAMLNode
		if rest == "" {
			v = &YAMLNode{Kind: YAMLNull, Line: l.num}
			if p.pos < len(p.lines) {
				next := p.lines[p.pos]
				isSeq := next.text == "-" || strings.HasPrefix(next.text, "- ")
				switch {
				case next.indent > indent:
					if v, err = p.block(next.indent, depth+1); err != nil {
						return nil, err
					}
				case next.indent == indent && isSeq:
					// YAML lets a mapping's sequence value sit at the
					// key's own indentation.
					if v, err = p.seq(indent, depth+1); err != nil {
						return nil, err
					}
				}
			}
		} else {
			if v, err = inlineValue(rest, l.num); err != nil {
				return nil, err
			}
		}
		n.Keys = append(n.Keys, key)
		n.Fields[key] = v
	}
	return n, nil
}

// splitKey splits "key: rest" (or "key:") into the key and the trimmed
// rest. ok is false when s is not a mapping entry.
func splitKey(s string, ln int) (key, rest string, ok bool, err error) {
	if s == "" {
		return "", "", false, nil
	}
	switch s[0] {
	case '?':
		if len(s) == 1 || s[1] == ' ' {
			return "", "", false, yerr(ln, "complex mapping keys (\"? \") are not used by pnpm")
		}
	case '\'', '"':
		k, n, err := quoted(s, ln)
		if err != nil {
			return "", "", false, err
		}
		after := s[n:]
		if after != ":" && !strings.HasPrefix(after, ": ") {
			return "", "", false, nil
		}
		return k, trimComment(strings.TrimPrefix(after, ":")), true, nil
	case '[', '{':
		return "", "", false, nil
	}
	i := strings.Index(s, ": ")
	if i < 0 {
		if !strings.HasSuffix(s, ":") {
			return "", "", false, nil
		}
		i = len(s) - 1
	}
	// A " #" before the colon makes the colon part of a comment.
	if c := strings.Index(s, " #"); c >= 0 && c < i {
		return "", "", false, nil
	}
	k := s[:i]
	if err := checkPlain(k, ln, false); err != nil {
		return "", "", false, err
	}
	return k, trimComment(s[i+1:]), true, nil
}

// trimComment trims spaces and a trailing " # comment" from the text after
// a key's colon (quoted text is left whole: inlineValue finds its end).
func trimComment(s string) string {
	s = strings.TrimLeft(s, " ")
	if s == "" || s[0] == '#' {
		return ""
	}
	if s[0] == '\'' || s[0] == '"' || s[0] == '{' || s[0] == '[' {
		return s
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimRight(s, " ")
}

// inlineValue parses a value written on one line: a scalar or a flow
// collection, with nothing but a comment after it.
func inlineValue(s string, ln int) (*YAMLNode, error) {
	switch s[0] {
	case '|', '>':
		return nil, yerr(ln, "block scalars (| and >) are not used by pnpm")
	case '{', '[':
		f := &flow{s: s, ln: ln}
		n, err := f.value(0)
		if err != nil {
			return nil, err
		}
		if err := f.end(); err != nil {
			return nil, err
		}
		return n, nil
	case '\'', '"':
		v, n, err := quoted(s, ln)
		if err != nil {
			return nil, err
		}
		if rest := strings.TrimLeft(s[n:], " "); rest != "" && rest[0] != '#' {
			return nil, yerr(ln, fmt.Sprintf("unexpected %q after a quoted scalar", rest))
		}
		return &YAMLNode{Kind: YAMLScalar, Value: v, Quoted: true, Line: ln}, nil
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimRight(s[:i], " ")
	}
	if err := checkPlain(s, ln, false); err != nil {
		return nil, err
	}
	if strings.Contains(s, ": ") || strings.HasSuffix(s, ":") {
		return nil, yerr(ln, "a mapping cannot start on the line of its key (compact mappings are not used by pnpm)")
	}
	return &YAMLNode{Kind: YAMLScalar, Value: s, Line: ln}, nil
}

// checkPlain refuses plain scalars that start with a YAML indicator this
// reader does not implement.
func checkPlain(s string, ln int, inFlow bool) error {
	if s == "" {
		return yerr(ln, "empty key or value")
	}
	switch s[0] {
	case '&':
		return yerr(ln, "anchors (&) are not used by pnpm")
	case '*':
		return yerr(ln, "aliases (*) are not used by pnpm")
	case '!':
		return yerr(ln, "tags (!) are not used by pnpm")
	case '@', '`':
		return yerr(ln, fmt.Sprintf("a plain scalar cannot start with %q (YAML reserves it; pnpm quotes such values)", s[0]))
	case '%', '|', '>', '#', ',', ']', '}', '[', '{', '\'', '"':
		return yerr(ln, fmt.Sprintf("a plain scalar cannot start with %q", s[0]))
	case '-', '?', ':':
		if len(s) == 1 || s[1] == ' ' {
			return yerr(ln, fmt.Sprintf("a plain scalar cannot start with %q followed by a space", s[0]))
		}
	}
	if inFlow && strings.ContainsAny(s, ",[]{}") {
		return yerr(ln, "flow indicator in a plain scalar")
	}
	return nil
}

// quoted reads the quoted scalar at the start of s and returns its value
// and the number of bytes it took.
func quoted(s string, ln int) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case q == '\'' && c == '\'':
			if i+1 < len(s) && s[i+1] == '\'' {
				b.WriteByte('\'')
				i++
				continue
			}
			return b.String(), i + 1, nil
		case q == '"' && c == '"':
			return b.String(), i + 1, nil
		case q == '"' && c == '\\':
			if i+1 >= len(s) {
				return "", 0, yerr(ln, "a quoted scalar must end on its line")
			}
			i++
			switch e := s[i]; e {
			case '\\', '"', '/':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case ' ':
				b.WriteByte(' ')
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n >= len(s) {
					return "", 0, yerr(ln, "short escape in a double-quoted scalar")
				}
				v, err := strconv.ParseUint(s[i+1:i+1+n], 16, 32)
				if err != nil || !utf8.ValidRune(rune(v)) {
					return "", 0, yerr(ln, "bad escape in a double-quoted scalar")
				}
				b.WriteRune(rune(v))
				i += n
			default:
				return "", 0, yerr(ln, fmt.Sprintf("unsupported escape \\%c in a double-quoted scalar", e))
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, yerr(ln, "a quoted scalar must end on its line")
}

// flow reads one flow collection on one line.
type flow struct {
	s  string
	i  int
	ln int
}

func (f *flow) skipSpace() {
	for f.i < len(f.s) && f.s[f.i] == ' ' {
		f.i++
	}
}

func (f *flow) end() error {
	f.skipSpace()
	if f.i < len(f.s) && f.s[f.i] != '#' {
		return yerr(f.ln, fmt.Sprintf("unexpected %q after a flow collection", f.s[f.i:]))
	}
	if f.i < len(f.s) && f.s[f.i-1] != ' ' {
		return yerr(f.ln, "a comment must follow a space")
	}
	return nil
}

func (f *flow) value(depth int) (*YAMLNode, error) {
	f.skipSpace()
	if f.i >= len(f.s) {
		return nil, yerr(f.ln, "flow collections must be closed on their line")
	}
	switch f.s[f.i] {
	case '{':
		return f.collection(depth, '}')
	case '[':
		return f.collection(depth, ']')
	case '\'', '"':
		v, n, err := quoted(f.s[f.i:], f.ln)
		if err != nil {
			return nil, err
		}
		f.i += n
		return &YAMLNode{Kind: YAMLScalar, Value: v, Quoted: true, Line: f.ln}, nil
	}
	start := f.i
	for f.i < len(f.s) {
		c := f.s[f.i]
		if c == ',' || c == ']' || c == '}' {
			break
		}
		if c == ':' && (f.i+1 == len(f.s) || f.s[f.i+1] == ' ' || f.s[f.i+1] == ',' || f.s[f.i+1] == '}') {
			break
		}
		if c == '#' && f.s[f.i-1] == ' ' {
			return nil, yerr(f.ln, "flow collections must be closed on their line")
		}
		f.i++
	}
	v := strings.TrimRight(f.s[start:f.i], " ")
	if err := checkPlain(v, f.ln, true); err != nil {
		return nil, err
	}
	return &YAMLNode{Kind: YAMLScalar, Value: v, Line: f.ln}, nil
}

func (f *flow) collection(depth int, close byte) (*YAMLNode, error) {
	if depth >= maxFlowDepth {
		return nil, yerr(f.ln, "flow collections nested too deep")
	}
	f.i++ // the opening bracket
	var n *YAMLNode
	if close == '}' {
		n = &YAMLNode{Kind: YAMLMap, Fields: map[string]*YAMLNode{}, Line: f.ln}
	} else {
		n = &YAMLNode{Kind: YAMLSeq, Line: f.ln}
	}
	f.skipSpace()
	if f.i < len(f.s) && f.s[f.i] == close {
		f.i++
		return n, nil
	}
	for {
		if close == '}' {
			k, err := f.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if k.Kind != YAMLScalar {
				return nil, yerr(f.ln, "complex mapping keys are not used by pnpm")
			}
			f.skipSpace()
			if f.i >= len(f.s) || f.s[f.i] != ':' {
				return nil, yerr(f.ln, "expected ':' after a key in a flow mapping")
			}
			f.i++
			if _, dup := n.Fields[k.Value]; dup {
				return nil, yerr(f.ln, fmt.Sprintf("key %q appears twice in one mapping", k.Value))
			}
			v, err := f.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.Keys = append(n.Keys, k.Value)
			n.Fields[k.Value] = v
		} else {
			v, err := f.value(depth + 1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, v)
		}
		f.skipSpace()
		if f.i >= len(f.s) {
			return nil, yerr(f.ln, "flow collections must be closed on their line")
		}
		switch f.s[f.i] {
		case ',':
			f.i++
			f.skipSpace()
			if f.i < len(f.s) && f.s[f.i] == close {
				return nil, yerr(f.ln, "trailing comma in a flow collection")
			}
		case close:
			f.i++
			return n, nil
		default:
			return nil, yerr(f.ln, fmt.Sprintf("expected ',' or %q in a flow collection", close))
		}
	}
}
