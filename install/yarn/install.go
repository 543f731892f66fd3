package yarn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

const (
	// dirMode is what directories are created with; the kernel applies
	// the umask, as it does for yarn's mkdirp.
	dirMode = 0o777
	// binMode is linkBin's chmod of every bin target: exactly 0o755.
	binMode = 0o755
)

// Errors callers can branch on with errors.Is.
var (
	// ErrBadPlatform: a package that is not optional does not support
	// this platform's os or cpu (yarn: "Found incompatible module").
	ErrBadPlatform = errors.New("unsupported platform")
	// ErrUnsupportedSource: a git or local-file package, which airlock
	// does not install from yarn.lock.
	ErrUnsupportedSource = errors.New("unsupported package source")
	// ErrWorkspaces: a workspace airlock cannot lay out (no name or
	// version, two of one name, a nohoist glob it cannot evaluate).
	ErrWorkspaces = errors.New("unsupported yarn workspace")
)

// Platform is the os and cpu yarn compares packages' os and cpu fields
// with (process.platform and process.arch; yarn 1 ignores libc).
type Platform struct{ OS, CPU string }

// Options describe one install.
type Options struct {
	// ProjectDir holds package.json and yarn.lock.
	ProjectDir string
	Lockfile   *lockyarn.Lockfile
	Manifest   *lockyarn.Manifest
	// Workspaces are the project's yarn workspaces (package.json's
	// workspaces globs, resolved by the caller), if any.
	Workspaces []*Workspace
	// Production leaves out devDependencies (--production).
	Production bool
	Platform   Platform
	// Extract writes pkg's files into dir, which exists and is empty. It
	// may be called concurrently; it must not write outside dir. pkg.Path
	// is node_modules/<name>: the layout is computed from the extracted
	// manifests, so the final locations are not known yet.
	Extract func(ctx context.Context, pkg lock.Package, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means a default.
	Concurrency int
	// LockWait and OnLockWait: see install.Options.
	LockWait   time.Duration
	OnLockWait func(holder string)
}

// Skipped is a package yarn would not install here.
type Skipped struct {
	Package lock.Package
	Reason  string
}

// Result says what Install laid out.
type Result struct {
	// Installed lists every package at every location it was placed.
	Installed []lock.Package
	// Packages counts the archives extracted (yarn fetches every package
	// the lockfile reaches, also the ones it then leaves out).
	Packages int
	Bins     int
	Skipped  []Skipped
	// InstallScripts lists, as name@version, installed packages whose
	// package.json declares preinstall, install or postinstall scripts
	// (or that have a binding.gyp); airlock never runs them.
	InstallScripts []string
	// Warnings are complete messages for the user: unmet peer
	// dependencies, problems after the swap.
	Warnings []string
}

// Install lays out node_modules as `yarn install --frozen-lockfile
// --ignore-scripts` does: see the package documentation.
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Extract == nil || opts.Lockfile == nil || opts.Manifest == nil {
		return nil, errors.New("yarn install: Options.Extract, Lockfile and Manifest are required")
	}
	for _, w := range opts.Workspaces {
		if err := checkLoc(w.Dir); err != nil {
			return nil, fmt.Errorf("yarn install: workspace %s: %w", w.Dir, err)
		}
		if w.Manifest.Name == "" || w.Manifest.Version == "" {
			return nil, fmt.Errorf("yarn install: %w: workspace %s has no name or version in its package.json (yarn skips it with a warning); add them", ErrWorkspaces, w.Dir)
		}
	}
	g, err := newGraph(opts.Lockfile, opts.Manifest, opts.Workspaces, opts.Production)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	for _, r := range g.list {
		if r.entry != nil && r.entry.Source != lock.SourceRegistry && r.entry.Source != lock.SourceRemote {
			return nil, fmt.Errorf("yarn install: %w: %s@%s comes from %s %q; airlock installs registry and tarball packages checked against the lockfile's integrity only", ErrUnsupportedSource, r.name, r.version, r.entry.Source, r.entry.Resolved)
		}
	}
	project, err := filepath.Abs(opts.ProjectDir)
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	st, err := install.Begin(ctx, project, install.Options{LockWait: opts.LockWait, OnLockWait: opts.OnLockWait})
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	defer st.Abort()
	b := &builder{opts: opts, st: st, g: g, res: &Result{}}
	if err := b.build(ctx); err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	warnings, err := st.Commit()
	if err != nil {
		return nil, fmt.Errorf("yarn install: %w", err)
	}
	b.res.Warnings = append(b.res.Warnings, warnings...)
	// linkBin's chmod on bin targets inside the project (workspaces'
	// own bins), only now, so a failed install leaves the project as it
	// was.
	b.res.Warnings = append(b.res.Warnings, fixProjectBins(project, b.projectFixes)...)
	return b.res, nil
}

