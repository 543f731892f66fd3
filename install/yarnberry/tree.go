package yarnberry

import (
	"path"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock/yarnberry"
)

// This file builds yarn's node_modules tree from a lockfile graph: the
// hoister's input (buildPackageTree in yarnpkg-nm's buildNodeModulesTree.ts,
// as yarn 4.18 bundles it), the placement of the hoisted tree
// (populateNodeModulesTree) and the .bin links (the node-modules linker's
// bin symlink pass).

// wsSuffix marks the extra node by which each workspace is attached to
// its parent workspace (WORKSPACE_NAME_SUFFIX).
const wsSuffix = "$wsroot$"

// Placement is one directory of the laid-out tree.
type Placement struct {
	// Location is project-relative ("node_modules/a",
	// "packages/b/node_modules/@s/c").
	Location string
	// Instance is what is placed there.
	Instance *yarnberry.Instance
	// Soft: a symlink to the workspace directory Target (project-relative)
	// instead of a copy of the package.
	Soft   bool
	Target string
}

// Layout is the whole tree: the placements in yarn's order, and the .bin
// links of each directory.
type Layout struct {
	Placements []Placement
	// Bins maps a project-relative directory ("." or "packages/a" or
	// "node_modules/x") to the links of its node_modules/.bin: command
	// name to the project-relative path of the target.
	Bins map[string]map[string]string
	// BinOrder lists the keys of Bins in the order yarn creates them.
	BinOrder []string

	// What node_modules/.yarn-state.yml records: the locator map, the
	// root workspace's locator and the bins by yarn's location keys.
	locators    *omap[*locInfo]
	rootLocator string
	stateBins   *omap[*omap[string]]
}

func locatorKey(in *yarnberry.Instance) string { return in.Locator.String() }

type nodeKey struct {
	name    string
	locator string
}

// buildHoisterTree is buildPackageTree for a graph without hoisting
// limits, portals or links.
func buildHoisterTree(g *yarnberry.Graph) (*hoisterTree, map[string]*yarnberry.Instance) {
	byLocator := map[string]*yarnberry.Instance{}
	for _, in := range g.Instances {
		byLocator[locatorKey(in)] = in
	}
	wsDeps := workspaceChildren(g)
	top := g.Root
	root := &hoisterTree{name: top.Locator.Name, identName: top.Locator.Name, reference: top.Locator.Reference,
		deps: newOset[*hoisterTree](), peerNames: peerSet(top), kind: kindWorkspace}
	nodes := map[nodeKey]*hoisterTree{}

	type dep struct {
		name    string
		target  *yarnberry.Instance
		locName string // the locator's name: the target's, or name for $wsroot$ nodes
	}
	var add func(name string, pkg *yarnberry.Instance, locName string, parent *hoisterTree, parentPkg *yarnberry.Instance, parentDeps *omap[*dep], isTop bool)
	add = func(name string, pkg *yarnberry.Instance, locName string, parent *hoisterTree, parentPkg *yarnberry.Instance, parentDeps *omap[*dep], isTop bool) {
		key := nodeKey{name, locName + "@" + pkg.Locator.Reference}
		node, seen := nodes[key]
		if !seen && locName == top.Locator.Name && pkg == top {
			node = root
			nodes[key] = root
		}
		if node == nil {
			kind := kindRegular
			if pkg.Soft() && strings.HasSuffix(locName, wsSuffix) {
				kind = kindWorkspace
			}
			peers := peerSet(pkg)
			if kind == kindWorkspace {
				peers = newOset[string]()
			}
			node = &hoisterTree{name: name, identName: locName, reference: pkg.Locator.Reference, deps: newOset[*hoisterTree](), peerNames: peers, kind: kind}
			nodes[key] = node
		}
		prio := 0
		if parentPkg.Soft() {
			prio = 1
		}
		if prio > node.hoistPriority {
			node.hoistPriority = prio
		}
		we := newOmap[*dep]()
		for _, e := range pkg.Deps {
			if e.Target == nil {
				we.set(e.Name, nil)
				continue
			}
			we.set(e.Name, &dep{name: e.Name, target: e.Target, locName: e.Target.Locator.Name})
		}
		if pkg.Entry.Kind() == yarnberry.KindWorkspace {
			// A workspace's own peer dependencies come from its parent.
			for _, p := range manifestPeers(pkg.Entry) {
				if !we.has(p) {
					d, _ := parentDeps.get(p)
					we.set(p, d)
					node.peerNames.add(p)
				}
			}
		}
		if children := wsDeps[strings.TrimSuffix(locName, wsSuffix)+"@"+pkg.Locator.Reference]; children != nil {
			for _, ws := range children {
				n := ws.Locator.Name + wsSuffix
				we.set(n, &dep{name: n, target: ws, locName: n})
			}
		}
		parent.deps.add(node)
		noRecurse := !isTop && pkg.Soft() && !strings.HasSuffix(locName, wsSuffix)
		if !seen && !noRecurse {
			we.each(func(_ string, d *dep) bool {
				if d != nil {
					add(d.name, d.target, d.locName, node, pkg, we, false)
				}
				return true
			})
		}
	}
	rootDeps := newOmap[*dep]()
	for _, e := range top.Deps {
		if e.Target != nil {
			rootDeps.set(e.Name, &dep{name: e.Name, target: e.Target, locName: e.Target.Locator.Name})
		}
	}
	add(top.Locator.Name, top, top.Locator.Name, root, top, rootDeps, true)
	return root, byLocator
}

