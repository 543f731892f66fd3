// Package lockdiff says what a lockfile change brings in, for code review:
// packages added, removed and changed, and the changes a reviewer must not
// miss — a new install script, a new source outside the registry, and an
// integrity that changed while the version did not (the registry, a mirror
// or the lockfile was tampered with, or a package was republished).
//
// Registry facts (release age, publisher and maintainer changes,
// provenance) come from packuments the caller fetches; Packument extracts
// them. The package does no I/O.
package lockdiff

import (
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// Kind says how a package changed.
type Kind string

const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed" // same key, something else differs
)

// Flag names a change that deserves a reviewer's attention.
type Flag string

const (
	// NewInstallScript: the new entry declares install scripts the old one
	// did not (or there was no old one).
	NewInstallScript Flag = "new-install-script"
	// NewSource: the new entry comes from git, a URL or a file, and did not
	// come from exactly there before.
	NewSource Flag = "new-non-registry-source"
	// IntegrityChanged: same name and version, different bytes.
	IntegrityChanged Flag = "integrity-changed-same-version"
	// ResolvedChanged: same name and version fetched from another URL.
	ResolvedChanged Flag = "resolved-changed-same-version"
	// KnownAdvisory: an advisory affects the new version (and, for a
	// changed package, did not affect the old one).
	KnownAdvisory Flag = "known-advisory"
	// Malware: a malicious-package report names the new version.
	Malware Flag = "malicious-package"
)

