package pnpm

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/unpack"
)

const (
	// dirMode and fileMode are what Install creates directories and
	// files with; the kernel applies the umask, as it does for pnpm.
	dirMode = 0o777
	// shimMode is cmd-shim's chmod of every shim, and fix-bin's of every
	// bin target: exactly 0o755, whatever the umask.
	shimMode = 0o755
)

// Errors callers can branch on with errors.Is.
var (
	// ErrBadLocation: a package or importer location cannot be installed.
	ErrBadLocation = errors.New("location cannot be installed")
	// ErrWorkspaceMissing: an importer or link target directory does not
	// exist in the project.
	ErrWorkspaceMissing = errors.New("workspace directory missing")
)

// Hoisting is pnpm's hoisting configuration (.npmrc hoist, hoist-pattern,
// public-hoist-pattern, shamefully-hoist, or the same in
// pnpm-workspace.yaml).
type Hoisting struct {
	// Private patterns hoist into node_modules/.pnpm/node_modules; nil
	// means pnpm's default ["*"]. hoist=false is an empty, non-nil slice.
	Private []string
	// Public patterns hoist into the root node_modules; nil means the
	// default of Options.Major (pnpm 9: ["*eslint*", "*prettier*"];
	// pnpm 10: none). shamefully-hoist is ["*"].
	Public []string
}

// Options describe one install.
type Options struct {
	// ProjectDir holds pnpm-lock.yaml (the lockfile directory).
	ProjectDir string
	// Selection is lock/pnpm's Select result.
	Selection *lockpnpm.Selection
	// WorkspaceNames maps importer IDs (other than ".") to their
	// package.json names, for hoisting workspace packages as pnpm does.
	WorkspaceNames map[string]string
	Hoisting       Hoisting
	// Major is the pnpm major version the layout imitates (9 or 10; 0
	// means 10): the shims' NODE_PATH and the public hoist default differ.
	Major int
	// Extract writes pkg's files into dir, which exists and is empty. It
	// may be called concurrently; it must not write outside dir.
	Extract func(ctx context.Context, pkg lock.Package, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means a default.
	Concurrency int
	// LockWait and OnLockWait: see install.Options.
	LockWait   time.Duration
	OnLockWait func(holder string)
	// Umask is applied to file and directory modes; 0 means the
	// process's.
	Umask fs.FileMode
	// Patches are the patchedDependencies patch files' contents by hash
	// (lockpnpm.Patch.Hash), already checked against it; a package whose
	// snapshot names a hash is patched after extracting (patch.go).
	Patches map[string]string
	// ShimProjectDir is the project directory the bin shims name in
	// NODE_PATH (absolute paths, as pnpm writes them); "" means
	// ProjectDir. airlock verify lays out the tree a project should have
	// in a scratch directory, with the project's own shims.
	ShimProjectDir string
}

// Bookkeeping are the files pnpm writes for its own runs and airlock
// does not (see the package documentation), relative to the project.
var Bookkeeping = []string{
	"node_modules/.modules.yaml",
	"node_modules/.pnpm/lock.yaml",
	"node_modules/.pnpm-workspace-state-v1.json",
}

// Result counts what Install laid out.
type Result struct {
	Packages int // extracted into the virtual store
	Links    int // dependency, importer and hoisting symlinks
	Hoisted  int // of which hoisting symlinks
	Bins     int // shims written
	// InstallScripts lists, as name@version, the packages whose
	// package.json declares preinstall, install or postinstall scripts (or
	// has a binding.gyp, which npm and pnpm build by default): pnpm's
	// lockfile does not say, and airlock never runs them.
	InstallScripts []string
	// Warnings are complete messages for the user: bins pnpm would skip
	// (a missing target), problems after the swap.
	Warnings []string
	// Patched lists, as name@version, the packages patched from
	// patchedDependencies.
	Patched []string
}

// Install lays out the isolated node_modules of `pnpm install
// --frozen-lockfile --ignore-scripts`: see the package documentation.
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Extract == nil || opts.Selection == nil {
		return nil, errors.New("pnpm install: Options.Extract and Options.Selection are required")
	}
	project, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	shimDir := project
	if opts.ShimProjectDir != "" {
		shimDir = opts.ShimProjectDir
	}
	// The shims name the project as pnpm sees it: symlinks resolved.
	real, err := filepath.EvalSymlinks(shimDir)
	if err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	if err := checkSelection(opts.Selection); err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	st, err := install.Begin(ctx, project, install.Options{LockWait: opts.LockWait, OnLockWait: opts.OnLockWait})
	if err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	defer st.Abort()
	b := &builder{opts: opts, st: st, project: project, real: real, res: &Result{}}
	if b.umask = opts.Umask; b.umask == 0 {
		b.umask = unpack.ProcessUmask()
	}
	if err := b.build(ctx); err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, fmt.Errorf("pnpm install: %w", err)
	}
	b.res.Warnings = append(b.res.Warnings, warnings...)
	// fix-bin on bin targets inside the project (workspace packages),
	// only now, so a failed install leaves the project as it was.
	b.res.Warnings = append(b.res.Warnings, fixProjectBins(project, b.projectFixes)...)
	return b.res, nil
}

