package yarn

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// ErrOutOfSync: package.json asks for a pattern yarn.lock has no entry
// for, or an entry's version is outside the pattern's range (yarn's
// "Your lockfile needs to be updated, but yarn was run with
// `--frozen-lockfile`").
var ErrOutOfSync = errors.New("yarn.lock is not up to date with package.json")

// DepKind says which package.json list a root dependency comes from.
type DepKind int

const (
	Prod DepKind = iota
	Dev
	Optional
)

// RootDep is one dependency package.json declares.
type RootDep struct {
	Dep
	Kind DepKind
}

// Manifest is what airlock reads from the project's package.json.
type Manifest struct {
	Name string
	// Deps in yarn's order: dependencies, devDependencies,
	// optionalDependencies, each sorted by name; a name listed twice
	// keeps its first place (dependencies over devDependencies), an
	// optional one its optional kind, as yarn's manifest normalization
	// does.
	Deps    []RootDep
	Version string
	// Workspaces are the workspace globs package.json declares
	// (workspaces, or workspaces.packages).
	Workspaces []string
	// Nohoist is workspaces.nohoist. yarn honours it only in a private
	// package (config.getWorkspaces).
	Nohoist []string
	// Private is package.json's private field, as JavaScript tests it
	// (any truthy value).
	Private bool
	// Resolved names the packages package.json's resolutions override
	// ("**/ms", "debug/ms" and "ms" all name ms): their entries may
	// hold a version outside the range a pattern asked for.
	Resolved map[string]bool
	// PackageManager is the packageManager field ("yarn@1.22.22").
	PackageManager string
}

