package pypi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

// Index is where the resolver learns what exists. cmd/airlock implements
// it over fetch/pypi's Finder and the verified fetch pipeline; tests over
// a synthetic index.
type Index interface {
	// Files lists the project's files (none when no index knows it).
	// cmd/airlock takes them from the first index that lists the
	// project, so that a public index cannot shadow a private one.
	Files(ctx context.Context, name string) ([]fetchpypi.File, error)
	// Metadata returns f's METADATA, read from the index's PEP 658 file
	// (checked against the hash the index declares for it) or from the
	// wheel (checked against the index's hash for the wheel).
	Metadata(ctx context.Context, name string, f fetchpypi.File) ([]byte, error)
}

// DefaultMaxRounds bounds the candidates tried before giving up, as
// resolvelib's max_rounds does: backtracking can be exponential.
const DefaultMaxRounds = 20000

// MaxNodes bounds the projects and project[extra] nodes one resolution
// may require. Each round copies the search state, which grows with
// them, so rounds × nodes is the work: one Requires-Dist naming 30,000
// extras (METADATA is the index's) kept the search busy for over ten
// minutes. Real resolutions need a few hundred.
const MaxNodes = 5000

// Options say for which interpreter and under which policy to resolve.
type Options struct {
	// Env is the target interpreter's markers and tags
	// (internal/pyinterp); its python_full_version is the Python that
	// Requires-Python must admit.
	Env lockpypi.Environment
	// Policy is airlock.toml's [policy] (nil: none): deny rules and
	// min_release_age apply to every candidate.
	Policy *verify.Policy
	// Now is the time min_release_age is measured from.
	Now time.Time
	// MaxRounds bounds the work (DefaultMaxRounds when 0).
	MaxRounds int
	// Jobs bounds the index pages read ahead in parallel (8 when 0).
	Jobs int
	// Installed are the distributions already in the target environment
	// (none: resolve as for an empty one, as pip lock and pip --target
	// do). One whose version every requirement on it admits, and policy's
	// deny list does not match, is a candidate that needs no download,
	// tried where Upgrade says. Its dependencies are its installed
	// METADATA's; the index's files for its version, Requires-Python,
	// yanking and min_release_age do not apply to it (nothing is
	// fetched), as pip's already-installed candidate ignores them.
	Installed []Installed
	// Upgrade says which projects may move past an installed version that
	// satisfies them.
	Upgrade Upgrade
}

// Installed is a distribution installed in the target environment.
type Installed struct {
	Name, Version string
	// Metadata is its installed METADATA (ParseMetadata).
	Metadata *Metadata
	// Where is the directory it is installed in, for messages.
	Where string
}

// Upgrade is pip's upgrade strategy: which installed distributions are
// kept when they satisfy every requirement on them.
type Upgrade int

const (
	// UpgradeNone keeps every installed distribution that satisfies the
	// requirements, dependencies of new projects included: pip install
	// without -U ("Requirement already satisfied").
	UpgradeNone Upgrade = iota
	// UpgradeRequested tries the top-level projects newest first, the
	// installed version in its place among them, and keeps installed
	// dependencies that satisfy: pip install -U (--upgrade-strategy
	// only-if-needed, pip's default).
	UpgradeRequested
	// UpgradeEager tries every project newest first: pip install -U
	// --upgrade-strategy eager.
	UpgradeEager
)

// Pin is one resolved distribution.
type Pin struct {
	Name    string // as the project's METADATA writes it
	Version string // normalized
	// Wheel is the file to install, as the index listed it; its sha256
	// is what the install verifies.
	Wheel          fetchpypi.File
	RequiresPython string
	// Requested marks a project named by the top-level requirements.
	Requested bool
	// Installed marks the distribution already installed
	// (Options.Installed), kept as it is: Wheel is zero, there is
	// nothing to fetch.
	Installed bool
}

// Result is a resolution: the pins, sorted by normalized name, and what
// the user should know about them.
type Result struct {
	Pins     []Pin
	Warnings []string
}

