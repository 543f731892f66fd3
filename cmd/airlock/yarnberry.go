package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/fetch/vendor"
	installberry "github.com/airlock-dev/airlock/install/yarnberry"
	"github.com/airlock-dev/airlock/install/yarnberry/berryzip"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	lockberry "github.com/airlock-dev/airlock/lock/yarnberry"
	"github.com/airlock-dev/airlock/unpack"
	"github.com/airlock-dev/airlock/verify"
)

// hexToBase64 turns a registry's hex shasum into SRI's base64.
func hexToBase64(h string) string {
	b, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// berryChecksumError is a tarball whose rebuilt cache zip does not hash
// to the lockfile's checksum.
type berryChecksumError struct {
	locator   string
	want, got string
}

func (e *berryChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch for %s: yarn.lock says %s, the registry's tarball rebuilds to a zip with SHA-512 %s; SECURITY: the package is not the one the lockfile pinned (or yarn.lock was edited): nothing was installed", e.locator, e.want, e.got)
}

func (e *berryChecksumError) Is(target error) bool { return target == verify.ErrIntegrity }

// yarnrcSettings are the .yarnrc.yml settings airlock reads; others do not
// change what airlock installs.
type yarnrcSettings struct {
	values map[string]*lockpnpm.YAMLNode
}

func (s yarnrcSettings) str(k string) string {
	if v := s.values[k]; v != nil && v.Kind == lockpnpm.YAMLScalar {
		return v.Value
	}
	return ""
}

func readYarnrc(dir string) (yarnrcSettings, error) {
	s := yarnrcSettings{values: map[string]*lockpnpm.YAMLNode{}}
	data, err := safefile.Read(filepath.Join(dir, ".yarnrc.yml"), maxManifestSize)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	doc, err := lockpnpm.ParseYAML(data)
	if err != nil {
		return s, fmt.Errorf(".yarnrc.yml: airlock reads a strict subset of YAML: %w", err)
	}
	if doc.Kind == lockpnpm.YAMLMap {
		for _, k := range doc.Keys {
			s.values[k] = doc.Fields[k]
		}
	}
	return s, nil
}

// checkYarnrc refuses the settings that make yarn lay out something
// airlock does not, and registries airlock would not use.
func checkYarnrc(s yarnrcSettings, rc *npmrc.Config) error {
	switch linker := s.str("nodeLinker"); linker {
	case "node-modules":
	case "", "pnp":
		return fmt.Errorf(".yarnrc.yml: nodeLinker is %q (yarn's default is pnp, Plug'n'Play, which keeps packages in zips and writes no node_modules): airlock installs the node-modules linker's tree only; set `nodeLinker: node-modules` in .yarnrc.yml (and run `yarn install` once to check the lockfile) to use airlock", orDefault(linker, "pnp"))
	default:
		return fmt.Errorf(".yarnrc.yml: nodeLinker %q is not supported: airlock installs yarn's `nodeLinker: node-modules` tree only", linker)
	}
	if v := s.str("nmHoistingLimits"); v != "" && v != "none" {
		return fmt.Errorf(".yarnrc.yml: nmHoistingLimits %q is not supported: airlock lays out yarn's default hoisting (none)", v)
	}
	if v := s.str("nmSelfReferences"); v != "" && v != "true" {
		return fmt.Errorf(".yarnrc.yml: nmSelfReferences %q is not supported: airlock lays out yarn's default (true)", v)
	}
	if v := s.str("nmMode"); v != "" && v != "classic" {
		return fmt.Errorf(".yarnrc.yml: nmMode %q is not supported: airlock copies packages as yarn's default nmMode (classic) does", v)
	}
	for _, k := range []string{"supportedArchitectures", "packageExtensions"} {
		if s.values[k] != nil {
			return fmt.Errorf(".yarnrc.yml: %s is not supported: airlock installs for this machine, without package extensions; remove it or install this project with yarn", k)
		}
	}
	if reg := s.str("npmRegistryServer"); reg != "" && strings.TrimSuffix(reg, "/") != strings.TrimSuffix(rc.Registry(), "/") {
		return fmt.Errorf(".yarnrc.yml sets npmRegistryServer %q but airlock's registry (from .npmrc) is %q; put registry=%s in the project's .npmrc, where airlock reads registries, auth and CA settings", reg, rc.Registry(), reg)
	}
	if scopes := s.values["npmScopes"]; scopes != nil && scopes.Kind == lockpnpm.YAMLMap {
		for _, scope := range scopes.Keys {
			reg := ""
			if v := scopes.Fields[scope].Get("npmRegistryServer"); v != nil {
				reg = v.Value
			}
			if reg == "" {
				continue
			}
			have := rc.RegistryFor("@" + scope + "/x")
			if strings.TrimSuffix(reg, "/") != strings.TrimSuffix(have, "/") {
				return fmt.Errorf(".yarnrc.yml sets npmScopes.%s.npmRegistryServer %q but airlock's registry for @%s (from .npmrc) is %q; put @%s:registry=%s in the project's .npmrc", scope, reg, scope, have, scope, reg)
			}
		}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// berryPlan is what an install of a yarn 2+ project would lay out: the
// graph for this platform, the lockfile checksum of each package yarn
// fetched, and each package as airlock fetches it (its tarball checked
// against the registry's integrity).
type berryPlan struct {
	projectDir string
	lockPath   string
	cfg        *config.Config
	rc         *npmrc.Config
	lf         *lockberry.Lockfile
	g          *lockberry.Graph
	// manifests are the workspaces' package.json files by path.
	manifests map[string]*lockberry.Manifest
	// want is each pinned entry's lockfile checksum; entries without one
	// are optional platform-specific packages (yarn writes none).
	want map[*lockberry.Entry]berryzip.Checksum
	// pkgs are the fetched entries (g.Fetched()) as packages whose
	// Integrity is the registry's (resolveIntegrity); byEntry maps them.
	pkgs    []lock.Package
	byEntry map[*lockberry.Entry]lock.Package
	// entryOf maps berryPackageKey(pkg) back to its entry (airlock fetch
	// and vendor check each archive against the entry's checksum).
	entryOf map[string]*lockberry.Entry
	// vendor, when set, is the vendor directory the install reads (--from).
	vendor *vendor.Source
}

// loadBerryPlan reads a yarn 2+ project (data is its yarn.lock) as yarn
// install --immutable does and builds the install graph for this
// platform (zero fields: the host's); resolveIntegrity then finds each
// package's tarball digest.
func loadBerryPlan(projectDir, configFile string, noRemoteCache bool, data []byte, platform lockberry.Platform, rep *reporter) (*berryPlan, error) {
	lockPath := filepath.Join(projectDir, yarnLockfile)
	lf, err := lockberry.Parse(data)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	manifests := map[string]*lockberry.Manifest{}
	for _, ws := range lf.Workspaces() {
		p := ws.WorkspacePath()
		b, err := safefile.Read(filepath.Join(projectDir, filepath.FromSlash(p), "package.json"), maxManifestSize)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("workspace %s (%s): %w", ws.Locator.Name, p, err))
		}
		m, err := lockberry.ReadManifest(b)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: %w", path.Join(p, "package.json"), err))
		}
		if m.InstallConfig.HoistingLimits != "" && m.InstallConfig.HoistingLimits != "none" || m.InstallConfig.SelfReferences != nil && !*m.InstallConfig.SelfReferences {
			return nil, withCode(exitUsage, fmt.Errorf("%s: installConfig changes yarn's hoisting, which airlock does not reproduce", path.Join(p, "package.json")))
		}
		manifests[p] = m
	}
	// yarn install --immutable refuses a lockfile package.json has moved
	// away from, and so does airlock.
	if err := lockberry.CheckInSync(lf, manifests); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	cfg, rc, err := loadJSConfig(projectDir, configFile, noRemoteCache, relockBerry, rep)
	if err != nil {
		return nil, err
	}
	yrc, err := readYarnrc(projectDir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if err := checkYarnrc(yrc, rc); err != nil {
		return nil, withCode(exitUsage, err)
	}
	hostDefaults(&platform.OS, &platform.CPU, &platform.Libc)
	g, err := berryGraph(lf, platform, cfg, lockPath, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return nil, err
	}
	for _, e := range g.Skipped {
		rep.skipped(event{Name: e.Locator.Name, Version: e.Version, Reason: "conditions " + e.Conditions + " do not match this platform"})
	}
	if len(g.Unreached) > 0 {
		var names []string
		for _, e := range g.Unreached {
			names = append(names, e.Locator.Name+"@"+e.Version)
		}
		rep.warn(event{Message: fmt.Sprintf("yarn.lock records %d packages that no dependency reaches: %s; yarn installs these for its package extensions (the builtin @yarnpkg/extensions list or .yarnrc.yml's packageExtensions), which airlock does not apply, so they are not installed", len(names), strings.Join(names, ", "))})
	}

	// The checksums are read before anything is fetched: a cache key
	// airlock cannot check refuses the whole install.
	want := map[*lockberry.Entry]berryzip.Checksum{}
	var unpinned []string
	for _, e := range g.Fetched() {
		if e.Checksum == "" {
			if e.Conditions == "" {
				return nil, withCode(exitVerify, fmt.Errorf("%s line %d: %s has no checksum; yarn records one for every package it fetches (except optional platform-specific ones), so airlock refuses to install it unpinned: run `yarn install` to restore it", lockPath, e.Line, e.Locator))
			}
			unpinned = append(unpinned, e.Locator.Name+"@"+e.Version)
			continue
		}
		c, err := berryzip.ParseChecksum(e.Checksum, lf.CacheKey)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s line %d: %s: %w", lockPath, e.Line, e.Locator, err))
		}
		want[e] = c
	}
	if len(unpinned) > 0 {
		sort.Strings(unpinned)
		rep.warn(event{Message: fmt.Sprintf("yarn.lock pins no checksum for %d optional platform-specific packages (yarn leaves them out so the lockfile fits every platform): %s; airlock checks these against the registry's dist.integrity (and its signature when policy requires one) instead", len(unpinned), strings.Join(unpinned, ", "))})
	}
	return &berryPlan{projectDir: projectDir, lockPath: lockPath, cfg: cfg, rc: rc, lf: lf, g: g, manifests: manifests, want: want}, nil
}

