package npm

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// FuzzParse feeds arbitrary bytes through Parse, Select and CheckInSync.
// None may panic or hang, and what Parse accepts must keep its promises.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, file := range files {
		data := mustRead(f, file)
		// Big seeds make the fuzzer spend its time minimizing them.
		if strings.HasSuffix(file, "package.json") || len(data) > 64<<10 {
			continue
		}
		f.Add(data)
	}
	for _, s := range []string{
		`{"lockfileVersion":3,"packages":{"":{"workspaces":["p/*"]},"p/a":{"name":"a"},"node_modules/a":{"resolved":"p/a","link":true}}}`,
		`{"lockfileVersion":3,"packages":{"node_modules/a":{"version":"1","optional":true,"os":"darwin","dependencies":{"b":"*"}},"node_modules/b":{"version":"1","optional":true}}}`,
		`{"lockfileVersion":2,"packages":{"node_modules/@s/a":{"version":"1","bin":"x","engines":{"node":">=99"}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse(data)
		if err != nil {
			return
		}
		for _, p := range l.Packages {
			if _, err := parseLocation(p.Path); err != nil {
				t.Fatalf("accepted unsafe path %q: %v", p.Path, err)
			}
			if p.Source == lock.SourceLink {
				if _, err := parseLocation(p.Resolved); err != nil {
					t.Fatalf("accepted unsafe link target %q", p.Resolved)
				}
			}
		}
		for _, o := range []Options{
			{Platform: Platform{OS: "linux", CPU: "x64", Libc: "glibc"}, NodeVersion: "20.0.0"},
			{Omit: Omit{Dev: true, Optional: true, Peer: true}, Platform: Platform{OS: "darwin", CPU: "arm64"}, Force: true},
		} {
			sel, err := l.Select(o)
			if err == nil && len(sel.Install)+len(sel.Skipped) != len(l.Packages) {
				t.Fatalf("Select lost entries: %d + %d != %d", len(sel.Install), len(sel.Skipped), len(l.Packages))
			}
		}
		_ = CheckInSync(l, []byte(`{"dependencies":{"a":"^1","b":"file:x","c":"github:o/r"},"devDependencies":{"d":"npm:e@1"}}`), nil)
		if raw, ok := l.Raw[""]; ok {
			_ = CheckInSync(l, raw, nil)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data := mustRead(b, "testdata/big/package-lock.json")
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSelect(b *testing.B) {
	l, _ := readFixture(b, "big")
	o := Options{Omit: Omit{Dev: true}, Platform: Platform{OS: "linux", CPU: "x64", Libc: "glibc"}, NodeVersion: "20.20.2"}
	for i := 0; i < b.N; i++ {
		if _, err := l.Select(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckInSync(b *testing.B) {
	l, _ := readFixture(b, "big")
	pj := mustRead(b, "testdata/big/package.json")
	for i := 0; i < b.N; i++ {
		if err := CheckInSync(l, pj, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecodeObject checks the object splitter against encoding/json: same
// keys, and for each the same (last) value.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":[1,{"c":"}"}],"a":"x\"y"}`, ` { "\u00e9" : null , "k" : {"n":[]} } `, `[1]`, `"s"`, `{"a":true}x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		obj, ok, err := decodeObject(data)
		var want map[string]json.RawMessage
		werr := json.Unmarshal(data, &want)
		if !ok || err != nil {
			if werr == nil && err == nil {
				t.Fatalf("encoding/json reads an object, decodeObject does not: %q", data)
			}
			return
		}
		if werr != nil || len(want) != len(obj.keys) || len(obj.values) != len(want) {
			t.Fatalf("%q: keys %q, encoding/json %v (%v)", data, obj.keys, want, werr)
		}
		for k, v := range want {
			var a, b bytes.Buffer
			json.Compact(&a, v)
			json.Compact(&b, obj.values[k])
			if a.String() != b.String() {
				t.Fatalf("%q: value of %q is %q, encoding/json says %q", data, k, obj.values[k], v)
			}
		}
	})
}