func peerSet(in *yarnberry.Instance) *oset[string] {
	s := newOset[string]()
	if in.Entry.Kind() == yarnberry.KindWorkspace && !in.Virtual() {
		// A workspace's own peers are added where it is attached.
		return s
	}
	for _, p := range in.Entry.Peers() {
		if in.Peers[p] {
			s.add(p)
		}
	}
	return s
}

// manifestPeers are a workspace manifest's peerDependencies, then the
// peerDependenciesMeta names not among them, as buildPackageTree reads
// them from the manifest (without normalizePackage's @types peers).
func manifestPeers(e *yarnberry.Entry) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range e.PeerDependencies {
		if !seen[p.Name] {
			seen[p.Name] = true
			out = append(out, p.Name)
		}
	}
	var meta []string
	for n := range e.PeerOptional {
		if !seen[n] {
			meta = append(meta, n)
		}
	}
	sort.Strings(meta)
	return append(out, meta...)
}

// workspaceChildren maps each workspace's locator to the workspaces whose
// nearest enclosing workspace directory it is, in the order yarn finds
// them (a walk of the dependency graph from every workspace, then the
// directory tree).
func workspaceChildren(g *yarnberry.Graph) map[string][]*yarnberry.Instance {
	canonical := map[*yarnberry.Entry]*yarnberry.Instance{}
	for _, ws := range g.Workspaces {
		canonical[ws.Entry] = ws
	}
	var order []*yarnberry.Instance
	found := map[string]bool{}
	seen := map[*yarnberry.Instance]bool{}
	var walk func(in, parent *yarnberry.Instance)
	walk = func(in, parent *yarnberry.Instance) {
		if seen[in] {
			return
		}
		seen[in] = true
		if in != parent && in.Entry.Kind() == yarnberry.KindWorkspace && !found[in.Entry.WorkspacePath()] {
			// yarn prefers the workspace's own locator to a virtual one.
			found[in.Entry.WorkspacePath()] = true
			order = append(order, canonical[in.Entry])
		}
		for _, e := range in.Deps {
			if e.Target != nil && !in.Peers[e.Name] {
				walk(e.Target, in)
			}
		}
	}
	for _, ws := range g.Workspaces {
		walk(ws, nil)
	}
	type dirNode struct {
		ws       *yarnberry.Instance
		children *omap[*dirNode]
	}
	tree := &dirNode{children: newOmap[*dirNode]()}
	for _, ws := range order {
		n := tree
		if p := ws.Entry.WorkspacePath(); p != "." {
			for _, seg := range strings.Split(p, "/") {
				c, ok := n.children.get(seg)
				if !ok {
					c = &dirNode{children: newOmap[*dirNode]()}
					n.children.set(seg, c)
				}
				n = c
			}
		}
		n.ws = ws
	}
	out := map[string][]*yarnberry.Instance{}
	var visit func(n *dirNode, parent *yarnberry.Instance)
	visit = func(n *dirNode, parent *yarnberry.Instance) {
		if n.ws != nil && parent != nil {
			k := locatorKey(parent)
			out[k] = append(out[k], n.ws)
		}
		next := parent
		if n.ws != nil {
			next = n.ws
		}
		n.children.each(func(_ string, c *dirNode) bool { visit(c, next); return true })
	}
	tree.children.each(func(_ string, c *dirNode) bool { visit(c, tree.ws); return true })
	return out
}

