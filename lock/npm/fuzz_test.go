package npm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
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
			if p.Source == lock.SourceRegistry {
				if _, err := registrySource(p.Version); err != nil {
					t.Fatalf("accepted registry entry %q with version %q, from which the URL is derived", p.Path, p.Version)
				}
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

// selectPaths are the install paths FuzzSelect builds lockfiles from: a
// small tree in which names repeat at several depths, so that resolution,
// shadowing and nesting all happen.
var selectPaths = []string{
	"node_modules/a", "node_modules/b", "node_modules/c", "node_modules/@s/d",
	"node_modules/a/node_modules/b", "node_modules/a/node_modules/c",
	"node_modules/b/node_modules/a", "node_modules/@s/d/node_modules/c",
	"node_modules/a/node_modules/b/node_modules/c", "packages/w", "packages/w/node_modules/b",
	"node_modules/w",
}

var selectNames = []string{"a", "b", "c", "@s/d"}

// selectLockfile turns fuzz bytes into a well-formed lockfile: raw bytes
// almost never get past Parse, so FuzzParse rarely reaches Select's graph
// code. Three bytes per entry: which path, which flags and constraints, which
// dependencies of which type.
func selectLockfile(rootDeps byte, data []byte) []byte {
	var b strings.Builder
	dep := func(bits byte) string {
		var parts []string
		for i, n := range selectNames {
			if bits&(1<<i) != 0 {
				parts = append(parts, fmt.Sprintf("%q:%q", n, "*"))
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	field := []string{"dependencies", "optionalDependencies", "peerDependencies", "devDependencies"}
	fmt.Fprintf(&b, `{"lockfileVersion":3,"packages":{"":{"name":"root","version":"1.0.0","workspaces":["packages/*"],"dependencies":%s,"devDependencies":%s,"optionalDependencies":%s}`,
		dep(rootDeps&0xf), dep(rootDeps>>4), dep(rootDeps>>2&0x3))
	seen := map[string]bool{"": true}
	for len(data) >= 3 {
		p := selectPaths[int(data[0])%len(selectPaths)]
		flags, deps := data[1], data[2]
		data = data[3:]
		if seen[p] {
			continue
		}
		seen[p] = true
		switch p {
		case "packages/w":
			fmt.Fprintf(&b, `,%q:{"name":"w","version":"1.0.0","dependencies":%s}`, p, dep(deps&0xf))
			continue
		case "node_modules/w":
			fmt.Fprintf(&b, `,%q:{"resolved":"packages/w","link":true}`, p)
			continue
		}
		fmt.Fprintf(&b, `,%q:{"version":"1.0.%d","integrity":"sha512-AAAA"`, p, flags&0x3)
		for i, f := range []string{"dev", "optional", "devOptional", "peer"} {
			if flags&(1<<(i+2)) != 0 {
				fmt.Fprintf(&b, `,%q:true`, f)
			}
		}
		if flags&0x40 != 0 {
			b.WriteString(`,"os":["darwin"]`)
		}
		if flags&0x80 != 0 {
			b.WriteString(`,"engines":{"node":">=99"}`)
		}
		fmt.Fprintf(&b, `,%q:%s}`, field[deps>>6], dep(deps&0xf))
	}
	if seen["node_modules/w"] && !seen["packages/w"] {
		b.WriteString(`,"packages/w":{"name":"w","version":"1.0.0"}`)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

// FuzzSelect runs Select over lockfiles that parse, checking what must hold
// whatever npm's flag rules decide: every entry is either installed or
// skipped, exactly once; the answer is the same twice; omitting a type never
// installs more; and nothing is installed below a package folder that is
// not.
func FuzzSelect(f *testing.F) {
	f.Add(byte(0x1f), []byte{0, 0, 2, 1, 4, 0, 4, 0x40, 1, 5, 0x02, 0x42, 9, 0, 0, 10, 0, 1, 11, 0, 0})
	f.Add(byte(0xff), []byte{0, 0x08, 0x86, 1, 0x10, 0xc4, 2, 0x20, 0x08, 3, 0x44, 0x01, 4, 0, 0, 5, 0x80, 0x41, 6, 0x04, 0x04, 7, 0, 0})
	f.Add(byte(0x03), []byte{1, 0x04, 0x01, 6, 0x10, 0x02, 0, 0, 0x81})
	f.Fuzz(func(t *testing.T, rootDeps byte, data []byte) {
		if len(data) > 3*32 {
			return
		}
		doc := selectLockfile(rootDeps, data)
		l, err := Parse(doc)
		if err != nil {
			t.Fatalf("generated lockfile does not parse: %v\n%s", err, doc)
		}
		linux := Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
		run := func(o Options) (map[string]bool, bool) {
			sel, err := l.Select(o)
			if err != nil {
				if !errors.Is(err, ErrBadPlatform) && !errors.Is(err, ErrBadEngine) {
					t.Fatalf("Select: unexpected error %v\n%s", err, doc)
				}
				return nil, false
			}
			again, err := l.Select(o)
			if err != nil || !reflect.DeepEqual(sel, again) {
				t.Fatalf("Select is not deterministic (%v)\n%s", err, doc)
			}
			in := map[string]bool{}
			for i, p := range sel.Install {
				if in[p.Path] || i > 0 && sel.Install[i-1].Path >= p.Path {
					t.Fatalf("Install is not sorted or repeats %s\n%s", p.Path, doc)
				}
				in[p.Path] = true
			}
			for _, s := range sel.Skipped {
				if in[s.Package.Path] {
					t.Fatalf("%s both installed and skipped\n%s", s.Package.Path, doc)
				}
				in[s.Package.Path] = false
			}
			if len(in) != len(l.Packages) {
				t.Fatalf("Select lost entries: %d of %d\n%s", len(in), len(l.Packages), doc)
			}
			for path, installed := range in {
				if !installed {
					continue
				}
				// node_modules/x/node_modules/y resolves only for x's
				// subtree: without x nothing can need y.
				if i := strings.LastIndex(path, "/node_modules/"); i > 0 && strings.HasPrefix(path, "node_modules/") {
					if parent, ok := in[path[:i]]; ok && !parent {
						t.Fatalf("%s installed below skipped %s\n%s", path, path[:i], doc)
					}
				}
			}
			return in, true
		}
		all, ok := run(Options{Platform: linux, NodeVersion: "20.0.0"})
		for _, o := range []Omit{{Dev: true}, {Optional: true}, {Peer: true}, {Dev: true, Optional: true, Peer: true}} {
			some, ok2 := run(Options{Omit: o, Platform: linux, NodeVersion: "20.0.0"})
			if !ok || !ok2 {
				continue
			}
			for path, installed := range some {
				if installed && !all[path] {
					t.Fatalf("omitting %+v installs %s, which is not installed without omitting\n%s", o, path, doc)
				}
			}
		}
		run(Options{Platform: Platform{OS: "darwin", CPU: "arm64"}, Force: true})
	})
}
