package yarn

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	locknpm "github.com/airlock-dev/airlock/lock/npm"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
)

// ref is yarn's PackageReference together with the manifest read from the
// package's own package.json: one per name@version.
type ref struct {
	// entry is the lockfile entry; nil for a workspace and for the
	// workspace aggregator.
	entry *lockyarn.Entry
	// ws is the workspace this ref is (nil otherwise).
	ws *Workspace
	// aggregator marks yarn's virtual "workspace-aggregator" package,
	// which depends on the root's dependencies and every workspace.
	aggregator    bool
	name, version string
	// realName is the published name (an npm: alias's target).
	realName string
	// deps are the patterns the package depends on, in yarn's order:
	// dependencies, optionalDependencies, (for workspaces)
	// devDependencies, then the patterns of the packages its peer
	// dependencies resolved to. required are those not reached through
	// an optionalDependencies edge.
	deps, required []string
	patterns       []string
	// requests are the parentNames of every request that reached the
	// package (see graph.requests).
	requests [][]string
	optional bool
	// ignore: a devDependency of the root under --production, or an
	// incompatible optional package.
	ignore, incompatible bool
	// from the package's package.json
	peers     map[string]string
	peerOpt   map[string]bool
	peerNames []string // sorted
	os, cpu   []string
	bin       map[string]string
	scripts   bool
	// nohoist is config.getWorkspaces(manifest).nohoist: the package's
	// workspaces.nohoist globs if it is private (nohoistOf).
	nohoist []string
	// manifestName and manifestVersion are what the archive's
	// package.json says.
	manifestName, manifestVersion string
	// dir is the extracted package in the scratch area.
	dir       string
	locations []string
}

// Workspace is one yarn workspace of the project.
type Workspace struct {
	// Dir is the workspace directory, slash-separated and relative to
	// the project.
	Dir         string
	Manifest    *lockyarn.Manifest
	PackageJSON []byte
}

// aggregatorName stands for yarn's workspace-aggregator-<uuid v4>: the
// name only orders it among root patterns, where any uuid sorts alike.
const aggregatorName = "workspace-aggregator-00000000-0000-0000-0000-000000000000"

// graph is the resolved lockfile: refs by pattern and by name.
type graph struct {
	lf         *lockyarn.Lockfile
	refs       map[string]*ref // by name@version
	byName     map[string][]*ref
	list       []*ref // in first-reached order
	workspaces []*lockyarn.Manifest
	wsByName   map[string]*Workspace
	aggregator *ref
}

// resolve is resolver.getStrictResolvedPattern.
func (g *graph) resolve(pattern string) *ref {
	if g.aggregator != nil && pattern == g.aggregator.patterns[0] {
		return g.aggregator
	}
	if w := lockyarn.IsWorkspace(pattern, g.workspaces); w != nil {
		return g.refs[w.Name+"@"+w.Version]
	}
	return g.refs[g.lf.ByPattern[pattern].Key()]
}

// wsDeps lists a workspace manifest's dependency patterns in yarn's
// order (dependencies, optionalDependencies, then devDependencies unless
// production), and those not optional.
func wsDeps(m *lockyarn.Manifest, production bool) (all, required []string) {
	for _, kind := range []lockyarn.DepKind{lockyarn.Prod, lockyarn.Optional, lockyarn.Dev} {
		if kind == lockyarn.Dev && production {
			continue
		}
		for _, d := range m.Deps {
			if d.Kind == kind {
				all = append(all, d.Pattern())
				if kind != lockyarn.Optional {
					required = append(required, d.Pattern())
				}
			}
		}
	}
	return all, required
}

// rootPatterns are the patterns install.js seeds: the root's
// dependencies, devDependencies and optionalDependencies, then, in a
// workspace project, the aggregator and every workspace not already a
// root dependency.
func (g *graph) rootPatterns(root *lockyarn.Manifest) []string {
	var out []string
	for _, kind := range []lockyarn.DepKind{lockyarn.Prod, lockyarn.Dev, lockyarn.Optional} {
		for _, d := range root.Deps {
			if d.Kind == kind {
				out = append(out, d.Pattern())
			}
		}
	}
	if g.aggregator == nil {
		return out
	}
	out = append(out, g.aggregator.patterns[0])
	listed := map[string]bool{}
	for _, d := range root.Deps {
		listed[d.Name] = true
	}
	for _, w := range g.workspaces {
		if !listed[w.Name] {
			out = append(out, w.Name+"@"+w.Version)
		}
	}
	return out
}

