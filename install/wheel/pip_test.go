package wheel

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/pyhost"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// The test of truth: the same wheels installed by pip (run from the host
// Python with --python, so the venv needs no pip of its own) and by
// install/wheel into two virtual environments created at the same path
// give identical trees (files, contents, modes, symlinks), except for the
// INSTALLER file and its RECORD row. An upgrade of every distribution is
// compared too.

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = pyhost.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// venvFacts reads the scheme and version of the venv's interpreter.
func venvFacts(t *testing.T, prefix string) (Scheme, string) {
	t.Helper()
	py := filepath.Join(prefix, "bin", "python")
	out := run(t, py, "-I", "-c", `import json, sys, sysconfig
p = sysconfig.get_paths()
print(json.dumps({"purelib": p["purelib"], "platlib": p["platlib"], "scripts": p["scripts"], "data": p["data"],
  "version": "%d.%d" % sys.version_info[:2]}))`)
	var f struct{ Purelib, Platlib, Scripts, Data, Version string }
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return Scheme{Purelib: f.Purelib, Platlib: f.Platlib, Scripts: f.Scripts, Data: f.Data,
		Headers: filepath.Join(prefix, "include", "site", "python"+f.Version)}, f.Version
}

// realWheel finds a wheel shipped with the system or Python, or "".
func realWheel(t *testing.T, py, pattern string) string {
	t.Helper()
	out, _ := exec.Command(py, "-c", "import ensurepip, os; print(os.path.dirname(ensurepip.__file__))").Output()
	for _, dir := range []string{"testdata", "/usr/share/python-wheels", filepath.Join(strings.TrimSpace(string(out)), "_bundled")} {
		if m, _ := filepath.Glob(filepath.Join(dir, pattern)); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

func TestSameTreeAsPip(t *testing.T) {
	py := pyhost.Python(t)
	work := t.TempDir()
	gen := filepath.Join(work, "gen")
	must(t, os.Mkdir(gen, 0o755))

	nsA := spec{name: "ns-a", version: "1.0", files: map[string]string{"ns/a/__init__.py": "A = 1\n", "ns/shared.txt": "from a\n"}}
	nsB := spec{name: "ns-b", version: "1.0", files: map[string]string{"ns/b/__init__.py": "B = 1\n", "ns/b/deep/x.txt": "x\n"}}
	nsA2 := spec{name: "ns-a", version: "2.0", files: map[string]string{"ns/a/__init__.py": "A = 2\n", "ns/a/new.py": "N = 1\n"}}
	plat := spec{name: "plat-pkg", version: "0.1", platlib: true,
		files: map[string]string{"plat_pkg/__init__.py": "", "plat_pkg/_speed.so": "\x7fELF fake", "plat-pkg.pth": "plat_pkg\n"},
		exec:  map[string]bool{"plat_pkg/_speed.so": true}}
	rich2 := rich("2.0", map[string]string{"richpkg/added.py": "ADDED = 1\n"})
	delete(rich2.files, "richpkg/sub/data.txt")
	rich2.entryPoints = "[console_scripts]\nrich-cli = richpkg:main\nrich-new = richpkg.added:main [extra]\n"
	odd := spec{name: "odd.name_Pkg", version: "3.0.post1", files: map[string]string{
		"odd/__init__.py": "", "odd/with,comma.txt": "c\n", "odd/quote\"d.txt": "q\n", "odd/space d.txt": "s\n"},
		entryPoints: "[console_scripts]\nodd = odd:main\n"}

	wheelOf := func(s spec, name string) Wheel {
		return Wheel{File: build(t, gen, s), Name: name, Version: s.version, Requested: true}
	}
	step1 := []Wheel{
		wheelOf(rich("1.0", nil), "rich-pkg"), wheelOf(nsA, "ns-a"), wheelOf(plat, "plat-pkg"),
		wheelOf(odd, "odd.name_Pkg"),
	}
	step2 := []Wheel{wheelOf(rich2, "rich-pkg"), wheelOf(nsA2, "ns-a"), wheelOf(nsB, "ns-b")}
	// Real wheels: pip and setuptools from Debian and from Python's
	// ensurepip, wheel from testdata; an upgrade between the two sets.
	for i, pats := range [][]string{{"pip-23.0*.whl", "setuptools-65*.whl", "wheel-*.whl"}, {"pip-23.2*.whl", "setuptools-66*.whl"}} {
		for _, pat := range pats {
			f := realWheel(t, py, pat)
			if f == "" {
				t.Logf("no %s here; not part of the comparison", pat)
				continue
			}
			base := filepath.Base(f)
			parts := strings.Split(base, "-")
			w := Wheel{File: f, Name: parts[0], Version: parts[1], Requested: true}
			if i == 0 {
				step1 = append(step1, w)
			} else {
				step2 = append(step2, w)
			}
		}
	}

	env := filepath.Join(work, "env")
	comparePip(t, py, work, env, step1, step2)

	// The airlock-made environment works: its pip, and console scripts.
	byAirlock := filepath.Join(work, "airlock")
	must(t, os.Rename(byAirlock, env))
	defer os.Rename(env, byAirlock)
	if realWheel(t, py, "pip-23.2*.whl") != "" {
		if out := run(t, filepath.Join(env, "bin", "python"), "-m", "pip", "--version"); !strings.Contains(out, "pip 23.2") {
			t.Errorf("python -m pip --version = %q", out)
		}
		if out := run(t, filepath.Join(env, "bin", "pip"), "--version"); !strings.Contains(out, "pip 23.2") {
			t.Errorf("pip --version = %q", out)
		}
	}
	if out := run(t, filepath.Join(env, "bin", "rich-cli")); out != "rich 2.0\n" {
		t.Errorf("rich-cli printed %q", out)
	}
	if realWheel(t, py, "wheel-*.whl") != "" {
		if out := run(t, filepath.Join(env, "bin", "wheel"), "version"); !strings.Contains(out, "wheel") {
			t.Errorf("wheel version = %q", out)
		}
	}
}

// comparePip installs each step's wheels with pip into one venv and with
// install/wheel into another, both built at env so that shebangs agree,
// and compares the trees after every step. The venvs are left at
// work/pip and work/airlock.
func comparePip(t *testing.T, py, work, env string, steps ...[]Wheel) {
	t.Helper()
	byPip, byAirlock := filepath.Join(work, "pip"), filepath.Join(work, "airlock")
	run(t, py, "-m", "venv", "--without-pip", env)
	must(t, os.Rename(env, byPip))
	run(t, py, "-m", "venv", "--without-pip", env)
	must(t, os.Rename(env, byAirlock))

	for i, step := range steps {
		// pip
		must(t, os.Rename(byPip, env))
		links := filepath.Join(work, fmt.Sprintf("links%d", i))
		must(t, os.Mkdir(links, 0o755))
		var req strings.Builder
		for _, w := range step {
			data, err := os.ReadFile(w.File)
			must(t, err)
			must(t, os.WriteFile(filepath.Join(links, filepath.Base(w.File)), data, 0o644))
			sum := sha256.Sum256(data)
			fmt.Fprintf(&req, "%s==%s --hash=sha256:%s\n", w.Name, w.Version, hex.EncodeToString(sum[:]))
		}
		reqFile := filepath.Join(work, fmt.Sprintf("req%d.txt", i))
		must(t, os.WriteFile(reqFile, []byte(req.String()), 0o644))
		run(t, py, "-m", "pip", "--python", filepath.Join(env, "bin", "python"), "install", "--no-deps", "--no-index",
			"--no-compile", "--find-links", links, "--require-hashes", "-r", reqFile)
		must(t, os.Rename(env, byPip))

		// airlock
		must(t, os.Rename(byAirlock, env))
		sch, version := venvFacts(t, env)
		opts := Options{Python: filepath.Join(env, "bin", "python"), PythonVersion: version}
		res, err := Install(context.Background(), env, sch, step, opts, install.Options{})
		if err != nil {
			t.Fatalf("step %d: %v", i+1, err)
		}
		t.Logf("step %d: %+v", i+1, res.Dists)
		must(t, os.Rename(env, byAirlock))

		normalizeInstaller(t, byAirlock)
		diffs, err := treecmp.Compare(byPip, byAirlock, treecmp.Options{Roots: []string{"."}, Ignore: []string{install.StateDir}})
		must(t, err)
		if len(diffs) > 0 {
			t.Fatalf("step %d: pip (a) and airlock (b) trees differ:\n%s", i+1, treecmp.Report(diffs))
		}
	}

}

// normalizeInstaller makes airlock's INSTALLER files say "pip", as pip's
// do, and fixes their RECORD rows: the one intended difference.
func normalizeInstaller(t *testing.T, prefix string) {
	t.Helper()
	infos, _ := filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages", "*.dist-info"))
	airlockSum, pipSum := sha256.Sum256([]byte("airlock\n")), sha256.Sum256([]byte("pip\n"))
	for _, info := range infos {
		inst := filepath.Join(info, "INSTALLER")
		data, err := os.ReadFile(inst)
		if err != nil || string(data) != "airlock\n" {
			continue
		}
		fi, err := os.Stat(inst)
		must(t, err)
		must(t, os.WriteFile(inst, []byte("pip\n"), fi.Mode()))
		rec := filepath.Join(info, "RECORD")
		r, err := os.ReadFile(rec)
		must(t, err)
		old := filepath.Base(info) + "/INSTALLER," + recordDigest(airlockSum[:]) + ",8\r\n"
		if !strings.Contains(string(r), old) {
			t.Fatalf("%s has no row %q", rec, old)
		}
		must(t, os.WriteFile(rec, []byte(strings.Replace(string(r), old, filepath.Base(info)+"/INSTALLER,"+recordDigest(pipSum[:])+",4\r\n", 1)), 0o644))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSameTreeAsPipAwkwardPath: in a venv whose path has a space and is too
// long for a shebang, pip's scripts start under /bin/sh and "#!python" is
// replaced by the bare path; install/wheel must write the same bytes.
func TestSameTreeAsPipAwkwardPath(t *testing.T) {
	py := pyhost.Python(t)
	work := t.TempDir()
	gen := filepath.Join(work, "gen")
	must(t, os.Mkdir(gen, 0o755))
	env := filepath.Join(work, "a venv with spaces", strings.Repeat("long-", 20), "env")
	must(t, os.MkdirAll(filepath.Dir(env), 0o755))
	comparePip(t, py, work, env, []Wheel{{File: build(t, gen, rich("1.0", nil)), Name: "rich-pkg", Version: "1.0", Requested: true}})
	byAirlock := filepath.Join(work, "airlock")
	must(t, os.Rename(byAirlock, env))
	defer os.Rename(env, byAirlock)
	if got := readFile(t, filepath.Join(env, "bin", "rich-cli")); !strings.HasPrefix(got, "#!/bin/sh\n'''exec' \"") {
		t.Errorf("rich-cli starts %q, want the /bin/sh form", got[:40])
	}
	if out := run(t, filepath.Join(env, "bin", "rich-cli")); out != "rich 1.0\n" {
		t.Errorf("rich-cli printed %q", out)
	}
}
