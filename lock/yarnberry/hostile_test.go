package yarnberry

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// peerBomb is a lockfile where each of n parents virtualizes c (which
// has d dependencies and a peer dependency on x) with its own x, so no
// two virtual copies of c can be merged.
func peerBomb(n, d int) []byte {
	var b strings.Builder
	b.WriteString(header)
	entry := func(desc, name, version string, deps, peers []string) {
		fmt.Fprintf(&b, "%q:\n  version: %s\n  resolution: \"%s@npm:%s\"\n", desc, version, name, version)
		if len(deps) > 0 {
			b.WriteString("  dependencies:\n" + strings.Join(deps, ""))
		}
		if len(peers) > 0 {
			b.WriteString("  peerDependencies:\n" + strings.Join(peers, ""))
		}
		fmt.Fprintf(&b, "  checksum: 10c0/%s\n  languageName: node\n  linkType: hard\n\n", strings.Repeat("0", 128))
	}
	var rootDeps []string
	for i := 0; i < n; i++ {
		rootDeps = append(rootDeps, fmt.Sprintf("    p%d: \"npm:1.0.0\"\n", i))
	}
	b.WriteString("\"r@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"r@workspace:.\"\n  dependencies:\n" + strings.Join(rootDeps, "") + "  languageName: unknown\n  linkType: soft\n\n")
	for i := 0; i < n; i++ {
		entry(fmt.Sprintf("p%d@npm:1.0.0", i), fmt.Sprintf("p%d", i), "1.0.0", []string{"    c: \"npm:1.0.0\"\n", fmt.Sprintf("    x: \"npm:1.0.%d\"\n", i)}, nil)
		entry(fmt.Sprintf("x@npm:1.0.%d", i), "x", fmt.Sprintf("1.0.%d", i), nil, nil)
	}
	var cDeps []string
	for j := 0; j < d; j++ {
		cDeps = append(cDeps, fmt.Sprintf("    d%d: \"npm:1.0.0\"\n", j))
		entry(fmt.Sprintf("d%d@npm:1.0.0", j), fmt.Sprintf("d%d", j), "1.0.0", nil, nil)
	}
	entry("c@npm:1.0.0", "c", "1.0.0", cDeps, []string{"    x: \"*\"\n"})
	return []byte(b.String())
}

// TestPeerBomb: virtual packages copy their package's dependencies, and
// a small lockfile can make many (a 5.8 MB one took 6 GB of memory and
// minutes); past maxVirtualEdges the graph is refused.
func TestPeerBomb(t *testing.T) {
	lf, err := Parse(peerBomb(600, 4000))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := lf.Graph(linux); !errors.Is(err, ErrLockfile) || !strings.Contains(err.Error(), "more than 2097152 dependencies in all") {
		t.Errorf("err = %v", err)
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("took %v", d)
	}
	// A tenth of it is fine: 60 virtual copies of c.
	lf, err = Parse(peerBomb(60, 4000))
	if err != nil {
		t.Fatal(err)
	}
	g, err := lf.Graph(linux)
	if err != nil {
		t.Fatal(err)
	}
	virtual := 0
	for _, in := range g.Instances {
		if in.Virtual() {
			virtual++
		}
	}
	if virtual != 60 {
		t.Errorf("%d virtual packages, want 60", virtual)
	}
}
