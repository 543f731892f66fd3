package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/internal/benchrun"
	"github.com/airlock-dev/airlock/internal/testregistry"
)

// wheelFile is one wheel of a set.
type wheelFile struct {
	project, version, filename string
	data                       []byte
	synthetic                  bool
}

// wheelSet is what one benchmark installs.
type wheelSet struct {
	name, what string
	wheels     []wheelFile
}

// loadSet reads or generates the named set.
func loadSet(name, wheelsDir string) (*wheelSet, error) {
	switch name {
	case "small":
		real, err := realWheels(wheelsDir, nil)
		if err != nil {
			return nil, err
		}
		return &wheelSet{name: name, what: fmt.Sprintf("real ones from PyPI (%s)", wheelsDir), wheels: real}, nil
	case "medium", "large":
		var list []shape
		for _, s := range shapes {
			if name == "large" || s.medium {
				list = append(list, s)
			}
		}
		start := time.Now()
		wheels, err := synthSet(list)
		if err != nil {
			return nil, err
		}
		what := "a web and AWS application (Flask, requests, boto3, pydantic, jsonschema, cryptography, docker)"
		if name == "large" {
			what = "a whole development environment (awscli, moto, cfn-lint, sympy, ipython, Flask, ...)"
		}
		return &wheelSet{name: name, wheels: wheels, what: fmt.Sprintf(
			"SYNTHETIC: generated in %s with the file counts and sizes of the real distributions of %s (internal/pybench/shapes.go)",
			time.Since(start).Round(100*time.Millisecond), what)}, nil
	case "tiny":
		real, err := realWheels(wheelsDir, []string{"wheel"})
		if err != nil {
			return nil, err
		}
		var list []shape
		for _, s := range shapes {
			if s.name == "markupsafe" || s.name == "python_dotenv" || s.name == "six" {
				list = append(list, s)
			}
		}
		synth, err := synthSet(list)
		if err != nil {
			return nil, err
		}
		return &wheelSet{name: name, what: "one real and three SYNTHETIC (the smoke test's set)", wheels: append(real, synth...)}, nil
	}
	return nil, fmt.Errorf("unknown wheel set %q: the sets are small, medium, large and tiny", name)
}

// realWheels reads the *.whl files of dir (only the projects named in
// only, when given).
func realWheels(dir string, only []string) ([]wheelFile, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.whl"))
	if err != nil {
		return nil, err
	}
	var out []wheelFile
	for _, p := range paths {
		base := filepath.Base(p)
		parts := strings.Split(base, "-")
		if len(parts) < 5 {
			return nil, fmt.Errorf("%s: not a wheel file name (name-version-python-abi-platform.whl)", p)
		}
		if only != nil && !slices.Contains(only, parts[0]) {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, wheelFile{project: parts[0], version: parts[1], filename: base, data: data})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no wheels in %s (run from the repository root, or pass -wheels)", dir)
	}
	return out, nil
}

// summary counts the files inside the set's wheels and their sizes.
func (s *wheelSet) summary() (files int, unpacked, packed int64, err error) {
	for _, w := range s.wheels {
		zr, err := zip.NewReader(bytes.NewReader(w.data), int64(len(w.data)))
		if err != nil {
			return 0, 0, 0, fmt.Errorf("%s: %w", w.filename, err)
		}
		for _, f := range zr.File {
			files++
			unpacked += int64(f.UncompressedSize64)
		}
		packed += int64(len(w.data))
	}
	return files, unpacked, packed, nil
}

