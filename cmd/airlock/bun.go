package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	installbun "github.com/airlock-dev/airlock/install/bun"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

const (
	bunLockfile       = "bun.lock"
	bunBinaryLockfile = "bun.lockb"
)

// bunFlags are the command-line settings of `airlock bun install`.
type bunFlags struct {
	dir, configFile string
	production      bool
	omit            []string
	linker          string
	offline         bool
	jsonOut, quiet  bool
	noRemoteCache   bool
}

// bunCmd is `airlock bun install|i [flags]`.
func bunCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "i") {
		fmt.Fprintf(stderr, "airlock bun: only 'install' is supported (got %q); airlock installs exactly what bun.lock records, like bun install --frozen-lockfile --ignore-scripts\n", argOrNothing(args))
		return exitUsage
	}
	return bunInstall(ctx, "bun install", args[1:], stdout, stderr)
}

func bunInstall(ctx context.Context, command string, args []string, stdout, stderr io.Writer) int {
	var f bunFlags
	fs := newFlagSet(command, "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json and bun.lock)")
	fs.StringVar(&f.dir, "cwd", ".", "same as --dir (bun's --cwd)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.BoolVar(&f.production, "production", false, "leave out devDependencies (bun's --production)")
	fs.BoolVar(&f.production, "p", false, "same as --production")
	fs.Func("omit", "leave out `dev` or `optional` dependencies (repeatable)", func(s string) error {
		f.omit = append(f.omit, s)
		return nil
	})
	fs.StringVar(&f.linker, "linker", "", "node_modules layout: `hoisted` or `isolated` (bun's --linker; default: bun's choice)")
	fs.BoolVar(&f.offline, "offline", false, "use only the cache; fail if a package is not in it")
	fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
	fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
	fs.BoolVar(&f.quiet, "silent", false, "same as --quiet")
	fs.Bool("frozen-lockfile", true, "accepted: airlock always installs the lockfile as it is")
	fs.Bool("ignore-scripts", true, "accepted: airlock never runs install scripts")
	fs.Bool("no-save", false, "accepted: airlock never writes the lockfile or package.json")
	fs.Bool("no-progress", false, "accepted, changes nothing")
	fs.Bool("no-summary", false, "accepted, changes nothing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "airlock %s: flags that change what is resolved (--force, --latest, --lockfile-only, --save-text-lockfile, ...) are not supported: airlock installs exactly what bun.lock records\n", command)
		return exitUsage
	}
	for _, o := range f.omit {
		if o != "dev" && o != "optional" {
			fmt.Fprintf(stderr, "airlock %s: --omit=%s is not supported (only dev and optional)\n", command, o)
			return exitUsage
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock %s: unexpected argument %q (adding packages is bun's job: `bun add --lockfile-only`, then airlock bun install)\n", command, fs.Arg(0))
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	return finishNpm(ctx, rep, runBunInstall(ctx, command, &f, rep))
}

// bunfig is the part of bunfig.toml's [install] table airlock reads.
type bunfig struct {
	Install struct {
		Linker string `toml:"linker"`
		// bun's isolated linker's hoisting patterns: airlock reproduces
		// only the defaults, so setting them is refused.
		HoistPattern       any `toml:"hoistPattern"`
		PublicHoistPattern any `toml:"publicHoistPattern"`
		// globalStore = true puts the isolated store in bun's global
		// cache, shared across projects: not reproduced.
		GlobalStore *bool `toml:"globalStore"`
		Production  *bool `toml:"production"`
		Optional    *bool `toml:"optional"`
		Dev         *bool `toml:"dev"`
		Peer        *bool `toml:"peer"`
		Registry    any   `toml:"registry"`
		Scopes      any   `toml:"scopes"`
		CAFile      any   `toml:"cafile"`
		CA          any   `toml:"ca"`
	} `toml:"install"`
}

// readBunfig reads the global bunfig.toml ($XDG_CONFIG_HOME/.bunfig.toml,
// else ~/.bunfig.toml) and then the project's, whose settings win, as bun
// does (absent files: zero values), and refuses the settings that would
// make airlock install something other than what bun would.
func readBunfig(dir string, getenv func(string) string) (*bunfig, error) {
	var files []string
	if x := getenv("XDG_CONFIG_HOME"); x != "" {
		files = append(files, filepath.Join(x, ".bunfig.toml"))
	} else if h := getenv("HOME"); h != "" {
		files = append(files, filepath.Join(h, ".bunfig.toml"))
	}
	files = append(files, filepath.Join(dir, "bunfig.toml"))
	var merged bunfig
	for _, name := range files {
		data, err := safefile.Read(name, maxManifestSize)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var b bunfig
		if _, err := toml.Decode(string(data), &b); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for k, v := range map[string]any{"registry": b.Install.Registry, "scopes": b.Install.Scopes, "cafile": b.Install.CAFile, "ca": b.Install.CA} {
			if v != nil {
				return nil, fmt.Errorf("%s: [install] %s is not read by airlock, which takes registries, scopes, tokens and CAs from .npmrc (bun reads .npmrc too): move the setting there", name, k)
			}
		}
		for k, v := range map[string]any{"hoistPattern": b.Install.HoistPattern, "publicHoistPattern": b.Install.PublicHoistPattern} {
			if v != nil {
				return nil, fmt.Errorf("%s: [install] %s is not supported: airlock lays out bun's isolated tree with bun's default hoisting only; remove the setting", name, k)
			}
		}
		if b.Install.GlobalStore != nil && *b.Install.GlobalStore {
			return nil, fmt.Errorf("%s: [install] globalStore = true is not supported: airlock lays out bun's isolated store inside the project (node_modules/.bun), never in a store shared across projects; remove the setting", name)
		}
		if b.Install.Peer != nil && !*b.Install.Peer {
			return nil, fmt.Errorf("%s: [install] peer = false is not supported: airlock installs the peers bun.lock records", name)
		}
		if b.Install.Linker != "" {
			merged.Install.Linker = b.Install.Linker
		}
		for _, f := range []struct{ dst, src **bool }{
			{&merged.Install.Production, &b.Install.Production},
			{&merged.Install.Optional, &b.Install.Optional},
			{&merged.Install.Dev, &b.Install.Dev},
		} {
			if *f.src != nil {
				*f.dst = *f.src
			}
		}
	}
	return &merged, nil
}

// bunProject is what airlock reads from a bun project.
type bunProject struct {
	lock   *lockbun.Lockfile
	bunfig *bunfig
	// native is package.json's nativeDependencies (nil: bun's default).
	native []string
	// isolated: bun lays the project out with its isolated linker.
	isolated bool
}

func readBunProject(dir string, f *bunFlags) (*bunProject, error) {
	lockPath := filepath.Join(dir, bunLockfile)
	data, err := safefile.Read(lockPath, lockbun.MaxLockfileSize)
	if errors.Is(err, os.ErrNotExist) {
		if _, berr := os.Stat(filepath.Join(dir, bunBinaryLockfile)); berr == nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: %w: run `bun install --save-text-lockfile --frozen-lockfile --lockfile-only` to convert it to bun.lock (bun removes bun.lockb), then commit bun.lock", filepath.Join(dir, bunBinaryLockfile), lockbun.ErrBinaryLockfile))
		}
		return nil, withCode(exitUsage, fmt.Errorf("%w; airlock installs exactly what bun.lock records: create it with `bun install --lockfile-only --ignore-scripts`", err))
	}
	if errors.Is(err, safefile.ErrTooLarge) {
		err = fmt.Errorf("%w (the lockfile limit): check that it is the lockfile bun wrote", err)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	p := &bunProject{}
	if p.lock, err = lockbun.Parse(data); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	if p.bunfig, err = readBunfig(dir, os.Getenv); err != nil {
		return nil, withCode(exitUsage, err)
	}
	linker := f.linker
	if linker == "" {
		linker = p.bunfig.Install.Linker
	}
	if linker == "" && p.lock.ConfigVersion >= 1 && len(p.lock.Workspaces) > 1 {
		linker = "isolated" // bun 1.3's default for workspace projects
	}
	switch linker {
	case "", "hoisted":
	case "isolated":
		p.isolated = true
	default:
		return nil, withCode(exitUsage, fmt.Errorf("bun's linker %q is not one airlock reproduces (hoisted or isolated); set `[install] linker` in bunfig.toml, or --linker, to one of them", linker))
	}
	pkgJSON, err := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading package.json (bun needs it beside the lockfile): %w", err))
	}
	var root struct {
		NativeDependencies []string `json:"nativeDependencies"`
	}
	if err := json.Unmarshal(pkgJSON, &root); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("package.json: %w", err))
	}
	if root.NativeDependencies != nil {
		p.native = root.NativeDependencies
	}
	if v := os.Getenv("BUN_FEATURE_FLAG_DISABLE_NATIVE_DEPENDENCY_LINKER"); v == "1" || v == "true" {
		p.native = []string{}
	}
	patterns, err := lockbun.WorkspacePatterns(pkgJSON)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	wsDirs, err := findWorkspaces(dir, patterns)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	manifests := map[string][]byte{"": pkgJSON}
	for _, w := range p.lock.Workspaces[1:] {
		if !slices.Contains(wsDirs, w.Path) {
			continue // CheckInSync reports the difference
		}
		b, err := safefile.Read(filepath.Join(dir, filepath.FromSlash(w.Path), "package.json"), maxManifestSize)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("workspace %s: %w", w.Path, err))
		}
		manifests[w.Path] = b
	}
	// --frozen-lockfile: bun refuses a lockfile package.json has moved
	// away from, and so does airlock.
	if err := lockbun.CheckInSync(p.lock, manifests, wsDirs); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	return p, nil
}

