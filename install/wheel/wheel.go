package wheel

import (
	"context"
	"os"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/unpack"
)

// Scheme says where each part of a wheel goes: absolute directories, as the
// target interpreter's sysconfig (or pip --target) names them. Headers is the
// base directory: a distribution's headers go to Headers/<Wheel.Name>, as
// pip's scheme appends the name.
type Scheme struct{ Purelib, Platlib, Scripts, Data, Headers string }

// Options apply to every wheel of one Stage.
type Options struct {
	// Python is the target interpreter's absolute path, written into
	// script shebangs. Required.
	Python string
	// PythonVersion is the target's "major.minor" ("3.11"), for pip's
	// versioned pip3.11 and easy_install-3.11 scripts. Required.
	PythonVersion string
	// CacheTag is sys.implementation.cache_tag ("cpython-311"), used to
	// uninstall __pycache__ files as pip does. "" means CPython's tag for
	// PythonVersion.
	CacheTag string
	// Installer is written to each INSTALLER file. "" means "airlock".
	Installer string
	// Umask is taken away from every mode, as the process umask is from
	// pip's. Zero means the process's umask.
	Umask os.FileMode
	// DenyPth refuses wheels with a .pth file at the top of purelib or
	// platlib, instead of only reporting it.
	DenyPth bool
	// Limits bound each archive; the zero value means unpack's defaults.
	Limits unpack.Limits
}

// Wheel is one verified wheel to install.
type Wheel struct {
	// File is the wheel on disk, already verified against the lock. It is
	// only read.
	File string
	// Filename is the wheel's file name, for messages ("" means
	// filepath.Base(File)).
	Filename string
	// Name and Version are what the lock says this wheel is; the
	// .dist-info directory and METADATA must agree. Name is also the
	// headers subdirectory, spelled as given (pip uses the requirement's
	// spelling).
	Name, Version string
	// Requested marks a top-level requirement: REQUESTED is written.
	Requested bool
	// DirectURL, if not nil, is written as direct_url.json (PEP 610); nil
	// for index installs, as pip does.
	DirectURL []byte
}

// Result describes a staged (and, after Commit, completed) install.
type Result struct {
	Dists []DistResult // in the order of the wheels given
	// Warnings are things pip would also let pass but a user may want to
	// know: a file installed by two wheels (the later one wins, as in pip).
	Warnings []string
}

// DistResult describes one installed distribution.
type DistResult struct {
	Name, Version string
	DistInfo      string   // the .dist-info directory's name
	Files         int      // files installed, generated ones included
	Scripts       []string // names created in Scheme.Scripts, sorted
	// Pth lists the .pth files installed at the top of purelib or platlib
	// (paths relative to that directory): Python runs their import lines
	// at every start-up.
	Pth []string
	// Replaced lists the versions uninstalled ("1.0"), usually zero or
	// one.
	Replaced []string
}

// Root returns the deepest directory holding every scheme directory (for a
// virtual environment, its prefix), the natural project directory for the
// Staging when the environment lies outside the project.
func Root(s Scheme) (string, error) { return root(s) }

// Stage verifies every wheel, extracts it into st's staging area and builds
// there the new content of every scheme entry the install changes, the
// previous versions of the same distributions uninstalled. Nothing in the
// environment changes: the caller commits st (or aborts it on error). Every
// scheme directory must lie inside st.Project(). Wheels are laid out in the
// order given; distributions must be distinct.
func Stage(ctx context.Context, st *install.Staging, scheme Scheme, wheels []Wheel, opts Options) (*Result, error) {
	return stage(ctx, st, scheme, wheels, opts)
}

// Install is Begin + Stage + Commit: it installs wheels into scheme under
// the project lock of project ("" means Root(scheme)), returning Commit's
// warnings in Result.Warnings.
func Install(ctx context.Context, project string, scheme Scheme, wheels []Wheel, opts Options, lockOpts install.Options) (*Result, error) {
	if project == "" {
		r, err := Root(scheme)
		if err != nil {
			return nil, err
		}
		project = r
	}
	st, err := install.Begin(ctx, project, lockOpts)
	if err != nil {
		return nil, err
	}
	defer st.Abort()
	res, err := Stage(ctx, st, scheme, wheels, opts)
	if err != nil {
		return nil, err
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, warnings...)
	return res, nil
}
