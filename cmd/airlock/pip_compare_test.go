package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/pyhost"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// TestPipCompare is the test of truth for `airlock pip install`: the same
// wheels (the system's real pip and setuptools wheels, and generated ones
// with console scripts and .data directories) are installed by real
// `pip install --no-deps --require-hashes --no-index --find-links DIR
// --no-compile -r req.txt` into one fresh venv and by airlock, from a local
// TLS index, into another created at the same path (so shebangs agree).
// The trees must be identical but for the INSTALLER files and their RECORD
// rows. The airlock-made venv must then run its pip and a console script.
// It skips without python3, venv, or a host pip with --python (22.3+).
func TestPipCompare(t *testing.T) {
	t.Parallel()
	py := pyhost.Python(t)

	work := t.TempDir()
	links := filepath.Join(work, "links")
	mustDo(t, os.Mkdir(links, 0o755))
	index := testregistry.NewPyPI()
	var req strings.Builder
	addFile := func(name, version, filename string, data []byte) {
		mustDo(t, os.WriteFile(filepath.Join(links, filename), data, 0o644))
		mustDo(t, index.Add(name, filename, data))
		sum := sha256.Sum256(data)
		fmt.Fprintf(&req, "%s==%s --hash=sha256:%s\n", name, version, hex.EncodeToString(sum[:]))
	}
	for _, spec := range []testregistry.WheelSpec{
		{Name: "airlock-hello", Version: "1.0", ConsoleScripts: map[string]string{"airlock-hello": "airlock_hello:main"}},
		{Name: "Data.Pkg", Version: "0.3.post1", Files: map[string]string{
			"data_pkg/__init__.py":                              "VALUE = 3\n",
			"data_pkg/sub/resource.txt":                         "resource\n",
			"Data_Pkg-0.3.post1.data/scripts/data-tool":         "#!python\nimport data_pkg\nprint('data tool', data_pkg.VALUE)\n",
			"Data_Pkg-0.3.post1.data/data/share/data-pkg/a.txt": "shared data\n",
		}},
	} {
		filename, data, err := testregistry.MakeWheel(spec)
		mustDo(t, err)
		addFile(spec.Name, spec.Version, filename, data)
	}
	realWheels, _ := filepath.Glob(filepath.Join(testregistry.SystemWheelsDir, "*.whl"))
	for _, f := range realWheels {
		data, err := os.ReadFile(f)
		mustDo(t, err)
		parts := strings.Split(filepath.Base(f), "-")
		addFile(parts[0], parts[1], filepath.Base(f), data)
	}
	if len(realWheels) == 0 {
		t.Logf("no real wheels in %s; comparing generated wheels only", testregistry.SystemWheelsDir)
	}
	reqFile := filepath.Join(work, "req.txt")
	mustDo(t, os.WriteFile(reqFile, []byte(req.String()), 0o644))
	reg, err := testregistry.StartPyPI(index)
	mustDo(t, err)
	defer reg.Close()

	env, byPip, byAirlock := twoVenvs(t, py, work)

	mustDo(t, os.Rename(byPip, env))
	pyRun(t, py, "-m", "pip", "--python", filepath.Join(env, "bin", "python"), "install", "--no-deps", "--no-index",
		"--no-compile", "--find-links", links, "--require-hashes", "-r", reqFile)
	mustDo(t, os.Rename(env, byPip))

	mustDo(t, os.Rename(byAirlock, env))
	cmd := airlockCmd(t, work, "pip", "install", "-r", reqFile, "--python", filepath.Join(env, "bin", "python"),
		"--index-url", reg.URL()+"simple/", "--cert", reg.CAFile())
	cmd.Env = append(cmd.Env, pipTestEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("airlock pip install: %v\n%s", err, out)
	} else {
		t.Logf("airlock pip install:\n%s", out)
	}

	// The airlock-made venv works: its pip and its console scripts.
	if len(realWheels) > 0 {
		if out := pyRun(t, filepath.Join(env, "bin", "python"), "-m", "pip", "--version"); !strings.HasPrefix(out, "pip ") {
			t.Errorf("python -m pip --version = %q", out)
		}
	}
	if out := pyRun(t, filepath.Join(env, "bin", "airlock-hello")); out != "hello from airlock-hello 1.0\n" {
		t.Errorf("airlock-hello printed %q", out)
	}
	if out := pyRun(t, filepath.Join(env, "bin", "data-tool")); out != "data tool 3\n" {
		t.Errorf("data-tool printed %q", out)
	}
	// Running them may write __pycache__; pip's tree has not run anything.
	removePycache(t, env)
	mustDo(t, os.Rename(env, byAirlock))

	installerAsPip(t, byAirlock)
	diffs, err := treecmp.Compare(byPip, byAirlock, treecmp.Options{Roots: []string{"."}, Ignore: []string{install.StateDir}})
	mustDo(t, err)
	if len(diffs) > 0 {
		t.Errorf("pip (a) and airlock (b) trees differ:\n%s", treecmp.Report(diffs))
	}
}

