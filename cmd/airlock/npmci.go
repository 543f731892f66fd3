package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/fetch/vendor"
	"github.com/airlock-dev/airlock/install"
	installnpm "github.com/airlock-dev/airlock/install/npm"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/unpack"
	"github.com/airlock-dev/airlock/verify"
)

// npmCIFlags are the command-line settings of `airlock npm ci`.
type npmCIFlags struct {
	dir, configFile string
	omit, include   listFlag
	production      bool
	offline         bool
	jsonOut, quiet  bool
	os, cpu, libc   string
	// legacyPeerDeps and engineStrict are --legacy-peer-deps and
	// --engine-strict; nil when not given, so that .npmrc decides.
	legacyPeerDeps, engineStrict *bool
	// allowScripts adds --allow-scripts entries to [scripts] allow.
	allowScripts []string
	// ignoreScripts is npm's --ignore-scripts: no native script
	// allowance applies (ignoreScriptsFlag).
	ignoreScripts bool

	legacyPeerDepsFlag, engineStrictFlag *bool // as parsed; see parsed

	// from is --from: a vendor directory to install from (npm ci only).
	from string
	// noRemoteCache is --no-remote-cache: ignore [cache] remote.
	noRemoteCache bool
	// optional is npm's deprecated --[no-]optional (nil when not given):
	// false is --omit=optional.
	optional *bool
	// npmCache is npm's --cache DIR: airlock keeps its own verified cache
	// in DIR/airlock, so that CI caching DIR between runs keeps it too.
	npmCache string
}

// register defines the npm ci flags on fs; call parsed after fs.Parse.
func (f *npmCIFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json and the lockfile)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.Var(&f.omit, "omit", "dependency `type` to leave out: dev, optional or peer (repeatable)")
	fs.Var(&f.include, "include", "dependency `type` to install even if omitted elsewhere (repeatable)")
	fs.BoolVar(&f.production, "production", false, "same as --omit=dev (npm's deprecated alias)")
	fs.BoolVar(&f.offline, "offline", false, "use only the cache; fail if a package is not in it")
	fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
	fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
	fs.StringVar(&f.os, "os", "", "match optional dependencies against this `os` instead of the host's (npm's --os)")
	fs.StringVar(&f.cpu, "cpu", "", "match optional dependencies against this `cpu` instead of the host's (npm's --cpu)")
	fs.StringVar(&f.libc, "libc", "", "match optional dependencies against this `libc` instead of the host's (npm's --libc)")
	f.legacyPeerDepsFlag = fs.Bool("legacy-peer-deps", false, "ignore peer dependencies, as npm's --legacy-peer-deps (default: .npmrc's legacy-peer-deps)")
	f.engineStrictFlag = fs.Bool("engine-strict", false, "refuse required packages whose engines do not match, as npm's --engine-strict (default: .npmrc's engine-strict)")
	fs.Func("allow-scripts", "run the install scripts of these packages (`NAME[@RANGE],...`), sandboxed, after installing; adds to airlock.toml's [scripts] allow", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.allowScripts = append(f.allowScripts, s)
			}
		}
		return nil
	})
	fs.StringVar(&f.npmCache, "cache", "", "npm's cache `DIR`: airlock keeps its verified cache in DIR/airlock instead of $AIRLOCK_CACHE, so CI that caches DIR keeps it")
	fs.BoolVar(&f.quiet, "silent", false, "same as --quiet (npm's --silent, -s)")
	fs.BoolVar(&f.quiet, "s", false, "same as --quiet")
	// npm prints its summary at every level but silent; airlock's
	// warnings are about what it installs, so they stay at error too.
	fs.Func("loglevel", "npm's `level`: silent is --quiet; error, warn, notice, http, timing, info, verbose and silly change nothing", func(v string) error {
		switch v {
		case "silent":
			f.quiet = true
		case "error", "warn", "notice", "http", "timing", "info", "verbose", "silly":
		default:
			return fmt.Errorf("npm's log levels are silent, error, warn, notice, http, timing, info, verbose and silly")
		}
		return nil
	})
	fs.Bool("optional", true, "same as --include=optional (npm's deprecated --optional); --no-optional is --omit=optional")
	fs.Bool("no-optional", false, "same as --omit=optional (npm's deprecated --no-optional)")
	fs.BoolVar(&f.ignoreScripts, "ignore-scripts", false, ignoreScriptsUsage)
	acceptNpmNoOps(fs)
}

