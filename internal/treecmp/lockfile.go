package treecmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// compareLockfiles compares two hidden lockfiles as JSON values: key order
// and formatting do not matter, every differing leaf is reported with its
// location. A file that is not JSON is compared as bytes.
func compareLockfiles(rel, pa, pb string) ([]Difference, error) {
	ba, err := os.ReadFile(pa)
	if err != nil {
		return nil, fmt.Errorf("treecmp: %w", err)
	}
	bb, err := os.ReadFile(pb)
	if err != nil {
		return nil, fmt.Errorf("treecmp: %w", err)
	}
	va, errA := decode(ba)
	vb, errB := decode(bb)
	if errA != nil || errB != nil {
		if bytes.Equal(ba, bb) {
			return nil, nil
		}
		return []Difference{{Path: rel, Kind: Lockfile, A: validity(errA), B: validity(errB)}}, nil
	}
	var diffs []Difference
	diffJSON(rel, "", va, vb, &diffs)
	return diffs, nil
}

func decode(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

func validity(err error) string {
	if err != nil {
		return "not JSON: " + err.Error()
	}
	return "valid JSON"
}

// diffJSON walks two decoded values. Objects are compared key by key so a
// missing package entry is one difference, not a cascade; arrays and
// scalars are compared whole.
func diffJSON(rel, key string, a, b any, out *[]Difference) {
	ma, okA := a.(map[string]any)
	mb, okB := b.(map[string]any)
	if okA && okB {
		names := make([]string, 0, len(ma)+len(mb))
		for k := range ma {
			names = append(names, k)
		}
		for k := range mb {
			if _, ok := ma[k]; !ok {
				names = append(names, k)
			}
		}
		sort.Strings(names)
		for _, k := range names {
			x, inA := ma[k]
			y, inB := mb[k]
			sub := key + jsonKey(k)
			if key == "" {
				sub = strings.TrimPrefix(sub, ".")
			}
			switch {
			case !inA:
				*out = append(*out, Difference{Path: rel, Kind: Lockfile, Key: sub, B: compact(y)})
			case !inB:
				*out = append(*out, Difference{Path: rel, Kind: Lockfile, Key: sub, A: compact(x)})
			default:
				diffJSON(rel, sub, x, y, out)
			}
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		if key == "" {
			key = "(document)"
		}
		*out = append(*out, Difference{Path: rel, Kind: Lockfile, Key: key, A: compact(a), B: compact(b)})
	}
}

// jsonKey renders an object key as a selector: .name for plain
// identifiers, ["node_modules/x"] for everything else.
func jsonKey(k string) string {
	plain := k != ""
	for i, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return "." + k
	}
	return "[" + strconv.Quote(k) + "]"
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