// findWorkspaces lists the directories (relative, slash-separated) below
// dir that hold a package.json and match package.json's workspaces
// patterns ("*" and "?" within a path segment, "**" across segments, "!"
// to exclude), skipping node_modules and dot directories.
func findWorkspaces(dir string, patterns []string) ([]string, error) {
	var include, exclude []*regexp.Regexp
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(p, "!"), "./"), "/")
		p = strings.TrimSuffix(p, "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch c := p[i]; {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		rx, err := regexp.Compile(re.String())
		if err != nil {
			return nil, fmt.Errorf("package.json: workspaces pattern %q: %w", p, err)
		}
		if neg {
			exclude = append(exclude, rx)
		} else {
			include = append(include, rx)
		}
	}
	if len(include) == 0 {
		return nil, nil
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || p == dir {
			return nil
		}
		if name := d.Name(); name == "node_modules" || strings.HasPrefix(name, ".") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		match := func(rs []*regexp.Regexp) bool {
			return slices.ContainsFunc(rs, func(r *regexp.Regexp) bool { return r.MatchString(rel) })
		}
		if match(include) && !match(exclude) {
			if _, err := os.Stat(filepath.Join(p, "package.json")); err == nil {
				out = append(out, rel)
			}
		}
		return nil
	})
	return out, err
}