// checkLoc accepts clean, relative, slash-separated locations outside
// airlock's own directory.
func checkLoc(loc string) error {
	if loc == "" || strings.HasPrefix(loc, "/") || strings.ContainsAny(loc, "\\\x00") || path.Clean(loc) != loc {
		return fmt.Errorf("%w: %q is not a clean relative path", ErrBadLocation, loc)
	}
	for _, s := range strings.Split(loc, "/") {
		if s == "." || s == ".." {
			return fmt.Errorf("%w: %q leaves the project", ErrBadLocation, loc)
		}
	}
	if loc == install.StateDir || strings.HasPrefix(loc, install.StateDir+"/") {
		return fmt.Errorf("%w: %q is airlock's own directory", ErrBadLocation, loc)
	}
	return nil
}

// checkSelection re-checks what lock/pnpm promises: every package lives in
// its own directory of node_modules/.pnpm, and importers and links are
// inside the project.
func checkSelection(sel *lockpnpm.Selection) error {
	seen := map[string]bool{}
	for _, n := range sel.Nodes {
		d := n.Dir
		if err := checkLoc(d); err != nil {
			return err
		}
		rest, ok := strings.CutPrefix(d, "node_modules/.pnpm/")
		store, pkg, ok2 := strings.Cut(rest, "/node_modules/")
		if !ok || !ok2 || store == "" || strings.Contains(store, "/") || store == "node_modules" || store == "lock.yaml" || pkg != n.Entry.Name {
			return fmt.Errorf("%w: %q is not node_modules/.pnpm/<dir>/node_modules/%s", ErrBadLocation, d, n.Entry.Name)
		}
		if seen[store] {
			return fmt.Errorf("%w: two packages share node_modules/.pnpm/%s", ErrBadLocation, store)
		}
		seen[store] = true
	}
	for _, imp := range sel.Importers {
		if imp.ID != "." {
			if err := checkLoc(imp.ID); err != nil {
				return err
			}
		}
		for _, d := range allDeps(imp) {
			if d.Link != "" {
				if err := checkLoc(d.Link); err != nil {
					return fmt.Errorf("link %s of %s: %w", d.Alias, imp.ID, err)
				}
			}
		}
	}
	return nil
}

// allDeps lists an importer's direct dependencies in pnpm's order.
func allDeps(imp *lockpnpm.Importer) []lockpnpm.Dep {
	out := append([]lockpnpm.Dep(nil), imp.Dependencies...)
	out = append(out, imp.Dev...)
	return append(out, imp.Optional...)
}

// importerModules is the node_modules directory of an importer.
func importerModules(id string) string {
	if id == "." {
		return "node_modules"
	}
	return id + "/node_modules"
}

// builder assembles the staged trees.
type builder struct {
	opts          Options
	st            *install.Staging
	project, real string
	umask         fs.FileMode
	stage         *os.Root
	projRoot      *os.Root
	staged        map[string]string // target (importer node_modules) → dir in the staging root
	res           *Result
	projectFixes  []string
	// publicPatterns is the effective public-hoist-pattern: when it is
	// not empty pnpm links the root's bins from node_modules itself.
	publicPatterns []string
	// privatePatterns is the effective hoist-pattern: when it is empty
	// pnpm's shims set no NODE_PATH.
	privatePatterns []string

	mu sync.Mutex
}

