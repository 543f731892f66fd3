package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// object is a JSON object read the way JavaScript's JSON.parse reads it:
// keys are exact (encoding/json would match struct fields case-blind, so a
// "Resolved" key could shadow "resolved"), a repeated key keeps its last
// value, and keys are enumerated in JavaScript's order. dup names the first
// key that appeared more than once, for the callers that refuse repeats.
type object struct {
	keys   []string
	values map[string]json.RawMessage
	dup    string
	hasDup bool
}

// decodeObject splits one JSON object into its keys and raw values, or
// reports ok=false when data holds another JSON value. data must be valid
// JSON (Parse checks the whole document once); on anything else it returns
// an error rather than guessing.
func decodeObject(data []byte) (obj object, ok bool, err error) {
	i := skipSpace(data, 0)
	if i >= len(data) {
		return object{}, false, errTruncated
	}
	if data[i] != '{' {
		return object{}, false, nil
	}
	obj.values = map[string]json.RawMessage{}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return object{}, false, errTruncated
			}
			end := skipString(data, i)
			if end < 0 {
				return object{}, false, errTruncated
			}
			key, err := unquote(data[i:end])
			if err != nil {
				return object{}, false, err
			}
			i = skipSpace(data, end)
			if i >= len(data) || data[i] != ':' {
				return object{}, false, errTruncated
			}
			i = skipSpace(data, i+1)
			vend := skipValue(data, i)
			if vend < 0 {
				return object{}, false, errTruncated
			}
			if _, seen := obj.values[key]; !seen {
				obj.keys = append(obj.keys, key)
			} else if !obj.hasDup {
				obj.dup, obj.hasDup = key, true
			}
			obj.values[key] = json.RawMessage(data[i:vend:vend])
			i = skipSpace(data, vend)
			if i < len(data) && data[i] == ',' {
				i = skipSpace(data, i+1)
				continue
			}
			if i < len(data) && data[i] == '}' {
				i++
				break
			}
			return object{}, false, errTruncated
		}
	}
	if skipSpace(data, i) != len(data) {
		return object{}, false, fmt.Errorf("unexpected data after the JSON object")
	}
	// JavaScript enumerates integer-like keys first, in numeric order, then
	// the others in insertion order; npm's inventory follows that order.
	sort.SliceStable(obj.keys, func(i, j int) bool {
		ni, iok := arrayIndex(obj.keys[i])
		nj, jok := arrayIndex(obj.keys[j])
		switch {
		case iok && jok:
			return ni < nj
		case iok:
			return true
		}
		return false
	})
	return obj, true, nil
}

var errTruncated = errors.New("malformed JSON")

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] ('"'),
// or -1.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index just past the JSON value starting at b[i], or
// -1. Nesting is counted, not recursed into.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = skipString(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	j := i // a number, true, false or null
	for j < len(b) && bytes.IndexByte([]byte(",}] \t\n\r:"), b[j]) < 0 {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// unquote decodes a JSON string literal, quickly when it is plain ASCII.
func unquote(raw []byte) (string, error) {
	plain := len(raw) >= 2
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// arrayIndex reports whether JavaScript treats key as an array index: the
// canonical decimal form of an integer below 2^32-1.
func arrayIndex(key string) (uint64, bool) {
	n, err := strconv.ParseUint(key, 10, 32)
	if err != nil || n == 1<<32-1 || strconv.FormatUint(n, 10) != key {
		return 0, false
	}
	return n, true
}

// errDup explains a repeated key. Readers disagree on which copy counts
// (JSON.parse and encoding/json keep the last, other tools the first), so a
// lockfile with one can mean two things: npm never writes one, and airlock
// refuses to guess.
func (o object) errDup(where string) error {
	return fmt.Errorf("%w: %s %q appears more than once; tools disagree on which copy counts, so the lockfile can mean two different things (npm never writes this: it was edited by hand or tampered with); regenerate it with `npm install --package-lock-only` and review the diff", ErrDuplicateKey, where, o.dup)
}

// isNull reports a missing field or an explicit JSON null.
func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null"
}

// str reads a string field; missing and null read as "".
func (o object) str(key string) (string, error) {
	raw := o.values[key]
	if isNull(raw) {
		return "", nil
	}
	if raw[0] != '"' {
		return "", fmt.Errorf("%w: %q must be a string", ErrInvalidEntry, key)
	}
	return unquote(raw)
}

// flag reads a boolean field the way npm tests it: only true is true.
// Lockfiles written by npm only ever hold true here; any other JSON value is
// an error rather than a guess at JavaScript truthiness.
func (o object) flag(key string) (bool, error) {
	raw := o.values[key]
	if isNull(raw) {
		return false, nil
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%w: %q must be true or false", ErrInvalidEntry, key)
}

// strMap reads an object of strings (a dependency map).
func (o object) strMap(key string) (keys []string, m map[string]string, err error) {
	raw := o.values[key]
	if isNull(raw) {
		return nil, nil, nil
	}
	sub, ok, err := decodeObject(raw)
	if err != nil || !ok {
		return nil, nil, fmt.Errorf("%w: %q must be an object of strings", ErrInvalidEntry, key)
	}
	m = make(map[string]string, len(sub.keys))
	for _, k := range sub.keys {
		v := sub.values[k]
		if v[0] != '"' {
			return nil, nil, fmt.Errorf("%w: %q: the value for %q must be a string", ErrInvalidEntry, key, k)
		}
		if m[k], err = unquote(v); err != nil {
			return nil, nil, err
		}
	}
	return sub.keys, m, nil
}

// stringList reads os/cpu/libc: a string or a list of strings. It keeps the
// difference between absent (nil) and an empty list (non-nil), because npm's
// libc check fails on an empty list when the host has no libc.
func (o object) stringList(key string) ([]string, error) {
	raw := o.values[key]
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if s == "" {
			return nil, nil // an empty string is falsy: no constraint
		}
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("%w: %q must be a string or a list of strings", ErrInvalidEntry, key)
	}
	if l == nil {
		l = []string{}
	}
	return l, nil
}

// sortedKeys gives a map's keys in a stable order, so that edges and
// messages come out the same on every run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validJSON checks the whole document once, so that the splitting above can
// rely on it, and explains the first error with its position.
func validJSON(data []byte) error {
	if json.Valid(data) {
		return nil
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return errors.New("invalid JSON")
}
