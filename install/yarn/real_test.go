package yarn

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/treecmp"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

// TestRealProjectLayout checks the hoister and the bin links on a real
// project of 535 packages (webpack, babel, express, react, eslint, jest,
// typescript-eslint, esbuild and rollup with their platform packages),
// against the tree yarn 1.22.22 made from it with the public registry's
// archives (testdata/real: see its README). The archives are not needed:
// manifests.json holds what yarn reads from each package.json, and the
// files its bins name.
func TestRealProjectLayout(t *testing.T) {
	dir := filepath.Join("testdata", "real")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	lf, err := lockyarn.Parse(read("yarn.lock"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := lockyarn.ReadManifest(read("package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := lockyarn.CheckInSync(lf, m); err != nil {
		t.Fatal(err)
	}
	var manifests map[string]json.RawMessage
	if err := json.Unmarshal(read("manifests.json"), &manifests); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name       string
		production bool
		suffix     string
	}{{"default", false, ""}, {"production", true, "-production"}} {
		t.Run(c.name, func(t *testing.T) {
			g, err := newGraph(lf, m, nil, c.production)
			if err != nil {
				t.Fatal(err)
			}
			files := map[*ref]map[string]bool{}
			for _, r := range g.list {
				raw := manifests[r.realName+"@"+r.version]
				if raw == nil {
					t.Fatalf("no manifest for %s@%s", r.name, r.version)
				}
				var f struct{ Files []string }
				if err := json.Unmarshal(raw, &f); err != nil {
					t.Fatal(err)
				}
				files[r] = map[string]bool{}
				for _, x := range f.Files {
					files[r][x] = true
				}
				list := func(d string) []string {
					var out []string
					for x := range files[r] {
						if path.Dir(x) == d {
							out = append(out, path.Base(x))
						}
					}
					return out
				}
				if err := r.parseManifest(raw, false, list); err != nil {
					t.Fatal(err)
				}
			}
			res := &Result{}
			flat, err := layout(g, m, c.production, Platform{OS: "linux", CPU: "x64"}, res)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			owner := map[string]*ref{}
			for _, p := range flat {
				p.info.ref.locations = append(p.info.ref.locations, p.loc)
				owner[p.loc] = p.info.ref
				got = append(got, p.loc+" "+p.info.ref.realName+"@"+p.info.ref.version)
			}
			sort.Strings(got)
			if d := treecmp.DiffListings(lines(read("layout"+c.suffix+".txt")), got); d != "" {
				t.Errorf("layout differs from yarn's (- yarn, + airlock):\n%s", d)
			}
			links, err := planBins(g, flat, func(loc string) (bool, error) {
				for p := loc; p != "." && p != "/"; p = path.Dir(p) {
					if r := owner[p]; r != nil {
						return files[r][strings.TrimPrefix(loc, p+"/")], nil
					}
				}
				return false, fmt.Errorf("%s is in no package", loc)
			})
			if err != nil {
				t.Fatal(err)
			}
			final := map[string]string{}
			for _, l := range links {
				final[l.dir+"/"+l.name] = install.RelPath(l.dir, l.target)
			}
			var gotBins []string
			for k, v := range final {
				gotBins = append(gotBins, k+" -> "+v)
			}
			sort.Strings(gotBins)
			if d := treecmp.DiffListings(lines(read("bins"+c.suffix+".txt")), gotBins); d != "" {
				t.Errorf("bin links differ from yarn's (- yarn, + airlock):\n%s", d)
			}
		})
	}
}

func lines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out
}