// bunPlan is what an install of a bun project would lay out.
type bunPlan struct {
	projectDir string
	cfg        *config.Config
	rc         *npmrc.Config
	project    *bunProject
	// sel is the hoisted tree, or bun's isolated store (sel.Isolated).
	sel *lockbun.Selection
}

// loadBunPlan reads the project f names and selects what bun install
// would lay out on platform (zero fields: the host's).
func loadBunPlan(f *bunFlags, platform lockbun.Platform, rep *reporter) (*bunPlan, error) {
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	cfg, rc, err := loadJSConfig(projectDir, f.configFile, f.noRemoteCache, relockBun, rep)
	if err != nil {
		return nil, err
	}
	project, err := readBunProject(projectDir, f)
	if err != nil {
		return nil, err
	}
	hostDefaults(&platform.OS, &platform.CPU, &platform.Libc)
	in := project.bunfig.Install
	opts := lockbun.Options{
		NoDev:      f.production || slices.Contains(f.omit, "dev") || (in.Production != nil && *in.Production) || (in.Dev != nil && !*in.Dev),
		NoOptional: slices.Contains(f.omit, "optional") || (in.Optional != nil && !*in.Optional),
		Platform:   platform,
		// bun links esbuild's bin to its platform binary.
		NativeBinLinks: project.native,
	}
	var sel *lockbun.Selection
	if project.isolated {
		iso, err := project.lock.SelectIsolated(opts)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		sel = iso.Selection()
	} else if sel, err = project.lock.Select(opts); err != nil {
		return nil, withCode(exitUsage, err)
	}
	for _, s := range sel.Skipped {
		rep.skipped(event{Name: s.Package.Name, Version: s.Package.Version, Path: s.Package.Path, Reason: s.Reason})
	}
	return &bunPlan{projectDir: projectDir, cfg: cfg, rc: rc, project: project, sel: sel}, nil
}

