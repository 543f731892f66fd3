package yarnberry

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
	"github.com/airlock-dev/airlock/lock/yarnberry"
	"github.com/airlock-dev/airlock/unpack"
)

// Bookkeeping are the files yarn writes into node_modules for its own
// later runs that airlock does not write (see the package
// documentation), relative to the project.
var Bookkeeping = []string{
	"node_modules/.package-map.json",
}

// Options describe one install.
type Options struct {
	// ProjectDir holds yarn.lock.
	ProjectDir string
	// Graph is the lockfile resolved for this platform.
	Graph *yarnberry.Graph
	// Extract writes the package's files into dir (which exists and is
	// empty), as WriteArchive does from its verified cache zip. It is
	// called once per package, concurrently.
	Extract func(ctx context.Context, e *yarnberry.Entry, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means a default.
	Concurrency int
	// LockWait and OnLockWait: see install.Options.
	LockWait   time.Duration
	OnLockWait func(holder string)
}

// Result counts what Install laid out.
type Result struct {
	Packages int // package copies placed
	Links    int // workspace symlinks
	Bins     int // .bin links
	// InstallScripts lists, as name@version, the packages that declare
	// preinstall, install or postinstall scripts (or have a binding.gyp):
	// yarn would build them unless enableScripts is false; airlock never
	// runs them.
	InstallScripts []string
	Warnings       []string
}

// Install lays out node_modules as yarn 4 does with nodeLinker:
// node-modules: see the package documentation.
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Extract == nil || opts.Graph == nil {
		return nil, errors.New("yarn install: Options.Extract and Options.Graph are required")
	}
	project, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	for _, ws := range opts.Graph.Workspaces {
		p := ws.Entry.WorkspacePath()
		fi, err := os.Stat(filepath.Join(project, filepath.FromSlash(p)))
		if err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("yarn install: %w: workspace %s is at %s in yarn.lock, which is not a directory of the project; run `yarn install` to update the lockfile", ErrWorkspaceMissing, ws.Locator.Name, p)
		}
	}
	lay, computeBins, err := buildLayout(opts.Graph)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	st, err := install.Begin(ctx, project, install.Options{LockWait: opts.LockWait, OnLockWait: opts.OnLockWait})
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	defer st.Abort()
	b := &builder{opts: opts, st: st, project: project, lay: lay, res: &Result{}, umask: unpack.ProcessUmask()}
	if err := b.build(ctx, computeBins); err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	warnings, err := st.Commit()
	b.res.Warnings = append(b.res.Warnings, warnings...)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	return b.res, nil
}

type builder struct {
	opts    Options
	st      *install.Staging
	project string
	lay     *Layout
	res     *Result
	umask   fs.FileMode
	stage   *os.Root
	staged  map[string]string // workspace dir ("." or "packages/a") → its node_modules in the stage
	mu      sync.Mutex
}

// modulesOwner is the workspace directory whose node_modules holds a
// project-relative location: the part before the first node_modules.
func modulesOwner(loc string) (owner, rest string, ok bool) {
	if loc == "node_modules" || strings.HasPrefix(loc, "node_modules/") {
		return ".", strings.TrimPrefix(strings.TrimPrefix(loc, "node_modules"), "/"), true
	}
	i := strings.Index(loc, "/node_modules")
	if i < 0 {
		return "", "", false
	}
	after := loc[i+len("/node_modules"):]
	if after != "" && after[0] != '/' {
		return "", "", false
	}
	return loc[:i], strings.TrimPrefix(after, "/"), true
}

// stagedPath maps a project-relative location under some workspace's
// node_modules to its path relative to the staging root.
func (b *builder) stagedPath(loc string) (string, error) {
	owner, rest, ok := modulesOwner(loc)
	if !ok {
		return "", fmt.Errorf("%w: %s is outside every node_modules", ErrBadPackage, loc)
	}
	base, err := b.stageFor(owner)
	if err != nil {
		return "", err
	}
	if rest == "" {
		return base, nil
	}
	return path.Join(base, rest), nil
}

func (b *builder) stageFor(owner string) (string, error) {
	if d, ok := b.staged[owner]; ok {
		return d, nil
	}
	rel, err := b.st.RootDir(path.Join(owner, "node_modules"))
	if err != nil {
		return "", err
	}
	b.staged[owner] = rel
	return b.staged[owner], nil
}

func (b *builder) build(ctx context.Context, computeBins func(func(location, rel string) bool)) error {
	var err error
	if b.stage, err = os.OpenRoot(b.st.Root()); err != nil {
		return err
	}
	defer b.stage.Close()
	b.staged = map[string]string{}
	// The root's node_modules is always replaced, as yarn always writes it.
	if _, err := b.stageFor("."); err != nil {
		return err
	}
	if err := b.extractAll(ctx); err != nil {
		return err
	}
	for _, p := range b.lay.Placements {
		if !p.Soft {
			continue
		}
		sp, err := b.stagedPath(p.Location)
		if err != nil {
			return err
		}
		if err := b.stage.MkdirAll(path.Dir(sp), 0o777); err != nil {
			return err
		}
		if err := b.stage.Symlink(relPath(path.Dir(p.Location), p.Target), sp); err != nil {
			return fmt.Errorf("linking %s: %w", p.Location, err)
		}
		b.res.Links++
	}
	computeBins(func(location, rel string) bool {
		if location == "." || b.isWorkspace(location) {
			return hasFile(filepath.Join(b.project, filepath.FromSlash(location)), rel)
		}
		sp, err := b.stagedPath(location)
		if err != nil {
			return false
		}
		return hasFile(filepath.Join(b.st.Root(), filepath.FromSlash(sp)), rel)
	})
	if err := b.linkBins(); err != nil {
		return err
	}
	return b.writeState()
}

