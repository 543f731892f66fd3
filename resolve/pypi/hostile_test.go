package pypi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestMaxNodes: METADATA is the index's. A Requires-Dist naming 30,000
// extras, or 20,000 projects, is refused with ErrTooComplex at once; the
// search copied its state, which grows with the nodes, on every round,
// and ran for over ten minutes.
func TestMaxNodes(t *testing.T) {
	var extras, projects []string
	p := map[string][]rel{}
	for i := 0; i < 30000; i++ {
		extras = append(extras, fmt.Sprint("x", i))
		n := fmt.Sprint("p", i)
		projects = append(projects, n)
		p[n] = []rel{{version: "1.0"}}
	}
	p["a"] = []rel{{version: "1.0", deps: []string{"b[" + strings.Join(extras, ",") + "]"}}}
	p["b"] = []rel{{version: "1.0", extras: extras}}
	p["c"] = []rel{{version: "1.0", deps: projects}}
	for _, top := range []string{"a", "c"} {
		start := time.Now()
		_, err := Resolve(context.Background(), newIndex(p), reqs(t, top), Options{Env: testEnv(), Now: now})
		if !errors.Is(err, ErrTooComplex) || !strings.Contains(err.Error(), top+" 1.0 requires more than 5000 projects and extras") {
			t.Errorf("%s: err = %v", top, err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("%s: took %v", top, d)
		}
	}
	// A thousand projects, more than real resolutions need, resolve.
	p["d"] = []rel{{version: "1.0", deps: projects[:999]}}
	res, err := Resolve(context.Background(), newIndex(p), reqs(t, "d"), Options{Env: testEnv(), Now: now})
	if err != nil || len(res.Pins) != 1000 {
		t.Fatalf("1,000 projects: %v", err)
	}
}
