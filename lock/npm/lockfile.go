package npm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// MaxLockfileSize bounds the input to Parse. The largest real lockfiles
// (monorepos with tens of thousands of packages) are tens of megabytes;
// anything past this is refused before any parsing starts.
const MaxLockfileSize = 256 << 20

// Lockfile is a parsed package-lock.json or npm-shrinkwrap.json.
type Lockfile struct {
	// Name and Version of the root project, from its "" entry (or, failing
	// that, the top-level fields).
	Name, Version   string
	LockfileVersion int

	// Packages holds every "packages" entry except the root "", sorted by
	// Path. A link entry carries its target's name, version, flags,
	// platform constraints, engines and bin, as npm's tree does, with
	// Resolved set to the target's path.
	Packages []lock.Package

	// Workspaces lists the project's workspace directories ("packages/a"),
	// sorted: the entries the root's "workspaces" globs match that a link
	// node_modules/<name> points to.
	Workspaces []string

	// Raw holds every "packages" entry exactly as written, keyed by path,
	// the root "" included.
	Raw map[string]json.RawMessage

	nodes map[string]*node // by path, root "" included
	order []*node          // npm's inventory order, root first
	root  *node
	// legacyPeerDeps: peer dependencies are not edges (LegacyPeerDeps).
	legacyPeerDeps bool
}

// node is one entry with what Select and CheckInSync need beyond
// lock.Package: its place in the tree and its dependency edges.
type node struct {
	path string
	loc  location
	pkg  lock.Package // for the root: Name and Version only
	idx  int          // index into Lockfile.Packages; -1 for the root

	link     bool
	target   *node // link target
	inBundle bool

	isWorkspace bool
	parent      *node // enclosing package for node_modules entries
	top         *node // end of the parent chain; nil if that entry is missing

	specs      map[edgeType]map[string]string // dependency specs as the entry lists them
	meta       map[string]bool                // peerDependenciesMeta optional flags
	accept     map[string]string
	bundleDeps []string
	bundleAll  bool

	out      map[string]*edge
	outOrder []string
	in       []*edge
}

// FindLockfile picks the lockfile npm would use from the file names present
// in a project directory: npm-shrinkwrap.json wins over package-lock.json.
// It returns "" when neither is present.
func FindLockfile(names []string) string {
	has := map[string]bool{}
	for _, n := range names {
		has[n] = true
	}
	for _, n := range []string{"npm-shrinkwrap.json", "package-lock.json"} {
		if has[n] {
			return n
		}
	}
	return ""
}

var utf8BOM = []byte("\xef\xbb\xbf")

// Parse reads a package-lock.json or npm-shrinkwrap.json (both have the same
// format). Errors name the offending entry; the caller adds the file name.
func Parse(data []byte) (*Lockfile, error) {
	if len(data) > MaxLockfileSize {
		return nil, fmt.Errorf("lock/npm: %w: %d bytes is over the %d-byte limit (MaxLockfileSize)", ErrTooLarge, len(data), MaxLockfileSize)
	}
	data = bytes.TrimPrefix(data, utf8BOM)
	if err := validJSON(data); err != nil {
		return nil, fmt.Errorf("lock/npm: %w: %v", ErrSyntax, err)
	}
	top, ok, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("lock/npm: %w: %v", ErrSyntax, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock/npm: %w: the top level is not a JSON object", ErrSyntax)
	}
	if top.hasDup {
		return nil, fmt.Errorf("lock/npm: %w", top.errDup("top-level key"))
	}
	l := &Lockfile{}
	if l.LockfileVersion, err = lockfileVersion(top); err != nil {
		return nil, err
	}
	if l.Name, err = top.str("name"); err == nil {
		l.Version, err = top.str("version")
	}
	if err != nil {
		return nil, fmt.Errorf("lock/npm: %w: top-level %v", ErrSyntax, err)
	}
	pkgs, ok, err := decodeObject(top.values["packages"])
	if err != nil || !ok {
		return nil, fmt.Errorf("lock/npm: %w: \"packages\" is not a JSON object", ErrSyntax)
	}
	if pkgs.hasDup {
		return nil, entryErr(pkgs.dup, pkgs.errDup("\"packages\" key"))
	}
	l.Raw = pkgs.values
	if err := l.load(pkgs); err != nil {
		return nil, err
	}
	return l, nil
}

