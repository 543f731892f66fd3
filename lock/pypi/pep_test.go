package pypi

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
)

// The expectations in testdata/pep come from packaging 24.1 (gen_pep.py).

func TestVersionsMatchPackaging(t *testing.T) {
	data, err := os.ReadFile("testdata/pep/pep440.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Versions []struct {
			Version    string `json:"version"`
			Valid      bool   `json:"valid"`
			Normal     string `json:"normal"`
			Public     string `json:"public"`
			Prerelease bool   `json:"prerelease"`
		} `json:"versions"`
		Compare    [][3]any `json:"compare"`
		Specifiers []struct {
			Spec     string          `json:"spec"`
			Valid    bool            `json:"valid"`
			Contains map[string]bool `json:"contains"`
		} `json:"specifiers"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	parsed := map[string]Version{}
	for _, c := range f.Versions {
		v, err := ParseVersion(c.Version)
		if (err == nil) != c.Valid {
			t.Errorf("ParseVersion(%q): err = %v, packaging valid = %v", c.Version, err, c.Valid)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrBadVersion) {
				t.Errorf("ParseVersion(%q): %v does not match ErrBadVersion", c.Version, err)
			}
			continue
		}
		parsed[c.Version] = v
		if v.String() != c.Normal || v.Public() != c.Public || v.IsPrerelease() != c.Prerelease {
			t.Errorf("%q: String %q Public %q pre %v; packaging %q %q %v", c.Version, v, v.Public(), v.IsPrerelease(), c.Normal, c.Public, c.Prerelease)
		}
	}
	for _, c := range f.Compare {
		a, b, want := c[0].(string), c[1].(string), int(c[2].(float64))
		if got := parsed[a].Compare(parsed[b]); got != want {
			t.Errorf("Compare(%q, %q) = %d, packaging %d", a, b, got, want)
		}
	}
	for _, c := range f.Specifiers {
		s, err := ParseSpecifier(c.Spec)
		if (err == nil) != c.Valid {
			t.Errorf("ParseSpecifier(%q): err = %v, packaging valid = %v", c.Spec, err, c.Valid)
			continue
		}
		if err != nil {
			continue
		}
		for v, want := range c.Contains {
			if got := s.Contains(parsed[v]); got != want {
				t.Errorf("%q contains %q = %v, packaging %v", c.Spec, v, got, want)
			}
		}
	}
}

// stringFallback lists the markers where packaging 24.1 raises
// InvalidVersion and airlock follows PEP 508 instead: when one side is not
// a version, Python's string comparison decides.
var stringFallback = map[string]bool{
	`platform_release >= "5.0"`: true, // "6.1.0-13-amd64" >= "5.0" as strings
}

func TestMarkersMatchPackaging(t *testing.T) {
	data, err := os.ReadFile("testdata/pep/pep508.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Envs    []map[string]string `json:"envs"`
		Markers []struct {
			Marker     string `json:"marker"`
			ParseError string `json:"parse_error"`
			Results    []any  `json:"results"`
		} `json:"markers"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Markers {
		m, err := ParseMarker(c.Marker)
		if c.ParseError != "" {
			if err == nil || !errors.Is(err, ErrBadMarker) {
				t.Errorf("ParseMarker(%q) = %v, packaging raises %s", c.Marker, err, c.ParseError)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMarker(%q): %v", c.Marker, err)
			continue
		}
		for i, want := range c.Results {
			env := Environment{Markers: map[string]string{}}
			for k, v := range f.Envs[i] {
				if k != "extra" {
					env.Markers[k] = v
				}
			}
			got, err := m.Evaluate(env, f.Envs[i]["extra"])
			switch w := want.(type) {
			case bool:
				if err != nil || got != w {
					t.Errorf("%q in env %d = %v, %v; packaging %v", c.Marker, i, got, err, w)
				}
			case string:
				if w == "InvalidVersion" {
					if err != nil || got != stringFallback[c.Marker] {
						t.Errorf("%q in env %d = %v, %v; want the string comparison %v", c.Marker, i, got, err, stringFallback[c.Marker])
					}
					continue
				}
				if !errors.Is(err, ErrBadMarker) {
					t.Errorf("%q in env %d = %v, %v; packaging raises %s", c.Marker, i, got, err, w)
				}
			}
		}
	}
}

func TestMarkerSets(t *testing.T) {
	env := Environment{Markers: map[string]string{}, Extras: []string{"Fancy_Thing"}, DependencyGroups: []string{"dev"}}
	for marker, want := range map[string]bool{
		`"fancy-thing" in extras`:                          true,
		`"other" in extras`:                                false,
		`"other" not in extras`:                            true,
		`'dev' in dependency_groups`:                       true,
		`'docs' in dependency_groups`:                      false,
		`"dev" in dependency_groups or "x" in extras`:      true,
		`"dev" in dependency_groups and "x" in extras`:     false,
		`"Dev" in dependency_groups and "x" not in extras`: true,
	} {
		m, err := ParseMarker(marker)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.Evaluate(env, "")
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", marker, got, err, want)
		}
	}
	for _, bad := range []string{`extras == "x"`, `extras in "x"`, `"x" < dependency_groups`} {
		m, err := ParseMarker(bad)
		if err != nil {
			continue
		}
		if _, err := m.Evaluate(env, ""); !errors.Is(err, ErrBadMarker) {
			t.Errorf("%s: err = %v, want ErrBadMarker", bad, err)
		}
	}
}

func TestMarkerErrors(t *testing.T) {
	for _, bad := range []string{
		`python_version < '3\x'`, // backslash: refused rather than guessed
		"python_version < '3.8' and " + string(make([]byte, MaxMarkerLength)),
		deepParens(maxMarkerDepth + 2),
	} {
		if _, err := ParseMarker(bad); !errors.Is(err, ErrBadMarker) {
			t.Errorf("ParseMarker(%.40q): err = %v", bad, err)
		}
	}
	if _, err := ParseMarker(deepParens(maxMarkerDepth - 2)); err != nil {
		t.Errorf("nesting within the limit: %v", err)
	}
	m, _ := ParseMarker(`python_version < "3.12"`)
	if _, err := m.Evaluate(Environment{}, ""); !errors.Is(err, ErrBadMarker) {
		t.Errorf("missing variable: err = %v", err)
	}
	m, _ = ParseMarker(`"a" == "b"`)
	if _, err := m.Evaluate(Environment{}, ""); !errors.Is(err, ErrBadMarker) {
		t.Errorf("two literals: err = %v", err)
	}
}

func deepParens(n int) string {
	s := `os_name == "posix"`
	for range n {
		s = "(" + s + ")"
	}
	return s
}
