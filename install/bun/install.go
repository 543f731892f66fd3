package bun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/install"
	installnpm "github.com/airlock-dev/airlock/install/npm"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// Options describe one install.
type Options struct {
	// ProjectDir holds package.json and bun.lock.
	ProjectDir string
	// Selection is lock/bun's Select result.
	Selection *lockbun.Selection
	// Extract writes pkg's files into dir, which exists and is empty,
	// with ExtractOptions. It may be called concurrently; it must not
	// write outside dir.
	Extract func(ctx context.Context, pkg lock.Package, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means install/npm's
	// default.
	Concurrency int
	// LockWait and OnLockWait: see install.Options.
	LockWait   time.Duration
	OnLockWait func(holder string)
}

// Result is install/npm's count of what was laid out, and the packages
// that declare install scripts.
type Result struct {
	*installnpm.Result
	// InstallScripts lists, as name@version and sorted, the packages whose
	// package.json declares preinstall, install or postinstall scripts (or
	// that have a binding.gyp, which bun builds by default): bun.lock does
	// not say, and airlock never runs them.
	InstallScripts []string
}

// ExtractOptions are the unpack options that give bun's files: archive
// modes by npm's rule (see the package documentation) and .gitignore kept. umask is the
// process's, read once with unpack.ProcessUmask.
func ExtractOptions(umask fs.FileMode) unpack.NpmOptions {
	return unpack.NpmOptions{Umask: umask, UmaskIsProcess: true, KeepGitignore: true}
}

// Install lays out node_modules and every workspace's node_modules as bun's
// hoisted linker does (or as its isolated linker does, with
// InstallIsolated, when the selection carries an isolated store); on any error the previous trees are left as they
// were (install/npm's guarantee).
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Selection == nil || opts.Extract == nil {
		return nil, errors.New("bun install: Options.Selection and Options.Extract are required")
	}
	if iso := opts.Selection.Isolated; iso != nil {
		r, err := InstallIsolated(ctx, opts, iso)
		if err != nil {
			return nil, err
		}
		return &Result{Result: &installnpm.Result{Packages: r.Packages, Links: r.Links, Bins: r.Bins, Warnings: r.Warnings}, InstallScripts: r.InstallScripts}, nil
	}
	pkgs := slices.Clone(opts.Selection.Install)
	// directories.bin: bun links every file of the directory. The files
	// of an unpacked package are known only after Extract, and install/npm
	// links bins after every extraction has finished, reading each
	// package's Bin map then: so each such package gets a map of its own
	// here, which the extraction below fills in place.
	binDirs := map[string]map[string]string{}
	for i := range pkgs {
		dir, ok := opts.Selection.BinDirs[pkgs[i].Path]
		if !ok {
			continue
		}
		pkgs[i].Bin = map[string]string{}
		if pkgs[i].Source == lock.SourceWorkspace {
			// A workspace's directory is the project's own: listed now.
			if err := listBinDir(filepath.Join(opts.ProjectDir, filepath.FromSlash(pkgs[i].Path)), dir, pkgs[i].Bin); err != nil {
				return nil, fmt.Errorf("bun install: workspace %s: %w", pkgs[i].Path, err)
			}
			continue
		}
		binDirs[pkgs[i].Path] = pkgs[i].Bin
	}
	var mu sync.Mutex
	var scripts []string
	extract := func(ctx context.Context, pkg lock.Package, dir string) error {
		if err := opts.Extract(ctx, pkg, dir); err != nil {
			return err
		}
		if bins, ok := binDirs[pkg.Path]; ok {
			if err := listBinDir(dir, opts.Selection.BinDirs[pkg.Path], bins); err != nil {
				return fmt.Errorf("%s: %w", pkg.Path, err)
			}
		}
		if install.HasInstallScript(dir) {
			mu.Lock()
			scripts = append(scripts, pkg.Name+"@"+pkg.Version)
			mu.Unlock()
		}
		return nil
	}
	res, err := installnpm.Install(ctx, installnpm.Options{
		ProjectDir:  opts.ProjectDir,
		Packages:    pkgs,
		Extract:     extract,
		Concurrency: opts.Concurrency,
		LockWait:    opts.LockWait,
		OnLockWait:  opts.OnLockWait,
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(scripts)
	return &Result{Result: res, InstallScripts: slices.Compact(scripts)}, nil
}

// listBinDir is bun's Bin.Linker for a directories.bin: every regular
// file (or symlink, which unpack never writes) directly in pkgDir/binDir
// becomes a bin of its own name. binDir is normalized as bun does
// (path.join("/", dir)), so it cannot leave the package; a missing
// directory means no bins.
func listBinDir(pkgDir, binDir string, bins map[string]string) error {
	rel := strings.TrimPrefix(path.Join("/", strings.ReplaceAll(binDir, "\\", "/")), "/")
	if rel == "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(pkgDir, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("listing directories.bin %q: %w", binDir, err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			bins[e.Name()] = rel + "/" + e.Name()
		}
	}
	return nil
}
