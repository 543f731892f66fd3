package bun

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// deepLockfile is a chain of nested keys a, a/a, a/a/a, ... depth deep
// whose deepest package has n optional dependencies no key resolves:
// each is looked up at every level on the way up.
func deepLockfile(depth, n int) []byte {
	var b strings.Builder
	b.WriteString(`{"lockfileVersion": 1, "workspaces": {"": {"dependencies": {"a": "1.0.0"}}}, "packages": {`)
	for i := 1; i <= depth; i++ {
		if i > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `%q: ["a@1.0.0", "", {"dependencies": {"a": "1.0.0"}`, strings.Repeat("a/", i-1)+"a")
		if i == depth {
			b.WriteString(`, "optionalDependencies": {`)
			for j := 0; j < n; j++ {
				if j > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `"x%d": "1"`, j)
			}
			b.WriteString("}")
		}
		b.WriteString(`}, "sha512-x"]`)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

// TestDeepKeysLinear: resolving a dependency costs the depth of its
// dependent, not the length of every ancestor key. Joining the ancestor
// keys for each lookup took minutes on this 700 kB lockfile; both
// linkers must finish it at once.
func TestDeepKeysLinear(t *testing.T) {
	lf, err := Parse(deepLockfile(1000, 10000))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Install) != 1000 {
		t.Errorf("%d packages installed, want the chain's 1,000", len(sel.Install))
	}
	if _, err := lf.SelectIsolated(Options{Platform: linux}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("selecting took %v", d)
	}
}