// newGraph builds a ref for every package reached from the root
// patterns and records each ref's requests the way yarn's resolver makes
// them: root dependencies are resolved one after the other, and each
// package's dependencies are requested once, from the first request that
// reached it, with that request's ancestry (parentNames). yarn's
// resolver does this concurrently; a breadth-first walk of each root
// dependency's subtree is the order its promises settle in for a
// lockfile install, and the ancestry only matters when choosing which
// copy of a peer dependency a package gets.
func newGraph(lf *lockyarn.Lockfile, root *lockyarn.Manifest, workspaces []*Workspace, production bool) (*graph, error) {
	g := &graph{lf: lf, refs: map[string]*ref{}, byName: map[string][]*ref{}, wsByName: map[string]*Workspace{}}
	for _, w := range workspaces {
		if g.wsByName[w.Manifest.Name] != nil {
			return nil, fmt.Errorf("%w: two workspaces are named %q (%s and %s)", ErrWorkspaces, w.Manifest.Name, g.wsByName[w.Manifest.Name].Dir, w.Dir)
		}
		g.wsByName[w.Manifest.Name] = w
		g.workspaces = append(g.workspaces, w.Manifest)
		r := &ref{ws: w, name: w.Manifest.Name, version: w.Manifest.Version, realName: w.Manifest.Name}
		r.deps, r.required = wsDeps(w.Manifest, production)
		var err error
		if r.nohoist, err = nohoistOf("workspace "+w.Dir, w.Manifest.Private, w.Manifest.Nohoist); err != nil {
			return nil, err
		}
		g.refs[r.name+"@"+r.version] = r
	}
	if len(workspaces) == 0 && root.Workspaces != nil && root.Private && len(root.Nohoist) > 0 {
		// yarn still makes its workspace aggregator, whose nohoist globs
		// then apply to the root's dependencies; airlock makes the
		// aggregator only for a project that has workspaces.
		return nil, fmt.Errorf("%w: package.json declares workspaces.nohoist, but its workspaces.packages globs match no workspace: add a workspace or remove nohoist", ErrWorkspaces)
	}
	if len(workspaces) > 0 {
		// install.js's virtual manifest: the root's dependencies and
		// every workspace, its optional and (unless production) dev
		// dependencies.
		agg := &lockyarn.Manifest{Name: aggregatorName, Version: "1.0.0"}
		wsVersion := map[string]string{}
		for _, w := range g.workspaces {
			wsVersion[w.Name] = w.Version
		}
		for _, d := range root.Deps {
			if v, ok := wsVersion[d.Name]; ok && d.Kind == lockyarn.Prod {
				d.Range = v
			}
			agg.Deps = append(agg.Deps, d)
		}
		for _, w := range g.workspaces {
			listed := false
			for _, d := range root.Deps {
				listed = listed || d.Kind == lockyarn.Prod && d.Name == w.Name
			}
			if !listed {
				agg.Deps = append(agg.Deps, lockyarn.RootDep{Dep: lockyarn.Dep{Name: w.Name, Range: w.Version}, Kind: lockyarn.Prod})
			}
		}
		g.aggregator = &ref{aggregator: true, name: agg.Name, version: agg.Version, realName: agg.Name, patterns: []string{agg.Name + "@" + agg.Version}}
		g.aggregator.deps, g.aggregator.required = wsDeps(agg, production)
		// The virtual manifest carries the root's private and workspaces
		// fields: the root's nohoist globs are the aggregator's.
		var err error
		if g.aggregator.nohoist, err = nohoistOf("package.json", root.Private, root.Nohoist); err != nil {
			return nil, err
		}
		g.refs[agg.Name+"@"+agg.Version] = g.aggregator
	}
	type req struct {
		pattern string
		parents []string
		// optional is the request's flag: true from an
		// optionalDependencies entry, else inherited from the request
		// that first reached the parent (package-request.js).
		optional bool
	}
	for _, rootPattern := range g.rootPatterns(root) {
		queue := []req{{pattern: rootPattern, optional: isOptionalRoot(root, rootPattern)}}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			var r *ref
			switch {
			case g.aggregator != nil && q.pattern == g.aggregator.patterns[0]:
				r = g.aggregator
			case lockyarn.IsWorkspace(q.pattern, g.workspaces) != nil:
				r = g.resolve(q.pattern)
			default:
				e := lf.ByPattern[q.pattern]
				if e == nil {
					return nil, fmt.Errorf("%w: %q has no entry in yarn.lock", lockyarn.ErrOutOfSync, q.pattern)
				}
				r = g.refs[e.Key()]
				if r == nil {
					r = &ref{entry: e, name: e.Name, version: e.Version, realName: e.RealName}
					for _, d := range e.Dependencies {
						r.deps = append(r.deps, d.Pattern())
						r.required = append(r.required, d.Pattern())
					}
					for _, d := range e.OptionalDependencies {
						r.deps = append(r.deps, d.Pattern())
					}
					g.refs[e.Key()] = r
				}
			}
			if !containsStr(r.patterns, q.pattern) {
				r.patterns = append(r.patterns, q.pattern)
			}
			r.requests = append(r.requests, q.parents)
			// addOptional: the first request sets the flag, a later
			// required one clears it.
			r.optional = q.optional && (len(r.requests) == 1 || r.optional)
			if len(r.requests) > 1 {
				continue
			}
			g.byName[r.name] = append(g.byName[r.name], r)
			g.list = append(g.list, r)
			parents := append(append([]string(nil), q.parents...), r.name)
			required := map[string]bool{}
			for _, d := range r.required {
				required[d] = true
			}
			for _, d := range r.deps {
				queue = append(queue, req{pattern: d, parents: parents, optional: q.optional || !required[d]})
			}
		}
	}
	return g, nil
}

