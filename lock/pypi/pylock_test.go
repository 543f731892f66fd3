package pypi

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestPylockH11 reads the pylock.toml PDM wrote for python-hyper/h11 (a
// fork at Fuyukai/h11): dependency groups selected through
// "'dev' in dependency_groups" markers, default-groups = ["default"].
func TestPylockH11(t *testing.T) {
	data, err := os.ReadFile("testdata/pylock/h11.pylock.toml")
	if err != nil {
		t.Fatal(err)
	}
	lk, err := ParsePylock(data)
	if err != nil {
		t.Fatal(err)
	}
	if lk.RequiresPython != ">=3.10" || !slices.Equal(lk.DefaultGroups, []string{"default"}) || len(lk.Environments) != 1 {
		t.Errorf("top level: %+v", lk)
	}
	env := linuxEnv() // Python 3.11
	got, err := lk.Select(env)
	if err != nil {
		t.Fatal(err)
	}
	// The default group holds only typing-extensions (for Python < 3.12).
	if s := installedSet(got); !slices.Equal(s, []string{"typing-extensions==4.15.0"}) {
		t.Errorf("default groups: %v", s)
	}
	env.DependencyGroups = []string{"dev"}
	got, err = lk.Select(env)
	if err != nil {
		t.Fatal(err)
	}
	names := installedSet(got)
	for _, want := range []string{"pytest==8.4.2", "tox==4.32.0", "coverage==7.11.0", "ruff==0.14.2"} {
		if !slices.Contains(names, want) {
			t.Errorf("dev: %s missing from %v", want, names)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, "exceptiongroup==") || strings.HasPrefix(n, "tomli==") {
			t.Errorf("%s is for Python < 3.11 only", n)
		}
	}
	for _, d := range got {
		if len(d.Wheels) == 0 || d.Sdist == nil || Integrity(d.Wheels[0].Hashes) == "" {
			t.Errorf("%s: wheels %d sdist %v", d.Name, len(d.Wheels), d.Sdist)
		}
	}
	// A wheel is selected for this interpreter from the real file list.
	env = cp311Env()
	env.DependencyGroups = []string{"dev"}
	got, _ = lk.Select(env)
	for _, d := range got {
		if d.NormalizedName() == "ruff" {
			w, err := SelectWheel(d.Name, d.Wheels, env)
			if err != nil {
				t.Fatal(err)
			}
			if w.Filename != "ruff-0.14.2-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" {
				t.Errorf("ruff wheel %s", w.Filename)
			}
		}
	}
	env.DependencyGroups = []string{"docs"}
	if _, err := lk.Select(env); !errors.Is(err, ErrUnknownGroup) {
		t.Errorf("unknown group: %v", err)
	}
	env = linuxEnv()
	env.Markers["python_full_version"] = "3.9.1"
	env.Markers["python_version"] = "3.9"
	if _, err := lk.Select(env); !errors.Is(err, ErrEnvironment) {
		t.Errorf("python 3.9: %v", err)
	}
}

const pylockHead = `lock-version = "1.0"
created-by = "test"
`

const goodWheel = `
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
size = 11053
upload-time = 2021-05-05T14:18:17Z
hashes = { sha256 = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254" }
`

func TestPylockRefusals(t *testing.T) {
	for _, c := range []struct {
		name, text string
		parseErr   error
		selectErr  error
	}{
		{"vcs", pylockHead + `
[[packages]]
name = "six"
vcs = { type = "git", url = "https://github.com/x/six", commit-id = "0123456789abcdef0123456789abcdef01234567" }
`, nil, ErrUnsupported},
		{"directory", pylockHead + `
[[packages]]
name = "six"
directory = { path = "../six" }
`, nil, ErrUnsupported},
		{"archive", pylockHead + `
[[packages]]
name = "six"
archive = { url = "https://x.example/six.zip", hashes = { sha256 = "` + strings.Repeat("a", 64) + `" } }
`, nil, ErrUnsupported},
		{"vcs on another platform is fine", pylockHead + `
[[packages]]
name = "six"
marker = "sys_platform == 'win32'"
vcs = { type = "git", url = "https://github.com/x/six", commit-id = "0123456789abcdef0123456789abcdef01234567" }
`, nil, nil},
		{"lock-version 2", `lock-version = "2.0"`, ErrUnsupportedVersion, nil},
		{"no lock-version", `created-by = "x"`, ErrInvalidEntry, nil},
		{"newer minor", `lock-version = "1.9"
future-key = 1
`, nil, nil},
		{"no hash", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
hashes = {}
`, ErrNoHash, nil},
		{"only md5", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
hashes = { md5 = "d41d8cd98f00b204e9800998ecf8427e" }
`, ErrNoHash, nil},
		{"bad digest", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
[[packages.wheels]]
url = "https://files.example/six-1.16.0-py2.py3-none-any.whl"
hashes = { sha256 = "abc" }
`, ErrBadHash, nil},
		{"wheel of another project", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
[[packages.wheels]]
url = "https://files.example/evil-1.16.0-py2.py3-none-any.whl"
hashes = { sha256 = "` + strings.Repeat("a", 64) + `" }
`, ErrInvalidEntry, nil},
		{"name with a slash", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
[[packages.wheels]]
name = "../six-1.16.0-py2.py3-none-any.whl"
url = "https://files.example/x"
hashes = { sha256 = "` + strings.Repeat("a", 64) + `" }
`, ErrInvalidEntry, nil},
		{"nothing to install", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
`, ErrInvalidEntry, nil},
		{"bad name", pylockHead + `
[[packages]]
name = "-six"
`, ErrInvalidEntry, nil},
		{"bad marker", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
marker = "python_version <"` + goodWheel, ErrBadMarker, nil},
		{"two entries apply", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"` + goodWheel + `
[[packages]]
name = "six"
version = "1.16.0"` + goodWheel, nil, ErrConflict},
		{"environments", `lock-version = "1.0"
environments = ["sys_platform == 'win32'", "sys_platform == 'darwin'"]
`, nil, ErrEnvironment},
		{"package requires-python", pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
requires-python = ">=3.12"` + goodWheel, nil, ErrEnvironment},
		{"wrong type", `lock-version = 1`, ErrSyntax, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			lk, err := ParsePylock([]byte(c.text))
			if c.parseErr != nil || err != nil {
				if !errors.Is(err, c.parseErr) || c.parseErr == nil {
					t.Fatalf("parse err = %v, want %v", err, c.parseErr)
				}
				return
			}
			_, err = lk.Select(linuxEnv())
			if c.selectErr == nil {
				if err != nil {
					t.Fatalf("select: %v", err)
				}
				return
			}
			if !errors.Is(err, c.selectErr) {
				t.Fatalf("select err = %v, want %v", err, c.selectErr)
			}
		})
	}
}

func TestPylockArtifactFields(t *testing.T) {
	lk, err := ParsePylock([]byte(pylockHead + `
[[packages]]
name = "six"
version = "1.16.0"
index = "https://pypi.org/simple"
sdist = { path = "dist/six-1.16.0.tar.gz", hashes = { sha256 = "` + strings.Repeat("b", 64) + `" } }` + goodWheel))
	if err != nil {
		t.Fatal(err)
	}
	d := lk.Dists[0]
	w := d.Wheels[0]
	if w.Filename != "six-1.16.0-py2.py3-none-any.whl" || w.Size != 11053 || w.UploadTime != "2021-05-05T14:18:17Z" || d.Index != "https://pypi.org/simple" {
		t.Errorf("wheel %+v", w)
	}
	if d.Sdist == nil || d.Sdist.Path != "dist/six-1.16.0.tar.gz" || d.Sdist.Filename != "six-1.16.0.tar.gz" {
		t.Errorf("sdist %+v", d.Sdist)
	}
}
