package npm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
)

const (
	// hiddenLockfileName is npm's hidden lockfile inside node_modules.
	hiddenLockfileName = ".package-lock.json"
	// dirMode is the mode of directories Install creates; the kernel
	// applies the umask, as it does for npm's mkdir.
	dirMode = 0o777
	// fileMode is the mode of files Install writes (the hidden lockfile);
	// the kernel applies the umask.
	fileMode = 0o666
	// maxLinkHops bounds following links to links when locating a bin.
	maxLinkHops = 40
)

// defaultConcurrency is the number of concurrent Extract calls when
// Options.Concurrency is 0: at least 16, because an extraction that
// downloads spends most of its time waiting for the network (one HTTP/2
// connection carries all the downloads, so more streams cost no more
// handshakes). On 2 cores, a cold install of 1,500 packages took 12% less
// time with 16 than with 4, a warm one the same (docs/benchmarks.md).
// Extractions from the cache are CPU-bound: beyond the cores, more of them
// only share the CPUs.
func defaultConcurrency() int { return max(16, 2*runtime.GOMAXPROCS(0)) }

// Options describe one install. Packages and RawEntries come from the
// lockfile parser; Extract from the fetch/unpack pipeline.
type Options struct {
	// ProjectDir holds package.json and the lockfile.
	ProjectDir string
	// Packages is everything to install, already filtered (omit, os/cpu),
	// keyed by lockfile location. SourceRegistry, SourceGit, SourceRemote
	// and SourceFile packages are extracted with Extract; SourceBundled ones
	// must arrive inside their parent's archive; SourceLink becomes a
	// symlink to Resolved (a location inside the project: absolute paths
	// and ".." are refused); SourceWorkspace must be a real directory in
	// the project, reached without a symlink (a symlink is refused with
	// install.ErrSymlinkInPath), and its node_modules is replaced like the
	// root's.
	Packages []lock.Package
	// RawEntries are the lockfile's "packages" entries as written, the root
	// "" included, installed or not: the hidden lockfile is rebuilt from
	// them and dependency flags are computed over all of them. Without
	// them no hidden lockfile is written (npm then reads node_modules
	// itself, which is slower but correct).
	RawEntries map[string]json.RawMessage
	// RootName and RootVersion are the lockfile's top-level "name" and
	// "version"; empty ones are left out of the hidden lockfile.
	RootName, RootVersion string
	// LockfileVersion is the lockfile's lockfileVersion. Version 1
	// lockfiles carry no per-location metadata; their hidden lockfile is
	// not what npm writes (npm fetches every manifest first).
	LockfileVersion int
	// Extract writes pkg's files into dir, which exists and is empty. It
	// may be called concurrently; it must not write outside dir.
	Extract func(ctx context.Context, pkg lock.Package, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means a default of
	// 16, or twice GOMAXPROCS if that is more (defaultConcurrency).
	Concurrency int
	// LegacyPeerDeps is npm's legacy-peer-deps setting: peer dependencies
	// are no edges of the graph the hidden lockfile's flags come from.
	LegacyPeerDeps bool
	// OmitLockfileRegistryResolved is npm's omit-lockfile-registry-resolved
	// setting: registry packages' "resolved" is left out of the hidden
	// lockfile.
	OmitLockfileRegistryResolved bool
	// Indent and Newline are the project package.json's formatting
	// (PackageJSONFormat), which npm reuses for the hidden lockfile.
	Indent, Newline string
	// LockWait bounds the wait for another airlock process installing
	// into the same project (see install.Options).
	LockWait time.Duration
	// OnLockWait, if set, is called once when Install starts waiting for
	// that other process, with its process ID ("" if unknown); see
	// install.Options.
	OnLockWait func(holder string)
}

// Result counts what Install laid out.
type Result struct {
	Packages   int // extracted from archives
	Bundled    int // arrived inside a parent's archive
	Links      int // symlinks to workspaces and local directories
	Workspaces int // workspace directories whose node_modules was replaced
	Bins       int // .bin links
	// BinConflicts lists commands declared by two packages in one
	// node_modules; like npm, the first in npm's order owns the name.
	BinConflicts []BinConflict
	// MissingBins lists declared bin targets that do not exist; npm skips
	// them silently.
	MissingBins []string
	// Warnings are complete messages for the user. First, by location,
	// registry packages whose archive's package.json names another
	// package or version than their lockfile entry (see checkManifest):
	// npm ci installs them, and so does airlock, since the bytes match
	// the lockfile's integrity. Then problems met after the new trees were
	// swapped in, when the install has happened and cannot fail any more:
	// a staging area that could not be removed, a workspace's bin target
	// that could not be made executable (or is a symlink out of the
	// project), a hidden lockfile whose time could not be set.
	Warnings []string
}

// Errors callers can branch on with errors.Is.
var (
	// ErrBadLocation: a package's lockfile location cannot be installed.
	ErrBadLocation = errors.New("lockfile location cannot be installed")
	// ErrBundledMissing: a bundled dependency was not in its parent's archive.
	ErrBundledMissing = errors.New("bundled dependency missing from its parent's archive")
	// ErrWorkspaceMissing: a workspace or link target directory does not exist.
	ErrWorkspaceMissing = errors.New("workspace directory missing")
)

// kind is how a package gets onto disk.
type kind int

const (
	kindExtract kind = iota
	kindBundled
	kindLink
	kindWorkspace
)

func kindOf(s lock.Source) (kind, bool) {
	switch s {
	case lock.SourceRegistry, lock.SourceGit, lock.SourceRemote, lock.SourceFile:
		return kindExtract, true
	case lock.SourceBundled:
		return kindBundled, true
	case lock.SourceLink:
		return kindLink, true
	case lock.SourceWorkspace:
		return kindWorkspace, true
	}
	return 0, false
}

// item is one package placed in the plan.
type item struct {
	pkg    lock.Package
	kind   kind
	target string // staged target holding it ("" for workspaces)
	link   string // for links: target location, clean, maybe "../…"
}

// plan is the validated layout.
type plan struct {
	items      []item
	byLoc      map[string]*item
	workspaces []string // workspace locations, sorted
	links      map[string]string
}

// checkLoc accepts clean, relative, slash-separated locations.
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

// makePlan validates the packages and assigns each to a staged target.
func makePlan(pkgs []lock.Package) (*plan, error) {
	p := &plan{byLoc: map[string]*item{}, links: map[string]string{}}
	for _, pkg := range pkgs {
		if err := checkLoc(pkg.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", pkg.Name, err)
		}
		k, ok := kindOf(pkg.Source)
		if !ok {
			return nil, fmt.Errorf("%s (%s): unknown source kind %v", pkg.Path, pkg.Name, pkg.Source)
		}
		if _, dup := p.byLoc[pkg.Path]; dup {
			return nil, fmt.Errorf("%w: %q appears twice", ErrBadLocation, pkg.Path)
		}
		p.items = append(p.items, item{pkg: pkg, kind: k})
		p.byLoc[pkg.Path] = nil
		if k == kindWorkspace {
			if strings.Contains("/"+pkg.Path+"/", "/node_modules/") {
				return nil, fmt.Errorf("%w: workspace %q is inside node_modules", ErrBadLocation, pkg.Path)
			}
			p.workspaces = append(p.workspaces, pkg.Path)
		}
	}
	// Longest workspace first, so nested workspaces win.
	sort.Slice(p.workspaces, func(i, j int) bool { return len(p.workspaces[i]) > len(p.workspaces[j]) })
	for i := range p.items {
		it := &p.items[i]
		p.byLoc[it.pkg.Path] = it
		if it.kind == kindWorkspace {
			continue
		}
		if _, name, ok := splitNodeModules(it.pkg.Path); !ok || strings.HasPrefix(name, ".") || strings.HasPrefix(path.Base(name), ".") {
			return nil, fmt.Errorf("%w: %q is not node_modules/<name> (a package name cannot start with \".\")", ErrBadLocation, it.pkg.Path)
		}
		it.target = ""
		for _, ws := range p.workspaces {
			if strings.HasPrefix(it.pkg.Path, ws+"/node_modules/") {
				it.target = ws + "/node_modules"
				break
			}
		}
		if it.target == "" {
			if !strings.HasPrefix(it.pkg.Path, "node_modules/") {
				return nil, fmt.Errorf("%w: %q is not inside the project's or a workspace's node_modules", ErrBadLocation, it.pkg.Path)
			}
			it.target = "node_modules"
		}
		if it.kind == kindLink {
			// lock/npm refuses links that leave the project; refuse them
			// here too, since a link's target is looked up for its bins.
			to := it.pkg.Resolved
			if err := checkLoc(to); err != nil {
				return nil, fmt.Errorf("%w: link %q must point to a directory inside the project (resolved %q)", ErrBadLocation, it.pkg.Path, it.pkg.Resolved)
			}
			it.link = to
			p.links[it.pkg.Path] = to
		}
	}
	// Nothing may be installed through a link: it would land outside the
	// staged tree.
	for _, it := range p.items {
		for l := range p.links {
			if strings.HasPrefix(it.pkg.Path, l+"/") {
				return nil, fmt.Errorf("%w: %q is inside link %q", ErrBadLocation, it.pkg.Path, l)
			}
		}
	}
	sort.Strings(p.workspaces)
	return p, nil
}

// Install lays out node_modules (and each workspace's node_modules) as
// `npm ci --ignore-scripts` would, building everything in a staging area
// and swapping it in with install.Staging.Commit. On any error, including a
// cancelled ctx, the previous trees are left exactly as they were (see
// install.Staging.Commit for the one exception, which its error spells
// out). Once Commit has succeeded Install succeeds too: problems after the
// swap are reported in Result.Warnings.
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Extract == nil {
		return nil, errors.New("npm install: Options.Extract is required")
	}
	pl, err := makePlan(opts.Packages)
	if err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}
	var entries map[string]*jsValue
	if len(opts.RawEntries) > 0 {
		if entries, err = parseEntries(opts.RawEntries); err != nil {
			return nil, fmt.Errorf("npm install: %w", err)
		}
		for _, it := range pl.items {
			if entries[it.pkg.Path] == nil {
				return nil, fmt.Errorf("npm install: %s has no lockfile entry in RawEntries", it.pkg.Path)
			}
		}
	}
	project, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}

	st, err := install.Begin(ctx, project, install.Options{LockWait: opts.LockWait, OnLockWait: opts.OnLockWait})
	if err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}
	defer st.Abort()
	if err := checkWorkspaces(st, pl.workspaces); err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}

	b := &builder{opts: opts, plan: pl, st: st, entries: entries, project: project}
	res, err := b.build(ctx)
	if err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, fmt.Errorf("npm install: %w", err)
	}
	// From here on the install has happened: what goes wrong is a
	// warning, and a cancelled ctx no longer matters.
	res.Warnings = append(b.manifestWarnings(), warnings...)
	// npm's fix-bin on workspace files (chmod, CRLF hashbang): done only
	// now, so that a failed or interrupted install leaves the project as
	// it was.
	res.Warnings = append(res.Warnings, fixProjectBins(project, b.projectFixes, b.execMode)...)
	if b.wroteHiddenLock {
		// npm trusts the hidden lockfile only if nothing it walks is newer;
		// the swap and fix-bin's rewrites touched directories, so stamp it
		// last.
		hl := path.Join("node_modules", hiddenLockfileName)
		if err := chtimesIn(project, hl, time.Now()); err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("npm install: installed, but setting the time of %s failed (%v); npm will read node_modules itself instead of trusting it, which is slower but correct", hl, err))
		}
	}
	return res, nil
}