func lockfileVersion(top object) (int, error) {
	raw := top.values["lockfileVersion"]
	_, hasPackages := top.values["packages"]
	var f float64
	missing := isNull(raw)
	if !missing {
		if err := json.Unmarshal(raw, &f); err != nil {
			return 0, fmt.Errorf("lock/npm: %w: lockfileVersion %s is not a number", ErrUnsupportedVersion, raw)
		}
	}
	switch {
	case !hasPackages || (!missing && f == 1):
		return 0, fmt.Errorf("lock/npm: %w", ErrLockfileV1)
	case missing:
		return 0, fmt.Errorf("lock/npm: %w: lockfileVersion is missing; run `npm install --package-lock-only` to rewrite the lockfile", ErrUnsupportedVersion)
	case f != math.Trunc(f) || f < 1:
		return 0, fmt.Errorf("lock/npm: %w: lockfileVersion %s is not a positive integer", ErrUnsupportedVersion, raw)
	case f > 3:
		return 0, fmt.Errorf("lock/npm: %w: lockfileVersion %s was written by an npm newer than airlock knows; airlock reads versions 2 and 3 (npm 7 to 11): regenerate the lockfile with npm 11, or update airlock", ErrUnsupportedVersion, raw)
	}
	return int(f), nil
}

// load builds the nodes, the package list, the workspaces and the edges.
func (l *Lockfile) load(pkgs object) error {
	l.nodes = make(map[string]*node, len(pkgs.keys))
	var links []*node
	for _, key := range pkgs.keys {
		n, err := l.loadEntry(key, pkgs.values[key])
		if err != nil {
			return err
		}
		l.nodes[key] = n
		if key == "" {
			l.root = n
		} else if n.link {
			links = append(links, n)
		} else {
			l.order = append(l.order, n)
		}
	}
	if l.root == nil {
		// npm falls back to package.json; the project's own deps are then
		// unknown to us, which CheckInSync reports.
		l.root = &node{idx: -1, pkg: lock.Package{Ecosystem: lock.NPM, Name: l.Name, Version: l.Version}}
		l.nodes[""] = l.root
	}
	if l.Name == "" || l.root.pkg.Name != "" {
		l.Name = l.root.pkg.Name
	}
	if l.Version == "" || l.root.pkg.Version != "" {
		l.Version = l.root.pkg.Version
	}
	// npm's inventory: the root, the real entries, then the links.
	l.order = append(append([]*node{l.root}, l.order...), links...)

	for _, n := range links {
		if err := l.resolveLink(n); err != nil {
			return err
		}
	}
	for _, n := range l.order {
		l.setParents(n)
	}
	if err := l.findWorkspaces(pkgs.keys); err != nil {
		return err
	}
	l.loadEdges()
	if err := l.checkSubstitutions(); err != nil {
		return err
	}

	sorted := make([]*node, 0, len(l.nodes)-1)
	for _, n := range l.order[1:] {
		sorted = append(sorted, n)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].path < sorted[j].path })
	l.Packages = make([]lock.Package, len(sorted))
	for i, n := range sorted {
		n.idx = i
		l.Packages[i] = n.pkg
	}
	return nil
}

