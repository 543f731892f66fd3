package npmrc

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

// configOf builds a Config from settings as if they came from one file.
func configOf(t testing.TB, settings map[string]string) *Config {
	t.Helper()
	c := &Config{values: map[string]Value{}, home: "/home/u", cwd: "/work"}
	for k, v := range settings {
		c.values[k] = Value{Value: v, Source: "/test/.npmrc", redact: redactionFor(k)}
	}
	return c
}

// TestAuthForMatchesNPM replays cases whose expected headers were computed by
// npm-registry-fetch's own lib/auth.js (testdata/gen-auth-golden.js).
func TestAuthForMatchesNPM(t *testing.T) {
	data, err := os.ReadFile("testdata/auth-golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Config   map[string]string
		Registry string
		URI      string
		Header   *string
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	for _, tc := range cases {
		settings := map[string]string{"registry": tc.Registry}
		for k, v := range tc.Config {
			settings[k] = v
		}
		got, ok := configOf(t, settings).AuthFor(tc.URI)
		want := ""
		if tc.Header != nil {
			want = *tc.Header
		}
		if got != want || ok != (tc.Header != nil) {
			t.Errorf("AuthFor(%q) with %v = %q, %v; npm sends %q", tc.URI, tc.Config, got, ok, want)
		}
	}
}

// Cases where airlock is deliberately stricter than npm, or that need a
// scope registry (npm passes the package spec; AuthFor only has the URL).
func TestAuthForBeyondNPM(t *testing.T) {
	c := configOf(t, map[string]string{
		"registry":                         "https://registry.npmjs.org/",
		"//reg.example/:_authToken":        "T",
		"@corp:registry":                   "https://corp.example/npm/",
		"//corp.example/npm/:_authToken":   "CORP",
		"@other:registry":                  "https://other.example/",
		"//other.example/:_authToken":      "${UNSET}",
		"//cdn.example/:_authToken":        "false",
		"//files.example/:_password":       "cGFzcw==",
		"//files.example/:username":        "null",
		"//registry.npmjs.org/:_authToken": "NPM",
	})
	tests := []struct {
		url, want string
	}{
		// npm sends credentials over http:// too; airlock never does.
		{"http://reg.example/x", ""},
		{"ftp://reg.example/x", ""},
		{"//reg.example/x", ""},
		{"not a url", ""},
		// A tarball on a scope registry's host outside its path gets the
		// scope registry's credential, as npm does for that scope's packages.
		{"https://corp.example/files/x.tgz", "Bearer CORP"},
		{"https://corp.example/npm/@corp/x/-/x-1.0.0.tgz", "Bearer CORP"},
		// Literal "${UNSET}" is what npm sends; Load warns about it.
		{"https://other.example/x", "Bearer ${UNSET}"},
		{"https://cdn.example/x", ""},
		{"https://files.example/x", ""},
		{"https://registry.npmjs.org/x", "Bearer NPM"},
		{"https://evil.example/https://reg.example/", ""},
		{"https://reg.example@evil.example/", ""},
	}
	for _, tt := range tests {
		got, ok := c.AuthFor(tt.url)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("AuthFor(%q) = %q, %v; want %q", tt.url, got, ok, tt.want)
		}
	}
}

// FuzzAuthForStaysOnItsHost checks the one property that matters most: a
// credential is only ever returned for a URL on the host it was configured
// for.
func FuzzAuthForStaysOnItsHost(f *testing.F) {
	for _, s := range []string{"https://reg.example/x", "https://reg.example:443/a/../b", "https://REG.example./x",
		"https://reg.example@evil.example/", "https://evil.example/reg.example/", "https://[::1]/", "https://reg.example%2f@x/",
		"https://reg.example.evil.com/npm/", "https://reg.example/npm/../x", "https://reg.example/npm%2f..%2fx", "https://s.example:8443.evil.com/",
		"https://s.example:443/", "http://reg.example/npm/"} {
		f.Add(s)
	}
	c := configOf(f, map[string]string{
		"registry":                      "https://reg.example/npm/",
		"//reg.example/npm/:_authToken": "T",
		"@s:registry":                   "https://s.example:8443/",
		"//s.example:8443/:_auth":       "QQ==",
	})
	f.Fuzz(func(t *testing.T, raw string) {
		h, ok := c.AuthFor(raw)
		if !ok {
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("credential %q for unparsable %q", h, raw)
		}
		want := map[string]string{"Bearer T": "reg.example", "Basic QQ==": "s.example:8443"}[h]
		if hostKey(u) != want || !strings.EqualFold(u.Scheme, "https") {
			t.Fatalf("credential %q for %q (host %q), configured for %q", h, raw, hostKey(u), want)
		}
	})
}
