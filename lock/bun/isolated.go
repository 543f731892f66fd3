package bun

import (
	"fmt"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// StoreKind is what an isolated store entry is.
type StoreKind int

const (
	// StoreRoot is the project itself (its node_modules).
	StoreRoot StoreKind = iota
	// StoreWorkspace is a workspace package (its directory and
	// node_modules).
	StoreWorkspace
	// StorePackage is a registry package in node_modules/.bun.
	StorePackage
)

// StoreEntry is one entry of bun's isolated store: the root, a workspace,
// or a registry package at node_modules/.bun/<StoreName>/node_modules/<name>.
type StoreEntry struct {
	Kind StoreKind
	// Package describes the entry: for StorePackage a registry package
	// whose Path is Dir, for StoreWorkspace the workspace (Path its
	// directory, Bin its bins).
	Package lock.Package
	// StoreName is node_modules/.bun's directory name: name@version with
	// "/" as "+", then "+<16 hex digits>" of its peers' hash when peers
	// shaped it.
	StoreName string
	// Dir is where the package is (the project-relative package
	// directory; "" for the root), Modules the node_modules directory its
	// dependencies are linked into.
	Dir, Modules string
	// Deps are its dependencies, sorted by name.
	Deps []StoreDep
	// Hoisted: bun links it into node_modules/.bun/node_modules/<HoistName>.
	Hoisted   bool
	HoistName string
	// BinDir: see Selection.BinDirs.
	BinDir string
	// NativeBin is the platform package this one's bins are linked to
	// instead (bun's native bin links, esbuild), or nil.
	NativeBin *StoreEntry
}

// StoreDep is a dependency link: node_modules/<Alias> → Target.
type StoreDep struct {
	Alias  string
	Target *StoreEntry
}

// Isolated is what SelectIsolated decided: bun's isolated store.
type Isolated struct {
	// Entries in bun's order; Entries[0] is the root.
	Entries []*StoreEntry
	Skipped []Skipped
}

// behaviour bits of a dependency, in bun's sort order (Behavior.cmp:
// workspace first, then dev, optional, prod, peer).
const (
	behWorkspace = iota
	behDev
	behOptional
	behProd
	behPeer
)

// ipkg is one package of bun's in-memory lockfile: a registry package
// (name@version), a workspace, or the root.
type ipkg struct {
	id    string
	e     *Entry     // registry or workspace entry
	ws    *Workspace // workspace or root
	deps  []idep
	nDeps int // declared dependencies, before any filtering
}

// idep is one dependency of a package, resolved.
type idep struct {
	name     string
	beh      int
	optional bool // optional peer
	pkg      *ipkg
}

// inode is a node of bun's first pass: a package reached along a path,
// with the peers resolved for it.
type inode struct {
	pkg    *ipkg
	dep    *idep // nil for the root
	parent *inode
	deps   []nodeDep // dependencies, peers included once resolved
	peers  []peerRes // transitive peers, sorted by package name
	nodes  []*inode  // children: one symlink each
}

type nodeDep struct {
	dep *idep
	pkg *ipkg
}

type peerRes struct {
	dep  *idep
	pkg  *ipkg
	auto bool
}

// SelectIsolated lays the lockfile out as bun's isolated linker does
// (`bun install --linker=isolated`, src/install/isolated_install.zig):
// every package reached from the root and the workspaces becomes a store
// entry; a package whose peer dependencies resolve differently along
// different paths gets one entry per distinct peer set; dependencies are
// symlinks in each entry's node_modules; the first entry made for each
// dependency name is hoisted into node_modules/.bun/node_modules.
// Options are Select's: --production leaves out the root's and the
// workspaces' devDependencies, optional dependencies can be omitted, and a
// package whose os, cpu or libc does not match is left out.
func (lf *Lockfile) SelectIsolated(o Options) (*Isolated, error) {
	out := &Isolated{}
	pkgs := map[string]*ipkg{}
	byName := map[string]*Workspace{}
	for _, w := range lf.Workspaces[1:] {
		byName[w.Name] = w
	}
	wsPkg := map[string]*ipkg{}
	for _, w := range lf.Workspaces {
		p := &ipkg{id: "workspace:" + w.Path, ws: w}
		wsPkg[w.Path] = p
	}
	skipped := map[string]bool{}
	// pkgOf is the package a lockfile entry is: registry entries with the
	// same name and version are one package, whatever key holds them.
	pkgOf := func(e *Entry) *ipkg {
		if e.Kind == KindWorkspace {
			return wsPkg[e.WorkspacePath]
		}
		id := e.Name + "@" + e.Version
		if p := pkgs[id]; p != nil {
			return p
		}
		p := &ipkg{id: id, e: e}
		pkgs[id] = p
		return p
	}
	// resolve is bun's lookup of a dependency from the package at prefix.
	resolve := lf.keyTrie().resolve
	// build reads a package's dependencies, resolved from prefix.
	var build func(p *ipkg, prefix []string, where string) error
	built := map[*ipkg]bool{}
	build = func(p *ipkg, prefix []string, where string) error {
		if built[p] {
			return nil
		}
		built[p] = true
		type group struct {
			m   map[string]string
			beh int
		}
		var groups []group
		var optPeers map[string]bool
		if p.ws != nil {
			w := p.ws
			groups = []group{{w.Dependencies, behProd}, {w.DevDependencies, behDev}, {w.OptionalDependencies, behOptional}, {w.PeerDependencies, behPeer}}
			optPeers = setOf(w.OptionalPeers)
		} else {
			groups = []group{{p.e.Dependencies, behProd}, {p.e.OptionalDependencies, behOptional}, {p.e.PeerDependencies, behPeer}}
			optPeers = p.e.OptionalPeers
		}
		for _, g := range groups {
			for _, name := range sortedKeys(g.m) {
				p.nDeps++
				if g.beh == behDev && o.NoDev {
					continue
				}
				if g.beh == behOptional && o.NoOptional {
					continue
				}
				d := idep{name: name, beh: g.beh, optional: g.beh == behPeer && optPeers[name]}
				e := resolve(prefix, name)
				if e == nil {
					if g.beh == behProd || g.beh == behDev {
						return fmt.Errorf("lock/bun: %s: %w: %q resolves to no package; run `bun install` to repair the lockfile", where, ErrMissingEntry, name)
					}
					if g.beh == behPeer {
						p.deps = append(p.deps, d) // unresolved: excluded unless a parent has it
					}
					continue
				}
				if e.Kind == KindNpm {
					if e.Bundled {
						continue // inside its parent's archive
					}
					if why := platformMismatch(e, o.Platform); why != "" {
						if !skipped[e.Name+"@"+e.Version] {
							skipped[e.Name+"@"+e.Version] = true
							out.Skipped = append(out.Skipped, Skipped{Package: lf.pkg(e, storeDir(e.Name, e.Version, "")+"/node_modules/"+e.Name, false), Reason: "not for this platform: " + why})
						}
						continue
					}
				}
				d.pkg = pkgOf(e)
				p.deps = append(p.deps, d)
			}
		}
		if p.ws != nil && p.ws.Path == "" {
			// The root depends on every workspace (bun's implicit
			// workspace dependencies).
			for _, w := range lf.Workspaces[1:] {
				p.deps = append(p.deps, idep{name: w.Name, beh: behWorkspace, pkg: wsPkg[w.Path]})
			}
		}
		sort.SliceStable(p.deps, func(i, j int) bool {
			a, b := p.deps[i], p.deps[j]
			if a.beh != b.beh {
				return a.beh < b.beh
			}
			return a.name < b.name
		})
		for _, d := range p.deps {
			if d.pkg == nil {
				continue
			}
			var pre []string
			switch {
			case d.pkg.ws != nil:
				pre = []string{d.pkg.ws.Name}
			default:
				pre = d.pkg.e.Segments
			}
			w := "package " + d.pkg.id
			if d.pkg.ws != nil {
				w = "workspace " + d.pkg.ws.Path
			}
			if err := build(d.pkg, pre, w); err != nil {
				return err
			}
		}
		return nil
	}
	root := wsPkg[""]
	if err := build(root, nil, "the root package.json"); err != nil {
		return nil, err
	}
	for _, w := range lf.Workspaces[1:] {
		found := false
		for _, k := range lf.Keys {
			if e := lf.Entries[k]; e.Kind == KindWorkspace && e.WorkspacePath == w.Path {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("lock/bun: %w: workspace %s (%s) has no package entry; run `bun install` to repair the lockfile", ErrMissingEntry, w.Path, w.Name)
		}
	}

	// First pass: the full tree, with peers resolved (bun's nodes).
	var nodes []*inode
	earlyDedupe := map[*ipkg]*inode{}
	type queued struct {
		parent *inode
		dep    *idep
		pkg    *ipkg
	}
	queue := []queued{{pkg: root}}
	sameName := func(a, b *idep) bool { return a.name == b.name }
next:
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		// A package already on the path: link the earlier node.
		for cur := q.parent; cur != nil; cur = cur.parent {
			if cur.pkg != q.pkg {
				continue
			}
			if cur.dep == nil && q.dep == nil {
				q.parent.nodes = append(q.parent.nodes, cur)
				continue next
			}
			if cur.dep == nil || q.dep == nil {
				break
			}
			if sameName(cur.dep, q.dep) && (cur.dep.beh == behWorkspace) == (q.dep.beh == behWorkspace) {
				q.parent.nodes = append(q.parent.nodes, cur)
				continue next
			}
		}
		skipDeps := q.pkg == root && q.dep != nil
		if q.dep != nil && (q.pkg.nDeps == 0 || q.pkg.ws != nil) {
			if d := earlyDedupe[q.pkg]; d != nil {
				dedupe := true
				if d.dep == nil || !sameName(d.dep, q.dep) {
					dedupe = false
				} else if d.pkg.ws != nil && (d.dep.beh == behWorkspace) != (q.dep.beh == behWorkspace) {
					// Only one of a workspace's nodes carries its
					// dependencies.
					skipDeps = true
					dedupe = false
				}
				if dedupe {
					q.parent.nodes = append(q.parent.nodes, d)
					continue
				}
			} else {
				earlyDedupe[q.pkg] = nil // placeholder, set below
			}
		}
		n := &inode{pkg: q.pkg, dep: q.dep, parent: q.parent}
		if q.dep != nil && (q.pkg.nDeps == 0 || q.pkg.ws != nil) && earlyDedupe[q.pkg] == nil {
			earlyDedupe[q.pkg] = n
		}
		nodes = append(nodes, n)
		if q.parent != nil {
			q.parent.nodes = append(q.parent.nodes, n)
		}
		if skipDeps {
			continue
		}
		var peers []*idep
		for i := range q.pkg.deps {
			d := &q.pkg.deps[i]
			if d.beh != behPeer {
				if d.pkg == nil {
					continue
				}
				n.deps = append(n.deps, nodeDep{d, d.pkg})
				queue = append(queue, queued{n, d, d.pkg})
				continue
			}
			peers = append(peers, d)
		}
	nextPeer:
		for _, pd := range peers {
			var visited []*inode
			var res *ipkg
			auto := false
		search:
			for cur := n; ; cur = cur.parent {
				if cur == nil {
					if pd.optional || pd.pkg == nil {
						continue nextPeer
					}
					res, auto = pd.pkg, true
					break
				}
				for _, d := range cur.deps {
					if d.dep.name == pd.name {
						res = d.pkg
						break search
					}
				}
				for _, tp := range cur.peers {
					if tp.dep.name != pd.name {
						continue
					}
					if !tp.auto {
						res = tp.pkg
						break search
					}
					best := pd.pkg
					if best == nil {
						continue nextPeer
					}
					if best == tp.pkg {
						res, auto = tp.pkg, true
						break search
					}
					for ; cur != nil; cur = cur.parent {
						visited = append(visited, cur)
					}
					res, auto = best, true
					break search
				}
				visited = append(visited, cur)
			}
			for _, v := range visited {
				v.peers = insertPeer(v.peers, peerRes{pd, res, auto})
			}
			if len(visited) > 0 {
				n.deps = append(n.deps, nodeDep{pd, res})
				queue = append(queue, queued{n, pd, res})
			}
		}
	}

	// Second pass: entries, one per package and distinct peer set.
	type dedupeInfo struct {
		entry *StoreEntry
		dep   *idep
		peers []peerRes
	}
	dedupe := map[*ipkg][]dedupeInfo{}
	hidden := map[string]bool{}
	entryOf := map[*StoreEntry]*inode{}
	type qe struct {
		n      *inode
		parent *StoreEntry
	}
	equeue := []qe{{n: nodes[0]}}
	wsEntries := map[string]*StoreEntry{}
nextEntry:
	for len(equeue) > 0 {
		q := equeue[0]
		equeue = equeue[1:]
		n := q.n
		infos, found := dedupe[n.pkg]
		for _, info := range infos {
			if (info.dep == nil) != (n.dep == nil) {
				continue
			}
			if info.dep != nil && n.dep != nil && info.entry.Kind == StoreWorkspace && (info.dep.beh == behWorkspace) != (n.dep.beh == behWorkspace) {
				continue
			}
			if !samePeers(info.peers, n.peers) {
				continue
			}
			if n.dep != nil && n.dep.beh == behWorkspace {
				continue nextEntry
			}
			q.parent.Deps = insertDep(q.parent.Deps, StoreDep{Alias: n.dep.name, Target: info.entry})
			continue nextEntry
		}
		e := &StoreEntry{}
		switch {
		case n.pkg == root:
			e.Kind, e.Modules = StoreRoot, "node_modules"
			e.Package = lock.Package{Ecosystem: lock.NPM, Name: lf.Workspaces[0].Name, Source: lock.SourceWorkspace}
		case n.pkg.ws != nil:
			w := n.pkg.ws
			e.Kind, e.Dir, e.Modules = StoreWorkspace, w.Path, w.Path+"/node_modules"
			e.Package = lock.Package{Ecosystem: lock.NPM, Name: w.Name, Version: w.Version, Path: w.Path, Source: lock.SourceWorkspace, Bin: w.Bin}
			e.BinDir = w.BinDir
			if len(w.Bin) > 0 {
				e.BinDir = ""
			}
		default:
			pe := n.pkg.e
			hash := ""
			if len(n.peers) > 0 {
				var b []byte
				for _, p := range n.peers {
					b = append(b, p.pkg.name()...)
					b = append(b, p.pkg.version()...)
				}
				hash = fmt.Sprintf("%016x", wyhash11(0, b))
			}
			e.Kind = StorePackage
			e.StoreName = storeName(pe.Name, pe.Version, hash)
			e.Modules = "node_modules/.bun/" + e.StoreName + "/node_modules"
			e.Dir = e.Modules + "/" + pe.Name
			e.Package = lf.pkg(pe, e.Dir, false)
			if pe.BinDir != "" && len(pe.Bin) == 0 {
				e.BinDir = pe.BinDir
			}
		}
		if n.dep != nil && n.pkg.e != nil {
			if !hidden[n.dep.name] {
				hidden[n.dep.name] = true
				e.Hoisted, e.HoistName = true, n.dep.name
			}
		} else if n.dep != nil {
			hidden[n.dep.name] = true
		}
		if e.Kind == StoreWorkspace {
			if wsEntries[e.Dir] == nil {
				wsEntries[e.Dir] = e
			}
		}
		out.Entries = append(out.Entries, e)
		entryOf[e] = n
		if q.parent != nil && n.dep.beh != behWorkspace {
			q.parent.Deps = insertDep(q.parent.Deps, StoreDep{Alias: n.dep.name, Target: e})
		}
		dedupe[n.pkg] = append(dedupe[n.pkg], dedupeInfo{e, n.dep, n.peers})
		if found && e.Kind == StoreWorkspace {
			// A second entry for a workspace only names it.
			continue
		}
		for _, c := range n.nodes {
			equeue = append(equeue, qe{c, e})
		}
	}
	lf.isolatedNativeBins(out, o)
	sort.Slice(out.Skipped, func(i, j int) bool { return out.Skipped[i].Package.Path < out.Skipped[j].Package.Path })
	return out, nil
}

func (p *ipkg) name() string {
	if p.e != nil {
		return p.e.Name
	}
	return p.ws.Name
}

func (p *ipkg) version() string {
	if p.e != nil {
		return p.e.Version
	}
	return p.ws.Version
}

// storeName is bun's Store.Entry.fmtStorePath: the name with "/" as "+",
// "@", the version, and the peer hash if any.
func storeName(name, version, hash string) string {
	s := strings.ReplaceAll(name, "/", "+") + "@" + version
	if hash != "" {
		s += "+" + hash
	}
	return s
}

func storeDir(name, version, hash string) string {
	return "node_modules/.bun/" + storeName(name, version, hash)
}

// insertPeer is bun's OrderedArraySet insert of a transitive peer:
// ordered by package name, a package already there (or another with the
// same name) is not added again.
func insertPeer(l []peerRes, p peerRes) []peerRes {
	for i, x := range l {
		if x.pkg == p.pkg {
			return l
		}
		c := strings.Compare(p.pkg.name(), x.pkg.name())
		if c == 0 {
			return l
		}
		if c < 0 {
			return append(l[:i], append([]peerRes{p}, l[i:]...)...)
		}
	}
	return append(l, p)
}

func samePeers(a, b []peerRes) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].pkg != b[i].pkg {
			return false
		}
	}
	return true
}