// parsed records which of the flags .npmrc also sets were given.
func (f *npmCIFlags) parsed(fs *flag.FlagSet) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "legacy-peer-deps":
			f.legacyPeerDeps = f.legacyPeerDepsFlag
		case "engine-strict":
			f.engineStrict = f.engineStrictFlag
		case "optional", "no-optional":
			b := fl.Value.String() == "true"
			if fl.Name == "no-optional" {
				b = !b
			}
			f.optional = &b
		}
	})
}

func npmCI(ctx context.Context, command string, args []string, stdout, stderr io.Writer) int {
	var f npmCIFlags
	fs := newFlagSet(command, "[flags]", stderr)
	f.register(fs)
	fs.StringVar(&f.from, "from", "", "install from this vendor `DIR` (written by airlock vendor) with no network at all")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	f.parsed(fs)
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock %s: unexpected argument %q (npm ci installs the whole lockfile)\n", command, fs.Arg(0))
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	return finishNpm(ctx, rep, runNpmCI(ctx, command, &f, rep))
}

// finishNpm reports how an npm command ended and returns its exit code.
func finishNpm(ctx context.Context, rep *reporter, err error) int {
	code := exitCode(ctx, err)
	if err != nil {
		switch {
		case ctx.Err() != nil && !errors.Is(err, install.ErrNotRestored):
			err = fmt.Errorf("interrupted by %v; the previous node_modules is unchanged", context.Cause(ctx))
		case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
			err = fmt.Errorf("%w\nthe disk (or your quota) is full: free some space and run again; nothing was installed%s", err, unchangedNote(err))
		}
		rep.fail(err, code)
		rep.audit.add(auditlog.Event{Kind: "install", Result: "failed", Detail: fmt.Sprintf("exit %d: %v", code, err)})
	}
	rep.audit.flush()
	return code
}

// unchangedNote is the promise a failed install can make about the
// previous tree: install.Install changes nothing unless it fails to undo a
// swap, which ErrNotRestored spells out.
func unchangedNote(err error) string {
	if errors.Is(err, install.ErrNotRestored) {
		return ""
	}
	return " and the previous node_modules is unchanged"
}

// npmPlan is what an npm install works from: the project, its
// configuration and the lockfile entries npm ci would install. airlock
// verify builds the same plan to lay out the expected tree.
type npmPlan struct {
	projectDir string
	cfg        *config.Config
	rc         *npmrc.Config
	project    *npmProject
	sel        *locknpm.Selection
	// vendor, when set, is the only source of archives (--from).
	vendor *vendor.Source
}

// loadNpmPlan reads the project's configuration and lockfile and selects
// the packages to install, reporting npmrc warnings, skipped entries and
// selection warnings to rep.
func loadNpmPlan(f *npmCIFlags, rep *reporter) (*npmPlan, error) {
	setup, err := loadNpmSetup(f, rep)
	if err != nil {
		return nil, err
	}
	project, err := readNpmProject(setup.projectDir, setup.legacyPeerDeps)
	if err != nil {
		return nil, err
	}
	return setup.plan(f, project, rep)
}

// npmSetup is the configuration an npm command runs under.
type npmSetup struct {
	projectDir     string
	cfg            *config.Config
	rc             *npmrc.Config
	legacyPeerDeps bool
}

