package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/fetch/vendor"
	"github.com/airlock-dev/airlock/install"
	installpnpm "github.com/airlock-dev/airlock/install/pnpm"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/unpack"
)

const pnpmLockfile = "pnpm-lock.yaml"

// pnpmFlags are the command-line settings of `airlock pnpm install`.
type pnpmFlags struct {
	dir, configFile string
	prod, dev       bool
	noOptional      bool
	offline         bool
	jsonOut, quiet  bool
	noRemoteCache   bool
	// from is --from: a vendor directory to install from.
	from string
	// allowScripts adds --allow-scripts entries to [scripts] allow.
	allowScripts []string
	// ignoreScripts is pnpm's --ignore-scripts (ignoreScriptsFlag).
	ignoreScripts bool
	// omit is npm's --omit, which `airlock install` and the pnpm shim
	// (pnpm --prod becomes --omit=dev) pass on.
	omit listFlag
	// storeDir is pnpm's --store-dir: airlock keeps its verified cache
	// in DIR/airlock, so that CI caching DIR keeps it too.
	storeDir string
	// os, cpu and libc replace supportedArchitectures' lists, as pnpm's
	// --os, --cpu and --libc do.
	os, cpu, libc listFlag
}

// pnpmCmd is `airlock pnpm install|i [flags]`.
func pnpmCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "install" && args[0] != "i") {
		fmt.Fprintf(stderr, "airlock pnpm: only 'install' is supported (got %q); airlock installs exactly what pnpm-lock.yaml records, like pnpm install --frozen-lockfile --ignore-scripts\n", argOrNothing(args))
		return exitUsage
	}
	return pnpmInstall(ctx, "pnpm install", args[1:], stdout, stderr)
}

func pnpmInstall(ctx context.Context, command string, args []string, stdout, stderr io.Writer) int {
	var f pnpmFlags
	fs := newFlagSet(command, "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json and pnpm-lock.yaml)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.BoolVar(&f.prod, "prod", false, "leave out devDependencies (pnpm's --prod, -P)")
	fs.BoolVar(&f.prod, "P", false, "same as --prod")
	fs.BoolVar(&f.prod, "production", false, "same as --prod")
	fs.BoolVar(&f.dev, "dev", false, "install only devDependencies (pnpm's --dev, -D): dependencies and optionalDependencies are left out")
	fs.BoolVar(&f.dev, "D", false, "same as --dev")
	fs.BoolVar(&f.noOptional, "no-optional", false, "leave out optionalDependencies (pnpm's --no-optional)")
	fs.Var(&f.omit, "omit", "dependency `type` to leave out, in npm's spelling (airlock install passes it): dev is --prod, optional is --no-optional (repeatable)")
	fs.Var(&f.os, "os", "install optional dependencies for this `os` instead of supportedArchitectures' (repeatable; \"current\" is the host's), as pnpm's --os")
	fs.Var(&f.cpu, "cpu", "the same for `cpu` (pnpm's --cpu)")
	fs.Var(&f.libc, "libc", "the same for `libc` (pnpm's --libc)")
	fs.BoolVar(&f.offline, "offline", false, "use only the cache; fail if a package is not in it")
	fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
	fs.StringVar(&f.storeDir, "store-dir", "", "pnpm's store `DIR`: airlock keeps its verified cache in DIR/airlock instead of $AIRLOCK_CACHE, so CI that caches DIR keeps it")
	fs.StringVar(&f.from, "from", "", "install from this vendor `DIR` (written by airlock vendor) with no network at all")
	fs.Func("allow-scripts", "run the install scripts of these packages (`NAME[@RANGE],...`), sandboxed through pnpm rebuild, after installing; adds to airlock.toml's [scripts] allow", func(v string) error {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.allowScripts = append(f.allowScripts, s)
			}
		}
		return nil
	})
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
	fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
	fs.BoolVar(&f.quiet, "silent", false, "same as --quiet (pnpm's --silent, -s)")
	fs.BoolVar(&f.quiet, "s", false, "same as --quiet")
	frozen := fs.Bool("frozen-lockfile", true, "accepted: airlock always installs the lockfile as it is (pnpm's --frozen-lockfile)")
	fs.BoolVar(&f.ignoreScripts, "ignore-scripts", false, ignoreScriptsUsage)
	fs.Bool("prefer-offline", false, "accepted: airlock takes verified archives from its cache first")
	fs.Bool("no-frozen-lockfile", false, "refused: airlock never changes the lockfile")
	reporter := fs.String("reporter", "", "pnpm's reporter: silent is --quiet; default, append-only and ndjson change nothing (--json is airlock's)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch *reporter {
	case "silent":
		f.quiet = true
	case "", "default", "append-only", "ndjson":
	default:
		fmt.Fprintf(stderr, "airlock %s: --reporter=%s: pnpm's reporters are default, append-only, ndjson and silent\n", command, *reporter)
		return exitUsage
	}
	var refused []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "no-frozen-lockfile":
			refused = append(refused, "--"+fl.Name)
		case "frozen-lockfile":
			if !*frozen {
				refused = append(refused, "--frozen-lockfile=false")
			}
		}
	})
	for _, v := range f.omit.values {
		switch v {
		case "dev":
			f.prod = true
		case "optional":
			f.noOptional = true
		default:
			fmt.Fprintf(stderr, "airlock %s: --omit=%s: a pnpm install leaves out dev or optional dependencies only (--prod, --no-optional)\n", command, v)
			return exitUsage
		}
	}
	if f.dev && f.prod {
		fmt.Fprintf(stderr, "airlock %s: --dev and --prod leave out each other's dependencies; give one of them (or neither, for both)\n", command)
		return exitUsage
	}
	if len(refused) > 0 {
		fmt.Fprintf(stderr, "airlock %s: %s is not supported: airlock installs exactly what pnpm-lock.yaml records (resolve with `pnpm install --lockfile-only --ignore-scripts`)\n", command, strings.Join(refused, ", "))
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock %s: unexpected argument %q (adding packages is pnpm's job: `pnpm add --lockfile-only`, then airlock pnpm install)\n", command, fs.Arg(0))
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, f.quiet)
	return finishNpm(ctx, rep, runPnpmInstall(ctx, command, &f, rep))
}

