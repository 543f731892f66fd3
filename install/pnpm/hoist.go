package pnpm

import (
	"regexp"
	"sort"
	"strings"

	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// hoisted is the result of pnpm's hoistGraph.
type hoisted struct {
	// links are the hoisting symlinks made: final location → target.
	links map[string]string
	// privateWithBins are the aliases hoisted privately whose package has
	// bins, in hoisting order.
	privateWithBins []string
	// public are the aliases hoisted publicly.
	public map[string]bool
}

// matcher is @pnpm/matcher's createMatcher: "*" globs, "!" negations.
func matcher(patterns []string) func(string) bool {
	if len(patterns) == 0 {
		return func(string) bool { return false }
	}
	type pat struct {
		re     *regexp.Regexp
		ignore bool
	}
	var ps []pat
	for _, p := range patterns {
		ignore := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		q := regexp.QuoteMeta(p)
		q = strings.ReplaceAll(q, `\*`, ".*")
		ps = append(ps, pat{regexp.MustCompile("^" + q + "$"), ignore})
	}
	if len(ps) == 1 {
		if ps[0].ignore {
			return func(s string) bool { return !ps[0].re.MatchString(s) }
		}
		return ps[0].re.MatchString
	}
	return func(s string) bool {
		matched := false
		for _, p := range ps {
			if p.ignore {
				if p.re.MatchString(s) {
					matched = false
				}
			} else if !matched && p.re.MatchString(s) {
				matched = true
			}
		}
		return matched
	}
}

// hoistDep is one node of pnpm's hoisting walk.
type hoistDep struct {
	nodeID   string
	children []lockpnpm.Dep // DepPath is the child's node ID
	depth    int
}

// hoist mirrors pnpm's @pnpm/hoist (getHoistedDependencies, graphWalker,
// hoistGraph, symlinkHoistedDependencies): a breadth-by-step walk from the
// importers' direct dependencies, sorted by depth and node ID, where the
// first package to claim an alias gets it, and aliases the root importer
// depends on directly are never hoisted. Workspace packages are hoisted
// under their names too (pnpm's hoist-workspace-packages, on by default).
func (b *builder) hoist() *hoisted {
	h := &hoisted{links: map[string]string{}, public: map[string]bool{}}
	sel := b.opts.Selection
	private := b.opts.Hoisting.Private
	if private == nil {
		private = []string{"*"}
	}
	public := b.opts.Hoisting.Public
	if public == nil && b.opts.Major == 9 {
		public = []string{"*eslint*", "*prettier*"}
	}
	b.publicPatterns = public
	b.privatePatterns = private
	isPublic, isPrivate := matcher(public), matcher(private)
	if len(private) == 0 && len(public) == 0 {
		return h
	}

	// graphWalker: the direct dependencies of every importer start it.
	var start []string
	rootChildren := []lockpnpm.Dep{}
	seenAlias := map[string]bool{}
	var wsIDs []string
	for id := range b.opts.WorkspaceNames {
		wsIDs = append(wsIDs, id)
	}
	sort.Strings(wsIDs)
	wsDir := map[string]string{}
	for _, id := range wsIDs {
		name := b.opts.WorkspaceNames[id]
		if name == "" || seenAlias[name] {
			continue
		}
		seenAlias[name] = true
		wsDir["ws:"+id] = id
		rootChildren = append(rootChildren, lockpnpm.Dep{Alias: name, DepPath: "ws:" + id})
	}
	rootDirect := map[string]bool{}
	for _, imp := range sel.Importers {
		for _, d := range allDeps(imp) {
			if d.DepPath == "" {
				continue
			}
			if imp.ID == "." {
				rootDirect[d.Alias] = true
			}
			start = append(start, d.DepPath)
			if !seenAlias[d.Alias] {
				seenAlias[d.Alias] = true
				rootChildren = append(rootChildren, d)
			}
		}
	}
	visited := map[string]bool{}
	type step struct{ nodes []string }
	makeStep := func(ids []string) step {
		var s step
		for _, id := range ids {
			if visited[id] {
				continue
			}
			visited[id] = true
			if sel.Nodes[id] == nil {
				continue
			}
			s.nodes = append(s.nodes, id)
		}
		return s
	}
	childIDs := func(id string) []string {
		var out []string
		for _, c := range sel.Nodes[id].Children {
			out = append(out, c.DepPath)
		}
		return out
	}
	deps := []hoistDep{{nodeID: "", children: rootChildren, depth: -1}}
	var walk func(depth int, s step)
	walk = func(depth int, s step) {
		var next []step
		for _, id := range s.nodes {
			deps = append(deps, hoistDep{nodeID: id, children: sel.Nodes[id].Children, depth: depth})
			next = append(next, makeStep(childIDs(id)))
		}
		for _, ns := range next {
			walk(depth+1, ns)
		}
	}
	walk(0, makeStep(start))
	sort.SliceStable(deps, func(i, j int) bool {
		if deps[i].depth != deps[j].depth {
			return deps[i].depth < deps[j].depth
		}
		return deps[i].nodeID < deps[j].nodeID
	})

	// hoistGraph
	taken := map[string]bool{}
	for a := range rootDirect {
		taken[strings.ToLower(a)] = true
	}
	if b.opts.Major == 9 {
		// pnpm 9 reserves every alias the root importer lists, installed
		// or not (--prod, --no-optional); pnpm 10 only the installed ones.
		for _, imp := range sel.Importers {
			if imp.ID == "." {
				for _, a := range imp.Specifiers {
					taken[strings.ToLower(a)] = true
				}
			}
		}
	}
	withBins := map[string]bool{}
	for _, d := range deps {
		for _, c := range d.children {
			var kind string
			switch {
			case isPublic(c.Alias):
				kind = "public"
			case isPrivate(c.Alias):
				kind = "private"
			default:
				continue
			}
			if taken[strings.ToLower(c.Alias)] {
				continue
			}
			var target string
			if ws, ok := wsDir[c.DepPath]; ok {
				target = ws
			} else if n := sel.Nodes[c.DepPath]; n != nil {
				target = n.Dir
			} else {
				continue
			}
			dir := "node_modules/.pnpm/node_modules"
			if kind == "public" {
				dir = "node_modules"
			}
			at := dir + "/" + c.Alias
			if _, dup := h.links[at]; !dup {
				h.links[at] = target
			}
			if kind == "public" {
				h.public[c.Alias] = true
			}
			if _, isWS := wsDir[c.DepPath]; isWS {
				// pnpm records no hoisted alias for a workspace package.
				continue
			}
			taken[strings.ToLower(c.Alias)] = true
			if kind == "private" && sel.Nodes[c.DepPath].Entry.HasBin && !withBins[c.Alias] {
				withBins[c.Alias] = true
				h.privateWithBins = append(h.privateWithBins, c.Alias)
			}
		}
	}
	ats := make([]string, 0, len(h.links))
	for at := range h.links {
		ats = append(ats, at)
	}
	sort.Strings(ats)
	for _, at := range ats {
		made, err := b.symlink(at, h.links[at])
		if err == nil && made {
			b.res.Hoisted++
		}
		if !made || err != nil {
			delete(h.links, at)
		}
	}
	return h
}
