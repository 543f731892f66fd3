package pypi

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func py312Env() Environment {
	env := linuxEnv()
	env.Markers["python_version"] = "3.12"
	env.Markers["python_full_version"] = "3.12.1"
	env.Markers["implementation_version"] = "3.12.1"
	return env
}

// uvOptionsFromArgs reads the uv sync flags the scenarios use.
func uvOptionsFromArgs(t *testing.T, args []string, defaults any) UVOptions {
	t.Helper()
	var o UVOptions
	switch d := defaults.(type) {
	case []any:
		o.DefaultGroups = []string{}
		for _, g := range d {
			o.DefaultGroups = append(o.DefaultGroups, g.(string))
		}
	case string:
		if d == "all" {
			o.AllGroups = true
		}
	}
	for i := 0; i < len(args); i++ {
		flag, val, hasVal := strings.Cut(args[i], "=")
		needVal := func() string {
			if hasVal {
				return val
			}
			i++
			return args[i]
		}
		switch flag {
		case "--extra":
			o.Extras = append(o.Extras, needVal())
		case "--all-extras":
			o.AllExtras = true
		case "--group":
			o.Groups = append(o.Groups, needVal())
		case "--no-group":
			o.NoGroups = append(o.NoGroups, needVal())
		case "--only-group":
			o.OnlyGroups = append(o.OnlyGroups, needVal())
		case "--all-groups":
			o.AllGroups = true
		case "--no-dev":
			o.NoDev = true
		case "--no-default-groups":
			o.NoDefaultGroups = true
		case "--package":
			if o.Package != "" {
				t.Skip("several --package flags")
			}
			o.Package = needVal()
		case "--all-packages":
			o.AllPackages = true
		case "--only-dev":
			o.OnlyGroups = append(o.OnlyGroups, "dev")
		case "--reinstall", "--no-cache", "--no-build", "--no-install-project":
			// Change how uv installs, not what.
		case "--inexact":
			t.Skip("--inexact keeps packages from earlier syncs")
		default:
			t.Fatalf("scenario uses flag %s this test does not map", flag)
		}
	}
	return o
}

func installedSet(dists []Dist) []string {
	var out []string
	for _, d := range dists {
		out = append(out, d.NormalizedName()+"=="+d.Version)
	}
	slices.Sort(out)
	return out
}

