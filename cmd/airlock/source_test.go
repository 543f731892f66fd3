package main

import "testing"

func TestShowSource(t *testing.T) {
	for in, want := range map[string]string{
		"git+ssh://git@github.com/a/b.git#0123abc":                "git+ssh://git@github.com/a/b.git#0123abc",
		"git+https://ghp_SECRET:x-oauth-basic@github.com/a/b.git": "git+https://REDACTED@github.com/a/b.git",
		"git+https://ghp_SECRET@github.com/a/b.git#v1":            "git+https://REDACTED@github.com/a/b.git#v1",
		"https://cdn.example/x.tgz?sig=SECRET&exp=1":              "https://cdn.example/x.tgz?exp=REDACTED&sig=REDACTED",
		"file:../x.tgz": "file:../x.tgz",
	} {
		if got := showSource(in); got != want {
			t.Errorf("showSource(%q) = %q, want %q", in, got, want)
		}
	}
}
