package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/config"
	installyarn "github.com/airlock-dev/airlock/install/yarn"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

const yarnLockfile = "yarn.lock"

// yarnFlags are the command-line settings of `airlock yarn install`.
type yarnFlags struct {
	dir, configFile string
	production      string // "" (not given), "true" or "false"
	offline         bool
	jsonOut, quiet  bool
	noRemoteCache   bool
	// from is --from: a vendor directory to install from.
	from string
	// allowScripts adds --allow-scripts entries to [scripts] allow.
	allowScripts []string
	// ignoreScripts is yarn's --ignore-scripts (ignoreScriptsFlag).
	ignoreScripts bool
}

// yarnCmd is `airlock yarn [install] [flags]` (yarn with no command
// installs, as yarn does).
func yarnCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		if args[0] != "install" {
			fmt.Fprintf(stderr, "airlock yarn: only 'install' is supported (got %q); airlock installs exactly what yarn.lock records, like yarn install --frozen-lockfile --ignore-scripts\n", args[0])
			return exitUsage
		}
		args = args[1:]
	}
	return yarnInstall(ctx, "yarn install", args, stdout, stderr)
}

// yarnRefused are yarn install flags that change what gets installed or
// the lockfile, which airlock does not do.
var yarnRefused = map[string]string{
	"no-lockfile":      "airlock installs exactly what yarn.lock records",
	"update-checksums": "airlock never changes yarn.lock; run `yarn install --update-checksums` with yarn and review the result",
	"flat":             "airlock lays out yarn's default hoisted tree only",
	"focus":            "airlock installs the whole workspace project",
	"ignore-optional":  "airlock lays out optional dependencies as yarn does by default",
	"ignore-platform":  "airlock leaves out optional packages for other platforms and refuses required ones, as yarn does by default",
	"modules-folder":   "airlock installs into the project's node_modules only",
	"link-duplicates":  "airlock copies packages as yarn does by default",
	"har":              "airlock does not record HTTP archives",
	"audit":            "use `airlock audit`",
	"check-files":      "airlock always lays out every file again; `airlock verify` checks an existing tree",
	"force":            "airlock always lays out every package again",
}

