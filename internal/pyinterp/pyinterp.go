package pyinterp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/lock/pypi"
)

// ErrUnsupportedInterpreter: the target is not CPython 3 or PyPy 3.
var ErrUnsupportedInterpreter = errors.New("unsupported Python interpreter")

// ErrQuery: the interpreter could not be run or its answer not read.
var ErrQuery = errors.New("querying the Python interpreter failed")

// QueryTimeout bounds the interpreter run when ctx has no deadline.
const QueryTimeout = 30 * time.Second

// maxOutput bounds what Query reads from the interpreter.
const maxOutput = 1 << 20

// Interpreter is what Query learned about a target interpreter.
type Interpreter struct {
	// Executable is sys.executable (the venv's python for a venv).
	Executable string
	// Prefix and BasePrefix are sys.prefix and sys.base_prefix; InVenv is
	// set when they differ (PEP 405) or virtualenv < 20's real_prefix exists.
	Prefix, BasePrefix string
	InVenv             bool
	// Implementation is sys.implementation.name ("cpython", "pypy").
	Implementation string
	// Version is platform.python_version() ("3.11.7").
	Version string
	// Env carries the marker values and the ordered tags for lock/pypi.
	Env pypi.Environment
	// Facts are the inputs Env.Tags was computed from.
	Facts pypi.TagFacts
	// Paths is the install scheme pip would use by default: the venv's, or
	// the interpreter's preferred "prefix" scheme.
	Paths Scheme
	// SchemeName is the sysconfig scheme Paths came from ("venv",
	// "posix_prefix", Debian's "posix_local", ...).
	SchemeName string
	// SOABI and ExtSuffix are sysconfig's SOABI and EXT_SUFFIX ("" if unset).
	SOABI, ExtSuffix string
	// Platform is sysconfig.get_platform() ("linux-x86_64").
	Platform string
}

// Scheme is where each part of a wheel goes (the install scheme of the
// binary distribution format: purelib, platlib, scripts, data, headers).
// Headers is the base directory: like pip, the wheel installer appends the
// distribution's name to it.
type Scheme struct{ Purelib, Platlib, Scripts, Data, Headers string }

// answer is the JSON queryScript prints.
type answer struct {
	Implementation string            `json:"implementation"`
	VersionInfo    []int             `json:"version_info"`
	Executable     string            `json:"executable"`
	Prefix         string            `json:"prefix"`
	BasePrefix     string            `json:"base_prefix"`
	RealPrefix     *string           `json:"real_prefix"`
	Scheme         string            `json:"scheme"`
	Paths          map[string]string `json:"paths"`
	Markers        map[string]string `json:"markers"`
	Config         map[string]any    `json:"config"`
	HasRefcount    bool              `json:"has_refcount"`
	DebugExt       bool              `json:"debug_ext"`
	Platform       string            `json:"platform"`
	PointerSize    int               `json:"pointer_size"`
	Glibc          *string           `json:"glibc"`
	MacVer         []string          `json:"mac_ver"`
}

// Query runs python once and returns its facts. python is a path or a
// name looked up in PATH. The run gets an environment holding only PATH,
// its working directory is the temporary directory, and -I keeps
// PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, the user site and the current
// directory out of sys.path, so nothing planted there can run or change
// the answer.
func Query(ctx context.Context, python string) (*Interpreter, error) {
	exe, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrQuery, python, err)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, QueryTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, exe, "-I", "-c", queryScript)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Dir = os.TempDir()
	stdout := &limitedBuffer{max: maxOutput}
	stderr := &limitedBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		if strings.Contains(stderr.String(), "Unknown option: -I") {
			// -I arrived in Python 3.4; only Python 2 and very old 3.x lack it.
			return nil, fmt.Errorf("%w: %s is older than Python 3.4; airlock installs for CPython 3 and PyPy 3 only (choose another with --python)", ErrUnsupportedInterpreter, exe)
		}
		return nil, fmt.Errorf("%w: %s: %v: %s", ErrQuery, exe, err, strings.TrimSpace(stderr.String()))
	}
	if stdout.truncated {
		return nil, fmt.Errorf("%w: %s printed more than %d bytes", ErrQuery, exe, maxOutput)
	}
	var a answer
	if err := json.Unmarshal(stdout.Bytes(), &a); err != nil {
		return nil, fmt.Errorf("%w: %s: unreadable answer: %v", ErrQuery, exe, err)
	}
	if a.Executable == "" {
		a.Executable = exe
	}
	return fromAnswer(a, exe)
}

