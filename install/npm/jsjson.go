package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reproduces, byte for byte, how npm writes a lockfile: JSON.parse
// into JavaScript values, then json-stringify-nice (the module arborist's
// Shrinkwrap.toString uses) with arborist's preferred key order, then
// JSON.stringify's formatting. Go's encoding/json differs in key order,
// HTML escaping and number formatting, so it cannot be used directly.

// jsKind is the type of a jsValue.
type jsKind byte

const (
	jsNull jsKind = iota
	jsBool
	jsNumber
	jsString
	jsArray
	jsObject
)

// jsValue is a parsed JSON value that keeps object member order, as
// JavaScript objects do.
type jsValue struct {
	kind jsKind
	b    bool
	s    string // string value, or number text as written
	arr  []*jsValue
	obj  []jsMember
	// idx maps each key to its position in obj once obj has
	// jsIndexMin members, so that set and get stay constant-time on the
	// huge objects a hostile lockfile may hold. Only set and push change
	// obj (and idx), so a value is never written by a read.
	idx map[string]int
}

// jsIndexMin is the size from which an object keeps idx: below it a scan
// is faster than hashing.
const jsIndexMin = 16

type jsMember struct {
	key string
	val *jsValue
}

func jsStr(s string) *jsValue { return &jsValue{kind: jsString, s: s} }
func jsTrue() *jsValue        { return &jsValue{kind: jsBool, b: true} }
func jsInt(n int) *jsValue    { return &jsValue{kind: jsNumber, s: strconv.Itoa(n)} }

// get returns the member named key, or nil.
func (v *jsValue) get(key string) *jsValue {
	if v == nil || v.kind != jsObject {
		return nil
	}
	if i := v.find(key); i >= 0 {
		return v.obj[i].val
	}
	return nil
}

