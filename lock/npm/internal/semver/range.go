package semver

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Options are node-semver's range options.
type Options struct {
	// Loose accepts sloppy versions in the range and drops comparators that
	// do not parse instead of failing the whole range (npm uses it when
	// checking dependency specs).
	Loose bool
	// IncludePrerelease lets prerelease versions match ranges that do not
	// name a prerelease of the same major.minor.patch (npm uses it for
	// engines checks).
	IncludePrerelease bool
}

// Range is a parsed range: a version matches when every comparator of at
// least one set accepts it.
type Range struct {
	sets [][]comparator
	opts Options
}

type comparator struct {
	op  string // "", "<", "<=", ">", ">="; "" with any=false means equal
	v   Version
	any bool
}

// value is node-semver's Comparator.value, used to deduplicate a set.
func (c comparator) value() string {
	if c.any {
		return ""
	}
	return c.op + c.v.String()
}

func (c comparator) isNullSet() bool { return c.value() == "<0.0.0-0" }

func (c comparator) test(v Version) bool {
	if c.any {
		return true
	}
	d := v.Compare(c.v)
	switch c.op {
	case "":
		return d == 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	}
	return false
}

// Satisfies reports whether version is in rng. Like node-semver's
// satisfies, an unparsable version or range satisfies nothing.
func Satisfies(version, rng string, o Options) bool {
	r, err := ParseRange(rng, o)
	if err != nil {
		return false
	}
	v, err := Parse(version, o.Loose)
	if err != nil {
		return false
	}
	return r.Contains(v)
}

// Contains reports whether v is in r.
func (r *Range) Contains(v Version) bool {
	for _, set := range r.sets {
		if r.testSet(set, v) {
			return true
		}
	}
	return false
}

func (r *Range) testSet(set []comparator, v Version) bool {
	for _, c := range set {
		if !c.test(v) {
			return false
		}
	}
	if len(v.Pre) == 0 || r.opts.IncludePrerelease {
		return true
	}
	// A prerelease only matches when some comparator names a prerelease of
	// the same major.minor.patch: ^1.2.3-beta.1 admits 1.2.3-beta.2 but not
	// 1.2.4-alpha.
	for _, c := range set {
		if c.any || len(c.v.Pre) == 0 {
			continue
		}
		if c.v.Major == v.Major && c.v.Minor == v.Minor && c.v.Patch == v.Patch {
			return true
		}
	}
	return false
}

var (
	reSpaces      = regexp.MustCompile(`\s+`)
	reBuildAll    = regexp.MustCompile(build)
	reBuild       = regexp.MustCompile(build)
	reHyphen      = regexp.MustCompile(`^\s*(` + xrPlain + `)\s+-\s+(` + xrPlain + `)\s*$`)
	reHyphenLoose = regexp.MustCompile(`^\s*(` + xrPlainLoose + `)\s+-\s+(` + xrPlainLoose + `)\s*$`)
	reCompTrim    = regexp.MustCompile(`(\s*)` + gtlt + `\s*(` + loosePlain + `|` + xrPlain + `)`)
	reTildeTrim   = regexp.MustCompile(`(\s*)` + loneTilde + `\s+`)
	reCaretTrim   = regexp.MustCompile(`(\s*)` + loneCaret + `\s+`)
	reTilde       = regexp.MustCompile(`^` + loneTilde + xrPlain + `$`)
	reTildeLoose  = regexp.MustCompile(`^` + loneTilde + xrPlainLoose + `$`)
	reCaret       = regexp.MustCompile(`^` + loneCaret + xrPlain + `$`)
	reCaretLoose  = regexp.MustCompile(`^` + loneCaret + xrPlainLoose + `$`)
	reXRange      = regexp.MustCompile(`^` + gtlt + `\s*` + xrPlain + `$`)
	reXRangeLoose = regexp.MustCompile(`^` + gtlt + `\s*` + xrPlainLoose + `$`)
	reStar        = regexp.MustCompile(`(<|>)?=?\s*\*`)
	reGTE0        = regexp.MustCompile(`^\s*>=\s*0\.0\.0\s*$`)
	reGTE0Pre     = regexp.MustCompile(`^\s*>=\s*0\.0\.0-0\s*$`)
	reComp        = regexp.MustCompile(`^` + gtlt + `\s*(` + fullPlain + `)$|^$`)
	reCompLoose   = regexp.MustCompile(`^` + gtlt + `\s*(` + loosePlain + `)$|^$`)
)

// rangeCacheSize bounds the memo of parsed ranges. A lockfile repeats the
// same few engines ranges thousands of times (node-semver memoizes too).
const rangeCacheSize = 1000

var rangeCache struct {
	sync.Mutex
	m map[rangeKey]*Range
}

type rangeKey struct {
	s string
	o Options
}