// leaf is a NodeModulesPackageNode.
type leaf struct {
	locator string
	soft    bool
	target  string
	// aliases are the other references of a hoisted node that merged
	// several instances of one package (sorted, after the first).
	aliases []string
}

// buildLayout hoists the graph and places every package. The .bin links
// are computed by the returned function once the packages are in place:
// hasFile reports whether a package-relative file exists in the copy at a
// location (yarn links only bins that exist).
func buildLayout(g *yarnberry.Graph) (*Layout, func(hasFile func(location, rel string) bool), error) {
	tree, byLocator := buildHoisterTree(g)
	hoisted := hoist(tree, nil)

	locs := newOmap[*leaf]()
	leafOf := func(identName string, refs []string) *leaf {
		reference := refs[0]
		in := byLocator[strings.TrimSuffix(identName, wsSuffix)+"@"+reference]
		l := &leaf{locator: identName + "@" + reference, aliases: refs[1:]}
		if in != nil && in.Soft() {
			l.soft = true
			l.target = in.Entry.WorkspacePath()
		}
		return l
	}
	seen := map[*hoisterResult]bool{}
	var build func(pkg *hoisterResult, prefix string)
	build = func(pkg *hoisterResult, prefix string) {
		if seen[pkg] {
			return
		}
		seen[pkg] = true
		refs := pkg.references.list()
		sort.Strings(refs)
		self := strings.Join(refs, "#")
		pkg.deps.each(func(dep *hoisterResult) bool {
			drefs := dep.references.list()
			sort.Strings(drefs)
			if dep.identName == strings.TrimSuffix(pkg.identName, wsSuffix) && strings.Join(drefs, "#") == self {
				return true
			}
			l := leafOf(dep.identName, drefs)
			loc := path.Join(prefix, "node_modules", dep.name)
			if !strings.HasSuffix(dep.name, wsSuffix) {
				locs.set(loc, l)
			}
			next := loc
			if l.soft {
				next = l.target
			}
			build(dep, next)
			return true
		})
	}
	rootRefs := hoisted.references.list()
	build(hoisted, ".")

	lay := &Layout{Bins: map[string]map[string]string{}}
	var err error
	locs.each(func(loc string, l *leaf) bool {
		loc = strings.TrimPrefix(loc, "./")
		name, ref, _ := yarnberry.ParseIdent(l.locator)
		in := byLocator[name+"@"+ref]
		if in == nil {
			err = errorf("internal error: no package %s for %s", l.locator, loc)
			return false
		}
		lay.Placements = append(lay.Placements, Placement{Location: loc, Instance: in, Soft: l.soft, Target: l.target})
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	rootLeaf := leafOf(hoisted.identName, rootRefs[:1])
	return lay, func(hasFile func(location, rel string) bool) {
		lay.computeBins(locs, rootLeaf, byLocator, hasFile)
	}, nil
}

// locNode is a node of yarn's location tree (buildLocationTree).
type locNode struct {
	children *omap[*locNode]
	locator  string
}

func (lay *Layout) computeBins(locs *omap[*leaf], rootLeaf *leaf, byLocator map[string]*yarnberry.Instance, hasFile func(location, rel string) bool) {
	// The locator map (buildLocatorMap): locators in order of first
	// placement, each with its locations sorted as yarn sorts them
	// (descending).
	lm := newOmap[*locInfo]()
	add := func(loc string, l *leaf) {
		info, ok := lm.get(l.locator)
		if !ok {
			info = &locInfo{soft: l.soft, target: l.target, aliases: l.aliases}
			lm.set(l.locator, info)
		}
		info.locations = append(info.locations, loc)
	}
	add(".", rootLeaf)
	locs.each(func(loc string, l *leaf) bool { add(strings.TrimPrefix(loc, "./"), l); return true })
	lm.each(func(_ string, info *locInfo) bool {
		sort.Slice(info.locations, func(i, j int) bool { return info.locations[i] > info.locations[j] })
		return true
	})
	lay.locators = lm
	lay.rootLocator = rootLeaf.locator
	// The location tree (buildLocationTree), keyed as yarn keys it: a
	// soft link's target with a trailing slash ("" for the project
	// root, "packages/a/"), the directory before a location's first
	// node_modules without one (".", "packages/a").
	roots := newOmap[*locNode]()
	getRoot := func(p string) *locNode {
		n, ok := roots.get(p)
		if !ok {
			n = &locNode{children: newOmap[*locNode]()}
			roots.set(p, n)
		}
		return n
	}
	lm.each(func(locator string, info *locInfo) bool {
		if info.soft {
			key := ""
			if info.target != "." {
				key = info.target + "/"
			}
			getRoot(key).locator = locator
		}
		for _, l := range info.locations {
			if l == "." {
				getRoot(".")
				continue
			}
			segs := strings.Split(l, "/")
			i := 0
			for i < len(segs) && segs[i] != "node_modules" {
				i++
			}
			rootPath := "."
			if i > 0 {
				rootPath = strings.Join(segs[:i], "/")
			}
			n := getRoot(rootPath)
			rest := segs[i:]
			for k, s := range rest {
				c, ok := n.children.get(s)
				if !ok {
					c = &locNode{children: newOmap[*locNode]()}
					n.children.set(s, c)
				}
				n = c
				if k == len(rest)-1 {
					n.locator = locator
				}
			}
		}
		return true
	})
	// Each locator's bins, from its first location, if the file exists.
	binsOf := map[string]*omap[string]{}
	lm.each(func(locator string, info *locInfo) bool {
		m := newOmap[string]()
		name, ref, _ := yarnberry.ParseIdent(locator)
		in := byLocator[strings.TrimSuffix(name, wsSuffix)+"@"+ref]
		if in != nil && len(info.locations) > 0 {
			where := info.locations[0]
			if info.soft {
				where = info.target
			}
			names := make([]string, 0, len(in.Entry.Bin))
			for k := range in.Entry.Bin {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				v := in.Entry.Bin[k]
				if v != "" && hasFile(where, v) {
					m.set(k, v)
				}
			}
		}
		binsOf[locator] = m
		return true
	})
	bins := newOmap[*omap[string]]()
	merge := func(at string, add *omap[string]) {
		cur, ok := bins.get(at)
		if !ok {
			cur = newOmap[string]()
			bins.set(at, cur)
		}
		add.each(func(k, v string) bool { cur.set(k, v); return true })
	}
	dirOf := func(key string) string {
		if key == "" {
			return "."
		}
		return strings.TrimSuffix(key, "/")
	}
	var walk func(key string, n *locNode) *omap[string]
	walk = func(key string, n *locNode) *omap[string] {
		f := dirOf(key)
		m := newOmap[string]()
		if n.locator != "" {
			if b := binsOf[n.locator]; b != nil {
				b.each(func(k, v string) bool { m.set(k, path.Join(f, v)); return true })
			}
			n.children.each(func(d string, c *locNode) bool {
				r := path.Join(f, d)
				if sub := walk(r, c); sub.size() > 0 {
					merge(key, sub)
				}
				return true
			})
		} else {
			n.children.each(func(d string, c *locNode) bool {
				sub := walk(path.Join(f, d), c)
				sub.each(func(k, v string) bool {
					if !m.has(k) {
						m.set(k, v)
					}
					return true
				})
				return true
			})
		}
		return m
	}
	roots.each(func(key string, n *locNode) bool {
		if own := walk(key, n); own.size() > 0 {
			merge(key, own)
		}
		return true
	})
	lay.stateBins = bins
	// On disk, keys naming the same directory share its .bin; a later
	// key's link replaces an earlier one's, as yarn writes them in order.
	bins.each(func(key string, m *omap[string]) bool {
		at := dirOf(key)
		out, ok := lay.Bins[at]
		if !ok {
			out = map[string]string{}
			lay.Bins[at] = out
			lay.BinOrder = append(lay.BinOrder, at)
		}
		m.each(func(k, v string) bool { out[k] = v; return true })
		return true
	})
}

type locInfo struct {
	soft      bool
	target    string
	locations []string
	aliases   []string
}
