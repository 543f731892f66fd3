package yarnberry

import (
	"sort"
	"strings"
)

// This file is a port of yarn berry's node_modules hoister
// (packages/yarnpkg-nm/sources/hoist.ts), decision for decision: which
// version of a name ends up where depends on its preference order, its
// tie-breaks and the order in which it visits dependencies, so the data
// structures keep JavaScript's Map and Set orders (omap, oset). Debug
// output, self-checks and the reasons kept only for them are left out.

// Dependency kinds (HoisterDependencyKind).
const (
	kindRegular = iota
	kindWorkspace
	kindExternalSoftLink
)

// hoisterTree is the hoister's input (HoisterTree).
type hoisterTree struct {
	name, identName, reference string
	deps                       *oset[*hoisterTree]
	peerNames                  *oset[string]
	hoistPriority              int
	kind                       int
}

// hoisterResult is its output (HoisterResult).
type hoisterResult struct {
	name, identName string
	references      *oset[string]
	deps            *oset[*hoisterResult]
}

// workNode is HoisterWorkTree.
type workNode struct {
	name          string
	references    *oset[string]
	ident         string
	locator       string
	deps          *omap[*workNode]
	origDeps      *omap[*workNode]
	hoistedDeps   *omap[*workNode]
	peerNames     *oset[string]
	decoupled     bool
	isHoistBorder bool
	hoistPriority int
	kind          int
}

func makeLocator(name, reference string) string { return name + "@" + reference }

// makeIdent drops the virtual part of a reference ("virtual:x#npm:1").
func makeIdent(name, reference string) string {
	if i := strings.IndexByte(reference, '#'); i >= 0 {
		reference = reference[i+1:]
	}
	return makeLocator(name, reference)
}

type hoistOptions struct {
	fastLookupPossible bool
	hoistingLimits     map[string]*oset[string]
}

// hoist hoists a package tree; it does not change its argument.
func hoist(tree *hoisterTree, limits map[string]*oset[string]) *hoisterResult {
	opts := &hoistOptions{fastLookupPossible: true, hoistingLimits: limits}
	if opts.hoistingLimits == nil {
		opts.hoistingLimits = map[string]*oset[string]{}
	}
	treeCopy := cloneTree(tree, opts)
	for {
		another, changed := hoistTo(treeCopy, []*workNode{treeCopy}, newOset(treeCopy.locator), map[*workNode]*oset[string]{}, opts, newOset[*workNode]())
		opts.fastLookupPossible = false
		if !another && !changed {
			break
		}
	}
	return shrinkTree(treeCopy)
}

func getZeroRoundUsedDependencies(rootNodePath []*workNode) *omap[*workNode] {
	rootNode := rootNodePath[len(rootNodePath)-1]
	used := newOmap[*workNode]()
	seen := newOset[*workNode]()
	var add func(n *workNode)
	add = func(n *workNode) {
		if seen.has(n) {
			return
		}
		seen.add(n)
		n.hoistedDeps.each(func(_ string, dep *workNode) bool { used.set(dep.name, dep); return true })
		n.deps.each(func(_ string, dep *workNode) bool {
			if !n.peerNames.has(dep.name) {
				add(dep)
			}
			return true
		})
	}
	add(rootNode)
	return used
}

func getUsedDependencies(rootNodePath []*workNode) *omap[*workNode] {
	rootNode := rootNodePath[len(rootNodePath)-1]
	used := newOmap[*workNode]()
	seen := newOset[*workNode]()
	var add func(n *workNode, hidden *oset[string])
	add = func(n *workNode, hidden *oset[string]) {
		if seen.has(n) {
			return
		}
		seen.add(n)
		n.hoistedDeps.each(func(_ string, dep *workNode) bool {
			if !hidden.has(dep.name) {
				for _, p := range rootNodePath {
					if r, ok := p.deps.get(dep.name); ok {
						used.set(r.name, r)
					}
				}
			}
			return true
		})
		childrenHidden := newOset[string]()
		n.deps.each(func(_ string, dep *workNode) bool { childrenHidden.add(dep.name); return true })
		n.deps.each(func(_ string, dep *workNode) bool {
			if !n.peerNames.has(dep.name) {
				add(dep, childrenHidden)
			}
			return true
		})
	}
	add(rootNode, newOset[string]())
	return used
}

