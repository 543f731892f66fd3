package npm

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// The hidden lockfile, node_modules/.package-lock.json, is how npm later
// trusts node_modules without reading every package.json. What npm 11's
// `npm ci` writes (arborist reify.js saves idealTree.meta with
// hiddenLockfile=true; shrinkwrap.js commit/metaFromNode/toString), checked
// against real npm 11.19 runs:
//
//   - Top level: the package-lock's own top-level "name" and "version"
//     (Options.RootName/RootVersion), "lockfileVersion": 3,
//     "requires": true, "packages". No root "" entry, no "dependencies".
//   - "packages" has exactly the installed locations: registry and bundled
//     packages, links, and the workspace directories the links point to.
//     Dev packages left out by --omit, optional packages skipped for
//     os/cpu/libc, and extraneous lockfile entries are not written.
//   - A link entry is {"resolved": <target location>, "link": true}.
//   - Other entries are rebuilt from the package metadata (the lockfile
//     entry) by metaFromNode: only the keys in metaKeys below survive, a
//     falsy value or an empty object/array is dropped, a license object
//     becomes its "type"; "name" only when the lockfile has it (alias or a
//     folder name that differs); "devDependencies" only for tops
//     (workspaces); "resolved" is dropped for registry dependencies when
//     omit-lockfile-registry-resolved is set.
//   - The dev/optional/devOptional/peer/extraneous flags are NOT copied:
//     npm ci loads the lockfile with its root node supplied
//     (buildIdealTree → loadVirtual({root})), which always marks flags
//     suspect and recomputes them over the dependency graph
//     (calc-dep-flags.js). A lockfile written by a fresh `npm install` in a
//     workspace project really lacks "dev": true on root devDependencies,
//     and the hidden lockfile of the following `npm ci` has it.
//   - Keys are sorted by json-stringify-nice (see jsjson.go), indented and
//     line-ended like the project's package.json.
//
// Later npm runs trust the file only if no directory it walks
// (node_modules, each package dir, scope dirs, nested node_modules, link
// targets) is newer than the file's mtime + 10ms, and every entry exists
// (shrinkwrap.js assertNoNewer). Install therefore writes it last and sets
// its mtime again after the swap.

// metaKeys are arborist's pkgMetaKeys after their leading "_" is dropped
// ("_integrity" and "_hasShrinkwrap" are manifest spellings the lockfile
// entry does not use), plus the node-level keys it adds (nodeMetaKeys).
var metaKeys = []string{
	"version", "dependencies", "peerDependencies", "peerDependenciesMeta",
	"optionalDependencies", "bundleDependencies", "acceptDependencies",
	"funding", "engines", "os", "cpu", "libc", "license", "hasInstallScript",
	"bin", "deprecated", "workspaces",
	"integrity", "inBundle", "hasShrinkwrap",
}

// lockNode is one lockfile location in the dependency graph.
type lockNode struct {
	loc       string
	raw       *jsValue
	isLink    bool
	target    *lockNode
	parent    *lockNode // the package whose node_modules holds this one
	fsParent  *lockNode // for tops: the nearest enclosing package directory
	edgesOut  map[string]*lockEdge
	edgesIn   []*lockEdge
	installed bool

	dev, optional, devOptional, peer, extraneous bool
}

type lockEdge struct {
	from       *lockNode
	to         *lockNode
	name, spec string
	typ        string // prod, dev, optional, peer, peerOptional, workspace
}

func (e *lockEdge) dev() bool      { return e.typ == "dev" }
func (e *lockEdge) optional() bool { return e.typ == "optional" || e.typ == "peerOptional" }
func (e *lockEdge) peer() bool     { return e.typ == "peer" || e.typ == "peerOptional" }

func (n *lockNode) isTop() bool { return n.parent == nil }

func (n *lockNode) resolveParent() *lockNode {
	if n.parent != nil {
		return n.parent
	}
	return n.fsParent
}

// lockGraph is the lockfile as arborist's virtual tree.
type lockGraph struct {
	root           *lockNode
	nodes          map[string]*lockNode // by location; root is ""
	legacyPeerDeps bool
}

