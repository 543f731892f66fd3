package yarnberry

import (
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// Instance is one package as yarn's linkers see it: a lockfile entry, or a
// "virtual" copy of one for each distinct set of resolutions of its peer
// dependencies (yarn's virtual packages), with its dependencies resolved.
type Instance struct {
	Entry *Entry
	// Locator is the entry's, with "virtual:<hash>#" before the reference
	// for a virtual instance.
	Locator Locator
	// Deps are yarn's packageDependencies in yarn's order: the package
	// itself, then its peer dependencies, then its dependencies. Target is
	// nil for a peer dependency nothing provides.
	Deps []Edge
	// Peers names the peer dependencies.
	Peers map[string]bool

	byName     map[string]int
	peerTarget map[string]*Instance
	peerOrder  []string
	merged     bool
}

// Edge is one dependency: the name it is required under, and what it
// resolves to.
type Edge struct {
	Name   string
	Target *Instance
}

// Virtual reports whether the instance is a virtual package.
func (in *Instance) Virtual() bool { return strings.HasPrefix(in.Locator.Reference, "virtual:") }

// LocatorHash is yarn's locatorHash: the SHA-512 (hex) of the ident hash
// and the reference, the ident hash being the SHA-512 of the scope
// (without "@") and the name.
func LocatorHash(l Locator) string {
	scope, name := "", l.Name
	if s, n, ok := strings.Cut(l.Name, "/"); ok && strings.HasPrefix(s, "@") {
		scope, name = s[1:], n
	}
	ident := sha512.Sum512([]byte(scope + name))
	loc := sha512.Sum512([]byte(hex.EncodeToString(ident[:]) + l.Reference))
	return hex.EncodeToString(loc[:])
}

// Soft reports whether the instance is symlinked rather than copied.
func (in *Instance) Soft() bool { return in.Entry.LinkType == "soft" }

// Dep returns the resolution of name, or nil.
func (in *Instance) Dep(name string) *Instance {
	if i, ok := in.byName[name]; ok {
		return in.Deps[i].Target
	}
	return nil
}

func (in *Instance) set(name string, t *Instance) {
	if i, ok := in.byName[name]; ok {
		in.Deps[i].Target = t
		return
	}
	in.byName[name] = len(in.Deps)
	in.Deps = append(in.Deps, Edge{Name: name, Target: t})
}

// Graph is what an install on one platform sees of a lockfile.
type Graph struct {
	// Root is the project's root workspace; Workspaces are all of them,
	// the root first.
	Root       *Instance
	Workspaces []*Instance
	// Instances are every instance reached, in the order first reached.
	Instances []*Instance
	// Skipped are the entries left out because their conditions do not
	// match the platform, sorted by locator.
	Skipped []*Entry
	// Unreached are entries no dependency of any workspace reaches, on
	// any platform, sorted by locator. yarn writes such entries for the
	// dependencies its packageExtensions add (the builtin list of
	// @yarnpkg/extensions, or .yarnrc.yml's packageExtensions), which
	// the lockfile records only as these entries: airlock does not apply
	// extensions, so these packages are not installed.
	Unreached []*Entry
	// Unpatched maps each builtin compat patch entry of an
	// UnpatchedGraph to the plain npm entry installed in its place.
	Unpatched map[*Entry]*Entry
}

// Fetched are the entries an install must download: the npm packages of
// the graph, each once, in the order first reached.
func (g *Graph) Fetched() []*Entry {
	seen := map[*Entry]bool{}
	var out []*Entry
	for _, in := range g.Instances {
		e := in.Entry
		if src := g.Unpatched[e]; src != nil {
			e = src
		}
		if e.Kind() == KindNpm && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

// Source is the entry whose package is installed for e: e itself, or for
// a builtin compat patch installed unpatched (UnpatchedGraph), the plain
// npm entry it patches.
func (g *Graph) Source(e *Entry) *Entry {
	if src := g.Unpatched[e]; src != nil {
		return src
	}
	return e
}

// maxVirtual bounds the instances of one graph (virtual packages: one per
// parent with peer dependencies to resolve), which a hostile lockfile could
// otherwise multiply; the largest real projects make tens of thousands.
const maxVirtual = 1 << 18

// maxVirtualEdges bounds the dependencies of all virtual packages
// together. Each virtual package copies its package's dependencies, so a
// lockfile of a few MB can multiply them past memory (8,000 parents each
// virtualizing a package of 4,000 dependencies: a 5.8 MB yarn.lock took
// 6 GB and minutes). The 726-entry fixture has 501; monorepos with tens
// of thousands of virtual packages stay far below this.
const maxVirtualEdges = 1 << 21

// maxGraphDepth bounds the recursion of peer resolution chains.
const maxGraphDepth = 10000

type graphBuilder struct {
	lf           *Lockfile
	platform     Platform
	allowPatches bool
	g            *Graph
	all          []*Instance
	canon        map[*Entry]*Instance
	// dedupe is yarn's map from a virtual package's dependency
	// resolutions to the first virtual package that had them.
	dedupe  map[string]*Instance
	visited map[*Instance]bool
	// dependents maps a virtual package to the virtual packages whose
	// peer dependency resolved to it, for re-checking them when it is
	// merged into another.
	dependents map[*Instance][]*Instance
	depth      int
	// virtualEdges counts the dependencies of the virtual packages made.
	virtualEdges int
}

// Graph resolves the lockfile for a platform as yarn 4 does
// (Project.resolvePeerDependencies over normalizePackage's manifests):
// from every workspace, each dependency to its entry (through yarn's
// builtin compat patch when the lockfile has one), each peer dependency
// to what the dependent's parent provides under that name (or the parent
// itself), one virtual package per parent, named after the parent's
// locator hash and merged with the first virtual package whose
// dependencies resolve the same way. Packages whose conditions do not
// match the platform are then left out with everything only they depend
// on. Resolutions airlock does not install (patch:, git, remote
// archives, exec:, link:, portal:) are refused with ErrUnsupported when
// an install reaches them.
func (lf *Lockfile) Graph(p Platform) (*Graph, error) {
	return lf.graph(p, false)
}

// LayoutGraph is Graph, except that packages yarn patches with its
// builtin compat patches (resolve, typescript, fsevents) are kept: for
// computing where packages go (which patches do not change), never for
// installing them.
func (lf *Lockfile) LayoutGraph(p Platform) (*Graph, error) {
	return lf.graph(p, true)
}

// UnpatchedGraph is Graph, except that a package yarn installs with one
// of its builtin compat patches is installed as published: the plain npm
// entry the patch applies to (which the lockfile pins with its own
// checksum) takes the patched package's place. yarn's compat patches make
// resolve, typescript and fsevents work under Plug'n'Play; the files then
// differ from yarn's tree in those packages only. Graph.Unpatched lists
// the substitutions.
func (lf *Lockfile) UnpatchedGraph(p Platform) (*Graph, error) {
	g, err := lf.graph(p, true)
	if err != nil {
		return nil, err
	}
	g.Unpatched = map[*Entry]*Entry{}
	for _, in := range g.Instances {
		e := in.Entry
		if !e.IsBuiltinPatch() || g.Unpatched[e] != nil {
			continue
		}
		src := lf.PatchSource(e)
		if src == nil || src.Kind() != KindNpm {
			return nil, fmt.Errorf("yarn.lock line %d: %w: %s patches a package the lockfile has no npm entry for", e.Line, ErrLockfile, e.Locator)
		}
		g.Unpatched[e] = src
	}
	return g, nil
}

func (lf *Lockfile) graph(p Platform, allowBuiltinPatches bool) (*Graph, error) {
	b := &graphBuilder{lf: lf, platform: p, allowPatches: allowBuiltinPatches, g: &Graph{},
		canon: map[*Entry]*Instance{}, dedupe: map[string]*Instance{}, visited: map[*Instance]bool{},
		dependents: map[*Instance][]*Instance{}}
	ws := lf.Workspaces()
	if len(ws) == 0 || ws[0].WorkspacePath() != "." {
		return nil, fmt.Errorf("yarn.lock: %w: no root workspace entry (name@workspace:.)", ErrLockfile)
	}
	for _, e := range ws {
		b.g.Workspaces = append(b.g.Workspaces, b.canonical(e))
	}
	// Project.resolvePeerDependencies: each workspace in turn is the top
	// of a depth-first walk.
	for _, in := range b.g.Workspaces {
		if err := b.visit(in, in); err != nil {
			return nil, err
		}
	}
	b.g.Root = b.g.Workspaces[0]
	if err := b.finish(); err != nil {
		return nil, err
	}
	reached := map[*Entry]bool{}
	var reach func(e *Entry)
	reach = func(e *Entry) {
		if reached[e] {
			return
		}
		reached[e] = true
		for _, d := range e.Dependencies {
			if t := lf.Lookup(d.Descriptor()); t != nil {
				reach(t)
			}
			if t := lf.Resolve(d); t != nil {
				reach(t)
			}
		}
	}
	for _, e := range ws {
		reach(e)
	}
	for _, e := range lf.Entries {
		if !reached[e] {
			b.g.Unreached = append(b.g.Unreached, e)
		}
	}
	sort.Slice(b.g.Unreached, func(i, j int) bool {
		return b.g.Unreached[i].Locator.String() < b.g.Unreached[j].Locator.String()
	})
	return b.g, nil
}

func (b *graphBuilder) compatible(e *Entry) bool {
	if e.Conditions == "" {
		return true
	}
	c, err := ParseConditions(e.Conditions)
	return err == nil && c.Match(b.platform)
}

func (b *graphBuilder) newInstance(e *Entry, loc Locator) *Instance {
	in := &Instance{Entry: e, Locator: loc, Peers: map[string]bool{}, byName: map[string]int{}, peerTarget: map[string]*Instance{}}
	b.all = append(b.all, in)
	return in
}

// canonical is the one instance of a package without peer dependencies
// (or of a workspace walked as a top).
func (b *graphBuilder) canonical(e *Entry) *Instance {
	if in := b.canon[e]; in != nil {
		return in
	}
	in := b.newInstance(e, e.Locator)
	b.canon[e] = in
	return in
}

// depOrder is the order in which yarn walks a package's dependencies:
// normalizePackage sorts them by descriptor; a virtual package's are
// sorted again by name once its peers are resolved.
func depOrder(in *Instance) []Dep {
	deps := append([]Dep(nil), in.Entry.Dependencies...)
	if in.Virtual() {
		sort.SliceStable(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	} else {
		sort.SliceStable(deps, func(i, j int) bool { return deps[i].Name+"@" < deps[j].Name+"@" })
	}
	return deps
}

// visit is resolvePeerDependencies' walk of one package: dependencies
// without peer dependencies are walked at once; the others are
// virtualized together (named after this package's locator hash), their
// peer dependencies resolved among this package's dependencies,
// deduplicated against every virtual package made so far, and walked
// last.
func (b *graphBuilder) visit(in, top *Instance) error {
	if b.visited[in] {
		return nil
	}
	b.visited[in] = true
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxGraphDepth {
		return fmt.Errorf("yarn.lock: %w: dependencies nest more than %d deep", ErrLockfile, maxGraphDepth)
	}
	e := in.Entry
	type pending struct {
		name  string
		entry *Entry
		v     *Instance
	}
	var queue []*pending
	resolved := map[string]*Instance{}
	var order []string
	for _, d := range depOrder(in) {
		if in.Peers[d.Name] && in != top {
			continue
		}
		t := b.lf.Resolve(d)
		if t == nil {
			return fmt.Errorf("yarn.lock line %d: %w: %s depends on %s, which no entry resolves", e.Line, ErrLockfile, e.Locator, d.Descriptor())
		}
		order = append(order, d.Name)
		if len(t.Peers()) == 0 {
			child := b.canonical(t)
			resolved[d.Name] = child
			if err := b.visit(child, top); err != nil {
				return err
			}
			continue
		}
		queue = append(queue, &pending{name: d.Name, entry: t})
	}
	if len(b.all)+len(queue) > maxVirtual {
		return fmt.Errorf("yarn.lock: %w: peer dependencies make more than %d virtual packages", ErrLockfile, maxVirtual)
	}
	for _, q := range queue {
		b.virtualEdges += len(q.entry.Dependencies)
	}
	if b.virtualEdges > maxVirtualEdges {
		return fmt.Errorf("yarn.lock: %w: peer dependencies make virtual packages with more than %d dependencies in all", ErrLockfile, maxVirtualEdges)
	}
	// Make the virtual packages, then resolve their peers: a sibling's
	// peer dependency sees the virtual packages made beside it.
	hash := LocatorHash(in.Locator)
	for _, q := range queue {
		q.v = b.newInstance(q.entry, Locator{Name: q.entry.Locator.Name, Reference: "virtual:" + hash + "#" + q.entry.Locator.Reference})
		resolved[q.name] = q.v
	}
	lookup := func(name string) *Instance {
		if t, ok := resolved[name]; ok {
			return t
		}
		return in.peerTarget[name]
	}
	for _, q := range queue {
		regular := map[string]bool{}
		for _, d := range q.entry.Dependencies {
			regular[d.Name] = true
		}
		for _, p := range q.entry.Peers() {
			t := lookup(p)
			if t == nil && in.Locator.Name == p {
				t = in
			}
			if t == nil && regular[p] {
				// A missing peer the package also depends on is not a peer.
				continue
			}
			q.v.Peers[p] = true
			q.v.peerTarget[p] = t
			q.v.peerOrder = append(q.v.peerOrder, p)
			if t != nil && t.Virtual() {
				b.dependents[t] = append(b.dependents[t], q.v)
			}
		}
	}
	// Deduplicate, re-checking the dependents of a merged package.
	alive := map[*Instance]bool{}
	var be []*Instance
	inBe := map[*Instance]bool{}
	for _, q := range queue {
		alive[q.v] = true
		be = append(be, q.v)
		inBe[q.v] = true
	}
	for i := 0; i < len(be); i++ {
		x := be[i]
		if !inBe[x] {
			continue
		}
		delete(inBe, x)
		key := b.dedupeKey(x, top)
		master, ok := b.dedupe[key]
		if !ok {
			b.dedupe[key] = x
			continue
		}
		for name, t := range resolved {
			if t == x {
				resolved[name] = master
			}
		}
		for _, y := range b.dependents[x] {
			for p, t := range y.peerTarget {
				if t == x {
					y.peerTarget[p] = master
				}
			}
			b.dependents[master] = append(b.dependents[master], y)
			if !inBe[y] && alive[y] {
				inBe[y] = true
				be = append(be, y)
			}
		}
		alive[x] = false
		x.merged = true
	}
	// The package's packageDependencies: itself, its peers, then its
	// dependencies in walk order.
	in.set(in.Locator.Name, in)
	for _, p := range in.peerOrder {
		in.set(p, in.peerTarget[p])
	}
	for _, n := range order {
		if _, ok := in.byName[n]; !ok || !in.Peers[n] {
			in.set(n, resolved[n])
		}
	}
	for _, q := range queue {
		if v := resolved[q.name]; v == q.v && alive[q.v] {
			if err := b.visit(q.v, top); err != nil {
				return err
			}
		}
	}
	return nil
}

// dedupeKey is what makes two virtual packages the same for yarn: the
// package and the resolutions of all its dependencies, in name order,
// a resolution to the top workspace marked as such.
func (b *graphBuilder) dedupeKey(v, top *Instance) string {
	type kv struct{ name, res string }
	var deps []kv
	res := func(t *Instance) string {
		if t == nil {
			return "missing:"
		}
		if t == top {
			return t.Locator.String() + " (top)"
		}
		return t.Locator.String()
	}
	for _, d := range v.Entry.Dependencies {
		if v.Peers[d.Name] {
			continue
		}
		t := b.lf.Resolve(d)
		r := "unresolved:" + d.Descriptor()
		if t != nil {
			r = t.Locator.String()
		}
		deps = append(deps, kv{d.Name, r})
	}
	for _, p := range v.peerOrder {
		deps = append(deps, kv{p, res(v.peerTarget[p])})
	}
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].name < deps[j].name })
	var sb strings.Builder
	sb.WriteString(v.Entry.Locator.String())
	for _, d := range deps {
		sb.WriteString("\x00" + d.res)
	}
	return sb.String()
}

// finish keeps what this platform installs: edges to packages whose
// conditions do not match are dropped (a peer dependency on one stays
// unresolved), as yarn attaches only packages it installs; then only the
// instances reached from the workspaces remain, and those must be
// installable.
func (b *graphBuilder) finish() error {
	skipped := map[*Entry]bool{}
	for _, in := range b.all {
		if in.merged {
			continue
		}
		kept := in.Deps[:0]
		for _, d := range in.Deps {
			if d.Target != nil && !b.compatible(d.Target.Entry) {
				skipped[d.Target.Entry] = true
				if !in.Peers[d.Name] {
					continue
				}
				d.Target = nil
			}
			kept = append(kept, d)
		}
		in.Deps = kept
		in.byName = map[string]int{}
		for i, d := range in.Deps {
			in.byName[d.Name] = i
		}
	}
	reached := map[*Instance]bool{}
	var walk func(in *Instance)
	walk = func(in *Instance) {
		if reached[in] {
			return
		}
		reached[in] = true
		for _, d := range in.Deps {
			if d.Target != nil {
				walk(d.Target)
			}
		}
	}
	for _, ws := range b.g.Workspaces {
		walk(ws)
	}
	for _, in := range b.all {
		if !reached[in] {
			continue
		}
		if err := b.installable(in.Entry); err != nil {
			return err
		}
		b.g.Instances = append(b.g.Instances, in)
	}
	reachedEntries := map[*Entry]bool{}
	for _, in := range b.g.Instances {
		reachedEntries[in.Entry] = true
	}
	for e := range skipped {
		if !reachedEntries[e] {
			b.g.Skipped = append(b.g.Skipped, e)
		}
	}
	sort.Slice(b.g.Skipped, func(i, j int) bool {
		return b.g.Skipped[i].Locator.String() < b.g.Skipped[j].Locator.String()
	})
	return nil
}

// installable refuses the resolutions airlock does not install.
func (b *graphBuilder) installable(e *Entry) error {
	switch e.Kind() {
	case KindPatch:
		if b.allowPatches && e.IsBuiltinPatch() {
			return nil
		}
		if e.IsBuiltinPatch() {
			return fmt.Errorf("yarn.lock line %d: %w: yarn installs %s@%s with one of its builtin compat patches (%s), and the lockfile's checksum covers the patched package, which airlock cannot rebuild without yarn's patch", e.Line, ErrBuiltinPatch, e.Locator.Name, e.Version, e.Locator)
		}
		return fmt.Errorf("yarn.lock line %d: %w: %s is patched (patch: protocol); the lockfile's checksum covers the patched package, which airlock does not rebuild; install this project with yarn", e.Line, ErrUnsupported, e.Locator)
	case KindLink:
		return fmt.Errorf("yarn.lock line %d: %w: %s is a link: or portal: dependency, which airlock does not lay out yet", e.Line, ErrUnsupported, e.Locator)
	case KindOther:
		return fmt.Errorf("yarn.lock line %d: %w: %s is resolved from %q, which is not an npm registry or a workspace (airlock installs only those from a berry lockfile)", e.Line, ErrUnsupported, e.Locator, e.Locator.Reference)
	}
	return nil
}
