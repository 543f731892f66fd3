package lock

import (
	"strings"
	"testing"
)

func TestNameProblem(t *testing.T) {
	for name, ok := range map[string]bool{
		"JSONStream": true, "@s/a": true, "a.b-c_d~e": true, "@types/node": true, strings.Repeat("a", 214): true,
		"": false, ".a": false, "-a": false, "_a": false, "node_modules": false, "Favicon.ico": false,
		"@s/node_modules": false, "@./a": false, "@../a": false, "@s/.a": false, "@/a": false, strings.Repeat("a", 215): false,
		"../a": false, "a/b": false, "a b": false, "@s/a/b": false, "a\\b": false, "@s/": false, "a%20": false,
	} {
		if why := NameProblem(name); (why == "") != ok {
			t.Errorf("NameProblem(%q) = %q, want ok=%v", name, why, ok)
		}
	}
}