// fixProjectBins chmods workspace bin targets to 0o755 after the swap.
func fixProjectBins(project string, locs []string) []string {
	if len(locs) == 0 {
		return nil
	}
	root, err := os.OpenRoot(project)
	if err != nil {
		return []string{fmt.Sprintf("could not make workspace bins executable: %v", err)}
	}
	defer root.Close()
	var warnings []string
	for _, loc := range locs {
		fi, err := root.Lstat(loc)
		if err != nil || !fi.Mode().IsRegular() {
			warnings = append(warnings, fmt.Sprintf("bin target %s is not a regular file inside the project; yarn would chmod it, airlock left it alone", loc))
			continue
		}
		if err := root.Chmod(loc, binMode); err != nil {
			warnings = append(warnings, fmt.Sprintf("making %s executable: %v", loc, err))
		}
	}
	return warnings
}

// checkLoc accepts clean, relative, slash-separated locations inside the
// project and outside airlock's own directory and node_modules.
func checkLoc(loc string) error {
	if loc == "" || loc == "." || strings.HasPrefix(loc, "/") || strings.ContainsAny(loc, "\\\x00") || path.Clean(loc) != loc || loc == ".." || strings.HasPrefix(loc, "../") {
		return fmt.Errorf("%w: %q is not a directory inside the project", ErrWorkspaces, loc)
	}
	for _, seg := range strings.Split(loc, "/") {
		if seg == "node_modules" || seg == install.StateDir {
			return fmt.Errorf("%w: %q is inside %s", ErrWorkspaces, loc, seg)
		}
	}
	return nil
}

type builder struct {
	opts     Options
	st       *install.Staging
	g        *graph
	res      *Result
	stage    *os.Root
	projRoot *os.Root
	// staged maps each staged target (node_modules, <workspace>/node_modules)
	// to its directory relative to the staging root.
	staged map[string]string
	// projectFixes are workspace bin targets to chmod after the swap.
	projectFixes []string
}

func (b *builder) build(ctx context.Context) error {
	b.staged = map[string]string{}
	if _, err := b.target("node_modules"); err != nil {
		return err
	}
	var err error
	if b.stage, err = os.OpenRoot(b.st.Root()); err != nil {
		return err
	}
	defer b.stage.Close()
	if b.projRoot, err = os.OpenRoot(b.st.Project()); err != nil {
		return err
	}
	defer b.projRoot.Close()
	for _, w := range b.opts.Workspaces {
		fi, err := b.st.Lstat(w.Dir)
		switch {
		case err != nil:
			return fmt.Errorf("workspace %s: %w", w.Dir, err)
		case fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir():
			return fmt.Errorf("%w: workspace %s is a symlink or not a directory; airlock replaces a workspace's node_modules only inside a real directory of the project", install.ErrSymlinkInPath, w.Dir)
		}
		// Like yarn, whatever the workspace's node_modules holds that the
		// install does not put there is removed.
		if _, err := b.st.Lstat(w.Dir + "/node_modules"); err == nil {
			if _, err := b.target(w.Dir + "/node_modules"); err != nil {
				return err
			}
		}
	}
	if err := b.extractAll(ctx); err != nil {
		return err
	}
	flat, err := layout(b.g, b.opts.Manifest, b.opts.Production, b.opts.Platform, b.res)
	if err != nil {
		return err
	}
	if err := b.place(flat); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	return b.linkBins(flat)
}

// target registers a staged target and returns its directory relative to
// the staging root.
func (b *builder) target(t string) (string, error) {
	if d, ok := b.staged[t]; ok {
		return d, nil
	}
	rel, err := b.st.RootDir(t)
	if err != nil {
		return "", err
	}
	b.staged[t] = rel
	return b.staged[t], nil
}

