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

	byName map[string]int
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

// maxVirtual bounds the virtual packages of one graph: each distinct
// resolution of peer dependencies is one, and a hostile lockfile could
// otherwise make them multiply.
const maxVirtual = 1 << 20

// maxGraphDepth bounds the recursion of peer resolution chains.
const maxGraphDepth = 10000

type graphBuilder struct {
	lf       *Lockfile
	platform Platform
	canon    map[*Entry]*Instance
	virtual  map[string]*Instance
	skipped  map[*Entry]bool
	g        *Graph
	depth    int

	allowPatches bool
}

// Graph resolves the lockfile for a platform: from every workspace, each
// dependency to its entry, each peer dependency to what the dependent's
// parent provides under that name (or the parent itself), as yarn does.
// Packages whose conditions do not match the platform are left out with
// everything only they depend on. Resolutions airlock does not install
// (patch:, git, remote archives, exec:, link:, portal:) are refused with
// ErrUnsupported when they are reached.
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
	b := &graphBuilder{lf: lf, platform: p, allowPatches: allowBuiltinPatches, canon: map[*Entry]*Instance{}, virtual: map[string]*Instance{},
		skipped: map[*Entry]bool{}, g: &Graph{}}
	for _, ws := range lf.Workspaces() {
		in, err := b.instance(ws, nil)
		if err != nil {
			return nil, err
		}
		b.g.Workspaces = append(b.g.Workspaces, in)
	}
	if len(b.g.Workspaces) == 0 || b.g.Workspaces[0].Entry.WorkspacePath() != "." {
		return nil, fmt.Errorf("yarn.lock: %w: no root workspace entry (name@workspace:.)", ErrLockfile)
	}
	b.g.Root = b.g.Workspaces[0]
	for e := range b.skipped {
		b.g.Skipped = append(b.g.Skipped, e)
	}
	sort.Slice(b.g.Skipped, func(i, j int) bool {
		return b.g.Skipped[i].Locator.String() < b.g.Skipped[j].Locator.String()
	})
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
	for _, ws := range lf.Workspaces() {
		reach(ws)
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
	in := &Instance{Entry: e, Locator: loc, Peers: map[string]bool{}, byName: map[string]int{}}
	b.g.Instances = append(b.g.Instances, in)
	return in
}

func (b *graphBuilder) instance(e *Entry, parent *Instance) (*Instance, error) {
	b.depth++
	defer func() { b.depth-- }()
	if b.depth > maxGraphDepth {
		return nil, fmt.Errorf("yarn.lock: %w: dependencies nest more than %d deep", ErrLockfile, maxGraphDepth)
	}
	switch e.Kind() {
	case KindPatch:
		if b.allowPatches && e.IsBuiltinPatch() {
			break
		}
		if e.IsBuiltinPatch() {
			return nil, fmt.Errorf("yarn.lock line %d: %w: yarn installs %s@%s with one of its builtin compat patches (%s), and the lockfile's checksum covers the patched package, which airlock cannot rebuild without yarn's patch", e.Line, ErrBuiltinPatch, e.Locator.Name, e.Version, e.Locator)
		}
		return nil, fmt.Errorf("yarn.lock line %d: %w: %s is patched (patch: protocol); the lockfile's checksum covers the patched package, which airlock does not rebuild; install this project with yarn", e.Line, ErrUnsupported, e.Locator)
	case KindLink:
		return nil, fmt.Errorf("yarn.lock line %d: %w: %s is a link: or portal: dependency, which airlock does not lay out yet", e.Line, ErrUnsupported, e.Locator)
	case KindOther:
		return nil, fmt.Errorf("yarn.lock line %d: %w: %s is resolved from %q, which is not an npm registry or a workspace (airlock installs only those from a berry lockfile)", e.Line, ErrUnsupported, e.Locator, e.Locator.Reference)
	}
	peers := e.Peers()
	if len(peers) == 0 || e.Kind() == KindWorkspace && parent == nil {
		if in := b.canon[e]; in != nil {
			return in, nil
		}
		in := b.newInstance(e, e.Locator)
		b.canon[e] = in
		in.set(e.Locator.Name, in)
		return in, b.fill(in)
	}
	// A virtual instance: one per distinct resolution of the peers.
	var key strings.Builder
	key.WriteString(e.Locator.String())
	targets := make([]*Instance, len(peers))
	for i, p := range peers {
		var t *Instance
		if parent != nil {
			t = parent.Dep(p)
			if t == nil && parent.Locator.Name == p {
				t = parent
			}
		}
		targets[i] = t
		key.WriteString("\x00" + p + "=")
		if t != nil {
			key.WriteString(t.Locator.String())
		}
	}
	k := key.String()
	if in := b.virtual[k]; in != nil {
		return in, nil
	}
	if len(b.virtual) >= maxVirtual {
		return nil, fmt.Errorf("yarn.lock: %w: peer dependencies make more than %d virtual packages", ErrLockfile, maxVirtual)
	}
	// yarn names a virtual package after the locator hash of the parent
	// it was first made for (Project.resolvePeerDependencies), which
	// node_modules/.yarn-state.yml records.
	in := b.newInstance(e, Locator{Name: e.Locator.Name, Reference: "virtual:" + LocatorHash(parent.Locator) + "#" + e.Locator.Reference})
	b.virtual[k] = in
	in.set(e.Locator.Name, in)
	for i, p := range peers {
		in.Peers[p] = true
		in.set(p, targets[i])
	}
	return in, b.fill(in)
}

