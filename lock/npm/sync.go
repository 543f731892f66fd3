package npm

import (
	"fmt"
	"path"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/lock/npm/internal/semver"
)

// SyncKind classifies a SyncProblem.
type SyncKind int

const (
	// SyncMissing: a declared dependency has no entry where node would
	// look for it (npm ci: "Missing: ... from lock file").
	SyncMissing SyncKind = iota
	// SyncInvalid: the entry found does not satisfy the declared spec
	// (npm ci: "Invalid: lock file's ... does not satisfy ...").
	SyncInvalid
	// SyncChanged: package.json declares a dependency with another type
	// than the lockfile records, or one the lockfile does not record.
	SyncChanged
	// SyncExtraneous: the lockfile records a dependency of the project (or
	// a workspace) that package.json no longer declares.
	SyncExtraneous
)

// SyncProblem is one disagreement.
type SyncProblem struct {
	Kind SyncKind
	// Manifest is the package.json that declares the dependency
	// ("package.json", "packages/a/package.json"), or "" when it is a
	// dependency of a lockfile entry.
	Manifest string
	// From is the lockfile entry whose dependency it is ("" for the root).
	From string
	Name string
	Spec string
	Type string // "dependencies", "devDependencies", ...
	// Locked describes what the lockfile has: "name@version at path" for
	// Invalid, the recorded type for Changed.
	Locked string
}

func (p SyncProblem) where() string {
	if p.Manifest != "" {
		return p.Manifest + " " + p.Type
	}
	return p.Type + " of " + p.From
}

func (p SyncProblem) String() string {
	switch p.Kind {
	case SyncMissing:
		return fmt.Sprintf("Missing: %s@%s from the lockfile (%s)", p.Name, p.Spec, p.where())
	case SyncInvalid:
		return fmt.Sprintf("Invalid: the lockfile's %s does not satisfy %s@%s (%s)", p.Locked, p.Name, p.Spec, p.where())
	case SyncChanged:
		if p.Locked == "" {
			return fmt.Sprintf("Changed: %s lists %s in %s; the lockfile does not record it", p.Manifest, p.Name, p.Type)
		}
		return fmt.Sprintf("Changed: %s lists %s in %s; the lockfile records it in %s", p.Manifest, p.Name, p.Type, p.Locked)
	}
	return fmt.Sprintf("Extraneous: the lockfile records %s in %s of %s; %s does not list it", p.Name, p.Locked, displayPath(p.From), p.Manifest)
}

// SyncError lists every disagreement CheckInSync found. errors.Is(err,
// ErrOutOfSync) holds for it.
type SyncError struct{ Problems []SyncProblem }

func (e *SyncError) Error() string {
	var b strings.Builder
	b.WriteString("lock/npm: package.json and the lockfile are out of sync, so `npm ci` would refuse to install:\n")
	for _, p := range e.Problems {
		b.WriteString("  " + p.String() + "\n")
	}
	b.WriteString("Run `npm install` to update the lockfile, review and commit it, then try again.")
	return b.String()
}

func (e *SyncError) Unwrap() error { return ErrOutOfSync }

// manifest is the part of a package.json CheckInSync compares.
type manifest struct {
	file          string
	name, version string
	specs         map[edgeType]map[string]string
	meta          map[string]bool
	accept        map[string]string
	overrides     bool
}

func readManifest(file string, data []byte) (*manifest, error) {
	data = trimBOM(data)
	if err := validJSON(data); err != nil {
		return nil, fmt.Errorf("lock/npm: %s: %w: %v", file, ErrSyntax, err)
	}
	obj, ok, err := decodeObject(data)
	if err != nil || !ok {
		return nil, fmt.Errorf("lock/npm: %s: %w: not a JSON object", file, ErrSyntax)
	}
	m := &manifest{file: file, specs: map[edgeType]map[string]string{}}
	wrap := func(err error) error { return fmt.Errorf("lock/npm: %s: %w", file, err) }
	if m.name, err = obj.str("name"); err != nil {
		return nil, wrap(err)
	}
	if m.version, err = obj.str("version"); err != nil {
		return nil, wrap(err)
	}
	for _, t := range depFields {
		if _, m.specs[t], err = obj.strMap(t.String()); err != nil {
			return nil, wrap(err)
		}
	}
	if _, m.accept, err = obj.strMap("acceptDependencies"); err != nil {
		return nil, wrap(err)
	}
	m.meta = peerMeta(obj.values["peerDependenciesMeta"])
	m.overrides = !isNull(obj.values["overrides"])
	return m, nil
}

