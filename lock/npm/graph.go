package npm

// edgeType is arborist's Edge type.
type edgeType int

const (
	edgeProd edgeType = iota
	edgeDev
	edgeOptional
	edgePeer
	edgePeerOptional
	edgeWorkspace
)

func (t edgeType) String() string {
	return [...]string{"dependencies", "devDependencies", "optionalDependencies", "peerDependencies", "peerDependencies (optional)", "workspaces"}[t]
}

// edge is one dependency of one entry, resolved to the entry node would
// load for it (nil when there is none).
type edge struct {
	from       *node
	name, spec string
	typ        edgeType
	to         *node
}

// optional is arborist's Edge.optional: a failure to install the target
// does not fail the dependent.
func (e *edge) optional() bool { return e.typ == edgeOptional || e.typ == edgePeerOptional }

// loadEdges builds a node's dependency edges like arborist's Node
// _loadDeps: peer (split into peer and peerOptional by
// peerDependenciesMeta), then prod, then optional, each replacing an earlier
// edge of the same name; devDependencies only for the root and project
// directories; and on the root, workspace edges that nothing replaces.
// Links have no edges: their targets do.
func (n *node) loadEdges(l *Lockfile) {
	if n.link {
		return
	}
	n.out = map[string]*edge{}
	add := func(name, spec string, t edgeType) {
		if cur := n.out[name]; cur != nil && cur.typ == edgeWorkspace {
			return
		}
		if _, seen := n.out[name]; !seen {
			n.outOrder = append(n.outOrder, name)
		}
		n.out[name] = &edge{from: n, name: name, spec: spec, typ: t}
	}
	if n == l.root {
		for _, dir := range l.Workspaces {
			w := l.nodes[dir]
			add(w.pkg.Name, "file:"+dir, edgeWorkspace)
		}
	}
	for _, name := range sortedKeys(n.specs[edgePeer]) {
		t := edgePeer
		if n.meta[name] {
			t = edgePeerOptional
		}
		add(name, n.specs[edgePeer][name], t)
	}
	for _, t := range []edgeType{edgeProd, edgeOptional} {
		for _, name := range sortedKeys(n.specs[t]) {
			add(name, n.specs[t][name], t)
		}
	}
	if !n.loc.inNodeModules() {
		for _, name := range sortedKeys(n.specs[edgeDev]) {
			add(name, n.specs[edgeDev][name], edgeDev)
		}
	}
}
