// Command pybench times `airlock pip install` against pip (and uv, when it
// is on PATH) installing the same hash-pinned requirements file into a
// fresh virtual environment, cold (empty caches) and warm (caches filled by
// the cold runs, a new environment), and prints min/median wall time,
// median CPU time, peak RSS and airlock's speed-up over each, like
// internal/bench does for npm.
//
//	go run ./internal/pybench -airlock bin/airlock [-sets small,medium,large] [-runs 3]
//
// The wheels are served by a local TLS index (internal/testregistry's
// PyPI, with PyPI's cache headers), trusted the way users trust a private
// index: airlock through ca_file in airlock.toml, pip through --cert, uv
// through SSL_CERT_FILE. Nothing leaves the machine. The sets:
//
//   - small: the real PyPI wheels committed in testdata/python/bench (pip,
//     setuptools, wheel).
//   - medium, large: SYNTHETIC wheels generated at start-up with the file
//     counts and sizes of real distributions (shapes.go): medium is a web
//     and AWS application's 35, large a whole 94-distribution environment.
//   - tiny: wheel 0.43.0 and three small synthetic wheels (the smoke test).
//
// The contenders, each with its own cache directory:
//
//   - airlock pip install -r requirements.txt --python VENV/bin/python
//   - pip --python VENV/bin/python install --require-hashes --no-deps -r
//     requirements.txt (the host's pip, as pip's --python runs it), with
//     pip's default byte-compilation, and again with --no-compile, which
//     leaves the same tree airlock does (airlock never compiles);
//   - uv pip install --require-hashes --no-deps -r requirements.txt
//     --python VENV/bin/python (only if uv is found).
//
// It is not part of `make test`; `make bench` runs it.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/airlock-dev/airlock/internal/benchrun"
)

type options struct {
	airlock   string   // binary
	sets      []string // small, medium, large, tiny
	wheelsDir string   // the real wheels
	runs      int
	workdir   string
	tools     []string
	python    string
	uv        string
}

func main() {
	benchrun.Main()
	var o options
	sets := flag.String("sets", "small,medium,large", "comma-separated wheel sets: small (real wheels), medium and large (synthetic), tiny")
	tools := flag.String("tools", "airlock,pip,pip-no-compile,uv", "comma-separated tools to time (airlock, pip, pip-no-compile, uv)")
	flag.StringVar(&o.airlock, "airlock", "bin/airlock", "airlock binary to time")
	flag.StringVar(&o.wheelsDir, "wheels", "testdata/python/bench", "directory of the real wheels (the small set)")
	flag.IntVar(&o.runs, "runs", 3, "timed runs per tool and scenario")
	flag.StringVar(&o.workdir, "workdir", "", "where to put environments and caches (default: a temp dir); put it on the disk you care about")
	flag.StringVar(&o.python, "python", "python3", "the interpreter the environments are made from, whose pip is timed")
	flag.StringVar(&o.uv, "uv", "", "uv binary (default: uv on PATH)")
	flag.Parse()
	o.sets, o.tools = strings.Split(*sets, ","), strings.Split(*tools, ",")
	if err := run(o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pybench:", err)
		os.Exit(1)
	}
}

func run(o options, out io.Writer) error {
	bin, err := filepath.Abs(o.airlock)
	if err != nil {
		return err
	}
	o.airlock = bin
	if o.python, err = exec.LookPath(o.python); err != nil {
		return fmt.Errorf("the Python benchmark needs an interpreter with venv: %w", err)
	}
	if o.python, err = checkPython(o.python); err != nil {
		return err
	}
	if slices.Contains(o.tools, "uv") {
		o.uv = findUV(o.uv, out)
	}
	root, err := os.MkdirTemp(o.workdir, "airlock-pybench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	for _, name := range o.sets {
		set, err := loadSet(name, o.wheelsDir)
		if err != nil {
			return err
		}
		if err := benchSet(o, set, filepath.Join(root, name), out); err != nil {
			return fmt.Errorf("set %s: %w", name, err)
		}
	}
	return nil
}

// checkPython makes sure python has venv and a pip of 22.3 or later (the
// first with --python, which installs into another interpreter's
// environment), and returns the interpreter's own path: a wrapper such as
// a pyenv shim would add its own start-up to every pip run.
func checkPython(python string) (string, error) {
	cmd := exec.Command(python, "-c", "import sys, venv, pip; print(pip.__version__); print(sys.executable)")
	cmd.Env = cleanEnv("")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s has no venv or pip (%v): %s; install them (python3-venv, python3-pip) or pass -python", python, err, b)
	}
	version, exe, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	var major, minor int
	fmt.Sscanf(version, "%d.%d", &major, &minor)
	if major < 22 || major == 22 && minor < 3 {
		return "", fmt.Errorf("%s's pip is %s; the benchmark needs pip 22.3 or later (for --python): upgrade it or pass -python", python, version)
	}
	if exe == "" {
		return python, nil
	}
	return exe, nil
}

// findUV returns the uv binary to time, or "" after saying why there is
// none.
func findUV(flagged string, out io.Writer) string {
	if flagged != "" {
		if p, err := exec.LookPath(flagged); err == nil {
			return p
		}
		fmt.Fprintf(out, "uv: not timed: %s is not an executable\n", flagged)
		return ""
	}
	if p, err := exec.LookPath("uv"); err == nil {
		return p
	}
	fmt.Fprintln(out, "uv: not timed: no uv on PATH (pass -uv PATH to time one; uv is a single static binary)")
	return ""
}

// cleanEnv is the environment without the user's pip, Python, uv and
// airlock settings and CA bundles, with HOME (and the XDG directories) at home so that no
// configuration file of the user's applies; "" keeps HOME.
func cleanEnv(home string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PIP_"), strings.HasPrefix(k, "PYTHON"), strings.HasPrefix(k, "UV_"),
			strings.HasPrefix(k, "AIRLOCK_"), k == "VIRTUAL_ENV", k == "SSL_CERT_FILE", k == "SSL_CERT_DIR",
			// requests (in pip) lets these override --cert.
			k == "REQUESTS_CA_BUNDLE", k == "CURL_CA_BUNDLE":
			continue
		case home != "" && (k == "HOME" || strings.HasPrefix(k, "XDG_")):
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PYTHONNOUSERSITE=1")
	if home != "" {
		env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	}
	return env
}

// pypiHeaders adds the cache headers PyPI sends: files are immutable (a
// year and more), project pages fresh for 10 minutes. pip's HTTP cache
// keeps a file only when told it may.
func pypiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/packages/"):
			w.Header().Set("Cache-Control", "max-age=365000000, immutable, public")
		case strings.HasPrefix(r.URL.Path, "/simple/"):
			w.Header().Set("Cache-Control", "max-age=600, public")
		}
		next.ServeHTTP(w, r)
	})
}
