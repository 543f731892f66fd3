package npm

import (
	"errors"
	"fmt"

	"github.com/airlock-dev/airlock/lock"
)

// Options say what to install for.
type Options struct {
	Omit Omit // from ResolveOmit

	// Platform is what optional packages' os, cpu and libc are matched
	// against (npm's --os, --cpu and --libc, defaulting to the host). It
	// must be set: use HostPlatform with DetectLibc.
	Platform Platform
	// Host is what required packages are matched against. npm 11 ignores
	// --os/--cpu/--libc there and always uses the machine it runs on; the
	// zero value means "same as Platform".
	Host Platform

	// NodeVersion and NpmVersion are matched against engines.node and
	// engines.npm. npm skips an optional package whose engines do not
	// match and only warns for a required one (unless EngineStrict). An
	// empty version is not checked.
	NodeVersion, NpmVersion string
	// EngineStrict turns the engines warning for required packages into
	// ErrBadEngine (npm's engine-strict).
	EngineStrict bool
	// Force skips the platform check and the engines.node check of
	// required packages, as npm's --force does (engines.npm is still
	// checked). Optional packages are checked regardless.
	Force bool
}

// Selection is what goes on disk.
type Selection struct {
	// Install lists, in Path order, every entry that npm ci would put in
	// place: registry, git, remote and file packages to fetch and unpack,
	// SourceBundled entries (they arrive inside their parent's archive and
	// are listed so the installer can account for them), SourceLink
	// symlinks, and SourceWorkspace project directories (already on disk;
	// listed because their own node_modules entries are installed and
	// their bins linked).
	Install []lock.Package
	// Skipped lists the other entries, each with the reason.
	Skipped []Skip
	// Warnings are npm's non-fatal complaints (EBADENGINE).
	Warnings []Warning
}

// SkipReason classifies a Skip.
type SkipReason int

const (
	// SkipOmitted: its dependency type is omitted (--omit).
	SkipOmitted SkipReason = iota
	// SkipPlatform: an optional package whose os, cpu or libc do not match.
	SkipPlatform
	// SkipEngine: an optional package whose engines do not match.
	SkipEngine
	// SkipOptionalSet: needed only by a skipped optional package.
	SkipOptionalSet
	// SkipExtraneous: nothing in the project needs it (only an optional
	// peer dependency names it); npm ci prunes it.
	SkipExtraneous
)

// Skip is an entry left off disk.
type Skip struct {
	Package lock.Package
	Why     SkipReason
	Reason  string // for people: "omitted (dev)", "optional, os darwin does not match linux"
}

// Warning is a non-fatal finding about one package.
type Warning struct {
	Package lock.Package
	Message string
}

// Select decides which entries npm ci would install: it drops omitted
// dependency types, skips optional packages that cannot run here together
// with what only they need, fails when a required package cannot run here
// (ErrBadPlatform, or ErrBadEngine with EngineStrict), and returns the rest.
func (l *Lockfile) Select(opts Options) (*Selection, error) {
	if opts.Platform.OS == "" || opts.Platform.CPU == "" {
		return nil, fmt.Errorf("lock/npm: Select needs Options.Platform (OS and CPU); use HostPlatform and DetectLibc")
	}
	host := opts.Host
	if host == (Platform{}) {
		host = opts.Platform
	}
	sel := &Selection{}
	inert := map[*node]Skip{}
	var fatal []error
	flags := l.depFlags()

	// One pass in npm's inventory order, as build-ideal-tree's
	// checkEngineAndPlatform does: the order decides which optional
	// failures see which others as already gone.
	for _, n := range l.order {
		f := flags[n]
		if f.extraneous {
			continue
		}
		optional := f.optional
		if !optional && !l.omitted(n, f, opts.Omit) {
			nodeVersion := opts.NodeVersion
			if opts.Force {
				nodeVersion = "" // npm's --force drops the node check, not the npm one
			}
			if err := engineMismatch(&n.pkg, nodeVersion, opts.NpmVersion); err != nil {
				if opts.EngineStrict {
					fatal = append(fatal, l.requiredErr(n, ErrBadEngine, err, "set engine-strict off, or use node/npm versions it supports"))
				} else {
					sel.Warnings = append(sel.Warnings, Warning{Package: n.pkg, Message: "EBADENGINE: " + err.Error()})
				}
			}
			if err := platformMismatch(&n.pkg, host); err != nil && !opts.Force {
				fatal = append(fatal, l.requiredErr(n, ErrBadPlatform, err, "install on a matching platform, or make it an optionalDependency"))
			}
		}
		if !optional {
			continue
		}
		if _, gone := inert[n]; gone {
			continue
		}
		var why SkipReason
		err := engineMismatch(&n.pkg, opts.NodeVersion, opts.NpmVersion)
		if err != nil {
			why = SkipEngine
		} else if err = platformMismatch(&n.pkg, opts.Platform); err != nil {
			why = SkipPlatform
		}
		if err == nil {
			continue
		}
		set := l.optionalSet(n, inert, flags)
		for _, m := range set {
			if m == n {
				inert[m] = Skip{Package: m.pkg, Why: why, Reason: "optional, " + err.Error()}
			} else if _, done := inert[m]; !done {
				inert[m] = Skip{Package: m.pkg, Why: SkipOptionalSet, Reason: "optional, needed only by skipped " + n.path}
			}
		}
	}
	if len(fatal) > 0 {
		return nil, errors.Join(fatal...)
	}

	for i := range l.Packages {
		n := l.nodeAt(i)
		f := flags[n]
		if f.extraneous {
			sel.Skipped = append(sel.Skipped, Skip{Package: n.pkg, Why: SkipExtraneous, Reason: "extraneous: nothing depends on it"})
			continue
		}
		if l.omitted(n, f, opts.Omit) {
			sel.Skipped = append(sel.Skipped, Skip{Package: n.pkg, Why: SkipOmitted, Reason: "omitted (" + omitType(f, opts.Omit) + ")"})
			continue
		}
		if s, gone := inert[n]; gone {
			sel.Skipped = append(sel.Skipped, s)
			continue
		}
		sel.Install = append(sel.Install, n.pkg)
	}
	return sel, nil
}

