package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// jsLockKind names a JavaScript package manager whose lockfile airlock
// reads; it is also the name package.json's packageManager gives it
// ("pnpm@10.1.0").
type jsLockKind string

const (
	lockNpm  jsLockKind = "npm"
	lockPnpm jsLockKind = "pnpm"
	lockBun  jsLockKind = "bun"
	lockYarn jsLockKind = "yarn" // yarn 1 (classic) and yarn 2+ (berry): the file says which
)

// jsLockfiles are the JavaScript lockfiles airlock reads, each with the
// file names its package manager writes (the first one present counts).
// A new format is one line here, one case in installAuto, and one in
// loadJSPlan and lockedJSPackages (which airlock fetch, vendor, verify,
// sbom and audit read through).
var jsLockfiles = []struct {
	kind  jsLockKind
	names []string
}{
	{lockNpm, []string{"npm-shrinkwrap.json", "package-lock.json"}}, // npm's order, as locknpm.FindLockfile
	{lockPnpm, []string{pnpmLockfile}},
	{lockBun, []string{bunLockfile, bunBinaryLockfile}}, // bun.lockb: airlock bun install says how to convert it
	{lockYarn, []string{yarnLockfile}},
}

// jsLock is the lockfile chosen for a project.
type jsLock struct {
	kind jsLockKind
	name string // file name in the project directory
}

// errNoJSLock is findJSLock's answer for a directory without a lockfile;
// callers that read Python locks too go on looking.
type errNoJSLock struct{ dir string }

func (e errNoJSLock) Error() string {
	var names []string
	for _, l := range jsLockfiles {
		names = append(names, l.names...)
	}
	return fmt.Sprintf("no lockfile (%s) in %s; airlock installs exactly what a lockfile records: create one with your package manager (`npm install --package-lock-only --ignore-scripts`, `pnpm install --lockfile-only --ignore-scripts`, `bun install --lockfile-only --ignore-scripts`, `yarn install --ignore-scripts` or with yarn 2+ `yarn install --mode=update-lockfile`)", strings.Join(names, ", "), e.dir)
}