// stagedPath maps a project location to the staging root when it lies in
// a node_modules airlock replaces (the root's, or a workspace's, staged
// on first use); ok is false for the project's own files.
func (b *builder) stagedPath(loc string) (string, bool, error) {
	t := "node_modules"
	if !(loc == t || strings.HasPrefix(loc, t+"/")) {
		t = ""
		for _, w := range b.opts.Workspaces {
			if wt := w.Dir + "/node_modules"; loc == wt || strings.HasPrefix(loc, wt+"/") {
				t = wt
			}
		}
		if t == "" {
			return "", false, nil
		}
	}
	d, err := b.target(t)
	if err != nil {
		return "", false, err
	}
	return path.Join(d, strings.TrimPrefix(loc, t)), true, nil
}

// layout decides where every package goes, from the manifests read: the
// platform check, --production's ignored devDependencies, peer
// resolution and the hoister, in yarn's order. Skipped packages and
// warnings are added to res.
func layout(g *graph, root *lockyarn.Manifest, production bool, p Platform, res *Result) ([]placed, error) {
	if err := checkPlatforms(g, p, res); err != nil {
		return nil, err
	}
	if production {
		// install.js markIgnored: the root's devDependencies; the hoister
		// keeps whatever a required package also needs.
		for _, d := range root.Deps {
			if d.Kind == lockyarn.Dev {
				g.resolve(d.Pattern()).ignore = true
			}
		}
	}
	res.Warnings = append(res.Warnings, g.resolvePeers()...)
	roots := g.rootPatterns(root)
	h := newHoister(g)
	h.seed(roots)
	if h.err != nil {
		return nil, h.err
	}
	flat, err := h.flatten()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(flat, func(i, j int) bool { return localeLess(flat[i].loc, flat[j].loc) })
	// copyModules: a workspace at node_modules/<name> is a symlink to
	// its directory, so whatever lands beneath it lands in the
	// workspace's own node_modules.
	links := map[string]string{}
	for i, p := range flat {
		for l, dir := range links {
			if strings.HasPrefix(p.loc, l+"/") {
				flat[i].loc = dir + strings.TrimPrefix(p.loc, l)
			}
		}
		if w := p.info.ref.ws; w != nil {
			links[p.loc] = w.Dir
		}
	}
	return flat, nil
}

// extractAll extracts every package the lockfile reaches into its own
// scratch directory and reads its manifest.
func (b *builder) extractAll(ctx context.Context) error {
	var refs []*ref
	for _, r := range b.g.list {
		if r.aggregator {
			continue
		}
		if r.ws != nil {
			// A workspace's manifest is the project's own file.
			_, gypErr := b.projRoot.Lstat(r.ws.Dir + "/binding.gyp")
			if err := r.parseManifest(r.ws.PackageJSON, gypErr == nil, func(d string) []string {
				f, err := b.projRoot.Open(path.Join(r.ws.Dir, d))
				if err != nil {
					return nil
				}
				defer f.Close()
				names, _ := f.Readdirnames(-1)
				return names
			}); err != nil {
				return fmt.Errorf("workspace %s: %w", r.ws.Dir, err)
			}
			continue
		}
		refs = append(refs, r)
	}
	limit := b.opts.Concurrency
	if limit <= 0 {
		limit = max(16, 2*runtime.GOMAXPROCS(0))
	}
	if _, err := b.st.ExtractAll(ctx, len(refs), limit, func(ctx context.Context, i int, dir string) error {
		r := refs[i]
		r.dir = dir
		pkg := r.entry.Package("node_modules/" + r.name)
		pkg.Optional = r.optional
		if err := b.opts.Extract(ctx, pkg, r.dir); err != nil {
			return fmt.Errorf("extracting %s@%s: %w", r.name, r.version, err)
		}
		return r.readManifest()
	}); err != nil {
		return err
	}
	for _, r := range b.g.list {
		if r.entry == nil {
			continue
		}
		b.res.Packages++
		// As npm ci does (install/npm's checkManifest), an archive that
		// matches the lockfile's integrity is installed even when its
		// package.json claims another identity, with a warning.
		if (r.manifestName != "" && r.manifestName != r.entry.RealName) || (r.manifestVersion != "" && r.manifestVersion != r.version) {
			b.res.Warnings = append(b.res.Warnings, fmt.Sprintf("the archive yarn.lock pins for %s@%s matches its integrity, but its package.json says %s@%s; yarn installs it all the same, and so did airlock: check the lockfile entry", r.entry.RealName, r.version, r.manifestName, r.manifestVersion))
		}
	}
	return context.Cause(ctx)
}

