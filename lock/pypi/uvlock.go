package pypi

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// UVOptions chooses which parts of a uv.lock project graph are installed,
// with uv sync's flags and defaults.
type UVOptions struct {
	// Extras to enable on the root project (--extra); AllExtras enables
	// every one (--all-extras).
	Extras    []string
	AllExtras bool
	// Groups to add to the defaults (--group); OnlyGroups installs only
	// these groups and not the project's own dependencies (--only-group);
	// NoGroups removes groups (--no-group); NoDefaultGroups drops the
	// default groups (--no-default-groups); NoDev is --no-dev (an alias of
	// --no-group dev); AllGroups is --all-groups.
	Groups, OnlyGroups, NoGroups []string
	NoDefaultGroups, NoDev       bool
	AllGroups                    bool
	// DefaultGroups are the project's [tool.uv] default-groups, which
	// uv.lock does not record; nil means uv's default, ["dev"].
	DefaultGroups []string
	// Package selects one workspace member as the root (--package); ""
	// means the project at the lock's directory, or every member when the
	// workspace root is not a project itself. AllPackages makes every
	// workspace member a root (--all-packages).
	Package     string
	AllPackages bool
}

type uvFile struct {
	Version        *int   `toml:"version"`
	Revision       int    `toml:"revision"`
	RequiresPython string `toml:"requires-python"`
	Manifest       struct {
		Members []string `toml:"members"`
		// Requirements and DependencyGroups belong to a workspace root
		// that is not itself a project (or a script): requirements, not
		// resolved edges.
		Requirements     []uvRequirement            `toml:"requirements"`
		DependencyGroups map[string][]uvRequirement `toml:"dependency-groups"`
	} `toml:"manifest"`
	// Conflicts are the project's declared conflicting extras and groups
	// ([tool.uv] conflicts), which uv records in the lock.
	Conflicts [][]uvConflictItem `toml:"conflicts"`
	Packages  []uvPackage        `toml:"package"`
}

// uvRequirement is a PEP 508 requirement as uv.lock's manifest spells it.
type uvRequirement struct {
	Name      string   `toml:"name"`
	Specifier string   `toml:"specifier"`
	Marker    string   `toml:"marker"`
	Extras    []string `toml:"extras"`
}

type uvConflictItem struct {
	Package string `toml:"package"`
	Extra   string `toml:"extra"`
	Group   string `toml:"group"`
}

type uvPackage struct {
	Name                 string             `toml:"name"`
	Version              string             `toml:"version"`
	Source               map[string]string  `toml:"source"`
	ResolutionMarkers    []string           `toml:"resolution-markers"`
	Dependencies         []uvDep            `toml:"dependencies"`
	OptionalDependencies map[string][]uvDep `toml:"optional-dependencies"`
	DevDependencies      map[string][]uvDep `toml:"dev-dependencies"`
	Sdist                *uvFileEntry       `toml:"sdist"`
	Wheels               []uvFileEntry      `toml:"wheels"`
}

type uvDep struct {
	Name    string            `toml:"name"`
	Version string            `toml:"version"`
	Source  map[string]string `toml:"source"`
	Marker  string            `toml:"marker"`
	Extra   []string          `toml:"extra"`
}

type uvFileEntry struct {
	URL        string `toml:"url"`
	Path       string `toml:"path"`
	Filename   string `toml:"filename"`
	Hash       string `toml:"hash"`
	Size       *int64 `toml:"size"`
	UploadTime any    `toml:"upload-time"`
}

// uvGraph is uv.lock's dependency graph, resolved to node indexes.
type uvGraph struct {
	nodes     []uvNode
	roots     []int
	opts      UVOptions
	conflicts [][]string // encoded items (see encodedConflictItem)
}

