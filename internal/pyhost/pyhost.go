// Package pyhost finds, for tests, the host's Python with venv and a pip
// able to install into another interpreter (--python), and the environment
// that keeps the user's and the machine's pip configuration out of them.
package pyhost

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Python returns python3 with venv and a pip of 22.3 or later (which has
// --python), or skips the test: with -short too, since these tests run pip.
func Python(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs pip")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	out, err := exec.Command(py, "-c", "import venv, pip; print(pip.__version__)").CombinedOutput()
	if err != nil {
		t.Skipf("python3 has no venv or pip: %v: %s", err, out)
	}
	var major, minor int
	fmt.Sscanf(string(out), "%d.%d", &major, &minor)
	if major < 22 || major == 22 && minor < 3 {
		t.Skipf("host pip %s has no --python", strings.TrimSpace(string(out)))
	}
	return py
}

// Env is the process environment without PIP_*, PYTHON* and VIRTUAL_ENV
// settings, plus settings that make pip ignore configuration files, stay
// quiet about its version and never prompt.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "PYTHON") && !strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			env = append(env, kv)
		}
	}
	return append(env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1",
		"PYTHONDONTWRITEBYTECODE=1", "PYTHONNOUSERSITE=1")
}
