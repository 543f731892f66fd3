package sbom

// A JSON Schema (draft-07) validator for the subset of keywords the
// CycloneDX 1.6 schema and the schemas it references use, so that tests can
// check airlock's BOMs against the real schema without a new module.
// "format" is an annotation here (draft-07 does not require asserting it);
// $ref resolves "#/json/pointer", "file.json" and "file.json#/pointer"
// against the files loaded into the validator.

import (
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

type schemaSet struct {
	docs map[string]any // by file name
	res  map[string]*regexp.Regexp
}

func loadSchemas(dir string, names ...string) (*schemaSet, error) {
	s := &schemaSet{docs: map[string]any{}, res: map[string]*regexp.Regexp{}}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		doc, err := decodeJSON(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		s.docs[n] = doc
	}
	return s, nil
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// schemaRef is a schema and the file it lives in (for relative $refs).
type schemaRef struct {
	file string
	node any
}

// validate returns every violation of doc against file's root schema.
func (s *schemaSet) validate(file string, doc any) []string {
	var errs []string
	s.check(schemaRef{file, s.docs[file]}, doc, "", &errs)
	return errs
}

func (s *schemaSet) resolve(from string, ref string) (schemaRef, error) {
	file, frag, _ := strings.Cut(ref, "#")
	if file == "" {
		file = from
	}
	node, ok := s.docs[file]
	if !ok {
		return schemaRef{}, fmt.Errorf("$ref %q: schema file %q not loaded", ref, file)
	}
	if frag != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
			m, ok := node.(map[string]any)
			if !ok {
				return schemaRef{}, fmt.Errorf("$ref %q: %q is not an object", ref, tok)
			}
			if node, ok = m[tok]; !ok {
				return schemaRef{}, fmt.Errorf("$ref %q: no %q", ref, tok)
			}
		}
	}
	return schemaRef{file, node}, nil
}

// known lists the keywords check understands; any other keyword in a
// schema fails the test, so a schema update cannot be half-checked silently.
var known = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$ref": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "meta:enum": true, "definitions": true, "format": true,
	"type": true, "properties": true, "required": true, "additionalProperties": true, "enum": true, "const": true,
	"pattern": true, "items": true, "additionalItems": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"oneOf": true, "anyOf": true, "allOf": true, "not": true, "if": true, "then": true, "else": true,
	"minimum": true, "maximum": true, "minLength": true, "maxLength": true,
}

