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

	"github.com/airlock-dev/airlock/install"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// IsolatedResult counts what InstallIsolated laid out.
type IsolatedResult struct {
	Packages int // store entries extracted
	Links    int // dependency and hoisting symlinks
	Bins     int // bin symlinks
	// InstallScripts: see Result.
	InstallScripts []string
	Warnings       []string
}

// ErrBadStore: a store entry or link location lock/bun should not have
// produced (outside the project's node_modules trees).
var ErrBadStore = errors.New("store location cannot be installed")

// InstallIsolated lays out the tree of `bun install --linker=isolated`:
// see the package documentation. On any error the previous trees are left
// as they were.
func InstallIsolated(ctx context.Context, opts Options, store *lockbun.Isolated) (*IsolatedResult, error) {
	if store == nil || opts.Extract == nil || len(store.Entries) == 0 || store.Entries[0].Kind != lockbun.StoreRoot {
		return nil, errors.New("bun install: a store from SelectIsolated and Options.Extract are required")
	}
	project, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, fmt.Errorf("bun install: %w", err)
	}
	st, err := install.Begin(ctx, project, install.Options{LockWait: opts.LockWait, OnLockWait: opts.OnLockWait})
	if err != nil {
		return nil, fmt.Errorf("bun install: %w", err)
	}
	defer st.Abort()
	b := &isoBuilder{opts: opts, store: store, st: st, project: project, res: &IsolatedResult{}, umask: unpack.ProcessUmask()}
	if err := b.build(ctx); err != nil {
		return nil, fmt.Errorf("bun install: %w", err)
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, fmt.Errorf("bun install: %w", err)
	}
	b.res.Warnings = append(b.res.Warnings, warnings...)
	b.res.Warnings = append(b.res.Warnings, b.fixProjectBins()...)
	return b.res, nil
}

type isoBuilder struct {
	opts     Options
	store    *lockbun.Isolated
	st       *install.Staging
	project  string
	umask    fs.FileMode
	stage    *os.Root
	projRoot *os.Root
	staged   map[string]string // node_modules target → its dir in the staging root
	// owners are the entries that lay out a node_modules: the root, the
	// first entry of each workspace, every registry package.
	owners       []*lockbun.StoreEntry
	bins         map[*lockbun.StoreEntry]map[string]string
	projectFixes []string
	res          *IsolatedResult
	mu           sync.Mutex
}

func (b *isoBuilder) build(ctx context.Context) error {
	var err error
	if b.stage, err = os.OpenRoot(b.st.Root()); err != nil {
		return err
	}
	defer b.stage.Close()
	if b.projRoot, err = os.OpenRoot(b.project); err != nil {
		return err
	}
	defer b.projRoot.Close()
	if err := b.stageTargets(); err != nil {
		return err
	}
	if err := b.extractAll(ctx); err != nil {
		return err
	}
	for _, l := range b.store.Links() {
		if err := b.symlink(l.At, l.To); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return b.linkBins()
}

// targetDir is where a dependency link points: the package directory, a
// workspace directory, or the project itself.
func targetDir(e *lockbun.StoreEntry) string {
	if e.Kind == lockbun.StoreRoot {
		return "."
	}
	return e.Dir
}

// stageTargets creates a staged node_modules for the root and for each
// workspace that has dependencies (bun creates none for the others; one
// that exists is emptied, as npm ci would).
func (b *isoBuilder) stageTargets() error {
	b.staged = map[string]string{}
	for _, e := range b.store.Owners() {
		if e.Kind == lockbun.StorePackage {
			rest, ok := strings.CutPrefix(e.Dir, "node_modules/.bun/")
			name, pkg, ok2 := strings.Cut(rest, "/node_modules/")
			if !ok || !ok2 || name != e.StoreName || pkg != e.Package.Name || name == "" || strings.Contains(name, "/") || name == "node_modules" || path.Clean(e.Dir) != e.Dir {
				return fmt.Errorf("%w: %q is not node_modules/.bun/<entry>/node_modules/%s", ErrBadStore, e.Dir, e.Package.Name)
			}
		}
		b.owners = append(b.owners, e)
		if e.Kind != lockbun.StoreWorkspace && e.Kind != lockbun.StoreRoot {
			continue
		}
		t := e.Modules
		if e.Kind == lockbun.StoreWorkspace {
			fi, err := b.st.Lstat(e.Dir)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("workspace %s is not a directory in %s; restore it or update bun.lock", e.Dir, b.project)
			case err != nil:
				return fmt.Errorf("workspace %s: %w", e.Dir, err)
			case fi.Mode()&fs.ModeSymlink != 0:
				return fmt.Errorf("%w: workspace %s is a symlink in %s; airlock replaces a workspace's node_modules only inside a real directory of the project: replace the symlink with the directory itself", install.ErrSymlinkInPath, e.Dir, b.project)
			case !fi.IsDir():
				return fmt.Errorf("workspace %s is not a directory", e.Dir)
			}
			if len(e.Deps) == 0 {
				if _, err := b.st.Lstat(t); errors.Is(err, fs.ErrNotExist) {
					continue
				}
			}
		}
		rel, err := b.st.RootDir(t)
		if err != nil {
			return err
		}
		b.staged[t] = rel
	}
	return nil
}

