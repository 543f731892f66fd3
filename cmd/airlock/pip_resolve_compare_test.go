package main

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/internal/pyhost"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// TestPipResolveCompare holds airlock pip install NAME to pip's resolver:
// real `pip install --no-index --find-links DIR app` (dependencies
// resolved by pip) into one fresh venv, and airlock resolving the same
// wheels from a local TLS index into another at the same path. The set
// needs a backtrack (lib's newest release clashes with web over base),
// skips a pre-release and a release whose METADATA's Requires-Python
// excludes the interpreter, follows an extra and drops dependencies whose
// markers do not hold. The trees must be identical but for INSTALLER.
func TestPipResolveCompare(t *testing.T) {
	t.Parallel()
	py := pyhost.Python(t)

	work := t.TempDir()
	index := testregistry.NewPyPI()
	index.SetCoreMetadata(true)
	links := addWheels(t, index, work, []testregistry.WheelSpec{
		{Name: "app", Version: "1.0", ConsoleScripts: map[string]string{"app": "app:main"},
			Requires: []string{"lib>=1.0", "web[socks]", `winonly; sys_platform == "win32"`, `tomli; python_version < "3.8"`}},
		{Name: "lib", Version: "1.0"},
		{Name: "lib", Version: "2.0", Requires: []string{"base<2"}},
		{Name: "lib", Version: "3.0rc1"},
		{Name: "web", Version: "1.0", ProvidesExtra: []string{"socks"}, Requires: []string{"base>=2", `PySocks>=1.5; extra == "socks"`}},
		{Name: "base", Version: "1.0"},
		{Name: "base", Version: "2.0"},
		{Name: "PySocks", Version: "1.7"},
		{Name: "PySocks", Version: "1.8", RequiresPython: ">=3.99"},
		{Name: "winonly", Version: "1.0"},
		{Name: "tomli", Version: "2.0"},
	})
	reg, err := testregistry.StartPyPI(index)
	mustDo(t, err)
	defer reg.Close()

	env, byPip, byAirlock := twoVenvs(t, py, work)

	mustDo(t, os.Rename(byPip, env))
	out := pyRun(t, py, "-m", "pip", "--python", filepath.Join(env, "bin", "python"), "install", "--no-index",
		"--no-compile", "--find-links", links, "app")
	t.Logf("pip install:\n%s", out)
	mustDo(t, os.Rename(env, byPip))

	mustDo(t, os.Rename(byAirlock, env))
	cmd := airlockCmd(t, work, "pip", "install", "app", "--python", filepath.Join(env, "bin", "python"),
		"--index-url", reg.URL()+"simple/", "--cert", reg.CAFile())
	cmd.Env = append(cmd.Env, pipTestEnv()...)
	airlockOut, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("airlock pip install: %v\n%s", err, airlockOut)
	}
	t.Logf("airlock pip install:\n%s", airlockOut)
	if want := "Successfully installed PySocks-1.7 app-1.0 base-2.0 lib-1.0 web-1.0"; !strings.Contains(string(airlockOut), want) {
		t.Errorf("airlock did not say %q", want)
	}
	if out := pyRun(t, filepath.Join(env, "bin", "app")); out != "hello from app 1.0\n" {
		t.Errorf("app printed %q", out)
	}
	removePycache(t, env)
	mustDo(t, os.Rename(env, byAirlock))

	installerAsPip(t, byAirlock)
	diffs, err := treecmp.Compare(byPip, byAirlock, treecmp.Options{Roots: []string{"."}, Ignore: []string{install.StateDir}})
	mustDo(t, err)
	if len(diffs) > 0 {
		t.Errorf("pip (a) and airlock (b) trees differ:\n%s", treecmp.Report(diffs))
	}
}