func trimBOM(b []byte) []byte { return []byte(strings.TrimPrefix(string(b), string(utf8BOM))) }

// CheckInSync reports, as a *SyncError, every way the project's package.json
// files and the lockfile disagree, mirroring npm ci's refusal (npm's
// validate-lockfile after building the ideal tree from the lockfile):
//
//   - a dependency declared by package.json (root or workspace) or by a
//     lockfile entry reachable from them that resolves to no entry
//     (optional peer dependencies excepted), or to one that does not
//     satisfy the spec (semver ranges as npm checks them, aliases, file:
//     tarballs and directories, URLs, git repositories and commits);
//   - a workspace directory with no entry or no link.
//
// An unmet peer dependency of a lockfile entry is not a problem unless the
// project brings that entry in (place-dep's isMine): npm keeps the version
// it has and warns "ERESOLVE overriding peer dependency", as it did when it
// wrote the lockfile (gatsby 5's react-server-dom-webpack wants an
// experimental react).
//
// It is stricter than npm ci in one respect: it also refuses when the
// lockfile's record of the project's (or a workspace's) own dependencies
// differs from package.json in type or membership. npm ci then silently
// recomputes the dev/optional flags and drops what package.json no longer
// needs, so installing from the lockfile's flags would not give npm's tree.
//
// workspacePackageJSON maps each workspace directory ("packages/a") to its
// package.json, for every directory the root's "workspaces" globs match on
// disk (npm reads them from disk). With a nil map the workspaces are checked
// from the lockfile's own records. Other differences npm ci tolerates
// (a spec changed to one the locked version still satisfies, a changed
// workspace version) pass. Dist-tags ("latest") are taken as satisfied,
// since checking them needs the registry. When the root package.json has
// "overrides", the lockfile's transitive entries are only checked for
// presence, not against their dependents' specs, which overrides replace.
func CheckInSync(l *Lockfile, rootPackageJSON []byte, workspacePackageJSON map[string][]byte) error {
	root, err := readManifest("package.json", rootPackageJSON)
	if err != nil {
		return err
	}
	c := &syncCheck{l: l, overrides: root.overrides, ws: map[*node]*manifest{}}
	var wsEdges [][2]string
	var wsDirs []string
	if workspacePackageJSON == nil {
		for _, dir := range l.Workspaces {
			wsEdges = append(wsEdges, [2]string{l.nodes[dir].pkg.Name, dir})
		}
	} else {
		wsDirs = sortedKeys(workspacePackageJSON)
		for _, dir := range wsDirs {
			loc, err := parseLocation(dir)
			if err != nil || loc.inNodeModules() {
				return fmt.Errorf("lock/npm: workspace directory %q is not a project directory: %v", dir, err)
			}
			m, err := readManifest(dir+"/package.json", workspacePackageJSON[dir])
			if err != nil {
				return err
			}
			if m.name == "" {
				m.name = folderName(dir)
			}
			wsEdges = append(wsEdges, [2]string{m.name, dir})
			if n := l.nodes[dir]; n != nil && !n.link && !n.loc.inNodeModules() {
				c.ws[n] = m
			}
		}
	}

	order, edges := buildEdges(l.root, l.edgeSpecs(root.specs), root.meta, true, wsEdges)
	c.compare(root, l.root, order, edges)
	for _, dir := range wsDirs {
		m := c.ws[l.nodes[dir]]
		if m == nil {
			continue // no entry for the directory: reported as its missing workspace link
		}
		n := l.nodes[dir]
		order, edges := buildEdges(n, l.edgeSpecs(m.specs), m.meta, true, nil)
		c.compare(m, n, order, edges)
	}
	c.walk()
	if len(c.problems) > 0 {
		return &SyncError{Problems: c.problems}
	}
	return nil
}

type syncCheck struct {
	l         *Lockfile
	overrides bool
	ws        map[*node]*manifest // workspace nodes with a package.json
	problems  []SyncProblem
	seen      map[string]bool
}

func (c *syncCheck) add(p SyncProblem) {
	key := fmt.Sprint(p)
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if !c.seen[key] {
		c.seen[key] = true
		c.problems = append(c.problems, p)
	}
}