// parseEntries parses every raw lockfile entry.
func parseEntries(raw map[string]json.RawMessage) (map[string]*jsValue, error) {
	out := make(map[string]*jsValue, len(raw))
	for loc, r := range raw {
		v, err := parseJS(r)
		if err != nil {
			return nil, fmt.Errorf("lockfile entry %q: %w", loc, err)
		}
		if v.kind != jsObject {
			return nil, fmt.Errorf("lockfile entry %q is not an object", loc)
		}
		out[loc] = v
	}
	return out, nil
}

// splitNodeModules splits "x/node_modules/name" (name possibly scoped)
// into "x" and "name"; ok is false for locations not inside node_modules.
func splitNodeModules(loc string) (parent, name string, ok bool) {
	segs := strings.Split(loc, "/")
	n := len(segs)
	switch {
	case n >= 2 && segs[n-2] == "node_modules" && !strings.HasPrefix(segs[n-1], "@"):
		return strings.Join(segs[:n-2], "/"), segs[n-1], true
	case n >= 3 && segs[n-3] == "node_modules" && strings.HasPrefix(segs[n-2], "@"):
		return strings.Join(segs[:n-3], "/"), segs[n-2] + "/" + segs[n-1], true
	}
	return "", "", false
}

// childLoc is where a package called name sits in dir's node_modules.
func childLoc(dir, name string) string {
	if dir == "" {
		return "node_modules/" + name
	}
	return dir + "/node_modules/" + name
}

// buildGraph builds the dependency graph of every lockfile entry, the way
// load-virtual.js and node.js do, and recomputes the dependency flags.
// With legacyPeerDeps, peer dependencies are no edges, as in node.js.
func buildGraph(entries map[string]*jsValue, installed map[string]bool, legacyPeerDeps bool) *lockGraph {
	g := &lockGraph{nodes: map[string]*lockNode{}, legacyPeerDeps: legacyPeerDeps}
	rootRaw := entries[""]
	if rootRaw == nil {
		rootRaw = &jsValue{kind: jsObject}
	}
	g.root = &lockNode{loc: "", raw: rootRaw, edgesOut: map[string]*lockEdge{}}
	g.nodes[""] = g.root
	locs := make([]string, 0, len(entries))
	for loc := range entries {
		if loc != "" {
			locs = append(locs, loc)
		}
	}
	sort.Strings(locs)
	for _, loc := range locs {
		raw := entries[loc]
		g.nodes[loc] = &lockNode{
			loc: loc, raw: raw, isLink: raw.get("link").truthy(),
			edgesOut: map[string]*lockEdge{}, installed: installed[loc],
		}
	}
	for _, loc := range locs {
		n := g.nodes[loc]
		if n.isLink {
			n.target = g.nodes[cleanLoc(n.raw.get("resolved").str())]
		}
		if p, _, ok := splitNodeModules(loc); ok {
			// The nearest existing package directory above holds it.
			for {
				if pn := g.nodes[p]; pn != nil && !pn.isLink {
					n.parent = pn
					break
				}
				np, _, ok := splitNodeModules(p)
				if !ok {
					n.parent = g.root
					break
				}
				p = np
			}
			continue
		}
		for d := path.Dir(loc); ; d = path.Dir(d) {
			if d == "." || d == "/" {
				n.fsParent = g.root
				break
			}
			if pn := g.nodes[d]; pn != nil && !pn.isLink {
				n.fsParent = pn
				break
			}
		}
	}
	for _, ws := range workspaceEdges(rootRaw, g) {
		g.root.edgesOut[ws.name] = ws
	}
	g.loadDeps(g.root)
	for _, loc := range locs {
		if n := g.nodes[loc]; !n.isLink {
			g.loadDeps(n)
		}
	}
	for _, n := range g.nodes {
		for _, e := range n.edgesOut {
			e.to = g.resolve(n, e.name)
			if e.to != nil {
				e.to.edgesIn = append(e.to.edgesIn, e)
			}
		}
	}
	calcDepFlags(g)
	return g
}

