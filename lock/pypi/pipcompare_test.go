package pypi

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRequirementsMatchPip compares ParseRequirementsEnv with what pip
// 23.2.1's own parse_requirements read from the same files
// (testdata/requirements/gen_pip.py): names, specifiers, extras, markers,
// hashes, constraint flags, and the file and line of every entry.
func TestRequirementsMatchPip(t *testing.T) {
	data, err := os.ReadFile("testdata/requirements/pip-23.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Files map[string]struct {
			Error        string `json:"error"`
			Requirements []struct {
				Name       string   `json:"name"`
				Specifier  string   `json:"specifier"`
				Extras     []string `json:"extras"`
				Marker     string   `json:"marker"`
				Hashes     []string `json:"hashes"`
				Constraint bool     `json:"constraint"`
				ComesFrom  string   `json:"comes_from"`
			} `json:"requirements"`
		} `json:"files"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Files) < 3 {
		t.Fatalf("only %d files", len(f.Files))
	}
	getenv := func(k string) string { return map[string]string{"TOKEN": "s3cret"}[k] }
	dir := "testdata/requirements"
	for file, want := range f.Files {
		t.Run(file, func(t *testing.T) {
			lk, err := ParseRequirementsEnv(filepath.Join(dir, file), os.ReadFile, getenv)
			if want.Error != "" {
				if err == nil {
					t.Fatalf("pip raised %s; parsed", want.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var reqs, cons []reqLine
			for _, d := range lk.Dists {
				reqs = append(reqs, reqLine{Dist: d})
			}
			cons = lk.constraints
			for _, w := range want.Requirements {
				var got reqLine
				if w.Constraint {
					if len(cons) == 0 {
						t.Fatalf("constraint %s missing", w.Name)
					}
					got, cons = cons[0], cons[1:]
				} else {
					if len(reqs) == 0 {
						t.Fatalf("requirement %s missing", w.Name)
					}
					got, reqs = reqs[0], reqs[1:]
				}
				spec := got.specs.String()
				if !w.Constraint {
					op := "=="
					if got.Arbitrary {
						op = "==="
					}
					spec = op + got.Version
				}
				extras := slices.Clone(got.Extras)
				slices.Sort(extras)
				var hashes []string
				for _, h := range got.Hashes {
					hashes = append(hashes, h.String())
				}
				slices.Sort(hashes)
				file, line, _ := strings.Cut(strings.TrimPrefix(got.Source, dir+"/"), ":")
				from := fmt.Sprintf("%s %s (line %s)", map[bool]string{true: "-c", false: "-r"}[w.Constraint], file, line)
				if got.Name != w.Name || spec != w.Specifier || !slices.Equal(extras, nonNil(w.Extras)) ||
					squash(got.Marker) != squash(w.Marker) || !slices.Equal(hashes, nonNil(w.Hashes)) ||
					from != filepath.Clean(strings.SplitN(w.ComesFrom, " ", 2)[0]+" "+cleanFrom(w.ComesFrom)) {
					t.Errorf("got %s %s %v %q %v %s\npip %s %s %v %q %v %s", got.Name, spec, extras, got.Marker, hashes, from,
						w.Name, w.Specifier, w.Extras, w.Marker, w.Hashes, w.ComesFrom)
				}
			}
			if len(reqs) > 0 || len(cons) > 0 {
				t.Errorf("entries pip does not have: %v %v", reqs, cons)
			}
		})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cleanFrom normalises pip's "-r inc-sub/../inc-base2.txt (line 2)" to
// "inc-base2.txt (line 2)": airlock cleans joined include paths.
func cleanFrom(s string) string {
	_, rest, _ := strings.Cut(s, " ")
	file, line, _ := strings.Cut(rest, " (")
	return filepath.Clean(file) + " (" + line
}

// squash drops spaces so that pip's normalised marker text and the marker
// as written compare equal when only spacing differs.
func squash(s string) string { return strings.NewReplacer(" ", "", "'", `"`).Replace(s) }