// benchSet serves the set from a local index and times every tool on it.
func benchSet(o options, set *wheelSet, dir string, out io.Writer) error {
	if err := os.MkdirAll(filepath.Join(dir, "home"), 0o755); err != nil {
		return err
	}
	index := testregistry.NewPyPI()
	var req strings.Builder
	for _, w := range set.wheels {
		if err := index.Add(w.project, w.filename, w.data); err != nil {
			return err
		}
		sum := sha256.Sum256(w.data)
		fmt.Fprintf(&req, "%s==%s --hash=sha256:%s\n", w.project, w.version, hex.EncodeToString(sum[:]))
	}
	reg, err := testregistry.StartPyPI(index, testregistry.WithMiddleware(pypiHeaders))
	if err != nil {
		return err
	}
	defer reg.Close()
	indexURL := reg.URL() + "simple/"
	reqFile := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(reqFile, []byte(req.String()), 0o644); err != nil {
		return err
	}
	// airlock trusts the index's CA the way a user trusts a private
	// index's: ca_file in the project's airlock.toml.
	if err := os.WriteFile(filepath.Join(dir, "airlock.toml"), []byte(fmt.Sprintf("ca_file = %q\n", reg.CAFile())), 0o644); err != nil {
		return err
	}
	env := cleanEnv(filepath.Join(dir, "home"))

	files, unpacked, packed, err := set.summary()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nset %s: %d wheels, %s: %d files, %.1f MB unpacked from %.1f MB of wheels; %d runs each; work dir %s\n",
		set.name, len(set.wheels), set.what, files, float64(unpacked)/1e6, float64(packed)/1e6, o.runs, dir)

	type contender struct {
		name string
		args func(venvPython, cache string) []string
		env  func(cache string) []string
	}
	var cs []contender
	for _, t := range o.tools {
		switch t {
		case "airlock":
			cs = append(cs, contender{"airlock", func(py, _ string) []string {
				return []string{o.airlock, "pip", "install", "-r", reqFile, "--python", py, "--index-url", indexURL, "--quiet"}
			}, func(cache string) []string { return []string{"AIRLOCK_CACHE=" + cache} }})
		case "pip", "pip-no-compile":
			extra := []string{}
			if t == "pip-no-compile" {
				extra = []string{"--no-compile"}
			}
			cs = append(cs, contender{t, func(py, cache string) []string {
				return append([]string{o.python, "-m", "pip", "--python", py, "install", "--require-hashes", "--no-deps", "-r", reqFile,
					"--index-url", indexURL, "--cert", reg.CAFile(), "--cache-dir", cache, "--quiet"}, extra...)
			}, func(string) []string { return nil }})
		case "uv":
			if o.uv == "" {
				continue
			}
			cs = append(cs, contender{"uv", func(py, cache string) []string {
				return []string{o.uv, "pip", "install", "--require-hashes", "--no-deps", "-r", reqFile, "--python", py,
					"--index-url", indexURL, "--cache-dir", cache, "--quiet"}
			}, func(string) []string { return []string{"SSL_CERT_FILE=" + reg.CAFile()} }})
		default:
			return fmt.Errorf("unknown tool %q: the tools are airlock, pip, pip-no-compile and uv", t)
		}
	}

	requests := map[string]map[string][]int{} // tool → scenario → index requests per run
	var tools []benchrun.Tool
	var names []string
	for _, c := range cs {
		venv := filepath.Join(dir, c.name, "venv")
		cache := filepath.Join(dir, c.name+"-cache")
		requests[c.name] = map[string][]int{}
		var scenario string
		var before int
		tools = append(tools, benchrun.Tool{
			Name: c.name,
			Prepare: func(sc string) (*exec.Cmd, error) {
				scenario = sc
				if sc == benchrun.Cold {
					if err := os.RemoveAll(cache); err != nil {
						return nil, err
					}
				}
				if err := freshVenv(o.python, venv); err != nil {
					return nil, err
				}
				args := c.args(filepath.Join(venv, "bin", "python"), cache)
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Dir = dir
				cmd.Env = append(slices.Clone(env), c.env(cache)...)
				before = len(reg.Requests())
				return cmd, nil
			},
			Check: func() error {
				requests[c.name][scenario] = append(requests[c.name][scenario], len(reg.Requests())-before)
				return checkInstalled(venv, len(set.wheels))
			},
		})
		names = append(names, c.name)
	}
	// The machine's load goes with the numbers: on a shared machine the
	// wall times mean little without it.
	loadBefore := loadAvg()
	res, err := benchrun.Interleave(tools, o.runs)
	if err != nil {
		return err
	}
	if err := res.Print(out, names, "airlock"); err != nil {
		return err
	}
	fmt.Fprintf(out, "load average (1 min) before the runs %s, after %s, on %d CPUs\n", loadBefore, loadAvg(), runtime.NumCPU())
	fmt.Fprint(out, "index requests per install (median):")
	for _, n := range names {
		fmt.Fprintf(out, " %s %d cold, %d warm;", n, medianInt(requests[n][benchrun.Cold]), medianInt(requests[n][benchrun.Warm]))
	}
	fmt.Fprintln(out)
	for _, c := range cs {
		if err := os.RemoveAll(filepath.Join(dir, c.name)); err != nil {
			return err
		}
	}
	return nil
}

// freshVenv makes an empty virtual environment (no pip) at dir, replacing
// the previous one, and syncs, so that no tool pays for another's
// deletions.
func freshVenv(python, dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	cmd := exec.Command(python, "-m", "venv", "--without-pip", dir)
	cmd.Env = cleanEnv("")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s -m venv --without-pip %s: %v\n%s", python, dir, err, b)
	}
	syscall.Sync()
	return nil
}

// checkInstalled counts the .dist-info directories in venv's
// site-packages: want, one per wheel.
func checkInstalled(venv string, want int) error {
	infos, err := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "*.dist-info"))
	if err != nil {
		return err
	}
	if len(infos) != want {
		return fmt.Errorf("%s has %d .dist-info directories, want %d", venv, len(infos), want)
	}
	return nil
}

// loadAvg is the 1-minute load average, or "?".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func medianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Ints(s)
	return s[len(s)/2]
}