// pnpmProject is what airlock reads from a pnpm project.
type pnpmProject struct {
	lock      *lockpnpm.Lockfile
	major     int
	hoisting  installpnpm.Hoisting
	maxLength int
	wsNames   map[string]string
	// rootName, rootVersion and wsVersions are the package.json names
	// and versions, for airlock sbom.
	rootName, rootVersion string
	wsVersions            map[string]string
	// supported is supportedArchitectures (package.json's pnpm field,
	// then pnpm-workspace.yaml); nil when neither sets it.
	supported *lockpnpm.Architectures
	// nodeVersion is the node-version / nodeVersion setting, "" if unset.
	nodeVersion  string
	engineStrict bool
	// patches are the patchedDependencies files by hash, checked
	// against the lockfile.
	patches map[string]string
	// patchConfig is the patchedDependencies setting (package.json's
	// pnpm field, then pnpm-workspace.yaml): key → patch file.
	patchConfig map[string]string
}

func readPnpmProject(dir string, rc *npmrc.Config) (*pnpmProject, error) {
	lockPath := filepath.Join(dir, pnpmLockfile)
	data, err := safefile.Read(lockPath, lockpnpm.MaxLockfileSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		err = fmt.Errorf("%w (the lockfile limit): check that it is the lockfile pnpm wrote", err)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	p := &pnpmProject{wsNames: map[string]string{}, wsVersions: map[string]string{}}
	if p.lock, err = lockpnpm.Parse(data); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	pkgJSON, err := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading package.json (pnpm needs it beside the lockfile): %w", err))
	}
	var root struct {
		Name           string `json:"name"`
		Version        string `json:"version"`
		PackageManager string `json:"packageManager"`
		Pnpm           struct {
			PatchedDependencies    map[string]string `json:"patchedDependencies"`
			SupportedArchitectures *struct {
				OS   stringOrList `json:"os"`
				CPU  stringOrList `json:"cpu"`
				Libc stringOrList `json:"libc"`
			} `json:"supportedArchitectures"`
		} `json:"pnpm"`
	}
	if err := json.Unmarshal(pkgJSON, &root); err != nil && root.Pnpm.SupportedArchitectures != nil {
		return nil, withCode(exitUsage, fmt.Errorf("package.json: pnpm.supportedArchitectures: %w", err))
	}
	p.major = pnpmMajor(root.PackageManager)
	p.rootName, p.rootVersion = root.Name, root.Version
	if sa := root.Pnpm.SupportedArchitectures; sa != nil {
		p.supported = &lockpnpm.Architectures{OS: sa.OS, CPU: sa.CPU, Libc: sa.Libc}
	}
	p.patchConfig = root.Pnpm.PatchedDependencies
	manifests := map[string][]byte{".": pkgJSON}
	for _, imp := range p.lock.Importers {
		if imp.ID == "." {
			continue
		}
		b, err := safefile.Read(filepath.Join(dir, filepath.FromSlash(imp.ID), "package.json"), maxManifestSize)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("workspace %s: %w", imp.ID, err))
		}
		var m struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		_ = json.Unmarshal(b, &m)
		p.wsNames[imp.ID], p.wsVersions[imp.ID] = m.Name, m.Version
		manifests[imp.ID] = b
	}
	// --frozen-lockfile: pnpm refuses a lockfile package.json has moved
	// away from, and so does airlock.
	if err := lockpnpm.CheckInSync(p.lock, manifests); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	if err := p.readSettings(dir, rc); err != nil {
		return nil, withCode(exitUsage, err)
	}
	if err := checkPatchConfig(p.patchConfig, p.lock); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	if p.patches, err = readPnpmPatches(dir, p.lock); err != nil {
		return nil, err
	}
	return p, nil
}