func (l *Lockfile) loadEntry(key string, raw json.RawMessage) (*node, error) {
	obj, ok, err := decodeObject(raw)
	if err != nil || !ok {
		return nil, entryErr(key, fmt.Errorf("%w: the entry is not a JSON object", ErrInvalidEntry))
	}
	if obj.hasDup {
		return nil, entryErr(key, obj.errDup("field"))
	}
	n := &node{path: key, idx: -1, pkg: lock.Package{Ecosystem: lock.NPM, Path: key}}
	if key != "" {
		if n.loc, err = parseLocation(key); err != nil {
			return nil, entryErr(key, err)
		}
	}
	p := &n.pkg
	// Fields are read in a fixed order so that the first error reported
	// is the same on every run.
	for _, f := range []struct {
		name string
		dst  *string
	}{{"name", &p.Name}, {"version", &p.Version}, {"resolved", &p.Resolved}, {"integrity", &p.Integrity}} {
		if *f.dst, err = obj.str(f.name); err != nil {
			return nil, entryErr(key, err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *bool
	}{
		{"link", &n.link}, {"inBundle", &n.inBundle}, {"dev", &p.Dev}, {"optional", &p.Optional},
		{"devOptional", &p.DevOptional}, {"peer", &p.Peer}, {"hasInstallScript", &p.HasInstallScript},
	} {
		if *f.dst, err = obj.flag(f.name); err != nil {
			return nil, entryErr(key, err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *[]string
	}{{"os", &p.OS}, {"cpu", &p.CPU}, {"libc", &p.Libc}} {
		if *f.dst, err = obj.stringList(f.name); err != nil {
			return nil, entryErr(key, err)
		}
	}
	// The root's name is the project's own business (npm installs a
	// project called "My App"); every other name must be a real one.
	switch {
	case key == "":
	case p.Name != "":
		if err := validName(p.Name); err != nil {
			return nil, entryErr(key, err)
		}
	default:
		p.Name = folderName(key)
	}
	p.Engines = engines(obj.values["engines"])
	p.Bin = normalizeBin(obj.values["bin"], p.Name)

	n.specs = map[edgeType]map[string]string{}
	for _, t := range depFields {
		_, m, err := obj.strMap(t.String())
		if err != nil {
			return nil, entryErr(key, err)
		}
		n.specs[t] = m
	}
	if _, n.accept, err = obj.strMap("acceptDependencies"); err != nil {
		return nil, entryErr(key, err)
	}
	n.meta = peerMeta(obj.values["peerDependenciesMeta"])
	n.bundleDeps, n.bundleAll = bundled(obj.values["bundleDependencies"])

	if key == "" {
		// npm builds the root from package.json and unsets its flags; the
		// root entry never is a link, bundled, or dev/optional.
		n.link, n.inBundle = false, false
		p.Dev, p.Optional, p.DevOptional, p.Peer = false, false, false, false
		return n, nil
	}
	if n.link {
		p.Source = lock.SourceLink
		if p.Resolved == "" {
			return nil, entryErr(key, fmt.Errorf("%w: a link without \"resolved\" (its target)", ErrInvalidEntry))
		}
		return n, nil
	}
	if p.Source, err = classify(p, n.loc, false, n.inBundle); err != nil {
		return nil, entryErr(key, err)
	}
	return n, nil
}

// engines keeps the string-valued engines; npm reads only "node" and "npm"
// and ignores an engines field of any other shape.
func engines(raw json.RawMessage) map[string]string {
	obj, ok, err := decodeObject(raw)
	if isNull(raw) || err != nil || !ok {
		return nil
	}
	out := map[string]string{}
	for _, k := range obj.keys {
		var s string
		if json.Unmarshal(obj.values[k], &s) == nil {
			out[k] = s
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func peerMeta(raw json.RawMessage) map[string]bool {
	obj, ok, err := decodeObject(raw)
	if isNull(raw) || err != nil || !ok {
		return nil
	}
	out := map[string]bool{}
	for _, k := range obj.keys {
		var m struct {
			Optional bool `json:"optional"`
		}
		if sub, ok, err := decodeObject(obj.values[k]); err == nil && ok {
			_ = json.Unmarshal(sub.values["optional"], &m.Optional)
		}
		out[k] = m.Optional
	}
	return out
}

// bundled reads bundleDependencies (npm normalizes the bundledDependencies
// spelling away before writing the lockfile): a list of names, or true for
// all dependencies.
func bundled(raw json.RawMessage) ([]string, bool) {
	if isNull(raw) {
		return nil, false
	}
	var all bool
	if json.Unmarshal(raw, &all) == nil {
		return nil, all
	}
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names, false
	}
	return nil, false
}

func (l *Lockfile) resolveLink(n *node) error {
	if _, err := parseLocation(n.pkg.Resolved); err != nil {
		return entryErr(n.path, fmt.Errorf("link target %q: %w", n.pkg.Resolved, err))
	}
	t := l.nodes[n.pkg.Resolved]
	if t == nil || t.link || n.pkg.Resolved == n.path {
		return entryErr(n.path, fmt.Errorf("%w: the link points to %q, which has no entry of its own; the lockfile is damaged: run `npm install` to repair it", ErrMissingTarget, n.pkg.Resolved))
	}
	n.target = t
	// A link is its target as far as npm's tree goes: same package, same
	// flags (arborist load-virtual copies them).
	tp := t.pkg
	p := &n.pkg
	p.Name, p.Version = tp.Name, tp.Version
	p.Dev, p.Optional, p.DevOptional, p.Peer = tp.Dev, tp.Optional, tp.DevOptional, tp.Peer
	p.OS, p.CPU, p.Libc, p.Engines, p.Bin = tp.OS, tp.CPU, tp.Libc, tp.Engines, tp.Bin
	p.HasInstallScript = tp.HasInstallScript
	return nil
}

// loadEdges builds every node's dependency edges and resolves each to the
// entry node would load for it.
func (l *Lockfile) loadEdges() {
	for _, n := range l.order {
		n.in = nil
	}
	for _, n := range l.order {
		n.loadEdges(l)
	}
	for _, n := range l.order {
		for _, name := range n.outOrder {
			e := n.out[name]
			e.to = l.resolve(n, name)
			if e.to != nil {
				e.to.in = append(e.to.in, e)
			}
		}
	}
}

// checkSubstitutions refuses a registry entry whose "name" differs from its
// folder when nothing asks for that package by an "npm:<name>@..." alias
// (or by a URL, path or git spec, which names no package).
// npm writes such a name only for aliases, and npm ci would install it
// anyway (its dep-valid checks only the version of a plain range), so a
// hand-edited "node_modules/lodash": {"name": "evil", ...} would put another
// package where lodash is required from. One alias edge is enough: other
// dependents of the same folder (peers of an aliased react, say) keep their
// plain ranges in lockfiles npm writes.
func (l *Lockfile) checkSubstitutions() error {
	for _, n := range l.order {
		if n == l.root || n.link || n.inBundle || n.pkg.Source != lock.SourceRegistry || !n.loc.inNodeModules() {
			continue
		}
		folder := n.loc.names[len(n.loc.names)-1]
		if n.pkg.Name == folder || len(n.in) == 0 {
			continue // not renamed, or needed by nothing (Select prunes it)
		}
		aliased := false
		for _, e := range n.in {
			for _, raw := range []string{e.spec, e.from.accept[e.name]} {
				switch sp := parseSpec(raw, ""); sp.kind {
				case specAlias:
					aliased = aliased || sp.aliasName == n.pkg.Name
				case specRemote, specFile, specDir, specGit:
					// A URL or path names no package: whatever it
					// serves is the package (a registry tarball URL
					// as a dependency is classified a registry entry).
					aliased = true
				}
			}
		}
		if !aliased {
			e := n.in[0]
			from := "the project"
			if e.from.path != "" {
				from = e.from.path
			}
			return entryErr(n.path, fmt.Errorf("%w: the entry installs package %q in folder %q, but %s asks for %q as %q, not as an \"npm:%s@...\" alias; npm writes another name only for aliases, so this entry substitutes one package for another: regenerate the lockfile with `npm install --package-lock-only` and review the diff",
				ErrSubstitution, n.pkg.Name, folder, from, e.name, e.spec, n.pkg.Name))
		}
	}
	return nil
}

// LegacyPeerDeps gives the lockfile npm's graph under legacy-peer-deps
// (legacy-peer-deps=true in .npmrc, as many projects set it since npm 7):
// peer dependencies are no edges at all (arborist Node loadDeps skips
// them), so CheckInSync neither requires nor checks them and Select follows
// none, in the lockfile's entries and in package.json alike. Call it before
// CheckInSync and Select.
func (l *Lockfile) LegacyPeerDeps() {
	if l.legacyPeerDeps {
		return
	}
	l.legacyPeerDeps = true
	l.loadEdges()
}

// setParents links a node to the package folder it sits in and to the top
// of that chain (the project root or a project directory).
func (l *Lockfile) setParents(n *node) {
	if n == l.root {
		n.top = n
		return
	}
	if k := len(n.loc.names); k > 0 {
		n.parent = l.nodes[joinLocation(n.loc.top, n.loc.names[:k-1])]
	}
	n.top = l.nodes[n.loc.top]
}

func joinLocation(top string, names []string) string {
	var b strings.Builder
	b.WriteString(top)
	for _, name := range names {
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString("node_modules/")
		b.WriteString(name)
	}
	return b.String()
}

// childPath is where a dependency name would sit in dir's node_modules.
func childPath(dir, name string) string {
	if dir == "" {
		return "node_modules/" + name
	}
	return dir + "/node_modules/" + name
}

// resolve finds the entry a dependency of n named name resolves to, the way
// node (and arborist's Node.resolve) does: n's own node_modules, then each
// enclosing directory that is itself an entry, up to the project root.
func (l *Lockfile) resolve(n *node, name string) *node {
	dir := n.path
	for {
		if _, isEntry := l.nodes[dir]; isEntry {
			if c := l.nodes[childPath(dir, name)]; c != nil {
				return c
			}
		}
		if dir == "" {
			return nil
		}
		i := strings.LastIndexByte(dir, '/')
		if i < 0 {
			dir = ""
		} else {
			dir = dir[:i]
		}
	}
}

func (l *Lockfile) findWorkspaces(keys []string) error {
	patterns, err := workspacePatterns(rawField(l.Raw[""], "workspaces"))
	if err != nil {
		return entryErr("", err)
	}
	byName := map[string]*node{}
	var names []string
	for _, dir := range matchWorkspaces(patterns, keys) {
		n := l.nodes[dir]
		if n == nil || n.link || n.loc.inNodeModules() {
			continue
		}
		if _, seen := byName[n.pkg.Name]; !seen {
			names = append(names, n.pkg.Name)
		}
		byName[n.pkg.Name] = n // map-workspaces: a later directory with the same name wins
	}
	for _, name := range names {
		n := byName[name]
		// npm counts a directory as a workspace when the root's workspace
		// edge for its name lands on a link to it.
		if c := l.nodes[childPath("", name)]; c != nil && c.link && c.target == n {
			n.isWorkspace = true
			l.Workspaces = append(l.Workspaces, n.path)
		}
	}
	sort.Strings(l.Workspaces)
	return nil
}

// rawField reads one key of a raw JSON object, or nil.
func rawField(raw json.RawMessage, key string) json.RawMessage {
	obj, ok, err := decodeObject(raw)
	if isNull(raw) || err != nil || !ok {
		return nil
	}
	return obj.values[key]
}