// fromAnswer turns the script's answer into an Interpreter; exe names the
// interpreter in errors.
func fromAnswer(a answer, exe string) (*Interpreter, error) {
	if len(a.VersionInfo) < 3 {
		return nil, fmt.Errorf("%w: %s: no version in the answer", ErrQuery, exe)
	}
	ver := fmt.Sprintf("%d.%d.%d", a.VersionInfo[0], a.VersionInfo[1], a.VersionInfo[2])
	short := map[string]string{"cpython": "cp", "pypy": "pp"}[a.Implementation]
	if short == "" || a.VersionInfo[0] != 3 {
		return nil, fmt.Errorf("%w: %s is %s %s; airlock installs for CPython 3 and PyPy 3 only (choose another with --python)", ErrUnsupportedInterpreter, exe, a.Implementation, ver)
	}
	if a.Markers == nil || a.Paths == nil {
		return nil, fmt.Errorf("%w: %s: incomplete answer", ErrQuery, exe)
	}
	for _, k := range pypi.MarkerVariables {
		if _, ok := a.Markers[k]; !ok {
			return nil, fmt.Errorf("%w: %s: no value for marker %s", ErrQuery, exe, k)
		}
	}
	it := &Interpreter{
		Executable:     a.Executable,
		Prefix:         a.Prefix,
		BasePrefix:     a.BasePrefix,
		InVenv:         a.Prefix != a.BasePrefix || a.RealPrefix != nil,
		Implementation: a.Implementation,
		Version:        a.Markers["python_full_version"],
		SchemeName:     a.Scheme,
		SOABI:          configString(a.Config, "SOABI"),
		ExtSuffix:      configString(a.Config, "EXT_SUFFIX"),
		Platform:       a.Platform,
	}
	it.Paths = Scheme{
		Purelib: a.Paths["purelib"],
		Platlib: a.Paths["platlib"],
		Scripts: a.Paths["scripts"],
		Data:    a.Paths["data"],
		Headers: a.Paths["include"],
	}
	if it.InVenv {
		// pip's get_scheme: in a venv, headers go to <prefix>/include/site/pythonX.Y.
		it.Paths.Headers = filepath.Join(a.Prefix, "include", "site", fmt.Sprintf("python%d.%d", a.VersionInfo[0], a.VersionInfo[1]))
	}
	for _, p := range []struct{ name, dir string }{
		{"purelib", it.Paths.Purelib}, {"platlib", it.Paths.Platlib},
		{"scripts", it.Paths.Scripts}, {"data", it.Paths.Data}, {"include", it.Paths.Headers},
	} {
		if !filepath.IsAbs(p.dir) {
			return nil, fmt.Errorf("%w: %s: sysconfig path %s is %q, not absolute", ErrQuery, exe, p.name, p.dir)
		}
	}
	facts, err := tagFacts(a, short, exe)
	if err != nil {
		return nil, err
	}
	it.Facts = facts
	it.Env = pypi.Environment{Markers: a.Markers, Tags: pypi.SysTags(facts)}
	return it, nil
}

func configString(c map[string]any, k string) string {
	s, _ := c[k].(string)
	return s
}

// configBool reads a 0/1 config variable; nil when unset, because
// packaging treats unset differently from 0.
func configBool(c map[string]any, k string) *bool {
	switch v := c[k].(type) {
	case float64:
		b := v != 0
		return &b
	case bool:
		return &v
	}
	return nil
}