type uvNode struct {
	dist   Dist
	member bool // a workspace member: walked, never installed
	// forks are the package's resolution-markers: the environments its
	// version was resolved for. A manifest requirement matching several
	// versions picks the one whose fork holds.
	forks    []*Marker
	deps     []uvEdge
	optional map[string][]uvEdge // by normalised extra name
	dev      map[string][]uvEdge // by normalised group name
}

type uvEdge struct {
	to     int
	marker *Marker
	extras []string // normalised
	// cands, for a manifest requirement, are the packages its name and
	// specifier allow; the walk picks the one whose fork holds (to is -1).
	cands []int
}

// ParseUVLock reads a uv.lock (version 1) and records its graph; Lock.Select
// walks it from the root project with opts' extras and groups, following
// the edges whose markers hold. See the package doc.
func ParseUVLock(data []byte, opts UVOptions) (*Lock, error) {
	if len(data) > MaxLockSize {
		return nil, fmt.Errorf("uv.lock: %w (over %d bytes)", ErrTooLarge, MaxLockSize)
	}
	var f uvFile
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, fmt.Errorf("uv.lock: %w: %v", ErrSyntax, err)
	}
	if f.Version == nil {
		return nil, fmt.Errorf("uv.lock: %w: no version (is this a uv.lock?)", ErrInvalidEntry)
	}
	if *f.Version != 1 {
		return nil, fmt.Errorf("uv.lock: %w: version %d (airlock reads version 1)", ErrUnsupportedVersion, *f.Version)
	}
	if _, err := ParseSpecifiers(f.RequiresPython); err != nil {
		return nil, fmt.Errorf("uv.lock: requires-python: %w", err)
	}
	g := &uvGraph{opts: opts}
	for _, set := range f.Conflicts {
		var enc []string
		for _, it := range set {
			switch {
			case it.Package == "" || (it.Extra != "" && it.Group != ""):
				return nil, fmt.Errorf("uv.lock: %w: a conflicts item needs a package and at most one extra or group", ErrInvalidEntry)
			case it.Extra == "" && it.Group == "":
				// The project itself, i.e. its non-optional dependencies.
				enc = append(enc, encodedConflictItem("project", it.Package, ""))
			case it.Extra != "":
				enc = append(enc, encodedConflictItem("extra", it.Package, it.Extra))
			default:
				enc = append(enc, encodedConflictItem("group", it.Package, it.Group))
			}
		}
		g.conflicts = append(g.conflicts, enc)
	}
	byName := map[string][]int{}
	members := map[string]bool{}
	for _, m := range f.Manifest.Members {
		members[NormalizeName(m)] = true
	}
	for i, p := range f.Packages {
		entry := fmt.Sprintf("uv.lock package %s %s", p.Name, p.Version)
		n, err := uvNodeOf(p, members)
		if err != nil {
			return nil, &EntryError{Entry: entry, Err: err}
		}
		n.dist.Source = entry
		byName[NormalizeName(p.Name)] = append(byName[NormalizeName(p.Name)], i)
		g.nodes = append(g.nodes, n)
	}
	// Edges are resolved once all nodes exist.
	for i, p := range f.Packages {
		entry := fmt.Sprintf("uv.lock package %s %s", p.Name, p.Version)
		resolve := func(what string, deps []uvDep) ([]uvEdge, error) {
			var out []uvEdge
			for _, d := range deps {
				e, err := g.edge(d, byName, f.Packages)
				if err != nil {
					return nil, &EntryError{Entry: entry, Err: fmt.Errorf("%s: %w", what, err)}
				}
				out = append(out, e)
			}
			return out, nil
		}
		n := &g.nodes[i]
		var err error
		if n.deps, err = resolve("dependencies", p.Dependencies); err != nil {
			return nil, err
		}
		n.optional = map[string][]uvEdge{}
		for extra, deps := range p.OptionalDependencies {
			if n.optional[NormalizeName(extra)], err = resolve("optional-dependencies."+extra, deps); err != nil {
				return nil, err
			}
		}
		n.dev = map[string][]uvEdge{}
		for group, deps := range p.DevDependencies {
			if n.dev[NormalizeName(group)], err = resolve("dev-dependencies."+group, deps); err != nil {
				return nil, err
			}
		}
	}
	if err := g.findRoots(f.Packages, members); err != nil {
		return nil, err
	}
	if err := g.manifestRoot(f.Manifest.Requirements, f.Manifest.DependencyGroups, byName, f.Packages); err != nil {
		return nil, err
	}
	if len(g.roots) == 0 {
		return nil, fmt.Errorf("uv.lock: %w: no project root (no package with source editable, virtual or directory \".\", no workspace members, no [manifest] requirements)", ErrInvalidEntry)
	}
	lk := &Lock{Format: "uv.lock", RequiresPython: f.RequiresPython, uv: g}
	for _, n := range g.nodes {
		lk.Dists = append(lk.Dists, n.dist)
	}
	return lk, nil
}

