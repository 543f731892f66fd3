package main

// airlock fetch, vendor, verify, sbom, audit and diff for bun.lock and
// yarn.lock: the parts of those commands that differ by lockfile format.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/fetch/vendor"
	installyarn "github.com/airlock-dev/airlock/install/yarn"
	installberry "github.com/airlock-dev/airlock/install/yarnberry"
	"github.com/airlock-dev/airlock/install/yarnberry/berryzip"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/internal/sbom"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
	lockberry "github.com/airlock-dev/airlock/lock/yarnberry"
	"github.com/airlock-dev/airlock/unpack"
	vtree "github.com/airlock-dev/airlock/verify/tree"
)

// readYarnLock reads the yarn.lock of the project in dir.
func readYarnLock(dir string) ([]byte, error) {
	data, err := safefile.Read(filepath.Join(dir, yarnLockfile), lockyarn.MaxLockfileSize)
	if errors.Is(err, safefile.ErrTooLarge) {
		err = fmt.Errorf("%w (the lockfile limit): check that it is the lockfile yarn wrote", err)
	}
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return data, nil
}

// berryPlanOf is loadBerryPlan under npm ci's flags (airlock fetch,
// vendor, verify, sbom; data is the project's yarn.lock): yarn 2+ installs every dependency yarn.lock records on
// this platform, so only --os/--cpu/--libc (the platform the optional
// packages are chosen for) apply.
func berryPlanOf(f *npmCIFlags, projectDir string, data []byte, rep *reporter) (*berryPlan, error) {
	omit := f.omitSet(f.production)
	for v := range omit {
		return nil, withCode(exitUsage, fmt.Errorf("--omit=%s: yarn 2+ installs every dependency yarn.lock records (it has no --production), and so does airlock", v))
	}
	return loadBerryPlan(projectDir, f.configFile, f.noRemoteCache, data, lockberry.Platform{OS: f.os, CPU: f.cpu, Libc: f.libc}, rep)
}

// fetchArchive fetches pkg (one of p.install) to consume. For yarn 2+ the
// archive must also rebuild into the cache zip yarn.lock's checksum pins,
// so that what airlock fetch caches and airlock vendor writes is the
// package the lockfile names, not only the one the registry lists.
func (p *jsPlan) fetchArchive(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, consume func(io.Reader) error) (fetch.Result, error) {
	if p.berry != nil {
		return p.berry.fetchChecked(ctx, f, pkg, consume)
	}
	return f.Fetch(ctx, pkg, consume)
}

// fetchChecked fetches pkg's tarball (checked against the registry's
// integrity by the fetcher) and checks its rebuilt cache zip against the
// lockfile's checksum while passing the bytes on to consume (nil: none).
func (p *berryPlan) fetchChecked(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, consume func(io.Reader) error) (fetch.Result, error) {
	entry := p.entryOf[berryPackageKey(pkg)]
	if entry == nil {
		return fetch.Result{}, fmt.Errorf("%s@%s is not in the plan", pkg.Name, pkg.Version)
	}
	want, pinned := p.want[entry]
	check := func(r io.Reader) error {
		a, err := berryzip.Convert(r, entry.Locator.Name, berryzip.Limits{})
		if err != nil {
			return fmt.Errorf("rebuilding %s's cache zip: %w", entry.Locator, err)
		}
		sum, err := a.Sum()
		if err != nil {
			return fmt.Errorf("rebuilding %s's cache zip: %w", entry.Locator, err)
		}
		if sum != want.Hex {
			return &berryChecksumError{locator: entry.Locator.String(), want: want.String(), got: want.CacheKey + "/" + sum}
		}
		return nil
	}
	return f.Fetch(ctx, pkg, func(r io.Reader) error {
		switch {
		case !pinned && consume == nil:
			_, err := io.Copy(io.Discard, r)
			return err
		case !pinned:
			return consume(r)
		case consume == nil:
			if err := check(r); err != nil {
				return err
			}
			_, err := io.Copy(io.Discard, r)
			return err
		}
		return teeCheck(r, check, consume)
	})
}

// teeCheck passes all of r to consume while check reads it too, and
// returns check's error, else consume's. consume reads through a pipe that
// is drained after it returns, so neither side can block the other; check
// may stop reading early (the rest still reaches consume).
func teeCheck(r io.Reader, check, consume func(io.Reader) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := consume(pr)
		_, _ = io.Copy(io.Discard, pr)
		done <- err
	}()
	err := check(io.TeeReader(r, pw))
	if err == nil {
		_, err = io.Copy(pw, r)
	}
	pw.CloseWithError(err)
	if cerr := <-done; err == nil {
		err = cerr
	}
	return err
}

// berryPackageKey identifies a fetched package of a berry plan.
func berryPackageKey(p lock.Package) string { return p.Name + "@" + p.Version + " " + p.Resolved }