func (s *schemaSet) check(sr schemaRef, v any, at string, errs *[]string) {
	fail := func(format string, args ...any) {
		*errs = append(*errs, fmt.Sprintf("%s: %s", orRoot(at), fmt.Sprintf(format, args...)))
	}
	switch sc := sr.node.(type) {
	case bool:
		if !sc {
			fail("no value is allowed here")
		}
		return
	case map[string]any:
		keys := make([]string, 0, len(sc))
		for k := range sc {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] {
				fail("schema keyword %q is not supported by this validator", k)
			}
		}
		if ref, ok := sc["$ref"].(string); ok {
			// draft-07: $ref replaces its siblings.
			target, err := s.resolve(sr.file, ref)
			if err != nil {
				fail("%v", err)
				return
			}
			s.check(target, v, at, errs)
			return
		}
		sub := func(node any) schemaRef { return schemaRef{sr.file, node} }
		valid := func(node any) bool {
			var e []string
			s.check(sub(node), v, at, &e)
			return len(e) == 0
		}
		if t, ok := sc["type"]; ok && !typeMatches(t, v) {
			fail("type %s, want %v", typeOf(v), t)
			return
		}
		if e, ok := sc["enum"].([]any); ok {
			found := false
			for _, x := range e {
				found = found || jsonEqual(x, v)
			}
			if !found {
				fail("%v is not one of %v", v, e)
			}
		}
		if c, ok := sc["const"]; ok && !jsonEqual(c, v) {
			fail("%v is not %v", v, c)
		}
		if str, ok := v.(string); ok {
			if p, ok := sc["pattern"].(string); ok {
				re, err := s.regexp(p)
				if err != nil {
					fail("pattern %q: %v", p, err)
				} else if !re.MatchString(str) {
					fail("%q does not match %q", str, p)
				}
			}
			n := utf8.RuneCountInString(str)
			if m, ok := number(sc["minLength"]); ok && big.NewFloat(float64(n)).Cmp(m) < 0 {
				fail("shorter than %v", m)
			}
			if m, ok := number(sc["maxLength"]); ok && big.NewFloat(float64(n)).Cmp(m) > 0 {
				fail("longer than %v", m)
			}
		}
		if num, ok := number(v); ok {
			if m, ok := number(sc["minimum"]); ok && num.Cmp(m) < 0 {
				fail("%v is below the minimum %v", num, m)
			}
			if m, ok := number(sc["maximum"]); ok && num.Cmp(m) > 0 {
				fail("%v is above the maximum %v", num, m)
			}
		}
		if obj, ok := v.(map[string]any); ok {
			props, _ := sc["properties"].(map[string]any)
			if req, ok := sc["required"].([]any); ok {
				for _, r := range req {
					if _, ok := obj[r.(string)]; !ok {
						fail("missing required property %q", r)
					}
				}
			}
			names := make([]string, 0, len(obj))
			for k := range obj {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				if ps, ok := props[k]; ok {
					s.check(sub(ps), obj[k], at+"/"+k, errs)
				} else if ap, ok := sc["additionalProperties"]; ok {
					if b, isBool := ap.(bool); isBool && !b {
						fail("property %q is not allowed", k)
					} else {
						s.check(sub(ap), obj[k], at+"/"+k, errs)
					}
				}
			}
		}
		if arr, ok := v.([]any); ok {
			switch items := sc["items"].(type) {
			case []any:
				for i, x := range arr {
					if i < len(items) {
						s.check(sub(items[i]), x, fmt.Sprintf("%s/%d", at, i), errs)
					} else if ai, ok := sc["additionalItems"]; ok {
						s.check(sub(ai), x, fmt.Sprintf("%s/%d", at, i), errs)
					}
				}
			case nil:
			default:
				for i, x := range arr {
					s.check(sub(items), x, fmt.Sprintf("%s/%d", at, i), errs)
				}
			}
			if m, ok := number(sc["minItems"]); ok && big.NewFloat(float64(len(arr))).Cmp(m) < 0 {
				fail("fewer than %v items", m)
			}
			if m, ok := number(sc["maxItems"]); ok && big.NewFloat(float64(len(arr))).Cmp(m) > 0 {
				fail("more than %v items", m)
			}
			if u, _ := sc["uniqueItems"].(bool); u {
				for i := range arr {
					for j := i + 1; j < len(arr); j++ {
						if jsonEqual(arr[i], arr[j]) {
							fail("items %d and %d are equal (uniqueItems)", i, j)
						}
					}
				}
			}
		}
		if all, ok := sc["allOf"].([]any); ok {
			for _, x := range all {
				s.check(sub(x), v, at, errs)
			}
		}
		if anyOf, ok := sc["anyOf"].([]any); ok {
			n := 0
			for _, x := range anyOf {
				if valid(x) {
					n++
				}
			}
			if n == 0 {
				fail("matches none of anyOf's %d schemas", len(anyOf))
			}
		}
		if oneOf, ok := sc["oneOf"].([]any); ok {
			n := 0
			for _, x := range oneOf {
				if valid(x) {
					n++
				}
			}
			if n != 1 {
				fail("matches %d of oneOf's %d schemas, want exactly 1", n, len(oneOf))
			}
		}
		if not, ok := sc["not"]; ok && valid(not) {
			fail("matches a schema under not")
		}
		if cond, ok := sc["if"]; ok {
			if valid(cond) {
				if then, ok := sc["then"]; ok {
					s.check(sub(then), v, at, errs)
				}
			} else if els, ok := sc["else"]; ok {
				s.check(sub(els), v, at, errs)
			}
		}
	default:
		fail("schema is a %T, not an object or boolean", sr.node)
	}
}

func (s *schemaSet) regexp(p string) (*regexp.Regexp, error) {
	if re, ok := s.res[p]; ok {
		return re, nil
	}
	// ECMA-262 patterns as the CycloneDX schema writes them are RE2 too.
	re, err := regexp.Compile(p)
	if err == nil {
		s.res[p] = re
	}
	return re, err
}

func orRoot(at string) string {
	if at == "" {
		return "(root)"
	}
	return at
}

func number(v any) (*big.Float, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	f, _, err := big.ParseFloat(string(n), 10, 200, big.ToNearestEven)
	return f, err == nil
}

func typeOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number:
		if f, ok := number(x); ok && f.IsInt() {
			return "integer"
		}
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func typeMatches(t any, v any) bool {
	got := typeOf(v)
	match := func(want string) bool { return want == got || want == "number" && got == "integer" }
	switch t := t.(type) {
	case string:
		return match(t)
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && match(s) {
				return true
			}
		}
	}
	return false
}

// jsonEqual compares decoded JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	na, aok := number(a)
	nb, bok := number(b)
	if aok && bok {
		return na.Cmp(nb) == 0
	}
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !jsonEqual(xv, yv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}
