package pyinterp

import (
	"context"
	"errors"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/lock/pypi"
)

// ErrUnsupportedInterpreter: the target is not CPython 3 or PyPy 3.
var ErrUnsupportedInterpreter = errors.New("unsupported Python interpreter")

// ErrQuery: the interpreter could not be run or its answer not read.
var ErrQuery = errors.New("querying the Python interpreter failed")

// Interpreter is what Query learned about a target interpreter.
type Interpreter struct {
	// Executable is sys.executable (the venv's python for a venv).
	Executable string
	// Prefix and BasePrefix are sys.prefix and sys.base_prefix; InVenv is
	// set when they differ (PEP 405).
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
	// Paths is the default install scheme (site-packages of the venv or
	// of the interpreter).
	Paths Scheme
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

// Query runs python once and returns its facts. python is a path or a name
// looked up in PATH.
func Query(ctx context.Context, python string) (*Interpreter, error) {
	return nil, errors.New("pyinterp: not implemented yet")
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