// checkPatchConfig is pnpm's frozen-lockfile check of patchedDependencies
// (ERR_PNPM_LOCKFILE_CONFIG_MISMATCH): the configured patches must be
// the lockfile's, package for package and file for file.
func checkPatchConfig(config map[string]string, lf *lockpnpm.Lockfile) error {
	locked := map[string]string{}
	for _, p := range lf.Patches {
		locked[p.Key] = p.Path
	}
	var diffs []string
	for _, k := range slices.Sorted(maps.Keys(config)) {
		file := path.Clean(filepath.ToSlash(config[k]))
		switch l, ok := locked[k]; {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s is patched with %s in the configuration but not in the lockfile", k, file))
		case l != file:
			diffs = append(diffs, fmt.Sprintf("%s is patched with %s in the configuration but with %s in the lockfile", k, file, l))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(locked)) {
		if _, ok := config[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s is patched with %s in the lockfile but not in the configuration (package.json's pnpm.patchedDependencies or pnpm-workspace.yaml)", k, locked[k]))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("the patchedDependencies configuration does not match the lockfile, which pnpm --frozen-lockfile refuses too: %s; run `pnpm install --lockfile-only` and review the result", strings.Join(diffs, "; "))
	}
	return nil
}

// maxPatchFile caps a patchedDependencies file.
const maxPatchFile = 16 << 20

// readPnpmPatches reads each patchedDependencies file through an os.Root
// of the project and checks it against the hash the lockfile records:
// a patch changed since the lockfile was written is refused, as pnpm's
// frozen install refuses it.
func readPnpmPatches(dir string, lf *lockpnpm.Lockfile) (map[string]string, error) {
	if len(lf.Patches) == 0 {
		return nil, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	defer root.Close()
	out := map[string]string{}
	for h, p := range lf.Patches {
		f, err := root.Open(filepath.FromSlash(p.Path))
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("patchedDependencies %s: %w", p.Key, err))
		}
		data, err := io.ReadAll(io.LimitReader(f, maxPatchFile+1))
		f.Close()
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("patchedDependencies %s: %w", p.Key, err))
		}
		if len(data) > maxPatchFile {
			return nil, withCode(exitUsage, fmt.Errorf("patchedDependencies %s: %s is over %d bytes", p.Key, p.Path, maxPatchFile))
		}
		if got := lockpnpm.PatchHash(data, h); got != h {
			return nil, withCode(exitVerify, fmt.Errorf("patchedDependencies %s: %s has changed since pnpm-lock.yaml was written (its hash is %s, the lockfile records %s): review the patch, then run `pnpm install --lockfile-only` to record it", p.Key, p.Path, got, h))
		}
		out[h] = string(data)
	}
	return out, nil
}