// decoupleGraphNode clones node under parent unless it is decoupled.
func decoupleGraphNode(parent, node *workNode) *workNode {
	if node.decoupled {
		return node
	}
	clone := &workNode{
		name:          node.name,
		references:    node.references.clone(),
		ident:         node.ident,
		locator:       node.locator,
		deps:          node.deps.clone(),
		origDeps:      node.origDeps.clone(),
		hoistedDeps:   node.hoistedDeps.clone(),
		peerNames:     node.peerNames.clone(),
		decoupled:     true,
		isHoistBorder: node.isHoistBorder,
		hoistPriority: node.hoistPriority,
		kind:          node.kind,
	}
	if self, ok := clone.deps.get(node.name); ok && self.ident == clone.ident {
		clone.deps.set(node.name, clone)
	}
	parent.deps.set(clone.name, clone)
	return clone
}

type prefEntry struct {
	peerDependents, dependents *oset[string]
	hoistPriority              int
}

func getHoistIdentMap(rootNode *workNode, pref *omap[*prefEntry]) *omap[*[]string] {
	identMap := newOmap[*[]string]()
	identMap.set(rootNode.name, &[]string{rootNode.ident})
	rootNode.deps.each(func(_ string, dep *workNode) bool {
		if !rootNode.peerNames.has(dep.name) {
			identMap.set(dep.name, &[]string{dep.ident})
		}
		return true
	})
	var keyList []string
	pref.each(func(k string, _ *prefEntry) bool { keyList = append(keyList, k); return true })
	sort.SliceStable(keyList, func(i, j int) bool {
		e1, _ := pref.get(keyList[i])
		e2, _ := pref.get(keyList[j])
		if e1.hoistPriority != e2.hoistPriority {
			return e2.hoistPriority < e1.hoistPriority
		}
		u1 := e1.dependents.size() + e1.peerDependents.size()
		u2 := e2.dependents.size() + e2.peerDependents.size()
		return u2 < u1
	})
	for _, key := range keyList {
		at := strings.IndexByte(key[1:], '@') + 1
		name, ident := key[:at], key[at+1:]
		if !rootNode.peerNames.has(name) {
			idents, ok := identMap.get(name)
			if !ok {
				idents = &[]string{}
				identMap.set(name, idents)
			}
			found := false
			for _, x := range *idents {
				found = found || x == ident
			}
			if !found {
				*idents = append(*idents, ident)
			}
		}
	}
	return identMap
}

// getSortedRegularDependencies puts peer dependencies before their
// dependents.
func getSortedRegularDependencies(node *workNode) *oset[*workNode] {
	deps := newOset[*workNode]()
	seen := newOset[*workNode]()
	var add func(dep *workNode)
	add = func(dep *workNode) {
		if seen.has(dep) {
			return
		}
		seen.add(dep)
		dep.peerNames.each(func(peerName string) bool {
			if !node.peerNames.has(peerName) {
				if peerDep, ok := node.deps.get(peerName); ok && !deps.has(peerDep) {
					add(peerDep)
				}
			}
			return true
		})
		deps.add(dep)
	}
	node.deps.each(func(name string, dep *workNode) bool {
		if !node.peerNames.has(name) {
			add(dep)
		}
		return true
	})
	return deps
}

type shadowedNodes = map[*workNode]*oset[string]