// localSources are the uv source kinds that point into the project's own
// tree: a workspace member with one of them is walked, never installed.
var localSources = []string{"editable", "virtual", "directory"}

// sourceKinds are the keys of a uv.lock source table that say where the
// package comes from (others, such as subdirectory, qualify them).
var sourceKinds = []string{"registry", "git", "url", "path", "directory", "editable", "virtual"}

func uvNodeOf(p uvPackage, members map[string]bool) (uvNode, error) {
	if !validName.MatchString(p.Name) {
		return uvNode{}, fmt.Errorf("%w: name %q is not a valid project name", ErrInvalidEntry, p.Name)
	}
	if p.Version != "" {
		if _, err := ParseVersion(p.Version); err != nil {
			return uvNode{}, fmt.Errorf("%w: %v", ErrInvalidEntry, err)
		}
	}
	var kinds []string
	for k := range p.Source {
		if slices.Contains(sourceKinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		return uvNode{}, fmt.Errorf("%w: source must have exactly one of %s, got %v", ErrInvalidEntry, strings.Join(sourceKinds, ", "), slices.Collect(maps.Keys(p.Source)))
	}
	kind := kinds[0]
	val := p.Source[kind]
	d := Dist{Name: p.Name, Version: p.Version}
	n := uvNode{}
	switch kind {
	case "registry":
		if !strings.Contains(val, "://") {
			d.refuse = fmt.Errorf("%w: registry %q is a local directory (find-links): airlock fetches from index URLs only", ErrUnsupported, val)
		}
		d.Index = val
	case "editable", "virtual", "directory":
		if members[NormalizeName(p.Name)] || val == "." {
			n.member = true
		} else {
			d.refuse = fmt.Errorf("%w: %s source %q is a local project that would need a build, which runs its code", ErrUnsupported, kind, val)
		}
	case "git":
		d.refuse = fmt.Errorf("%w: git source %q would need a build, which runs package code: depend on a released wheel", ErrUnsupported, val)
	case "url", "path":
		d.refuse = fmt.Errorf("%w: %s source %q is not an index: airlock installs registry wheels only", ErrUnsupported, kind, val)
	default:
		return uvNode{}, fmt.Errorf("%w: unknown source kind %q", ErrInvalidEntry, kind)
	}
	for _, rm := range p.ResolutionMarkers {
		m, err := ParseMarker(rm)
		if err != nil {
			return uvNode{}, fmt.Errorf("resolution-markers: %w", err)
		}
		n.forks = append(n.forks, m)
	}
	for j, w := range p.Wheels {
		if w.URL == "" && w.Path == "" && w.Filename == "" && (kind == "url" || kind == "path") {
			// A wheel at a direct URL or path: the source names the file.
			w.Filename = path.Base(strings.ReplaceAll(val, "\\", "/"))
		}
		a, err := uvArtifact(w)
		if err != nil {
			return uvNode{}, fmt.Errorf("wheels[%d]: %w", j, err)
		}
		if err := checkWheelOf(a.Filename, p.Name, p.Version); err != nil {
			return uvNode{}, fmt.Errorf("wheels[%d]: %w", j, err)
		}
		d.Wheels = append(d.Wheels, a)
	}
	if p.Sdist != nil {
		sd := *p.Sdist
		if sd.URL == "" && sd.Path == "" && sd.Filename == "" {
			// uv writes only the hash when the source itself is the
			// archive (url, path, git); the sdist is never built anyway.
			sd.Filename = path.Base(strings.ReplaceAll(val, "\\", "/"))
		}
		a, err := uvArtifact(sd)
		if err != nil {
			return uvNode{}, fmt.Errorf("sdist: %w", err)
		}
		d.Sdist = &a
	}
	n.dist = d
	return n, nil
}

func uvArtifact(e uvFileEntry) (Artifact, error) {
	a := Artifact{Filename: e.Filename, URL: e.URL, Path: e.Path}
	if a.Filename == "" {
		if e.URL == "" && e.Path == "" {
			return Artifact{}, fmt.Errorf("%w: neither url, path nor filename", ErrInvalidEntry)
		}
		var err error
		if a.Filename, err = filenameOf(e.URL, e.Path); err != nil {
			return Artifact{}, err
		}
	}
	if strings.ContainsAny(a.Filename, "/\\\x00") {
		return Artifact{}, fmt.Errorf("%w: file name %q is not a plain file name", ErrInvalidEntry, a.Filename)
	}
	if e.Size != nil {
		if *e.Size < 0 {
			return Artifact{}, fmt.Errorf("%w: negative size", ErrInvalidEntry)
		}
		a.Size = *e.Size
	}
	switch t := e.UploadTime.(type) {
	case nil:
	case time.Time:
		a.UploadTime = t.UTC().Format(time.RFC3339)
	case string:
		a.UploadTime = t
	default:
		return Artifact{}, fmt.Errorf("%w: upload-time is a %T", ErrInvalidEntry, t)
	}
	// A missing hash is reported by Select, and only if the file would be
	// installed: uv omits hashes when the index publishes none.
	if e.Hash != "" {
		h, err := ParseHash(e.Hash)
		if err != nil {
			return Artifact{}, err
		}
		a.Hashes = []Hash{h}
	}
	return a, nil
}

// edge resolves a dependency to its node. uv writes version and source
// only when the name alone is ambiguous.
func (g *uvGraph) edge(d uvDep, byName map[string][]int, pkgs []uvPackage) (uvEdge, error) {
	var cands []int
	for _, i := range byName[NormalizeName(d.Name)] {
		if d.Version != "" && !sameVersion(Dist{Version: d.Version}, Dist{Version: pkgs[i].Version}) {
			continue
		}
		if d.Source != nil && !maps.Equal(d.Source, pkgs[i].Source) {
			continue
		}
		cands = append(cands, i)
	}
	switch len(cands) {
	case 0:
		return uvEdge{}, fmt.Errorf("%w: depends on %s %s, which the lock has no package for", ErrInvalidEntry, d.Name, d.Version)
	case 1:
	default:
		return uvEdge{}, fmt.Errorf("%w: dependency on %s matches %d packages: it needs a version and source", ErrInvalidEntry, d.Name, len(cands))
	}
	e := uvEdge{to: cands[0]}
	if d.Marker != "" {
		m, err := ParseMarker(d.Marker)
		if err != nil {
			return uvEdge{}, err
		}
		e.marker = m
	}
	for _, x := range d.Extra {
		e.extras = append(e.extras, NormalizeName(x))
	}
	return e, nil
}

func (g *uvGraph) findRoots(pkgs []uvPackage, members map[string]bool) error {
	if g.opts.Package != "" {
		want := NormalizeName(g.opts.Package)
		for i, n := range g.nodes {
			if n.member && NormalizeName(pkgs[i].Name) == want {
				g.roots = []int{i}
				return nil
			}
		}
		return fmt.Errorf("uv.lock: %w: package %q is not a member of the workspace", ErrUnknownGroup, g.opts.Package)
	}
	if !g.opts.AllPackages {
		for i, p := range pkgs {
			for _, k := range localSources {
				if p.Source[k] == "." {
					g.roots = []int{i}
					return nil
				}
			}
		}
	}
	// --all-packages, or a workspace whose root is not a project: uv sync
	// installs every member.
	for i, n := range g.nodes {
		if n.member && (members[NormalizeName(pkgs[i].Name)] || g.opts.AllPackages) {
			g.roots = append(g.roots, i)
		}
	}
	return nil
}

// encodedConflictItem is uv's encoding of an activated extra or group in
// the "extra" values of its conflict markers.
func encodedConflictItem(kind, pkg, name string) string {
	pkg = NormalizeName(pkg)
	if kind == "project" {
		return fmt.Sprintf("project-%d-%s", len(pkg), pkg)
	}
	return fmt.Sprintf("%s-%d-%s-%s", kind, len(pkg), pkg, NormalizeName(name))
}

// selection computes which groups and extras apply to the roots.
func (g *uvGraph) selection() (extras, groups []string, withProject bool, err error) {
	hasExtra := func(e string) bool {
		for _, r := range g.roots {
			if _, ok := g.nodes[r].optional[NormalizeName(e)]; ok {
				return true
			}
		}
		return false
	}
	hasGroup := func(name string) bool {
		for _, r := range g.roots {
			if _, ok := g.nodes[r].dev[NormalizeName(name)]; ok {
				return true
			}
		}
		return false
	}
	o := g.opts
	if o.AllExtras {
		for _, r := range g.roots {
			extras = append(extras, slices.Collect(maps.Keys(g.nodes[r].optional))...)
		}
	}
	for _, e := range o.Extras {
		if !hasExtra(e) {
			return nil, nil, false, fmt.Errorf("%w: extra %q is not defined in the project's optional-dependencies", ErrUnknownGroup, e)
		}
		extras = append(extras, NormalizeName(e))
	}
	for _, name := range slices.Concat(o.Groups, o.OnlyGroups, o.NoGroups) {
		// uv lets the legacy "dev" group be asked for when it is absent.
		if !hasGroup(name) && NormalizeName(name) != "dev" {
			return nil, nil, false, fmt.Errorf("%w: group %q is not defined in the project's dependency-groups", ErrUnknownGroup, name)
		}
	}
	set := map[string]bool{}
	if len(o.OnlyGroups) > 0 {
		for _, name := range o.OnlyGroups {
			set[NormalizeName(name)] = true
		}
	} else {
		withProject = true
		if !o.NoDefaultGroups {
			defaults := o.DefaultGroups
			if defaults == nil {
				defaults = []string{"dev"}
			}
			for _, name := range defaults {
				if hasGroup(name) {
					set[NormalizeName(name)] = true
				}
			}
		}
		if o.AllGroups {
			for _, r := range g.roots {
				for name := range g.nodes[r].dev {
					set[name] = true
				}
			}
		}
		for _, name := range o.Groups {
			set[NormalizeName(name)] = true
		}
	}
	for _, name := range o.NoGroups {
		delete(set, NormalizeName(name))
	}
	if o.NoDev {
		delete(set, "dev")
	}
	groups = slices.Collect(maps.Keys(set))
	sort.Strings(groups)
	slices.Sort(extras)
	return slices.Compact(extras), groups, withProject, nil
}

// walk returns the nodes reached from the roots in env and which of them
// the roots depend on directly.
func (g *uvGraph) walk(env Environment) (reached, direct map[int]bool, err error) {
	extras, groups, withProject, err := g.selection()
	if err != nil {
		return nil, nil, err
	}
	active := map[string]bool{}
	for _, r := range g.roots {
		name := g.nodes[r].dist.Name
		for _, e := range extras {
			active[encodedConflictItem("extra", name, e)] = true
		}
		for _, gr := range groups {
			active[encodedConflictItem("group", name, gr)] = true
		}
	}
	// The walk is repeated until the set of activated extras stops growing:
	// an extra activated deep in the graph can switch on a conflict marker
	// of an edge visited earlier.
	for {
		before := len(active)
		reached, direct = map[int]bool{}, map[int]bool{}
		type item struct {
			node  int
			extra string
		}
		seen := map[item]bool{}
		var queue []item
		follow := func(edges []uvEdge, fromRoot bool) error {
			for _, e := range edges {
				if e.marker != nil {
					// An edge that activates extras of its target holds
					// when those extras are active: uv gates a group's
					// "project[dev]" edge on extra-7-project-dev, which
					// that very edge switches on.
					// Likewise an edge to a workspace member holds when that
					// member's own dependencies are active, which following
					// the edge makes them.
					set := active
					if e.to >= 0 && (len(e.extras) > 0 || g.nodes[e.to].member) {
						set = maps.Clone(active)
						for _, x := range e.extras {
							set[encodedConflictItem("extra", g.nodes[e.to].dist.Name, x)] = true
						}
						if g.nodes[e.to].member {
							set[encodedConflictItem("project", g.nodes[e.to].dist.Name, "")] = true
						}
					}
					ok, err := e.marker.evaluateExtraSet(env, set)
					if err != nil {
						return err
					}
					if !ok {
						continue
					}
				}
				to := e.to
				if to < 0 {
					var err error
					if to, err = g.pick(e, env); err != nil {
						return err
					}
				}
				reached[to] = true
				if fromRoot {
					direct[to] = true
				}
				queue = append(queue, item{to, ""})
				for _, x := range e.extras {
					active[encodedConflictItem("extra", g.nodes[to].dist.Name, x)] = true
					queue = append(queue, item{to, x})
				}
			}
			return nil
		}
		for _, r := range g.roots {
			n := g.nodes[r]
			if withProject {
				active[encodedConflictItem("project", n.dist.Name, "")] = true
				if err := follow(n.deps, true); err != nil {
					return nil, nil, err
				}
				for _, e := range extras {
					if err := follow(n.optional[e], true); err != nil {
						return nil, nil, err
					}
				}
			}
			for _, gr := range groups {
				if err := follow(n.dev[gr], true); err != nil {
					return nil, nil, err
				}
			}
		}
		for len(queue) > 0 {
			it := queue[0]
			queue = queue[1:]
			if seen[it] {
				continue
			}
			seen[it] = true
			n := g.nodes[it.node]
			edges := n.deps
			if it.extra == "" && n.member {
				active[encodedConflictItem("project", n.dist.Name, "")] = true
			}
			if it.extra != "" {
				edges = n.optional[it.extra] // an extra the package lacks adds nothing, as in pip
			}
			if err := follow(edges, false); err != nil {
				return nil, nil, err
			}
		}
		if len(active) == before {
			if err := g.checkConflicts(active); err != nil {
				return nil, nil, err
			}
			return reached, direct, nil
		}
	}
}

// checkConflicts refuses a selection that activates two items of one
// declared conflict set, as uv sync does: the lock has no single resolution
// for it.
func (g *uvGraph) checkConflicts(active map[string]bool) error {
	for _, set := range g.conflicts {
		var on []string
		for _, item := range set {
			if active[item] {
				on = append(on, describeConflictItem(item))
			}
		}
		if len(on) > 1 {
			return fmt.Errorf("%w: %s are declared as conflicting ([tool.uv] conflicts) and cannot be installed together", ErrConflict, strings.Join(on, " and "))
		}
	}
	return nil
}

// describeConflictItem turns "extra-7-project-dev" back into "project[dev]"
// and "group-7-project-dev" into "project:dev" (uv's notation).
func describeConflictItem(item string) string {
	kind, rest, _ := strings.Cut(item, "-")
	n, rest, _ := strings.Cut(rest, "-")
	if kind == "project" {
		return "project " + rest
	}
	size := 0
	fmt.Sscanf(n, "%d", &size)
	if size <= 0 || size >= len(rest) {
		return item
	}
	pkg, name := rest[:size], rest[size+1:]
	if kind == "extra" {
		return fmt.Sprintf("extra %s[%s]", pkg, name)
	}
	return fmt.Sprintf("group %s:%s", pkg, name)
}

// manifestRoot adds the workspace root that is not a project: uv.lock
// records its requirements and dependency groups in [manifest] as
// requirements, which are resolved here by name and specifier. It becomes
// one more root, never installed.
func (g *uvGraph) manifestRoot(reqs []uvRequirement, groups map[string][]uvRequirement, byName map[string][]int, pkgs []uvPackage) error {
	if len(reqs) == 0 && len(groups) == 0 {
		return nil
	}
	for _, r := range g.roots {
		if g.nodes[r].member && pkgs[r].Source != nil && (pkgs[r].Source["editable"] == "." || pkgs[r].Source["virtual"] == ".") {
			return nil // the root is a project: its own entry carries these
		}
	}
	if g.opts.Package != "" {
		return nil
	}
	resolve := func(what string, list []uvRequirement) ([]uvEdge, error) {
		var out []uvEdge
		for _, r := range list {
			spec, err := ParseSpecifiers(r.Specifier)
			if err != nil {
				return nil, fmt.Errorf("uv.lock: [manifest] %s: %s: %w", what, r.Name, err)
			}
			e := uvEdge{to: -1}
			for _, i := range byName[NormalizeName(r.Name)] {
				v, err := ParseVersion(pkgs[i].Version)
				if pkgs[i].Version == "" || (err == nil && spec.Contains(v)) {
					e.cands = append(e.cands, i)
				}
			}
			if len(e.cands) == 0 {
				return nil, fmt.Errorf("uv.lock: [manifest] %s: %w: %s%s has no package in the lock", what, ErrInvalidEntry, r.Name, r.Specifier)
			}
			if r.Marker != "" {
				if e.marker, err = ParseMarker(r.Marker); err != nil {
					return nil, fmt.Errorf("uv.lock: [manifest] %s: %w", what, err)
				}
			}
			for _, x := range r.Extras {
				e.extras = append(e.extras, NormalizeName(x))
			}
			out = append(out, e)
		}
		return out, nil
	}
	root := uvNode{member: true, dist: Dist{Source: "uv.lock [manifest]"}, dev: map[string][]uvEdge{}}
	var err error
	if root.deps, err = resolve("requirements", reqs); err != nil {
		return err
	}
	for name, list := range groups {
		if root.dev[NormalizeName(name)], err = resolve("dependency-groups."+name, list); err != nil {
			return err
		}
	}
	g.nodes = append(g.nodes, root)
	g.roots = append(g.roots, len(g.nodes)-1)
	return nil
}

// pick resolves a manifest requirement's candidates in env: the one
// package whose resolution-markers hold (or that has none).
func (g *uvGraph) pick(e uvEdge, env Environment) (int, error) {
	var chosen []int
	for _, c := range e.cands {
		ok := len(g.nodes[c].forks) == 0
		for _, m := range g.nodes[c].forks {
			hold, err := m.evaluateExtraSet(env, map[string]bool{})
			if err != nil {
				return 0, err
			}
			ok = ok || hold
		}
		if ok {
			chosen = append(chosen, c)
		}
	}
	if len(chosen) != 1 {
		return 0, fmt.Errorf("%w: [manifest] requirement on %s matches %d locked versions in this environment", ErrInvalidEntry, g.nodes[e.cands[0]].dist.Name, len(chosen))
	}
	return chosen[0], nil
}
