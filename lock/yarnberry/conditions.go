package yarnberry

import (
	"fmt"
	"regexp"
	"strings"
)

// Platform is the machine conditions are evaluated for, in Node's names
// (process.platform, process.arch) and yarn's libc ("glibc", "musl", or
// empty when there is none, as on macOS).
type Platform struct{ OS, CPU, Libc string }

// Condition is a parsed conditions expression: tokens such as "os=linux"
// joined with &, |, ! and parentheses, as yarn's Manifest.getConditions
// writes them ("os=linux & cpu=x64 & libc=glibc", "(os=a | os=b)",
// "!os=win32").
type Condition struct{ root cnode }

type cnode struct {
	op          byte // 't' token, '!', '&', '|'
	field, want string
	kids        []cnode
}

var conditionToken = regexp.MustCompile(`^(os|cpu|libc)=([a-z0-9_-]+)`)

// ParseConditions parses a conditions expression.
func ParseConditions(s string) (Condition, error) {
	p := &cparser{s: s}
	n, err := p.or(0)
	if err != nil {
		return Condition{}, err
	}
	p.space()
	if p.i != len(p.s) {
		return Condition{}, fmt.Errorf("unexpected %q in conditions %q", p.s[p.i:], s)
	}
	return Condition{root: n}, nil
}

// Match says whether a package with this condition is installed on p.
// A token is true when its value is the platform's; so, as in yarn, a libc
// condition never matches a platform without a libc.
func (c Condition) Match(p Platform) bool { return c.root.eval(p) }

func (n cnode) eval(p Platform) bool {
	switch n.op {
	case 't':
		have := map[string]string{"os": p.OS, "cpu": p.CPU, "libc": p.Libc}[n.field]
		return have != "" && have == n.want
	case '!':
		return !n.kids[0].eval(p)
	case '&':
		for _, k := range n.kids {
			if !k.eval(p) {
				return false
			}
		}
		return true
	}
	for _, k := range n.kids {
		if k.eval(p) {
			return true
		}
	}
	return false
}

type cparser struct {
	s string
	i int
}

const maxConditionDepth = 32

func (p *cparser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *cparser) or(depth int) (cnode, error) {
	return p.list(depth, '|', p.and)
}

func (p *cparser) and(depth int) (cnode, error) {
	return p.list(depth, '&', p.unary)
}

func (p *cparser) list(depth int, op byte, next func(int) (cnode, error)) (cnode, error) {
	first, err := next(depth)
	if err != nil {
		return cnode{}, err
	}
	n := cnode{op: op, kids: []cnode{first}}
	for {
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != op {
			break
		}
		p.i++
		k, err := next(depth)
		if err != nil {
			return cnode{}, err
		}
		n.kids = append(n.kids, k)
	}
	if len(n.kids) == 1 {
		return first, nil
	}
	return n, nil
}

func (p *cparser) unary(depth int) (cnode, error) {
	if depth > maxConditionDepth {
		return cnode{}, fmt.Errorf("conditions %q nest too deeply", p.s)
	}
	p.space()
	switch {
	case p.i >= len(p.s):
		return cnode{}, fmt.Errorf("conditions %q end early", p.s)
	case p.s[p.i] == '!':
		p.i++
		k, err := p.unary(depth + 1)
		return cnode{op: '!', kids: []cnode{k}}, err
	case p.s[p.i] == '(':
		p.i++
		k, err := p.or(depth + 1)
		if err != nil {
			return cnode{}, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ')' {
			return cnode{}, fmt.Errorf("conditions %q lack a closing parenthesis", p.s)
		}
		p.i++
		return k, nil
	}
	m := conditionToken.FindStringSubmatch(p.s[p.i:])
	if m == nil {
		return cnode{}, fmt.Errorf("conditions %q: %q is not os=, cpu= or libc= and a value", p.s, strings.SplitN(p.s[p.i:], " ", 2)[0])
	}
	p.i += len(m[0])
	return cnode{op: 't', field: m[1], want: m[2]}, nil
}