func hoistTo(tree *workNode, rootNodePath []*workNode, rootNodePathLocators *oset[string], parentShadowed shadowedNodes, opts *hoistOptions, seenNodes *oset[*workNode]) (anotherRoundNeeded, isGraphChanged bool) {
	rootNode := rootNodePath[len(rootNodePath)-1]
	if seenNodes.has(rootNode) {
		return false, false
	}
	seenNodes.add(rootNode)

	pref := buildPreferenceMap(rootNode)
	hoistIdentMap := getHoistIdentMap(rootNode, pref)

	var used *omap[*workNode]
	switch {
	case tree == rootNode:
		used = newOmap[*workNode]()
	case opts.fastLookupPossible:
		used = getZeroRoundUsedDependencies(rootNodePath)
	default:
		used = getUsedDependencies(rootNodePath)
	}

	hoistIdents := newOmap[string]()
	hoistIdentMap.each(func(k string, v *[]string) bool { hoistIdents.set(k, (*v)[0]); return true })
	shadowed := shadowedNodes{}
	for {
		a, c := hoistGraph(tree, rootNodePath, rootNodePathLocators, used, hoistIdents, parentShadowed, shadowed, opts)
		isGraphChanged = isGraphChanged || c
		anotherRoundNeeded = anotherRoundNeeded || a
		changed := false
		hoistIdentMap.each(func(name string, idents *[]string) bool {
			if len(*idents) > 1 && !rootNode.deps.has(name) {
				hoistIdents.del(name)
				*idents = (*idents)[1:]
				hoistIdents.set(name, (*idents)[0])
				changed = true
			}
			return true
		})
		if !changed {
			break
		}
	}

	rootNode.deps.each(func(_ string, dep *workNode) bool {
		if !rootNode.peerNames.has(dep.name) && !rootNodePathLocators.has(dep.locator) {
			rootNodePathLocators.add(dep.locator)
			path := append(append([]*workNode{}, rootNodePath...), dep)
			a, c := hoistTo(tree, path, rootNodePathLocators, shadowed, opts, newOset[*workNode]())
			isGraphChanged = isGraphChanged || c
			anotherRoundNeeded = anotherRoundNeeded || a
			rootNodePathLocators.del(dep.locator)
		}
		return true
	})
	return anotherRoundNeeded, isGraphChanged
}

func hasUnhoistedDependencies(node *workNode) bool {
	found := false
	node.deps.each(func(name string, sub *workNode) bool {
		if !node.peerNames.has(name) && sub.ident != node.ident {
			found = true
			return false
		}
		return true
	})
	return found
}

type hoistable int

const (
	hoistYes hoistable = iota
	hoistNo
	hoistDepends
)

type hoistInfo struct {
	is        hoistable
	dependsOn *oset[*workNode]
}