// Advisory is a security advisory that affects a version, as the caller's
// advisory sources (verify/advisory) report it.
type Advisory struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Summary  string `json:"summary,omitempty"`
	Malware  bool   `json:"malware,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Entry is one side of a change.
type Entry struct {
	Name             string `json:"name"`
	Version          string `json:"version"`
	Source           string `json:"source"`
	Resolved         string `json:"resolved,omitempty"`
	Integrity        string `json:"integrity,omitempty"`
	HasInstallScript bool   `json:"has_install_script,omitempty"`
	Dev              bool   `json:"dev,omitempty"`
	Optional         bool   `json:"optional,omitempty"`
}

// Change is one package that differs between the two lockfiles.
type Change struct {
	Kind Kind `json:"kind"`
	// Key identifies the package in both lockfiles: the install path for
	// npm, the normalized name for Python.
	Key   string   `json:"key"`
	Old   *Entry   `json:"old,omitempty"`
	New   *Entry   `json:"new,omitempty"`
	Flags []Flag   `json:"flags,omitempty"`
	Notes []string `json:"notes,omitempty"`
	// Registry holds registry facts about New, filled in by the caller.
	Registry *Facts `json:"registry,omitempty"`
	// Advisories affect New (filled in with AddAdvisories); Fixed are the
	// advisories that affected Old and no longer affect New.
	Advisories []Advisory `json:"advisories,omitempty"`
	Fixed      []Advisory `json:"fixed_advisories,omitempty"`
}

// AddAdvisories records the advisories affecting a change's new and old
// versions, flagging an advisory the change brings in (KnownAdvisory) and
// a malicious-package report (Malware).
func (c *Change) AddAdvisories(newAdv, oldAdv []Advisory) {
	had := map[string]bool{}
	for _, a := range oldAdv {
		had[a.ID] = true
	}
	has := map[string]bool{}
	introduced, malware := false, false
	for _, a := range newAdv {
		has[a.ID] = true
		c.Advisories = append(c.Advisories, a)
		introduced = introduced || !had[a.ID]
		malware = malware || a.Malware
	}
	for _, a := range oldAdv {
		if !has[a.ID] {
			c.Fixed = append(c.Fixed, a)
		}
	}
	if malware {
		c.Flags = append(c.Flags, Malware)
	}
	if introduced {
		c.Flags = append(c.Flags, KnownAdvisory)
	}
}

// Suspicious reports whether the change carries a flag.
func (c Change) Suspicious() bool { return len(c.Flags) > 0 }

// Key is how a package is matched across lockfiles: its install path
// where the ecosystem has one (npm), else its PEP 503 normalized name.
func Key(p lock.Package) string {
	if p.Path != "" {
		return p.Path
	}
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(p.Name))
}

func entryOf(p lock.Package) *Entry {
	return &Entry{Name: p.Name, Version: p.Version, Source: p.Source.String(), Resolved: p.Resolved, Integrity: p.Integrity,
		HasInstallScript: p.HasInstallScript, Dev: p.Dev, Optional: p.Optional || p.DevOptional}
}

// Diff compares two package lists (workspaces and links included: a
// package moving into the project is a change too) and returns the changes
// in key order.
func Diff(old, new []lock.Package) []Change {
	oldBy := map[string]lock.Package{}
	for _, p := range old {
		oldBy[Key(p)] = p
	}
	newBy := map[string]lock.Package{}
	for _, p := range new {
		newBy[Key(p)] = p
	}
	var changes []Change
	for k, n := range newBy {
		o, had := oldBy[k]
		if !had {
			c := Change{Kind: Added, Key: k, New: entryOf(n)}
			c.Flags, c.Notes = flags(nil, &n)
			changes = append(changes, c)
			continue
		}
		if same(o, n) {
			continue
		}
		c := Change{Kind: Changed, Key: k, Old: entryOf(o), New: entryOf(n)}
		c.Flags, c.Notes = flags(&o, &n)
		changes = append(changes, c)
	}
	for k, o := range oldBy {
		if _, ok := newBy[k]; !ok {
			changes = append(changes, Change{Kind: Removed, Key: k, Old: entryOf(o)})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Key < changes[j].Key })
	return changes
}

func same(a, b lock.Package) bool {
	return a.Name == b.Name && a.Version == b.Version && a.Source == b.Source && a.Resolved == b.Resolved &&
		a.Integrity == b.Integrity && a.HasInstallScript == b.HasInstallScript &&
		a.Dev == b.Dev && a.Optional == b.Optional && a.DevOptional == b.DevOptional
}

// fetched are the sources whose bytes come from somewhere else.
func nonRegistry(s lock.Source) bool {
	return s == lock.SourceGit || s == lock.SourceRemote || s == lock.SourceFile
}

func flags(o, n *lock.Package) ([]Flag, []string) {
	var fl []Flag
	var notes []string
	if n.HasInstallScript && (o == nil || !o.HasInstallScript) {
		fl = append(fl, NewInstallScript)
	}
	if nonRegistry(n.Source) && (o == nil || o.Source != n.Source || o.Resolved != n.Resolved) {
		fl = append(fl, NewSource)
		notes = append(notes, "comes from "+n.Source.String()+": "+n.Resolved)
	}
	if o != nil && o.Name == n.Name && o.Version == n.Version && o.Source == n.Source {
		switch integrityChange(o.Integrity, n.Integrity) {
		case digestDiffers:
			fl = append(fl, IntegrityChanged)
			notes = append(notes, "the same version now has a different digest: the package was republished, or the lockfile, registry or a mirror was tampered with")
		case algorithmOnly:
			notes = append(notes, "the integrity now uses another hash algorithm (the digests cannot be compared)")
		}
		if o.Resolved != "" && n.Resolved != "" && o.Resolved != n.Resolved && n.Source == lock.SourceRegistry {
			fl = append(fl, ResolvedChanged)
			notes = append(notes, "the same version is now fetched from "+n.Resolved)
		}
	}
	if o != nil && o.Dev && !n.Dev {
		notes = append(notes, "no longer dev-only: installed in production")
	}
	return fl, notes
}

type integrityResult int

const (
	integritySame integrityResult = iota
	digestDiffers
	algorithmOnly
)

// integrityChange compares two integrity strings by the digests they
// share an algorithm in: a digest replaced by another of the same
// algorithm is a change of bytes, while adding a sha512 beside a sha1, or
// another wheel's hash beside the old ones (Python locks list one digest per
// file), is not.
func integrityChange(a, b string) integrityResult {
	if a == b {
		return integritySame
	}
	if a == "" || b == "" {
		return algorithmOnly
	}
	ia, errA := verify.ParseSRI(a)
	ib, errB := verify.ParseSRI(b)
	if errA != nil || errB != nil {
		return digestDiffers
	}
	set := func(in verify.Integrity) map[string]map[string]bool {
		m := map[string]map[string]bool{}
		for _, d := range in {
			if m[d.Algorithm] == nil {
				m[d.Algorithm] = map[string]bool{}
			}
			m[d.Algorithm][string(d.Sum)] = true
		}
		return m
	}
	sa, sb := set(ia), set(ib)
	shared := false
	for algo, olds := range sa {
		news, ok := sb[algo]
		if !ok {
			continue
		}
		shared = true
		if hasMissing(olds, news) && hasMissing(news, olds) {
			return digestDiffers
		}
	}
	if !shared {
		return algorithmOnly
	}
	return integritySame
}

// hasMissing reports whether a has an element b lacks.
func hasMissing(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return true
		}
	}
	return false
}