// findJSLock chooses the lockfile of the project in dir as `airlock
// install` does: the only one there is; with several, the one of the
// package manager package.json's packageManager names, as corepack would;
// else airlock refuses to guess.
func findJSLock(dir string) (jsLock, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return jsLock{}, withCode(exitUsage, fmt.Errorf("reading project directory: %w", err))
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	var found []jsLock
	for _, l := range jsLockfiles {
		for _, n := range l.names {
			if have[n] {
				found = append(found, jsLock{l.kind, n})
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return jsLock{}, withCode(exitUsage, errNoJSLock{dir})
	case 1:
		return found[0], nil
	}
	pkg, _ := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize)
	var m struct {
		PackageManager string `json:"packageManager"`
	}
	_ = json.Unmarshal(pkg, &m)
	manager, _, _ := strings.Cut(m.PackageManager, "@")
	var names []string
	for _, l := range found {
		if string(l.kind) == manager {
			return l, nil
		}
		names = append(names, l.name)
	}
	return jsLock{}, withCode(exitUsage, fmt.Errorf("%s has %s, and package.json's packageManager names none of their package managers; name one (\"packageManager\": \"pnpm@10\"), use the command of the one you mean (airlock npm ci, airlock pnpm install), or delete the lockfile you do not use", dir, strings.Join(names, " and ")))
}

// jsPlan is a JavaScript project's install plan, whichever package
// manager's lockfile it has: what airlock fetch, vendor, verify and sbom
// work from.
type jsPlan struct {
	lock       jsLock
	projectDir string
	cfg        *config.Config
	rc         *npmrc.Config
	// install lists what the install would lay out; its registry
	// packages are the archives to fetch.
	install []lock.Package
	// npm, pnpm, bun, berry (yarn 2+) or classic (yarn 1) is the package
	// manager's own plan.
	npm     *npmPlan
	pnpm    *pnpmPlan
	bun     *bunPlan
	berry   *berryPlan
	classic *yarnClassicPlan
}

// loadJSPlan reads the project f names, with the lockfile findJSLock
// chooses, and selects what its install would lay out under npm ci's
// flags f (for a pnpm lockfile: --omit=dev is --prod, --omit=optional is
// --no-optional, --os/--cpu/--libc replace supportedArchitectures).
func loadJSPlan(ctx context.Context, f *npmCIFlags, rep *reporter) (*jsPlan, error) {
	l, err := findJSLock(f.dir)
	if err != nil {
		return nil, err
	}
	switch l.kind {
	case lockPnpm:
		s, err := pnpmSelectOf(f)
		if err != nil {
			return nil, err
		}
		p, err := loadPnpmPlan(f.dir, f.configFile, f.noRemoteCache, s, rep)
		if err != nil {
			return nil, err
		}
		if err := setCacheDir(p.cfg, f.npmCache); err != nil {
			return nil, err
		}
		return &jsPlan{lock: l, projectDir: p.projectDir, cfg: p.cfg, rc: p.rc, install: p.sel.Install, pnpm: p}, nil
	case lockBun:
		p, err := bunPlanOf(f, rep)
		if err != nil {
			return nil, err
		}
		if err := setCacheDir(p.cfg, f.npmCache); err != nil {
			return nil, err
		}
		return &jsPlan{lock: l, projectDir: p.projectDir, cfg: p.cfg, rc: p.rc, install: p.sel.Install, bun: p}, nil
	case lockYarn:
		return yarnJSPlan(ctx, l, f, rep)
	case lockNpm:
	default:
		return nil, errNotForCommand(l)
	}
	p, err := loadNpmPlan(f, rep)
	if err != nil {
		return nil, err
	}
	return &jsPlan{lock: l, projectDir: p.projectDir, cfg: p.cfg, rc: p.rc, install: p.sel.Install, npm: p}, nil
}

// pnpmSelectOf maps npm ci's selection flags onto pnpm's: npm's .npmrc
// omit settings and NODE_ENV do not apply to a pnpm project.
func pnpmSelectOf(f *npmCIFlags) (pnpmSelect, error) {
	omit := f.omitSet(f.production)
	var s pnpmSelect
	for v := range omit {
		switch v {
		case "dev":
			s.noDev = true
		case "optional":
			s.noOptional = true
		case "peer":
			return s, withCode(exitUsage, errors.New("--omit=peer: pnpm installs the peer dependencies its lockfile records, and has no option to leave them out"))
		default:
			return s, withCode(exitUsage, fmt.Errorf("--omit=%s: the dependency types are dev, optional and peer", v))
		}
	}
	for _, o := range []struct {
		flag string
		dst  *[]string
	}{{f.os, &s.os}, {f.cpu, &s.cpu}, {f.libc, &s.libc}} {
		if o.flag != "" {
			*o.dst = []string{o.flag}
		}
	}
	s.engineStrict = f.engineStrict
	return s, nil
}

// check applies the registry rules and airlock's policy to the plan before
// anything is fetched.
func (p *jsPlan) check(ctx context.Context, offline bool, rep *reporter) error {
	return checkJSPolicy(ctx, policyInput{cfg: p.cfg, rc: p.rc, projectDir: p.projectDir, offline: offline, pkgs: p.install, rep: rep})
}

// lockedJSPackages lists every package the lockfile of the project in dir
// records, at the path its package manager installs it to, whatever the
// platform or omit flags (airlock audit looks at those found on disk).
func lockedJSPackages(dir string) (jsLock, []lock.Package, error) {
	l, err := findJSLock(dir)
	if err != nil {
		return l, nil, err
	}
	switch l.kind {
	case lockPnpm:
		rc, err := npmrc.Load(dir, os.Environ())
		if err != nil {
			return l, nil, withCode(exitUsage, err)
		}
		project, err := readPnpmProject(dir, rc)
		if err != nil {
			return l, nil, err
		}
		maxLen := project.maxLength
		if maxLen == 0 {
			maxLen = lockpnpm.DefaultVirtualStoreDirMaxLength
		}
		keys := make([]string, 0, len(project.lock.Entries))
		for k := range project.lock.Entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var pkgs []lock.Package
		for _, k := range keys {
			e := project.lock.Entries[k]
			pkgs = append(pkgs, e.Package("node_modules/.pnpm/"+lockpnpm.DepPathToFilename(e.DepPath, maxLen, project.major)+"/node_modules/"+e.Name))
		}
		return l, pkgs, nil
	case lockBun:
		data, err := safefile.Read(filepath.Join(dir, l.name), lockbun.MaxLockfileSize)
		if err != nil {
			return l, nil, withCode(exitUsage, err)
		}
		lf, err := lockbun.Parse(data)
		if err != nil {
			return l, nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(dir, l.name), err))
		}
		// Both layouts: an isolated install has its packages in
		// node_modules/.bun, where the hoisted places are symlinks or
		// absent; audit analyzes only the directories that exist.
		var platform lockbun.Platform
		hostDefaults(&platform.OS, &platform.CPU, &platform.Libc)
		iso, err := lf.IsolatedPackages(platform)
		if err != nil {
			return l, nil, withCode(exitUsage, fmt.Errorf("%s: %w", filepath.Join(dir, l.name), err))
		}
		return l, append(lf.Packages(), iso...), nil
	case lockYarn:
		pkgs, err := berryInstalledPackages(dir)
		return l, pkgs, err
	case lockNpm:
	default:
		return l, nil, errNotForCommand(l)
	}
	project, err := readNpmProject(dir, false)
	if err != nil {
		return l, nil, err
	}
	return l, project.lock.Packages, nil
}

// errNotForCommand says that a lockfile airlock installs from is not read
// by the other commands yet.
func errNotForCommand(l jsLock) error {
	return withCode(exitUsage, fmt.Errorf("%s: this command reads package-lock.json, pnpm-lock.yaml, bun.lock and yarn.lock, not yet %s's (airlock install reads it)", l.name, l.kind))
}
