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
	entry         *lockyarn.Entry
	name, version string
	// deps are the patterns the package depends on, in yarn's order:
	// dependencies, optionalDependencies, then the patterns of the
	// packages its peer dependencies resolved to.
	deps     []string
	patterns []string
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
	// manifestName and manifestVersion are what the archive's
	// package.json says.
	manifestName, manifestVersion string
	// dir is the extracted package in the scratch area.
	dir       string
	locations []string
}

// graph is the resolved lockfile: refs by pattern and by name.
type graph struct {
	lf     *lockyarn.Lockfile
	refs   map[string]*ref // by name@version
	byName map[string][]*ref
	list   []*ref // in first-reached order
}

func (g *graph) resolve(pattern string) *ref {
	return g.refs[g.lf.ByPattern[pattern].Key()]
}

// newGraph builds a ref for every entry reached from the root patterns
// and records each ref's requests the way yarn's resolver makes them:
// root dependencies are resolved one after the other, and each package's
// dependencies are requested once, from the first request that reached
// it, with that request's ancestry (parentNames). yarn's resolver does
// this concurrently; a breadth-first walk of each root dependency's
// subtree is the order its promises settle in for a lockfile install, and
// the ancestry only matters when choosing which copy of a peer dependency
// a package gets.
func newGraph(lf *lockyarn.Lockfile, roots []string) (*graph, error) {
	g := &graph{lf: lf, refs: map[string]*ref{}, byName: map[string][]*ref{}}
	type req struct {
		pattern string
		parents []string
	}
	for _, root := range roots {
		queue := []req{{pattern: root}}
		for len(queue) > 0 {
			q := queue[0]
			queue = queue[1:]
			e := lf.ByPattern[q.pattern]
			if e == nil {
				return nil, fmt.Errorf("%w: %q has no entry in yarn.lock", lockyarn.ErrOutOfSync, q.pattern)
			}
			r := g.refs[e.Key()]
			if r != nil {
				r.requests = append(r.requests, q.parents)
				if !containsStr(r.patterns, q.pattern) {
					r.patterns = append(r.patterns, q.pattern)
				}
				continue
			}
			r = &ref{entry: e, name: e.Name, version: e.Version, patterns: []string{q.pattern}, requests: [][]string{q.parents}}
			g.refs[e.Key()] = r
			g.byName[r.name] = append(g.byName[r.name], r)
			g.list = append(g.list, r)
			parents := append(append([]string(nil), q.parents...), r.name)
			for _, d := range e.Dependencies {
				r.deps = append(r.deps, d.Pattern())
				queue = append(queue, req{pattern: d.Pattern(), parents: parents})
			}
			for _, d := range e.OptionalDependencies {
				r.deps = append(r.deps, d.Pattern())
				queue = append(queue, req{pattern: d.Pattern(), parents: parents})
			}
		}
	}
	return g, nil
}

// markOptional sets ref.optional: a package is optional when every path
// to it from the root passes through an optionalDependencies edge (the
// root's or a package's), which is what yarn's request flags amount to.
func (g *graph) markOptional(roots []lockyarn.RootDep) {
	required := map[*ref]bool{}
	var queue []*ref
	for _, d := range roots {
		if d.Kind == lockyarn.Optional {
			continue
		}
		if r := g.resolve(d.Pattern()); !required[r] {
			required[r] = true
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		for _, d := range r.entry.Dependencies {
			if c := g.resolve(d.Pattern()); !required[c] {
				required[c] = true
				queue = append(queue, c)
			}
		}
	}
	for _, r := range g.list {
		r.optional = !required[r]
	}
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
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("%s@%s: package.json: %w", r.name, r.version, err)
	}
	r.manifestName, r.manifestVersion = m.Name, m.Version
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