// constraint is one requirement on a node, with who made it.
type constraint struct {
	specs lockpypi.Specifiers
	text  string // the requirement as written
	from  string // "the command line", "requests 2.31.0"
	// parent is the node whose pin made the requirement ("" for the
	// top-level requirements): what a dead end is blamed on.
	parent string
}

// state is one point of the search: the nodes pinned so far and the
// requirements on every node. Nodes are project names ("requests") and
// project-with-extra ("requests[socks]").
type state struct {
	pins  map[string]*release
	crit  map[string][]constraint
	order []string // nodes in the order first required
}

func (s *state) clone() *state {
	n := &state{pins: make(map[string]*release, len(s.pins)+1), crit: make(map[string][]constraint, len(s.crit)+4), order: slices.Clip(s.order)}
	for k, v := range s.pins {
		n.pins[k] = v
	}
	for k, v := range s.crit {
		n.crit[k] = slices.Clip(v)
	}
	return n
}

func (s *state) require(node string, c constraint) {
	if _, seen := s.crit[node]; !seen {
		s.order = append(s.order, node)
	}
	s.crit[node] = append(s.crit[node], c)
}

func splitNode(node string) (name, extra string) {
	name, rest, ok := strings.Cut(node, "[")
	if !ok {
		return node, ""
	}
	return name, strings.TrimSuffix(rest, "]")
}

type pageEntry struct {
	done chan struct{}
	p    *project
	err  error
}

type resolver struct {
	idx          Index
	opts         Options
	python       lockpypi.Version
	pythonString string

	mu    sync.Mutex
	pages map[string]*pageEntry
	wg    sync.WaitGroup
	sem   chan struct{}
	bg    context.Context

	rounds    int
	conflicts []string
	warned    map[string]bool
	warnings  []string

	// installed are Options.Installed by normalized name, each as a
	// release without a wheel (skip set when policy denies it);
	// installedTwice names projects with more than one installed
	// version, which are not kept (the install replaces them all).
	installed      map[string]*release
	installedTwice map[string][]string
	requested      map[string]bool
}

// errDeadEnd is a branch of the search that cannot succeed; the reason is
// in resolver.conflicts.
var errDeadEnd = errors.New("dead end")