// stringOrList is a JSON string or list of strings (pnpm accepts both in
// supportedArchitectures).
type stringOrList []string

func (l *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = []string{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*l = list
	return nil
}

// yamlArchitectures reads supportedArchitectures from pnpm-workspace.yaml:
// a mapping of os, cpu and libc to lists (or one string).
func yamlArchitectures(n *lockpnpm.YAMLNode) (*lockpnpm.Architectures, error) {
	sa := &lockpnpm.Architectures{}
	if n.Kind == lockpnpm.YAMLNull {
		return sa, nil
	}
	if n.Kind != lockpnpm.YAMLMap {
		return nil, errors.New("not a mapping of os, cpu and libc")
	}
	for _, k := range n.Keys {
		var dst *[]string
		switch k {
		case "os":
			dst = &sa.OS
		case "cpu":
			dst = &sa.CPU
		case "libc":
			dst = &sa.Libc
		default:
			return nil, fmt.Errorf("unknown key %q (pnpm reads os, cpu and libc)", k)
		}
		v := n.Fields[k]
		switch v.Kind {
		case lockpnpm.YAMLScalar:
			*dst = []string{v.Value}
		case lockpnpm.YAMLSeq:
			*dst = []string{}
			for _, it := range v.Items {
				if it.Kind != lockpnpm.YAMLScalar {
					return nil, fmt.Errorf("%s: not a list of strings", k)
				}
				*dst = append(*dst, it.Value)
			}
		case lockpnpm.YAMLNull:
		default:
			return nil, fmt.Errorf("%s: not a list of strings", k)
		}
	}
	return sa, nil
}

// install lays out the plan's packages in projectDir (the plan's own
// project, or a scratch directory for airlock verify, whose shims then
// name shimDir) through fetcher.
func (p *pnpmPlan) install(ctx context.Context, projectDir, shimDir string, fetcher *fetch.Fetcher, stats *installStats, rep *reporter) (*installpnpm.Result, error) {
	umask := unpack.ProcessUmask()
	return installpnpm.Install(ctx, installpnpm.Options{
		ProjectDir:     projectDir,
		ShimProjectDir: shimDir,
		Patches:        p.project.patches,
		Selection:      p.sel,
		WorkspaceNames: p.project.wsNames,
		Hoisting:       p.project.hoisting,
		Major:          p.project.major,
		Concurrency:    p.cfg.Concurrency,
		Umask:          umask,
		LockWait:       30 * time.Second,
		OnLockWait:     rep.lockWait("this project"),
		Extract: func(ctx context.Context, pkg lock.Package, dir string) error {
			return extractPnpm(ctx, fetcher, pkg, dir, umask, stats, rep)
		},
	})
}

// pnpmMajor reads the major version from package.json's packageManager
// ("pnpm@9.15.9+sha512..."); 10 when it names no pnpm.
func pnpmMajor(pm string) int {
	v, ok := strings.CutPrefix(pm, "pnpm@")
	if !ok {
		return 10
	}
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err == nil && n == 9 {
		return 9
	}
	return 10
}

// readSettings applies the layout settings of .npmrc and then of
// pnpm-workspace.yaml (which pnpm 10 reads too, and which wins), refusing
// the ones that change the layout in ways airlock does not reproduce.
func (p *pnpmProject) readSettings(dir string, rc *npmrc.Config) error {
	settings := map[string]any{}
	for _, k := range []string{"node-linker", "hoist", "shamefully-hoist", "virtual-store-dir", "modules-dir", "virtual-store-dir-max-length", "enable-global-virtual-store", "symlink", "node-version", "engine-strict"} {
		if v, ok := rc.Get(k); ok {
			settings[k] = v.Value
		}
	}
	for _, k := range []string{"hoist-pattern", "public-hoist-pattern"} {
		if _, ok := rc.Get(k); ok {
			settings[k] = rc.GetAll(k)
		}
	}
	ws, err := safefile.Read(filepath.Join(dir, "pnpm-workspace.yaml"), maxManifestSize)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		doc, err := lockpnpm.ParseYAML(ws)
		if err != nil {
			return fmt.Errorf("pnpm-workspace.yaml: %w", err)
		}
		camel := map[string]string{"nodeLinker": "node-linker", "hoist": "hoist", "shamefullyHoist": "shamefully-hoist",
			"virtualStoreDir": "virtual-store-dir", "modulesDir": "modules-dir", "virtualStoreDirMaxLength": "virtual-store-dir-max-length",
			"enableGlobalVirtualStore": "enable-global-virtual-store", "symlink": "symlink", "hoistPattern": "hoist-pattern", "publicHoistPattern": "public-hoist-pattern",
			"nodeVersion": "node-version", "engineStrict": "engine-strict"}
		for _, k := range doc.Keys {
			if k == "patchedDependencies" {
				v := doc.Fields[k]
				if v.Kind != lockpnpm.YAMLMap && v.Kind != lockpnpm.YAMLNull {
					return fmt.Errorf("pnpm-workspace.yaml: patchedDependencies (line %d) is not a mapping of packages to patch files", v.Line)
				}
				p.patchConfig = map[string]string{}
				for _, pk := range v.Keys {
					if f := v.Fields[pk]; f.Kind == lockpnpm.YAMLScalar {
						p.patchConfig[pk] = f.Value
					} else {
						return fmt.Errorf("pnpm-workspace.yaml: patchedDependencies %q (line %d) is not a patch file", pk, f.Line)
					}
				}
				continue
			}
			if k == "supportedArchitectures" {
				sa, err := yamlArchitectures(doc.Fields[k])
				if err != nil {
					return fmt.Errorf("pnpm-workspace.yaml: supportedArchitectures (line %d): %w", doc.Fields[k].Line, err)
				}
				p.supported = sa
				continue
			}
			key, ok := camel[k]
			if !ok {
				continue
			}
			v := doc.Fields[k]
			switch v.Kind {
			case lockpnpm.YAMLScalar:
				if key == "hoist-pattern" || key == "public-hoist-pattern" {
					settings[key] = []string{v.Value}
				} else {
					settings[key] = v.Value
				}
			case lockpnpm.YAMLSeq:
				var list []string
				for _, it := range v.Items {
					list = append(list, it.Value)
				}
				settings[key] = list
			}
		}
	}
	str := func(k string) string { s, _ := settings[k].(string); return s }
	if v := str("node-linker"); v != "" && v != "isolated" {
		return fmt.Errorf("node-linker=%s (nodeLinker) is not supported: airlock lays out pnpm's default isolated node_modules (node-linker=isolated) only; install this project with pnpm itself, or with npm (`airlock npm ci`) for a flat node_modules", v)
	}
	p.nodeVersion = str("node-version")
	p.engineStrict = str("engine-strict") == "true"
	for k, def := range map[string]string{"virtual-store-dir": "node_modules/.pnpm", "modules-dir": "node_modules", "enable-global-virtual-store": "false", "symlink": "true"} {
		if v := str(k); v != "" && strings.TrimSuffix(v, "/") != def {
			return fmt.Errorf("%s=%s is not supported: airlock lays out pnpm's default layout (%s=%s) only", k, v, k, def)
		}
	}
	if v := str("virtual-store-dir-max-length"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 34 {
			return fmt.Errorf("virtual-store-dir-max-length=%q is not a usable length", v)
		}
		p.maxLength = n
	}
	if l, ok := settings["hoist-pattern"].([]string); ok {
		p.hoisting.Private = append([]string{}, l...)
	}
	if l, ok := settings["public-hoist-pattern"].([]string); ok {
		p.hoisting.Public = append([]string{}, l...)
	}
	if str("hoist") == "false" {
		p.hoisting.Private = []string{}
	}
	if str("shamefully-hoist") == "true" {
		p.hoisting.Public = []string{"*"}
	}
	return nil
}