// ReadManifest reads the fields of package.json that decide what yarn
// installs.
func ReadManifest(data []byte) (*Manifest, error) {
	var raw struct {
		Name                 string            `json:"name"`
		Version              string            `json:"version"`
		Dependencies         map[string]string `json:"dependencies"`
		DevDependencies      map[string]string `json:"devDependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
		Workspaces           json.RawMessage   `json:"workspaces"`
		Private              json.RawMessage   `json:"private"`
		PackageManager       string            `json:"packageManager"`
		Resolutions          map[string]any    `json:"resolutions"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	m := &Manifest{Name: raw.Name, Version: raw.Version, PackageManager: raw.PackageManager, Private: Truthy(raw.Private), Resolved: map[string]bool{}}
	for k := range raw.Resolutions {
		segs := strings.Split(k, "/")
		name := segs[len(segs)-1]
		if len(segs) > 1 && strings.HasPrefix(segs[len(segs)-2], "@") {
			name = segs[len(segs)-2] + "/" + name
		}
		m.Resolved[name] = true
	}
	var err error
	if m.Workspaces, m.Nohoist, err = ReadWorkspaces(raw.Workspaces); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	seen := map[string]int{}
	for _, l := range []struct {
		deps map[string]string
		kind DepKind
	}{{raw.Dependencies, Prod}, {raw.DevDependencies, Dev}, {raw.OptionalDependencies, Optional}} {
		names := make([]string, 0, len(l.deps))
		for n := range l.deps {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if err := validName(n); err != nil {
				return nil, fmt.Errorf("package.json: %w", err)
			}
			d := RootDep{Dep: Dep{Name: n, Range: l.deps[n]}, Kind: l.kind}
			if d.Range == "" {
				d.Range = "*"
			}
			if i, ok := seen[n]; ok {
				// yarn's normalize-manifest keeps optionalDependencies'
				// range (npm's rule), otherwise the first list's.
				if l.kind == Optional {
					m.Deps[i] = d
				}
				continue
			}
			seen[n] = len(m.Deps)
			m.Deps = append(m.Deps, d)
		}
	}
	return m, nil
}

// ReadWorkspaces reads a package.json workspaces field: a list of globs,
// or {packages, nohoist}.
func ReadWorkspaces(raw json.RawMessage) (packages, nohoist []string, err error) {
	if w := strings.TrimSpace(string(raw)); w == "" || w == "null" {
		return nil, nil, nil
	}
	if json.Unmarshal(raw, &packages) == nil {
		return packages, nil, nil
	}
	var obj struct {
		Packages []string `json:"packages"`
		Nohoist  []string `json:"nohoist"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, nil, fmt.Errorf("workspaces is neither a list of globs nor {packages, nohoist}: %w", err)
	}
	return obj.Packages, obj.Nohoist, nil
}

// Truthy is JavaScript's truthiness of a JSON value: false, null, 0, ""
// and an absent value are false, everything else (also "false", [] and
// {}) is true.
func Truthy(raw json.RawMessage) bool {
	switch s := strings.TrimSpace(string(raw)); s {
	case "", "null", "false", `""`:
		return false
	default:
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			return f != 0
		}
		return true
	}
}

// CheckInSync is --frozen-lockfile's check: every root pattern and every
// pattern an entry reached from them depends on has an entry, and each
// entry's version satisfies the semver range of the patterns that lead to
// it (a range that is a tag, URL or git reference is not compared, nor
// one of a package package.json's resolutions override).
//
// workspaces are the manifests of the project's yarn workspaces: their
// dependencies are checked too, and a pattern a workspace satisfies (its
// name, and a range its version is in) needs no entry.
func CheckInSync(lf *Lockfile, m *Manifest, workspaces ...*Manifest) error {
	var problems []string
	seen := map[*Entry]bool{}
	var queue []*Entry
	check := func(from, pattern string) {
		if IsWorkspace(pattern, workspaces) != nil {
			return
		}
		name, _ := SplitPattern(pattern)
		e := lf.ByPattern[pattern]
		if e == nil {
			problems = append(problems, fmt.Sprintf("%s asks for %q, which has no entry", from, pattern))
			return
		}
		_, rng := SplitPattern(pattern)
		if target, ok := strings.CutPrefix(rng, "npm:"); ok && strings.Contains(target[1:], "@") {
			_, rng = SplitPattern(target)
		}
		if !m.Resolved[name] && locknpm.ParseRange(rng) == nil && !locknpm.Satisfies(e.Version, rng) {
			problems = append(problems, fmt.Sprintf("%s asks for %q, but its entry (line %d) has version %s", from, pattern, e.Line, e.Version))
		}
		if !seen[e] {
			seen[e] = true
			queue = append(queue, e)
		}
	}
	for _, d := range m.Deps {
		check("package.json", d.Pattern())
	}
	for _, w := range workspaces {
		for _, d := range w.Deps {
			check(w.Name+"'s package.json", d.Pattern())
		}
	}
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		for _, d := range slices.Concat(e.Dependencies, e.OptionalDependencies) {
			check(e.Key(), d.Pattern())
		}
	}
	if len(problems) == 0 {
		return nil
	}
	const shown = 10
	more := ""
	if len(problems) > shown {
		more = fmt.Sprintf("\n\t(and %d more)", len(problems)-shown)
		problems = problems[:shown]
	}
	return fmt.Errorf("%w:\n\t%s%s\nrun `yarn install` to update yarn.lock, review it and commit it (yarn install --frozen-lockfile refuses it too)", ErrOutOfSync, strings.Join(problems, "\n\t"), more)
}

// Reachable lists the entries reached from package.json's dependencies,
// in the order a breadth-first walk meets them; patterns without an
// entry are skipped (CheckInSync reports them).
func Reachable(lf *Lockfile, m *Manifest, workspaces ...*Manifest) []*Entry {
	var out []*Entry
	seen := map[*Entry]bool{}
	visit := func(pattern string) {
		if e := lf.ByPattern[pattern]; e != nil && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, d := range m.Deps {
		visit(d.Pattern())
	}
	for _, w := range workspaces {
		for _, d := range w.Deps {
			if IsWorkspace(d.Pattern(), workspaces) == nil {
				visit(d.Pattern())
			}
		}
	}
	for i := 0; i < len(out); i++ {
		for _, d := range slices.Concat(out[i].Dependencies, out[i].OptionalDependencies) {
			visit(d.Pattern())
		}
	}
	return out
}

// IsWorkspace is yarn's WorkspaceResolver.isWorkspace: the workspace a
// pattern names, when its version satisfies the pattern's range.
func IsWorkspace(pattern string, workspaces []*Manifest) *Manifest {
	name, rng := SplitPattern(pattern)
	for _, w := range workspaces {
		if w.Name == name && (rng == "*" || rng == "latest" || locknpm.Satisfies(w.Version, rng)) {
			return w
		}
	}
	return nil
}