// loadNpmSetup reads airlock.toml and .npmrc for the project f names,
// reporting npmrc warnings to rep.
func loadNpmSetup(f *npmCIFlags, rep *reporter) (*npmSetup, error) {
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	cfg, err := config.Load(f.configFile, projectDir, os.Getenv)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if f.noRemoteCache {
		cfg.RemoteCache = config.RemoteCache{}
	}
	if err := setCacheDir(cfg, f.npmCache); err != nil {
		return nil, err
	}
	if f.npmCache != "" {
		cfg.Sources["cache_dir"] = "--cache"
	}
	rc, err := npmrc.Load(projectDir, os.Environ())
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	for _, w := range rc.Warnings() {
		rep.warn(event{Message: w})
	}
	if f.ignoreScripts {
		cfg.IgnoreNativeScripts(ignoreScriptsFlag)
	}
	rep.audit.configure(cfg, projectDir)
	legacyPeerDeps := npmrcBool(rc, "legacy-peer-deps")
	if f.legacyPeerDeps != nil {
		legacyPeerDeps = *f.legacyPeerDeps
	}
	return &npmSetup{projectDir: projectDir, cfg: cfg, rc: rc, legacyPeerDeps: legacyPeerDeps}, nil
}

// plan selects the packages project's lockfile installs here (project may
// have been read from another directory than s.projectDir: airlock npm
// install reads the lockfile npm resolved in a scratch copy), reporting
// skipped entries and selection warnings to rep.
func (s *npmSetup) plan(f *npmCIFlags, project *npmProject, rep *reporter) (*npmPlan, error) {
	sel, err := selectNpmPackages(project.lock, f, s.rc)
	if err != nil {
		return nil, err
	}
	for _, sk := range sel.Skipped {
		rep.skipped(event{Name: sk.Package.Name, Version: sk.Package.Version, Path: sk.Package.Path, Reason: sk.Reason})
	}
	for _, w := range sel.Warnings {
		rep.warn(event{Name: w.Package.Name, Version: w.Package.Version, Path: w.Package.Path, Message: w.Message})
	}
	return &npmPlan{projectDir: s.projectDir, cfg: s.cfg, rc: s.rc, project: project, sel: sel}, nil
}

// install lays out the plan's packages in projectDir (the plan's own
// project, or a scratch directory for airlock verify) through fetcher.
func (p *npmPlan) install(ctx context.Context, projectDir string, fetcher *fetch.Fetcher, stats *installStats, rep *reporter) (*installnpm.Result, error) {
	// Read once: nothing changes the umask while installing, and reading it
	// per archive costs a /proc read each (unpack.NpmOptions.UmaskIsProcess).
	umask := unpack.ProcessUmask()
	// What an install allocates is short-lived (buffers, decompressor
	// state): collecting a quarter as often saves 5-8% of the CPU time of
	// a warm install of 1,500 packages, for a peak RSS of 85 MB instead of
	// 40 (docs/benchmarks.md). A soft limit of 512 MiB keeps a giant
	// lockfile's heap from growing fivefold. GOGC and GOMEMLIMIT, if set,
	// still decide.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		if os.Getenv("GOMEMLIMIT") == "" {
			defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
		}
	}
	return installnpm.Install(ctx, installnpm.Options{
		ProjectDir:                   projectDir,
		Packages:                     p.sel.Install,
		RawEntries:                   p.project.lock.Raw,
		RootName:                     p.project.lock.Name,
		RootVersion:                  p.project.lock.Version,
		LockfileVersion:              p.project.lock.LockfileVersion,
		LegacyPeerDeps:               p.project.legacyPeerDeps,
		OmitLockfileRegistryResolved: npmrcBool(p.rc, "omit-lockfile-registry-resolved"),
		Indent:                       p.project.indent,
		Newline:                      p.project.newline,
		Concurrency:                  p.cfg.Concurrency,
		LockWait:                     30 * time.Second,
		OnLockWait:                   rep.lockWait("this project"),
		Extract: func(ctx context.Context, pkg lock.Package, dir string) error {
			return extractNpm(ctx, fetcher, pkg, dir, umask, stats, rep)
		},
	})
}