// cleanLoc turns a lockfile "resolved" path into a location key.
func cleanLoc(p string) string {
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if c == "." {
		return ""
	}
	return c
}

// loadDeps adds n's edges in node.js's order: peer, then prod, then
// optional (winning over prod), then dev for tops; a workspace edge is
// never replaced.
func (g *lockGraph) loadDeps(n *lockNode) {
	add := func(deps *jsValue, typ string) {
		if deps == nil || deps.kind != jsObject {
			return
		}
		for _, m := range deps.obj {
			if cur := n.edgesOut[m.key]; cur != nil && cur.typ == "workspace" {
				continue
			}
			n.edgesOut[m.key] = &lockEdge{from: n, name: m.key, spec: m.val.str(), typ: typ}
		}
	}
	if pd := n.raw.get("peerDependencies"); pd != nil && pd.kind == jsObject && !g.legacyPeerDeps {
		pm := n.raw.get("peerDependenciesMeta")
		peer := &jsValue{kind: jsObject}
		peerOpt := &jsValue{kind: jsObject}
		for _, m := range pd.obj {
			// pd's keys are unique (parsing merged duplicates).
			if pm.get(m.key).get("optional").truthy() {
				peerOpt.push(m.key, m.val)
			} else {
				peer.push(m.key, m.val)
			}
		}
		add(peer, "peer")
		add(peerOpt, "peerOptional")
	}
	add(n.raw.get("dependencies"), "prod")
	add(n.raw.get("optionalDependencies"), "optional")
	if n.isTop() {
		add(n.raw.get("devDependencies"), "dev")
	}
}

// resolve finds the node a dependency called name of from resolves to:
// from's node_modules, then each resolveParent's, as Node.resolve does.
func (g *lockGraph) resolve(from *lockNode, name string) *lockNode {
	for cur := from; cur != nil; cur = cur.resolveParent() {
		if c := g.nodes[childLoc(cur.loc, name)]; c != nil {
			return c
		}
	}
	return nil
}

// workspaceEdges are the root's edges to its workspaces: lockfile
// locations outside node_modules matched by the root entry's "workspaces"
// globs (map-workspaces' virtual mode), named by their package name.
func workspaceEdges(rootRaw *jsValue, g *lockGraph) []*lockEdge {
	ws := rootRaw.get("workspaces")
	if ws.isObj() {
		ws = ws.get("packages")
	}
	if ws == nil || ws.kind != jsArray {
		return nil
	}
	var pos, neg []string
	for _, p := range ws.arr {
		s := strings.ReplaceAll(p.str(), "\\", "/")
		if s == "" {
			continue
		}
		if strings.HasPrefix(s, "!") {
			neg = append(neg, strings.TrimPrefix(s, "!"))
		} else {
			pos = append(pos, s)
		}
	}
	var edges []*lockEdge
	locs := make([]string, 0, len(g.nodes))
	for loc := range g.nodes {
		locs = append(locs, loc)
	}
	sort.Strings(locs)
	for _, loc := range locs {
		n := g.nodes[loc]
		if loc == "" || n.isLink || strings.Contains("/"+loc+"/", "/node_modules/") {
			continue
		}
		match := func(pats []string) bool {
			for _, p := range pats {
				if globMatch(p, loc) {
					return true
				}
			}
			return false
		}
		if !match(pos) || match(neg) {
			continue
		}
		name := n.raw.get("name").str()
		if name == "" {
			name = nameFromFolder(loc)
		}
		edges = append(edges, &lockEdge{from: g.root, name: name, spec: "file:" + loc, typ: "workspace"})
	}
	return edges
}

// globMatch matches a workspaces glob against a location: "*", "?" and
// classes within a segment, "**" across segments.
func globMatch(pattern, loc string) bool {
	pattern = strings.TrimSuffix(strings.TrimPrefix(pattern, "./"), "/")
	return matchSegs(strings.Split(pattern, "/"), strings.Split(loc, "/"))
}

