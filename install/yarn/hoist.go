package yarn

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// This file is yarn 1.22's src/package-hoister.js (PackageHoister),
// without --focus and Plug'n'Play, transcribed function by function
// so that the layout follows it wherever its rules are surprising: the
// prepass that hoists the most-used version of a conflicting package, the
// level-by-level queue sorted by pattern (and packages with peer
// dependencies moved to the end of each level, since the "available" set
// holds patterns while peers are names), the taints that stop a later
// package from taking a name an earlier one was hoisted past, and the
// "required" marks by which devDependencies under --production and
// incompatible optional packages still take their place in the tree but
// are not installed. Its NohoistResolver is nohoist.go.

// hoistInfo is yarn's HoistManifest.
type hoistInfo struct {
	key             string
	parts           []string
	ref             *ref
	isDirectRequire bool
	isRequired      bool
	isIncompatible  bool
	// nohoist info (NohoistResolver.initNohoist)
	isNohoist          bool
	nohoistList        []string
	originalParentPath string
}

// Bounds on the hoister's work. A lockfile whose cycles conflict so that
// no copy can be deduplicated nests without end (each level another
// copy); yarn would never finish such a tree, airlock refuses it.
const (
	// MaxDepth is the deepest nesting of node_modules laid out.
	MaxDepth = 100
	// MaxSeeds bounds the packages the hoister places or deduplicates.
	MaxSeeds = 5_000_000
	// maxPrepassVisits bounds the prepass's walk of every path.
	maxPrepassVisits = 50_000_000
)

// ErrTooDeep: the hoister went over MaxDepth or MaxSeeds.
var ErrTooDeep = errors.New("dependency tree too deep or too large to lay out")

type hoister struct {
	seeds, visits int
	err           error
	g             *graph
	tree          map[string]*hoistInfo
	order         []string // keys in first-insertion order, like a JS Map
	tainted       map[string]*hoistInfo
	levelQueue    []queued
	// wsRootName and wsRootNohoist are NohoistResolver's
	// _wsRootPackageName (the workspace aggregator's name, "" without
	// workspaces) and _wsRootNohoistList.
	wsRootName    string
	wsRootNohoist []string
}

type queued struct {
	pattern string
	parent  *hoistInfo
}

func newHoister(g *graph) *hoister {
	h := &hoister{g: g, tree: map[string]*hoistInfo{}, tainted: map[string]*hoistInfo{}}
	if g.aggregator != nil {
		h.wsRootName = g.aggregator.name
		h.wsRootNohoist = h.extractNohoist(g.aggregator, g.aggregator.name)
	}
	return h
}

func implode(parts []string) string { return strings.Join(parts, "#") }

func (h *hoister) set(key string, info *hoistInfo) {
	if _, ok := h.tree[key]; !ok {
		h.order = append(h.order, key)
	}
	h.tree[key] = info
}