func (b *builder) build(ctx context.Context) error {
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
	if err := b.linkChildren(); err != nil {
		return err
	}
	if err := b.linkImporters(); err != nil {
		return err
	}
	h := b.hoist()
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	if err := b.linkBins(h); err != nil {
		return err
	}
	return ctx.Err()
}

// stageTargets checks each importer directory and creates a staged
// node_modules for every importer (pnpm removes what it does not know in
// them, as npm ci does).
func (b *builder) stageTargets() error {
	b.staged = map[string]string{}
	for _, imp := range b.opts.Selection.Importers {
		if imp.ID != "." {
			fi, err := b.st.Lstat(imp.ID)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				return fmt.Errorf("%w: %s (an importer of pnpm-lock.yaml) is not a directory in %s; restore it or update the lockfile", ErrWorkspaceMissing, imp.ID, b.project)
			case err != nil:
				return fmt.Errorf("importer %s: %w", imp.ID, err)
			case fi.Mode()&fs.ModeSymlink != 0:
				return fmt.Errorf("%w: importer %s is a symlink in %s; airlock replaces an importer's node_modules only inside a real directory of the project: replace the symlink with the directory itself", install.ErrSymlinkInPath, imp.ID, b.project)
			case !fi.IsDir():
				return fmt.Errorf("%w: %s is not a directory", ErrWorkspaceMissing, imp.ID)
			}
		}
		t := importerModules(imp.ID)
		if imp.ID != "." && len(allDeps(imp)) == 0 {
			// pnpm creates no node_modules for an importer without
			// dependencies; one that exists is replaced (emptied).
			if _, err := b.st.Lstat(t); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		rel, err := b.st.RootDir(t)
		if err != nil {
			return err
		}
		b.staged[t] = rel
	}
	if _, ok := b.staged["node_modules"]; !ok {
		return fmt.Errorf("%w: the lockfile has no root importer \".\"", ErrBadLocation)
	}
	return nil
}

// stagedPath maps a final project location inside a staged node_modules
// to its path in the staging root; ok is false for locations elsewhere
// (workspace directories, which are not staged).
func (b *builder) stagedPath(loc string) (string, bool) {
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

// nodesInOrder lists the installed nodes sorted by directory.
func (b *builder) nodesInOrder() []*lockpnpm.Node {
	nodes := make([]*lockpnpm.Node, 0, len(b.opts.Selection.Nodes))
	for _, n := range b.opts.Selection.Nodes {
		nodes = append(nodes, n)
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Dir < nodes[j].Dir })
	return nodes
}

// extractAll runs Extract for every node into a private scratch directory,
// gives the files pnpm's modes, and moves each into its virtual-store
// directory.
func (b *builder) extractAll(ctx context.Context) error {
	nodes := b.nodesInOrder()
	dirs, err := b.st.ExtractAll(ctx, len(nodes), b.opts.Concurrency, func(ctx context.Context, i int, dir string) error {
		n := nodes[i]
		pkg := n.Entry.Package(n.Dir)
		pkg.Dev = n.Dev
		if err := b.opts.Extract(ctx, pkg, dir); err != nil {
			return fmt.Errorf("extracting %s (%s@%s): %w", n.Dir, n.Entry.Name, n.Entry.Version, err)
		}
		if install.HasInstallScript(dir) {
			b.mu.Lock()
			b.res.InstallScripts = append(b.res.InstallScripts, n.Entry.Name+"@"+n.Entry.Version)
			b.mu.Unlock()
		}
		if err := storeModes(dir, b.umask); err != nil {
			return err
		}
		if h := n.Entry.PatchHash; h != "" {
			// pnpm patches the package as imported from its store.
			text, ok := b.opts.Patches[h]
			if !ok {
				return fmt.Errorf("%s@%s: %w: no patch file given for patch_hash %s", n.Entry.Name, n.Entry.Version, ErrPatch, h)
			}
			if err := applyPatch(dir, text, b.umask); err != nil {
				return fmt.Errorf("patching %s@%s: %w", n.Entry.Name, n.Entry.Version, err)
			}
			b.mu.Lock()
			b.res.Patched = append(b.res.Patched, n.Entry.Name+"@"+n.Entry.Version)
			b.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(b.res.InstallScripts)
	sort.Strings(b.res.Patched)
	moves := make([]install.Move, len(nodes))
	for i, n := range nodes {
		// checkSelection put every node in node_modules/.pnpm, and the
		// root importer's node_modules is always staged.
		dst, _ := b.stagedPath(n.Dir)
		moves[i] = install.Move{From: dirs[i], To: dst, Loc: n.Dir}
	}
	if err := b.st.PlaceAll(moves); err != nil {
		return err
	}
	b.res.Packages += len(moves)
	return nil
}

// storeModes gives every file the mode pnpm's content-addressable store
// gives it: 0o755 if the archive had any execute bit, else 0o644 (less the
// umask), whatever else the archive said.
func storeModes(dir string, umask fs.FileMode) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o644)
		if fi.Mode()&0o111 != 0 {
			want = 0o755
		}
		want &^= umask
		if fi.Mode().Perm() != want {
			return os.Chmod(p, want)
		}
		return nil
	})
}

