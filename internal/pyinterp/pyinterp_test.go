package pyinterp

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock/pypi"
)

// packagingTags prints packaging.tags.sys_tags() from the copy pip vendors,
// one tag per line. It runs only in tests: Query never imports packaging.
const packagingTags = `
from pip._vendor import packaging
from pip._vendor.packaging import tags
print(packaging.__version__)
print("\n".join(str(t) for t in tags.sys_tags()))
`

// interpreters lists the Pythons on this machine the comparison runs
// against: python3 from PATH and, when present, the pyenv builds.
func interpreters(t *testing.T) []string {
	var out []string
	if p, err := exec.LookPath("python3"); err == nil {
		out = append(out, p)
	}
	matches, _ := filepath.Glob("/root/.pyenv/versions/3.*/bin/python3")
	out = append(out, matches...)
	if len(out) == 0 {
		t.Skip("no python3 on this machine")
	}
	return out
}

// TestSysTagsMatchPackaging compares the full ordered tag list Query
// computes with packaging's sys_tags() run inside the same interpreter.
func TestSysTagsMatchPackaging(t *testing.T) {
	for _, py := range interpreters(t) {
		t.Run(py, func(t *testing.T) {
			it, err := Query(context.Background(), py)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, "-c", packagingTags).Output()
			if err != nil {
				t.Skipf("%s has no pip to compare with: %v", py, err)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if strings.HasPrefix(lines[0], "21.") {
				it.Facts.Packaging21 = true
				it.Env.Tags = pypi.SysTags(it.Facts)
			}
			var want []string
			seen := map[string]bool{}
			for _, l := range lines[1:] {
				// pip keeps the first position of a repeated tag.
				if !seen[l] {
					seen[l] = true
					want = append(want, l)
				}
			}
			got := make([]string, len(it.Env.Tags))
			for i, tag := range it.Env.Tags {
				got[i] = tag.String()
			}
			if len(got) != len(want) {
				t.Errorf("%d tags, packaging has %d", len(got), len(want))
			}
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("tag %d: got %s, packaging has %s", i, got[i], want[i])
				}
			}
		})
	}
}

// TestQueryPaths compares the scheme with pip's own get_scheme for a venv
// and, where it exists, Debian's system python (whose preferred scheme is
// posix_local, /usr/local).
func TestQueryPaths(t *testing.T) {
	type tc struct{ python, pipPath string }
	var cases []tc
	if py, err := exec.LookPath("python3"); err == nil {
		venv := filepath.Join(t.TempDir(), "venv")
		if out, err := exec.Command(py, "-m", "venv", "--without-pip", venv).CombinedOutput(); err == nil {
			pipDir, err := exec.Command(py, "-c", "import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))").Output()
			if err == nil {
				cases = append(cases, tc{filepath.Join(venv, "bin", "python"), strings.TrimSpace(string(pipDir))})
			}
		} else {
			t.Logf("cannot make a venv: %v: %s", err, out)
		}
	}
	if wheels, _ := filepath.Glob("/usr/share/python-wheels/pip-*.whl"); len(wheels) > 0 {
		if _, err := os.Stat("/usr/bin/python3"); err == nil {
			cases = append(cases, tc{"/usr/bin/python3", wheels[0]})
		}
	}
	if len(cases) == 0 {
		t.Skip("no python with pip to compare with")
	}
	for _, c := range cases {
		t.Run(c.python, func(t *testing.T) {
			it, err := Query(context.Background(), c.python)
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.Contains(c.python, "venv"); it.InVenv != want {
				t.Errorf("InVenv = %v, want %v", it.InVenv, want)
			}
			cmd := exec.Command(c.python, "-c", `
from pip._internal.locations import get_scheme
s = get_scheme("dist")
print(s.purelib); print(s.platlib); print(s.scripts); print(s.data); print(s.headers)
`)
			cmd.Env = append(os.Environ(), "PYTHONPATH="+c.pipPath)
			out, err := cmd.Output()
			if err != nil {
				t.Skipf("pip's get_scheme: %v", err)
			}
			want := strings.Split(strings.TrimSpace(string(out)), "\n")
			// pip appends the distribution's name to the headers directory.
			got := []string{it.Paths.Purelib, it.Paths.Platlib, it.Paths.Scripts, it.Paths.Data, filepath.Join(it.Paths.Headers, "dist")}
			if len(want) != len(got) {
				t.Fatalf("pip printed %q", out)
			}
			for i := range want {
				if filepath.Clean(got[i]) != filepath.Clean(want[i]) {
					t.Errorf("scheme[%d] = %s, pip says %s", i, got[i], want[i])
				}
			}
		})
	}
}

func TestQueryRefusesPython2(t *testing.T) {
	py := "/root/.pyenv/versions/2.7.18/bin/python"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no python 2.7 here")
	}
	_, err := Query(context.Background(), py)
	if !errors.Is(err, ErrUnsupportedInterpreter) {
		t.Fatalf("err = %v, want ErrUnsupportedInterpreter", err)
	}
	if !strings.Contains(err.Error(), py) {
		t.Errorf("error does not name the interpreter: %v", err)
	}
}