// pipTestEnv keeps this machine's pip configuration away from airlock and
// pip (PIP_FIND_LINKS or a pip.conf index would change what they see).
func pipTestEnv() []string {
	return []string{"PIP_CONFIG_FILE=" + os.DevNull, "PIP_INDEX_URL=", "PIP_EXTRA_INDEX_URL=", "PIP_FIND_LINKS=",
		"PIP_CERT=", "PIP_NO_INDEX=", "PIP_TRUSTED_HOST=", "VIRTUAL_ENV="}
}

// twoVenvs makes two empty virtual environments, one for pip and one for
// airlock, both created at env (a venv records its path), then moved
// aside to byPip and byAirlock: each is moved back to env to be installed
// into, so the trees compare byte for byte.
func twoVenvs(t *testing.T, py, work string) (env, byPip, byAirlock string) {
	t.Helper()
	env = filepath.Join(work, "env")
	byPip, byAirlock = filepath.Join(work, "pip"), filepath.Join(work, "airlock")
	pyRun(t, py, "-m", "venv", "--without-pip", env)
	mustDo(t, os.Rename(env, byPip))
	pyRun(t, py, "-m", "venv", "--without-pip", env)
	mustDo(t, os.Rename(env, byAirlock))
	return env, byPip, byAirlock
}

// addWheels builds a wheel for each spec, adds it to index and writes it
// to work/links (pip's --find-links), which it returns.
func addWheels(t *testing.T, index *testregistry.PyPI, work string, specs []testregistry.WheelSpec) string {
	t.Helper()
	links := filepath.Join(work, "links")
	mustDo(t, os.MkdirAll(links, 0o755))
	for _, spec := range specs {
		filename, data, err := testregistry.MakeWheel(spec)
		mustDo(t, err)
		mustDo(t, os.WriteFile(filepath.Join(links, filename), data, 0o644))
		mustDo(t, index.Add(spec.Name, filename, data))
	}
	return links
}

func pyRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "PYTHON") && !strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_DISABLE_PIP_VERSION_CHECK=1", "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func removePycache(t *testing.T, root string) {
	t.Helper()
	var dirs []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "__pycache__" {
			dirs = append(dirs, p)
			return filepath.SkipDir
		}
		return nil
	})
	for _, d := range dirs {
		mustDo(t, os.RemoveAll(d))
	}
}

// installerAsPip makes airlock's INSTALLER files say "pip" and fixes their
// RECORD rows: the one intended difference from pip's tree.
func installerAsPip(t *testing.T, prefix string) {
	t.Helper()
	infos, _ := filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages", "*.dist-info"))
	if len(infos) == 0 {
		t.Fatalf("no .dist-info in %s", prefix)
	}
	digest := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for _, info := range infos {
		inst := filepath.Join(info, "INSTALLER")
		data, err := os.ReadFile(inst)
		if err != nil || string(data) != "airlock\n" {
			t.Errorf("%s: INSTALLER = %q, %v; want airlock", info, data, err)
			continue
		}
		fi, err := os.Stat(inst)
		mustDo(t, err)
		mustDo(t, os.WriteFile(inst, []byte("pip\n"), fi.Mode()))
		rec := filepath.Join(info, "RECORD")
		r, err := os.ReadFile(rec)
		mustDo(t, err)
		old := filepath.Base(info) + "/INSTALLER," + digest("airlock\n") + ",8\r\n"
		if !strings.Contains(string(r), old) {
			t.Fatalf("%s has no row %q", rec, old)
		}
		mustDo(t, os.WriteFile(rec, []byte(strings.Replace(string(r), old, filepath.Base(info)+"/INSTALLER,"+digest("pip\n")+",4\r\n", 1)), 0o644))
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