// berryInstalledPackages lists, for airlock audit, every package a yarn 2+
// install lays out on this platform at the place yarn's node-modules
// linker puts it (a package hoisted to several places is listed at each).
func berryInstalledPackages(dir string) ([]lock.Package, error) {
	data, err := readYarnLock(dir)
	if err != nil {
		return nil, err
	}
	if !lockberry.IsBerry(data) {
		return yarnClassicPackages(dir, data)
	}
	lf, err := lockberry.Parse(data)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(dir, yarnLockfile), err))
	}
	var platform lockberry.Platform
	hostDefaults(&platform.OS, &platform.CPU, &platform.Libc)
	g, err := lf.Graph(platform)
	if errors.Is(err, lockberry.ErrBuiltinPatch) {
		// As the install did: [yarn] builtin_patches = "unpatched" (or
		// AIRLOCK_YARN_BUILTIN_PATCHES) installed the published package.
		cfg, cerr := config.Load("", dir, os.Getenv)
		if cerr != nil {
			return nil, withCode(exitUsage, cerr)
		}
		if cfg.Yarn.Unpatched() {
			g, err = lf.UnpatchedGraph(platform)
		}
	}
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(dir, yarnLockfile), err))
	}
	lay, err := installberry.Plan(g)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	var pkgs []lock.Package
	for _, pl := range lay.Placements {
		e := g.Source(pl.Instance.Entry)
		if pl.Soft || e.Kind() != lockberry.KindNpm {
			continue
		}
		version, archive, _ := e.NpmVersion()
		pkgs = append(pkgs, lock.Package{Ecosystem: lock.NPM, Name: e.Locator.Name, Version: version, Path: pl.Location, Source: lock.SourceRegistry, Resolved: archive, Bin: e.Bin})
	}
	return pkgs, nil
}

// maxAuditedDirs bounds the package directories yarnClassicPackages looks
// at (the largest real trees hold tens of thousands).
const maxAuditedDirs = 200000

// yarnClassicPackages lists, for airlock audit, the yarn 1 lockfile's
// packages where they are installed. yarn 1's layout depends on the
// packages' own manifests, which the lockfile does not hold, so the tree
// is walked instead: every package directory in node_modules (nested ones
// and workspaces' too; symlinks, such as workspace links, are not
// followed) whose name and package.json version a lockfile entry has.
func yarnClassicPackages(dir string, data []byte) ([]lock.Package, error) {
	lf, err := lockyarn.Parse(data)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(dir, yarnLockfile), err))
	}
	byKey := map[string]*lockyarn.Entry{}
	for _, e := range lf.Entries {
		byKey[e.Name+"@"+e.Version] = e
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	defer root.Close()
	var pkgs []lock.Package
	seen := 0
	var walk func(modules string) error
	visit := func(p string) error {
		if seen++; seen > maxAuditedDirs {
			return fmt.Errorf("%s holds over %d package directories; airlock audit stops there", filepath.Join(dir, "node_modules"), maxAuditedDirs)
		}
		f, err := root.Open(p + "/package.json")
		if err != nil {
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(f, maxManifestSize))
		f.Close()
		if err != nil {
			return nil
		}
		var m struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(data, &m) == nil {
			name := strings.TrimPrefix(p[strings.LastIndex(p, "node_modules/"):], "node_modules/")
			if e := byKey[name+"@"+m.Version]; e != nil {
				pkgs = append(pkgs, e.Package(p))
			}
		}
		return walk(p + "/node_modules")
	}
	walk = func(modules string) error {
		entries, err := fs.ReadDir(root.FS(), modules)
		if err != nil {
			return nil
		}
		for _, d := range entries {
			name := d.Name()
			if !d.IsDir() || strings.HasPrefix(name, ".") {
				continue
			}
			if strings.HasPrefix(name, "@") {
				scoped, err := fs.ReadDir(root.FS(), modules+"/"+name)
				if err != nil {
					continue
				}
				for _, sd := range scoped {
					if sd.IsDir() {
						if err := visit(modules + "/" + name + "/" + sd.Name()); err != nil {
							return err
						}
					}
				}
				continue
			}
			if err := visit(modules + "/" + name); err != nil {
				return err
			}
		}
		return nil
	}
	modules := []string{"node_modules"}
	if pkgJSON, err := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize); err == nil {
		if m, err := lockyarn.ReadManifest(pkgJSON); err == nil {
			if ws, _, err := installyarn.FindWorkspaces(dir, m); err == nil {
				for _, w := range ws {
					modules = append(modules, w.Dir+"/node_modules")
				}
			}
		}
	}
	for _, m := range modules {
		if err := walk(m); err != nil {
			return nil, withCode(exitUsage, err)
		}
	}
	return pkgs, nil
}