// checkPlatforms is package-compatibility.js's os and cpu check: an
// optional package that does not match is left out, a required one is an
// error. (engines is not checked: airlock does not know which node will
// run the project.)
func checkPlatforms(g *graph, p Platform, res *Result) error {
	var bad []string
	for _, r := range g.list {
		var why []string
		if len(r.os) > 0 && !platformOK(r.os, p.OS) {
			why = append(why, fmt.Sprintf("the platform %q is incompatible with this module (os: %s)", p.OS, strings.Join(r.os, ", ")))
		}
		if len(r.cpu) > 0 && !platformOK(r.cpu, p.CPU) {
			why = append(why, fmt.Sprintf("the CPU architecture %q is incompatible with this module (cpu: %s)", p.CPU, strings.Join(r.cpu, ", ")))
		}
		if len(why) == 0 {
			continue
		}
		if r.optional {
			r.ignore, r.incompatible = true, true
			pkg := lock.Package{Ecosystem: lock.NPM, Name: r.realName, Version: r.version, Path: "node_modules/" + r.name}
			if r.entry != nil {
				pkg = r.entry.Package(pkg.Path)
			}
			res.Skipped = append(res.Skipped, Skipped{Package: pkg, Reason: strings.Join(why, "; ")})
			continue
		}
		bad = append(bad, fmt.Sprintf("%s@%s: %s", r.name, r.version, strings.Join(why, "; ")))
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w:\n\t%s\nyarn refuses these too (yarn's --ignore-platform is not supported)", ErrBadPlatform, strings.Join(bad, "\n\t"))
	}
	return nil
}

// place puts every package at its locations, parents first: the last
// location of a package gets the extracted directory itself, the others
// copies (yarn copies from its cache to each). A package's directory
// replaces whatever its parent's archive had put there.
func (b *builder) place(flat []placed) error {
	last := map[*ref]int{}
	for i, p := range flat {
		last[p.info.ref] = i
	}
	scripts := map[*ref]bool{}
	for i, p := range flat {
		r := p.info.ref
		dst, ok, err := b.stagedPath(p.loc)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s is outside every node_modules airlock replaces", p.loc)
		}
		if err := b.stage.MkdirAll(path.Dir(dst), dirMode); err != nil {
			return fmt.Errorf("placing %s: %w", p.loc, err)
		}
		if _, err := b.stage.Lstat(dst); err == nil {
			if err := b.stage.RemoveAll(dst); err != nil {
				return fmt.Errorf("placing %s: %w", p.loc, err)
			}
		}
		if r.ws != nil {
			// copyModules: a workspace is a relative symlink to its
			// directory; its realpath counts as a location too.
			if err := b.stage.Symlink(install.RelPath(path.Dir(p.loc), r.ws.Dir), dst); err != nil {
				return fmt.Errorf("linking %s: %w", p.loc, err)
			}
			r.locations = append(r.locations, p.loc, r.ws.Dir)
			continue
		}
		src, err := b.st.Rel(r.dir)
		if err != nil {
			return err
		}
		if last[r] == i {
			err = b.stage.Rename(src, dst)
		} else {
			err = copyTree(b.stage, src, dst)
		}
		if err != nil {
			return fmt.Errorf("placing %s: %w", p.loc, err)
		}
		r.locations = append(r.locations, p.loc)
		b.res.Installed = append(b.res.Installed, r.entry.Package(p.loc))
		if r.scripts && !scripts[r] {
			scripts[r] = true
			b.res.InstallScripts = append(b.res.InstallScripts, r.realName+"@"+r.version)
		}
	}
	sort.Strings(b.res.InstallScripts)
	return nil
}

// copyTree copies directory src to dst inside root, keeping file modes.
func copyTree(root *os.Root, src, dst string) error {
	return fs.WalkDir(root.FS(), src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := path.Join(dst, strings.TrimPrefix(p, src))
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if err := root.Mkdir(to, dirMode); err != nil {
				return err
			}
			return root.Chmod(to, fi.Mode().Perm())
		case d.Type().IsRegular():
			in, err := root.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := root.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(out, in); err != nil {
				out.Close()
				return err
			}
			if err := out.Close(); err != nil {
				return err
			}
			return root.Chmod(to, fi.Mode().Perm())
		}
		return fmt.Errorf("%s: unexpected file type %v", p, d.Type())
	})
}