func yarnInstall(ctx context.Context, command string, args []string, stdout, stderr io.Writer) int {
	var f yarnFlags
	fs := newFlagSet(command, "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json and yarn.lock)")
	fs.StringVar(&f.dir, "cwd", ".", "same as --dir (yarn's --cwd)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.Func("production", "leave out devDependencies (yarn's --production[=true|false]; NODE_ENV=production does the same)", func(s string) error {
		f.production = s
		return nil
	})
	// `airlock install --omit=dev` is how the yarn shim and npm users
	// spell --production.
	fs.Func("omit", "dev: same as --production (npm's spelling, which `airlock install` also takes)", func(s string) error {
		if s != "dev" {
			return fmt.Errorf("only --omit=dev is supported for yarn.lock (yarn installs optional and peer dependencies as it resolves them)")
		}
		f.production = "true"
		return nil
	})
	fs.BoolVar(&f.offline, "offline", false, "use only the cache; fail if a package is not in it")
	fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
	fs.StringVar(&f.from, "from", "", "install from this vendor `DIR` (written by airlock vendor) with no network at all")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line (airlock's events, not yarn's)")
	fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
	fs.BoolVar(&f.quiet, "silent", false, "same as --quiet (yarn's --silent)")
	frozen := fs.Bool("frozen-lockfile", true, "accepted: airlock always installs the lockfile as it is and refuses one package.json has moved away from")
	fs.Bool("pure-lockfile", false, "accepted: airlock never writes yarn.lock")
	fs.Func("allow-scripts", "run the install scripts of these packages (`NAME[@RANGE],...`), sandboxed through npm rebuild, after installing; adds to airlock.toml's [scripts] allow", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.allowScripts = append(f.allowScripts, s)
			}
		}
		return nil
	})
	fs.BoolVar(&f.ignoreScripts, "ignore-scripts", false, ignoreScriptsUsage)
	fs.Bool("ignore-engines", false, "accepted: airlock does not check engines")
	fs.Bool("prefer-offline", false, "accepted: airlock takes verified archives from its cache first")
	fs.Bool("non-interactive", false, "accepted: airlock never prompts")
	fs.Bool("no-progress", false, "accepted")
	// yarn 2+ (berry) spellings of the same: see yarnberry.go.
	fs.Bool("immutable", true, "accepted (yarn 2+): airlock never changes yarn.lock")
	fs.Bool("immutable-cache", false, "accepted (yarn 2+): airlock's cache is content-addressed and re-checked on every read")
	fs.Bool("check-cache", false, "accepted (yarn 2+): every archive is checked against yarn.lock anyway")
	fs.Bool("inline-builds", false, "accepted (yarn 2+): airlock runs no builds")
	fs.Func("mode", "yarn 2+ --mode: skip-build is accepted (airlock runs no builds); update-lockfile is refused", func(s string) error {
		if s != "skip-build" {
			return fmt.Errorf("--mode=%s is not supported: airlock installs exactly what yarn.lock records and runs no builds", s)
		}
		return nil
	})
	fs.Bool("no-bin-links", false, "refused: airlock links bins as yarn does by default")
	for name := range yarnRefused {
		// (no backquotes in flag help: the flag package reads them as the
		// argument's name)
		fs.Bool(name, false, "refused: "+strings.ReplaceAll(yarnRefused[name], "`", "'"))
	}
	if err := fs.Parse(normalizeProduction(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	var refused []string
	fs.Visit(func(fl *flag.Flag) {
		if why, ok := yarnRefused[fl.Name]; ok {
			refused = append(refused, fmt.Sprintf("--%s (%s)", fl.Name, why))
		}
		switch fl.Name {
		case "no-bin-links":
			refused = append(refused, "--no-bin-links (airlock links bins as yarn does by default)")
		case "frozen-lockfile":
			if !*frozen {
				refused = append(refused, "--frozen-lockfile=false (airlock never changes yarn.lock)")
			}
		}
	})
	if len(refused) > 0 {
		fmt.Fprintf(stderr, "airlock %s: not supported: %s\nairlock installs exactly what yarn.lock records, like yarn install --frozen-lockfile --ignore-scripts\n", command, strings.Join(refused, "; "))
		return exitUsage
	}
	switch f.production {
	case "", "true", "false":
	default:
		fmt.Fprintf(stderr, "airlock %s: --production=%q: want true or false\n", command, f.production)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock %s: unexpected argument %q (adding packages is yarn's job: `yarn add`, then airlock yarn install)\n", command, fs.Arg(0))
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	return finishNpm(ctx, rep, runYarnInstall(ctx, command, &f, rep))
}

// normalizeProduction turns a bare --production (or --prod) into
// --production=true, so the flag can also take yarn's =true/=false.
func normalizeProduction(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		switch a {
		case "--production", "-production", "--prod", "-prod":
			a = "--production=true"
		}
		if v, ok := strings.CutPrefix(a, "--prod="); ok {
			a = "--production=" + v
		}
		out = append(out, a)
	}
	return out
}

// yarnrcRegistry reads the registry setting of the project's .yarnrc
// (`registry "https://..."`), which yarn 1 uses for packages it resolves.
func yarnrcRegistry(dir string) (string, error) {
	data, err := safefile.Read(filepath.Join(dir, ".yarnrc"), maxManifestSize)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(line, " ")
		if !ok || key != "registry" && key != `"registry"` {
			continue
		}
		val = strings.TrimSpace(val)
		if u, err := strconv.Unquote(val); err == nil {
			val = u
		}
		return val, nil
	}
	return "", nil
}

func runYarnInstall(ctx context.Context, command string, f *yarnFlags, rep *reporter) error {
	began := time.Now()
	allowScripts, err := config.ParseScriptSpecs("--allow-scripts", f.allowScripts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	lockPath := filepath.Join(projectDir, yarnLockfile)
	data, err := safefile.Read(lockPath, lockyarn.MaxLockfileSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		err = fmt.Errorf("%w (the lockfile limit): check that it is the lockfile yarn wrote", err)
	}
	if err != nil {
		return withCode(exitUsage, err)
	}
	lf, err := lockyarn.Parse(data)
	if errors.Is(err, lockyarn.ErrBerry) {
		return runYarnBerryInstall(ctx, command, f, rep, projectDir, data)
	}
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	production := f.production == "true" || f.production == "" && os.Getenv("NODE_ENV") == "production"
	host := locknpm.HostPlatform()
	plan, err := loadYarnClassicPlan(projectDir, f.configFile, f.noRemoteCache, lf, production, installyarn.Platform{OS: host.OS, CPU: host.CPU}, rep)
	if err != nil {
		return err
	}
	cfg, rc, pkgs := plan.cfg, plan.rc, plan.pkgs
	if f.ignoreScripts {
		cfg.IgnoreNativeScripts(ignoreScriptsFlag)
	}
	if by, err := yarnrcIgnoresScripts(projectDir, os.Environ()); err != nil {
		return withCode(exitUsage, err)
	} else if by != "" {
		cfg.IgnoreNativeScripts(by)
	}
	if f.from != "" {
		if plan.vendor, err = openVendor(f.from); err != nil {
			return err
		}
		defer plan.vendor.Close()
	}
	// yarn downloads every package the lockfile reaches (also devDependencies
	// under --production and optional packages for other platforms) before
	// it reads their manifests; so does airlock, and all of them pass policy.
	if err := checkJSPolicy(ctx, policyInput{cfg: cfg, rc: rc, projectDir: projectDir, offline: f.offline, vendored: plan.vendor != nil, pkgs: pkgs, rep: rep}); err != nil {
		return err
	}
	fetcher, err := plan.newFetcher(f.offline, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
	defer finishRemoteCache(fetcher, rep)
	rep.start(command, len(pkgs))
	var stats installStats
	res, err := plan.install(ctx, projectDir, fetcher, &stats, rep)
	stats.warnUncached(rep)
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		rep.skipped(event{Name: s.Package.Name, Version: s.Package.Version, Path: s.Package.Path, Reason: s.Reason})
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	scripts := res.InstallScripts
	took := time.Since(began)
	e := stats.event(len(res.Installed), 0, res.Bins, len(res.Skipped), scripts, took)
	lines := addedLines(e, fmt.Sprintf("%d archives, ", res.Packages), took)
	if left := res.Packages - len(uniqueInstalled(res.Installed)); left > 0 {
		lines = append(lines, fmt.Sprintf("left out %d of the fetched packages, as yarn does (devDependencies under --production, optional packages for other platforms: --json lists those)", left))
	}
	lines = append(lines, scriptLines(scripts, "airlock runs only the scripts you allow, sandboxed (through npm rebuild): review the package, then list it in airlock.toml's [scripts] allow or pass --allow-scripts=NAME")...)
	rep.finishInstall(command, e, lines)
	findings := stats.warnFindings(rep)
	installed := markScripts(res.Installed, scripts)
	ca, _ := rc.CA()
	return runAllowedScripts(ctx, scriptsInput{cfg: cfg, projectDir: projectDir, installed: installed, caFile: ca.File, allow: allowScripts, findings: findings, rep: rep})
}

// uniqueInstalled counts packages once however many locations they have.
func uniqueInstalled(pkgs []lock.Package) map[string]bool {
	m := map[string]bool{}
	for _, p := range pkgs {
		m[p.Name+"@"+p.Version] = true
	}
	return m
}