func runNpmCI(ctx context.Context, command string, f *npmCIFlags, rep *reporter) error {
	began := time.Now()
	allowScripts, err := config.ParseScriptSpecs("--allow-scripts", f.allowScripts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	plan, err := loadNpmPlan(f, rep)
	if err != nil {
		return err
	}
	if f.from != "" {
		if err := plan.useVendor(f.from); err != nil {
			return err
		}
		defer plan.vendor.Close()
	}
	if err := plan.check(ctx, f.offline, rep); err != nil {
		return err
	}
	return plan.run(ctx, command, f.offline, allowScripts, rep, began, nil)
}

// check applies the registry rules and airlock's policy to the plan before
// anything is fetched (policy may read registry metadata, never packages).
func (plan *npmPlan) check(ctx context.Context, offline bool, rep *reporter) error {
	return checkJSPolicy(ctx, policyInput{cfg: plan.cfg, rc: plan.rc, projectDir: plan.projectDir, offline: offline, vendored: plan.vendor != nil, pkgs: plan.sel.Install, rep: rep})
}

// run fetches, verifies and lays out a checked plan in its project, then
// runs the allowed install scripts. installed, if set, runs once the new
// tree is in place, before the summary (npm saves package.json and the
// lockfile at that point too); its error fails the command.
func (plan *npmPlan) run(ctx context.Context, command string, offline bool, allowScripts []verify.DenyRule, rep *reporter, began time.Time, installed func() error) error {
	projectDir, cfg, rc, sel := plan.projectDir, plan.cfg, plan.rc, plan.sel
	fetcher, err := plan.newFetcher(offline, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
	// Background uploads to the remote cache get a short while once the
	// tree is in place.
	defer finishRemoteCache(fetcher, rep)
	toFetch := 0
	for _, p := range sel.Install {
		if p.Source == lock.SourceRegistry {
			toFetch++
		}
	}
	rep.start(command, toFetch)

	var stats installStats
	res, err := plan.install(ctx, projectDir, fetcher, &stats, rep)
	stats.warnUncached(rep)
	if err != nil {
		return classifyInstallError(err)
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	for _, c := range res.BinConflicts {
		rep.note(event{Path: c.Bin, Message: fmt.Sprintf("%s and %s both declare %s; %s owns it, as with npm", c.Owner, c.Loser, c.Bin, c.Owner)})
	}
	if installed != nil {
		if err := installed(); err != nil {
			return err
		}
	}
	summary, lines := summarize(sel, res, &stats, time.Since(began))
	rep.finishInstall(command, summary, lines)
	findings := stats.warnFindings(rep)
	ca, _ := rc.CA()
	return runAllowedScripts(ctx, scriptsInput{cfg: cfg, projectDir: projectDir, installed: sel.Install, caFile: ca.File, allow: allowScripts, findings: findings, rep: rep})
}

// maxManifestSize caps a package.json read from the project (npm's own
// registry refuses documents far smaller).
const maxManifestSize = 16 << 20

// npmProject is what airlock reads from a project directory before
// installing: the lockfile and package.json formatting.
type npmProject struct {
	lockPath        string
	lock            *locknpm.Lockfile
	legacyPeerDeps  bool
	indent, newline string
}

func readNpmProject(dir string, legacyPeerDeps bool) (*npmProject, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading project directory: %w", err))
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	name := locknpm.FindLockfile(names)
	if name == "" {
		return nil, withCode(exitUsage, fmt.Errorf("no package-lock.json or npm-shrinkwrap.json in %s; airlock npm ci installs exactly what a lockfile records: create one with `npm install --package-lock-only --ignore-scripts`", dir))
	}
	p := &npmProject{lockPath: filepath.Join(dir, name), legacyPeerDeps: legacyPeerDeps}
	data, err := safefile.Read(p.lockPath, locknpm.MaxLockfileSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		err = fmt.Errorf("%w (the lockfile limit): the lockfiles of even the largest monorepos are tens of MB, so airlock does not read this one; check that it is the lockfile npm wrote", err)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if p.lock, err = locknpm.Parse(data); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", p.lockPath, err))
	}
	if legacyPeerDeps {
		p.lock.LegacyPeerDeps()
	}
	pkgJSON, err := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading package.json (npm ci needs it beside the lockfile): %w", err))
	}
	workspaces := map[string][]byte{}
	for _, ws := range p.lock.Workspaces {
		b, err := safefile.Read(filepath.Join(dir, filepath.FromSlash(ws), "package.json"), maxManifestSize)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("workspace %s: %w", ws, err))
		}
		workspaces[ws] = b
	}
	if err := locknpm.CheckInSync(p.lock, pkgJSON, workspaces); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", p.lockPath, err))
	}
	p.indent, p.newline = installnpm.PackageJSONFormat(pkgJSON)
	return p, nil
}