// insertDep is the OrderedArraySet insert of an entry's dependency:
// ordered by name; a second dependency of the same name is dropped.
func insertDep(l []StoreDep, d StoreDep) []StoreDep {
	for i, x := range l {
		c := strings.Compare(d.Alias, x.Alias)
		if c == 0 {
			return l
		}
		if c < 0 {
			return append(l[:i], append([]StoreDep{d}, l[i:]...)...)
		}
	}
	return append(l, d)
}

// isolatedNativeBins is nativeBinLinks for the isolated store: the bins
// of a listed package (esbuild) link into its first dependency whose os
// and cpu both match the platform, when that package has a store entry.
func (lf *Lockfile) isolatedNativeBins(iso *Isolated, o Options) {
	list := o.NativeBinLinks
	if list == nil {
		list = []string{"esbuild"}
	}
	if len(list) == 0 || o.Platform.OS == "win32" {
		return
	}
	listed := map[string]bool{}
	for _, n := range list {
		listed[n] = true
	}
	first := map[string]*StoreEntry{}
	for _, e := range iso.Entries {
		if e.Kind == StorePackage {
			id := e.Package.Name + "@" + e.Package.Version
			if first[id] == nil {
				first[id] = e
			}
		}
	}
	for _, e := range iso.Entries {
		if e.Kind != StorePackage || !listed[e.Package.Name] || len(e.Package.Bin) == 0 {
			continue
		}
		var src *Entry
		for _, k := range lf.Keys {
			if x := lf.Entries[k]; x.Kind == KindNpm && x.Name == e.Package.Name && x.Version == e.Package.Version {
				src = x
				break
			}
		}
		if src == nil {
			continue
		}
		var deps []string
		deps = append(deps, sortedKeys(src.Dependencies)...)
		deps = append(deps, sortedKeys(src.OptionalDependencies)...)
		for _, d := range deps {
			var c *Entry
			for j := len(src.Segments); j >= 0 && c == nil; j-- {
				k := d
				if j > 0 {
					k = strings.Join(src.Segments[:j], "/") + "/" + d
				}
				c = lf.Entries[k]
			}
			if c == nil || c.Kind != KindNpm || len(c.OS) == 0 || len(c.CPU) == 0 || !checkList(o.Platform.OS, c.OS) || !checkList(o.Platform.CPU, c.CPU) {
				continue
			}
			e.NativeBin = first[c.Name+"@"+c.Version]
			break
		}
	}
}

// String is the entry's location, for messages.
func (e *StoreEntry) String() string {
	switch e.Kind {
	case StoreRoot:
		return "the root"
	case StoreWorkspace:
		return "workspace " + e.Dir
	}
	return e.Dir
}