// checkWorkspaces makes sure every workspace (and local directory a link
// points to) is a real directory inside the project, reached without
// following a symlink: its node_modules is replaced, and a symlink would
// make that happen outside the project.
func checkWorkspaces(st *install.Staging, workspaces []string) error {
	for _, ws := range workspaces {
		fi, err := st.Lstat(ws)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("%w: %s (from the lockfile) is not a directory in %s; restore it or update the lockfile", ErrWorkspaceMissing, ws, st.Project())
		case err != nil:
			return fmt.Errorf("workspace %s: %w", ws, err)
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%w: workspace %s is a symlink in %s; airlock replaces a workspace's node_modules only inside a real directory of the project, never through a symlink, which could lead outside it: replace the symlink with the directory itself", install.ErrSymlinkInPath, ws, st.Project())
		case !fi.IsDir():
			return fmt.Errorf("%w: %s (from the lockfile) is not a directory in %s; restore it or update the lockfile", ErrWorkspaceMissing, ws, st.Project())
		}
	}
	return nil
}

// chtimesIn sets the times of rel inside dir, never outside it. It is a
// variable so tests can make it fail.
var chtimesIn = func(dir, rel string, t time.Time) error {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Chtimes(rel, t, t)
}

// builder assembles the staged trees.
type builder struct {
	opts            Options
	plan            *plan
	st              *install.Staging
	entries         map[string]*jsValue
	project         string
	stage           *os.Root
	staged          map[string]string // target → dir relative to the staging root
	wroteHiddenLock bool
	execMode        fs.FileMode
	projectFixes    []string // bin targets in the project, fixed after the swap

	mu         sync.Mutex
	mismatches map[string]string // location → manifest warning, from extractAll
}

