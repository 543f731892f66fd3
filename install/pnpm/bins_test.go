package pnpm

import (
	"reflect"
	"testing"
)

// TestCommandsHostileBins: like @pnpm/package-bins, bin names that
// encodeURIComponent would change (other than "$"), "." and "..", and
// paths that leave the package are skipped; scoped names lose the scope.
func TestCommandsHostileBins(t *testing.T) {
	m, err := readManifest([]byte(`{"name":"@s/pkg","version":"1.0.0","bin":{
		"ok":"cli.js", "../evil":"cli.js", "a/b":"cli.js", "..":"cli.js", "$":"dollar.js",
		"out":"../../../../etc/passwd", "abs":"/abs.js", "@x/scoped":"s.js", "sp ace":"cli.js", "deep":"bin/../cli.js"}}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := "node_modules/.pnpm/@s+pkg@1.0.0/node_modules/@s/pkg"
	var got []string
	for _, c := range (&builder{}).commands(m, dir, dir) {
		got = append(got, c.name+"="+c.src)
	}
	want := []string{"ok=" + dir + "/cli.js", "$=" + dir + "/dollar.js", "abs=" + dir + "/abs.js", "scoped=" + dir + "/s.js", "deep=" + dir + "/cli.js"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("commands:\n got %q\nwant %q", got, want)
	}
	// A string bin names the package's own command, without its scope
	// (and, as in pnpm, is then not "named like its package").
	m, _ = readManifest([]byte(`{"name":"@s/tool","version":"1.0.0","bin":"./t.js"}`))
	if c := (&builder{}).commands(m, "x", "x"); len(c) != 1 || c[0].name != "tool" || c[0].src != "x/t.js" || c[0].ownName {
		t.Errorf("string bin: %+v", c)
	}
}

func TestScriptRuntimeAndShim(t *testing.T) {
	for _, tc := range []struct{ data, target, prog, args string }{
		{"#!/usr/bin/env node\nx", "a", "node", ""},
		{"#!/usr/bin/env -S node --no-warnings\n", "a", "node", " --no-warnings"},
		{"#!/bin/sh\r\n", "a", "/bin/sh", ""},
		{"\ufeff  #!/usr/bin/env node", "a", "node", ""},
		{"console.log(1)", "a.mjs", "node", ""},
		{"echo", "a.sh", "sh", ""},
		{"echo", "a", "", ""},
	} {
		if p, a := scriptRuntime([]byte(tc.data), tc.target); p != tc.prog || a != tc.args {
			t.Errorf("scriptRuntime(%q, %q) = %q, %q; want %q, %q", tc.data, tc.target, p, a, tc.prog, tc.args)
		}
	}
	// The shim for a target without a program runs it directly.
	if s := shShim("../x/run", "", "", "", false); s[len(s)-len("\"$basedir/../x/run\"   \"$@\"\nexit $?\n"):] != "\"$basedir/../x/run\"   \"$@\"\nexit $?\n" {
		t.Errorf("direct shim:\n%s", s)
	}
}