// TestUVScenarios replays uv's own lock-and-sync tests: for each uv.lock uv
// wrote and each `uv sync --frozen` it ran, Select must pick exactly the
// packages uv installed, or refuse where uv refused.
func TestUVScenarios(t *testing.T) {
	data, err := os.ReadFile("testdata/uvlock/uv-scenarios.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Scenarios []struct {
			Test          string `json:"test"`
			Python        string `json:"python"`
			DefaultGroups any    `json:"default_groups"`
			Lock          string `json:"lock"`
			Runs          []struct {
				Args         []string `json:"args"`
				Installed    []string `json:"installed"`
				NotFromIndex []string `json:"not_from_index"`
				Error        bool     `json:"error"`
			} `json:"runs"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Scenarios) < 5 {
		t.Fatalf("only %d scenarios", len(f.Scenarios))
	}
	for _, sc := range f.Scenarios {
		for _, run := range sc.Runs {
			t.Run(sc.Test+"/"+strings.Join(run.Args, " "), func(t *testing.T) {
				lk, err := ParseUVLock([]byte(sc.Lock), uvOptionsFromArgs(t, run.Args, sc.DefaultGroups))
				var got []Dist
				if err == nil {
					env := py312Env()
					env.Markers["python_version"] = sc.Python
					env.Markers["python_full_version"] = sc.Python + ".0"
					got, err = lk.Select(env)
				}
				if run.Error {
					if err == nil {
						t.Fatalf("uv refused this; Select gave %v", installedSet(got))
					}
					return
				}
				if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrNoHash) {
					// airlock refuses git, URL, path and local-directory
					// sources, and files locked without a hash, that uv
					// installed; the refusal must name one of them.
					for _, nfi := range slices.Concat(run.NotFromIndex, run.Installed) {
						name, _, _ := strings.Cut(nfi, "==")
						if strings.Contains(err.Error(), "package "+name+" ") {
							return
						}
					}
					t.Fatalf("refused, but uv installed nothing the refusal names (%v %v): %v", run.NotFromIndex, run.Installed, err)
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, nfi := range run.NotFromIndex {
					if _, from, _ := strings.Cut(nfi, " from "); !strings.HasPrefix(from, "file://") {
						t.Errorf("uv installed %s and Select did not refuse it", nfi)
					}
				}
				want := run.Installed
				if want == nil {
					want = []string{}
				}
				if gotSet := installedSet(got); !slices.Equal(gotSet, want) && !(len(gotSet) == 0 && len(want) == 0) {
					t.Errorf("Select = %v, uv installed %v", gotSet, want)
				}
			})
		}
	}
}

// TestUVLockClick reads pallets/click's real uv.lock (forks with version-
// and source-qualified dependencies, eight dependency groups).
func TestUVLockClick(t *testing.T) {
	data, err := os.ReadFile("testdata/uvlock/click.uv.lock")
	if err != nil {
		t.Fatal(err)
	}
	// click's pyproject.toml: [tool.uv] default-groups = ["dev", "pre-commit", "tests", "typing"].
	defaults := []string{"dev", "pre-commit", "tests", "typing"}
	lk, err := ParseUVLock(data, UVOptions{DefaultGroups: defaults})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lk.Select(py312Env())
	if err != nil {
		t.Fatal(err)
	}
	names := installedSet(got)
	for _, want := range []string{"pytest==", "mypy==", "pyright==", "ruff==", "tox==", "pre-commit=="} {
		if !slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("default groups: %s missing from %v", want, names)
		}
	}
	for _, d := range got {
		if d.NormalizedName() == "click" {
			t.Error("the project itself (editable) was selected")
		}
		if d.NormalizedName() == "sphinx" {
			t.Error("docs group selected without --group docs")
		}
		if len(d.Wheels) == 0 {
			t.Errorf("%s has no wheels", d.Name)
		}
	}
	// The docs group forks sphinx by Python version.
	for py, want := range map[string]string{"3.10.4": "sphinx==8.1.3", "3.11.2": "sphinx==9.0.4", "3.12.1": "sphinx==9.1.0"} {
		lk, err := ParseUVLock(data, UVOptions{OnlyGroups: []string{"docs"}})
		if err != nil {
			t.Fatal(err)
		}
		env := py312Env()
		env.Markers["python_full_version"] = py
		env.Markers["python_version"] = py[:4]
		got, err := lk.Select(env)
		if err != nil {
			t.Fatal(err)
		}
		names := installedSet(got)
		if !slices.Contains(names, want) {
			t.Errorf("python %s: %s missing from %v", py, want, names)
		}
		if slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, "pytest==") }) {
			t.Errorf("--only-group docs installed pytest")
		}
	}
	// requires-python = ">=3.10"
	env := py312Env()
	env.Markers["python_full_version"] = "3.9.18"
	if _, err := lk.Select(env); !errors.Is(err, ErrEnvironment) {
		t.Errorf("python 3.9: err = %v", err)
	}
	if _, err := ParseUVLock(data, UVOptions{Groups: []string{"nope"}}); err == nil {
		if _, err := mustUV(t, data, UVOptions{Groups: []string{"nope"}}).Select(py312Env()); !errors.Is(err, ErrUnknownGroup) {
			t.Errorf("unknown group: err = %v", err)
		}
	}
}

func mustUV(t *testing.T, data []byte, o UVOptions) *Lock {
	t.Helper()
	lk, err := ParseUVLock(data, o)
	if err != nil {
		t.Fatal(err)
	}
	return lk
}

const uvRoot = `version = 1
revision = 3
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "dep" },
]
`

func TestUVLockRefusals(t *testing.T) {
	for _, c := range []struct {
		name, body string
		parseErr   error
		selectErr  error
	}{
		{"git dependency", `
[[package]]
name = "dep"
version = "1.0"
source = { git = "https://github.com/x/dep?rev=v1#0123456789abcdef0123456789abcdef01234567" }
`, nil, ErrUnsupported},
		{"path dependency", `
[[package]]
name = "dep"
version = "1.0"
source = { directory = "../dep" }
`, nil, ErrUnsupported},
		{"url dependency", `
