package npm

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// The large-object tests prove linear cost without a clock (wall time on a
// loaded machine proves nothing; the speed itself is in the benchmarks
// below), in two ways:
//   - every object of indexedAt members or more carries a complete index
//     (checkIndexed), so each get, set and find is a map lookup: the linear
//     scan per key that once took 46 s cannot come back unnoticed;
//   - the bytes allocated grow linearly with the input (linearAllocs): 4x
//     the keys may cost at most maxAllocGrowth times the bytes, where work
//     that copies per key (quadratic) would cost 16x.
const maxAllocGrowth = 8

// indexedAt is the size from which an object must have its index. It is
// not jsIndexMin, so that raising that constant too far fails here.
const indexedAt = 1000

// checkIndexed fails unless every object in v with at least indexedAt
// members has an idx naming each member's position.
func checkIndexed(t *testing.T, what string, v *jsValue) {
	t.Helper()
	if v == nil {
		return
	}
	for _, e := range v.arr {
		checkIndexed(t, what, e)
	}
	if v.kind != jsObject {
		return
	}
	if len(v.obj) >= indexedAt {
		if len(v.idx) != len(v.obj) {
			t.Fatalf("%s: an object of %d members has an index of %d: lookups scan", what, len(v.obj), len(v.idx))
		}
		for i, m := range v.obj {
			if v.idx[m.key] != i {
				t.Fatalf("%s: index of %q is %d, want %d", what, m.key, v.idx[m.key], i)
			}
		}
	}
	for _, m := range v.obj {
		checkIndexed(t, what, m.val)
	}
}

// allocBytes returns the bytes f allocates. The tests using it are not
// parallel, so nothing else in the binary allocates meanwhile.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// linearAllocs runs f on n and on 4n keys and fails when the bytes
// allocated grow more than maxAllocGrowth times.
func linearAllocs(t *testing.T, what string, n int, f func(n int)) {
	t.Helper()
	small := allocBytes(func() { f(n) })
	large := allocBytes(func() { f(4 * n) })
	if small == 0 || float64(large)/float64(small) > maxAllocGrowth {
		t.Errorf("%s: %d keys allocate %d bytes, %d keys %d (%.1fx): not linear", what, n, small, 4*n, large, float64(large)/float64(small))
	}
}

// bigObject is a JSON object with n members "k0".."k<n-1>" (values their
// index), then every tenth key again with the value "dup".
func bigObject(n int) []byte {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `"k%d":"%d",`, i, i)
	}
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, `"k%d":"dup",`, i)
	}
	b.WriteString(`"last":"x"}`)
	return []byte(b.String())
}

// A lockfile entry with a huge object must parse in linear time, with
// JSON.parse's duplicate-key rule: the last value at the first position.
func TestParseJSLargeObject(t *testing.T) {
	const n = 200_000
	var v *jsValue
	linearAllocs(t, "parseJS", n/4, func(n int) {
		var err error
		if v, err = parseJS(bigObject(n)); err != nil {
			t.Fatal(err)
		}
	})
	checkIndexed(t, "parseJS", v)
	if len(v.obj) != n+1 {
		t.Fatalf("%d members, want %d", len(v.obj), n+1)
	}
	for i, m := range v.obj[:n] {
		want := fmt.Sprint(i)
		if i%10 == 0 {
			want = "dup"
		}
		if m.key != fmt.Sprintf("k%d", i) || m.val.s != want {
			t.Fatalf("member %d = %s: %s, want k%d: %s", i, m.key, m.val.s, i, want)
		}
	}
	if v.obj[n].key != "last" {
		t.Errorf("last member = %s", v.obj[n].key)
	}
	for _, k := range []string{"k0", "k199999", "k5", "last"} {
		if v.get(k) == nil {
			t.Errorf("get(%q) = nil", k)
		}
	}
	if v.get("k200000") != nil {
		t.Error("get of a missing key found something")
	}
	// set keeps working on an indexed object: replace in place, append new.
	v.set("k7", jsStr("seven"))
	v.set("new", jsStr("n"))
	if v.obj[7].val.s != "seven" || v.get("k7").s != "seven" || v.obj[len(v.obj)-1].key != "new" || v.get("new").s != "n" {
		t.Error("set on a large object misplaced members")
	}
}

// One entry whose dependencies has 100k keys went through parseEntries,
// buildGraph and hiddenLockfile in 46 s when every key was a linear scan.
func TestHiddenLockfileLargeEntry(t *testing.T) {
	const n = 150_000
	var out []byte
	linearAllocs(t, "hidden lockfile", n/4, func(n int) {
		raw := map[string]json.RawMessage{
			"":                 json.RawMessage(`{"name":"r","dependencies":{"big":"1"}}`),
			"node_modules/big": json.RawMessage(`{"version":"1.0.0","dependencies":` + string(bigObject(n)) + `,"peerDependencies":` + string(bigObject(n)) + `}`),
		}
		entries, err := parseEntries(raw)
		if err != nil {
			t.Fatal(err)
		}
		g := buildGraph(entries, map[string]bool{"node_modules/big": true}, false)
		out = hiddenLockfile(g, "r", "", false, "", "")
		// Walking allocates nothing, so it does not blur the measure.
		checkIndexed(t, "parsed entry", entries["node_modules/big"])
		checkIndexed(t, "hidden lockfile entry", metaFromEntry(g.nodes["node_modules/big"], false))
	})
	if !strings.Contains(string(out), `"k149999": "149999"`) || !strings.Contains(string(out), `"k10": "dup"`) {
		t.Error("hidden lockfile lacks the entry's dependencies")
	}
}

// manyPackages is a lockfile with n packages, each with a few
// dependencies, as raw entries.
func manyPackages(n int) (map[string]json.RawMessage, map[string]bool) {
	raw := map[string]json.RawMessage{}
	installed := map[string]bool{}
	var root strings.Builder
	root.WriteString(`{"name":"r","dependencies":{`)
	for i := 0; i < n; i++ {
		if i > 0 {
			root.WriteString(",")
		}
		fmt.Fprintf(&root, `"p%d":"1"`, i)
		loc := fmt.Sprintf("node_modules/p%d", i)
		raw[loc] = json.RawMessage(fmt.Sprintf(`{"version":"1.0.0","resolved":"https://registry.npmjs.org/p%d/-/p%d-1.0.0.tgz","integrity":"sha512-x","license":"MIT","dependencies":{"p%d":"1","p%d":"1"},"engines":{"node":">=8"}}`, i, i, (i+1)%n, (i+7)%n))
		installed[loc] = true
	}
	root.WriteString("}}")
	raw[""] = json.RawMessage(root.String())
	return raw, installed
}

func BenchmarkParseJSLargeObject(b *testing.B) {
	data := bigObject(100_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseJS(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHiddenLockfile40k(b *testing.B) {
	raw, installed := manyPackages(40_000)
	for b.Loop() {
		entries, err := parseEntries(raw)
		if err != nil {
			b.Fatal(err)
		}
		g := buildGraph(entries, installed, false)
		hiddenLockfile(g, "r", "1.0.0", false, "", "")
	}
}