// selectNpmPackages applies npm's omit and platform rules.
func selectNpmPackages(lf *locknpm.Lockfile, f *npmCIFlags, rc *npmrc.Config) (*locknpm.Selection, error) {
	oc := locknpm.OmitConfig{NodeEnv: os.Getenv("NODE_ENV")}
	if f.omit.set {
		oc.Omit = f.omit.values
	} else if _, ok := rc.Get("omit"); ok {
		oc.Omit = rc.GetAll("omit")
	}
	if f.include.set {
		oc.Include = f.include.values
	} else if _, ok := rc.Get("include"); ok {
		oc.Include = rc.GetAll("include")
	}
	if f.production {
		t := true
		oc.Production = &t
	} else if v, ok := rc.Get("production"); ok {
		b := v.Value == "true"
		oc.Production = &b
	}
	if v, ok := rc.Get("only"); ok {
		oc.Only = v.Value
	}
	if v, ok := rc.Get("also"); ok {
		oc.Also = v.Value
	}
	if f.optional != nil {
		oc.Optional = f.optional
	} else if v, ok := rc.Get("optional"); ok {
		b := v.Value != "false"
		oc.Optional = &b
	}
	omit, err := oc.Resolve()
	if err != nil {
		return nil, withCode(exitUsage, err)
	}

	host := locknpm.HostPlatform()
	host.Libc = locknpm.DetectLibc()
	target := host
	for _, o := range []struct {
		flag, npmrcKey string
		field          *string
	}{
		{f.os, "os", &target.OS}, {f.cpu, "cpu", &target.CPU}, {f.libc, "libc", &target.Libc},
	} {
		if o.flag != "" {
			*o.field = o.flag
		} else if v, ok := rc.Get(o.npmrcKey); ok && v.Value != "" {
			*o.field = v.Value
		}
	}
	node, npmVersion := nodeVersions()
	engineStrict := npmrcBool(rc, "engine-strict")
	if f.engineStrict != nil {
		engineStrict = *f.engineStrict
	}
	sel, err := lf.Select(locknpm.Options{
		Omit:         omit,
		Platform:     target,
		Host:         host,
		NodeVersion:  node,
		NpmVersion:   npmVersion,
		EngineStrict: engineStrict,
	})
	switch {
	case errors.Is(err, locknpm.ErrBadPlatform), errors.Is(err, locknpm.ErrBadEngine):
		return nil, withCode(exitVerify, err) // npm ci refuses too: policy
	case err != nil:
		return nil, withCode(exitUsage, err) // the lockfile contradicts itself
	}
	return sel, nil
}

// npmrcBool reads key, a true/false setting of .npmrc, as npm does; unset
// is false.
func npmrcBool(rc *npmrc.Config, key string) bool {
	v, ok := rc.Get(key)
	return ok && config.NpmBool(v.Value)
}

// checkJSPolicy applies the npm registry rules (checkNpmPolicy) and then
// airlock's policy to the packages of an npm, pnpm or yarn install, as of
// now, before anything is fetched.
func checkJSPolicy(ctx context.Context, in policyInput) error {
	if err := checkNpmPolicy(in.pkgs, in.rc, in.rep); err != nil {
		return err
	}
	in.now = time.Now()
	return checkPolicy(ctx, in)
}