// isOptionalRoot reports a pattern only the root's optionalDependencies
// ask for.
func isOptionalRoot(root *lockyarn.Manifest, pattern string) bool {
	for _, d := range root.Deps {
		if d.Pattern() == pattern {
			return d.Kind == lockyarn.Optional
		}
	}
	return false
}

// validBinKey is yarn's VALID_BIN_KEYS.
var validBinKey = regexp.MustCompile(`(?i)^[a-z0-9._-]+$`)

// readManifest reads the fields of an extracted package's package.json
// that yarn's layout depends on, normalized as yarn's
// normalize-manifest/fix.js does for bin and directories.bin.
func (r *ref) readManifest() error {
	data, err := os.ReadFile(filepath.Join(r.dir, "package.json"))
	if err != nil {
		return fmt.Errorf("%s@%s: reading package.json: %w", r.name, r.version, err)
	}
	_, gypErr := os.Lstat(filepath.Join(r.dir, "binding.gyp"))
	return r.parseManifest(data, gypErr == nil, func(d string) []string {
		full := filepath.Join(r.dir, filepath.FromSlash(d))
		if rel, err := filepath.Rel(r.dir, full); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil
		}
		ents, _ := os.ReadDir(full)
		names := make([]string, 0, len(ents))
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	})
}