// resolveIntegrity finds the registry's integrity of each package's
// tarball: the download and every cache read are checked against it, and
// the policy's signature check covers it. yarn.lock has none (its
// checksum is of yarn's cache zip), so it comes from the registry's
// metadata (offline: as cached), or from the vendor directory's manifest,
// which recorded it when the archive was vendored and checked.
func (p *berryPlan) resolveIntegrity(ctx context.Context, offline bool) error {
	entries := p.g.Fetched()
	pkgs := make([]lock.Package, len(entries))
	var vendored map[string][]string
	if p.vendor != nil {
		vendored = map[string][]string{}
		for _, e := range p.vendor.Manifest().Packages {
			if e.Ecosystem == "npm" {
				vendored[e.Name+"@"+e.Version] = e.Digests
			}
		}
	}
	var store *fetch.MetaStore
	if p.vendor == nil {
		var err error
		if store, err = newMetaStore(p.cfg, p.rc, offline); err != nil {
			return err
		}
	}
	mg, mctx := errgroup.WithContext(ctx)
	limit := p.cfg.Concurrency
	if limit <= 0 {
		limit = defaultMetaConcurrency
	}
	mg.SetLimit(limit)
	for i, e := range entries {
		mg.Go(func() error {
			version, archive, _ := e.NpmVersion()
			pkg := lock.Package{Ecosystem: lock.NPM, Name: e.Locator.Name, Version: version, Path: "node_modules/" + e.Locator.Name,
				Source: lock.SourceRegistry, Resolved: archive, Bin: e.Bin}
			if p.vendor != nil {
				d := vendored[pkg.Name+"@"+version]
				if len(d) == 0 {
					return withCode(exitUsage, fmt.Errorf("%s@%s is not in the vendor directory: vendor this lockfile again (airlock vendor DIR)", pkg.Name, version))
				}
				pkg.Integrity = strings.Join(d, " ")
				pkgs[i] = pkg
				return nil
			}
			vm, err := store.VersionMetadata(mctx, p.rc.RegistryFor(pkg.Name), pkg.Name, version, false)
			if err != nil {
				return withCode(classify(err), fmt.Errorf("%s@%s: yarn.lock records no tarball digest, so airlock needs the registry's: %w", pkg.Name, version, err))
			}
			switch {
			case !vm.Found:
				return withCode(exitNetwork, fmt.Errorf("%s@%s: the registry (%s) does not list this version", pkg.Name, version, vm.URL))
			case vm.Integrity != "":
				pkg.Integrity = vm.Integrity
			case vm.Shasum != "":
				pkg.Integrity = "sha1-" + hexToBase64(vm.Shasum)
			default:
				return withCode(exitVerify, fmt.Errorf("%s@%s: the registry publishes no integrity for this version", pkg.Name, version))
			}
			pkgs[i] = pkg
			return nil
		})
	}
	if err := mg.Wait(); err != nil {
		return err
	}
	p.pkgs = pkgs
	p.byEntry = map[*lockberry.Entry]lock.Package{}
	p.entryOf = map[string]*lockberry.Entry{}
	for i, e := range entries {
		p.byEntry[e] = pkgs[i]
		p.entryOf[berryPackageKey(pkgs[i])] = e
	}
	return nil
}