// pnpmSelect is what decides which packages of a pnpm lockfile an install
// lays out: pnpm's --prod, --dev and --no-optional, and --os, --cpu and
// --libc, which replace that part of supportedArchitectures as on pnpm's
// command line (overrideSupportedArchitecturesWithCLI).
type pnpmSelect struct {
	noDev, noProd, noOptional bool
	os, cpu, libc             []string
	// engineStrict, when set, wins over .npmrc and pnpm-workspace.yaml.
	engineStrict *bool
}

// pnpmPlan is what a pnpm install works from: the project, its
// configuration and the lockfile entries pnpm would install.
type pnpmPlan struct {
	projectDir string
	cfg        *config.Config
	rc         *npmrc.Config
	project    *pnpmProject
	sel        *lockpnpm.Selection
}

// loadPnpmPlan reads the configuration and lockfile of the pnpm project in
// dir and selects the packages to install, reporting npmrc warnings,
// skipped entries and selection warnings to rep.
func loadPnpmPlan(dir, configFile string, noRemoteCache bool, s pnpmSelect, rep *reporter) (*pnpmPlan, error) {
	projectDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	cfg, rc, err := loadJSConfig(projectDir, configFile, noRemoteCache, relockPnpm, rep)
	if err != nil {
		return nil, err
	}
	project, err := readPnpmProject(projectDir, rc)
	if err != nil {
		return nil, err
	}
	host := locknpm.HostPlatform()
	host.Libc = locknpm.DetectLibc()
	supported := project.supported
	if s.os != nil || s.cpu != nil || s.libc != nil {
		sa := lockpnpm.Architectures{}
		if supported != nil {
			sa = *supported
		}
		for _, o := range []struct{ flag, field *[]string }{{&s.os, &sa.OS}, {&s.cpu, &sa.CPU}, {&s.libc, &sa.Libc}} {
			if *o.flag != nil {
				*o.field = *o.flag
			}
		}
		supported = &sa
	}
	nodeVersion := project.nodeVersion
	if nodeVersion == "" {
		// pnpm checks engines.node against the node on PATH (its
		// getSystemNodeVersion), which is the node that will run the
		// packages.
		nodeVersion, _ = nodeVersions()
	}
	engineStrict := project.engineStrict
	if s.engineStrict != nil {
		engineStrict = *s.engineStrict
	}
	sel, err := project.lock.Select(lockpnpm.Options{
		NoDev:                    s.noDev,
		NoProd:                   s.noProd,
		NoOptional:               s.noOptional,
		Platform:                 lockpnpm.Platform{OS: host.OS, CPU: host.CPU, Libc: host.Libc},
		Supported:                supported,
		NodeVersion:              nodeVersion,
		EngineStrict:             engineStrict,
		Major:                    project.major,
		VirtualStoreDirMaxLength: project.maxLength,
	})
	switch {
	case errors.Is(err, lockpnpm.ErrBadPlatform), errors.Is(err, lockpnpm.ErrBadEngine):
		return nil, withCode(exitVerify, err)
	case err != nil:
		return nil, withCode(exitUsage, err)
	}
	for _, sk := range sel.Skipped {
		rep.skipped(event{Name: sk.Package.Name, Version: sk.Package.Version, Path: sk.Package.Path, Reason: sk.Reason})
	}
	for _, w := range sel.Warnings {
		rep.warn(event{Name: w.Package.Name, Version: w.Package.Version, Path: w.Package.Path, Message: w.Message})
	}
	return &pnpmPlan{projectDir: projectDir, cfg: cfg, rc: rc, project: project, sel: sel}, nil
}

