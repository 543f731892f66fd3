package bun

import (
	"fmt"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// Platform is what os, cpu and libc fields are matched against, in node's
// spellings (process.platform, process.arch; libc "glibc", "musl" or "" when
// unknown, which matches every libc).
type Platform struct{ OS, CPU, Libc string }

// Options say what to install from a lockfile.
type Options struct {
	// NoDev is bun install --production: devDependencies of the root and
	// of every workspace are left out, with what only they need.
	NoDev bool
	// NoOptional is --omit=optional.
	NoOptional bool
	Platform   Platform
	// NativeBinLinks are the packages whose bins bun links straight to
	// the matching platform package's copy (package.json's
	// "nativeDependencies"); nil means bun's default, esbuild, and an
	// empty slice none (BUN_FEATURE_FLAG_DISABLE_NATIVE_DEPENDENCY_LINKER).
	NativeBinLinks []string
}

// Skipped is a package left out, and why.
type Skipped struct {
	Package lock.Package
	Reason  string
}

// Selection is what Select decided.
type Selection struct {
	// Install lists, sorted by Path, every registry package (Path is its
	// location in bun's hoisted tree), every link to a workspace package
	// (SourceLink, Resolved the workspace directory) and every workspace
	// directory (SourceWorkspace, with its bins).
	Install []lock.Package
	Skipped []Skipped
	// BinDirs maps the Path of each installed package or workspace that
	// declares directories.bin instead of bin to that directory: bun links
	// every file in it, so the bins are known only once it is unpacked
	// (install/bun lists it).
	BinDirs map[string]string
	// Isolated, when set, is bun's isolated store, which install/bun lays
	// out instead of this hoisted tree; Install then lists its registry
	// packages once each (Path their first store directory) and the
	// workspaces (see Isolated.Selection).
	Isolated *Isolated
}

// Select walks the lockfile from the root and every workspace the way
// `bun install --frozen-lockfile` does with the hoisted linker: each
// dependency resolves to the package key nearest to its dependent (the
// dependent's key plus "/name", then its parent's, up to the top); every
// package that is reached is installed at the location its key names; a
// package whose os, cpu or libc does not match the platform is skipped with
// whatever only it needs. bun keeps the lockfile's tree when it leaves
// packages out (a copy nested because of a devDependency stays nested under
// --production), and so does Select.
func (lf *Lockfile) Select(o Options) (*Selection, error) {
	sel := &Selection{BinDirs: map[string]string{}}
	byName := map[string]*Workspace{}
	for _, w := range lf.Workspaces[1:] {
		byName[w.Name] = w
	}
	paths := map[string]string{}
	pathOf := func(key string, segs []string) string { return lf.pathOf(key, segs, paths) }
	// resolve is bun's lookup of a dependency from the package at prefix.
	resolve := lf.keyTrie().resolve

	type edge struct {
		name, group string
	}
	edges := func(deps, opt, peer map[string]string, optionalPeers map[string]bool, dev map[string]string) []edge {
		var out []edge
		add := func(m map[string]string, group string) {
			for _, n := range sortedKeys(m) {
				out = append(out, edge{n, group})
			}
		}
		add(deps, "dependencies")
		if !o.NoOptional {
			add(opt, "optionalDependencies")
		}
		for _, n := range sortedKeys(peer) {
			g := "peerDependencies"
			if optionalPeers[n] {
				g = "optionalPeers"
			}
			out = append(out, edge{n, g})
		}
		if !o.NoDev {
			add(dev, "devDependencies")
		}
		return out
	}

	type item struct {
		e   *Entry
		dev bool
	}
	state := map[string]bool{} // key → dev (present: reached)
	skipped := map[string]bool{}
	var queue []item
	// visit queues what a dependent at prefix needs.
	visit := func(where string, prefix []string, es []edge, dev bool) error {
		for _, d := range es {
			e := resolve(prefix, d.name)
			if e == nil {
				if d.group == "dependencies" || d.group == "devDependencies" {
					return fmt.Errorf("lock/bun: %s: %w: %s %q resolves to no package; run `bun install` to repair the lockfile", where, ErrMissingEntry, d.group, d.name)
				}
				continue // an optional dependency or peer bun did not install
			}
			queue = append(queue, item{e, dev || d.group == "devDependencies"})
		}
		return nil
	}
	root := lf.Workspaces[0]
	if err := visit("the root package.json", nil, edges(root.Dependencies, root.OptionalDependencies, root.PeerDependencies, setOf(root.OptionalPeers), root.DevDependencies), false); err != nil {
		return nil, err
	}
	// bun links every workspace package into the root node_modules, needed
	// or not.
	for _, k := range lf.Keys {
		if e := lf.Entries[k]; e.Kind == KindWorkspace && len(e.Segments) == 1 {
			queue = append(queue, item{e, false})
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		e := it.e
		if skipped[e.Key] {
			continue
		}
		if dev, seen := state[e.Key]; seen && (!dev || it.dev) {
			continue
		}
		state[e.Key] = it.dev
		if e.Kind == KindWorkspace {
			w := e.workspace
			if err := visit("workspace "+w.Path, []string{w.Name}, edges(w.Dependencies, w.OptionalDependencies, w.PeerDependencies, setOf(w.OptionalPeers), w.DevDependencies), it.dev); err != nil {
				return nil, err
			}
			continue
		}
		if why := platformMismatch(e, o.Platform); why != "" {
			skipped[e.Key] = true
			delete(state, e.Key)
			sel.Skipped = append(sel.Skipped, Skipped{Package: lf.pkg(e, pathOf(e.Key, e.Segments), false), Reason: "not for this platform: " + why})
			continue
		}
		if e.Bundled {
			// Its archive's parent brings it with whatever it needs: bun
			// installs nothing the lockfile resolves below it.
			continue
		}
		if err := visit("package "+e.Key, e.Segments, edges(e.Dependencies, e.OptionalDependencies, e.PeerDependencies, e.OptionalPeers, nil), it.dev); err != nil {
			return nil, err
		}
	}
	workspaces := map[string]bool{}
	for key, dev := range state {
		e := lf.Entries[key]
		p := lf.pkg(e, pathOf(key, e.Segments), dev)
		if e.BinDir != "" && len(e.Bin) == 0 {
			sel.BinDirs[p.Path] = e.BinDir
		}
		sel.Install = append(sel.Install, p)
		if e.Kind == KindWorkspace && !workspaces[e.WorkspacePath] {
			workspaces[e.WorkspacePath] = true
			w := e.workspace
			if w.BinDir != "" && len(w.Bin) == 0 {
				sel.BinDirs[w.Path] = w.BinDir
			}
			sel.Install = append(sel.Install, lock.Package{Ecosystem: lock.NPM, Name: w.Name, Version: w.Version, Path: w.Path, Source: lock.SourceWorkspace, Bin: w.Bin})
		}
	}
	// A workspace nothing links still has its own node_modules.
	for _, w := range lf.Workspaces[1:] {
		if !workspaces[w.Path] {
			return nil, fmt.Errorf("lock/bun: %w: workspace %s (%s) has no package entry; run `bun install` to repair the lockfile", ErrMissingEntry, w.Path, w.Name)
		}
	}
	sort.Slice(sel.Install, func(i, j int) bool { return sel.Install[i].Path < sel.Install[j].Path })
	lf.nativeBinLinks(sel, o)
	sort.Slice(sel.Skipped, func(i, j int) bool { return sel.Skipped[i].Package.Path < sel.Skipped[j].Package.Path })
	for i := 1; i < len(sel.Install); i++ {
		if sel.Install[i].Path == sel.Install[i-1].Path {
			return nil, fmt.Errorf("lock/bun: %w: two packages at %s", ErrUnsafePath, sel.Install[i].Path)
		}
	}
	return sel, nil
}

// nativeBinLinks is bun's native bin linking (PostinstallOptimizer): a
// package of the list installed in the root node_modules whose first
// dependency with both os and cpu constraints matches the platform (its
// platform binary, @esbuild/linux-x64 for esbuild) has its bins linked to
// the same paths inside that package instead, so running it skips the
// JavaScript wrapper. The bins move to the platform package, which sits
// beside it in node_modules and so links into the same .bin. If that first
// match was not installed (its libc did not match), bun's link fails and
// it links the package's own bins, as here. Not on Windows.
func (lf *Lockfile) nativeBinLinks(sel *Selection, o Options) {
	list := o.NativeBinLinks
	if list == nil {
		list = []string{"esbuild"}
	}
	if len(list) == 0 || o.Platform.OS == "win32" {
		return
	}
	byPath := map[string]int{}
	for i, p := range sel.Install {
		byPath[p.Path] = i
	}
	for _, name := range list {
		i, ok := byPath["node_modules/"+name]
		if !ok || sel.Install[i].Source != lock.SourceRegistry || len(sel.Install[i].Bin) == 0 {
			continue
		}
		e := lf.Entries[name]
		if e == nil || e.Kind != KindNpm {
			continue
		}
		var deps []string
		deps = append(deps, sortedKeys(e.Dependencies)...)
		deps = append(deps, sortedKeys(e.OptionalDependencies)...)
		for _, d := range deps {
			var c *Entry
			for j := len(e.Segments); j >= 0 && c == nil; j-- {
				k := d
				if j > 0 {
					k = strings.Join(e.Segments[:j], "/") + "/" + d
				}
				c = lf.Entries[k]
			}
			if c == nil || len(c.OS) == 0 || len(c.CPU) == 0 || !checkList(o.Platform.OS, c.OS) || !checkList(o.Platform.CPU, c.CPU) {
				continue
			}
			// The first match decides; it lives in the root node_modules
			// when esbuild does (bun does this only for tree 0).
			if j, ok := byPath["node_modules/"+c.Key]; ok && sel.Install[j].Source == lock.SourceRegistry && len(c.Segments) == 1 {
				bins := map[string]string{}
				for k, v := range sel.Install[j].Bin {
					bins[k] = v
				}
				for k, v := range sel.Install[i].Bin {
					bins[k] = v
				}
				sel.Install[j].Bin = bins
				sel.Install[i].Bin = nil
			}
			break
		}
	}
}

// pathOf is where the package keyed key (split into segs) lives: under
// its parent key's node_modules, or, below a workspace package's key, in
// that workspace's own directory. memo caches the answers.
func (lf *Lockfile) pathOf(key string, segs []string, memo map[string]string) string {
	if p, ok := memo[key]; ok {
		return p
	}
	parent := ""
	if len(segs) > 1 {
		pk := strings.Join(segs[:len(segs)-1], "/")
		parent = lf.pathOf(pk, segs[:len(segs)-1], memo)
		if e := lf.Entries[pk]; e != nil && e.Kind == KindWorkspace {
			parent = e.WorkspacePath
		}
		parent += "/"
	}
	p := parent + "node_modules/" + segs[len(segs)-1]
	memo[key] = p
	return p
}

// Packages lists every registry package the lockfile records, at the
// place bun's hoisted tree puts it, whatever the platform or omitted
// dependency types (airlock audit looks at those it finds on disk).
func (lf *Lockfile) Packages() []lock.Package {
	memo := map[string]string{}
	var out []lock.Package
	for _, k := range lf.Keys {
		if e := lf.Entries[k]; e.Kind == KindNpm {
			out = append(out, lf.pkg(e, lf.pathOf(k, e.Segments, memo), false))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// pkg describes entry e installed at p.
func (lf *Lockfile) pkg(e *Entry, p string, dev bool) lock.Package {
	if e.Kind == KindWorkspace {
		return lock.Package{Ecosystem: lock.NPM, Name: e.Name, Version: e.workspace.Version, Path: p, Source: lock.SourceLink, Resolved: e.WorkspacePath, Dev: dev}
	}
	src, bin := lock.SourceRegistry, e.Bin
	if e.Bundled {
		// bun links no bins of packages that came inside another's
		// archive (checked with npm@10.9.0's bundled tree).
		src, bin = lock.SourceBundled, nil
	}
	return lock.Package{
		Ecosystem: lock.NPM,
		Name:      e.Name,
		Version:   e.Version,
		Path:      p,
		Source:    src,
		Resolved:  e.Tarball,
		Integrity: e.Integrity,
		Dev:       dev,
		OS:        e.OS,
		CPU:       e.CPU,
		Libc:      e.Libc,
		Bin:       bin,
		// Older lockfiles do not say; install/bun then reads the
		// unpacked package.json.
		HasInstallScript: e.HasInstallScript,
	}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func setOf(l []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range l {
		m[s] = true
	}
	return m
}

// platformMismatch is "" when e may be installed on p, else what does not
// match. os and cpu lists follow npm's rules ("!" excludes; a list of only
// exclusions allows the rest); libc is checked only when the host's is
// known.
func platformMismatch(e *Entry, p Platform) string {
	var bad []string
	if len(e.OS) > 0 && !checkList(p.OS, e.OS) {
		bad = append(bad, fmt.Sprintf("os %v, this is %s", e.OS, p.OS))
	}
	if len(e.CPU) > 0 && !checkList(p.CPU, e.CPU) {
		bad = append(bad, fmt.Sprintf("cpu %v, this is %s", e.CPU, p.CPU))
	}
	if len(e.Libc) > 0 && p.Libc != "" && !checkList(p.Libc, e.Libc) {
		bad = append(bad, fmt.Sprintf("libc %v, this is %s", e.Libc, p.Libc))
	}
	return strings.Join(bad, "; ")
}

func checkList(value string, list []string) bool {
	if len(list) == 1 && (list[0] == "any" || list[0] == "none") {
		return list[0] == "any"
	}
	match, negated := false, 0
	for _, v := range list {
		if t, ok := strings.CutPrefix(v, "!"); ok {
			if t == value {
				return false
			}
			negated++
		} else if v == value {
			match = true
		}
	}
	return match || negated == len(list)
}