func (h *hoister) del(key string) {
	if _, ok := h.tree[key]; !ok {
		return
	}
	delete(h.tree, key)
	for i, k := range h.order {
		if k == key {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
}

// taintKey reserves key for info unless another package holds it.
func (h *hoister) taintKey(key string, info *hoistInfo) bool {
	if t := h.tainted[key]; t != nil && t.ref != info.ref {
		return false
	}
	h.tainted[key] = info
	return true
}

// dedupe is resolver.dedupePatterns: the first pattern of each package.
func (h *hoister) dedupe(patterns []string) []string {
	seen := map[*ref]bool{}
	var out []string
	for _, p := range patterns {
		r := h.g.resolve(p)
		if seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, p)
	}
	return out
}

// seed is PackageHoister.seed.
func (h *hoister) seed(patterns []string) {
	h.prepass(patterns)
	for _, p := range h.dedupe(patterns) {
		h.seedOne(p, true, nil)
	}
	for {
		queue := h.levelQueue
		if len(queue) == 0 {
			h.propagateRequired()
			return
		}
		h.levelQueue = nil
		sort.SliceStable(queue, func(i, j int) bool { return queue[i].pattern < queue[j].pattern })
		var sorted []queued
		available := map[string]bool{}
		changed := true
		for len(queue) > 0 && changed {
			changed = false
			rest := queue
			queue = nil
			for _, it := range rest {
				r := h.g.resolve(it.pattern)
				ok := true
				for _, peer := range r.peerNames {
					if !available[peer] {
						ok = false
						break
					}
				}
				if ok {
					sorted = append(sorted, it)
					available[it.pattern] = true
					changed = true
				} else {
					queue = append(queue, it)
				}
			}
		}
		sorted = append(sorted, queue...)
		for _, it := range sorted {
			if h.seeds++; h.seeds > MaxSeeds || len(it.parent.parts) >= MaxDepth {
				h.err = fmt.Errorf("%w: %s (reached through %s)", ErrTooDeep, it.pattern, strings.Join(it.parent.parts, " > "))
				return
			}
			if info := h.seedOne(it.pattern, false, it.parent); info != nil {
				h.hoist(info)
			}
		}
	}
}

// seedOne is PackageHoister._seed.
func (h *hoister) seedOne(pattern string, direct bool, parent *hoistInfo) *hoistInfo {
	r := h.g.resolve(pattern)
	required := direct && !r.ignore && !r.incompatible
	var parentParts []string
	if parent != nil {
		if h.tree[parent.key] == nil {
			return nil
		}
		if !direct && !r.incompatible && parent.isRequired {
			required = true
		}
		parentParts = parent.parts
	}
	parts := append(append([]string(nil), parentParts...), r.name)
	key := implode(parts)
	info := &hoistInfo{key: key, parts: parts, ref: r, isDirectRequire: direct, isRequired: required, isIncompatible: r.incompatible}
	h.initNohoist(info, parent)
	h.set(key, info)
	h.taintKey(key, info)
	pushed := map[string]bool{}
	for _, dp := range r.deps {
		if !pushed[dp] {
			h.levelQueue = append(h.levelQueue, queued{dp, info})
			pushed[dp] = true
		}
	}
	return info
}

// propagateRequired is PackageHoister._propagateRequired.
func (h *hoister) propagateRequired() {
	var visit []*hoistInfo
	for _, k := range h.order {
		if info := h.tree[k]; info.isRequired {
			visit = append(visit, info)
		}
	}
	for len(visit) > 0 {
		info := visit[0]
		visit = visit[1:]
		for _, dp := range info.ref.deps {
			dep := h.lookupDependency(info, dp)
			if dep == nil {
				continue
			}
			if !dep.isRequired && !dep.isIncompatible {
				dep.isRequired = true
				visit = append(visit, dep)
			}
		}
	}
}

// lookupDependency is PackageHoister._lookupDependency.
func (h *hoister) lookupDependency(info *hoistInfo, pattern string) *hoistInfo {
	r := h.g.resolve(pattern)
	for i := len(info.parts); i >= 0; i-- {
		check := append(append([]string(nil), info.parts[:i]...), r.name)
		if e := h.tree[implode(check)]; e != nil {
			return e
		}
	}
	return nil
}

// newParts is PackageHoister.getNewParts: a nohoist package is not
// hoisted above the first element of its parts (highestHoistingPoint).
func (h *hoister) newParts(key string, info *hoistInfo, parts []string) ([]string, bool) {
	stepUp := false
	highest := h.highestHoistingPoint(info)
	name := parts[len(parts)-1]
	parts = parts[:len(parts)-1]
	var stack []string
	for i := len(parts) - 1; i >= highest; i-- {
		check := append(append([]string(nil), parts[:i]...), name)
		ck := implode(check)
		if e := h.tree[ck]; e != nil {
			if e.ref == info.ref {
				if !e.isRequired && info.isRequired {
					e.isRequired = true
				}
				return check, true
			}
			break
		}
		if t := h.tainted[ck]; t != nil && t.ref != info.ref {
			break
		}
	}
hoistLoop:
	for len(parts) > highest {
		for _, peer := range info.ref.peerNames {
			if h.tree[implode(append(append([]string(nil), parts...), peer))] != nil {
				break hoistLoop
			}
		}
		ck := implode(append(append([]string(nil), parts...), name))
		if h.tree[ck] != nil {
			stepUp = true
			break
		}
		if key != ck && h.tainted[ck] != nil {
			stepUp = true
			break
		}
		stack = append(stack, parts[len(parts)-1])
		parts = parts[:len(parts)-1]
	}
	parts = append(parts, name)
	valid := func(parts []string) bool {
		// a nohoist package can't be hoisted to the "root"
		if len(parts) <= highest {
			return false
		}
		k := implode(parts)
		if e := h.tree[k]; e != nil && e.ref == info.ref {
			return true
		}
		if t := h.tainted[k]; t != nil && t.ref != info.ref {
			return false
		}
		return true
	}
	if !valid(parts) {
		stepUp = true
	}
	for stepUp && len(stack) > 0 {
		parts = parts[:len(parts)-1]
		parts = append(parts, stack[len(stack)-1], name)
		stack = stack[:len(stack)-1]
		if valid(parts) {
			stepUp = false
		}
	}
	return parts, false
}

// hoist is PackageHoister.hoist.
func (h *hoister) hoist(info *hoistInfo) {
	oldKey, rawParts := info.key, info.parts
	h.del(oldKey)
	parts, duplicate := h.newParts(oldKey, info, append([]string(nil), rawParts...))
	newKey := implode(parts)
	if duplicate {
		h.taintParents(info, rawParts[:len(rawParts)-1], len(parts)-1)
		return
	}
	if oldKey == newKey {
		h.setKey(info, oldKey, rawParts)
		return
	}
	h.taintParents(info, rawParts[:len(rawParts)-1], len(parts)-1)
	h.setKey(info, newKey, parts)
}

// taintParents is PackageHoister.taintParents.
func (h *hoister) taintParents(info *hoistInfo, processParts []string, start int) {
	for i := start; i < len(processParts); i++ {
		parts := append(append([]string(nil), processParts[:i]...), info.ref.name)
		h.taintKey(implode(parts), info)
	}
}

func (h *hoister) setKey(info *hoistInfo, key string, parts []string) {
	info.key, info.parts = key, parts
	h.set(key, info)
}

// prepass is PackageHoister.prepass: when several versions of a package
// occur, the one depended on by the most packages is seeded at the top
// first (unless a root dependency has that name).
func (h *hoister) prepass(patterns []string) {
	patterns = h.dedupe(patterns)
	sort.Strings(patterns)
	type visit struct {
		r        *ref
		ancestry []*ref
		pattern  string
	}
	type occ struct {
		pattern string
		parents map[*ref]bool
	}
	visited := map[string][]*visit{}
	occurrences := map[string]map[string]*occ{}
	visitAdd := func(r *ref, ancestry []*ref, pattern string) {
		versions := occurrences[r.name]
		if versions == nil {
			versions = map[string]*occ{}
			occurrences[r.name] = versions
		}
		o := versions[r.version]
		if o == nil {
			o = &occ{pattern: pattern, parents: map[*ref]bool{}}
			versions[r.version] = o
		}
		if len(ancestry) > 0 {
			o.parents[ancestry[len(ancestry)-1]] = true
		}
	}
	var add func(pattern string, ancestry []*ref, ancestryPatterns []string)
	add = func(pattern string, ancestry []*ref, ancestryPatterns []string) {
		if h.visits++; h.visits > maxPrepassVisits {
			h.err = fmt.Errorf("%w: the prepass visited over %d paths", ErrTooDeep, maxPrepassVisits)
			return
		}
		r := h.g.resolve(pattern)
		for _, a := range ancestry {
			if a == r {
				return
			}
		}
		if vs, ok := visited[pattern]; ok {
			for _, v := range vs {
				visitAdd(v.r, v.ancestry, v.pattern)
			}
			visitAdd(r, ancestry, pattern)
			return
		}
		visitAdd(r, ancestry, pattern)
		for _, dp := range r.deps {
			depAncestry := append(append([]*ref(nil), ancestry...), r)
			depPatterns := append(append([]string(nil), ancestryPatterns...), dp)
			add(dp, depAncestry, depPatterns)
		}
		v := &visit{r: r, ancestry: ancestry, pattern: pattern}
		visited[pattern] = append(visited[pattern], v)
		for _, ap := range ancestryPatterns {
			if vs, ok := visited[ap]; ok {
				visited[ap] = append(vs, v)
			}
		}
	}
	rootNames := map[string]bool{}
	for _, p := range patterns {
		rootNames[h.g.resolve(p).name] = true
		add(p, nil, nil)
	}
	names := make([]string, 0, len(occurrences))
	for n := range occurrences {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		versions := occurrences[name]
		if len(versions) == 1 || h.tree[name] != nil || rootNames[name] {
			continue
		}
		vs := make([]string, 0, len(versions))
		for v := range versions {
			vs = append(vs, v)
		}
		sort.Strings(vs)
		best, bestPattern := 0, ""
		for _, v := range vs {
			o := versions[v]
			if best == 0 || len(o.parents) > best {
				best, bestPattern = len(o.parents), o.pattern
			}
		}
		if best > 1 {
			h.seedOne(bestPattern, false, nil)
		}
	}
}

// placed is one package at one location.
type placed struct {
	loc  string // project-relative: node_modules/a/node_modules/b
	info *hoistInfo
}

// flatten is PackageHoister.init: every required package at its
// location. The workspace aggregator and what stayed beneath it directly
// are left out; what stayed beneath one of its workspaces goes into that
// workspace's own node_modules.
func (h *hoister) flatten() ([]placed, error) {
	var out []placed
	for _, k := range h.order {
		info := h.tree[k]
		parts := strings.Split(k, "#")
		loc := "node_modules/" + strings.Join(parts, "/node_modules/")
		if h.g.aggregator != nil && parts[0] == h.g.aggregator.name {
			if len(parts) <= 2 {
				continue
			}
			w := h.g.wsByName[parts[1]]
			if w == nil {
				return nil, fmt.Errorf("%s stayed beneath the workspace aggregator's %s, which is not a workspace", strings.Join(parts[2:], " > "), parts[1])
			}
			loc = w.Dir + "/node_modules/" + strings.Join(parts[2:], "/node_modules/")
		}
		if !info.isRequired {
			continue
		}
		out = append(out, placed{loc: loc, info: info})
	}
	return out, nil
}
