package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/fetch/vendor"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/install/wheel"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/internal/pyinterp"
	"github.com/airlock-dev/airlock/internal/safefile"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	resolvepypi "github.com/airlock-dev/airlock/resolve/pypi"
)

// pipFlags are the command-line settings of `airlock pip install`.
type pipFlags struct {
	requirements, lockFile  string
	target, python          string
	indexURL                string
	extraIndexURLs          listFlag
	trustedHosts            listFlag
	noIndex                 bool
	cert, clientCert        string
	offline, jsonOut, quiet bool
	noRemoteCache           bool
	configFile              string
	extras, groups          listFlag
	onlyGroups, noGroups    listFlag
	allExtras, noDev        bool
	noDefaultGroups         bool
	from                    string // --from: a vendor directory

	// names are requirements to resolve (airlock pip install NAME...,
	// airlock pip lock NAME...); resolveIn a requirements.in to resolve
	// (airlock pip lock -r); output the pylock.toml pip lock writes.
	names     []string
	resolveIn string
	output    string
	// noPolicy leaves [policy] out (airlock verify compares trees only).
	noPolicy bool
	// upgrade (-U), upgradeStrategy and forceReinstall say which
	// installed distributions a resolution keeps, as for pip.
	upgrade         bool
	upgradeStrategy string
	forceReinstall  bool
}

const pipSynopsis = "-r requirements.txt | --lock pylock.toml | --lock uv.lock | NAME[==V|specifier][extras]... [flags]"

// pipNoOpUsage marks flags accepted for pip compatibility that change
// nothing: airlock never resolves dependencies, always checks hashes,
// never builds and never byte-compiles.
const pipNoOpUsage = "accepted for pip compatibility; changes nothing"

// register defines pip install's flags on fs; without forInstall, only
// those that choose and locate the wheels (airlock fetch and vendor).
func (f *pipFlags) register(fs *flag.FlagSet, forInstall bool) {
	fs.StringVar(&f.requirements, "r", "", "requirements `file` in pip's hash-checking form (every line pinned with == and --hash)")
	fs.StringVar(&f.requirements, "requirement", "", "same as -r")
	fs.StringVar(&f.lockFile, "lock", "", "a pylock.toml (PEP 751) or uv.lock `file` to install")
	if forInstall {
		fs.StringVar(&f.target, "target", "", "install into `DIR` (pip's --target layout) instead of an environment")
		fs.StringVar(&f.target, "t", "", "same as --target")
		fs.StringVar(&f.from, "from", "", "install from this vendor `DIR` (written by airlock vendor) with no network at all")
	}
	fs.StringVar(&f.python, "python", "", "the target `interpreter` (default: $VIRTUAL_ENV/bin/python)")
	fs.StringVar(&f.indexURL, "index-url", "", "the package index `URL` (overrides pip.conf and PIP_INDEX_URL)")
	fs.StringVar(&f.indexURL, "i", "", "same as --index-url")
	fs.Var(&f.extraIndexURLs, "extra-index-url", "another index `URL` to look at (repeatable)")
	fs.BoolVar(&f.noIndex, "no-index", false, "ask no index: every wheel must have a URL in the lockfile")
	fs.Var(&f.trustedHosts, "trusted-host", "refused: airlock never turns certificate checks off")
	fs.StringVar(&f.cert, "cert", "", "a PEM CA bundle `file` trusted in addition to the system roots")
	fs.StringVar(&f.clientCert, "client-cert", "", "a PEM `file` with a client certificate and its key, presented to the index hosts")
	if forInstall {
		// airlock fetch and vendor define these for both ecosystems.
		fs.BoolVar(&f.offline, "offline", false, "use only the cache; fail if a wheel or index page is not in it")
		fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
		fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
		fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
		fs.BoolVar(&f.quiet, "q", false, "same as --quiet")
		fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	}
	fs.Var(&f.extras, "extra", "uv.lock: an extra of the project to install (repeatable)")
	fs.BoolVar(&f.allExtras, "all-extras", false, "uv.lock: install every extra")
	fs.Var(&f.groups, "group", "uv.lock: a dependency group to install as well (repeatable)")
	fs.Var(&f.onlyGroups, "only-group", "uv.lock: install only this dependency group (repeatable)")
	fs.Var(&f.noGroups, "no-group", "uv.lock: leave this dependency group out (repeatable)")
	fs.BoolVar(&f.noDev, "no-dev", false, "uv.lock: leave the dev group out")
	fs.BoolVar(&f.noDefaultGroups, "no-default-groups", false, "uv.lock: leave the default groups out")
	if !forInstall {
		return
	}
	for _, name := range []string{"no-deps", "require-hashes", "no-compile", "no-build-isolation", "disable-pip-version-check", "no-input", "no-cache-dir"} {
		fs.Bool(name, false, pipNoOpUsage)
	}
	fs.String("only-binary", "", pipNoOpUsage)
	// pip's upgrade options matter to requirements given by name; a lock
	// always installs what it pins.
	fs.BoolVar(&f.upgrade, "upgrade", false, "requirements given by name: upgrade them to the newest versions policy allows (dependencies only if needed); without it, installed versions that satisfy are kept")
	fs.BoolVar(&f.upgrade, "U", false, "same as --upgrade")
	fs.StringVar(&f.upgradeStrategy, "upgrade-strategy", "only-if-needed", "with -U: `only-if-needed` upgrades dependencies only when the installed version does not satisfy, eager upgrades them all")
	fs.BoolVar(&f.forceReinstall, "force-reinstall", false, "requirements given by name: resolve as if nothing were installed and reinstall every package, even one already up to date")
	fs.String("progress-bar", "", pipNoOpUsage)
}

func pipCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "lock") {
		fmt.Fprintf(stderr, "airlock pip: only 'install' and 'lock' are supported (got %q)\n\nUsage: airlock pip install %s\n       airlock pip lock %s\n", argOrNothing(args), pipSynopsis, pipLockSynopsis)
		return exitUsage
	}
	var f pipFlags
	run := runPipInstall
	var fs *flag.FlagSet
	if args[0] == "lock" {
		fs = newFlagSet("pip lock", pipLockSynopsis, stderr)
		f.registerLock(fs)
		run = runPipLock
	} else {
		fs = newFlagSet("pip install", pipSynopsis, stderr)
		f.register(fs, true)
	}
	names, err := parseInterleaved(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	f.names = names
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	err = run(ctx, &f, rep)
	code := exitCode(ctx, err)
	if err != nil {
		switch {
		case ctx.Err() != nil && !errors.Is(err, install.ErrNotRestored):
			err = fmt.Errorf("interrupted by %v; the environment is unchanged", context.Cause(ctx))
		case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
			err = fmt.Errorf("%w\nthe disk (or your quota) is full: free some space and run again; nothing was installed%s", err, pipUnchangedNote(err))
		}
		rep.fail(err, code)
		rep.audit.add(auditlog.Event{Kind: "install", Result: "failed", Detail: fmt.Sprintf("pip install (exit %d): %v", code, err)})
	}
	rep.audit.flush()
	return code
}

func runPipInstall(ctx context.Context, f *pipFlags, rep *reporter) error {
	began := time.Now()
	pp, err := planPip(ctx, f, true, rep)
	if err != nil {
		return err
	}
	defer finishRemoteCache(pp.fetcher, rep)
	scheme, plan := pp.scheme, pp.wheels
	if pp.vendor != nil {
		defer pp.vendor.Close()
	}

	for _, d := range pp.kept {
		rep.skipped(event{Name: d.Name, Version: d.Version, Reason: "already satisfied: " + d.Source})
		rep.info(fmt.Sprintf("Requirement already satisfied: %s==%s", d.Name, d.Version))
	}
	if len(plan) == 0 && pp.resolved != nil {
		// Nothing to install: the environment is left exactly as it is
		// (no staging area, no lock file, no swap).
		rep.start("pip install", 0)
		e := event{Kept: len(pp.kept), Seconds: time.Since(began).Seconds()}
		line := fmt.Sprintf("nothing to install: the %d installed packages the requirements need already satisfy them (-U upgrades the named ones, --force-reinstall reinstalls)", len(pp.kept))
		if len(pp.kept) == 0 {
			line = "nothing to install: no requirement applies to this interpreter (their markers do not hold)"
		}
		rep.done(e, []string{line})
		rep.audit.add(auditlog.Event{Kind: "install", Result: "ok", Detail: "pip install: " + line})
		return nil
	}
	rep.start("pip install", len(plan))
	var stats installStats
	if f.target != "" {
		// pip creates the --target directory too.
		if err := os.MkdirAll(scheme.Purelib, 0o777); err != nil {
			return withCode(exitUsage, err)
		}
	}
	res, root, err := pp.installWheels(ctx, scheme, &stats, rep)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	for _, d := range res.Dists {
		for _, pth := range d.Pth {
			rep.warn(event{Name: d.Name, Version: d.Version, Message: fmt.Sprintf("%s %s installed %s, which Python runs at every start-up", d.Name, d.Version, pth)})
		}
	}
	summary, lines := summarizePip(res, &stats, time.Since(began))
	if len(pp.kept) > 0 {
		summary.Kept = len(pp.kept)
		lines = append(lines[:1:1], append([]string{fmt.Sprintf("kept %d installed packages that already satisfy the requirements", len(pp.kept))}, lines[1:]...)...)
	}
	rep.done(summary, lines)
	rep.audit.add(auditlog.Event{Kind: "install", Result: "ok", Detail: "pip install into " + root + ": " + strings.Join(lines, "; ")})
	return nil
}