[[package]]
name = "dep"
version = "1.0"
source = { url = "https://x.example/dep-1.0.tar.gz" }
`, nil, ErrUnsupported},
		{"local registry", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "../wheels" }
wheels = [{ path = "dep-1.0-py3-none-any.whl", hash = "sha256:` + strings.Repeat("a", 64) + `" }]
`, nil, ErrUnsupported},
		{"no hash", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/dep-1.0-py3-none-any.whl" }]
`, nil, ErrNoHash},
		{"bad hash", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/dep-1.0-py3-none-any.whl", hash = "md5:abc" }]
`, ErrBadHash, nil},
		{"wheel of another project", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/evil-1.0-py3-none-any.whl", hash = "sha256:` + strings.Repeat("a", 64) + `" }]
`, ErrInvalidEntry, nil},
		{"wheel of another version", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/dep-2.0-py3-none-any.whl", hash = "sha256:` + strings.Repeat("a", 64) + `" }]
`, ErrInvalidEntry, nil},
		{"missing dependency", ``, ErrInvalidEntry, nil},
		{"two sources", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple", git = "https://x" }
`, ErrInvalidEntry, nil},
		{"ambiguous dependency", `
[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "dep"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
`, ErrInvalidEntry, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			lk, err := ParseUVLock([]byte(uvRoot+c.body), UVOptions{})
			if c.parseErr != nil {
				if !errors.Is(err, c.parseErr) {
					t.Fatalf("parse err = %v, want %v", err, c.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = lk.Select(linuxEnv())
			if !errors.Is(err, c.selectErr) {
				t.Fatalf("select err = %v, want %v", err, c.selectErr)
			}
			if !strings.Contains(err.Error(), "dep") {
				t.Errorf("error does not name the package: %v", err)
			}
		})
	}
}

// TestUVLockUnreachedRefusalsIgnored: a git source only another platform
// needs does not stop an install on this one.
func TestUVLockUnreachedRefusalsIgnored(t *testing.T) {
	lk, err := ParseUVLock([]byte(`version = 1
requires-python = ">=3.9"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "winonly", marker = "sys_platform == 'win32'" },
    { name = "dep", extra = ["fast"] },
]

[[package]]
name = "winonly"
version = "1.0"
source = { git = "https://github.com/x/winonly?rev=v1#0123456789abcdef0123456789abcdef01234567" }

[[package]]
name = "dep"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/dep-1.0-py3-none-any.whl", hash = "sha256:`+strings.Repeat("a", 64)+`", size = 10 }]

[package.optional-dependencies]
fast = [{ name = "speedup", marker = "platform_machine == 'x86_64'" }]

[[package]]
name = "speedup"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
wheels = [{ url = "https://files.example/speedup-2.0-cp311-cp311-manylinux_2_17_x86_64.whl", hash = "sha256:`+strings.Repeat("b", 64)+`" }]
`), UVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lk.Select(linuxEnv())
	if err != nil {
		t.Fatal(err)
	}
	if s := installedSet(got); !slices.Equal(s, []string{"dep==1.0", "speedup==2.0"}) {
		t.Errorf("got %v", s)
	}
	if !got[0].Requested || got[1].Requested {
		t.Errorf("Requested: %v %v", got[0].Requested, got[1].Requested)
	}
	if got[0].Wheels[0].Size != 10 || got[0].Index != "https://pypi.org/simple" || Integrity(got[0].Wheels[0].Hashes) == "" {
		t.Errorf("dep: %+v", got[0])
	}
	env := linuxEnv()
	env.Markers["sys_platform"] = "win32"
	if _, err := lk.Select(env); !errors.Is(err, ErrUnsupported) {
		t.Errorf("win32: err = %v", err)
	}
}

func TestUVLockVersions(t *testing.T) {
	if _, err := ParseUVLock([]byte("version = 2\n"), UVOptions{}); !errors.Is(err, ErrUnsupportedVersion) {
		t.Errorf("version 2: %v", err)
	}
	if _, err := ParseUVLock([]byte("lock-version = \"1.0\"\n"), UVOptions{}); !errors.Is(err, ErrInvalidEntry) {
		t.Errorf("no version: %v", err)
	}
	if _, err := ParseUVLock([]byte("version = [\n"), UVOptions{}); !errors.Is(err, ErrSyntax) {
		t.Errorf("bad toml: %v", err)
	}
}