// Resolve resolves reqs for the interpreter in opts. Errors: a
// *ConflictError (ErrConflict), ErrNotFound, ErrPolicy, ErrMetadata,
// ErrTooComplex, or the Index's own (network) errors.
func Resolve(ctx context.Context, idx Index, reqs []lockpypi.Requirement, opts Options) (*Result, error) {
	if len(reqs) == 0 {
		return &Result{}, nil
	}
	r := &resolver{idx: idx, opts: opts, pages: map[string]*pageEntry{}, warned: map[string]bool{}}
	if r.opts.MaxRounds <= 0 {
		r.opts.MaxRounds = DefaultMaxRounds
	}
	if r.opts.Jobs <= 0 {
		r.opts.Jobs = 8
	}
	if r.opts.Now.IsZero() {
		r.opts.Now = time.Now()
	}
	r.pythonString = opts.Env.Markers["python_full_version"]
	py, err := lockpypi.ParseVersion(r.pythonString)
	if err != nil {
		return nil, fmt.Errorf("the interpreter's python_full_version %q: %w", r.pythonString, err)
	}
	r.python = py
	bg, cancel := context.WithCancel(ctx)
	defer func() { cancel(); r.wg.Wait() }()
	r.bg = bg
	r.sem = make(chan struct{}, r.opts.Jobs)
	r.setInstalled(opts.Installed)

	st := &state{pins: map[string]*release{}, crit: map[string][]constraint{}}
	requested := map[string]bool{}
	r.requested = requested
	for _, q := range reqs {
		ok, err := q.Applies(opts.Env, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		if !ok {
			continue
		}
		requested[q.NormalizedName()] = true
		r.addRequirement(st, q, "the command line", "")
		if len(st.order) > MaxNodes {
			return nil, fmt.Errorf("%w: the requirements name more than %d projects and extras", ErrTooComplex, MaxNodes)
		}
	}
	for name := range requested {
		if r.preferredInstalled(st, name) == nil {
			r.prefetch(name)
		}
	}
	if err := r.checkExplicitPins(ctx, st, requested); err != nil {
		return nil, err
	}
	final, _, err := r.solve(ctx, st)
	if errors.Is(err, errDeadEnd) {
		return nil, r.conflictError()
	}
	if err != nil {
		return nil, err
	}
	return r.result(final, requested), nil
}

// addRequirement records q on its project's node and on one node per
// extra.
func (r *resolver) addRequirement(st *state, q lockpypi.Requirement, from, parent string) {
	text := q.String()
	if q.Marker != nil {
		text = strings.TrimSpace(strings.SplitN(text, ";", 2)[0])
	}
	name := q.NormalizedName()
	st.require(name, constraint{specs: q.Specifiers, text: text, from: from, parent: parent})
	for _, e := range q.Extras {
		st.require(name+"["+e+"]", constraint{specs: q.Specifiers, text: text, from: from, parent: parent})
	}
}

// checkExplicitPins refuses a top-level requirement pinned with == (or
// ===) to a version policy refuses: resolving around it would install
// something other than what was asked for.
func (r *resolver) checkExplicitPins(ctx context.Context, st *state, requested map[string]bool) error {
	var refusals []string
	for name := range requested {
		var pins lockpypi.Specifiers
		for _, c := range st.crit[name] {
			if c.from == "the command line" && exactPin(c.specs) {
				pins = append(pins, c.specs...)
			}
		}
		if len(pins) == 0 || r.installedFor(name, st.crit[name]) != nil {
			// The installed version is the pinned one: kept, and
			// nothing is fetched.
			continue
		}
		p, err := r.project(ctx, name)
		if err != nil {
			return err
		}
		var why []string
		allowed := false
		for _, rel := range p.releases {
			if !pins.Contains(rel.v) {
				continue
			}
			if !rel.policy {
				allowed = true
				break
			}
			why = append(why, rel.label(name)+": "+rel.skip)
		}
		if !allowed && len(why) > 0 {
			refusals = append(refusals, strings.Join(why, "; "))
		}
	}
	if len(refusals) > 0 {
		sort.Strings(refusals)
		return fmt.Errorf("%w: %s", ErrPolicy, strings.Join(refusals, "\n\t"))
	}
	return nil
}

func exactPin(ss lockpypi.Specifiers) bool {
	for _, s := range ss {
		if (s.Op == "==" && !s.Wildcard) || s.Op == "===" {
			return true
		}
	}
	return false
}

// blame is the set of nodes whose pins a dead end depends on: with those
// pins kept, the search below cannot succeed whatever else is chosen.
type blame map[string]bool

// solve extends st until every required node is pinned, trying each
// node's candidates newest first (an installed version first where pip
// would keep it). It backtracks on a dead end, and jumps back over nodes
// the dead end does not depend on (conflict-directed backjumping): trying
// another version of a node that had no part in a conflict cannot resolve
// it. On a dead end it returns the blame.
func (r *resolver) solve(ctx context.Context, st *state) (*state, blame, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	node := r.next(st)
	if node == "" {
		return st, nil, nil
	}
	// This node's own dead end depends on whoever required it (and, for
	// an extra, on its project's version): viable adds them.
	b := blame{}
	usable := 0
	// An installed version pip would keep is tried before the index is
	// read at all, so that an install with nothing to change asks the
	// index nothing, as pip's does not.
	first := r.preferredInstalled(st, node)
	if first != nil {
		final, jump, err := r.attempt(ctx, st, node, first, b, &usable)
		if err != nil || final != nil {
			return final, jump, err
		}
	}
	cands, culprits, err := r.viable(ctx, st, node)
	if err != nil {
		return nil, nil, err
	}
	for n := range culprits {
		b[n] = true
	}
	for _, rel := range cands {
		if rel == first {
			continue
		}
		final, jump, err := r.attempt(ctx, st, node, rel, b, &usable)
		if err != nil || final != nil {
			return final, jump, err
		}
	}
	if usable == 0 && len(cands) > 0 {
		// Every candidate's METADATA ruled it out: viable now knows why
		// and records the dead end.
		if _, _, err := r.viable(ctx, st, node); err != nil {
			return nil, nil, err
		}
	}
	return nil, b, errDeadEnd
}

// attempt pins node to rel and solves the rest. It returns the final
// state on success; errDeadEnd with the blame when the dead end below
// holds whatever node is pinned to (jump back); another error to stop;
// or nothing, having added the dead end's blame to b, when the next
// candidate should be tried. usable counts the candidates whose METADATA
// allowed them.
func (r *resolver) attempt(ctx context.Context, st *state, node string, rel *release, b blame, usable *int) (*state, blame, error) {
	name, extra := splitNode(node)
	r.rounds++
	if r.rounds > r.opts.MaxRounds {
		return nil, nil, fmt.Errorf("%w: gave up after trying %d candidates; pin some of the requirements (name==version) to narrow the search", ErrTooComplex, r.opts.MaxRounds)
	}
	deps, ok, err := r.deps(ctx, name, extra, rel)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, nil // the release turned out unusable (its METADATA's Requires-Python)
	}
	*usable++
	next := st.clone()
	next.pins[node] = rel
	from := rel.label(r.displayName(name, rel))
	for _, d := range deps {
		r.addRequirement(next, d, from, node)
		if len(next.order) > MaxNodes {
			return nil, nil, fmt.Errorf("%w: %s requires more than %d projects and extras in all; the index's metadata for it cannot be resolved safely", ErrTooComplex, from, MaxNodes)
		}
		consistent := true
		for _, dn := range nodesOf(d) {
			pinned, ok := next.pins[dn]
			if ok && !d.Specifiers.Contains(pinned.v) {
				r.conflict(fmt.Sprintf("%s requires %s, but %s %s was already chosen (%s)", from, requirementText(d), dn, pinned.s, describeCrit(st.crit[dn])))
				b[dn] = true // another version of dn might do
				consistent = false
			}
		}
		if !consistent {
			return nil, nil, nil
		}
		if !r.keeps(d) {
			r.prefetch(d.NormalizedName())
			r.readAhead(d)
		}
	}
	final, below, err := r.solve(ctx, next)
	if err == nil {
		return final, nil, nil
	}
	if !errors.Is(err, errDeadEnd) {
		return nil, nil, err
	}
	if !below[node] {
		// The dead end below holds whatever this node is pinned to.
		return nil, below, errDeadEnd
	}
	for n := range below {
		if n != node {
			b[n] = true
		}
	}
	return nil, nil, nil
}