func matchSegs(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if matchSegs(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	if strings.HasPrefix(segs[0], ".") && !strings.HasPrefix(pat[0], ".") {
		return false // globs skip dot-directories
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && matchSegs(pat[1:], segs[1:])
}

// nameFromFolder is @npmcli/name-from-folder: the last path segment, with
// its scope when the parent directory is one.
func nameFromFolder(loc string) string {
	base := path.Base(loc)
	dir := path.Base(path.Dir(loc))
	if strings.HasPrefix(dir, "@") && path.Dir(loc) != "." {
		return dir + "/" + base
	}
	return base
}

// calcDepFlags is arborist's calc-dep-flags.js after reset-dep-flags.js:
// every flag starts set and is cleared along edges from the root that do
// not carry it. What stays set is the truth.
func calcDepFlags(g *lockGraph) {
	for _, n := range g.nodes {
		set := n != g.root
		n.dev, n.optional, n.devOptional, n.peer, n.extraneous = set, set, set, set, set
	}
	seen := map[*lockNode]bool{}
	queue := []*lockNode{g.root}
	for len(queue) > 0 {
		node := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		seen[node] = true
		if !node.extraneous {
			for n := node.resolveParent(); n != nil && n.extraneous; n = n.resolveParent() {
				n.extraneous = false
			}
		}
		if node.isLink {
			t := node.target
			if t == nil {
				continue
			}
			changed := false
			if t.dev && !node.dev {
				t.dev, changed = false, true
			}
			if t.optional && !node.optional {
				t.optional, changed = false, true
			}
			if t.devOptional && !node.devOptional {
				t.devOptional, changed = false, true
			}
			if t.peer && !node.peer {
				t.peer, changed = false, true
			}
			if t.extraneous && !node.extraneous {
				t.extraneous, changed = false, true
			}
			if changed || !seen[t] {
				queue = append(queue, t)
			}
			continue
		}
		names := make([]string, 0, len(node.edgesOut))
		for name := range node.edgesOut {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			e := node.edgesOut[name]
			to := e.to
			if to == nil {
				continue
			}
			changed := false
			if to.extraneous && !node.extraneous && !(e.peer() && e.optional()) {
				to.extraneous, changed = false, true
			}
			if to.dev && !node.dev && !e.dev() {
				to.dev, changed = false, true
			}
			if to.optional && !node.optional && !e.optional() {
				to.optional, changed = false, true
			}
			if to.devOptional && !node.devOptional && !node.dev && !node.optional && !e.dev() && !e.optional() {
				to.devOptional, changed = false, true
			}
			if to.peer && !node.peer && !e.peer() {
				to.peer, changed = false, true
			}
			if changed {
				queue = append(queue, to)
			}
		}
	}
	for n := range seen {
		if n != g.root && n.devOptional && (n.dev || n.optional) {
			n.devOptional = false
		}
	}
}

// isRegistryDependency is node.js's getter: every edge into n (from the
// installed tree) has a registry spec.
func isRegistryDependency(n *lockNode) bool {
	count := 0
	for _, e := range n.edgesIn {
		if e.from != nil && e.from.loc != "" && !e.from.installed {
			continue // not in the tree npm saves
		}
		count++
		if !isRegistrySpec(e.spec) {
			return false
		}
	}
	return count > 0
}

// npm-package-arg's patterns (npa.js), POSIX flavour: npm ci writes the
// hidden lockfile on this machine.
var (
	urlSpecRe   = regexp.MustCompile(`(?i)^(?:git[+])?[a-z]+:`)
	scpGitRe    = regexp.MustCompile(`(?i)^[^@]+@[^:.]+\.[^:]+:.+$`)
	tarballRe   = regexp.MustCompile(`(?i)[.](?:tgz|tar\.gz|tar)$`)
	posixFileRe = regexp.MustCompile(`^(?:[.]|~[/]|[/]|[a-zA-Z]:)`)
)

// isRegistrySpec is npm-package-arg's `registry` for npa(spec), the call
// node.js makes: versions, ranges, tags and npm: aliases are; URLs (git,
// GitHub shorthands, tarballs), scp-style git, paths and tarball names are
// not. A path starts with ".", "~/", "/" or a drive letter: "~1.3.8" is a
// range.
func isRegistrySpec(spec string) bool {
	s := strings.TrimSpace(spec)
	switch {
	case urlSpecRe.MatchString(s):
		return strings.HasPrefix(strings.ToLower(s), "npm:")
	case scpGitRe.MatchString(s), strings.Contains(s, "/"), tarballRe.MatchString(s):
		return false
	}
	return !posixFileRe.MatchString(s)
}

// metaFromEntry is shrinkwrap.js metaFromNode for one installed location.
func metaFromEntry(n *lockNode, omitRegistryResolved bool) *jsValue {
	meta := &jsValue{kind: jsObject}
	if n.isLink {
		meta.set("resolved", jsStr(n.raw.get("resolved").str()))
		meta.set("link", jsTrue())
		return meta
	}
	for _, key := range metaKeys {
		v := n.raw.get(key)
		if !v.truthy() {
			continue
		}
		if key == "license" && v.isObj() {
			if t := v.get("type"); t.truthy() {
				v = t
			}
		}
		if (v.kind == jsObject && len(v.obj) == 0) || (v.kind == jsArray && len(v.arr) == 0) {
			continue
		}
		meta.set(key, v)
	}
	if name := n.raw.get("name"); name.truthy() && name.str() != nameFromFolder(n.loc) {
		meta.set("name", name)
	}
	if n.isTop() {
		if dd := n.raw.get("devDependencies"); dd.truthy() {
			meta.set("devDependencies", dd)
		}
	}
	if r := n.raw.get("resolved"); r.truthy() && !(omitRegistryResolved && isRegistryDependency(n)) {
		meta.set("resolved", r)
	}
	if n.extraneous {
		meta.set("extraneous", jsTrue())
		return meta
	}
	if n.peer {
		meta.set("peer", jsTrue())
	}
	if n.dev {
		meta.set("dev", jsTrue())
	}
	if n.optional {
		meta.set("optional", jsTrue())
	}
	if n.devOptional && !n.dev && !n.optional {
		meta.set("devOptional", jsTrue())
	}
	return meta
}

// hiddenLockfile renders node_modules/.package-lock.json for the installed
// locations.
func hiddenLockfile(g *lockGraph, rootName, rootVersion string, omitRegistryResolved bool, indent, newline string) []byte {
	top := &jsValue{kind: jsObject}
	if rootName != "" {
		top.set("name", jsStr(rootName))
	}
	if rootVersion != "" {
		top.set("version", jsStr(rootVersion))
	}
	top.set("lockfileVersion", jsInt(3))
	top.set("requires", jsTrue())
	pkgs := &jsValue{kind: jsObject}
	locs := make([]string, 0, len(g.nodes))
	for loc, n := range g.nodes {
		if loc != "" && n.installed {
			locs = append(locs, loc)
		}
	}
	sort.Strings(locs)
	for _, loc := range locs {
		// Locations are map keys, so each is new: no lookup needed.
		pkgs.push(loc, metaFromEntry(g.nodes[loc], omitRegistryResolved))
	}
	top.set("packages", pkgs)
	return stringifyLock(top, indent, newline)
}

var (
	// formatRe and emptyRe are json-parse-even-better-errors' FORMAT and
	// EMPTY: npm takes a JSON file's newline and indent from them.
	formatRe = regexp.MustCompile(`^\s*[{\[]((?:\r?\n)+)([\s\t]*)`)
	emptyRe  = regexp.MustCompile(`^(?:\{\}|\[\])((?:\r?\n)+)?$`)
)

// PackageJSONFormat returns the indent and newline npm detects in a
// package.json and reuses for the hidden lockfile (Options.Indent and
// Options.Newline). A one-line file yields "", "", meaning npm's defaults.
func PackageJSONFormat(packageJSON []byte) (indent, newline string) {
	s := strings.TrimPrefix(string(packageJSON), "\uFEFF")
	if m := emptyRe.FindStringSubmatch(s); m != nil {
		return "", m[1]
	}
	if m := formatRe.FindStringSubmatch(s); m != nil {
		return m[2], m[1]
	}
	return "", ""
}
