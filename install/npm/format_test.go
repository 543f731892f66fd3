package npm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestLocaleCompareMatchesNode(t *testing.T) {
	// Sorted by Node 20: xs.sort((a, b) => a.localeCompare(b, 'en')).
	want := []string{"a", "A", "a_b", "a-", "a--b", "a-b", "a-b-c", "a-bc", "a.b", "a@b", "a/b", "a1", "a10", "a2", "aa", "ab", "aB", "Ab", "b", "B",
		"node_modules/@s/a", "node_modules/a", "node_modules/A", "node_modules/a-b", "node_modules/a/node_modules/b", "node_modules/aa", "x", "x-Y", "X-y", "z", "Z"}
	got := append([]string(nil), want...)
	sort.Slice(got, func(i, j int) bool { return got[i] > got[j] }) // scramble
	sort.SliceStable(got, func(i, j int) bool { return localeCompare(got[i], got[j]) < 0 })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	chars := []byte(asciiPrimary)
	sort.Slice(chars, func(i, j int) bool { return chars[i] < chars[j] })
	sort.SliceStable(chars, func(i, j int) bool { return localeCompare(string(chars[i]), string(chars[j])) < 0 })
	if string(chars) != asciiPrimary {
		t.Errorf("single characters sort as %q", chars)
	}
}