func nodesOf(q lockpypi.Requirement) []string {
	name := q.NormalizedName()
	out := []string{name}
	for _, e := range q.Extras {
		out = append(out, name+"["+e+"]")
	}
	return out
}

func requirementText(q lockpypi.Requirement) string {
	return strings.TrimSpace(strings.SplitN(q.String(), ";", 2)[0])
}

func describeCrit(cs []constraint) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s from %s", c.text, c.from)
	}
	return "required as " + strings.Join(parts, ", ")
}

// next picks the node to decide: exact pins first (they have one
// candidate), then projects before their extras (an extra follows its
// project's version), each in the order first required.
func (r *resolver) next(st *state) string {
	best, bestRank := "", 3
	for _, n := range st.order {
		if _, pinned := st.pins[n]; pinned {
			continue
		}
		rank := 1
		if _, extra := splitNode(n); extra != "" {
			rank = 2
		}
		for _, c := range st.crit[n] {
			if exactPin(c.specs) {
				rank = 0
			}
		}
		if rank < bestRank {
			best, bestRank = n, rank
		}
	}
	return best
}

// viable lists node's candidates, newest first: the releases every
// requirement on the node admits, that have a usable wheel, that are not
// yanked (unless pinned with ==) and not pre-releases (unless a specifier
// names one or nothing else fits). With none, the dead end is recorded.
func (r *resolver) viable(ctx context.Context, st *state, node string) ([]*release, blame, error) {
	name, extra := splitNode(node)
	crit := st.crit[node]
	var only *release
	if extra != "" {
		only = st.pins[name] // an extra takes its project's version
	}
	b := blame{}
	for _, c := range crit {
		if c.parent != "" {
			b[c.parent] = true
		}
	}
	if only != nil {
		b[name] = true
	}
	if only != nil && only.installed {
		// The installed version's extra: its dependencies are in its
		// installed METADATA; the index has nothing to add.
		if admits(crit, only.v) {
			return []*release{only}, b, nil
		}
		r.conflict(r.noCandidates(name, node, crit, nil, nil, only))
		return nil, b, nil
	}
	inst := r.installedFor(name, crit)
	if only != nil {
		inst = nil
	}
	p, err := r.project(ctx, name)
	if errors.Is(err, ErrNotFound) && inst != nil {
		// Installed from elsewhere (a local build): no index lists it,
		// and the installed version is the only candidate, as in pip.
		p, err = &project{name: name}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	allowPre, yankOK := false, false
	for _, c := range crit {
		for _, s := range c.specs {
			if s.Op != "!=" && s.Op != "===" {
				if v, err := lockpypi.ParseVersion(s.Version); err == nil && v.IsPrerelease() {
					allowPre = true
				}
			}
		}
		yankOK = yankOK || exactPin(c.specs)
	}
	var finals, pres []*release
	var skipped []string
	yankedSkipped := false
	for _, rel := range p.releases {
		if only != nil && rel != only {
			continue
		}
		if !admits(crit, rel.v) {
			continue
		}
		switch {
		case rel.reason() != "":
			skipped = append(skipped, rel.s+": "+rel.reason())
		case rel.yanked && !yankOK:
			skipped = append(skipped, rel.s+": yanked"+yankedWhy(rel)+" (only an == pin installs a yanked release)")
			yankedSkipped = true
		case rel.v.IsPrerelease() && !allowPre:
			pres = append(pres, rel)
		default:
			finals = append(finals, rel)
		}
	}
	if len(finals) == 0 {
		finals = pres
	}
	if inst != nil {
		finals = withInstalled(finals, inst, r.prefersInstalled(name))
	} else if rel := r.installed[name]; rel != nil && only == nil && rel.skip != "" && admits(crit, rel.v) {
		skipped = append(skipped, "installed "+rel.s+": "+rel.skip)
	}
	if len(finals) == 0 {
		r.conflict(r.noCandidates(name, node, crit, p, skipped, only))
	}
	if yankedSkipped {
		// Another requirement pinning the yanked release with == would
		// admit it: more requirements can help here, so blame every
		// choice made so far (plain backtracking).
		for n := range st.pins {
			b[n] = true
		}
	}
	return finals, b, nil
}

// withInstalled puts the installed candidate among the index's (newest
// first), in place of the index's release of the same version: first when
// pip prefers the installed version (no upgrade for this project), else
// where its version sorts (pip's _iter_built_with_inserted).
func withInstalled(cands []*release, inst *release, prefer bool) []*release {
	out := make([]*release, 0, len(cands)+1)
	if prefer {
		out = append(out, inst)
	}
	placed := prefer
	for _, rel := range cands {
		if rel.v.Compare(inst.v) == 0 {
			continue
		}
		if !placed && rel.v.Compare(inst.v) < 0 {
			out = append(out, inst)
			placed = true
		}
		out = append(out, rel)
	}
	if !placed {
		out = append(out, inst)
	}
	return out
}

// setInstalled indexes Options.Installed by normalized name.
func (r *resolver) setInstalled(dists []Installed) {
	r.installed = map[string]*release{}
	r.installedTwice = map[string][]string{}
	for _, d := range dists {
		name := lockpypi.NormalizeName(d.Name)
		v, err := lockpypi.ParseVersion(d.Version)
		if err != nil || d.Metadata == nil {
			continue // pip cannot compare such a version either: the install replaces it
		}
		if prev, ok := r.installed[name]; ok || r.installedTwice[name] != nil {
			if ok {
				r.installedTwice[name] = append(r.installedTwice[name], prev.s+" in "+prev.where)
				delete(r.installed, name)
			}
			r.installedTwice[name] = append(r.installedTwice[name], v.String()+" in "+d.Where)
			continue
		}
		rel := &release{v: v, s: v.String(), installed: true, where: d.Where, meta: d.Metadata}
		if why := denyReason(r.opts.Policy, name, v); why != "" {
			rel.skip, rel.policy = why, true
		}
		r.installed[name] = rel
	}
}

// installedFor returns the installed release of name when it may be
// used for a node with requirements crit: every one admits its version
// (pre-release or not, as pip's already-installed candidate) and policy
// does not deny it. Else nil.
func (r *resolver) installedFor(name string, crit []constraint) *release {
	if twice := r.installedTwice[name]; twice != nil {
		r.warn(fmt.Sprintf("%s is installed more than once (%s); none is kept, the install replaces them all", name, strings.Join(twice, ", ")))
		return nil
	}
	rel := r.installed[name]
	if rel == nil || rel.skip != "" || !admits(crit, rel.v) {
		return nil
	}
	return rel
}

// prefersInstalled reports whether pip tries name's installed version
// before any other: always without -U, for dependencies with -U, never
// with --upgrade-strategy eager.
func (r *resolver) prefersInstalled(name string) bool {
	switch r.opts.Upgrade {
	case UpgradeNone:
		return true
	case UpgradeRequested:
		return !r.requested[name]
	}
	return false
}

// preferredInstalled is node's installed release when it is to be tried
// before the index is read (projects only: an extra follows its
// project's pin).
func (r *resolver) preferredInstalled(st *state, node string) *release {
	name, extra := splitNode(node)
	if extra != "" || !r.prefersInstalled(name) {
		return nil
	}
	return r.installedFor(name, st.crit[node])
}

// keeps reports whether q will most likely be met by an installed
// version without asking the index (so its pages need not be read ahead).
func (r *resolver) keeps(q lockpypi.Requirement) bool {
	name := q.NormalizedName()
	rel := r.installed[name]
	return rel != nil && rel.skip == "" && r.installedTwice[name] == nil && r.prefersInstalled(name) && q.Specifiers.Contains(rel.v)
}

func yankedWhy(rel *release) string {
	if rel.yankedReason == "" {
		return ""
	}
	return " (" + rel.yankedReason + ")"
}

func admits(crit []constraint, v lockpypi.Version) bool {
	for _, c := range crit {
		if !c.specs.Contains(v) {
			return false
		}
	}
	return true
}

// noCandidates explains a node nothing satisfies.
func (r *resolver) noCandidates(name, node string, crit []constraint, p *project, skipped []string, only *release) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", node, describeCrit(crit))
	switch {
	case only != nil && len(skipped) == 0:
		fmt.Fprintf(&b, "; but %s %s was chosen", name, only.s)
	case len(skipped) > 0:
		if len(skipped) > 5 {
			skipped = append(skipped[:5], fmt.Sprintf("and %d more", len(skipped)-5))
		}
		fmt.Fprintf(&b, "; every version that matches is unusable: %s", strings.Join(skipped, "; "))
	default:
		var vs []string
		for _, rel := range p.releases {
			vs = append(vs, rel.s)
		}
		if len(vs) > 10 {
			vs = append(vs[:10], fmt.Sprintf("and %d older", len(vs)-10))
		}
		fmt.Fprintf(&b, "; no version matches them all (the index has %s)", strings.Join(vs, ", "))
	}
	return b.String()
}

