package install

import "testing"

func TestRelPath(t *testing.T) {
	for _, tt := range []struct{ from, to, want string }{
		{"node_modules", "packages/a", "../packages/a"},
		{"node_modules/@x", "packages/b", "../../packages/b"},
		{"node_modules", "../lib", "../../lib"},
		{"node_modules/.bin", "node_modules/@s/n/cli.js", "../@s/n/cli.js"},
		{".", "packages/a", "packages/a"},
		{"packages/a/node_modules", ".", "../../.."},
		{"node_modules/.bin", "node_modules/.bin", ""},
	} {
		if got := RelPath(tt.from, tt.to); got != tt.want {
			t.Errorf("RelPath(%q, %q) = %q, want %q", tt.from, tt.to, got, tt.want)
		}
	}
}