// writeState writes node_modules/.yarn-state.yml, last, as yarn does.
func (b *builder) writeState() error {
	sp, err := b.stagedPath(stateFile)
	if err != nil {
		return err
	}
	f, err := b.stage.OpenFile(sp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	_, werr := f.Write(b.lay.yarnState())
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

func (b *builder) isWorkspace(dir string) bool {
	for _, ws := range b.opts.Graph.Workspaces {
		if ws.Entry.WorkspacePath() == dir {
			return true
		}
	}
	return false
}

// extractAll extracts every copied package into a scratch directory, then
// moves each into place, outer directories before the ones nested in them.
func (b *builder) extractAll(ctx context.Context) error {
	var hard []Placement
	for _, p := range b.lay.Placements {
		if !p.Soft {
			hard = append(hard, p)
		}
	}
	dirs, err := b.st.ExtractAll(ctx, len(hard), b.opts.Concurrency, func(ctx context.Context, i int, dir string) error {
		p := hard[i]
		e := b.opts.Graph.Source(p.Instance.Entry)
		if err := b.opts.Extract(ctx, e, dir); err != nil {
			return fmt.Errorf("extracting %s (%s): %w", p.Location, e.Locator, err)
		}
		if install.HasInstallScript(dir) {
			b.mu.Lock()
			b.res.InstallScripts = append(b.res.InstallScripts, e.Locator.Name+"@"+e.Version)
			b.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(b.res.InstallScripts)
	b.res.InstallScripts = slices.Compact(b.res.InstallScripts)
	order := make([]int, len(hard))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return strings.Count(hard[order[i]].Location, "/") < strings.Count(hard[order[j]].Location, "/")
	})
	moves := make([]install.Move, 0, len(hard))
	for _, i := range order {
		p := hard[i]
		dst, err := b.stagedPath(p.Location)
		if err != nil {
			return err
		}
		moves = append(moves, install.Move{From: dirs[i], To: dst, Loc: p.Location})
	}
	if err := b.st.PlaceAll(moves); err != nil {
		return err
	}
	b.res.Packages += len(moves)
	return nil
}

// linkBins creates each directory's node_modules/.bin links and makes
// their targets executable, as yarn does (0o755, whatever the umask).
func (b *builder) linkBins() error {
	for _, at := range b.lay.BinOrder {
		links := b.lay.Bins[at]
		binDir := path.Join(at, "node_modules", ".bin")
		names := make([]string, 0, len(links))
		for n := range links {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			target := links[name]
			if !validBinName(name) {
				b.res.Warnings = append(b.res.Warnings, fmt.Sprintf("skipped bin %q of %s: not a file name", name, target))
				continue
			}
			sp, err := b.stagedPath(path.Join(binDir, name))
			if err != nil {
				return err
			}
			if err := b.stage.MkdirAll(path.Dir(sp), 0o777); err != nil {
				return err
			}
			if err := b.stage.Symlink(relPath(binDir, target), sp); err != nil {
				return fmt.Errorf("linking bin %s: %w", path.Join(binDir, name), err)
			}
			b.res.Bins++
			if err := b.chmodTarget(target); err != nil {
				return err
			}
		}
	}
	return nil
}

// chmodTarget makes a bin target 0o755: in the stage when it is inside a
// staged node_modules, in the project otherwise (a workspace's own file,
// which yarn chmods too).
func (b *builder) chmodTarget(target string) error {
	// A target under a workspace symlink is the workspace's own file.
	for _, p := range b.lay.Placements {
		if p.Soft && strings.HasPrefix(target, p.Location+"/") {
			target = path.Join(p.Target, strings.TrimPrefix(target, p.Location+"/"))
			break
		}
	}
	if _, _, ok := modulesOwner(target); ok {
		sp, err := b.stagedPath(target)
		if err != nil {
			return err
		}
		if err := b.stage.Chmod(sp, 0o755); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("making bin %s executable: %w", target, err)
		}
		return nil
	}
	root, err := os.OpenRoot(b.project)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.Chmod(filepath.FromSlash(target), 0o755); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("making bin %s executable: %w", target, err)
	}
	return nil
}

func validBinName(n string) bool {
	return n != "" && n != "." && n != ".." && !strings.ContainsAny(n, "/\\\x00")
}

// relPath is the relative path from directory from to to (both
// project-relative, slash-separated).
func relPath(from, to string) string {
	r, err := filepath.Rel(filepath.FromSlash(from), filepath.FromSlash(to))
	if err != nil {
		return to
	}
	return filepath.ToSlash(r)
}