func getNodeHoistInfo(rootNode *workNode, nodePath []*workNode, node *workNode, used *omap[*workNode], hoistIdents *omap[string], shadowed shadowedNodes, fastLookupPossible bool) hoistInfo {
	dependsOn := newOset[*workNode]()
	dependsOnNull := false
	parentNode := nodePath[len(nodePath)-1]
	isHoistable := node.ident != parentNode.ident // no self-references
	if isHoistable {
		isHoistable = node.kind != kindWorkspace
	}
	if isHoistable && node.kind == kindExternalSoftLink {
		isHoistable = !hasUnhoistedDependencies(node)
	}
	if isHoistable {
		isHoistable = !rootNode.peerNames.has(node.name)
	}
	if isHoistable {
		usedDep, ok := used.get(node.name)
		isNameAvailable := !ok || usedDep.ident == node.ident
		if isNameAvailable {
			for idx := len(nodePath) - 1; idx >= 1; idx-- {
				parent := nodePath[idx]
				if parentDep, ok := parent.deps.get(node.name); ok && parentDep.ident != node.ident {
					isNameAvailable = false
					names := shadowed[parentNode]
					if names == nil {
						names = newOset[string]()
						shadowed[parentNode] = names
					}
					names.add(node.name)
					break
				}
			}
		}
		isHoistable = isNameAvailable
	}
	if isHoistable {
		hoisted, _ := hoistIdents.get(node.name)
		isHoistable = hoisted == node.ident
	}
	if isHoistable {
		arePeerDepsSatisfied := true
		checkList := node.peerNames.clone()
		for idx := len(nodePath) - 1; idx >= 1; idx-- {
			parent := nodePath[idx]
			checkList.each(func(name string) bool {
				if parent.peerNames.has(name) && parent.origDeps.has(name) {
					return true
				}
				parentDepNode, ok := parent.deps.get(name)
				if ok {
					rootDep, rok := rootNode.deps.get(name)
					if !rok || rootDep != parentDepNode {
						if idx == len(nodePath)-1 {
							if !dependsOnNull {
								dependsOn.add(parentDepNode)
							}
						} else {
							dependsOnNull = true
							arePeerDepsSatisfied = false
						}
					}
				}
				checkList.del(name)
				return true
			})
			if !arePeerDepsSatisfied {
				break
			}
		}
		isHoistable = arePeerDepsSatisfied
	}
	if isHoistable && !fastLookupPossible {
		node.hoistedDeps.each(func(_ string, origDep *workNode) bool {
			usedDep, ok := used.get(origDep.name)
			if !ok {
				usedDep, ok = rootNode.deps.get(origDep.name)
			}
			if !ok || origDep.ident != usedDep.ident {
				isHoistable = false
				return false
			}
			return true
		})
	}
	if !dependsOnNull && dependsOn.size() > 0 {
		return hoistInfo{is: hoistDepends, dependsOn: dependsOn}
	}
	if isHoistable {
		return hoistInfo{is: hoistYes}
	}
	return hoistInfo{is: hoistNo}
}

func aliasedLocator(n *workNode) string { return n.name + "@" + n.locator }