// verifyScratch lays out the expected tree in a scratch directory (after
// copying the project directories dirs into it, see copyProjectDirs) and
// compares it with the installed tree under roots, leaving out ignore
// (the package manager's own files that airlock does not write).
func verifyScratch(ctx context.Context, projectDir string, roots []string, dirs map[string]bool, ignore []string, workers int, jsonOut bool, stdout io.Writer, rep *reporter, layout func(scratch string) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	got, err := vtree.Scan(projectDir, roots, workers)
	if err != nil {
		return withCode(exitVerify, err)
	}
	got.Entries = slices.DeleteFunc(got.Entries, func(e vtree.Entry) bool { return slices.Contains(ignore, e.Path) })
	scratch, err := os.MkdirTemp("", "airlock-verify-")
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("making a scratch directory for the expected tree: %w", err))
	}
	defer os.RemoveAll(scratch)
	for d := range dirs {
		if !filepath.IsLocal(filepath.FromSlash(d)) && d != "." {
			delete(dirs, d) // the install refuses these itself, with a better message
		}
	}
	if err := copyProjectDirs(projectDir, scratch, dirs); err != nil {
		return withCode(exitUsage, err)
	}
	if err := layout(scratch); err != nil {
		rep.audit.add(auditEvent("verify", "failed", err.Error()))
		var nc *fetch.NotCachedError
		if errors.As(err, &nc) {
			return withCode(exitUsage, fmt.Errorf("%s (%s) is not in the cache, and airlock verify builds the expected tree from the cache only: run `airlock fetch` (or the install) online first", nc.Package, nc.Want))
		}
		return err
	}
	want, err := vtree.Scan(scratch, roots, workers)
	if err != nil {
		return withCode(exitUsage, err)
	}
	return reportTree(stdout, jsonOut, rep, vtree.Compare(want, got), got, want, "node_modules")
}

