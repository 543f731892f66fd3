package pypi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// MaxMarkerLength bounds a marker's length; markers in real metadata are a
// few hundred bytes, and the bound keeps the recursive parser's depth small.
const MaxMarkerLength = 16 << 10

// maxMarkerDepth bounds parenthesis nesting.
const maxMarkerDepth = 64

// Marker is a parsed PEP 508 environment marker.
type Marker struct {
	src  string
	root markerExpr
}

// markerExpr is a disjunction of conjunctions, the shape packaging's
// evaluator gives a flat "a and b or c" list: "and" binds tighter.
type markerExpr struct {
	or [][]markerTerm
}

// markerTerm is either a comparison or a parenthesised expression.
type markerTerm struct {
	sub *markerExpr
	cmp *markerCmp
}

type markerCmp struct {
	lhs, rhs markerValue
	op       string // ===, ==, ~=, !=, <=, >=, <, >, in, "not in"
}

// markerValue is a variable (isVar, name normalised) or a string literal.
type markerValue struct {
	isVar bool
	s     string
}

// markerVariables are PEP 508's variables, plus PEP 751's "extras" and
// "dependency_groups" (sets, used by pylock.toml), plus the legacy dotted
// spellings packaging still accepts.
var markerVariables = map[string]string{
	"python_version":                 "python_version",
	"python_full_version":            "python_full_version",
	"os_name":                        "os_name",
	"os.name":                        "os_name",
	"sys_platform":                   "sys_platform",
	"sys.platform":                   "sys_platform",
	"platform_release":               "platform_release",
	"platform_system":                "platform_system",
	"platform_version":               "platform_version",
	"platform.version":               "platform_version",
	"platform_machine":               "platform_machine",
	"platform.machine":               "platform_machine",
	"platform_python_implementation": "platform_python_implementation",
	"platform.python_implementation": "platform_python_implementation",
	"python_implementation":          "platform_python_implementation",
	"implementation_name":            "implementation_name",
	"implementation_version":         "implementation_version",
	"extra":                          "extra",
	"extras":                         "extras",
	"dependency_groups":              "dependency_groups",
}

// MarkerVariables lists the variable names Environment.Markers must hold.
var MarkerVariables = []string{
	"implementation_name", "implementation_version", "os_name", "platform_machine",
	"platform_python_implementation", "platform_release", "platform_system",
	"platform_version", "python_full_version", "python_version", "sys_platform",
}

var markerToken = regexp.MustCompile(`^(?:` +
	`(?P<ws>[ \t]+)|` +
	`(?P<lp>\()|(?P<rp>\))|` +
	`(?P<str>'[^']*'|"[^"]*")|` +
	`(?P<op>===|==|~=|!=|<=|>=|<|>)|` +
	`(?P<word>[A-Za-z_][A-Za-z0-9_.]*))`)

type mtok struct {
	kind string // ws lp rp str op word
	text string
	pos  int
}

func tokenizeMarker(s string) ([]mtok, error) {
	var toks []mtok
	names := markerToken.SubexpNames()
	for pos := 0; pos < len(s); {
		m := markerToken.FindStringSubmatchIndex(s[pos:])
		if m == nil {
			return nil, markerErr(s, pos, "unexpected character %q", s[pos:pos+1])
		}
		for i := 1; i < len(names); i++ {
			if m[2*i] >= 0 {
				if names[i] != "ws" {
					toks = append(toks, mtok{kind: names[i], text: s[pos+m[2*i] : pos+m[2*i+1]], pos: pos})
				}
				break
			}
		}
		pos += m[1]
	}
	return toks, nil
}

func markerErr(s string, pos int, format string, args ...any) error {
	return fmt.Errorf("%w: %q at offset %d: %s", ErrBadMarker, s, pos, fmt.Sprintf(format, args...))
}

// ParseMarker parses a PEP 508 marker expression ("python_version < '3.12'
// and sys_platform == 'linux'"), with the grammar packaging 24 accepts.
// Errors match ErrBadMarker.
func ParseMarker(s string) (*Marker, error) {
	if len(s) > MaxMarkerLength {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadMarker, MaxMarkerLength)
	}
	toks, err := tokenizeMarker(s)
	if err != nil {
		return nil, err
	}
	p := &markerParser{src: s, toks: toks}
	expr, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, markerErr(s, p.toks[p.i].pos, "expected 'and', 'or' or the end, got %q", p.toks[p.i].text)
	}
	return &Marker{src: s, root: *expr}, nil
}