// ParseRange parses an npm semver range ("^1.2.3 || >=2 <3", "1.x",
// "1.2.3 - 2", "*", ""). The result is shared and must not be modified.
func ParseRange(s string, o Options) (*Range, error) {
	k := rangeKey{s, o}
	rangeCache.Lock()
	r, ok := rangeCache.m[k]
	rangeCache.Unlock()
	if ok {
		return r, nil
	}
	r, err := parseRange(s, o)
	if err != nil {
		return nil, err
	}
	rangeCache.Lock()
	if len(rangeCache.m) >= rangeCacheSize || rangeCache.m == nil {
		rangeCache.m = map[rangeKey]*Range{}
	}
	rangeCache.m[k] = r
	rangeCache.Unlock()
	return r, nil
}

func parseRange(s string, o Options) (*Range, error) {
	raw := reSpaces.ReplaceAllString(strings.TrimSpace(s), " ")
	r := &Range{opts: o}
	for _, part := range strings.Split(raw, "||") {
		set, err := parseSet(strings.TrimSpace(part), o)
		if err != nil {
			return nil, fmt.Errorf("%w: range %q: %v", ErrInvalid, s, err)
		}
		if len(set) > 0 {
			r.sets = append(r.sets, set)
		}
	}
	if len(r.sets) == 0 {
		return nil, fmt.Errorf("%w: range %q", ErrInvalid, s)
	}
	if len(r.sets) > 1 {
		// Null sets ("<0.0.0-0") match nothing, so drop them unless nothing
		// else is left; a lone "any" set makes the whole range "any".
		first := r.sets[0]
		var kept [][]comparator
		for _, set := range r.sets {
			if !set[0].isNullSet() {
				kept = append(kept, set)
			}
		}
		switch {
		case len(kept) == 0:
			r.sets = [][]comparator{first}
		case len(kept) > 1:
			r.sets = kept
			for _, set := range kept {
				if len(set) == 1 && set[0].any {
					r.sets = [][]comparator{set}
					break
				}
			}
		default:
			r.sets = kept
		}
	}
	return r, nil
}

// jsSplitSpaces is JavaScript's s.split(/\s+/): empty fields are kept.
func jsSplitSpaces(s string) []string { return reSpaces.Split(s, -1) }

func parseSet(s string, o Options) ([]comparator, error) {
	s = reBuildAll.ReplaceAllString(s, "")
	hy := reHyphen
	if o.Loose {
		hy = reHyphenLoose
	}
	if m := hy.FindStringSubmatch(s); m != nil {
		s = hyphenReplace(m, o.IncludePrerelease)
	}
	s = reCompTrim.ReplaceAllString(s, "${1}${2}${3}")
	s = reTildeTrim.ReplaceAllString(s, "${1}~")
	s = reCaretTrim.ReplaceAllString(s, "${1}^")

	var parsed []string
	for _, c := range strings.Split(s, " ") {
		parsed = append(parsed, desugar(c, o))
	}
	var comps []string
	for _, c := range jsSplitSpaces(strings.Join(parsed, " ")) {
		gte0 := reGTE0
		if o.IncludePrerelease {
			gte0 = reGTE0Pre
		}
		comps = append(comps, gte0.ReplaceAllString(strings.TrimSpace(c), ""))
	}
	if o.Loose {
		kept := comps[:0]
		for _, c := range comps {
			if reCompLoose.MatchString(c) {
				kept = append(kept, c)
			}
		}
		comps = kept
	}

	var set []comparator
	seen := map[string]int{}
	for _, c := range comps {
		cmp, err := parseComparator(c, o.Loose)
		if err != nil {
			return nil, err
		}
		if cmp.isNullSet() {
			return []comparator{cmp}, nil
		}
		if i, ok := seen[cmp.value()]; ok {
			set[i] = cmp
			continue
		}
		seen[cmp.value()] = len(set)
		set = append(set, cmp)
	}
	if len(set) > 1 {
		if i, ok := seen[""]; ok {
			set = append(set[:i:i], set[i+1:]...)
		}
	}
	return set, nil
}

func parseComparator(s string, loose bool) (comparator, error) {
	re := reComp
	if loose {
		re = reCompLoose
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return comparator{}, fmt.Errorf("invalid comparator %q", s)
	}
	c := comparator{op: m[1]}
	if c.op == "=" {
		c.op = ""
	}
	if m[2] == "" {
		c.any = true
		return c, nil
	}
	v, err := Parse(m[2], loose)
	if err != nil {
		return comparator{}, err
	}
	c.v = v
	return c, nil
}

// desugar turns one comparator token into plain comparators: carets, then
// tildes, then x-ranges, then stars, exactly in node-semver's order.
func desugar(c string, o Options) string {
	c = replaceFirst(reBuild, c, "")
	c = mapFields(strings.TrimSpace(c), func(f string) string { return replaceCaret(f, o) })
	c = mapFields(strings.TrimSpace(c), func(f string) string { return replaceTilde(f, o) })
	c = mapFields(c, func(f string) string { return replaceXRange(strings.TrimSpace(f), o) })
	return replaceFirst(reStar, strings.TrimSpace(c), "")
}

func mapFields(s string, f func(string) string) string {
	fields := jsSplitSpaces(s)
	for i := range fields {
		fields[i] = f(fields[i])
	}
	return strings.Join(fields, " ")
}