func (b *builder) build(ctx context.Context) (*Result, error) {
	var err error
	if b.stage, err = os.OpenRoot(b.st.Root()); err != nil {
		return nil, err
	}
	defer b.stage.Close()
	if err := b.stageTargets(); err != nil {
		return nil, err
	}
	extracted, err := b.extractAll(ctx)
	if err != nil {
		return nil, err
	}
	res := &Result{Workspaces: len(b.plan.workspaces)}
	if err := b.assemble(extracted, res); err != nil {
		return nil, err
	}
	projRoot, err := os.OpenRoot(b.project)
	if err != nil {
		return nil, err
	}
	defer projRoot.Close()
	fsm := &fsMap{stage: b.stage, staged: b.staged, project: projRoot, links: b.plan.links}
	b.execMode = execMode()
	br, err := linkBins(fsm, b.binJobs(), b.execMode)
	if err != nil {
		return nil, err
	}
	res.Bins, res.BinConflicts, res.MissingBins = br.linked, br.conflicts, br.missing
	b.projectFixes = br.projectFixes
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	if err := b.writeHiddenLockfile(); err != nil {
		return nil, err
	}
	return res, nil
}

// stageTargets creates a staged directory for the root node_modules and
// each workspace's node_modules that will hold something or exists now:
// npm ci empties every one of those, user files included.
func (b *builder) stageTargets() error {
	want := map[string]bool{}
	for _, it := range b.plan.items {
		if it.target != "" {
			want[it.target] = true
		}
	}
	candidates := []string{"node_modules"}
	for _, ws := range b.plan.workspaces {
		candidates = append(candidates, ws+"/node_modules")
	}
	for _, t := range candidates {
		_, err := b.st.Lstat(t)
		switch {
		case err == nil:
			want[t] = true
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
	}
	b.staged = map[string]string{}
	for t := range want {
		rel, err := b.st.RootDir(t)
		if err != nil {
			return err
		}
		b.staged[t] = rel
	}
	return nil
}

// stagedPath is where location loc of target lives in the staging root.
func (b *builder) stagedPath(it item) string {
	return path.Join(b.staged[it.target], strings.TrimPrefix(it.pkg.Path, it.target))
}

// extractAll runs Extract for every archive package into its own private
// directory, so no extraction can write into another package and a failed
// one is simply discarded. It returns each location's directory relative to
// the staging root.
func (b *builder) extractAll(ctx context.Context) (map[string]string, error) {
	var todo []item
	for _, it := range b.plan.items {
		if it.kind == kindExtract {
			todo = append(todo, it)
		}
	}
	limit := b.opts.Concurrency
	if limit <= 0 {
		limit = defaultConcurrency()
	}
	dirs, err := b.st.ExtractAll(ctx, len(todo), limit, func(ctx context.Context, i int, dir string) error {
		pkg := todo[i].pkg
		if err := b.opts.Extract(ctx, pkg, dir); err != nil {
			return fmt.Errorf("extracting %s (%s@%s): %w", pkg.Path, pkg.Name, pkg.Version, err)
		}
		if w := checkManifest(pkg, dir); w != "" {
			b.mu.Lock()
			if b.mismatches == nil {
				b.mismatches = map[string]string{}
			}
			b.mismatches[pkg.Path] = w
			b.mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(todo))
	for i, it := range todo {
		out[it.pkg.Path] = dirs[i]
	}
	return out, nil
}

// assemble moves every extracted package to its location (parents before
// children), checks bundled ones, and makes the links.
func (b *builder) assemble(extracted map[string]string, res *Result) error {
	items := make([]item, len(b.plan.items))
	copy(items, b.plan.items)
	// Sorted, every location comes after its ancestors: a package's
	// directory is made or moved in before anything inside it.
	sort.Slice(items, func(i, j int) bool { return items[i].pkg.Path < items[j].pkg.Path })
	made := map[string]bool{}
	mv := b.st.NewMover()
	defer mv.Close()
	for _, it := range items {
		switch it.kind {
		case kindExtract:
			dst := b.stagedPath(it)
			if parent := path.Dir(dst); !made[parent] {
				if err := b.stage.MkdirAll(parent, dirMode); err != nil {
					return fmt.Errorf("placing %s: %w", it.pkg.Path, err)
				}
				made[parent] = true
			}
			// A parent package's archive may already hold files here.
			// npm's pacote empties a package's directory before extracting
			// into it, so the package's own archive wins: drop what the
			// parent brought. (Directly in a staged node_modules nothing
			// can be there yet.)
			if b.insidePackage(it) {
				if _, err := b.stage.Lstat(dst); err == nil {
					if err := b.stage.RemoveAll(dst); err != nil {
						return fmt.Errorf("placing %s: %w", it.pkg.Path, err)
					}
					mv.Forget(dst)
				}
			}
			if err := mv.Rename(extracted[it.pkg.Path], dst); err != nil {
				return fmt.Errorf("placing %s: %w", it.pkg.Path, err)
			}
			res.Packages++
		case kindBundled:
			fi, err := b.stage.Lstat(b.stagedPath(it))
			if err != nil || !fi.IsDir() {
				return fmt.Errorf("%w: %s (%s@%s); the parent package's archive does not contain it, and airlock does not fetch bundled dependencies separately", ErrBundledMissing, it.pkg.Path, it.pkg.Name, it.pkg.Version)
			}
			res.Bundled++
		}
	}
	for _, it := range items {
		if it.kind != kindLink {
			continue
		}
		dst := b.stagedPath(it)
		if _, err := b.stage.Lstat(dst); err == nil {
			if err := b.stage.RemoveAll(dst); err != nil {
				return fmt.Errorf("linking %s: %w", it.pkg.Path, err)
			}
		}
		if err := b.stage.MkdirAll(path.Dir(dst), dirMode); err != nil {
			return fmt.Errorf("linking %s: %w", it.pkg.Path, err)
		}
		// reify.js: symlink(relative(dirname(node.path), node.realpath)).
		if err := b.stage.Symlink(install.RelPath(path.Dir(it.pkg.Path), it.link), dst); err != nil {
			return fmt.Errorf("linking %s: %w", it.pkg.Path, err)
		}
		res.Links++
	}
	return nil
}

// insidePackage reports whether it sits in another package's node_modules
// rather than directly in a staged target (the project's or a workspace's
// node_modules).
func (b *builder) insidePackage(it item) bool {
	parent, _, _ := splitNodeModules(it.pkg.Path)
	return parent != "" && path.Join(parent, "node_modules") != it.target
}

// binJobs lists the nodes whose bins npm links: installed packages and
// links (with their target's bins), not tops.
func (b *builder) binJobs() []binJob {
	var jobs []binJob
	for _, it := range b.plan.items {
		var bins []binEntry
		switch it.kind {
		case kindExtract, kindBundled:
			bins = binsOf(b.entries[it.pkg.Path], it.pkg, it.pkg.Path)
		case kindLink:
			tgt := b.plan.byLoc[it.link]
			raw := b.entries[it.link]
			pkg := lock.Package{}
			if tgt != nil {
				pkg = tgt.pkg
			}
			if raw == nil && tgt == nil {
				continue
			}
			bins = binsOf(raw, pkg, it.link)
		}
		if len(bins) > 0 {
			jobs = append(jobs, binJob{loc: it.pkg.Path, isLink: it.kind == kindLink, bins: bins})
		}
	}
	return jobs
}

// writeHiddenLockfile writes node_modules/.package-lock.json into the
// staged root node_modules, last.
func (b *builder) writeHiddenLockfile() error {
	dir, ok := b.staged["node_modules"]
	if !ok || b.entries == nil {
		return nil
	}
	installed := map[string]bool{}
	for _, it := range b.plan.items {
		installed[it.pkg.Path] = true
	}
	g := buildGraph(b.entries, installed, b.opts.LegacyPeerDeps)
	data := hiddenLockfile(g, b.opts.RootName, b.opts.RootVersion, b.opts.OmitLockfileRegistryResolved, b.opts.Indent, b.opts.Newline)
	if err := b.stage.WriteFile(path.Join(dir, hiddenLockfileName), data, fileMode); err != nil {
		return fmt.Errorf("writing hidden lockfile: %w", err)
	}
	b.wroteHiddenLock = true
	return nil
}

// fsMap finds where a final project location lives while the trees are
// still staged: through links (which cannot be followed inside the staging
// area), then in a staged target, else in the project. Links point inside
// the project (makePlan checks), and an os.Root never leaves its directory,
// so nothing outside the project is ever looked at.
type fsMap struct {
	stage   *os.Root
	staged  map[string]string
	project *os.Root
	links   map[string]string
}

// linkPrefix returns the link that loc is at or under, and the rest.
func (m *fsMap) linkPrefix(loc string) (link, rest string, ok bool) {
	segs := strings.Split(loc, "/")
	for i := len(segs); i > 0; i-- {
		l := strings.Join(segs[:i], "/")
		if _, ok := m.links[l]; ok {
			return l, strings.Join(segs[i:], "/"), true
		}
	}
	return "", "", false
}

// locate returns an os.Root and a path in it for the project location loc.
// The roots keep every access inside the staging area or the project.
func (m *fsMap) locate(loc string) (*os.Root, string, error) {
	for hops := 0; ; hops++ {
		l, rest, ok := m.linkPrefix(loc)
		if !ok {
			break
		}
		if hops == maxLinkHops {
			return nil, "", fmt.Errorf("%s: too many levels of links", loc)
		}
		loc = path.Join(m.links[l], rest)
	}
	for t, d := range m.staged {
		if loc == t || strings.HasPrefix(loc, t+"/") {
			return m.stage, path.Join(d, strings.TrimPrefix(loc, t)), nil
		}
	}
	return m.project, loc, nil
}

// execMode is bin-links' 0o777 & ~process.umask().
func execMode() fs.FileMode {
	return 0o777 &^ fs.FileMode(currentUmask())
}
