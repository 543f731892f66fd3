package bun

import (
	"fmt"
	"slices"
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
	id   string
	e    *Entry     // registry or workspace entry
	ws   *Workspace // workspace or root
	deps []idep     // every declared dependency, in bun's order
	// leaking are the peer names declared in its closure that nothing in
	// the closure provides (bun's leaking_peers).
	leaking map[string]bool
}

// idep is one dependency of a package, resolved by the lockfile's keys.
type idep struct {
	name     string
	beh      int
	optional bool  // optional peer
	pkg      *ipkg // nil: unresolved
	// filtered is bun's isFilteredDependencyOrWorkspace: unresolved (but
	// an optional peer), not for this platform, bundled, or a group
	// this install leaves out.
	filtered bool
	// wsProtocol: a workspace: dependency of one workspace on another.
	wsProtocol bool
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

// MaxIsolatedNodes bounds bun's first pass, whose tree can grow with the
// number of paths through the graph: a lockfile that needs more is
// refused rather than exhausting memory.
const MaxIsolatedNodes = 1 << 20

// MaxIsolatedSteps bounds the ancestor walks of the first pass (peer
// resolution, early deduplication), which cost the depth of the tree for
// every peer: a hostile lockfile of one long chain would take hours.
const MaxIsolatedSteps = 1 << 26

// maxIsolatedNodes and maxIsolatedSteps are the limits, lowered by tests.
var (
	maxIsolatedNodes = MaxIsolatedNodes
	maxIsolatedSteps = MaxIsolatedSteps
)

// SelectIsolated lays the lockfile out as bun's isolated linker does
// (`bun install --linker=isolated`; bun 1.4's build_store in
// src/install/isolated_install.rs): a depth-first walk from the root
// resolves every peer dependency along its path (the nearest ancestor
// providing the name, else the lockfile's own resolution), then a
// breadth-first pass makes one store entry per package and distinct set of
// resolved peers (node_modules/.bun/<name>@<version>[+<peer hash>]);
// dependencies are symlinks in each entry's node_modules, and the first
// entry made for each dependency name is hoisted into
// node_modules/.bun/node_modules. Options are Select's: --production leaves
// out the root's and the workspaces' devDependencies, optional
// dependencies can be omitted, and a package whose os, cpu or libc does
// not match is left out.
func (lf *Lockfile) SelectIsolated(o Options) (*Isolated, error) {
	out := &Isolated{}
	pkgs := map[string]*ipkg{}
	wsPkg := map[string]*ipkg{}
	var all []*ipkg
	for _, w := range lf.Workspaces {
		p := &ipkg{id: "workspace:" + w.Path, ws: w}
		wsPkg[w.Path] = p
		all = append(all, p)
	}
	root := wsPkg[""]
	for _, w := range lf.Workspaces[1:] {
		found := false
		for _, k := range lf.Keys {
			if e := lf.Entries[k]; e.Kind == KindWorkspace && e.WorkspacePath == w.Path {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("lock/bun: %w: workspace %s (%s) has no package entry; run `bun install` to repair the lockfile", ErrMissingEntry, w.Path, w.Name)
		}
	}
	// Registry entries with the same name and version are one package,
	// whatever key holds them; its dependencies resolve from its first key.
	for _, k := range lf.Keys {
		e := lf.Entries[k]
		if e.Kind != KindNpm {
			continue
		}
		id := e.Name + "@" + e.Version
		if pkgs[id] == nil {
			pkgs[id] = &ipkg{id: id, e: e}
			all = append(all, pkgs[id])
		}
	}
	pkgOf := func(e *Entry) *ipkg {
		if e.Kind == KindWorkspace {
			return wsPkg[e.WorkspacePath]
		}
		return pkgs[e.Name+"@"+e.Version]
	}
	resolve := lf.keyTrie().resolve
	skipped := map[*ipkg]bool{}
	for _, p := range all {
		type group struct {
			m   map[string]string
			beh int
		}
		var groups []group
		var optPeers map[string]bool
		var prefix []string
		local := p.ws != nil
		where := "package " + p.id
		if local {
			w := p.ws
			groups = []group{{w.Dependencies, behProd}, {w.DevDependencies, behDev}, {w.OptionalDependencies, behOptional}, {w.PeerDependencies, behPeer}}
			optPeers = setOf(w.OptionalPeers)
			if w.Path != "" {
				prefix = []string{w.Name}
				where = "workspace " + w.Path
			} else {
				where = "the root package.json"
			}
		} else {
			groups = []group{{p.e.Dependencies, behProd}, {p.e.OptionalDependencies, behOptional}, {p.e.PeerDependencies, behPeer}}
			optPeers = p.e.OptionalPeers
			prefix = p.e.Segments
		}
		for _, g := range groups {
			for _, name := range sortedKeys(g.m) {
				d := idep{name: name, beh: g.beh, optional: g.beh == behPeer && optPeers[name]}
				if e := resolve(prefix, name); e != nil {
					d.pkg = pkgOf(e)
					d.wsProtocol = e.Kind == KindWorkspace
				}
				switch {
				case d.pkg == nil:
					if (g.beh == behProd || g.beh == behDev && local) && !(g.beh == behDev && o.NoDev) {
						return nil, fmt.Errorf("lock/bun: %s: %w: %q resolves to no package; run `bun install` to repair the lockfile", where, ErrMissingEntry, name)
					}
					d.filtered = !d.optional
				case d.pkg.e != nil && d.pkg.e.Kind == KindNpm && platformMismatch(d.pkg.e, o.Platform) != "":
					d.filtered = true
					if !skipped[d.pkg] {
						skipped[d.pkg] = true
						e := d.pkg.e
						out.Skipped = append(out.Skipped, Skipped{Package: lf.pkg(e, storeDir(e.Name, e.Version, "")+"/node_modules/"+e.Name, false), Reason: "not for this platform: " + platformMismatch(e, o.Platform)})
					}
				case d.pkg.e != nil && d.pkg.e.Bundled:
					d.filtered = true // inside its parent's archive
				case g.beh == behDev && o.NoDev, g.beh == behOptional && o.NoOptional:
					d.filtered = true
				}
				p.deps = append(p.deps, d)
			}
		}
		if p == root {
			// The root depends on every workspace (bun's implicit
			// workspace dependencies).
			for _, w := range lf.Workspaces[1:] {
				p.deps = append(p.deps, idep{name: w.Name, beh: behWorkspace, pkg: wsPkg[w.Path], wsProtocol: true})
			}
		}
		sort.SliceStable(p.deps, func(i, j int) bool {
			a, b := p.deps[i], p.deps[j]
			if a.beh != b.beh {
				return a.beh < b.beh
			}
			return a.name < b.name
		})
	}
	lf.leakingPeers(all)
	rootDeclares := map[*ipkg]bool{}
	for _, d := range root.deps {
		if d.beh == behWorkspace && !d.filtered {
			rootDeclares[d.pkg] = true
		}
	}

	// First pass: the full tree, depth first, with peers resolved (bun's
	// nodes).
	var nodes []*inode
	earlyDedupe := map[string]*inode{}
	type queued struct {
		parent *inode
		dep    *idep
		pkg    *ipkg
	}
	stack := []queued{{pkg: root}}
	var path []*inode
	onPath := map[*ipkg][]*inode{}
	steps := 0
	tooLarge := func() error {
		return fmt.Errorf("lock/bun: %w: bun's isolated layout of this lockfile needs more than %d nodes or %d steps; install it with bun's hoisted linker ([install] linker = \"hoisted\" in bunfig.toml)", ErrTooLarge, maxIsolatedNodes, maxIsolatedSteps)
	}
next:
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		// The walk is depth first, so q's parent is on the current path:
		// unwind the path to it.
		for len(path) > 0 && path[len(path)-1] != q.parent {
			top := path[len(path)-1]
			onPath[top.pkg] = onPath[top.pkg][:len(onPath[top.pkg])-1]
			path = path[:len(path)-1]
		}
		// A package already on the path: link the earlier node (nearest
		// first, as bun walks up).
		same := onPath[q.pkg]
		for i := len(same) - 1; i >= 0; i-- {
			cur := same[i]
			if cur.dep == nil && q.dep == nil {
				q.parent.nodes = append(q.parent.nodes, cur)
				continue next
			}
			if cur.dep == nil || q.dep == nil {
				break
			}
			if cur.dep.name == q.dep.name && (cur.dep.beh == behWorkspace) == (q.dep.beh == behWorkspace) {
				q.parent.nodes = append(q.parent.nodes, cur)
				continue next
			}
		}
		skipDeps := q.pkg == root && q.dep != nil
		key, keyNew := "", false
		if q.dep != nil {
			if q.dep.wsProtocol && q.dep.beh != behWorkspace && rootDeclares[q.pkg] {
				// The root's implicit dependency owns the workspace's
				// dependencies.
				skipDeps = true
			}
			key = q.pkg.id + "\x00" + ctxKey(q.parent, q.pkg, q.dep, &steps)
			if d, ok := earlyDedupe[key]; ok {
				if d.dep != nil && d.dep.name == q.dep.name && d.dep.wsProtocol == q.dep.wsProtocol &&
					!(d.dep.wsProtocol && (d.dep.beh == behWorkspace) != (q.dep.beh == behWorkspace)) {
					// The skipped subtree would have marked the path with
					// its leaking peers: mark it with the copy's.
					for _, pr := range d.peers {
					walk:
						for cur := q.parent; cur != nil; cur = cur.parent {
							steps++
							for _, cd := range cur.deps {
								if cd.dep.name == pr.dep.name {
									break walk
								}
							}
							if cur.pkg != pr.pkg {
								cur.peers = insertPeer(cur.peers, pr)
							}
						}
					}
					q.parent.nodes = append(q.parent.nodes, d)
					continue
				}
			} else {
				keyNew = true
			}
		}
		n := &inode{pkg: q.pkg, dep: q.dep, parent: q.parent}
		if keyNew {
			earlyDedupe[key] = n
		}
		if len(nodes) >= maxIsolatedNodes || steps > maxIsolatedSteps {
			return nil, tooLarge()
		}
		nodes = append(nodes, n)
		path = append(path, n)
		onPath[n.pkg] = append(onPath[n.pkg], n)
		if q.parent != nil {
			q.parent.nodes = append(q.parent.nodes, n)
		}
		if skipDeps {
			continue
		}
		mark := len(stack)
		var peers []*idep
		for i := range q.pkg.deps {
			d := &q.pkg.deps[i]
			if d.filtered {
				continue
			}
			if d.beh != behPeer {
				n.deps = append(n.deps, nodeDep{d, d.pkg})
				stack = append(stack, queued{n, d, d.pkg})
				continue
			}
			peers = append(peers, d)
		}
		for _, pd := range peers {
			var visited []*inode
			var res *ipkg
			auto := false
		search:
			for cur := n; ; cur = cur.parent {
				steps++
				if cur == nil {
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
					if best == nil || best == tp.pkg {
						res, auto = best, true
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
			if res == nil {
				// An optional peer nothing provides: left out.
				continue
			}
			for _, v := range visited {
				// A package is never its own peer (a package whose
				// dependency peers back on it keeps one entry; bun 1.4.5
				// names browserslist and @babel/core without a suffix).
				if v.pkg != res {
					v.peers = insertPeer(v.peers, peerRes{pd, res, auto})
				}
			}
			if len(visited) > 0 {
				n.deps = append(n.deps, nodeDep{pd, res})
				stack = append(stack, queued{n, pd, res})
			}
		}
		// The stack pops the last pushed first: reverse the children so
		// they are visited in order.
		slices.Reverse(stack[mark:])
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
		infos := dedupe[n.pkg]
		for _, info := range infos {
			if (info.dep == nil) != (n.dep == nil) {
				continue
			}
			if info.dep != nil && n.dep != nil && info.dep.wsProtocol && n.dep.wsProtocol && (info.dep.beh == behWorkspace) != (n.dep.beh == behWorkspace) {
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
					b = append(b, p.pkg.resolution()...)
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

// resolution is how bun prints the package's resolution into a peer
// hash: the version of a registry package, "workspace:<path>" of a
// workspace, nothing for the root.
func (p *ipkg) resolution() string {
	switch {
	case p.e != nil && p.e.Kind == KindNpm:
		return p.e.Version
	case p.ws != nil && p.ws.Path != "":
		return "workspace:" + p.ws.Path
	}
	return ""
}

// leakingPeers is bun's leaking_peers: for every package, the peer
// dependency names declared in its closure that the closure does not
// provide, to a fixpoint. A peer edge may become any package some
// dependency of that name resolves to anywhere in the lockfile.
func (lf *Lockfile) leakingPeers(all []*ipkg) {
	targets := map[string][]*ipkg{}
	for _, p := range all {
		for _, d := range p.deps {
			if d.beh == behPeer {
				if _, ok := targets[d.name]; !ok {
					targets[d.name] = nil
				}
			}
		}
	}
	for _, p := range all {
		for _, d := range p.deps {
			if l, ok := targets[d.name]; ok && d.pkg != nil && !slices.Contains(l, d.pkg) {
				targets[d.name] = append(l, d.pkg)
			}
		}
	}
	// A package's set depends on its dependencies' and on every peer
	// target's: recompute a package whenever one of those grows (a
	// worklist; bun iterates over all packages until nothing changes,
	// which a long chain makes quadratic).
	dependents := map[*ipkg][]*ipkg{}
	for _, p := range all {
		p.leaking = map[string]bool{}
		for _, d := range p.deps {
			if d.beh == behPeer {
				for _, t := range targets[d.name] {
					dependents[t] = append(dependents[t], p)
				}
			} else if d.pkg != nil {
				dependents[d.pkg] = append(dependents[d.pkg], p)
			}
		}
	}
	queue := slices.Clone(all)
	queued := map[*ipkg]bool{}
	for _, p := range all {
		queued[p] = true
	}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		queued[p] = false
		grew := false
		add := func(n string) {
			if !p.leaking[n] && !provides(p, n) {
				p.leaking[n] = true
				grew = true
			}
		}
		for _, d := range p.deps {
			if d.beh == behPeer {
				add(d.name)
				for _, t := range targets[d.name] {
					for n := range t.leaking {
						add(n)
					}
				}
			} else if d.pkg != nil {
				for n := range d.pkg.leaking {
					add(n)
				}
			}
		}
		if grew {
			for _, q := range dependents[p] {
				if !queued[q] {
					queued[q] = true
					queue = append(queue, q)
				}
			}
		}
	}
}

// provides reports whether p has a non-peer dependency named n that this
// install keeps (bun's provides set).
func provides(p *ipkg, n string) bool {
	for _, d := range p.deps {
		if d.name == n && d.beh != behPeer && !d.filtered {
			return true
		}
	}
	return false
}

// ctxKey is bun's ctx_hash for early deduplication: for each peer name
// leaking out of pkg's closure, what the path above parent resolves it to.
// Two nodes of one package with the same key end up with the same peers.
func ctxKey(parent *inode, pkg *ipkg, dep *idep, steps *int) string {
	if dep.wsProtocol || len(pkg.leaking) == 0 {
		return ""
	}
	names := make([]string, 0, len(pkg.leaking))
	for n := range pkg.leaking {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(0)
	find:
		for cur := parent; cur != nil; cur = cur.parent {
			*steps++
			for _, d := range cur.deps {
				if d.dep.name == name {
					b.WriteString(d.pkg.id)
					break find
				}
			}
			for _, p := range cur.peers {
				if !p.auto && p.dep.name == name {
					b.WriteString(p.pkg.id)
					break find
				}
			}
		}
		b.WriteByte(0)
	}
	return b.String()
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

// Selection describes the store as a Selection for the code that handles
// any bun install (policy, fetching, airlock verify): Install lists every
// registry package once (Path its first store directory) and every
// workspace (SourceWorkspace, with its bins), sorted by Path; Isolated is
// iso, so install/bun lays out the isolated tree.
func (iso *Isolated) Selection() *Selection {
	sel := &Selection{Skipped: iso.Skipped, BinDirs: map[string]string{}, Isolated: iso}
	seen := map[string]bool{}
	for _, e := range iso.Owners() {
		switch e.Kind {
		case StorePackage:
			if id := e.Package.Name + "@" + e.Package.Version; !seen[id] {
				seen[id] = true
				sel.Install = append(sel.Install, e.Package)
			}
		case StoreWorkspace:
			sel.Install = append(sel.Install, e.Package)
		}
	}
	sort.Slice(sel.Install, func(i, j int) bool { return sel.Install[i].Path < sel.Install[j].Path })
	return sel
}

// IsolatedPackages lists every registry package at each store directory
// bun's isolated linker gives it on platform p, with or without dev and
// optional dependencies (peers may resolve differently, and so name
// entries differently, when those are left out), sorted by Path: for
// airlock audit, which looks at those it finds on disk, as Packages lists
// the hoisted places.
func (lf *Lockfile) IsolatedPackages(p Platform) ([]lock.Package, error) {
	seen := map[string]bool{}
	var out []lock.Package
	for _, o := range []Options{{}, {NoDev: true}, {NoOptional: true}, {NoDev: true, NoOptional: true}} {
		o.Platform = p
		iso, err := lf.SelectIsolated(o)
		if err != nil {
			return nil, err
		}
		for _, e := range iso.Entries {
			if e.Kind == StorePackage && !seen[e.Dir] {
				seen[e.Dir] = true
				out = append(out, e.Package)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Link is a symlink of the isolated layout: At, a project-relative path,
// points to the directory To (relative to the project; "." for the root).
type Link struct{ At, To string }

// Owners are the entries that lay out a node_modules of their own, in
// store order: the root, the first entry of each workspace (bun links a
// workspace's dependencies once), and every registry package.
func (iso *Isolated) Owners() []*StoreEntry {
	var out []*StoreEntry
	seen := map[string]bool{}
	for _, e := range iso.Entries {
		if e.Kind == StoreWorkspace {
			if seen[e.Dir] {
				continue
			}
			seen[e.Dir] = true
		}
		out = append(out, e)
	}
	return out
}

// Links lists the layout's dependency symlinks (each owner's
// dependencies in its node_modules) and hoisting symlinks
// (node_modules/.bun/node_modules/<name>), bins aside.
func (iso *Isolated) Links() []Link {
	var out []Link
	for _, e := range iso.Owners() {
		for _, d := range e.Deps {
			at := e.Modules + "/" + d.Alias
			if e.Kind == StorePackage && d.Alias == e.Package.Name {
				// bun nests a dependency named like the package itself
				// one level down, so the two do not collide.
				at = e.Modules + "/" + d.Alias + "/node_modules/" + d.Alias
			}
			to := d.Target.Dir
			if d.Target.Kind == StoreRoot {
				to = "."
			}
			out = append(out, Link{at, to})
		}
	}
	for _, e := range iso.Entries {
		if e.Kind == StorePackage && e.Hoisted {
			out = append(out, Link{"node_modules/.bun/node_modules/" + e.HoistName, e.Dir})
		}
	}
	return out
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