func (l *Lockfile) requiredErr(n *node, sentinel, err error, fix string) error {
	return fmt.Errorf("lock/npm: %w: %s (%s@%s) is required here but %v: %s", sentinel, displayPath(n.path), n.pkg.Name, n.pkg.Version, err, fix)
}

func displayPath(p string) string {
	if p == "" {
		return "the project root"
	}
	return p
}

func (l *Lockfile) nodeAt(i int) *node { return l.nodes[l.Packages[i].Path] }

// omitted is arborist's Node.shouldOmit: only nodes below the project root
// or a workspace can be omitted (a file: directory's own node_modules is
// not), and the node's computed flags decide (a link has its own).
func (l *Lockfile) omitted(n *node, f *depFlags, o Omit) bool {
	if n == l.root || n.top == nil || (n.top != l.root && !n.top.isWorkspace) {
		return false
	}
	return omitType(f, o) != ""
}

func omitType(f *depFlags, o Omit) string {
	switch {
	case f.peer && o.Peer:
		return "peer"
	case f.dev && o.Dev:
		return "dev"
	case f.optional && o.Optional:
		return "optional"
	case f.devOptional && o.Dev && o.Optional:
		return "dev, optional"
	}
	return ""
}

// optionalSet is arborist's optional-set: from a failed optional node, walk
// up through non-optional dependents to the optional edges that bound the
// failure, then add everything only that part of the graph needs
// (gather-dep-set). Edges from nodes already skipped keep nothing alive;
// edges from pruned nodes are not in the tree at all. With the flags
// computed from the graph, a non-optional dependent of an optional node is
// itself optional, so the walk never reaches the root.
func (l *Lockfile) optionalSet(n *node, inert map[*node]Skip, flags map[*node]*depFlags) []*node {
	set := []*node{n}
	in := map[*node]bool{n: true}
	for i := 0; i < len(set); i++ {
		for _, e := range set[i].in {
			if e.optional() || in[e.from] || flags[e.from].extraneous {
				continue
			}
			in[e.from] = true
			set = append(set, e.from)
		}
	}
	keep := func(e *edge) bool {
		_, fromInert := inert[e.from]
		return !in[e.to] && !fromInert && !flags[e.from].extraneous
	}
	deps := append([]*node(nil), set...)
	has := map[*node]bool{}
	for _, d := range deps {
		has[d] = true
	}
	for i := 0; i < len(deps); i++ {
		for _, name := range deps[i].outOrder {
			e := deps[i].out[name]
			if e.to != nil && keep(e) && !has[e.to] {
				has[e.to] = true
				deps = append(deps, e.to)
			}
		}
	}
	// Drop whatever something outside the set still depends on, until
	// nothing changes.
	for changed := true; changed; {
		changed = false
		for _, d := range deps {
			if !has[d] {
				continue
			}
			for _, e := range d.in {
				if !has[e.from] && keep(e) {
					delete(has, d)
					changed = true
					break
				}
			}
		}
	}
	var out []*node
	for _, d := range deps {
		if has[d] {
			out = append(out, d)
		}
	}
	return out
}

// String names a SkipReason for machine output.
func (r SkipReason) String() string {
	return [...]string{"omitted", "platform", "engine", "optional-set", "extraneous"}[r]
}