// fill resolves the regular dependencies of in. A dependency whose
// conditions do not match the platform is not attached, as yarn attaches
// only packages it installed.
func (b *graphBuilder) fill(in *Instance) error {
	e := in.Entry
	entries := make([]*Entry, len(e.Dependencies))
	for i, d := range e.Dependencies {
		t := b.lf.Resolve(d)
		if t == nil {
			return fmt.Errorf("yarn.lock line %d: %w: %s depends on %s, which no entry resolves", e.Line, ErrLockfile, e.Locator, d.Descriptor())
		}
		entries[i] = t
	}
	// Peers of a dependency resolve among its siblings, which may come
	// later in the list: resolve packages without peer dependencies first.
	for pass := 0; pass < 2; pass++ {
		for i, d := range e.Dependencies {
			t := entries[i]
			if (len(t.Peers()) > 0) != (pass == 1) {
				continue
			}
			if in.Peers[d.Name] {
				continue
			}
			if !b.compatible(t) {
				b.skipped[t] = true
				continue
			}
			child, err := b.instance(t, in)
			if err != nil {
				return err
			}
			in.set(d.Name, child)
		}
	}
	// yarn orders packageDependencies by insertion: self, peers, then the
	// dependencies in its order (see reorder). Two passes inserted those
	// with peers last; put them back.
	b.reorder(in)
	return nil
}

func (b *graphBuilder) reorder(in *Instance) {
	// yarn sorts a package's dependencies by descriptor ("name@range"),
	// which differs from the lockfile's order by name when one name
	// continues another ("eslint-config-prettier@" < "eslint@").
	keys := make([]string, len(in.Entry.Dependencies))
	for i, d := range in.Entry.Dependencies {
		keys[i] = d.Name + "@"
	}
	sort.Strings(keys)
	pos := map[string]int{}
	for i, k := range keys {
		pos[strings.TrimSuffix(k, "@")] = i
	}
	head := 1
	if in.Virtual() {
		head += len(in.Entry.Peers())
	}
	if head > len(in.Deps) {
		return
	}
	rest := in.Deps[head:]
	sort.SliceStable(rest, func(i, j int) bool { return pos[rest[i].Name] < pos[rest[j].Name] })
	for i, d := range in.Deps {
		in.byName[d.Name] = i
	}
}
