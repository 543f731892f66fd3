package npm

// depFlags are one node's dependency flags as arborist's calc-dep-flags
// leaves them: set means "only reachable that way".
type depFlags struct {
	dev, optional, devOptional, peer, extraneous bool
}

// depFlags computes every node's flags as npm ci sees them.
//
// npm ci loads the lockfile with the project root it read from package.json
// (build-ideal-tree's loadVirtual({root})), which makes arborist distrust
// the lockfile's flags: load-virtual resets them all and recomputes them
// from the dependency graph (calc-dep-flags). So the dev, optional,
// devOptional and peer flags --omit and the platform checks go by are the
// graph's, not the lockfile's record (which differs after a hand-resolved
// merge conflict or an edit), and the lockfile's "extraneous" is not read.
//
// A node left extraneous is reachable from the root by no edge but an
// optional peer one; fixDepFlags removes those (idealTreePrune) before the
// platform and engines checks. npm 11 writes such entries for optional
// peers it placed (react-scripts 5 gets
// node_modules/tailwindcss/node_modules/yaml).
func (l *Lockfile) depFlags() map[*node]*depFlags {
	flags := make(map[*node]*depFlags, len(l.order))
	for _, n := range l.order {
		set := n != l.root
		flags[n] = &depFlags{set, set, set, set, set}
	}
	seen := map[*node]bool{}
	queue := []*node{l.root}
	for len(queue) > 0 {
		n := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		seen[n] = true
		f := flags[n]

		// A needed node keeps the folders it is nested in.
		if !f.extraneous {
			for p := l.resolveParent(n); p != nil && flags[p].extraneous; p = l.resolveParent(p) {
				flags[p].extraneous = false
			}
		}

		if n.link {
			t := flags[n.target]
			changed := false
			for _, c := range []struct{ from, to *bool }{
				{&f.dev, &t.dev}, {&f.optional, &t.optional}, {&f.devOptional, &t.devOptional},
				{&f.peer, &t.peer}, {&f.extraneous, &t.extraneous},
			} {
				if *c.to && !*c.from {
					*c.to, changed = false, true
				}
			}
			if changed || !seen[n.target] {
				queue = append(queue, n.target)
			}
			continue
		}

		for _, name := range n.outOrder {
			e := n.out[name]
			if e.to == nil {
				continue
			}
			to := flags[e.to]
			peer := e.peer()
			optional := e.optional()
			dev := e.typ == edgeDev
			changed := false
			if to.extraneous && !f.extraneous && !(peer && optional) {
				to.extraneous, changed = false, true
			}
			if to.dev && !f.dev && !dev {
				to.dev, changed = false, true
			}
			if to.optional && !f.optional && !optional {
				to.optional, changed = false, true
			}
			if to.devOptional && !f.devOptional && !f.dev && !f.optional && !dev && !optional {
				to.devOptional, changed = false, true
			}
			if to.peer && !f.peer && !peer {
				to.peer, changed = false, true
			}
			if changed {
				queue = append(queue, e.to)
			}
		}
	}
	return flags
}

// resolveParent is arborist's Node.resolveParent: the package folder a
// node_modules entry sits in, or for a project directory (a workspace, a
// file: dependency) the nearest entry whose directory holds it.
func (l *Lockfile) resolveParent(n *node) *node {
	if n == l.root {
		return nil
	}
	if n.loc.inNodeModules() {
		return n.parent
	}
	for dir := n.path; ; {
		i := len(dir) - 1
		for i >= 0 && dir[i] != '/' {
			i--
		}
		if i < 0 {
			return l.root
		}
		dir = dir[:i]
		if p := l.nodes[dir]; p != nil && !p.link {
			return p
		}
	}
}