// maxConflicts bounds the dead ends remembered for the error.
const maxConflicts = 5

func (r *resolver) conflict(msg string) {
	if i := slices.Index(r.conflicts, msg); i >= 0 {
		r.conflicts = slices.Delete(r.conflicts, i, i+1)
	}
	r.conflicts = append(r.conflicts, msg)
	if len(r.conflicts) > maxConflicts {
		r.conflicts = r.conflicts[1:]
	}
}

func (r *resolver) conflictError() error {
	out := slices.Clone(r.conflicts)
	slices.Reverse(out) // the last dead end first
	return &ConflictError{Conflicts: out}
}

// deps loads rel's METADATA and returns the requirements of the node (the
// project, or one extra of it). ok is false when the METADATA shows the
// release cannot be used (Requires-Python).
func (r *resolver) deps(ctx context.Context, name, extra string, rel *release) ([]lockpypi.Requirement, bool, error) {
	if rel.meta == nil {
		data, err := r.metadata(ctx, name, rel)
		if err != nil {
			return nil, false, fmt.Errorf("%s: reading the metadata of %s: %w", rel.label(name), rel.wheel.Filename, err)
		}
		m, err := ParseMetadata(data)
		if err != nil {
			return nil, false, fmt.Errorf("%s (%s): %w", rel.label(name), rel.wheel.Filename, err)
		}
		mv, _ := lockpypi.ParseVersion(m.Version)
		if lockpypi.NormalizeName(m.Name) != name || mv.Compare(rel.v) != 0 {
			return nil, false, fmt.Errorf("%w: %s's METADATA describes %s %s, not %s: the index serves inconsistent files", ErrMetadata, rel.wheel.Filename, m.Name, m.Version, rel.label(name))
		}
		if !requiresPythonHolds(m.RequiresPython, r.python) {
			rel.metaSkip = fmt.Sprintf("its METADATA requires Python %s (the interpreter is %s)", m.RequiresPython, r.pythonString)
			rel.meta = m
			return nil, false, nil
		}
		rel.meta = m
	}
	if rel.metaSkip != "" {
		return nil, false, nil
	}
	if out, ok := rel.deps[extra]; ok {
		// Backtracking tries a release again and again; its METADATA
		// may hold many thousands of Requires-Dist markers to evaluate.
		return out, true, nil
	}
	m := rel.meta
	var out []lockpypi.Requirement
	if extra != "" {
		if !m.providesExtra(extra) {
			r.warn(fmt.Sprintf("%s %s does not provide the extra %q", m.Name, rel.s, extra))
		}
		self, err := lockpypi.ParseSpecifiers("==" + rel.s)
		if err != nil {
			return nil, false, err
		}
		out = append(out, lockpypi.Requirement{Name: name, Specifiers: self})
	}
	for _, q := range m.Requires {
		inBase, err := q.Applies(r.opts.Env, "")
		if err != nil {
			return nil, false, fmt.Errorf("%s: Requires-Dist %s: %w", rel.label(name), q, err)
		}
		in := inBase
		if extra != "" {
			if in, err = q.Applies(r.opts.Env, extra); err != nil {
				return nil, false, fmt.Errorf("%s: Requires-Dist %s: %w", rel.label(name), q, err)
			}
			in = in && !inBase // the project's own node has the rest
		}
		if in {
			out = append(out, q)
		}
	}
	if rel.deps == nil {
		rel.deps = map[string][]lockpypi.Requirement{}
	}
	rel.deps[extra] = out
	return out, true, nil
}