// compare checks one package.json's dependencies against the lockfile entry
// n it describes.
func (c *syncCheck) compare(m *manifest, n *node, order []string, edges map[string]*edge) {
	for _, name := range order {
		e := edges[name]
		p := SyncProblem{Manifest: m.file, From: n.path, Name: name, Spec: e.spec, Type: e.typ.String()}
		recorded := n.out[name]
		if e.typ == edgeWorkspace {
			to := c.l.resolve(n, name)
			if to == nil || !to.link || to.target.path != strings.TrimPrefix(e.spec, "file:") {
				p.Kind = SyncMissing
				c.add(p)
			}
			continue
		}
		to := c.l.resolve(n, name)
		switch {
		case recorded == nil && to == nil:
			// reported as missing below
		case recorded == nil:
			p.Kind = SyncChanged
			c.add(p)
		case recorded.typ != e.typ:
			p.Kind, p.Locked = SyncChanged, recorded.typ.String()
			c.add(p)
		}
		lockSpec := ""
		if recorded != nil {
			lockSpec = recorded.spec
		}
		c.checkEdge(p, n, e, to, m.accept[name], lockSpec)
	}
	for _, name := range n.outOrder {
		if _, declared := edges[name]; !declared {
			r := n.out[name]
			c.add(SyncProblem{Kind: SyncExtraneous, Manifest: m.file, From: n.path, Name: name, Spec: r.spec, Type: r.typ.String(), Locked: r.typ.String()})
		}
	}
}

// checkEdge reports a missing or unsatisfying target of one dependency.
// npm ci leaves optional peer dependencies alone either way.
func (c *syncCheck) checkEdge(p SyncProblem, from *node, e *edge, to *node, accept, lockSpec string) {
	if e.typ == edgePeerOptional {
		return
	}
	if to == nil {
		p.Kind = SyncMissing
		c.add(p)
		return
	}
	if p.Manifest == "" && c.overrides {
		return
	}
	where := fromPath(from)
	ok := c.valid(to, parseSpec(e.spec, where), lockSpec)
	if !ok && accept != "" {
		ok = c.valid(to, parseSpec(accept, where), lockSpec)
	}
	if !ok && e.typ == edgePeer && p.Manifest == "" && !c.peerIsMine(from) {
		// npm tries to place the wanted version beside the dependent, finds
		// that it conflicts, keeps the one it has and only warns
		// (place-dep: "ERESOLVE overriding peer dependency"), as it did
		// when it wrote the lockfile.
		return
	}
	if !ok {
		p.Kind = SyncInvalid
		p.Locked = fmt.Sprintf("%s@%s at %s", to.pkg.Name, c.version(to), to.path)
		c.add(p)
	}
}

// peerIsMine is place-dep's isMine for an unmet peer dependency of x: the
// conflict is the project's own (npm ci fails with ERESOLVE) when x is the
// project or a workspace, when one of those depends on x other than as a
// peer, or when x belongs to a peer set one of those brings in. Otherwise
// npm keeps what it has and warns. strict-peer-deps is not modelled.
func (c *syncCheck) peerIsMine(x *node) bool {
	if c.isProject(x) {
		return true
	}
	hasPeerEdges := false
	for _, e := range x.in {
		if e.peer() {
			hasPeerEdges = true
			continue
		}
		if c.isProject(e.from) {
			return true
		}
	}
	if !hasPeerEdges {
		return false
	}
	for _, e := range c.peerEntryEdges(x) {
		if c.isProject(e.from) {
			return true
		}
	}
	return false
}

func (c *syncCheck) isProject(n *node) bool { return n == c.l.root || n.isWorkspace }

// peerEntryEdges is arborist's peer-entry-sets, keys only: the valid edges
// that bring into the tree a peer set x is part of. The union of x's peer
// groups is followed through valid peer edges both ways; an entry edge is a
// valid edge into a member that is not a peer edge, or comes from a top
// node, and whose peer subset reaches x.
func (c *syncCheck) peerEntryEdges(x *node) []*edge {
	union := []*node{x}
	in := map[*node]bool{x: true}
	add := func(n *node) {
		if !in[n] {
			in[n] = true
			union = append(union, n)
		}
	}
	for i := 0; i < len(union); i++ {
		n := union[i]
		for _, name := range n.outOrder {
			if e := n.out[name]; e.to != nil && e.peer() && c.edgeValid(e) {
				add(e.to)
			}
		}
		for _, e := range n.in {
			if e.peer() && c.edgeValid(e) {
				add(e.from)
			}
		}
	}
	var entries []*edge
	for _, peer := range union {
		for _, e := range peer.in {
			if !c.edgeValid(e) || (e.peer() && e.from.loc.inNodeModules()) {
				continue
			}
			sub := []*node{peer}
			has := map[*node]bool{peer: true}
			for i := 0; i < len(sub) && !has[x]; i++ {
				for _, name := range sub[i].outOrder {
					if f := sub[i].out[name]; f.to != nil && f.peer() && c.edgeValid(f) && !has[f.to] {
						has[f.to] = true
						sub = append(sub, f.to)
					}
				}
			}
			if has[x] {
				entries = append(entries, e)
			}
		}
	}
	return entries
}