// stagedPath maps a final location inside a staged node_modules to its
// path in the staging root.
func (b *isoBuilder) stagedPath(loc string) (string, bool) {
	best := ""
	for t := range b.staged {
		if (loc == t || strings.HasPrefix(loc, t+"/")) && len(t) > len(best) {
			best = t
		}
	}
	if best == "" {
		return "", false
	}
	return path.Join(b.staged[best], strings.TrimPrefix(loc, best)), true
}

// rootFor is the root holding loc now (staging or project) and loc's path
// in it.
func (b *isoBuilder) rootFor(loc string) (*os.Root, string) {
	if sp, ok := b.stagedPath(loc); ok {
		return b.stage, sp
	}
	return b.projRoot, loc
}

// extractAll extracts every registry package into a scratch directory of
// its own, then moves each into its store directory.
func (b *isoBuilder) extractAll(ctx context.Context) error {
	var pkgs []*lockbun.StoreEntry
	for _, e := range b.store.Entries {
		if e.Kind == lockbun.StorePackage {
			pkgs = append(pkgs, e)
		}
	}
	var scripts []string
	dirs, err := b.st.ExtractAll(ctx, len(pkgs), b.opts.Concurrency, func(ctx context.Context, i int, dir string) error {
		e := pkgs[i]
		if err := b.opts.Extract(ctx, e.Package, dir); err != nil {
			return fmt.Errorf("extracting %s (%s@%s): %w", e.Dir, e.Package.Name, e.Package.Version, err)
		}
		if install.HasInstallScript(dir) {
			b.mu.Lock()
			scripts = append(scripts, e.Package.Name+"@"+e.Package.Version)
			b.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(scripts)
	b.res.InstallScripts = slices.Compact(scripts)
	moves := make([]install.Move, len(pkgs))
	for i, e := range pkgs {
		dst, ok := b.stagedPath(e.Dir)
		if !ok {
			return fmt.Errorf("%w: %s", ErrBadStore, e.Dir)
		}
		moves[i] = install.Move{From: dirs[i], To: dst, Loc: e.Dir}
	}
	if err := b.st.PlaceAll(moves); err != nil {
		return err
	}
	b.res.Packages += len(moves)
	return nil
}

// symlink makes a relative symlink at the final location at, pointing to
// the final location to, in the staging area; an existing one is kept.
func (b *isoBuilder) symlink(at, to string) error {
	sp, ok := b.stagedPath(at)
	if !ok {
		return fmt.Errorf("%w: %s is outside every node_modules airlock replaces", ErrBadStore, at)
	}
	if err := b.stage.MkdirAll(path.Dir(sp), 0o777); err != nil {
		return err
	}
	if _, err := b.stage.Lstat(sp); err == nil {
		return nil
	}
	rel, err := filepath.Rel(path.Dir(at), to)
	if err != nil {
		return err
	}
	if err := b.stage.Symlink(filepath.ToSlash(rel), sp); err != nil {
		return fmt.Errorf("linking %s: %w", at, err)
	}
	b.res.Links++
	return nil
}

// binsOf is an entry's bins (name → path in the package), directories.bin
// listed from its files.
func (b *isoBuilder) binsOf(e *lockbun.StoreEntry) map[string]string {
	if m, ok := b.bins[e]; ok {
		return m
	}
	if b.bins == nil {
		b.bins = map[*lockbun.StoreEntry]map[string]string{}
	}
	m := e.Package.Bin
	if e.BinDir != "" && len(m) == 0 {
		m = map[string]string{}
		r, rel := b.rootFor(e.Dir)
		dir := strings.TrimPrefix(path.Join("/", strings.ReplaceAll(e.BinDir, "\\", "/")), "/")
		if dir != "" {
			if ents, err := fs.ReadDir(r.FS(), path.Join(rel, dir)); err == nil {
				for _, d := range ents {
					if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
						m[d.Name()] = dir + "/" + d.Name()
					}
				}
			}
		}
	}
	b.bins[e] = m
	return m
}

// linkBins is bun's linkDependencyBins for every node_modules (the bins of
// its dependencies, the first of a name winning, by dependency name) and,
// for each registry package, its own bins in its own store node_modules.
func (b *isoBuilder) linkBins() error {
	for _, e := range b.owners {
		if e.Kind == lockbun.StoreWorkspace {
			if _, ok := b.staged[e.Modules]; !ok {
				continue
			}
		}
		seen := map[string]bool{}
		for _, d := range e.Deps {
			if err := b.linkPackageBins(e.Modules, d.Alias, d.Target, seen, false); err != nil {
				return err
			}
		}
		if e.Kind == lockbun.StorePackage {
			if err := b.linkPackageBins(e.Modules, e.Package.Name, e, map[string]bool{}, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkPackageBins links the bins of package p, reached as alias from the
// node_modules modules, into modules/.bin.
func (b *isoBuilder) linkPackageBins(modules, alias string, p *lockbun.StoreEntry, seen map[string]bool, replace bool) error {
	bins := b.binsOf(p)
	if len(bins) == 0 {
		return nil
	}
	names := make([]string, 0, len(bins))
	for n := range bins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		link := path.Base(strings.ReplaceAll(name, "\\", "/"))
		if link == "" || link == "." || link == ".." || link == "/" {
			continue
		}
		rel := path.Clean(strings.ReplaceAll(bins[name], "\\", "/"))
		if rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, "/") {
			continue
		}
		if seen[link] {
			continue
		}
		// The link goes through the dependency's symlink, or straight into
		// the platform package for a native bin link (falling back when
		// that file is missing, as bun does).
		via, real := modules+"/"+alias+"/"+rel, targetDir(p)+"/"+rel
		if nb := p.NativeBin; nb != nil {
			if r, l := b.rootFor(nb.Dir + "/" + rel); exists(r, l) {
				via, real = nb.Dir+"/"+rel, nb.Dir+"/"+rel
			}
		}
		r, l := b.rootFor(real)
		if !exists(r, l) {
			continue
		}
		seen[link] = true
		at := modules + "/.bin/" + link
		sp, ok := b.stagedPath(at)
		if !ok {
			return fmt.Errorf("%w: %s", ErrBadStore, at)
		}
		if err := b.stage.MkdirAll(path.Dir(sp), 0o777); err != nil {
			return err
		}
		if _, err := b.stage.Lstat(sp); err == nil {
			if !replace {
				continue
			}
			if err := b.stage.Remove(sp); err != nil {
				return err
			}
		}
		target, err := filepath.Rel(modules+"/.bin", via)
		if err != nil {
			return err
		}
		if err := b.stage.Symlink(filepath.ToSlash(target), sp); err != nil {
			return fmt.Errorf("linking bin %s: %w", at, err)
		}
		b.res.Bins++
		if r == b.projRoot {
			b.projectFixes = append(b.projectFixes, l)
			continue
		}
		if err := install.FixBin(r, l, 0o777&^b.umask, nil); err != nil {
			return fmt.Errorf("making bin %s executable: %w", real, err)
		}
	}
	return nil
}

func exists(r *os.Root, rel string) bool {
	fi, err := r.Stat(rel)
	return err == nil && !fi.IsDir()
}

// fixProjectBins makes bin targets in the project (workspace packages')
// executable after the swap, so a failed install changes nothing.
func (b *isoBuilder) fixProjectBins() []string {
	if len(b.projectFixes) == 0 {
		return nil
	}
	r, err := os.OpenRoot(b.project)
	if err != nil {
		return []string{fmt.Sprintf("bun install: installed, but workspace bin targets were not made executable: %v", err)}
	}
	defer r.Close()
	var warnings []string
	done := map[string]bool{}
	for _, rel := range b.projectFixes {
		if done[rel] {
			continue
		}
		done[rel] = true
		if err := install.FixBin(r, rel, 0o777&^b.umask, nil); err != nil {
			warnings = append(warnings, fmt.Sprintf("bun install: installed, but making the bin target %s executable failed (bun would have): %v", rel, err))
		}
	}
	return warnings
}