func (r *resolver) warn(msg string) {
	if !r.warned[msg] {
		r.warned[msg] = true
		r.warnings = append(r.warnings, msg)
	}
}

func (r *resolver) displayName(name string, rel *release) string {
	if rel.meta != nil {
		return rel.meta.Name
	}
	return name
}

// prefetch starts reading a project's pages in the background: the
// search asks for them one at a time, the network answers in parallel.
func (r *resolver) prefetch(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.pages[name]; ok {
		return
	}
	e := &pageEntry{done: make(chan struct{})}
	r.pages[name] = e
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(e.done)
		select {
		case r.sem <- struct{}{}:
		case <-r.bg.Done():
			e.err = r.bg.Err()
			return
		}
		defer func() { <-r.sem }()
		files, err := r.idx.Files(r.bg, name)
		if err != nil {
			e.err = err
			return
		}
		e.p = r.newProject(name, files)
	}()
}

// startMetadata starts reading rel's METADATA in the background, once.
func (r *resolver) startMetadata(name string, rel *release) *metaFetch {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rel.fetch != nil {
		return rel.fetch
	}
	mf := &metaFetch{done: make(chan struct{})}
	rel.fetch = mf
	wheel := *rel.wheel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(mf.done)
		select {
		case r.sem <- struct{}{}:
		case <-r.bg.Done():
			mf.err = r.bg.Err()
			return
		}
		defer func() { <-r.sem }()
		mf.data, mf.err = r.idx.Metadata(r.bg, name, wheel)
	}()
	return mf
}