// edgeValid is arborist's Edge.valid for a recorded edge.
func (c *syncCheck) edgeValid(e *edge) bool {
	if e.to == nil {
		return false
	}
	where := fromPath(e.from)
	if c.valid(e.to, parseSpec(e.spec, where), "") {
		return true
	}
	accept := e.from.accept[e.name]
	return accept != "" && c.valid(e.to, parseSpec(accept, where), "")
}

// walk checks the dependencies the lockfile records for every entry
// reachable from the project, as npm ci's ideal-tree build does.
func (c *syncCheck) walk() {
	queue := []*node{c.l.root}
	for _, dir := range c.l.Workspaces {
		queue = append(queue, c.l.nodes[dir])
	}
	seen := map[*node]bool{}
	for i := 0; i < len(queue); i++ {
		n := queue[i]
		if seen[n] {
			continue
		}
		seen[n] = true
		if n.link {
			queue = append(queue, n.target)
			continue
		}
		// The project's and the workspaces' package.json were compared
		// already; check the lockfile's own record only where there is
		// no package.json.
		_, hasManifest := c.ws[n]
		checkHere := n != c.l.root && !hasManifest
		for _, name := range n.outOrder {
			e := n.out[name]
			if e.to != nil {
				queue = append(queue, e.to)
			}
			if !checkHere || e.typ == edgeWorkspace || n.bundles(name) {
				continue
			}
			p := SyncProblem{From: n.path, Name: name, Spec: e.spec, Type: e.typ.String()}
			c.checkEdge(p, n, e, e.to, n.accept[name], e.spec)
		}
	}
}

// bundles reports whether n ships dependency name inside its own archive;
// npm takes whatever the bundle holds.
func (n *node) bundles(name string) bool {
	if n.bundleAll {
		return true
	}
	for _, b := range n.bundleDeps {
		if b == name {
			return true
		}
	}
	return false
}

// fromPath is where a node's file: specs are relative to: the directory of
// its own tarball for a file: package, else its location.
func fromPath(n *node) string {
	if n.pkg.Source == lock.SourceFile {
		if f := parseSpec(n.pkg.Resolved, ""); f.kind == specFile && !f.outside {
			return path.Dir(f.file)
		}
	}
	return n.path
}

// version is what npm sees as a node's version: a link's is its target's,
// and a workspace's comes from its package.json on disk.
func (c *syncCheck) version(n *node) string {
	if n.link {
		n = n.target
	}
	if m := c.ws[n]; m != nil {
		return m.version
	}
	return n.pkg.Version
}

// valid is arborist's dep-valid for the spec kinds npm-package-arg knows.
func (c *syncCheck) valid(child *node, s spec, lockSpec string) bool {
	loose := semver.Options{Loose: true}
	switch s.kind {
	case specRange:
		return s.rng == "*" || semver.Satisfies(c.version(child), s.rng, loose)
	case specTag:
		return true
	case specAlias:
		return child.pkg.Name == s.aliasName && (s.rng == "" || s.rng == "*" || semver.Satisfies(c.version(child), s.rng, loose))
	case specDir:
		return child.link && !s.outside && child.target.path == s.file
	case specFile:
		if child.link || !strings.HasPrefix(child.pkg.Resolved, "file:") {
			return false
		}
		got := parseSpec(child.pkg.Resolved, "")
		return !s.outside && got.file == s.file
	case specRemote:
		return child.pkg.Resolved == s.url
	case specGit:
		got := parseSpec(child.pkg.Resolved, "")
		if got.kind != specGit || !strings.EqualFold(got.git.repo, s.git.repo) {
			return false
		}
		switch {
		case isFullSHA.MatchString(s.git.committish):
			return strings.EqualFold(got.git.committish, s.git.committish)
		case s.git.semver != "":
			return semver.Satisfies(c.version(child), s.git.semver, loose)
		}
		// A branch or tag cannot be checked offline; npm re-resolves when
		// it differs from the one the lockfile was made from.
		if lockSpec != "" {
			if was := parseSpec(lockSpec, ""); was.kind == specGit && was.git.committish != s.git.committish {
				return false
			}
		}
		return true
	}
	return false
}