func tagFacts(a answer, short, exe string) (pypi.TagFacts, error) {
	pv := [2]int{a.VersionInfo[0], a.VersionInfo[1]}
	f := pypi.TagFacts{Implementation: short, PythonVersion: pv}
	switch v := a.Config["py_version_nodot"].(type) {
	case string:
		f.InterpreterVersion = v
	case float64:
		f.InterpreterVersion = strconv.Itoa(int(v))
	}
	cpythonABIs := func() []string {
		return pypi.CPythonABIs(pv, configBool(a.Config, "Py_DEBUG"), configBool(a.Config, "Py_GIL_DISABLED"),
			configBool(a.Config, "WITH_PYMALLOC"), a.HasRefcount || a.DebugExt)
	}
	if short == "cp" {
		f.ABIs = cpythonABIs()
	} else {
		abis, err := pypi.GenericABIs(configString(a.Config, "EXT_SUFFIX"))
		if err != nil {
			return f, fmt.Errorf("%w: %s: %v", ErrQuery, exe, err)
		}
		if abis == nil {
			abis = cpythonABIs() // packaging does the same for a two-part EXT_SUFFIX
		}
		f.ABIs = abis
	}
	is32 := a.PointerSize == 4
	switch a.Markers["platform_system"] {
	case "Linux":
		archs := pypi.LinuxArchs(a.Platform, is32)
		bin := readELF(a.Executable)
		abiOK := pypi.ManylinuxABICompatible(archs, bin.armhf, bin.i386)
		glibc := [2]int{-1, -1}
		if a.Glibc != nil {
			glibc = parseGlibc(*a.Glibc)
		}
		musl := [2]int{0, 0}
		if strings.Contains(bin.interp, "musl") {
			musl = muslVersion(bin.interp)
		}
		f.Platforms = pypi.LinuxPlatforms(a.Platform, is32, abiOK, glibc, musl)
	case "Darwin":
		f.Platforms = pypi.MacPlatforms(macFacts(a.MacVer, is32))
	default:
		f.Platforms = []string{strings.NewReplacer(".", "_", "-", "_", " ", "_").Replace(a.Platform)}
	}
	if len(f.Platforms) == 0 {
		return f, fmt.Errorf("%w: %s: no platform tags for platform %q", ErrQuery, exe, a.Platform)
	}
	return f, nil
}

// macFacts reads platform.mac_ver()'s release and machine, and applies
// packaging's _mac_arch for 32-bit interpreters.
func macFacts(macVer []string, is32 bool) ([2]int, string) {
	var ver [2]int
	arch := ""
	if len(macVer) == 2 {
		parts := strings.Split(macVer[0], ".")
		ver[0], _ = strconv.Atoi(parts[0])
		if len(parts) > 1 {
			ver[1], _ = strconv.Atoi(parts[1])
		}
		arch = macVer[1]
	}
	if is32 {
		if strings.HasPrefix(arch, "ppc") {
			arch = "ppc"
		} else {
			arch = "i386"
		}
	}
	return ver, arch
}

var glibcRE = regexp.MustCompile(`^([0-9]+)\.([0-9]+)`)

// parseGlibc reads os.confstr's "glibc 2.36" as packaging's
// _parse_glibc_version does: {-1, -1} when there is no major.minor.
func parseGlibc(s string) [2]int {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return [2]int{-1, -1}
	}
	m := glibcRE.FindStringSubmatch(fields[1])
	if m == nil {
		return [2]int{-1, -1}
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return [2]int{-1, -1}
	}
	return [2]int{major, minor}
}

// SchemeForTarget is pip's --target DIR layout. pip installs into a
// temporary "home" scheme and moves its contents into DIR: purelib and
// platlib become DIR itself, scripts DIR/bin, data DIR, and headers
// DIR/include/python (DIR/include/site/pythonX.Y when the interpreter runs
// in a venv, as pip's get_scheme computes it).
func SchemeForTarget(dir string, it *Interpreter) Scheme {
	headers := filepath.Join(dir, "include", "python")
	if it != nil && it.InVenv {
		headers = filepath.Join(dir, "include", "site", "python"+majorMinor(it.Version))
	}
	return Scheme{
		Purelib: dir,
		Platlib: dir,
		Scripts: filepath.Join(dir, "bin"),
		Data:    dir,
		Headers: headers,
	}
}

// majorMinor returns "3.11" for "3.11.7".
func majorMinor(version string) string {
	major, rest, _ := strings.Cut(version, ".")
	minor, _, _ := strings.Cut(rest, ".")
	return major + "." + minor
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max       int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.truncated = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}