// TestPipResolveKeptCompare holds airlock pip install NAME's handling of
// what is installed to pip's: the same environment at the same path, the
// same wheels (pip from --find-links, airlock from a local TLS index), and
// a sequence of installs after newer releases appeared. After each, what
// pip installed ("Successfully installed", so what it kept too: pip's
// "Requirement already satisfied" lines also name installed versions it
// then replaces) and the environment's distributions must be airlock's;
// at the end the trees must be identical but for INSTALLER.
func TestPipResolveKeptCompare(t *testing.T) {
	t.Parallel()
	py := pyhost.Python(t)

	work := t.TempDir()
	index := testregistry.NewPyPI()
	index.SetCoreMetadata(true)
	links := addWheels(t, index, work, []testregistry.WheelSpec{
		{Name: "app", Version: "1.0", Requires: []string{"lib>=1.0"}},
		{Name: "app", Version: "2.0", Requires: []string{"lib>=1.0"}},
		{Name: "lib", Version: "1.0"},
		{Name: "lib", Version: "2.0"},
		{Name: "helper", Version: "1.0"},
		{Name: "helper", Version: "2.0"},
		{Name: "tool", Version: "1.0", Requires: []string{"lib", "helper"}},
		{Name: "strict", Version: "1.0", Requires: []string{"helper>=2"}},
	})
	reg, err := testregistry.StartPyPI(index)
	mustDo(t, err)
	defer reg.Close()

	env, byPip, byAirlock := twoVenvs(t, py, work)

	installed := regexp.MustCompile(`(?m)^Successfully installed (.*)$`)
	set := func(out string) string {
		m := installed.FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		names := strings.Fields(m[1])
		sort.Strings(names)
		return strings.Join(names, " ")
	}
	distInfos := func(prefix string) string {
		infos, _ := filepath.Glob(filepath.Join(prefix, "lib", "python*", "site-packages", "*.dist-info"))
		for i := range infos {
			infos[i] = filepath.Base(infos[i])
		}
		sort.Strings(infos)
		return strings.Join(infos, " ")
	}
	for _, args := range [][]string{
		{"app==1.0", "lib==1.0", "helper==1.0"},
		{"app", "tool"}, // everything satisfied but tool: nothing else moves
		{"-U", "app"},   // app upgraded, lib kept
		{"strict"},      // helper upgraded because strict needs it
		{"-U", "--upgrade-strategy", "eager", "tool"}, // lib upgraded too
		{"app", "lib<2"}, // a downgrade the requirements force
	} {
		mustDo(t, os.Rename(byPip, env))
		pipArgs := append([]string{"-m", "pip", "--python", filepath.Join(env, "bin", "python"), "install", "--no-index",
			"--no-compile", "--find-links", links}, args...)
		pipOut := pyRun(t, py, pipArgs...)
		mustDo(t, os.Rename(env, byPip))

		mustDo(t, os.Rename(byAirlock, env))
		cmd := airlockCmd(t, work, append(append([]string{"pip", "install"}, args...), "--python", filepath.Join(env, "bin", "python"),
			"--index-url", reg.URL()+"simple/", "--cert", reg.CAFile())...)
		cmd.Env = append(cmd.Env, pipTestEnv()...)
		out, err := cmd.CombinedOutput()
		mustDo(t, os.Rename(env, byAirlock))
		if err != nil {
			t.Fatalf("airlock pip install %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if p, a := set(pipOut), set(string(out)); p != a {
			t.Errorf("install %s: pip installed [%s], airlock [%s]\npip:\n%s\nairlock:\n%s", strings.Join(args, " "), p, a, pipOut, out)
		}
		if p, a := distInfos(byPip), distInfos(byAirlock); p != a {
			t.Errorf("install %s: pip's environment has %s, airlock's %s", strings.Join(args, " "), p, a)
		}
	}

	removePycache(t, byAirlock)
	installerAsPip(t, byAirlock)
	diffs, err := treecmp.Compare(byPip, byAirlock, treecmp.Options{Roots: []string{"."}, Ignore: []string{install.StateDir}})
	mustDo(t, err)
	if len(diffs) > 0 {
		t.Errorf("pip (a) and airlock (b) trees differ:\n%s", treecmp.Report(diffs))
	}
}
