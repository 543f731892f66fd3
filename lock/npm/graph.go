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

// depFields are the dependency maps of an entry or package.json, each
// named by its edge type's String.
var depFields = []edgeType{edgeProd, edgeOptional, edgePeer, edgeDev}

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

// peer is arborist's Edge.peer.
func (e *edge) peer() bool { return e.typ == edgePeer || e.typ == edgePeerOptional }

// loadEdges builds a node's dependency edges from its lockfile entry (see
// buildEdges). Links have no edges: their targets do.
func (n *node) loadEdges(l *Lockfile) {
	if n.link {
		return
	}
	var ws [][2]string
	if n == l.root {
		for _, dir := range l.Workspaces {
			ws = append(ws, [2]string{l.nodes[dir].pkg.Name, dir})
		}
	}
	n.outOrder, n.out = buildEdges(n, l.edgeSpecs(n.specs), n.meta, !n.loc.inNodeModules(), ws)
}

// edgeSpecs is specs without the peer dependencies under legacy-peer-deps.
func (l *Lockfile) edgeSpecs(specs map[edgeType]map[string]string) map[edgeType]map[string]string {
	if !l.legacyPeerDeps || len(specs[edgePeer]) == 0 {
		return specs
	}
	out := make(map[edgeType]map[string]string, len(specs))
	for t, m := range specs {
		if t != edgePeer {
			out[t] = m
		}
	}
	return out
}

// buildEdges is arborist's Node _loadDeps: peer (split into peer and
// peerOptional by peerDependenciesMeta), then prod, then optional, each
// replacing an earlier edge of the same name; devDependencies only for a
// top node (the root and project directories); and, for the root, workspace
// edges (name, dir) that nothing replaces.
func buildEdges(from *node, specs map[edgeType]map[string]string, meta map[string]bool, withDev bool, workspaces [][2]string) ([]string, map[string]*edge) {
	out := map[string]*edge{}
	var order []string
	add := func(name, spec string, t edgeType) {
		if cur := out[name]; cur != nil && cur.typ == edgeWorkspace {
			return
		}
		if _, seen := out[name]; !seen {
			order = append(order, name)
		}
		out[name] = &edge{from: from, name: name, spec: spec, typ: t}
	}
	for _, w := range workspaces {
		add(w[0], "file:"+w[1], edgeWorkspace)
	}
	for _, name := range sortedKeys(specs[edgePeer]) {
		t := edgePeer
		if meta[name] {
			t = edgePeerOptional
		}
		add(name, specs[edgePeer][name], t)
	}
	types := []edgeType{edgeProd, edgeOptional}
	if withDev {
		types = append(types, edgeDev)
	}
	for _, t := range types {
		for _, name := range sortedKeys(specs[t]) {
			add(name, specs[t][name], t)
		}
	}
	return order, out
}
