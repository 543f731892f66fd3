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
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/install"
	installpnpm "github.com/airlock-dev/airlock/install/pnpm"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	vtree "github.com/airlock-dev/airlock/verify/tree"
)

// maxShownDifferences bounds the differences listed in text; --json lists
// every one.
const maxShownDifferences = 200

// verifyEvent is one line of `airlock verify --json`.
type verifyEvent struct {
	Event    string `json:"event"` // "difference" or "tree"
	Path     string `json:"path,omitempty"`
	Change   string `json:"change,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Digest   string `json:"digest,omitempty"`
	Expected string `json:"expected,omitempty"`
	Entries  int    `json:"entries,omitempty"`
	Diffs    int    `json:"differences"`
}

// verifyCmd is `airlock verify`: hash the installed node_modules into the
// tree digest (verify/tree) and compare it with the tree the lockfile's
// cached archives produce, laid out by the same code as npm ci (or pnpm
// install, for pnpm-lock.yaml) in a scratch directory.
func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f npmCIFlags
	fs := newFlagSet("verify", "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json, the lockfile and node_modules)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.Var(&f.omit, "omit", "dependency `type` the install left out: dev, optional or peer (repeatable), as given to npm ci")
	fs.Var(&f.include, "include", "dependency `type` the install included (repeatable), as given to npm ci")
	fs.BoolVar(&f.production, "production", false, "same as --omit=dev")
	fs.StringVar(&f.os, "os", "", "the `os` the install matched optional dependencies against, as given to npm ci")
	fs.StringVar(&f.cpu, "cpu", "", "the `cpu` given to npm ci")
	fs.StringVar(&f.libc, "libc", "", "the `libc` given to npm ci")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
	var pf pipFlags
	pf.register(fs, false)
	fs.StringVar(&pf.target, "target", "", "Python: the `DIR` pip install --target installed into, instead of an environment")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock verify: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	f.offline = true
	rep := newReporter(stdout, stderr, f.jsonOut, true)
	var err error
	if pf.requirements != "" || pf.lockFile != "" {
		pf.configFile, pf.jsonOut = f.configFile, f.jsonOut
		err = runVerifyPip(ctx, &pf, stdout, rep)
	} else {
		err = runVerify(ctx, &f, stdout, rep)
	}
	code := exitCode(ctx, err)
	if err != nil {
		rep.fail(err, code)
	}
	rep.audit.flush()
	return code
}

// errTreeDiffers is returned once the differences have been printed.
var errTreeDiffers = errors.New("the installed tree differs")

func runVerify(ctx context.Context, f *npmCIFlags, stdout io.Writer, rep *reporter) error {
	jp, err := loadJSPlan(ctx, f, rep)
	if err != nil {
		return err
	}
	switch {
	case jp.pnpm != nil:
		return runVerifyPnpm(ctx, jp.pnpm, f.jsonOut, stdout, rep)
	case jp.bun != nil:
		return runVerifyBun(ctx, jp.bun, f.jsonOut, stdout, rep)
	case jp.berry != nil:
		return runVerifyBerry(ctx, jp.berry, f.jsonOut, stdout, rep)
	case jp.classic != nil:
		return runVerifyYarnClassic(ctx, jp.classic, f.jsonOut, stdout, rep)
	}
	if jp.npm == nil {
		return errNotForCommand(jp.lock)
	}
	plan := jp.npm
	roots := npmTreeRoots(plan.sel.Install)
	workers := plan.cfg.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	got, err := vtree.Scan(plan.projectDir, roots, workers)
	if err != nil {
		return withCode(exitVerify, err)
	}
	want, err := expectedNpmTree(ctx, plan, roots, workers, rep)
	if err != nil {
		rep.audit.add(auditEvent("verify", "failed", err.Error()))
		return err
	}
	return reportTree(stdout, f.jsonOut, rep, vtree.Compare(want, got), got, want, "node_modules")
}

// npmTreeRoots are the directories an npm install owns: node_modules and
// each workspace's node_modules.
func npmTreeRoots(pkgs []lock.Package) []string {
	roots := []string{"node_modules"}
	for _, p := range pkgs {
		if p.Source == lock.SourceWorkspace {
			roots = append(roots, p.Path+"/node_modules")
		}
	}
	sort.Strings(roots[1:])
	return roots
}

// expectedNpmTree lays out the plan in a scratch directory from the cache
// alone and scans it. The project's workspace and link target directories
// are recreated there with only their bin targets, which is all an install
// reads from them.
func expectedNpmTree(ctx context.Context, plan *npmPlan, roots []string, workers int, rep *reporter) (*vtree.Manifest, error) {
	scratch, err := os.MkdirTemp("", "airlock-verify-")
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("making a scratch directory for the expected tree: %w", err))
	}
	defer os.RemoveAll(scratch)
	if err := copyLocalPackages(plan.projectDir, scratch, plan.sel.Install); err != nil {
		return nil, withCode(exitUsage, err)
	}
	fetcher, err := newFetcher(plan.cfg, plan.rc, true, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return nil, err
	}
	// The scratch install reports nothing: its warnings are the real
	// install's, already shown then.
	quiet := newReporter(io.Discard, io.Discard, false, true)
	var stats installStats
	if _, err := plan.install(ctx, scratch, fetcher, &stats, quiet); err != nil {
		var nc *fetch.NotCachedError
		if errors.As(err, &nc) {
			return nil, withCode(exitUsage, fmt.Errorf("%s (%s) is not in the cache, and airlock verify builds the expected tree from the cache only: run `airlock fetch` (or `airlock npm ci`) online first", nc.Package, nc.Want))
		}
		return nil, classifyInstallError(fmt.Errorf("laying out the expected tree: %w", err))
	}
	return vtree.Scan(scratch, roots, workers)
}

// copyLocalPackages makes each workspace and link target directory in
// scratch, with an empty file for each bin target present in the project
// (so the same .bin links are made); the project is looked at through an
// os.Root, so a symlink cannot lead the check outside it.
func copyLocalPackages(project, scratch string, pkgs []lock.Package) error {
	root, err := os.OpenRoot(project)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, p := range pkgs {
		dir := ""
		switch p.Source {
		case lock.SourceWorkspace:
			dir = p.Path
		case lock.SourceLink:
			dir = path.Clean(p.Resolved)
		default:
			continue
		}
		if dir == "." || strings.HasPrefix(dir, "../") || path.IsAbs(dir) || dir == install.StateDir {
			continue // Install refuses these itself, with a better message
		}
		if err := os.MkdirAll(filepath.Join(scratch, filepath.FromSlash(dir)), 0o777); err != nil {
			return err
		}
		for _, target := range p.Bin {
			rel := path.Join(dir, target)
			if !strings.HasPrefix(rel, dir+"/") {
				continue
			}
			// Only whether the target exists matters: the .bin entry is
			// a symlink, whose digest is its target string.
			if _, err := root.Stat(rel); err != nil {
				continue // a missing bin target is skipped by the install too
			}
			dst := filepath.Join(scratch, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
				return err
			}
			if err := os.WriteFile(dst, nil, 0o666); err != nil {
				return err
			}
		}
	}
	return nil
}

// runVerifyPnpm is airlock verify for a pnpm project: the expected tree is
// laid out by airlock pnpm install's own code in a scratch directory, with
// shims that name the project, and compared with every importer's
// node_modules. pnpm's own state files (installpnpm.Bookkeeping), which
// airlock does not write, are left out when pnpm made the tree.
func runVerifyPnpm(ctx context.Context, plan *pnpmPlan, jsonOut bool, stdout io.Writer, rep *reporter) error {
	roots := []string{"node_modules"}
	for _, imp := range plan.sel.Importers {
		if imp.ID != "." {
			roots = append(roots, imp.ID+"/node_modules")
		}
	}
	sort.Strings(roots[1:])
	workers := plan.cfg.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	got, err := vtree.Scan(plan.projectDir, roots, workers)
	if err != nil {
		return withCode(exitVerify, err)
	}
	got.Entries = slices.DeleteFunc(got.Entries, func(e vtree.Entry) bool { return slices.Contains(installpnpm.Bookkeeping, e.Path) })
	scratch, err := os.MkdirTemp("", "airlock-verify-")
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("making a scratch directory for the expected tree: %w", err))
	}
	defer os.RemoveAll(scratch)
	if err := copyPnpmImporters(plan.projectDir, scratch, plan.sel); err != nil {
		return withCode(exitUsage, err)
	}
	fetcher, err := newFetcher(plan.cfg, plan.rc, true, func(msg string) { rep.warn(event{Message: msg}) })
	if err != nil {
		return err
	}
	quiet := newReporter(io.Discard, io.Discard, false, true)
	var stats installStats
	if _, err := plan.install(ctx, scratch, plan.projectDir, fetcher, &stats, quiet); err != nil {
		rep.audit.add(auditEvent("verify", "failed", err.Error()))
		var nc *fetch.NotCachedError
		if errors.As(err, &nc) {
			return withCode(exitUsage, fmt.Errorf("%s (%s) is not in the cache, and airlock verify builds the expected tree from the cache only: run `airlock fetch` (or `airlock pnpm install`) online first", nc.Package, nc.Want))
		}
		return classifyInstallError(fmt.Errorf("laying out the expected tree: %w", err))
	}
	want, err := vtree.Scan(scratch, roots, workers)
	if err != nil {
		return withCode(exitUsage, err)
	}
	return reportTree(stdout, jsonOut, rep, vtree.Compare(want, got), got, want, "node_modules")
}

// maxCopiedBin caps one workspace bin target copied into the scratch
// project (a script; its "#!" line decides the shim pnpm writes).
const maxCopiedBin = 16 << 20

// copyPnpmImporters recreates in scratch what a pnpm install reads of the
// project's own directories: every importer's and link target's
// package.json and the bin targets it names (copyProjectDirs).
func copyPnpmImporters(project, scratch string, sel *lockpnpm.Selection) error {
	dirs := map[string]bool{".": true}
	for _, imp := range sel.Importers {
		dirs[imp.ID] = true
		for _, ds := range [][]lockpnpm.Dep{imp.Dependencies, imp.Dev, imp.Optional} {
			for _, d := range ds {
				if d.Link != "" {
					dirs[d.Link] = true
				}
			}
		}
	}
	for _, n := range sel.Nodes {
		for _, c := range n.Children {
			if c.Link != "" {
				dirs[c.Link] = true
			}
		}
	}
	return copyProjectDirs(project, scratch, dirs)
}

// copyProjectDirs recreates in scratch what an install reads of the
// project's own directories dirs (project-relative: the root, workspaces,
// link targets): each one's package.json and the bin targets it names
// (whose "#!" lines decide pnpm's shims; bun and yarn fix or chmod them).
// The project is read through an os.Root, so a symlink cannot lead the
// copy outside it.
func copyProjectDirs(project, scratch string, dirs map[string]bool) error {
	root, err := os.OpenRoot(project)
	if err != nil {
		return err
	}
	defer root.Close()
	copyFile := func(rel string) error {
		f, err := root.Open(rel)
		if err != nil {
			return nil // absent: the install says so itself
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return nil
		}
		if st.Size() > maxCopiedBin {
			return fmt.Errorf("%s is over %d bytes; airlock verify copies workspace bin targets and package.json files only up to that size", rel, maxCopiedBin)
		}
		dst := filepath.Join(scratch, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, io.LimitReader(f, maxCopiedBin)); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	for dir := range dirs {
		if err := os.MkdirAll(filepath.Join(scratch, filepath.FromSlash(dir)), 0o777); err != nil {
			return err
		}
		manifest := path.Join(dir, "package.json")
		if err := copyFile(manifest); err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join(scratch, filepath.FromSlash(manifest)))
		if err != nil {
			continue
		}
		var m struct {
			Bin         json.RawMessage `json:"bin"`
			Directories struct {
				Bin string `json:"bin"`
			} `json:"directories"`
		}
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		// Targets as project-relative paths, kept only inside the
		// package, as the install keeps them.
		inside := func(rel string) bool {
			if dir == "." {
				return rel != "." && rel != ".." && !strings.HasPrefix(rel, "../")
			}
			return strings.HasPrefix(rel, dir+"/")
		}
		var targets []string
		var one string
		var many map[string]string
		switch {
		case json.Unmarshal(m.Bin, &one) == nil && one != "":
			targets = append(targets, path.Join(dir, one))
		case json.Unmarshal(m.Bin, &many) == nil && len(many) > 0:
			for _, t := range many {
				targets = append(targets, path.Join(dir, t))
			}
		case m.Directories.Bin != "":
			binDir := path.Join(dir, m.Directories.Bin)
			if !inside(binDir) {
				continue
			}
			n := 0
			_ = fs.WalkDir(root.FS(), binDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return nil
				}
				if n++; n > 10000 {
					return fs.SkipAll
				}
				targets = append(targets, p)
				return nil
			})
		}
		for _, rel := range targets {
			if !inside(rel) {
				continue // leaves the package: the install skips it too
			}
			if err := copyFile(rel); err != nil {
				return err
			}
		}
	}
	return nil
}