// bunPlanOf is loadBunPlan under npm ci's flags (airlock fetch and vendor):
// --omit=dev (--production) and --omit=optional, --include, and
// --os/--cpu/--libc for the platform.
func bunPlanOf(f *npmCIFlags, rep *reporter) (*bunPlan, error) {
	bf := &bunFlags{dir: f.dir, configFile: f.configFile, noRemoteCache: f.noRemoteCache}
	// --production is --omit=dev here, so --include=dev overrides it.
	for v := range f.omitSet(f.production) {
		if v != "dev" && v != "optional" {
			return nil, withCode(exitUsage, fmt.Errorf("--omit=%s is not supported for bun.lock (only dev and optional)", v))
		}
		bf.omit = append(bf.omit, v)
	}
	return loadBunPlan(bf, lockbun.Platform{OS: f.os, CPU: f.cpu, Libc: f.libc}, rep)
}

// install lays out the plan's tree in projectDir (the project, or a
// scratch copy of its workspaces for airlock verify).
func (p *bunPlan) install(ctx context.Context, projectDir string, fetcher *fetch.Fetcher, stats *installStats, rep *reporter) (*installbun.Result, error) {
	umask := unpack.ProcessUmask()
	res, err := installbun.Install(ctx, installbun.Options{
		ProjectDir:  projectDir,
		Selection:   p.sel,
		Concurrency: p.cfg.Concurrency,
		LockWait:    30 * time.Second,
		OnLockWait:  rep.lockWait("this project"),
		Extract: func(ctx context.Context, pkg lock.Package, dir string) error {
			return extractArchive(ctx, fetcher, pkg, dir, installbun.ExtractOptions(umask), stats, rep)
		},
	})
	if err != nil {
		return nil, classifyInstallError(err)
	}
	return res, nil
}

// newFetcher returns the plan's fetch pipeline: the cache and the
// network's.
func (p *bunPlan) newFetcher(offline bool, warn func(string)) (*fetch.Fetcher, error) {
	return newFetcher(p.cfg, p.rc, offline, warn)
}

func runBunInstall(ctx context.Context, command string, f *bunFlags, rep *reporter) error {
	began := time.Now()
	plan, err := loadBunPlan(f, lockbun.Platform{}, rep)
	if err != nil {
		return err
	}
	projectDir, cfg, rc, sel := plan.projectDir, plan.cfg, plan.rc, plan.sel
	if err := checkJSPolicy(ctx, policyInput{cfg: cfg, rc: rc, projectDir: projectDir, offline: f.offline, pkgs: sel.Install, rep: rep}); err != nil {
		return err
	}
	fetcher, err := newFetcher(cfg, rc, f.offline, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
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
		return err
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	scripts := res.InstallScripts
	took := time.Since(began)
	e := stats.event(res.Packages, res.Links, res.Bins, len(sel.Skipped), scripts, took)
	lines := addedLines(e, "", took)
	if e.Skipped > 0 {
		lines = append(lines, fmt.Sprintf("skipped %d packages (omitted or not for this platform; --json lists them)", e.Skipped))
	}
	lines = append(lines, scriptLines(scripts, "airlock bun install runs no scripts; run the ones you trust with `bun pm trust NAME`")...)
	rep.finishInstall(command, e, lines)
	return nil
}