// checkNpmPolicy refuses, before anything is fetched or removed, every
// registry entry whose bytes airlock could not hold to the lockfile: a
// tarball outside the configured registries, or no usable integrity. What
// is a choice rather than a necessity (git, remote and file sources, sha1
// pins) is checkPolicy's to decide.
func checkNpmPolicy(pkgs []lock.Package, rc *npmrc.Config, rep *reporter) error {
	var refused, unpinned, hosts []string
	for _, p := range pkgs {
		// git, remote and file sources, and sha1-only pins, are policy's
		// to decide (checkPolicy: allow_sources, weak_hashes).
		switch p.Source {
		case lock.SourceRegistry:
			// The same check the download makes, so that nothing is
			// fetched when one entry would be refused later.
			if _, err := rc.TarballURL(p.Name, p.Version, p.Resolved); err != nil {
				var he *npmrc.HostError
				if errors.As(err, &he) {
					refused = append(refused, fmt.Sprintf("%s (tarball on %s, which is not a configured registry: %s)", p.Path, he.Host, showSource(p.Resolved)))
					if !slices.Contains(hosts, he.Host) {
						hosts = append(hosts, he.Host)
					}
				} else {
					refused = append(refused, fmt.Sprintf("%s (%v)", p.Path, err))
				}
				continue
			}
			if _, err := verify.ParseSRI(p.Integrity); err != nil {
				unpinned = append(unpinned, fmt.Sprintf("%s (%s@%s): %v", p.Path, p.Name, p.Version, err))
			}
		}
	}
	var problems []string
	if len(refused) > 0 {
		problems = append(problems, fmt.Sprintf("refusing %d package(s) that do not come from a configured registry:\n\t%s\nairlock installs only registry packages checked against the lockfile's integrity; publish them to a registry (or configure their host as one in .npmrc) and update the lockfile",
			len(refused), strings.Join(refused, "\n\t")))
		for _, h := range hosts {
			problems = append(problems, fmt.Sprintf("if %s is a registry you trust, name it in the project's .npmrc: registry=https://%s/ (or @scope:registry=https://%s/ for one scope)", h, h, h))
		}
	}
	if len(unpinned) > 0 {
		problems = append(problems, fmt.Sprintf("refusing %d package(s) without a usable integrity in the lockfile:\n\t%s\nrun `%s` to record their sha512, review and commit the lockfile",
			len(unpinned), strings.Join(unpinned, "\n\t"), relockOf(rc)))
	}
	if len(problems) == 0 {
		return nil
	}
	return withCode(exitVerify, errors.New(strings.Join(problems, "\n")))
}

// installStats counts what Extract did; updated concurrently.
type installStats struct {
	mu       sync.Mutex
	findings []analyze.Finding

	fromCache, downloaded, refetched atomic.Int64
	vendored                         atomic.Int64 // read from a vendor directory (--from)
	bytes                            atomic.Int64
	// uncached counts fetches that went ahead without the cache; only the
	// first is shown in full, as a full disk would repeat it for every one.
	uncached atomic.Int64
}

func (s *installStats) addFindings(fs []analyze.Finding) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.findings = append(s.findings, fs...)
}

// sortedFindings returns the findings in install-path order.
func (s *installStats) sortedFindings() []analyze.Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := append([]analyze.Finding(nil), s.findings...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].InstallPath < fs[j].InstallPath })
	return fs
}

// extractNpm fetches pkg's verified archive into dir with pacote's rules.
func extractNpm(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, dir string, umask os.FileMode, stats *installStats, rep *reporter) error {
	// pacote marks bin targets executable while extracting only when it
	// fetched the manifest, which npm does when the lockfile has no
	// "resolved"; linked bins are made executable afterwards either way.
	var bins []string
	if pkg.Resolved == "" {
		for _, target := range pkg.Bin {
			bins = append(bins, target)
		}
		sort.Strings(bins)
	}
	return extractArchive(withStoreLinks(ctx), f, pkg, dir, unpack.NpmOptions{Bins: bins, Umask: umask, UmaskIsProcess: true}, stats, rep)
}

