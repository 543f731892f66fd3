package npm

import (
	"strings"
	"testing"
)

// Expected values are minimatch's (npm 11.19's bundled copy), printed by
// minimatch(name, pattern) for each pair.
func TestGlobMatchLikeMinimatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"packages/*", "packages/a", true},
		{"packages/*", "packages/a/b", false},
		{"packages/*", "packages/.hidden", false},
		{"packages/**", "packages/a/b", true},
		{"packages/**", "packages", false},
		{"**/b", "b", true},
		{"**/b", "x/y/b", true},
		{"**/b", "x/.y/b", false},
		{"apps/*/pkg", "apps/web/pkg", true},
		{"apps/{web,api}", "apps/api", true},
		{"apps/{web,api}", "apps/cli", false},
		{"pkg-?", "pkg-1", true},
		{"pkg-[ab]", "pkg-c", false},
		{".config/*", ".config/x", true},
		{"a/**/b/**/c", "a/x/b/y/z/c", true},
		{"a/**/b/**/c", "a/b/c", true},
		{"**", "a", true},
		{"**", ".a", false},
		{"packages/**/*", "packages/a/b", true},
	} {
		if got := globMatch(tc.pattern, tc.name); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// A workspace pattern of many "**" against a deep key once took time
// exponential in the number of "**" (k=10: minutes). It must now finish at
// once; the test binary's timeout is the bound.
func TestGlobMatchManyDoubleStars(t *testing.T) {
	pattern := strings.Repeat("**/", 40) + "b"
	name := strings.Repeat("x/", 60) + "c"
	if globMatch(pattern, name) {
		t.Fatal("matched a name that does not end in b")
	}
	if !globMatch(pattern, strings.Repeat("x/", 60)+"b") {
		t.Fatal("did not match a name that ends in b")
	}
}