// installWheels fetches the plan's wheels and lays them out in scheme —
// the plan's environment, or a scratch copy of its layout for airlock
// verify — through a staging area swapped in whole. It returns the
// install's root (the scheme's common directory).
func (pp *pipPlan) installWheels(ctx context.Context, scheme pyinterp.Scheme, stats *installStats, rep *reporter) (*wheel.Result, string, error) {
	root, err := wheel.Root(wheel.Scheme(scheme))
	if err != nil {
		return nil, "", withCode(exitUsage, err)
	}
	st, err := install.Begin(ctx, root, install.Options{
		LockWait:   30 * time.Second,
		OnLockWait: rep.lockWait(root),
	})
	if err != nil {
		return nil, "", classifyInstallError(err)
	}
	defer st.Abort()
	wheels, err := fetchWheels(ctx, pp.fetcher, st, pp.wheels, pp.cfg.Concurrency, stats, rep)
	if err != nil {
		return nil, "", err
	}
	res, err := wheel.Stage(ctx, st, wheel.Scheme(scheme), wheels, wheel.Options{
		DenyPth:       pp.cfg.DenyPth,
		Python:        pp.it.Executable,
		PythonVersion: majorMinor(pp.it.Version),
		CacheTag:      cacheTag(pp.it),
		Installer:     "airlock",
	})
	if err != nil {
		return nil, "", classifyPipInstallError(err)
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, "", classifyInstallError(err)
	}
	res.Warnings = append(res.Warnings, warnings...)
	return res, root, nil
}

// pipPlan is a Python lock's wheels chosen for the target interpreter,
// checked before anything is downloaded, with the fetcher to get them.
type pipPlan struct {
	// resolved is the lock a resolution produced (requirements given by
	// name), nil for a lockfile; kept are the installed distributions the
	// resolution keeps (pip's "Requirement already satisfied"), out of
	// resolved and of wheels: nothing of them is fetched or laid out.
	resolved *lockpypi.Lock
	kept     []lockpypi.Dist
	// installed is what the environment holds, for the resolver (none
	// for --target, --force-reinstall and commands that install nothing);
	// upgrade is which of them may move (-U, --upgrade-strategy).
	installed []resolvepypi.Installed
	upgrade   resolvepypi.Upgrade
	cfg       *config.Config
	it        *pyinterp.Interpreter
	scheme    pyinterp.Scheme // set when planned for installing
	lockName  string
	fetcher   *fetch.Fetcher
	wheels    []plannedWheel
	vendor    *vendor.Source // --from
}