func hoistGraph(tree *workNode, rootNodePath []*workNode, rootNodePathLocators *oset[string], used *omap[*workNode], hoistIdents *omap[string], parentShadowed, shadowed shadowedNodes, opts *hoistOptions) (anotherRoundNeeded, isGraphChanged bool) {
	rootNode := rootNodePath[len(rootNodePath)-1]
	seenNodes := newOset[*workNode]()
	var nextNewNodes *oset[*workNode]

	var hoistNodeDependencies func(nodePath []*workNode, locatorPath, aliasedLocatorPath []string, parentNode *workNode, newNodes *oset[*workNode])
	hoistNodeDependencies = func(nodePath []*workNode, locatorPath, aliasedLocatorPath []string, parentNode *workNode, newNodes *oset[*workNode]) {
		if seenNodes.has(parentNode) {
			return
		}
		nextLocatorPath := append(append([]string{}, locatorPath...), aliasedLocator(parentNode))
		nextAliasedLocatorPath := append(append([]string{}, aliasedLocatorPath...), aliasedLocator(parentNode))

		dependantTree := map[string]*oset[string]{}
		hoistInfos := newOmapP[*workNode, hoistInfo]()
		fullPath := append(append(append([]*workNode{}, rootNode), nodePath...), parentNode)
		getSortedRegularDependencies(parentNode).each(func(sub *workNode) bool {
			info := getNodeHoistInfo(rootNode, fullPath, sub, used, hoistIdents, shadowed, opts.fastLookupPossible)
			hoistInfos.set(sub, info)
			if info.is == hoistDepends {
				info.dependsOn.each(func(n *workNode) bool {
					s := dependantTree[n.name]
					if s == nil {
						s = newOset[string]()
						dependantTree[n.name] = s
					}
					s.add(sub.name)
					return true
				})
			}
			return true
		})

		unhoistable := newOset[*workNode]()
		var addUnhoistable func(n *workNode)
		addUnhoistable = func(n *workNode) {
			if unhoistable.has(n) {
				return
			}
			unhoistable.add(n)
			hoistInfos.set(n, hoistInfo{is: hoistNo})
			if s := dependantTree[n.name]; s != nil {
				s.each(func(dependantName string) bool {
					d, _ := parentNode.deps.get(dependantName)
					addUnhoistable(d)
					return true
				})
			}
		}
		hoistInfos.each(func(n *workNode, info hoistInfo) bool {
			if info.is == hoistNo {
				addUnhoistable(n)
			}
			return true
		})

		wereNodesHoisted := false
		hoistInfos.each(func(n *workNode, _ hoistInfo) bool {
			if unhoistable.has(n) {
				return true
			}
			isGraphChanged = true
			if names := parentShadowed[parentNode]; names != nil && names.has(n.name) {
				anotherRoundNeeded = true
			}
			wereNodesHoisted = true
			parentNode.deps.del(n.name)
			parentNode.hoistedDeps.set(n.name, n)
			hoistedNode, ok := rootNode.deps.get(n.name)
			if !ok {
				if rootNode.ident != n.ident {
					rootNode.deps.set(n.name, n)
					newNodes.add(n)
				}
			} else {
				n.references.each(func(r string) bool { hoistedNode.references.add(r); return true })
			}
			return true
		})
		if parentNode.kind == kindExternalSoftLink && wereNodesHoisted {
			anotherRoundNeeded = true
		}

		getSortedRegularDependencies(parentNode).each(func(n *workNode) bool {
			if unhoistable.has(n) {
				if !n.isHoistBorder && !contains(nextAliasedLocatorPath, aliasedLocator(n)) {
					seenNodes.add(parentNode)
					decoupled := decoupleGraphNode(parentNode, n)
					hoistNodeDependencies(append(append([]*workNode{}, nodePath...), parentNode), nextLocatorPath, nextAliasedLocatorPath, decoupled, nextNewNodes)
					seenNodes.del(parentNode)
				}
			}
			return true
		})
	}

	nextNewNodes = getSortedRegularDependencies(rootNode)
	var aliasedRoot []string
	for _, n := range rootNodePath {
		aliasedRoot = append(aliasedRoot, aliasedLocator(n))
	}
	for {
		newNodes := nextNewNodes
		nextNewNodes = newOset[*workNode]()
		newNodes.each(func(dep *workNode) bool {
			if dep.locator == rootNode.locator || dep.isHoistBorder {
				return true
			}
			decoupled := decoupleGraphNode(rootNode, dep)
			hoistNodeDependencies(nil, rootNodePathLocators.list(), aliasedRoot, decoupled, nextNewNodes)
			return true
		})
		if nextNewNodes.size() == 0 {
			break
		}
	}
	return anotherRoundNeeded, isGraphChanged
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cloneTree(tree *hoisterTree, opts *hoistOptions) *workNode {
	treeCopy := &workNode{
		name:          tree.name,
		references:    newOset(tree.reference),
		locator:       makeLocator(tree.identName, tree.reference),
		ident:         makeIdent(tree.identName, tree.reference),
		deps:          newOmap[*workNode](),
		origDeps:      newOmap[*workNode](),
		hoistedDeps:   newOmap[*workNode](),
		peerNames:     tree.peerNames.clone(),
		decoupled:     true,
		isHoistBorder: true,
		kind:          kindWorkspace,
	}
	seen := map[*hoisterTree]*workNode{tree: treeCopy}
	var addNode func(node *hoisterTree, parent *workNode)
	addNode = func(node *hoisterTree, parent *workNode) {
		work, isSeen := seen[node]
		if !isSeen {
			limits := opts.hoistingLimits[parent.locator]
			work = &workNode{
				name:          node.name,
				references:    newOset(node.reference),
				locator:       makeLocator(node.identName, node.reference),
				ident:         makeIdent(node.identName, node.reference),
				deps:          newOmap[*workNode](),
				origDeps:      newOmap[*workNode](),
				hoistedDeps:   newOmap[*workNode](),
				peerNames:     node.peerNames.clone(),
				decoupled:     true,
				isHoistBorder: limits != nil && limits.has(node.name),
				hoistPriority: node.hoistPriority,
				kind:          node.kind,
			}
			seen[node] = work
		}
		parent.deps.set(node.name, work)
		parent.origDeps.set(node.name, work)
		if !isSeen {
			node.deps.each(func(dep *hoisterTree) bool { addNode(dep, work); return true })
		} else {
			coupled := newOset[*workNode]()
			var mark func(n *workNode)
			mark = func(n *workNode) {
				if coupled.has(n) {
					return
				}
				coupled.add(n)
				n.decoupled = false
				n.deps.each(func(_ string, dep *workNode) bool {
					if !n.peerNames.has(dep.name) {
						mark(dep)
					}
					return true
				})
			}
			mark(work)
		}
	}
	tree.deps.each(func(dep *hoisterTree) bool { addNode(dep, treeCopy); return true })
	return treeCopy
}

func identName(locator string) string {
	return locator[:strings.IndexByte(locator[1:], '@')+1]
}

func shrinkTree(tree *workNode) *hoisterResult {
	treeCopy := &hoisterResult{name: tree.name, identName: identName(tree.locator), references: tree.references.clone(), deps: newOset[*hoisterResult]()}
	seen := newOset(tree)
	var addNode func(node, parentWork *workNode, parent *hoisterResult)
	addNode = func(node, parentWork *workNode, parent *hoisterResult) {
		isSeen := seen.has(node)
		var result *hoisterResult
		if parentWork == node {
			result = parent
		} else {
			result = &hoisterResult{name: node.name, identName: identName(node.locator), references: node.references, deps: newOset[*hoisterResult]()}
		}
		parent.deps.add(result)
		if !isSeen {
			seen.add(node)
			node.deps.each(func(_ string, dep *workNode) bool {
				if !node.peerNames.has(dep.name) {
					addNode(dep, node, result)
				}
				return true
			})
			seen.del(node)
		}
	}
	tree.deps.each(func(_ string, dep *workNode) bool { addNode(dep, tree, treeCopy); return true })
	return treeCopy
}

func buildPreferenceMap(rootNode *workNode) *omap[*prefEntry] {
	pref := newOmap[*prefEntry]()
	seen := newOset(rootNode)
	entry := func(n *workNode) *prefEntry {
		key := n.name + "@" + n.ident
		e, ok := pref.get(key)
		if !ok {
			e = &prefEntry{dependents: newOset[string](), peerDependents: newOset[string]()}
			pref.set(key, e)
		}
		return e
	}
	var addDependent func(dependent, n *workNode)
	addDependent = func(dependent, n *workNode) {
		isSeen := seen.has(n)
		entry(n).dependents.add(dependent.ident)
		if !isSeen {
			seen.add(n)
			n.deps.each(func(_ string, dep *workNode) bool {
				e := entry(dep)
				if dep.hoistPriority > e.hoistPriority {
					e.hoistPriority = dep.hoistPriority
				}
				if n.peerNames.has(dep.name) {
					e.peerDependents.add(n.ident)
				} else {
					addDependent(n, dep)
				}
				return true
			})
		}
	}
	rootNode.deps.each(func(_ string, dep *workNode) bool {
		if !rootNode.peerNames.has(dep.name) {
			addDependent(rootNode, dep)
		}
		return true
	})
	return pref
}

// omapP is an insertion-ordered map keyed by pointers (JavaScript's Map
// with object keys).
type omapP[K comparable, V any] struct {
	keys  []K
	vals  []V
	index map[K]int
}

func newOmapP[K comparable, V any]() *omapP[K, V] { return &omapP[K, V]{index: map[K]int{}} }

func (m *omapP[K, V]) set(k K, v V) {
	if i, ok := m.index[k]; ok {
		m.vals[i] = v
		return
	}
	m.index[k] = len(m.keys)
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

func (m *omapP[K, V]) each(f func(k K, v V) bool) {
	for i := 0; i < len(m.keys); i++ {
		if !f(m.keys[i], m.vals[i]) {
			return
		}
	}
}