// parseManifest reads package.json data; listDir lists a directory of the
// package (for directories.bin) by its clean relative path.
func (r *ref) parseManifest(data []byte, hasGyp bool, listDir func(string) []string) error {
	var m struct {
		Name             string          `json:"name"`
		Version          string          `json:"version"`
		Bin              json.RawMessage `json:"bin"`
		Directories      json.RawMessage `json:"directories"`
		OS               json.RawMessage `json:"os"`
		CPU              json.RawMessage `json:"cpu"`
		PeerDependencies json.RawMessage `json:"peerDependencies"`
		PeerMeta         json.RawMessage `json:"peerDependenciesMeta"`
		Scripts          json.RawMessage `json:"scripts"`
		Private          json.RawMessage `json:"private"`
		Workspaces       json.RawMessage `json:"workspaces"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s@%s: package.json: %w", r.name, r.version, err)
	}
	r.manifestName, r.manifestVersion = m.Name, m.Version
	if lockyarn.Truthy(m.Private) {
		// The hoister reads every package's nohoist globs, not only the
		// project's (NohoistResolver._extractNohoistList).
		_, nohoist, err := lockyarn.ReadWorkspaces(m.Workspaces)
		if err != nil {
			return fmt.Errorf("%s@%s: package.json: %w", r.name, r.version, err)
		}
		if r.nohoist, err = nohoistOf(r.name+"@"+r.version, true, nohoist); err != nil {
			return err
		}
	}
	r.os, r.cpu = stringList(m.OS), stringList(m.CPU)
	var peers map[string]any
	_ = json.Unmarshal(m.PeerDependencies, &peers)
	r.peers = map[string]string{}
	for k, v := range peers {
		if s, ok := v.(string); ok {
			r.peers[k] = s
			r.peerNames = append(r.peerNames, k)
		}
	}
	sort.Strings(r.peerNames)
	var meta map[string]struct {
		Optional bool `json:"optional"`
	}
	_ = json.Unmarshal(m.PeerMeta, &meta)
	r.peerOpt = map[string]bool{}
	for k, v := range meta {
		r.peerOpt[k] = v.Optional
	}
	var scripts map[string]any
	_ = json.Unmarshal(m.Scripts, &scripts)
	for _, k := range []string{"preinstall", "install", "postinstall"} {
		if s, ok := scripts[k].(string); ok && s != "" {
			r.scripts = true
		}
	}
	if hasGyp {
		r.scripts = true // yarn's fix.js: install defaults to node-gyp rebuild
	}
	r.bin = map[string]string{}
	var binStr string
	var binMap map[string]any
	switch {
	case json.Unmarshal(m.Bin, &binStr) == nil && binStr != "":
		// Like npm, the scope is left out of the command name.
		name := m.Name
		if i := strings.IndexByte(name, '/'); strings.HasPrefix(name, "@") && i > 0 {
			name = name[i+1:]
		}
		if name != "" {
			binMap = map[string]any{name: binStr}
		}
	case json.Unmarshal(m.Bin, &binMap) == nil && binMap != nil:
	default:
		var dirs struct {
			Bin any `json:"bin"`
		}
		_ = json.Unmarshal(m.Directories, &dirs)
		if d, ok := dirs.Bin.(string); ok && d != "" {
			binMap = map[string]any{}
			for _, n := range listDir(path.Clean(d)) {
				if !strings.HasPrefix(n, ".") {
					binMap[n] = path.Join(d, n)
				}
			}
		}
	}
	for k, v := range binMap {
		target, ok := v.(string)
		if !ok || !validBinKey.MatchString(k) || k == "." || k == ".." || !validBinTarget(target) {
			continue // fix.js drops the entry with a warning
		}
		r.bin[k] = path.Clean(target)
	}
	return nil
}

// validBinTarget is fix.js's isValidBin: relative, and not above the
// package after normalization.
func validBinTarget(t string) bool {
	if t == "" || strings.HasPrefix(t, "/") || strings.ContainsAny(t, "\\\x00") {
		return false
	}
	c := path.Clean(t)
	return c != ".." && !strings.HasPrefix(c, "../")
}

func stringList(raw json.RawMessage) []string {
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return l
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && s != "" {
		return []string{s}
	}
	return nil
}

// platformOK is package-compatibility.js's isValid.
func platformOK(items []string, actual string) bool {
	notWhitelist, blacklist := true, false
	for _, it := range items {
		if strings.HasPrefix(it, "!") {
			blacklist = true
			if it[1:] == actual {
				return false
			}
		} else {
			notWhitelist = false
			if it == actual {
				return true
			}
		}
	}
	return blacklist && notWhitelist
}

// resolvePeers is PackageLinker.resolvePeerModules: each peer dependency
// resolves to the copy of that package requested closest above the
// package (within its shortest ancestry), and that copy's patterns become
// dependencies of the package, for hoisting and bin links.
func (g *graph) resolvePeers() (warnings []string) {
	for _, r := range g.list {
		if len(r.peerNames) == 0 {
			continue
		}
		tree := r.requests[0]
		for _, q := range r.requests[1:] {
			if len(q) < len(tree) {
				tree = q
			}
		}
		distance := func(p *ref) int {
			best := -1
			for _, q := range p.requests {
				d := len(tree) - len(q)
				if d < 0 || (best >= 0 && d >= best) {
					continue
				}
				prefix := true
				for i, n := range q {
					if tree[i] != n {
						prefix = false
						break
					}
				}
				if prefix {
					best = d
				}
			}
			return best
		}
		for _, peer := range r.peerNames {
			rng := r.peers[peer]
			var found *ref
			bestDist, incorrect := -1, false
			for _, p := range g.byName[peer] {
				d := distance(p)
				if d >= 0 && (bestDist < 0 || d < bestDist) {
					if rng == "*" || locknpm.Satisfies(p.version, rng) {
						found, bestDist = p, d
					} else {
						incorrect = true
					}
				}
			}
			switch {
			case found != nil:
				r.deps = append(r.deps, found.patterns...)
			case !r.peerOpt[peer]:
				what := "unmet"
				if incorrect {
					what = "incorrect"
				}
				warnings = append(warnings, fmt.Sprintf("%s@%s has %s peer dependency %s@%s", r.name, r.version, what, peer, rng))
			}
		}
	}
	return warnings
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
