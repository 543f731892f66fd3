package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// object is a JSON object read the way JavaScript's JSON.parse reads it:
// keys are exact (encoding/json would match struct fields case-blind, so a
// "Resolved" key could shadow "resolved"), a repeated key keeps its last
// value, and keys are enumerated in JavaScript's order.
type object struct {
	keys   []string
	values map[string]json.RawMessage
}

// decodeObject decodes one JSON object, or reports ok=false when data holds
// another JSON value.
func decodeObject(data []byte) (obj object, ok bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return object{}, false, err
	}
	if d, isDelim := tok.(json.Delim); !isDelim || d != '{' {
		return object{}, false, nil
	}
	obj.values = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return object{}, false, err
		}
		key := tok.(string) // inside an object the decoder only yields string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return object{}, false, err
		}
		if _, seen := obj.values[key]; !seen {
			obj.keys = append(obj.keys, key)
		}
		obj.values[key] = raw
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return object{}, false, err
	}
	if _, err := dec.Token(); err != io.EOF {
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

// arrayIndex reports whether JavaScript treats key as an array index: the
// canonical decimal form of an integer below 2^32-1.
func arrayIndex(key string) (uint64, bool) {
	n, err := strconv.ParseUint(key, 10, 32)
	if err != nil || n == 1<<32-1 || strconv.FormatUint(n, 10) != key {
		return 0, false
	}
	return n, true
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
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%w: %q must be a string", ErrInvalidEntry, key)
	}
	return s, nil
}

// flag reads a boolean field the way npm tests it: only true is true.
// Lockfiles written by npm only ever hold true here; any other JSON value is
// an error rather than a guess at JavaScript truthiness.
func (o object) flag(key string) (bool, error) {
	raw := o.values[key]
	if isNull(raw) {
		return false, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err != nil {
		return false, fmt.Errorf("%w: %q must be true or false", ErrInvalidEntry, key)
	}
	return b, nil
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
		var s string
		if err := json.Unmarshal(sub.values[k], &s); err != nil {
			return nil, nil, fmt.Errorf("%w: %q: the value for %q must be a string", ErrInvalidEntry, key, k)
		}
		m[k] = s
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