// layoutQuietly is verifyScratch's layout for a plan: its install into
// scratch from the cache only (newFetcher offline), reporting nothing but
// the fetcher's warnings: the install's own were shown when it ran.
func layoutQuietly[R any](ctx context.Context, scratch string, rep *reporter, newFetcher func(offline bool, warn func(string)) (*fetch.Fetcher, error), install func(context.Context, string, *fetch.Fetcher, *installStats, *reporter) (R, error)) error {
	fetcher, err := newFetcher(true, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
	quiet := newReporter(io.Discard, io.Discard, false, true)
	var stats installStats
	if _, err := install(ctx, scratch, fetcher, &stats, quiet); err != nil {
		return fmt.Errorf("laying out the expected tree: %w", err)
	}
	return nil
}

// runVerifyBun is airlock verify for bun.lock: the expected tree is laid
// out by airlock bun install's code (bun's hoisted layout) in a scratch
// directory. bun writes nothing of its own into node_modules.
func runVerifyBun(ctx context.Context, plan *bunPlan, jsonOut bool, stdout io.Writer, rep *reporter) error {
	dirs := map[string]bool{".": true}
	for _, p := range plan.sel.Install {
		switch p.Source {
		case lock.SourceWorkspace:
			dirs[p.Path] = true
		case lock.SourceLink:
			dirs[path.Clean(p.Resolved)] = true
		}
	}
	return verifyScratch(ctx, plan.projectDir, npmTreeRoots(plan.sel.Install), dirs, nil, plan.cfg.Concurrency, jsonOut, stdout, rep, func(scratch string) error {
		return layoutQuietly(ctx, scratch, rep, plan.newFetcher, plan.install)
	})
}

// runVerifyBerry is airlock verify for a yarn 2+ lockfile: the expected
// tree, .yarn-state.yml included, is laid out by airlock yarn install's
// code in a scratch directory, every package checked against yarn.lock's
// checksum again. yarn's .package-map.json (installberry.Bookkeeping),
// which airlock does not write, is left out.
func runVerifyBerry(ctx context.Context, plan *berryPlan, jsonOut bool, stdout io.Writer, rep *reporter) error {
	roots := []string{"node_modules"}
	dirs := map[string]bool{".": true}
	for _, ws := range plan.g.Workspaces {
		if p := ws.Entry.WorkspacePath(); p != "." {
			dirs[p] = true
			roots = append(roots, p+"/node_modules")
		}
	}
	sort.Strings(roots[1:])
	return verifyScratch(ctx, plan.projectDir, roots, dirs, installberry.Bookkeeping, plan.cfg.Concurrency, jsonOut, stdout, rep, func(scratch string) error {
		return layoutQuietly(ctx, scratch, rep, plan.newFetcher, plan.install)
	})
}

// bunSBOMInput lists what a bun install lays out, with each package's
// dependencies resolved as node resolves them in bun's hoisted tree (the
// nearest node_modules up from the dependent), or as the isolated store
// links them.
func bunSBOMInput(p *bunPlan) sbom.Input {
	lf := p.project.lock
	byVersion := map[string]*lockbun.Entry{}
	for _, k := range lf.Keys {
		if e := lf.Entries[k]; e.Kind == lockbun.KindNpm {
			byVersion[e.Name+"@"+e.Version] = e
		}
	}
	wsByPath := map[string]*lockbun.Workspace{}
	for _, w := range lf.Workspaces {
		wsByPath[w.Path] = w
	}
	present := map[string]bool{}
	for _, q := range p.sel.Install {
		present[q.Path] = true
	}
	resolve := func(from, name string) string {
		dir := from
		for {
			cand := "node_modules/" + name
			if dir != "" {
				cand = dir + "/" + cand
			}
			if present[cand] {
				return cand
			}
			if dir == "" {
				return ""
			}
			if i := strings.LastIndex(dir, "/node_modules/"); i >= 0 {
				dir = dir[:i]
			} else {
				dir = ""
			}
		}
	}
	deps := map[string][]string{}
	if iso := p.sel.Isolated; iso != nil {
		// bun's isolated store says where each dependency links to; a
		// package with several peer sets is one component, at the store
		// directory Install names.
		at := map[string]string{}
		for _, q := range p.sel.Install {
			if k := q.Name + "@" + q.Version; q.Source == lock.SourceRegistry && at[k] == "" {
				at[k] = q.Path
			}
		}
		ref := func(se *lockbun.StoreEntry) string {
			if se.Kind == lockbun.StorePackage {
				return at[se.Package.Name+"@"+se.Package.Version]
			}
			return se.Dir
		}
		for _, se := range iso.Entries {
			from := ref(se)
			for _, d := range se.Deps {
				if d.Target != nil {
					if t := ref(d.Target); t != "" && t != from {
						deps[from] = append(deps[from], t)
					}
				}
			}
		}
		for k, v := range deps {
			slices.Sort(v)
			deps[k] = slices.Compact(v)
		}
		root := lf.Workspaces[0]
		return sbom.NPMInput(root.Name, root.Version, p.sel.Install, deps, redactResolved)
	}
	add := func(from string, groups ...map[string]string) {
		seen := map[string]bool{}
		for _, g := range groups {
			for name := range g {
				if t := resolve(from, name); t != "" && !seen[t] {
					seen[t] = true
					deps[from] = append(deps[from], t)
				}
			}
		}
		sort.Strings(deps[from])
	}
	for _, w := range lf.Workspaces {
		add(w.Path, w.Dependencies, w.DevDependencies, w.OptionalDependencies, w.PeerDependencies)
	}
	for _, q := range p.sel.Install {
		if q.Source != lock.SourceRegistry && q.Source != lock.SourceBundled {
			continue
		}
		if e := byVersion[q.Name+"@"+q.Version]; e != nil {
			add(q.Path, e.Dependencies, e.OptionalDependencies, e.PeerDependencies)
		}
	}
	root := lf.Workspaces[0]
	return sbom.NPMInput(root.Name, root.Version, p.sel.Install, deps, redactResolved)
}

// berryRef names an entry in a yarn 2+ BOM: its locator, unique where
// name@version need not be; a workspace by its directory ("" the root).
func berryRef(e *lockberry.Entry) string {
	if e.Kind() == lockberry.KindWorkspace {
		if p := e.WorkspacePath(); p != "." {
			return p
		}
		return ""
	}
	return e.Locator.String()
}

// berrySBOMInput lists the packages a yarn 2+ install lays out on this
// platform (each lockfile entry once, however many virtual copies yarn
// makes for its peer dependencies) and the workspaces, with the graph's
// dependency edges. yarn.lock pins only its cache zip's checksum, not the
// tarball's digest, so the components carry no hashes.
func berrySBOMInput(p *berryPlan) sbom.Input {
	var installed []lock.Package
	deps := map[string][]string{}
	seen := map[*lockberry.Entry]bool{}
	var root *lockberry.Entry
	for _, in := range p.g.Instances {
		e := p.g.Source(in.Entry)
		from := berryRef(e)
		for _, d := range in.Deps {
			if d.Target == nil || d.Target == in {
				continue
			}
			t := p.g.Source(d.Target.Entry)
			if t == e {
				continue
			}
			deps[from] = append(deps[from], berryRef(t))
		}
		if seen[e] {
			continue
		}
		seen[e] = true
		switch e.Kind() {
		case lockberry.KindWorkspace:
			if e.WorkspacePath() == "." {
				root = e
				continue
			}
			installed = append(installed, lock.Package{Ecosystem: lock.NPM, Name: e.Locator.Name, Version: e.Version, Path: berryRef(e), Source: lock.SourceWorkspace})
		case lockberry.KindNpm:
			version, archive, _ := e.NpmVersion()
			installed = append(installed, lock.Package{Ecosystem: lock.NPM, Name: e.Locator.Name, Version: version, Path: berryRef(e), Source: lock.SourceRegistry, Resolved: archive, Optional: e.Conditions != ""})
		}
	}
	for k, v := range deps {
		slices.Sort(v)
		deps[k] = slices.Compact(v)
	}
	sort.Slice(installed, func(i, j int) bool { return installed[i].Path < installed[j].Path })
	name, version := "", ""
	if root != nil {
		name, version = root.Locator.Name, root.Version
		if m := p.manifests["."]; m != nil && m.Name != "" {
			name = m.Name
		}
	}
	return sbom.NPMInput(name, version, installed, deps, redactResolved)
}

// bunDiffPackages lists a bun.lock's registry packages at their places in
// bun's hoisted tree (airlock diff matches them by place, as npm's).
func bunDiffPackages(data []byte) ([]lock.Package, error) {
	lf, err := lockbun.Parse(data)
	if err != nil {
		return nil, err
	}
	return lf.Packages(), nil
}

// berryDiffPackages lists a yarn 2+ lockfile's packages for airlock diff.
// yarn.lock has no install paths: as for pnpm, a package is keyed by its
// name when the lockfile holds one version of it, else by name@version.
// Its integrity is yarn's checksum (cache key/SHA-512 of yarn's cache
// zip), which changes with the same version only if the package's bytes
// (or the cache key) did.
func berryDiffPackages(data []byte) ([]lock.Package, error) {
	lf, err := lockberry.Parse(data)
	if err != nil {
		return nil, err
	}
	versions := map[string]map[string]bool{}
	for _, e := range lf.Entries {
		if e.Kind() == lockberry.KindWorkspace {
			continue
		}
		if versions[e.Locator.Name] == nil {
			versions[e.Locator.Name] = map[string]bool{}
		}
		versions[e.Locator.Name][e.Version] = true
	}
	var pkgs []lock.Package
	for _, e := range lf.Entries {
		if e.Kind() == lockberry.KindWorkspace {
			continue
		}
		key := e.Locator.Name
		if len(versions[key]) > 1 {
			key += "@" + e.Version
		}
		p := lock.Package{Ecosystem: lock.NPM, Name: e.Locator.Name, Version: e.Version, Path: key, Source: lock.SourceRegistry, Optional: e.Conditions != ""}
		if e.Checksum != "" {
			p.Integrity = e.Checksum
			if !strings.Contains(e.Checksum, "/") && lf.CacheKey != "" {
				p.Integrity = lf.CacheKey + "/" + e.Checksum
			}
		}
		ref := e.Locator.Reference
		switch e.Kind() {
		case lockberry.KindNpm:
			_, archive, _ := e.NpmVersion()
			p.Resolved = archive
		case lockberry.KindLink:
			p.Source, p.Resolved = lock.SourceLink, ref
		case lockberry.KindPatch:
			// yarn's builtin compat patches and the user's: the bytes
			// are a registry package's with a patch applied.
			p.Resolved = ref
		default:
			p.Source, p.Resolved = berrySource(ref), ref
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, nil
}

// berrySource names where a non-registry yarn 2+ resolution fetches from.
func berrySource(ref string) lock.Source {
	switch {
	case strings.HasPrefix(ref, "file:"), strings.HasPrefix(ref, "exec:"):
		return lock.SourceFile
	case strings.HasPrefix(ref, "http:"), strings.HasPrefix(ref, "https:"):
		if strings.Contains(ref, ".git#") {
			return lock.SourceGit
		}
		return lock.SourceRemote
	}
	return lock.SourceGit
}

// yarnClassicDiffPackages lists a yarn 1 lockfile's packages for airlock
// diff, keyed as berryDiffPackages keys them.
func yarnClassicDiffPackages(data []byte) ([]lock.Package, error) {
	lf, err := lockyarn.Parse(data)
	if err != nil {
		return nil, err
	}
	versions := map[string]map[string]bool{}
	for _, e := range lf.Entries {
		if versions[e.Name] == nil {
			versions[e.Name] = map[string]bool{}
		}
		versions[e.Name][e.Version] = true
	}
	var pkgs []lock.Package
	for _, e := range lf.Entries {
		key := e.Name
		if len(versions[key]) > 1 {
			key += "@" + e.Version
		}
		pkgs = append(pkgs, e.Package(key))
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, nil
}

// yarnJSPlan is loadJSPlan's answer for a yarn.lock: yarn 2+'s plan (the
// registry's tarball digests resolved, offline from the metadata cache) or
// yarn 1's.
func yarnJSPlan(ctx context.Context, l jsLock, f *npmCIFlags, rep *reporter) (*jsPlan, error) {
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	data, err := readYarnLock(projectDir)
	if err != nil {
		return nil, err
	}
	if !lockberry.IsBerry(data) {
		p, err := yarnClassicPlanOf(f, projectDir, data, rep)
		if err != nil {
			return nil, err
		}
		if err := setCacheDir(p.cfg, f.npmCache); err != nil {
			return nil, err
		}
		return &jsPlan{lock: l, projectDir: p.projectDir, cfg: p.cfg, rc: p.rc, install: p.pkgs, classic: p}, nil
	}
	p, err := berryPlanOf(f, projectDir, data, rep)
	if err != nil {
		return nil, err
	}
	if err := setCacheDir(p.cfg, f.npmCache); err != nil {
		return nil, err
	}
	// yarn.lock has no tarball digests: the registry's (offline: as
	// cached) are what the archives are fetched and cached under.
	if err := p.resolveIntegrity(ctx, f.offline); err != nil {
		return nil, err
	}
	return &jsPlan{lock: l, projectDir: p.projectDir, cfg: p.cfg, rc: p.rc, install: p.pkgs, berry: p}, nil
}

// yarnClassicPlan is what a yarn 1 install would fetch and lay out. yarn 1
// fetches every package the lockfile reaches (also devDependencies under
// --production and optional packages for other platforms) before it reads
// their manifests, which decide the layout; so does airlock.
type yarnClassicPlan struct {
	projectDir string
	cfg        *config.Config
	rc         *npmrc.Config
	lf         *lockyarn.Lockfile
	manifest   *lockyarn.Manifest
	workspaces []*installyarn.Workspace
	production bool
	platform   installyarn.Platform
	// pkgs are the packages to fetch, at node_modules/<name> (the layout
	// is known only once their manifests are read).
	pkgs []lock.Package
	// vendor, when set, is the vendor directory the install reads (--from).
	vendor *vendor.Source
}

// newFetcher returns the plan's fetch pipeline: the vendor directory's, or
// the cache and the network's.
func (p *yarnClassicPlan) newFetcher(offline bool, warn func(string)) (*fetch.Fetcher, error) {
	if p.vendor != nil {
		return &fetch.Fetcher{Getter: p.vendor, Locator: p.vendor, RelockHint: relockYarn}, nil
	}
	return newFetcher(p.cfg, p.rc, offline, warn)
}

// omitSet is what npm ci's --omit, --optional=false and --include flags
// leave out ("dev", "optional", "peer"), and "dev" when production is set
// (--production, or what the package manager takes for it), for the
// package managers whose own flags airlock maps them onto.
func (f *npmCIFlags) omitSet(production bool) map[string]bool {
	omit := map[string]bool{}
	for _, v := range f.omit.values {
		omit[v] = true
	}
	if production {
		omit["dev"] = true
	}
	if f.optional != nil && !*f.optional {
		omit["optional"] = true
	}
	for _, v := range f.include.values {
		delete(omit, v)
	}
	return omit
}

// setCacheDir points cfg's cache at the airlock directory inside dir, the
// package manager's own cache flag (npm's --cache, pnpm's --store-dir), if
// one was given, as npm and pnpm keep their caches there.
func setCacheDir(cfg *config.Config, dir string) error {
	if dir == "" {
		return nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	cfg.CacheDir = filepath.Join(abs, "airlock")
	return nil
}

// loadJSConfig reads airlock.toml (configFile, if set, instead) and the
// project's .npmrc, which pnpm, yarn and bun projects use as npm ones do,
// and reports the .npmrc warnings; noRemoteCache turns the remote cache off.
// relock is the command that rewrites the project's lockfile (relockPnpm,
// ...), which the fetcher, policy and registry errors name.
func loadJSConfig(projectDir, configFile string, noRemoteCache bool, relock string, rep *reporter) (*config.Config, *npmrc.Config, error) {
	cfg, err := config.Load(configFile, projectDir, os.Getenv)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	rep.audit.configure(cfg, projectDir)
	if noRemoteCache {
		cfg.RemoteCache = config.RemoteCache{}
	}
	rc, err := npmrc.Load(projectDir, os.Environ())
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	rc.RelockHint = relock
	for _, w := range rc.Warnings() {
		rep.warn(event{Message: w})
	}
	return cfg, rc, nil
}

// loadYarnClassicPlan reads a yarn 1 project (lf is its yarn.lock) as
// yarn install --frozen-lockfile does.
func loadYarnClassicPlan(projectDir, configFile string, noRemoteCache bool, lf *lockyarn.Lockfile, production bool, platform installyarn.Platform, rep *reporter) (*yarnClassicPlan, error) {
	lockPath := filepath.Join(projectDir, yarnLockfile)
	pkgJSON, err := safefile.Read(filepath.Join(projectDir, "package.json"), maxManifestSize)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading package.json (yarn needs it beside the lockfile): %w", err))
	}
	manifest, err := lockyarn.ReadManifest(pkgJSON)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	workspaces, wsWarnings, err := installyarn.FindWorkspaces(projectDir, manifest)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	for _, w := range wsWarnings {
		rep.warn(event{Message: w})
	}
	var wsManifests []*lockyarn.Manifest
	for _, w := range workspaces {
		wsManifests = append(wsManifests, w.Manifest)
	}
	if err := checkYarnClassicLayout(projectDir, os.Environ(), pkgJSON, manifest, wsManifests); err != nil {
		return nil, withCode(exitUsage, err)
	}
	// --frozen-lockfile: yarn refuses a lockfile package.json (or a
	// workspace's) has moved away from, and so does airlock.
	if err := lockyarn.CheckInSync(lf, manifest, wsManifests...); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	cfg, rc, err := loadJSConfig(projectDir, configFile, noRemoteCache, relockYarn, rep)
	if err != nil {
		return nil, err
	}
	// yarn 1 reads its registry from .yarnrc as well as .npmrc; airlock
	// reads .npmrc (with its auth and CA rules) and refuses to guess
	// when the two disagree.
	if reg, err := yarnrcRegistry(projectDir); err != nil {
		return nil, withCode(exitUsage, err)
	} else if reg != "" && strings.TrimSuffix(reg, "/") != strings.TrimSuffix(rc.Registry(), "/") {
		return nil, withCode(exitUsage, fmt.Errorf(".yarnrc sets registry %q but airlock's registry (from .npmrc) is %q; put registry=%s in the project's .npmrc, where airlock reads registries, auth and CA settings", reg, rc.Registry(), reg))
	}
	hostDefaults(&platform.OS, &platform.CPU, nil)
	var pkgs []lock.Package
	for _, e := range lockyarn.Reachable(lf, manifest, wsManifests...) {
		pkgs = append(pkgs, e.Package("node_modules/"+e.Name))
	}
	return &yarnClassicPlan{projectDir: projectDir, cfg: cfg, rc: rc, lf: lf, manifest: manifest, workspaces: workspaces,
		production: production, platform: platform, pkgs: pkgs}, nil
}

// yarnClassicPlanOf is loadYarnClassicPlan under npm ci's flags: --omit=dev
// (--production) is yarn's --production; --os and --cpu choose the
// platform optional packages are matched against.
func yarnClassicPlanOf(f *npmCIFlags, projectDir string, data []byte, rep *reporter) (*yarnClassicPlan, error) {
	// yarn 1 leaves devDependencies out under NODE_ENV=production too.
	omit := f.omitSet(f.production || os.Getenv("NODE_ENV") == "production")
	for v := range omit {
		if v != "dev" {
			return nil, withCode(exitUsage, fmt.Errorf("--omit=%s: only --omit=dev (yarn's --production) is supported for yarn.lock", v))
		}
	}
	if f.libc != "" {
		return nil, withCode(exitUsage, errors.New("--libc: yarn 1 does not match packages by libc"))
	}
	lf, err := lockyarn.Parse(data)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(projectDir, yarnLockfile), err))
	}
	return loadYarnClassicPlan(projectDir, f.configFile, f.noRemoteCache, lf, omit["dev"], installyarn.Platform{OS: f.os, CPU: f.cpu}, rep)
}

// install lays out the plan's tree in projectDir (the project, or a
// scratch copy of its workspaces for airlock verify).
func (p *yarnClassicPlan) install(ctx context.Context, projectDir string, fetcher *fetch.Fetcher, stats *installStats, rep *reporter) (*installyarn.Result, error) {
	umask := unpack.ProcessUmask()
	res, err := installyarn.Install(ctx, installyarn.Options{
		ProjectDir:  projectDir,
		Lockfile:    p.lf,
		Manifest:    p.manifest,
		Workspaces:  p.workspaces,
		Production:  p.production,
		Platform:    p.platform,
		Concurrency: p.cfg.Concurrency,
		LockWait:    30 * time.Second,
		OnLockWait:  rep.lockWait("this project"),
		Extract: func(ctx context.Context, pkg lock.Package, dir string) error {
			// yarn keeps .gitignore files (tar-fs extracts every name);
			// bin targets are made executable when they are linked.
			return extractArchive(ctx, fetcher, pkg, dir, unpack.NpmOptions{Umask: umask, UmaskIsProcess: true, KeepGitignore: true}, stats, rep)
		},
	})
	switch {
	case errors.Is(err, installyarn.ErrBadPlatform):
		return nil, withCode(exitVerify, err)
	case errors.Is(err, installyarn.ErrUnsupportedSource), errors.Is(err, installyarn.ErrWorkspaces), errors.Is(err, lockyarn.ErrOutOfSync):
		return nil, withCode(exitUsage, err)
	case err != nil:
		return nil, classifyInstallError(err)
	}
	return res, nil
}

// yarnClassicBookkeeping is what yarn 1 writes into node_modules for its
// own later runs and airlock does not (install/yarn's documentation says
// why).
var yarnClassicBookkeeping = []string{"node_modules/.yarn-integrity"}

// runVerifyYarnClassic is airlock verify for a yarn 1 lockfile: the
// expected tree is laid out by airlock yarn install's code in a scratch
// directory holding copies of the workspaces' package.json files and bins.
func runVerifyYarnClassic(ctx context.Context, plan *yarnClassicPlan, jsonOut bool, stdout io.Writer, rep *reporter) error {
	roots := []string{"node_modules"}
	dirs := map[string]bool{".": true}
	for _, w := range plan.workspaces {
		dirs[w.Dir] = true
		roots = append(roots, w.Dir+"/node_modules")
	}
	sort.Strings(roots[1:])
	return verifyScratch(ctx, plan.projectDir, roots, dirs, yarnClassicBookkeeping, plan.cfg.Concurrency, jsonOut, stdout, rep, func(scratch string) error {
		return layoutQuietly(ctx, scratch, rep, plan.newFetcher, plan.install)
	})
}

// yarnClassicSBOMInput lists the packages a yarn 1 lockfile reaches from
// package.json and the workspaces (each name@version once: yarn 1's
// layout depends on the packages' own manifests, which the lockfile does
// not hold), with the lockfile's dependency edges; the workspaces are
// components too. Packages only devDependencies reach are dev-only.
func yarnClassicSBOMInput(p *yarnClassicPlan) sbom.Input {
	ref := func(e *lockyarn.Entry) string { return e.Name + "@" + e.Version }
	var installed []lock.Package
	deps := map[string][]string{}
	seen := map[string]bool{}
	var wsManifests []*lockyarn.Manifest
	for _, w := range p.workspaces {
		wsManifests = append(wsManifests, w.Manifest)
	}
	wsRef := map[*lockyarn.Manifest]string{}
	for _, w := range p.workspaces {
		wsRef[w.Manifest] = w.Dir
		installed = append(installed, lock.Package{Ecosystem: lock.NPM, Name: w.Manifest.Name, Version: w.Manifest.Version, Path: w.Dir, Source: lock.SourceWorkspace})
	}
	edge := func(from, pattern string) {
		if ws := lockyarn.IsWorkspace(pattern, wsManifests); ws != nil {
			deps[from] = append(deps[from], wsRef[ws])
		} else if e := p.lf.ByPattern[pattern]; e != nil {
			deps[from] = append(deps[from], ref(e))
		}
	}
	for _, d := range p.manifest.Deps {
		edge("", d.Pattern())
	}
	for _, w := range p.workspaces {
		for _, d := range w.Manifest.Deps {
			edge(w.Dir, d.Pattern())
		}
	}
	// What production needs: the packages reached from dependencies and
	// optionalDependencies (the root's and the workspaces'); the rest is
	// dev-only (excluded from the BOM's scope, left out under --omit=dev).
	prod := map[*lockyarn.Entry]bool{}
	var queue []*lockyarn.Entry
	wsDone := map[*lockyarn.Manifest]bool{}
	var reach func(pattern string)
	reachRoot := func(m *lockyarn.Manifest) {
		if wsDone[m] {
			return
		}
		wsDone[m] = true
		for _, d := range m.Deps {
			if d.Kind != lockyarn.Dev {
				reach(d.Pattern())
			}
		}
	}
	reach = func(pattern string) {
		if ws := lockyarn.IsWorkspace(pattern, wsManifests); ws != nil {
			reachRoot(ws)
		} else if e := p.lf.ByPattern[pattern]; e != nil && !prod[e] {
			prod[e] = true
			queue = append(queue, e)
		}
	}
	reachRoot(p.manifest)
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		for _, d := range slices.Concat(e.Dependencies, e.OptionalDependencies) {
			reach(d.Pattern())
		}
	}
	for _, e := range lockyarn.Reachable(p.lf, p.manifest, wsManifests...) {
		if p.production && !prod[e] {
			continue
		}
		r := ref(e)
		for _, d := range slices.Concat(e.Dependencies, e.OptionalDependencies) {
			edge(r, d.Pattern())
		}
		if !seen[r] {
			seen[r] = true
			q := e.Package(r)
			q.Dev = !prod[e]
			installed = append(installed, q)
		}
	}
	for k, v := range deps {
		slices.Sort(v)
		deps[k] = slices.Compact(v)
	}
	sort.Slice(installed, func(i, j int) bool { return installed[i].Path < installed[j].Path })
	return sbom.NPMInput(p.manifest.Name, p.manifest.Version, installed, deps, redactResolved)
}

// yarnSBOMInput describes a yarn project from its lockfile alone (no
// registry lookups).
func yarnSBOMInput(f *npmCIFlags, rep *reporter) (sbom.Input, error) {
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return sbom.Input{}, withCode(exitUsage, err)
	}
	data, err := readYarnLock(projectDir)
	if err != nil {
		return sbom.Input{}, err
	}
	if !lockberry.IsBerry(data) {
		p, err := yarnClassicPlanOf(f, projectDir, data, rep)
		if err != nil {
			return sbom.Input{}, err
		}
		return yarnClassicSBOMInput(p), nil
	}
	p, err := berryPlanOf(f, projectDir, data, rep)
	if err != nil {
		return sbom.Input{}, err
	}
	return berrySBOMInput(p), nil
}