// find returns the position of key in obj, or -1.
func (v *jsValue) find(key string) int {
	if v.idx != nil {
		if i, ok := v.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, m := range v.obj {
		if m.key == key {
			return i
		}
	}
	return -1
}

// set replaces or appends the member key, like a JavaScript assignment: a
// key already present keeps its position and takes the new value.
func (v *jsValue) set(key string, val *jsValue) {
	if i := v.find(key); i >= 0 {
		v.obj[i].val = val
		return
	}
	v.push(key, val)
}

// push appends the member key, which the caller knows is not in v yet.
func (v *jsValue) push(key string, val *jsValue) {
	v.obj = append(v.obj, jsMember{key, val})
	switch {
	case v.idx != nil:
		v.idx[key] = len(v.obj) - 1
	case len(v.obj) >= jsIndexMin:
		v.idx = make(map[string]int, 2*len(v.obj))
		for i, m := range v.obj {
			v.idx[m.key] = i
		}
	}
}

// str returns the string value, or "" for non-strings.
func (v *jsValue) str() string {
	if v == nil || v.kind != jsString {
		return ""
	}
	return v.s
}

// truthy is JavaScript's truthiness.
func (v *jsValue) truthy() bool {
	if v == nil {
		return false
	}
	switch v.kind {
	case jsNull:
		return false
	case jsBool:
		return v.b
	case jsString:
		return v.s != ""
	case jsNumber:
		f, err := strconv.ParseFloat(v.s, 64)
		return err == nil && f != 0 && !math.IsNaN(f)
	}
	return true
}

// isObj is json-stringify-nice's isObj: a non-null, non-array object.
func (v *jsValue) isObj() bool { return v != nil && v.kind == jsObject }

// parseJS parses JSON like JSON.parse: duplicate keys keep their first
// position and their last value.
func parseJS(data []byte) (*jsValue, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseJSValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func parseJSValue(dec *json.Decoder) (*jsValue, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &jsValue{kind: jsNull}, nil
	case bool:
		return &jsValue{kind: jsBool, b: t}, nil
	case json.Number:
		return &jsValue{kind: jsNumber, s: t.String()}, nil
	case string:
		return jsStr(t), nil
	case json.Delim:
		switch t {
		case '[':
			v := &jsValue{kind: jsArray}
			for dec.More() {
				e, err := parseJSValue(dec)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			_, err := dec.Token()
			return v, err
		case '{':
			v := &jsValue{kind: jsObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %v, not a string", kt)
				}
				e, err := parseJSValue(dec)
				if err != nil {
					return nil, err
				}
				v.set(key, e)
			}
			_, err := dec.Token()
			return v, err
		}
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// lockKeyOrder is arborist's swKeyOrder: json-stringify-nice puts these
// keys first, in this order, at every level of the document.
var lockKeyOrder = []string{
	"name", "version", "lockfileVersion", "resolved", "integrity",
	"requires", "packages", "dependencies",
}

// maxIndent is JSON.stringify's cap on the indent string.
const maxIndent = 10

// stringifyLock renders v as npm writes lockfiles:
// json-stringify-nice(v, swKeyOrder, indent) + "\n", then every "\n"
// replaced by newline. An empty indent means npm's default of two spaces,
// an empty newline "\n", as in arborist's Shrinkwrap.toString.
func stringifyLock(v *jsValue, indent, newline string) []byte {
	if indent == "" {
		indent = "  "
	}
	if len(indent) > maxIndent {
		indent = indent[:maxIndent]
	}
	if newline == "" {
		newline = "\n"
	}
	var b strings.Builder
	writeJS(&b, v, indent, "")
	b.WriteString("\n")
	return []byte(strings.ReplaceAll(b.String(), "\n", newline))
}

// sortedMembers orders an object's members as json-stringify-nice does,
// then as a JavaScript object re-built from them enumerates them.
func sortedMembers(obj []jsMember) []jsMember {
	pref := func(k string) int {
		for i, p := range lockKeyOrder {
			if p == k {
				return i
			}
		}
		return -1
	}
	ms := make([]jsMember, 0, len(obj))
	for _, m := range obj {
		// The nice-sort rebuilds the object with `set[k] = v`; for
		// "__proto__" that sets the prototype, and the key disappears.
		if m.key != "__proto__" {
			ms = append(ms, m)
		}
	}
	sort.SliceStable(ms, func(i, j int) bool {
		a, b := ms[i], ms[j]
		if a.val.isObj() != b.val.isObj() {
			return !a.val.isObj()
		}
		pa, pb := pref(a.key), pref(b.key)
		switch {
		case pa >= 0 && pb >= 0:
			return pa < pb
		case pa >= 0:
			return true
		case pb >= 0:
			return false
		}
		return localeCompare(a.key, b.key) < 0
	})
	// JavaScript objects enumerate integer-like keys first, ascending,
	// whatever order they were added in.
	return jsOrder(ms)
}

// arrayIndex reports whether k is a canonical array index
// ("0".."4294967294"), which JavaScript orders before other keys.
func arrayIndex(k string) (uint64, bool) {
	if k == "" || len(k) > 10 || (len(k) > 1 && k[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(k, 10, 64)
	if err != nil || n > math.MaxUint32-1 {
		return 0, false
	}
	return n, true
}

func writeJS(b *strings.Builder, v *jsValue, indent, cur string) {
	switch v.kind {
	case jsNull:
		b.WriteString("null")
	case jsBool:
		b.WriteString(strconv.FormatBool(v.b))
	case jsNumber:
		b.WriteString(jsNumberText(v.s))
	case jsString:
		writeJSString(b, v.s)
	case jsArray:
		if len(v.arr) == 0 {
			b.WriteString("[]")
			return
		}
		inner := cur + indent
		b.WriteString("[\n")
		for i, e := range v.arr {
			b.WriteString(inner)
			writeJS(b, e, indent, inner)
			if i < len(v.arr)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(cur + "]")
	case jsObject:
		ms := sortedMembers(v.obj)
		if len(ms) == 0 {
			b.WriteString("{}")
			return
		}
		inner := cur + indent
		b.WriteString("{\n")
		for i, m := range ms {
			b.WriteString(inner)
			writeJSString(b, m.key)
			b.WriteString(": ")
			writeJS(b, m.val, indent, inner)
			if i < len(ms)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString(cur + "}")
	}
}

// writeJSString quotes s as JSON.stringify does: only quote, backslash and
// control characters are escaped (lone surrogates cannot occur in Go
// strings); "<", ">", "&", U+2028 and U+2029 stay as they are.
func writeJSString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// jsNumberText formats a JSON number as JavaScript's Number.prototype
// toString does after JSON.parse (ECMA-262 Number::toString).
func jsNumberText(text string) string {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return text
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "null" // what JSON.stringify writes for them
	}
	if f == 0 {
		return "0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// Shortest round-trip digits and decimal exponent: f = 0.d1d2... × 10^n.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	k, n := len(digits), exp+1
	switch {
	case k <= n && n <= 21:
		return sign + digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		return sign + digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		return sign + "0." + strings.Repeat("0", -n) + digits
	}
	es := "+"
	if n-1 < 0 {
		es = "-"
	}
	ab := n - 1
	if ab < 0 {
		ab = -ab
	}
	m := digits[:1]
	if k > 1 {
		m += "." + digits[1:]
	}
	return sign + m + "e" + es + strconv.Itoa(ab)
}

// decodeUTF8Lossy decodes b as Node's Buffer.toString('utf8') does (the
// WHATWG UTF-8 decoder): each maximal invalid subpart becomes one U+FFFD.
// It returns the re-encoded UTF-8, which is what npm writes back when it
// rewrites a file it read as text.
func decodeUTF8Lossy(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			out = append(out, c)
			i++
			continue
		}
		need, lo, hi := 0, byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c >= 0xE0 && c <= 0xEF:
			need = 2
			if c == 0xE0 {
				lo = 0xA0
			} else if c == 0xED {
				hi = 0x9F
			}
		case c >= 0xF0 && c <= 0xF4:
			need = 3
			if c == 0xF0 {
				lo = 0x90
			} else if c == 0xF4 {
				hi = 0x8F
			}
		default:
			out = utf8.AppendRune(out, utf8.RuneError)
			i++
			continue
		}
		j := i + 1
		ok := true
		for k := 0; k < need; k++ {
			if j >= len(b) || b[j] < lo || b[j] > hi {
				ok = false
				break
			}
			lo, hi = 0x80, 0xBF
			j++
		}
		if !ok {
			// The offending byte is not consumed: it starts the next read.
			out = utf8.AppendRune(out, utf8.RuneError)
			i = j
			continue
		}
		out = append(out, b[i:j]...)
		i = j
	}
	return out
}