func replaceFirst(re *regexp.Regexp, s, with string) string {
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + with + s[loc[1]:]
}

func isX(id string) bool { return id == "" || id == "x" || id == "X" || id == "*" }

// inc is JavaScript's `${+n + 1}` for the digit strings the grammar admits.
// Values past MAX_SAFE_INTEGER come out unparsable, as they do in node.
func inc(n string) string {
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil || v >= maxSafeInteger {
		return "9007199254740992"
	}
	return strconv.FormatUint(v+1, 10)
}

func zeroPre(include bool) string {
	if include {
		return "-0"
	}
	return ""
}

func replaceTilde(c string, o Options) string {
	re := reTilde
	if o.Loose {
		re = reTildeLoose
	}
	m := re.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	z := zeroPre(o.IncludePrerelease)
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0" + z + " <" + inc(M) + ".0.0-0"
	case isX(p):
		return ">=" + M + "." + mi + ".0" + z + " <" + M + "." + inc(mi) + ".0-0"
	case pr != "":
		return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + inc(mi) + ".0-0"
	}
	return ">=" + M + "." + mi + "." + p + " <" + M + "." + inc(mi) + ".0-0"
}

func replaceCaret(c string, o Options) string {
	re := reCaret
	if o.Loose {
		re = reCaretLoose
	}
	m := re.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	M, mi, p, pr := m[1], m[2], m[3], m[4]
	z := zeroPre(o.IncludePrerelease)
	if pr != "" {
		pr = "-" + pr
	}
	switch {
	case isX(M):
		return ""
	case isX(mi):
		return ">=" + M + ".0.0" + z + " <" + inc(M) + ".0.0-0"
	case isX(p):
		if M == "0" {
			return ">=" + M + "." + mi + ".0" + z + " <" + M + "." + inc(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + ".0" + z + " <" + inc(M) + ".0.0-0"
	}
	// A prerelease lower bound keeps its prerelease; a plain one gets no
	// "-0" even with IncludePrerelease (node-semver does the same).
	lo := ">=" + M + "." + mi + "." + p + pr
	switch {
	case M == "0" && mi == "0":
		return lo + " <" + M + "." + mi + "." + inc(p) + "-0"
	case M == "0":
		return lo + " <" + M + "." + inc(mi) + ".0-0"
	}
	return lo + " <" + inc(M) + ".0.0-0"
}

func replaceXRange(c string, o Options) string {
	re := reXRange
	if o.Loose {
		re = reXRangeLoose
	}
	m := re.FindStringSubmatch(c)
	if m == nil {
		return c
	}
	op, M, mi, p := m[1], m[2], m[3], m[4]
	if (isX(M) && !isX(mi)) || (isX(mi) && p != "" && !isX(p)) {
		return c
	}
	xM := isX(M)
	xm := xM || isX(mi)
	xp := xm || isX(p)
	if op == "=" && xp {
		op = ""
	}
	pr := zeroPre(o.IncludePrerelease)
	switch {
	case xM:
		if op == ">" || op == "<" {
			return "<0.0.0-0"
		}
		return "*"
	case op != "" && xp:
		if xm {
			mi = "0"
		}
		p = "0"
		switch op {
		case ">":
			op = ">="
			if xm {
				M, mi = inc(M), "0"
			} else {
				mi = inc(mi)
			}
		case "<=":
			op = "<"
			if xm {
				M = inc(M)
			} else {
				mi = inc(mi)
			}
		}
		if op == "<" {
			pr = "-0"
		}
		return op + M + "." + mi + "." + p + pr
	case xm:
		return ">=" + M + ".0.0" + pr + " <" + inc(M) + ".0.0-0"
	case xp:
		return ">=" + M + "." + mi + ".0" + pr + " <" + M + "." + inc(mi) + ".0-0"
	}
	return c
}

// hyphenReplace turns "A - B" into ">=A <=B" with node-semver's handling of
// partial versions on either side.
func hyphenReplace(m []string, incPr bool) string {
	from, fM, fm, fp, fpr := m[1], m[2], m[3], m[4], m[5]
	to, tM, tm, tp, tpr := m[7], m[8], m[9], m[10], m[11]
	z := zeroPre(incPr)
	switch {
	case isX(fM):
		from = ""
	case isX(fm):
		from = ">=" + fM + ".0.0" + z
	case isX(fp):
		from = ">=" + fM + "." + fm + ".0" + z
	case fpr != "":
		from = ">=" + from
	default:
		from = ">=" + from + z
	}
	switch {
	case isX(tM):
		to = ""
	case isX(tm):
		to = "<" + inc(tM) + ".0.0-0"
	case isX(tp):
		to = "<" + tM + "." + inc(tm) + ".0-0"
	case tpr != "":
		to = "<=" + tM + "." + tm + "." + tp + "-" + tpr
	case incPr:
		to = "<" + tM + "." + tm + "." + inc(tp) + "-0"
	default:
		to = "<=" + to
	}
	return strings.TrimSpace(from + " " + to)
}