// metadata returns rel's METADATA, read ahead or now.
func (r *resolver) metadata(ctx context.Context, name string, rel *release) ([]byte, error) {
	mf := r.startMetadata(name, rel)
	select {
	case <-mf.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return mf.data, mf.err
}

// readAhead starts reading, in the background, the METADATA of the
// release the search will most likely try first for q: the newest final,
// usable, unyanked one q admits. The search reads METADATA one release at
// a time; the index answers many at once.
func (r *resolver) readAhead(q lockpypi.Requirement) {
	name := q.NormalizedName()
	r.mu.Lock()
	e := r.pages[name]
	r.mu.Unlock()
	if e == nil {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case <-e.done:
		case <-r.bg.Done():
			return
		}
		if e.err != nil || e.p == nil {
			return
		}
		for _, rel := range e.p.releases {
			if rel.skip != "" || rel.yanked || rel.v.IsPrerelease() || !q.Specifiers.Contains(rel.v) {
				continue
			}
			r.startMetadata(name, rel)
			return
		}
	}()
}

// loaded returns name's project if its pages have been read, without
// waiting or asking the index.
func (r *resolver) loaded(name string) *project {
	r.mu.Lock()
	e := r.pages[name]
	r.mu.Unlock()
	if e == nil {
		return nil
	}
	select {
	case <-e.done:
		return e.p
	default:
		return nil
	}
}

