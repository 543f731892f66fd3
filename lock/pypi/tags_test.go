package pypi

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// tagFixture is one case of testdata/tags/packaging-24.1.json, written by
// gen_tags.py from the real packaging library.
type tagFixture struct {
	Name     string         `json:"name"`
	Impl     string         `json:"impl"`
	Version  [2]int         `json:"version"`
	Platform string         `json:"platform"`
	Is32     bool           `json:"is32"`
	ABIOK    bool           `json:"abi_ok"`
	Glibc    [2]int         `json:"glibc"`
	Musl     *[2]int        `json:"musl"`
	Mac      *[2]int        `json:"mac"`
	Arch     string         `json:"arch"`
	Config   map[string]any `json:"config"`
	Refcount bool           `json:"refcount"`
	ABIs     []string       `json:"abis"`
	Plats    []string       `json:"platforms"`
	Tags     []string       `json:"tags"`
}

func loadTagFixtures(t *testing.T) []tagFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/tags/packaging-24.1.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Packaging string       `json:"packaging"`
		Cases     []tagFixture `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	return f.Cases
}

func cfgBool(c map[string]any, k string) *bool {
	v, ok := c[k].(float64)
	if !ok {
		return nil
	}
	b := v != 0
	return &b
}

// TestTagsMatchPackaging computes ABIs, platforms and the full tag order
// from each fixture's raw facts and compares every step with packaging.
func TestTagsMatchPackaging(t *testing.T) {
	for _, c := range loadTagFixtures(t) {
		t.Run(c.Name, func(t *testing.T) {
			var abis []string
			if c.Impl == "cp" {
				abis = CPythonABIs(c.Version, cfgBool(c.Config, "Py_DEBUG"), cfgBool(c.Config, "Py_GIL_DISABLED"), cfgBool(c.Config, "WITH_PYMALLOC"), c.Refcount)
			} else {
				ext, _ := c.Config["EXT_SUFFIX"].(string)
				var err error
				if abis, err = GenericABIs(ext); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(abis, c.ABIs) {
				t.Fatalf("ABIs = %v, packaging %v", abis, c.ABIs)
			}
			var plats []string
			switch {
			case c.Mac != nil:
				plats = MacPlatforms(*c.Mac, c.Arch)
			case len(c.Platform) > 5 && c.Platform[:5] == "linux":
				musl := [2]int{}
				if c.Musl != nil {
					musl = *c.Musl
				}
				plats = LinuxPlatforms(c.Platform, c.Is32, c.ABIOK, c.Glibc, musl)
			default:
				plats = []string{normalizeTagString(c.Platform)}
			}
			if !slices.Equal(plats, c.Plats) {
				t.Fatalf("platforms = %v\npackaging = %v", plats, c.Plats)
			}
			got := SysTags(TagFacts{Implementation: c.Impl, PythonVersion: c.Version, ABIs: abis, Platforms: plats})
			want := dedupStrings(c.Tags)
			if len(got) != len(want) {
				t.Errorf("%d tags, packaging %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i].String() != want[i] {
					t.Fatalf("tag %d = %s, packaging %s", i, got[i], want[i])
				}
			}
		})
	}
}

func dedupStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func TestManylinuxABICompatible(t *testing.T) {
	for _, c := range []struct {
		archs       []string
		armhf, i386 bool
		want        bool
	}{
		{[]string{"x86_64"}, false, false, true},
		{[]string{"i686"}, false, true, true},
		{[]string{"i686"}, false, false, false},
		{[]string{"armv8l", "armv7l"}, true, false, true},
		{[]string{"armv7l"}, false, false, false},
		{[]string{"mips"}, false, false, false},
		{[]string{"riscv64"}, false, false, true},
	} {
		if got := ManylinuxABICompatible(c.archs, c.armhf, c.i386); got != c.want {
			t.Errorf("%v armhf=%v i386=%v: %v", c.archs, c.armhf, c.i386, got)
		}
	}
	if got := LinuxArchs("linux-aarch64", true); !slices.Equal(got, []string{"armv8l", "armv7l"}) {
		t.Errorf("LinuxArchs = %v", got)
	}
}

func TestParseTag(t *testing.T) {
	got, err := ParseTag("py2.py3-none-any")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "py2-none-any" || got[1].String() != "py3-none-any" {
		t.Errorf("got %v", got)
	}
	got, _ = ParseTag("cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")
	if len(got) != 2 || got[1].Platform != "manylinux2014_x86_64" {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"py3-none", "py3--any", "py3-none-any-x", ".py3-none-any", ""} {
		if _, err := ParseTag(bad); err == nil {
			t.Errorf("ParseTag(%q) succeeded", bad)
		}
	}
}