func TestQueryMissingInterpreter(t *testing.T) {
	_, err := Query(context.Background(), filepath.Join(t.TempDir(), "python"))
	if !errors.Is(err, ErrQuery) {
		t.Fatalf("err = %v, want ErrQuery", err)
	}
}

// TestQueryIgnoresEnvironment plants a sitecustomize and a fake json module
// where PYTHONPATH and the working directory would put them: -I and the
// scrubbed environment must keep both out.
func TestQueryIgnoresEnvironment(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("no python3")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	plant := "open(" + pyQuote(marker) + ", 'w').close()\n"
	for _, f := range []string{"sitecustomize.py", "usercustomize.py", "json.py", "platform.py"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(plant), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PYTHONPATH", dir)
	t.Setenv("PYTHONSTARTUP", filepath.Join(dir, "sitecustomize.py"))
	t.Chdir(dir)
	if _, err := Query(context.Background(), "python3"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("planted module ran during Query")
	}
}

func pyQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func TestSchemeForTarget(t *testing.T) {
	got := SchemeForTarget("/t", &Interpreter{Version: "3.12.1"})
	want := Scheme{Purelib: "/t", Platlib: "/t", Scripts: "/t/bin", Data: "/t", Headers: "/t/include/python"}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	got = SchemeForTarget("/t", &Interpreter{Version: "3.12.1", InVenv: true})
	if got.Headers != "/t/include/site/python3.12" {
		t.Errorf("venv headers = %s", got.Headers)
	}
}

func TestParseGlibc(t *testing.T) {
	for in, want := range map[string][2]int{
		"glibc 2.36":            {2, 36},
		"glibc 2.20-2014.11":    {2, 20},
		"glibc x":               {-1, -1},
		"":                      {-1, -1},
		"glibc 2":               {-1, -1},
		"glibc 10.123 trailing": {-1, -1},
	} {
		if got := parseGlibc(in); got != want {
			t.Errorf("parseGlibc(%q) = %v, want %v", in, got, want)
		}
	}
}

// TestFromAnswerPyPy checks the PyPy path with a recorded answer shape:
// the ABI comes from EXT_SUFFIX and the interpreter tag from
// py_version_nodot, as packaging's generic_tags computes them.
func TestFromAnswerPyPy(t *testing.T) {
	a := answer{
		Implementation: "pypy",
		VersionInfo:    []int{3, 10, 14},
		Executable:     "/nonexistent/pypy3",
		Prefix:         "/opt/pypy", BasePrefix: "/opt/pypy",
		Paths: map[string]string{"purelib": "/opt/pypy/lib/pypy3.10/site-packages", "platlib": "/opt/pypy/lib/pypy3.10/site-packages",
			"scripts": "/opt/pypy/bin", "data": "/opt/pypy", "include": "/opt/pypy/include/pypy3.10"},
		Markers: map[string]string{"implementation_name": "pypy", "implementation_version": "7.3.17", "os_name": "posix",
			"platform_machine": "x86_64", "platform_release": "6.1", "platform_system": "Linux", "platform_version": "#1",
			"python_full_version": "3.10.14", "platform_python_implementation": "PyPy", "python_version": "3.10", "sys_platform": "linux"},
		Config:      map[string]any{"EXT_SUFFIX": ".pypy310-pp73-x86_64-linux-gnu.so", "py_version_nodot": "310"},
		Platform:    "linux-x86_64",
		PointerSize: 8,
	}
	g := "glibc 2.17"
	a.Glibc = &g
	it, err := fromAnswer(a, "pypy3")
	if err != nil {
		t.Fatal(err)
	}
	want := []pypi.Tag{
		mustTag("pp310-pypy310_pp73-manylinux_2_17_x86_64"),
		mustTag("pp310-pypy310_pp73-manylinux2014_x86_64"),
	}
	for i, w := range want {
		if it.Env.Tags[i] != w {
			t.Errorf("tag %d = %v, want %v", i, it.Env.Tags[i], w)
		}
	}
	last := it.Env.Tags[len(it.Env.Tags)-1]
	if last != (mustTag("py30-none-any")) {
		t.Errorf("last tag = %v", last)
	}
	if !containsTag(it.Env.Tags, mustTag("pp3-none-any")) {
		t.Error("pp3-none-any missing")
	}
}

func containsTag(tags []pypi.Tag, t pypi.Tag) bool {
	for _, u := range tags {
		if u == t {
			return true
		}
	}
	return false
}

func TestFromAnswerRefusesOthers(t *testing.T) {
	_, err := fromAnswer(answer{Implementation: "graalpy", VersionInfo: []int{3, 11, 7}}, "graalpy")
	if !errors.Is(err, ErrUnsupportedInterpreter) {
		t.Fatalf("err = %v", err)
	}
}

func mustTag(s string) pypi.Tag {
	tags, err := pypi.ParseTag(s)
	if err != nil || len(tags) != 1 {
		panic(s)
	}
	return tags[0]
}