// symlink creates a relative symlink at the final location at, pointing
// to the final location to (symlink-dir: relative(dirname(at), to)), in
// the staging area. It reports false when something is already there.
func (b *builder) symlink(at, to string) (bool, error) {
	sp, ok := b.stagedPath(at)
	if !ok {
		return false, fmt.Errorf("%w: %s is outside every node_modules airlock replaces", ErrBadLocation, at)
	}
	if err := b.stage.MkdirAll(path.Dir(sp), dirMode); err != nil {
		return false, err
	}
	if _, err := b.stage.Lstat(sp); err == nil {
		return false, nil
	}
	if err := b.stage.Symlink(install.RelPath(path.Dir(at), to), sp); err != nil {
		return false, fmt.Errorf("linking %s: %w", at, err)
	}
	b.res.Links++
	return true, nil
}

// virtualModules is the node_modules directory of the virtual-store entry
// that holds dir: node_modules/.pnpm/<id>/node_modules.
func virtualModules(dir string) string {
	i := strings.Index(dir[len("node_modules/.pnpm/"):], "/")
	return dir[:len("node_modules/.pnpm/")+i] + "/node_modules"
}

// linkChildren links each package's dependencies beside it.
func (b *builder) linkChildren() error {
	nodes := b.opts.Selection.Nodes
	for _, n := range b.nodesInOrder() {
		mods := virtualModules(n.Dir)
		for _, c := range n.Children {
			if c.Alias == n.Entry.Name {
				// pnpm never links a dependency over the package itself.
				continue
			}
			target := c.Link
			if target != "" {
				// A peer dependency that a workspace package satisfies.
				if _, err := b.st.Lstat(target); err != nil {
					return fmt.Errorf("%w: %s links %s to %s, which is not in the project (%v)", ErrWorkspaceMissing, n.Entry.DepPath, c.Alias, target, err)
				}
			} else if child := nodes[c.DepPath]; child != nil {
				target = child.Dir
			} else {
				continue
			}
			if _, err := b.symlink(mods+"/"+c.Alias, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// depDir is where an importer's dependency lives (a virtual-store dir or
// a link target).
func (b *builder) depDir(d lockpnpm.Dep) string {
	if d.Link != "" {
		return d.Link
	}
	return b.opts.Selection.Nodes[d.DepPath].Dir
}

// linkImporters links each importer's direct dependencies into its
// node_modules.
func (b *builder) linkImporters() error {
	for _, imp := range b.opts.Selection.Importers {
		mods := importerModules(imp.ID)
		for _, d := range allDeps(imp) {
			if d.Link != "" {
				if _, err := b.st.Lstat(d.Link); err != nil {
					return fmt.Errorf("%w: %s links %s to %s, which is not in the project (%v)", ErrWorkspaceMissing, imp.ID, d.Alias, d.Link, err)
				}
			}
			if _, err := b.symlink(mods+"/"+d.Alias, b.depDir(d)); err != nil {
				return err
			}
		}
	}
	return nil
}