type markerParser struct {
	src  string
	toks []mtok
	i    int
}

func (p *markerParser) peek() (mtok, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return mtok{pos: len(p.src)}, false
}

func (p *markerParser) expr(depth int) (*markerExpr, error) {
	if depth > maxMarkerDepth {
		return nil, markerErr(p.src, 0, "parentheses nested deeper than %d", maxMarkerDepth)
	}
	e := &markerExpr{or: [][]markerTerm{nil}}
	for {
		t, err := p.atom(depth)
		if err != nil {
			return nil, err
		}
		last := len(e.or) - 1
		e.or[last] = append(e.or[last], t)
		tok, ok := p.peek()
		if !ok || tok.kind != "word" || (tok.text != "and" && tok.text != "or") {
			return e, nil
		}
		p.i++
		if tok.text == "or" {
			e.or = append(e.or, nil)
		}
	}
}

func (p *markerParser) atom(depth int) (markerTerm, error) {
	tok, ok := p.peek()
	if ok && tok.kind == "lp" {
		p.i++
		sub, err := p.expr(depth + 1)
		if err != nil {
			return markerTerm{}, err
		}
		tok, ok := p.peek()
		if !ok || tok.kind != "rp" {
			return markerTerm{}, markerErr(p.src, tok.pos, "expected ')'")
		}
		p.i++
		return markerTerm{sub: sub}, nil
	}
	lhs, err := p.value()
	if err != nil {
		return markerTerm{}, err
	}
	op, err := p.op()
	if err != nil {
		return markerTerm{}, err
	}
	rhs, err := p.value()
	if err != nil {
		return markerTerm{}, err
	}
	return markerTerm{cmp: &markerCmp{lhs: lhs, op: op, rhs: rhs}}, nil
}