// install lays out the plan's tree in projectDir (the project, or a
// scratch copy of its workspaces for airlock verify).
func (p *berryPlan) install(ctx context.Context, projectDir string, fetcher *fetch.Fetcher, stats *installStats, rep *reporter) (*installberry.Result, error) {
	// yarn writes files with Node's default modes, which the process umask
	// reduces.
	umask := unpack.ProcessUmask()
	res, err := installberry.Install(ctx, installberry.Options{
		ProjectDir:  projectDir,
		Graph:       p.g,
		Concurrency: p.cfg.Concurrency,
		LockWait:    30 * time.Second,
		OnLockWait:  rep.lockWait("this project"),
		Extract: func(ctx context.Context, e *lockberry.Entry, dir string) error {
			c, pinned := p.want[e]
			return extractBerry(ctx, fetcher, p.byEntry[e], e, c, pinned, dir, umask, stats, rep)
		},
	})
	switch {
	case errors.Is(err, installberry.ErrWorkspaceMissing):
		return nil, withCode(exitUsage, err)
	case errors.Is(err, installberry.ErrBadPackage):
		return nil, withCode(exitVerify, err)
	case err != nil:
		return nil, classifyInstallError(err)
	}
	return res, nil
}

// newFetcher returns the plan's fetch pipeline: the vendor directory's, or
// the cache and the network's.
func (p *berryPlan) newFetcher(offline bool, warn func(string)) (*fetch.Fetcher, error) {
	if p.vendor != nil {
		return &fetch.Fetcher{Getter: p.vendor, Locator: p.vendor, RelockHint: relockBerry}, nil
	}
	return newFetcher(p.cfg, p.rc, offline, warn)
}