// planPip reads the lock and the configuration, asks the interpreter about
// itself and chooses every wheel (asking the indexes for requirements
// files). forInstall also works out where the wheels go, refusing an
// interpreter outside a virtual environment without --target; airlock
// fetch and vendor need only the interpreter's tags and markers.
func planPip(ctx context.Context, f *pipFlags, forInstall bool, rep *reporter) (*pipPlan, error) {
	resolving := len(f.names) > 0 || f.resolveIn != ""
	switch {
	case resolving && (f.requirements != "" || f.lockFile != ""):
		return nil, withCode(exitUsage, fmt.Errorf("give requirements to resolve (names) or a lockfile (-r with hashes, --lock), not both"))
	case resolving && f.from != "":
		return nil, withCode(exitUsage, fmt.Errorf("--from installs what a lockfile pins from a vendor directory; it cannot resolve names: lock them first (airlock pip lock), vendor the lock, then install it with --lock and --from"))
	case resolving:
	case f.requirements == "" && f.lockFile == "":
		return nil, withCode(exitUsage, fmt.Errorf("nothing to install: name the requirements to resolve (airlock pip install requests), or give a requirements file with -r (every line pinned with == and --hash), or a pylock.toml or uv.lock with --lock"))
	case f.requirements != "" && f.lockFile != "":
		return nil, withCode(exitUsage, fmt.Errorf("-r and --lock are alternatives; give one of them"))
	}
	if f.upgradeStrategy != "" && f.upgradeStrategy != "only-if-needed" && f.upgradeStrategy != "eager" {
		return nil, withCode(exitUsage, fmt.Errorf("--upgrade-strategy %s: pip's strategies are only-if-needed and eager", f.upgradeStrategy))
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	cfg, err := config.Load(f.configFile, cwd, os.Getenv)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if f.noRemoteCache {
		cfg.RemoteCache = config.RemoteCache{}
	}
	// Python names compare in PEP 503 form: deny and [policy.packages]
	// patterns too ("Foo_Bar" is "foo-bar"). uv's exclude-newer applies
	// where airlock.toml sets no min_release_age.
	cfg.Policy = cfg.PolicyFor(config.Python).WithNames(lockpypi.NormalizeName)
	rep.audit.configure(cfg, cwd)

	var (
		lk       *lockpypi.Lock
		lockName string
		toSolve  *requirementsToResolve
	)
	if resolving {
		if toSolve, err = parseResolveArgs(f.names, f.resolveIn); err != nil {
			return nil, err
		}
		lk, lockName = toSolve.lk, f.resolveIn
		if lockName == "" {
			lockName = "the command line"
		}
	} else if lk, lockName, err = readPythonLock(f); err != nil {
		return nil, err
	}

	python, err := targetPython(f, forInstall)
	if err != nil {
		return nil, err
	}
	it, err := pyinterp.Query(ctx, python)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("asking %s about itself: %w", python, err))
	}
	pp := &pipPlan{cfg: cfg, it: it, lockName: lockName}
	switch {
	case !forInstall:
	case f.target != "":
		dir, err := filepath.Abs(f.target)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		pp.scheme = pyinterp.SchemeForTarget(dir, it)
	case !it.InVenv:
		return nil, withCode(exitUsage, fmt.Errorf("%s (%s) is not a virtual environment's interpreter; airlock installs into virtual environments (python3 -m venv .venv, then --python .venv/bin/python or activate it) or into a directory with --target", python, it.Executable))
	default:
		pp.scheme = it.Paths
	}

	var dists []lockpypi.Dist
	if !resolving {
		if dists, err = lk.Select(it.Env); err != nil {
			return nil, classifyPipLockError(fmt.Errorf("%s: %w", lockName, err))
		}
	}
	var finder wheelFinder
	if f.from != "" {
		// Everything comes from the vendor directory: no index, no
		// cache, no network client at all.
		if pp.vendor, err = openVendor(f.from); err != nil {
			return nil, err
		}
		pp.fetcher = &fetch.Fetcher{Getter: pp.vendor, Locator: pp.vendor}
		finder = vendorFinder{pp.vendor, f.from}
		reportSkipped(lk.Dists, dists, rep)
	} else {
		pc, err := loadPipConfig(f, it, lk, lockName)
		if err != nil {
			return nil, err
		}
		for _, w := range pc.Warnings {
			rep.warn(event{Message: w})
		}
		var ff *fetchpypi.Finder
		if pp.fetcher, ff, err = newPipFetcher(cfg, pc, f.offline, rep); err != nil {
			return nil, err
		}
		if resolving {
			if forInstall && f.target == "" && !f.forceReinstall {
				// pip --target and --force-reinstall ignore what is
				// installed; so do airlock fetch, vendor and lock.
				if pp.installed, err = installedDists(pp.scheme, rep); err != nil {
					return nil, err
				}
				pp.upgrade = upgradeMode(f)
			}
			if pp.resolved, err = pp.resolve(ctx, toSolve, ff, rep); err != nil {
				return nil, err
			}
			lk, dists = pp.resolved, pp.resolved.Dists
		}
		reportSkipped(lk.Dists, dists, rep)
		finder = pipFinder{ff}
	}
	pp.fetcher.RelockHint = relockPython(f)
	if err := pp.planWheelsChecked(ctx, f, dists, finder, rep); err != nil {
		if pp.vendor != nil {
			pp.vendor.Close()
		}
		return nil, err
	}
	return pp, nil
}

