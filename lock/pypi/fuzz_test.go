package pypi

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

// The fuzz targets check that no input panics, loops or yields an entry the
// package promises never to return.

func FuzzParseRequirements(f *testing.F) {
	f.Add([]byte("six==1.16.0 --hash=" + hA + "\n"))
	f.Add([]byte("-r requirements.txt\n"))
	f.Add([]byte("-c other.txt\nsix==1.16.0 \\\n  --hash=" + hA + " # c\n"))
	f.Add([]byte("numpy==1.26.4 ; python_version >= \"3.9\" --hash=" + hB + "\nnumpy==1.24.4 ; python_version < \"3.9\" --hash=" + hA))
	f.Add([]byte("-i https://${TOKEN}@x.example/simple\n--no-index\nfoo[bar]===1.0 --hash " + hC))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Every name reads the same bytes, so includes nest and cycle.
		read := func(string) ([]byte, error) { return data, nil }
		lk, err := ParseRequirements("requirements.txt", read)
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) && !errors.Is(err, ErrInclude) && !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrConflict) {
				t.Fatalf("error of an unexpected kind: %v", err)
			}
			return
		}
		for _, d := range lk.Dists {
			if len(d.Hashes) == 0 || d.Version == "" || !validName.MatchString(d.Name) {
				t.Fatalf("accepted %+v", d)
			}
			if !d.Arbitrary {
				if _, err := ParseVersion(d.Version); err != nil {
					t.Fatalf("accepted version %q", d.Version)
				}
			}
			if Integrity(d.Hashes) == "" {
				t.Fatalf("hashes without integrity: %v", d.Hashes)
			}
		}
		lk.Select(linuxEnv())
	})
}

func FuzzParsePylock(f *testing.F) {
	if data, err := os.ReadFile("testdata/pylock/h11.pylock.toml"); err == nil {
		f.Add(data[:min(len(data), 4096)])
	}
	f.Add([]byte(pylockHead + "[[packages]]\nname = \"six\"\nversion = \"1.16.0\"\nmarker = \"'dev' in dependency_groups\"" + goodWheel))
	f.Add([]byte(`lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.8"
[[packages]]
name = "x"
vcs = { type = "git", url = "https://x" }
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		lk, err := ParsePylock(data)
		if err != nil {
			return
		}
		for _, d := range lk.Dists {
			for _, w := range d.Wheels {
				if len(w.Hashes) == 0 || Integrity(w.Hashes) == "" {
					t.Fatalf("wheel without a usable hash: %+v", w)
				}
				if _, err := ParseWheelFilename(w.Filename); err != nil {
					t.Fatalf("accepted wheel name %q", w.Filename)
				}
				if strings.ContainsAny(w.Filename, "/\\") {
					t.Fatalf("file name with a separator: %q", w.Filename)
				}
			}
		}
		for _, groups := range [][]string{nil, {"dev"}} {
			env := linuxEnv()
			env.DependencyGroups = groups
			lk.Select(env)
		}
	})
}

func FuzzParseUVLock(f *testing.F) {
	if data, err := os.ReadFile("testdata/uvlock/uv-scenarios.json"); err == nil {
		var sc struct {
			Scenarios []struct {
				Lock string `json:"lock"`
			} `json:"scenarios"`
		}
		if json.Unmarshal(data, &sc) == nil {
			for i, s := range sc.Scenarios {
				if i%6 == 0 {
					f.Add([]byte(s.Lock))
				}
			}
		}
	}
	f.Add([]byte(uvRoot + "\n[[package]]\nname = \"dep\"\nversion = \"1.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range []UVOptions{{}, {AllExtras: true, AllGroups: true}, {OnlyGroups: []string{"dev"}}} {
			lk, err := ParseUVLock(data, o)
			if err != nil {
				continue
			}
			got, err := lk.Select(py312Env())
			if err != nil {
				continue
			}
			for _, d := range got {
				if d.refuse != nil {
					t.Fatalf("selected a refused entry: %v", d.refuse)
				}
				for _, w := range d.Wheels {
					if len(w.Hashes) == 0 {
						t.Fatalf("selected a wheel without a hash: %+v", w)
					}
				}
			}
		}
	})
}

func FuzzMarker(f *testing.F) {
	for _, s := range []string{
		`python_version < "3.12"`, `os_name == "nt" or (sys_platform == "linux" and platform_machine in "x86_64 aarch64")`,
		`extra == "Test_Extra"`, `"dev" in dependency_groups`, `platform_release >= "5.0"`, `python_version~='3.11'`,
		`python_version === '3.11'`, `((python_version < '3.12'))`, `python_full_version == "3.11.*"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMarker(s)
		if err != nil {
			if !errors.Is(err, ErrBadMarker) {
				t.Fatalf("error of an unexpected kind: %v", err)
			}
			return
		}
		env := linuxEnv()
		env.Extras = []string{"a"}
		env.DependencyGroups = []string{"dev"}
		v1, err1 := m.Evaluate(env, "test")
		v2, err2 := m.Evaluate(env, "test")
		if v1 != v2 || (err1 == nil) != (err2 == nil) {
			t.Fatal("evaluation is not deterministic")
		}
		if err1 != nil && !errors.Is(err1, ErrBadMarker) {
			t.Fatalf("evaluation error of an unexpected kind: %v", err1)
		}
		m.evaluateExtraSet(env, map[string]bool{"extra-3-pkg-x": true})
	})
}

func FuzzWheelFilename(f *testing.F) {
	for _, s := range []string{
		"six-1.16.0-py2.py3-none-any.whl", "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"foo_bar-1.0-12abc-py3-none-any.whl", "torch-2.2.0+cpu-cp311-cp311-linux_x86_64.whl", "foo-1!2.0-py3-none-any.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWheelFilename(s)
		if err != nil {
			if !errors.Is(err, ErrBadWheelName) {
				t.Fatalf("error of an unexpected kind: %v", err)
			}
			return
		}
		if w.Name == "" || len(w.Tags) == 0 {
			t.Fatalf("accepted %q as %+v", s, w)
		}
		if _, err := ParseVersion(w.Version); err != nil {
			t.Fatalf("accepted version %q", w.Version)
		}
		for _, tg := range w.Tags {
			if tg.Interpreter == "" || tg.ABI == "" || tg.Platform == "" || strings.ContainsAny(tg.String()[:len(tg.Interpreter)], ".-") {
				t.Fatalf("bad tag %v in %q", tg, s)
			}
		}
		SelectWheel(w.Name, []Artifact{{Filename: s}}, cp311Env())
	})
}

func FuzzVersion(f *testing.F) {
	for _, s := range []string{"1.0", "1.0.post1.dev2", "1!2.0rc1+local.7", "v1.0-RC1", "0.9", "1.0a", "2.0.0+cpu"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := ParseVersion(a)
		vb, errB := ParseVersion(b)
		if errA != nil || errB != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) is not antisymmetric", a, b)
		}
		again, err := ParseVersion(va.String())
		if err != nil || again.Compare(va) != 0 || again.String() != va.String() {
			t.Fatalf("%q normalises to %q, which reparses differently", a, va.String())
		}
		if s, err := ParseSpecifier("==" + va.String()); err == nil && !s.Contains(va) {
			t.Fatalf("==%s does not contain itself", va)
		}
	})
}