func runPnpmInstall(ctx context.Context, command string, f *pnpmFlags, rep *reporter) error {
	began := time.Now()
	allowScripts, err := config.ParseScriptSpecs("--allow-scripts", f.allowScripts)
	if err != nil {
		return withCode(exitUsage, err)
	}
	plan, err := loadPnpmPlan(f.dir, f.configFile, f.noRemoteCache, pnpmSelect{noDev: f.prod, noProd: f.dev, noOptional: f.noOptional, os: f.os.values, cpu: f.cpu.values, libc: f.libc.values}, rep)
	if err != nil {
		return err
	}
	if err := setCacheDir(plan.cfg, f.storeDir); err != nil {
		return err
	}
	cfg, rc, sel := plan.cfg, plan.rc, plan.sel
	if f.ignoreScripts {
		cfg.IgnoreNativeScripts(ignoreScriptsFlag)
	}
	var src *vendor.Source
	if f.from != "" {
		if src, err = openVendor(f.from); err != nil {
			return err
		}
		defer src.Close()
	}
	if err := checkJSPolicy(ctx, policyInput{cfg: cfg, rc: rc, projectDir: plan.projectDir, offline: f.offline, vendored: src != nil, pkgs: sel.Install, rep: rep}); err != nil {
		return err
	}
	var fetcher *fetch.Fetcher
	if src != nil {
		fetcher = &fetch.Fetcher{Getter: src, Locator: src, RelockHint: relockPnpm}
	} else if fetcher, err = newFetcher(cfg, rc, f.offline, func(msg string) { rep.warn(event{Message: msg}) }); err != nil {
		return err
	}
	defer finishRemoteCache(fetcher, rep)
	rep.start(command, len(sel.Install))
	var stats installStats
	res, err := plan.install(ctx, plan.projectDir, "", fetcher, &stats, rep)
	stats.warnUncached(rep)
	if err != nil {
		return classifyInstallError(err)
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	scripts := res.InstallScripts
	took := time.Since(began)
	e := stats.event(res.Packages, res.Links, res.Bins, len(sel.Skipped), scripts, took)
	lines := addedLines(e, "", took)
	if len(res.Patched) > 0 {
		lines = append(lines, fmt.Sprintf("patched %d packages with the project's patchedDependencies: %s", len(res.Patched), strings.Join(res.Patched, ", ")))
	}
	if e.Skipped > 0 {
		lines = append(lines, fmt.Sprintf("skipped %d packages (omitted or not for this platform; --json lists them)", e.Skipped))
	}
	lines = append(lines, scriptLines(scripts, "airlock runs only the scripts you allow, sandboxed (through pnpm rebuild): review the package, then list it in airlock.toml's [scripts] allow or pass --allow-scripts=NAME")...)
	rep.finishInstall(command, e, lines)
	findings := stats.warnFindings(rep)
	installed := markScripts(sel.Install, scripts)
	lockData, err := safefile.Read(filepath.Join(plan.projectDir, pnpmLockfile), lockpnpm.MaxLockfileSize)
	if err != nil {
		return withCode(exitUsage, err)
	}
	ca, _ := rc.CA()
	return runAllowedScripts(ctx, scriptsInput{cfg: cfg, projectDir: plan.projectDir, installed: installed, caFile: ca.File, allow: allowScripts, findings: findings, rep: rep, pnpmLock: lockData})
}

// installAuto is `airlock install`: the install of the package manager
// whose lockfile the project has (findJSLock chooses, as for airlock
// fetch, vendor, verify and sbom); without one, airlock pip install of
// the project's pylock.toml or uv.lock.
func installAuto(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	dir := "."
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--dir="); ok {
			dir = v
		} else if (a == "--dir" || a == "-dir") && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	l, err := findJSLock(dir)
	if err != nil {
		var none errNoJSLock
		if !errors.As(err, &none) {
			fmt.Fprintf(stderr, "airlock install: %v\n", err)
			return exitUsage
		}
		if code, ok := installPython(ctx, dir, args, stdout, stderr); ok {
			return code // pylock.toml or uv.lock (pip_auto.go)
		}
		return npmCI(ctx, "install", args, stdout, stderr) // npm ci reports it
	}
	switch l.kind {
	case lockPnpm:
		return pnpmInstall(ctx, "install", args, stdout, stderr)
	case lockBun:
		return bunInstall(ctx, "install", args, stdout, stderr)
	case lockYarn:
		return yarnInstall(ctx, "install", args, stdout, stderr)
	}
	return npmCI(ctx, "install", args, stdout, stderr)
}

// extractPnpm fetches pkg's verified archive into dir as pnpm lays it out:
// npm's rules, but .gitignore files are kept.
func extractPnpm(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, dir string, umask os.FileMode, stats *installStats, rep *reporter) error {
	if err := extractArchive(ctx, f, pkg, dir, unpack.NpmOptions{Umask: umask, UmaskIsProcess: true, KeepGitignore: true}, stats, rep); err != nil {
		return err
	}
	// extractArchive analyzes what the lockfile marks as having install
	// scripts, and pnpm's seldom does: what the scripts would do decides
	// whether an allowed one may run (runAllowedScripts).
	if !pkg.HasInstallScript && install.HasInstallScript(dir) {
		fs, err := analyze.Npm(analyze.Input{Dir: dir, Name: pkg.Name, Version: pkg.Version, InstallPath: pkg.Path, ScriptsOnly: true})
		if err != nil {
			return err
		}
		stats.addFindings(fs)
	}
	return nil
}