func TestStringifyLockLikeJavaScript(t *testing.T) {
	// Expected outputs printed by Node 20 with npm's json-stringify-nice
	// and swKeyOrder. Arrays count as primitives in its ordering.
	tests := []struct{ in, want string }{
		{`{}`, "{}\n"},
		{`{"b":1,"a":{"z":1},"version":"1","name":"n","10":true,"2":false}`,
			"{\n  \"2\": false,\n  \"10\": true,\n  \"name\": \"n\",\n  \"version\": \"1\",\n  \"b\": 1,\n  \"a\": {\n    \"z\": 1\n  }\n}\n"},
		{`{"s":"\u2028<>&\u0001\"\\","n":[1e21,1.5e-7,123456789012345678901,0.1,-0,1e-6,100,1E2]}`,
			"{\n  \"n\": [\n    1e+21,\n    1.5e-7,\n    123456789012345680000,\n    0.1,\n    0,\n    0.000001,\n    100,\n    100\n  ],\n  \"s\": \"\u2028<>&\\u0001\\\"\\\\\"\n}\n"},
		{`{"a":1,"a":2,"__proto__":{"x":1}}`, "{\n  \"a\": 2\n}\n"},
		{`{"arr":[],"obj":{},"x":null}`, "{\n  \"arr\": [],\n  \"x\": null,\n  \"obj\": {}\n}\n"},
	}
	for _, tt := range tests {
		v, err := parseJS([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(stringifyLock(v, "", "")); got != tt.want {
			t.Errorf("%s:\n got  %q\n want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeUTF8LossyLikeNode(t *testing.T) {
	// Buffer.from(bytes).toString('utf8') in Node 20.
	tests := []struct {
		in   []byte
		want string
	}{
		{[]byte{0xE2, 0x82, 0x41}, "\uFFFDA"},
		{[]byte{0xF0, 0x80, 0x41}, "\uFFFD\uFFFDA"},
		{[]byte{0xED, 0xA0, 0x80}, "\uFFFD\uFFFD\uFFFD"},
		{[]byte{0xC0, 0xAF}, "\uFFFD\uFFFD"},
		{[]byte{0xF4, 0x90, 0x80, 0x80}, "\uFFFD\uFFFD\uFFFD\uFFFD"},
		{[]byte{0xE2, 0x82}, "\uFFFD"},
		{[]byte("héllo"), "héllo"},
	}
	for _, tt := range tests {
		if got := string(decodeUTF8Lossy(tt.in)); got != tt.want {
			t.Errorf("% x: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeBins(t *testing.T) {
	tests := []struct {
		bin, name, want string
	}{
		{`"./cli.js"`, "@s/tool", "tool=cli.js"},
		{`"./cli.js"`, "", ""},
		{`{"a":"x.js","b/../c":"../../y.js","..":"z.js","d\\e":"w\\v.js","f:g":"u.js","h":5,"":"q.js","i":"", "j": "./"}`, "p", "a=x.js c=y.js e=w/v.js g=u.js"},
		{`["bin/x.js","y"]`, "p", "x.js=bin/x.js y=y"},
		{`{"x":"a.js","sub/x":"b.js","2":"two","1":"one"}`, "p", "1=one 2=two x=b.js"},
		{`true`, "p", ""},
		{`{"dir":"lib/"}`, "p", "dir=lib/"},
	}
	for _, tt := range tests {
		v, err := parseJS([]byte(tt.bin))
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, b := range normalizeBins(v, tt.name) {
			parts = append(parts, fmt.Sprintf("%s=%s", b.name, b.target))
		}
		if got := strings.Join(parts, " "); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.bin, got, tt.want)
		}
	}
}

func TestPackageJSONFormat(t *testing.T) {
	tests := []struct{ in, indent, newline string }{
		{"{\n  \"a\": 1\n}\n", "  ", "\n"},
		{"{\r\n\t\"a\": 1\r\n}", "\t", "\r\n"},
		{"\uFEFF{\n    \"a\": 1}", "    ", "\n"},
		{`{"a":1}`, "", ""},
		{"{}\n", "", "\n"},
	}
	for _, tt := range tests {
		i, n := PackageJSONFormat([]byte(tt.in))
		if i != tt.indent || n != tt.newline {
			t.Errorf("%q: got %q %q, want %q %q", tt.in, i, n, tt.indent, tt.newline)
		}
	}
}

func TestHelpers(t *testing.T) {
	for loc, want := range map[string]string{
		"node_modules/a": "node_modules/.bin", "node_modules/@s/a": "node_modules/.bin",
		"node_modules/a/node_modules/@s/b": "node_modules/a/node_modules/.bin", "packages/w/node_modules/x": "packages/w/node_modules/.bin",
	} {
		if got := binDir(loc); got != want {
			t.Errorf("binDir(%q) = %q, want %q", loc, got, want)
		}
	}
	for spec, want := range map[string]bool{
		"^1.0.0": true, "latest": true, "npm:foo@1": true, "*": true, "": true,
		"file:../x": false, "../x": false, "git+https://x/y.git": false, "user/repo": false, "https://x/y.tgz": false, "github:a/b": false,
		// npa reads "~/" as a path, but "~1.3.8" (express's deps) as a range.
		"~1.3.8": true, "~0.1": true, ">=1 <2": true, "1.x || ^2": true, "NPM:foo@1": true,
		"~/x": false, "/abs": false, "./x": false, ".": false, "C:x": false, "x.tgz": false, "x.tar.gz": false,
		"git@github.com:a/b.git": false, "git://x/y.git": false, "gist:abc": false, "bitbucket:a/b": false,
	} {
		if got := isRegistrySpec(spec); got != want {
			t.Errorf("isRegistrySpec(%q) = %v", spec, got)
		}
	}
	for _, tt := range []struct {
		pat, loc string
		want     bool
	}{
		{"packages/*", "packages/a", true}, {"./packages/*/", "packages/a", true}, {"packages/*", "packages/a/b", false},
		{"apps/**", "apps/x/y", true}, {"packages/*", "packages/.hidden", false}, {"packages/a", "packages/a", true},
	} {
		if got := globMatch(tt.pat, tt.loc); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v", tt.pat, tt.loc, got)
		}
	}
}

// Under legacy-peer-deps npm has no peer edges, so a package the project
// needs only as a dev dependency and as someone's peer is "dev" (npm
// 11.19.1 writes it so with legacy-peer-deps=true); otherwise the peer
// edge from a prod package makes it prod.
func TestLegacyPeerDepsFlags(t *testing.T) {
	raw := map[string]json.RawMessage{
		"":                       json.RawMessage(`{"dependencies":{"react-dom":"18.3.1"},"devDependencies":{"react":"18.3.1"}}`),
		"node_modules/react-dom": json.RawMessage(`{"version":"18.3.1","peerDependencies":{"react":"^18.3.1"}}`),
		"node_modules/react":     json.RawMessage(`{"version":"18.3.1"}`),
	}
	entries, err := parseEntries(raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, legacy := range []bool{false, true} {
		g := buildGraph(entries, map[string]bool{"node_modules/react-dom": true, "node_modules/react": true}, legacy)
		if react := g.nodes["node_modules/react"]; react.dev != legacy || react.peer || react.extraneous {
			t.Errorf("legacyPeerDeps %v: react dev=%v peer=%v extraneous=%v", legacy, react.dev, react.peer, react.extraneous)
		}
	}
}