// extractArchive fetches pkg's verified archive into dir, laid out by opts,
// and reports what happened: a corrupt cache entry, a failed cache write, a
// first download that did not match. Fetch may call the consumer again when
// a cached blob turns out corrupt, so each attempt starts from an empty dir;
// the installer discards dir if this returns an error. Packages with install
// scripts are analyzed before they are placed.
func extractArchive(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, dir string, opts unpack.NpmOptions, stats *installStats, rep *reporter) error {
	// The extracted store (cmd/airlock/store.go, fetch/store) places
	// packages it holds, re-hashing every file, and keeps the others.
	sx := newStoreExtract(ctx, f, pkg, opts)
	res, err := sx.fetch(ctx, f, pkg, dir, rep, func(r io.Reader) error {
		if err := emptyDir(dir); err != nil {
			return err
		}
		// A package.json naming another package or version is reported
		// by the installer (Result.Warnings), printed after the install.
		if _, err := sx.unpack(r, dir, opts); err != nil {
			return fmt.Errorf("unpacking %s@%s: %w", pkg.Name, pkg.Version, err)
		}
		return nil
	})
	recordFetch(rep, pkg, res, err, f.Offline)
	if res.Corrupt != nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Want: res.Corrupt.Want.String(), Got: res.Corrupt.Got.String(),
			Message: corruptNote(pkg, res.Corrupt, err, f.Offline)})
		if res.Refetched {
			stats.refetched.Add(1)
		}
	}
	if res.CacheErr != nil && err == nil && stats.uncached.Add(1) == 1 {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Message: fmt.Sprintf("%v\nthe archive was verified and installed, but the cache could not keep or serve it: free space in (or fix the permissions of) %s, or set AIRLOCK_CACHE elsewhere", res.CacheErr, f.Cache.Dir())})
	}
	if res.Mismatched != nil && err == nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("the first download of %s@%s did not match the lockfile and was discarded; a second download matched:\n%v", pkg.Name, pkg.Version, res.Mismatched)})
	}
	if err != nil {
		return err
	}
	if pkg.HasInstallScript {
		// Before the package is placed: what its install scripts would
		// do decides whether an allowed script may run (runAllowedScripts).
		fs, err := analyze.Npm(analyze.Input{Dir: dir, Name: pkg.Name, Version: pkg.Version, InstallPath: pkg.Path, ScriptsOnly: true})
		if err != nil {
			return err
		}
		stats.addFindings(fs)
	}
	source := countSource(res, stats)
	stats.bytes.Add(res.Bytes)
	rep.packageDone(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Source: source, URL: client.Redact(res.URL), Bytes: res.Bytes})
	return nil
}

// corruptNote tells the user that a cached archive failed its re-check and
// what became of it: someone or something altered the cache.
func corruptNote(pkg lock.Package, c *cache.CorruptError, err error, offline bool) string {
	what := fmt.Sprintf("cached archive of %s@%s was corrupt (want %s, got %s)", pkg.Name, pkg.Version, c.Want, c.Got)
	if c.Got.Algorithm == "" {
		what = fmt.Sprintf("cached archive of %s@%s at %s is not a regular file", pkg.Name, pkg.Version, c.Path)
	}
	switch {
	case !c.Removed:
		return what + "; could not remove it from the cache, delete " + c.Path + " by hand"
	case offline:
		return what + "; removed it, and --offline forbids downloading it again"
	case err == nil:
		return what + "; removed it and downloaded it again"
	}
	return what + "; removed it"
}

// emptyDir makes dir exist and be empty.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return os.MkdirAll(dir, 0o777)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// showSource is a lockfile's resolved URL fit to print: credentials in the
// user part (https://TOKEN@github.com/...) and query values are replaced,
// while git's conventional "git@" user and the commit fragment, which say
// what the source is, stay.
func showSource(resolved string) string {
	u, err := url.Parse(resolved)
	if err != nil {
		return client.Redact(resolved)
	}
	if u.User != nil && u.User.String() != "git" {
		u.User = url.User("REDACTED")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