// readPythonLock parses the -r or --lock file.
func readPythonLock(f *pipFlags) (*lockpypi.Lock, string, error) {
	read := func(name string) ([]byte, error) { return safefile.Read(name, lockpypi.MaxLockSize) }
	if f.requirements != "" {
		lk, err := lockpypi.ParseRequirementsEnv(f.requirements, read, os.Getenv)
		if err != nil {
			return nil, "", classifyPipLockError(err)
		}
		return lk, f.requirements, nil
	}
	data, err := read(f.lockFile)
	if err != nil {
		return nil, "", withCode(exitUsage, err)
	}
	base := filepath.Base(f.lockFile)
	var lk *lockpypi.Lock
	switch {
	case base == "uv.lock":
		lk, err = lockpypi.ParseUVLock(data, lockpypi.UVOptions{
			Extras: f.extras.values, AllExtras: f.allExtras,
			Groups: f.groups.values, OnlyGroups: f.onlyGroups.values, NoGroups: f.noGroups.values,
			NoDefaultGroups: f.noDefaultGroups, NoDev: f.noDev,
		})
	case base == "pylock.toml" || strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml"):
		lk, err = lockpypi.ParsePylock(data)
	default:
		return nil, "", withCode(exitUsage, fmt.Errorf("--lock %s: the file name tells the format: pylock.toml or pylock.<name>.toml (PEP 751), or uv.lock; for a requirements file use -r", f.lockFile))
	}
	if err != nil {
		return nil, "", classifyPipLockError(fmt.Errorf("%s: %w", f.lockFile, err))
	}
	return lk, f.lockFile, nil
}

// targetPython picks the interpreter whose environment is installed into:
// --python, else the active virtual environment's. With --target and
// neither, python3 on PATH supplies the tags and markers, as pip --target
// uses the pip running it; so it does for airlock fetch and vendor
// (!forInstall), which install nothing.
func targetPython(f *pipFlags, forInstall bool) (string, error) {
	if f.python != "" {
		// A path is made absolute: it goes into script shebangs.
		if strings.ContainsRune(f.python, os.PathSeparator) {
			abs, err := filepath.Abs(f.python)
			if err != nil {
				return "", withCode(exitUsage, err)
			}
			return abs, nil
		}
		return f.python, nil
	}
	if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
		return filepath.Join(venv, "bin", "python"), nil
	}
	if f.target != "" || !forInstall {
		return "python3", nil
	}
	return "", withCode(exitUsage, errors.New("no virtual environment is active (VIRTUAL_ENV is not set) and no --python or --target was given; airlock does not install into the system's Python: activate a virtual environment, or pass --python .venv/bin/python, or --target DIR"))
}

func majorMinor(v string) string {
	major, rest, _ := strings.Cut(v, ".")
	minor, _, _ := strings.Cut(rest, ".")
	return major + "." + minor
}

// cacheTag is sys.implementation.cache_tag: "cpython-311", "pypy311".
func cacheTag(it *pyinterp.Interpreter) string {
	mm := strings.ReplaceAll(majorMinor(it.Version), ".", "")
	if it.Implementation == "pypy" {
		return "pypy" + mm
	}
	return "" // wheel's default: CPython's tag for the version
}

func pipUnchangedNote(err error) string {
	if errors.Is(err, install.ErrNotRestored) {
		return ""
	}
	return " and the environment is unchanged"
}