// runYarnBerryInstall is `airlock yarn install` for a yarn 2+ (berry)
// lockfile: yarn install --immutable with nodeLinker: node-modules and
// enableScripts: false. Every package's tarball is checked against the
// registry's dist.integrity as it is downloaded (and on every cache read),
// then rebuilt into the zip yarn would cache, whose SHA-512 must be the
// lockfile's checksum before a byte is installed.
func runYarnBerryInstall(ctx context.Context, command string, f *yarnFlags, rep *reporter, projectDir string, data []byte) error {
	began := time.Now()
	if f.production != "" {
		return withCode(exitUsage, fmt.Errorf("--production is not a yarn 2+ install flag (yarn workspaces focus --production is, which airlock does not do): airlock installs everything yarn.lock records"))
	}
	plan, err := loadBerryPlan(projectDir, f.configFile, f.noRemoteCache, data, lockberry.Platform{}, rep)
	if err != nil {
		return err
	}
	if f.from != "" {
		if plan.vendor, err = openVendor(f.from); err != nil {
			return err
		}
		defer plan.vendor.Close()
	}
	if err := plan.resolveIntegrity(ctx, f.offline); err != nil {
		return err
	}
	cfg, rc, g := plan.cfg, plan.rc, plan.g
	if err := checkJSPolicy(ctx, policyInput{cfg: cfg, rc: rc, projectDir: projectDir, offline: f.offline, vendored: plan.vendor != nil, pkgs: plan.pkgs, rep: rep}); err != nil {
		return err
	}
	fetcher, err := plan.newFetcher(f.offline, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
	defer finishRemoteCache(fetcher, rep)
	rep.start(command, len(plan.pkgs))
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
	e := stats.event(res.Packages, res.Links, res.Bins, len(g.Skipped), scripts, took)
	lines := addedLines(e, "", took)
	if e.Skipped > 0 {
		lines = append(lines, fmt.Sprintf("skipped %d packages (not for this platform; --json lists them)", e.Skipped))
	}
	lines = append(lines, scriptLines(scripts, "airlock yarn install runs no scripts (like enableScripts: false); build the ones you trust with `yarn rebuild NAME`")...)
	rep.finishInstall(command, e, lines)
	return nil
}

// extractBerry fetches a package's tarball (checked against the
// registry's integrity), rebuilds yarn's cache zip from it, checks the zip
// against the lockfile's checksum and only then writes the files into dir.
func extractBerry(ctx context.Context, f *fetch.Fetcher, pkg lock.Package, e *lockberry.Entry, want berryzip.Checksum, pinned bool, dir string, umask os.FileMode, stats *installStats, rep *reporter) error {
	res, err := f.Fetch(ctx, pkg, func(r io.Reader) error {
		if err := emptyDir(dir); err != nil {
			return err
		}
		a, err := berryzip.Convert(r, e.Locator.Name, berryzip.Limits{})
		if err != nil {
			return fmt.Errorf("rebuilding %s's cache zip: %w", e.Locator, err)
		}
		if pinned {
			sum, err := a.Sum()
			if err != nil {
				return fmt.Errorf("rebuilding %s's cache zip: %w", e.Locator, err)
			}
			if sum != want.Hex {
				return &berryChecksumError{locator: e.Locator.String(), want: want.String(), got: want.CacheKey + "/" + sum}
			}
		}
		return installberry.WriteArchive(a, e.Locator.Name, dir, umask)
	})
	recordFetch(rep, pkg, res, err, f.Offline)
	if res.Corrupt != nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Want: res.Corrupt.Want.String(), Got: res.Corrupt.Got.String(),
			Message: corruptNote(pkg, res.Corrupt, err, f.Offline)})
		if res.Refetched {
			stats.refetched.Add(1)
		}
	}
	if res.CacheErr != nil && err == nil && stats.uncached.Add(1) == 1 {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("%v\nthe archive was verified and installed, but the cache could not keep or serve it: free space in (or fix the permissions of) %s, or set AIRLOCK_CACHE elsewhere", res.CacheErr, f.Cache.Dir())})
	}
	if res.Mismatched != nil && err == nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("the first download of %s@%s did not match the registry's integrity and was discarded; a second download matched:\n%v", pkg.Name, pkg.Version, res.Mismatched)})
	}
	if err != nil {
		return err
	}
	source := countSource(res, stats)
	stats.bytes.Add(res.Bytes)
	rep.packageDone(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Source: source, URL: client.Redact(res.URL), Bytes: res.Bytes})
	return nil
}
