package npmrc

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

func envFunc(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// TestParseMatchesNPM replays inputs whose expected results were produced by
// npm's own ini and env-replace modules (testdata/gen-parse-golden.js).
func TestParseMatchesNPM(t *testing.T) {
	data, err := os.ReadFile("testdata/parse-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Env   map[string]string
		Cases []struct {
			Input  string
			Values map[string]struct {
				Value *string
				List  []string
			}
		}
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 50 {
		t.Fatalf("golden file has only %d cases", len(golden.Cases))
	}
	for _, tc := range golden.Cases {
		got, err := Parse([]byte(tc.Input), "test.npmrc", envFunc(golden.Env))
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.Input, err)
			continue
		}
		if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tc.Values)); !slices.Equal(g, w) {
			t.Errorf("Parse(%q) keys = %q, npm has %q", tc.Input, g, w)
			continue
		}
		for k, want := range tc.Values {
			g := got[k]
			if g.Source != "test.npmrc" {
				t.Errorf("Parse(%q)[%q].Source = %q", tc.Input, k, g.Source)
			}
			if want.List != nil {
				if !slices.Equal(g.List, want.List) {
					t.Errorf("Parse(%q)[%q].List = %q, npm has %q", tc.Input, k, g.List, want.List)
				}
				continue
			}
			if g.List != nil || want.Value == nil || g.Value != *want.Value {
				t.Errorf("Parse(%q)[%q] = %q (list %q), npm has %v", tc.Input, k, g.Value, g.List, deref(want.Value))
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestParseSourcesAndLimits(t *testing.T) {
	got, err := Parse([]byte("a=1\nb[]=x\nb[]=y\n"), "/p/.npmrc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got["a"].Source != "/p/.npmrc" || got["b"].Value != "y" {
		t.Errorf("got %+v", got)
	}
	big := []byte(strings.Repeat("a=b\n", MaxFileSize/4+1))
	if _, err := Parse(big, "/big", nil); err == nil || !strings.Contains(err.Error(), "/big") {
		t.Errorf("oversized file: err = %v, want ErrTooLarge naming the file", err)
	}
	// Invalid UTF-8 is replaced as Node's decoder does (checked with
	// Buffer.from([...]).toString("utf8")), not refused.
	got, err = Parse([]byte("a=\xff\xfe\xe2\x82A\n"), "f", nil)
	if err != nil || got["a"].Value != "\uFFFD\uFFFD\uFFFDA" {
		t.Errorf("invalid UTF-8: got %q, %v", got["a"].Value, err)
	}
}

func TestExpandEnv(t *testing.T) {
	env := envFunc(map[string]string{"A": "1", "E": "", "NESTED": "${A}"})
	tests := []struct{ in, want string }{
		{"${A}", "1"},
		{"${E}", ""},
		{"${U}", "${U}"},
		{"${U?}", ""},
		{"${A?}", "1"},
		{`\${A}`, "${A}"},
		{`\\${A}`, `\1`},
		{`\\\${A}`, `\${A}`},
		{`\\\\${A}`, `\\1`},
		{"x${A}y${A}z", "x1y1z"},
		{"${NESTED}", "${A}"}, // one pass only, like String.replace
		{"${}", "${}"},
		{"${A", "${A"},
		{"${A?x}", "${A?x}"},
		{"$${A}", "$1"},
		{"a\\b${A}", "a\\b1"},
	}
	for _, tt := range tests {
		if got := expandEnv(tt.in, env); got != tt.want {
			t.Errorf("expandEnv(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a=b", "a[]=1\na[]=2", "[s]\nk=v", `a="x\n"`, "a=${X}\\${Y}", "//h/:_authToken=${T?}", "\ufeffk=v;c",
		// Hostile shapes (TestHostileNpmrcFiles): CRLF, BOM, unset variables, http registries.
		"registry=http://evil.example/\r\n//registry.npmjs.org/:_authToken=${UNSET}\r\n",
		"\ufeff//registry.npmjs.org.evil.com/:_authToken=${T}\r\n@s:registry=https://u:p@s.example/\r\n",
		"//h/a/../b/:_authToken=x\n//h/%2e%2e/:_auth=y\n\\${T}=z"} {
		f.Add([]byte(s))
	}
	env := envFunc(map[string]string{"X": "x", "T": "secret"})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data, "fuzz", env)
		if err != nil {
			if len(data) <= MaxFileSize {
				t.Fatalf("Parse error on %d bytes: %v", len(data), err)
			}
			return
		}
		for k, v := range got {
			// npm allows an empty key (" =x", "\ufeff=x"); no key spans lines.
			if strings.ContainsAny(k, "\r\n") {
				t.Fatalf("bad key %q", k)
			}
			if v.Source != "fuzz" {
				t.Fatalf("key %q: Source %q", k, v.Source)
			}
			if v.List != nil && v.List[len(v.List)-1] != v.Value {
				t.Fatalf("key %q: Value %q is not the last list element of %q", k, v.Value, v.List)
			}
			if strings.ContainsAny(v.Value, "\r\n") && !strings.Contains(string(data), `\n`) && !strings.Contains(string(data), `\r`) {
				t.Fatalf("key %q: line break %q without a JSON escape in input", k, v.Value)
			}
		}
		again, _ := Parse(data, "fuzz", env)
		if len(again) != len(got) {
			t.Fatal("Parse is not deterministic")
		}
	})
}