func (p *markerParser) value() (markerValue, error) {
	tok, ok := p.peek()
	if !ok {
		return markerValue{}, markerErr(p.src, tok.pos, "expected a marker variable or a quoted string, got the end")
	}
	switch tok.kind {
	case "str":
		p.i++
		inner := tok.text[1 : len(tok.text)-1]
		// packaging reads the literal with ast.literal_eval; rather than
		// guess what an escape means, refuse it (no real marker has one).
		if strings.Contains(inner, `\`) {
			return markerValue{}, markerErr(p.src, tok.pos, "backslash in a quoted string")
		}
		return markerValue{s: inner}, nil
	case "word":
		if name, known := markerVariables[tok.text]; known {
			p.i++
			return markerValue{isVar: true, s: name}, nil
		}
		return markerValue{}, markerErr(p.src, tok.pos, "unknown marker variable %q", tok.text)
	}
	return markerValue{}, markerErr(p.src, tok.pos, "expected a marker variable or a quoted string, got %q", tok.text)
}

func (p *markerParser) op() (string, error) {
	tok, ok := p.peek()
	switch {
	case ok && tok.kind == "op":
		p.i++
		return tok.text, nil
	case ok && tok.kind == "word" && tok.text == "in":
		p.i++
		return "in", nil
	case ok && tok.kind == "word" && tok.text == "not":
		p.i++
		if next, ok := p.peek(); ok && next.kind == "word" && next.text == "in" {
			p.i++
			return "not in", nil
		}
		return "", markerErr(p.src, tok.pos, "expected 'in' after 'not'")
	}
	return "", markerErr(p.src, tok.pos, "expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in), got %q", tok.text)
}

// String returns the marker as it was written.
func (m *Marker) String() string { return m.src }

// Evaluate evaluates m in env with the given value of the "extra" variable
// ("" when no extra is being installed), as packaging 24's Marker.evaluate
// does, except that a version operator whose left side is not a PEP 440
// version falls back to string comparison as PEP 508 specifies (packaging
// 24 raises InvalidVersion there). Errors match ErrBadMarker: a variable
// env does not define, a comparison of two literals, an operator with no
// meaning for its operands.
func (m *Marker) Evaluate(env Environment, extra string) (bool, error) {
	return m.root.eval(&evalCtx{env: env, extra: extra, src: m.src})
}

// evaluateExtraSet evaluates m with "extra" standing for a set of active
// names, the way uv reads the conflict markers it writes into uv.lock
// ("extra == 'extra-7-project-cpu'" holds when that item is active): ==
// tests membership and != its absence.
func (m *Marker) evaluateExtraSet(env Environment, active map[string]bool) (bool, error) {
	return m.root.eval(&evalCtx{env: env, src: m.src, extraSet: active})
}

type evalCtx struct {
	env      Environment
	extra    string
	extraSet map[string]bool // non-nil: set semantics for "extra"
	src      string
}

func (e *markerExpr) eval(ctx *evalCtx) (bool, error) {
	// Every term is evaluated, as packaging does, so that an error anywhere
	// in the marker is reported instead of hidden by short-circuiting.
	result := false
	for _, and := range e.or {
		all := true
		for _, t := range and {
			var v bool
			var err error
			if t.sub != nil {
				v, err = t.sub.eval(ctx)
			} else {
				v, err = t.cmp.eval(ctx)
			}
			if err != nil {
				return false, err
			}
			all = all && v
		}
		result = result || all
	}
	return result, nil
}

func (c *markerCmp) eval(ctx *evalCtx) (bool, error) {
	env, extra, src := ctx.env, ctx.extra, ctx.src
	// As in packaging, the variable is the left side if it is one,
	// otherwise the right side is looked up.
	key := c.lhs.s
	if !c.lhs.isVar {
		key = c.rhs.s
		if !c.rhs.isVar {
			return false, fmt.Errorf("%w: %q: comparison of two strings (%q %s %q) has no variable", ErrBadMarker, src, c.lhs.s, c.op, c.rhs.s)
		}
	}
	if key == "extras" || key == "dependency_groups" {
		return c.evalSet(env, key, src)
	}
	if key == "extra" && ctx.extraSet != nil {
		lit := c.rhs.s
		if !c.lhs.isVar {
			lit = c.lhs.s
		}
		if c.lhs.isVar == c.rhs.isVar || (c.op != "==" && c.op != "!=") {
			return false, fmt.Errorf("%w: %q: only extra == 'name' and extra != 'name' are defined here", ErrBadMarker, src)
		}
		return ctx.extraSet[NormalizeName(lit)] == (c.op == "=="), nil
	}
	lookup := func(name string) (string, error) {
		if name == "extra" {
			return extra, nil
		}
		v, ok := env.Markers[name]
		if !ok {
			return "", fmt.Errorf("%w: %q: the environment has no value for %s", ErrBadMarker, src, name)
		}
		return v, nil
	}
	lhs, rhs := c.lhs.s, c.rhs.s
	var err error
	if c.lhs.isVar {
		lhs, err = lookup(c.lhs.s)
	} else {
		rhs, err = lookup(c.rhs.s)
	}
	if err != nil {
		return false, err
	}
	if key == "extra" { // PEP 685: extra names compare normalised
		lhs, rhs = NormalizeName(lhs), NormalizeName(rhs)
	}
	return evalOp(lhs, c.op, rhs, src)
}

// evalSet handles PEP 751's set-valued "extras" and "dependency_groups":
// only "'name' in extras" and "not in" have a meaning.
func (c *markerCmp) evalSet(env Environment, key, src string) (bool, error) {
	if c.lhs.isVar || !c.rhs.isVar || (c.op != "in" && c.op != "not in") {
		return false, fmt.Errorf("%w: %q: %s is a set: only \"'name' in %s\" and \"not in\" are defined", ErrBadMarker, src, key, key)
	}
	set := env.Extras
	if key == "dependency_groups" {
		set = env.DependencyGroups
	}
	want := NormalizeName(c.lhs.s)
	found := slices.ContainsFunc(set, func(s string) bool { return NormalizeName(s) == want })
	return found == (c.op == "in"), nil
}

// evalOp is packaging's _eval_op with PEP 508's string fallback.
func evalOp(lhs, op, rhs, src string) (bool, error) {
	if op != "in" && op != "not in" {
		if spec, err := ParseSpecifier(op + rhs); err == nil {
			if v, err := ParseVersion(lhs); err == nil {
				return spec.Contains(v), nil
			}
		}
	}
	switch op {
	case "in":
		return strings.Contains(rhs, lhs), nil
	case "not in":
		return !strings.Contains(rhs, lhs), nil
	case "==":
		return lhs == rhs, nil
	case "!=":
		return lhs != rhs, nil
	case "<":
		return lhs < rhs, nil
	case "<=":
		return lhs <= rhs, nil
	case ">":
		return lhs > rhs, nil
	case ">=":
		return lhs >= rhs, nil
	case "===":
		return strings.EqualFold(lhs, rhs), nil
	}
	return false, fmt.Errorf("%w: %q: %s is undefined between %q and %q (not both versions)", ErrBadMarker, src, op, lhs, rhs)
}
