package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
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
// cached archives produce, laid out by the same code as npm ci in a
// scratch directory.
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
	plan, err := loadNpmPlan(f, rep)
	if err != nil {
		return err
	}
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
