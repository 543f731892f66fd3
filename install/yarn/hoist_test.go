package yarn

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

// randomProject writes a yarn.lock and package.json for a random graph:
// up to 12 names with up to 3 versions each, every version depending on
// a few exact versions of other names (cycles included).
func randomProject(rng *rand.Rand) (lock string, root *lockyarn.Manifest) {
	names := rng.Intn(10) + 3
	versions := make([]int, names)
	for i := range versions {
		versions[i] = rng.Intn(3) + 1
	}
	var sb strings.Builder
	sb.WriteString("# yarn lockfile v1\n\n")
	for n := 0; n < names; n++ {
		for v := 1; v <= versions[n]; v++ {
			fmt.Fprintf(&sb, "p%d@%d.0.0:\n  version \"%d.0.0\"\n  resolved \"https://registry.yarnpkg.com/p%d/-/p%d-%d.0.0.tgz\"\n  integrity sha512-AAAA\n", n, v, v, n, n, v)
			deps := map[int]int{}
			for k := rng.Intn(4); k > 0; k-- {
				d := rng.Intn(names)
				if d != n {
					deps[d] = rng.Intn(versions[d]) + 1
				}
			}
			if len(deps) > 0 {
				sb.WriteString("  dependencies:\n")
				for d := 0; d < names; d++ {
					if dv, ok := deps[d]; ok {
						fmt.Fprintf(&sb, "    p%d \"%d.0.0\"\n", d, dv)
					}
				}
			}
			sb.WriteString("\n")
		}
	}
	root = &lockyarn.Manifest{}
	for n := 0; n < names; n++ {
		if rng.Intn(3) == 0 {
			kind := lockyarn.Prod
			if rng.Intn(3) == 0 {
				kind = lockyarn.Dev
			}
			root.Deps = append(root.Deps, lockyarn.RootDep{Dep: lockyarn.Dep{Name: fmt.Sprintf("p%d", n), Range: fmt.Sprintf("%d.0.0", rng.Intn(versions[n])+1)}, Kind: kind})
		}
	}
	return sb.String(), root
}

// TestHoistResolves checks the property yarn's hoister exists for, on
// random graphs: from every installed package, Node's module resolution
// (the package's node_modules, then each enclosing node_modules) finds
// exactly the version each dependency is locked to, and from the root,
// each root dependency's. Under --production every package a
// production dependency needs is there.
func TestHoistResolves(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	tooDeep := 0
	defer func() { t.Logf("%d layouts refused as too deep", tooDeep) }()
	for i := 0; i < 300; i++ {
		text, root := randomProject(rng)
		lf, err := lockyarn.Parse([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		for _, production := range []bool{false, true} {
			g, err := newGraph(lf, root, nil, production)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range g.list {
				if err := r.parseManifest([]byte(`{}`), false, nil); err != nil {
					t.Fatal(err)
				}
			}
			flat, err := layout(g, root, production, Platform{OS: "linux", CPU: "x64"}, &Result{})
			if errors.Is(err, ErrTooDeep) {
				tooDeep++
				if tooDeep == 1 {
					t.Logf("graph %d: %v\n%s\nroot %+v", i, err, text, root.Deps)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			at := map[string]*ref{}
			for _, p := range flat {
				if at[p.loc] != nil {
					t.Fatalf("two packages at %s", p.loc)
				}
				at[p.loc] = p.info.ref
			}
			// find is Node's resolution of name from the package at loc.
			find := func(loc, name string) *ref {
				if r := at[loc+"/node_modules/"+name]; r != nil {
					return r
				}
				segs := strings.Split(loc, "/")
				for k := len(segs) - 1; k >= 0; k-- {
					if segs[k] == "node_modules" {
						if r := at[strings.Join(segs[:k+1], "/")+"/"+name]; r != nil {
							return r
						}
					}
				}
				return nil
			}
			fail := func(format string, args ...any) {
				t.Fatalf("graph %d (production %v): %s\nlockfile:\n%s\nroot: %+v\nlayout: %v", i, production, fmt.Sprintf(format, args...), text, root.Deps, flat)
			}
			for _, d := range root.Deps {
				if production && d.Kind == lockyarn.Dev {
					continue
				}
				want := g.resolve(d.Pattern())
				if got := at["node_modules/"+d.Name]; got != want {
					fail("root dependency %s: got %v", d.Pattern(), got)
				}
			}
			for _, p := range flat {
				for _, dp := range p.info.ref.deps {
					want := g.resolve(dp)
					if got := find(p.loc, want.name); got != want {
						fail("%s at %s needs %s, resolves %v", p.info.ref.name, p.loc, dp, got)
					}
				}
			}
		}
	}
}
