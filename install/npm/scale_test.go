package npm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// largeObjectTime bounds the large-object tests: linear work takes well
// under a second (a few with -race), quadratic work half a minute or more.
const largeObjectTime = 20 * time.Second

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
	start := time.Now()
	v, err := parseJS(bigObject(n))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > largeObjectTime {
		t.Errorf("parsing %d keys took %v: quadratic?", n, took)
	}
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
	raw := map[string]json.RawMessage{
		"":                 json.RawMessage(`{"name":"r","dependencies":{"big":"1"}}`),
		"node_modules/big": json.RawMessage(`{"version":"1.0.0","dependencies":` + string(bigObject(n)) + `,"peerDependencies":` + string(bigObject(n)) + `}`),
	}
	start := time.Now()
	entries, err := parseEntries(raw)
	if err != nil {
		t.Fatal(err)
	}
	g := buildGraph(entries, map[string]bool{"node_modules/big": true}, false)
	out := hiddenLockfile(g, "r", "", false, "", "")
	if took := time.Since(start); took > largeObjectTime {
		t.Errorf("hidden lockfile of a %d-key entry took %v: quadratic?", n, took)
	}
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