func (r *resolver) project(ctx context.Context, name string) (*project, error) {
	r.prefetch(name)
	r.mu.Lock()
	e := r.pages[name]
	r.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	if len(e.p.releases) == 0 {
		return nil, fmt.Errorf("%w: no index lists %s", ErrNotFound, name)
	}
	return e.p, nil
}

// result turns the final state into pins, with warnings for yanked
// releases and for newer matching releases that were skipped.
func (r *resolver) result(st *state, requested map[string]bool) *Result {
	res := &Result{}
	var names []string
	for n := range st.pins {
		if _, extra := splitNode(n); extra == "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		rel := st.pins[n]
		pin := Pin{Name: rel.meta.Name, Version: rel.s, RequiresPython: rel.meta.RequiresPython, Requested: requested[n], Installed: rel.installed}
		if rel.wheel != nil {
			pin.Wheel = *rel.wheel
			if pin.RequiresPython == "" {
				pin.RequiresPython = rel.wheel.RequiresPython
			}
		}
		res.Pins = append(res.Pins, pin)
		if rel.yanked {
			r.warn(fmt.Sprintf("%s %s is yanked%s; installed because it is pinned with ==", pin.Name, rel.s, yankedWhy(rel)))
		}
		if inst := r.installed[n]; inst != nil && !rel.installed && inst.skip != "" && inst.v.Compare(rel.v) != 0 {
			r.warn(fmt.Sprintf("%s %s is installed but %s; it is replaced by %s", pin.Name, inst.s, inst.skip, rel.s))
		}
		if rel.installed && r.prefersInstalled(n) {
			continue // kept as pip keeps it; what the index has is beside the point
		}
		p := r.loaded(n)
		if p == nil {
			continue
		}
		for _, other := range p.releases {
			if other.v.Compare(rel.v) <= 0 || other.reason() == "" || !admits(st.crit[n], other.v) || (other.v.IsPrerelease() && !rel.v.IsPrerelease()) {
				continue
			}
			r.warn(fmt.Sprintf("%s %s is not used: %s; resolved to %s", pin.Name, other.s, other.reason(), rel.s))
			break
		}
	}
	res.Warnings = r.warnings
	return res
}
