package pypi

import (
	"fmt"
	"slices"
	"strings"
)

// Select returns the distributions to install into env, in lock order:
// those whose markers hold (requirements, pylock.toml), or those reached
// from the project root along edges whose markers hold (uv.lock), workspace
// members excluded. It fails with ErrEnvironment when the interpreter is
// outside the lock's requires-python or pylock environments, with
// ErrUnsupported when a selected entry is not a registry or locked wheel
// distribution, with ErrNoHash when a selected uv.lock file has no hash,
// with ErrConflict when two selected entries pin one project differently,
// and with ErrUnknownGroup for extras or groups the lock does not have.
func (l *Lock) Select(env Environment) ([]Dist, error) {
	if err := l.checkPython(env); err != nil {
		return nil, err
	}
	switch {
	case l.uv != nil:
		return l.selectUV(env)
	case l.Format == "pylock":
		return l.selectPylock(env)
	}
	return l.selectRequirements(env)
}

// pythonVersion is the interpreter's python_full_version, as requires-python
// is checked against it.
func pythonVersion(env Environment) (Version, error) {
	s, ok := env.Markers["python_full_version"]
	if !ok {
		return Version{}, fmt.Errorf("%w: the environment has no python_full_version", ErrEnvironment)
	}
	v, err := ParseVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("%w: python_full_version %q: %v", ErrEnvironment, s, err)
	}
	return v, nil
}

func checkRequiresPython(spec, what string, env Environment) error {
	if strings.TrimSpace(spec) == "" {
		return nil
	}
	ss, err := ParseSpecifiers(spec)
	if err != nil {
		return fmt.Errorf("%s requires-python: %w", what, err)
	}
	v, err := pythonVersion(env)
	if err != nil {
		return err
	}
	if !ss.Contains(v) {
		return fmt.Errorf("%w: %s requires Python %s, the interpreter is %s: choose another interpreter with --python", ErrEnvironment, what, spec, env.Markers["python_full_version"])
	}
	return nil
}

func (l *Lock) checkPython(env Environment) error {
	if err := checkRequiresPython(l.RequiresPython, "the lock", env); err != nil {
		return err
	}
	if len(l.Environments) == 0 {
		return nil
	}
	for _, e := range l.Environments {
		m, err := ParseMarker(e)
		if err != nil {
			return err
		}
		ok, err := m.Evaluate(env, "")
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%w: the lock was made for the environments %s, and this interpreter is in none of them", ErrEnvironment, strings.Join(l.Environments, " | "))
}

func (l *Lock) selectPylock(env Environment) ([]Dist, error) {
	for _, e := range env.Extras {
		if !containsNormalized(l.Extras, e) {
			return nil, fmt.Errorf("%w: extra %q is not in the lock's extras %v", ErrUnknownGroup, e, l.Extras)
		}
	}
	if env.DependencyGroups == nil {
		env.DependencyGroups = l.DefaultGroups
	} else {
		for _, g := range env.DependencyGroups {
			if !containsNormalized(l.DependencyGroups, g) {
				return nil, fmt.Errorf("%w: dependency group %q is not in the lock's dependency-groups %v", ErrUnknownGroup, g, l.DependencyGroups)
			}
		}
	}
	var out []Dist
	chosen := map[string]Dist{}
	for _, d := range l.Dists {
		ok, err := d.Applies(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Source, err)
		}
		if !ok {
			continue
		}
		// PEP 751: at most one entry per project may apply.
		if prev, dup := chosen[d.NormalizedName()]; dup {
			return nil, fmt.Errorf("%w: %s and %s both apply to this environment", ErrConflict, prev.Source, d.Source)
		}
		if d.refuse != nil {
			return nil, fmt.Errorf("%s: %w", d.Source, d.refuse)
		}
		if err := checkRequiresPython(d.RequiresPython, d.Source, env); err != nil {
			return nil, err
		}
		d.Requested = true
		chosen[d.NormalizedName()] = d
		out = append(out, d)
	}
	return out, nil
}

func containsNormalized(list []string, name string) bool {
	n := NormalizeName(name)
	return slices.ContainsFunc(list, func(s string) bool { return NormalizeName(s) == n })
}

func (l *Lock) selectUV(env Environment) ([]Dist, error) {
	reached, direct, err := l.uv.walk(env)
	if err != nil {
		return nil, err
	}
	var out []Dist
	chosen := map[string]Dist{}
	for i, n := range l.uv.nodes {
		if !reached[i] || n.member {
			continue
		}
		d := n.dist
		if prev, dup := chosen[d.NormalizedName()]; dup {
			return nil, fmt.Errorf("%w: %s and %s are both reached for this environment", ErrConflict, prev.Source, d.Source)
		}
		if d.refuse != nil {
			return nil, fmt.Errorf("%s: %w", d.Source, d.refuse)
		}
		for _, w := range d.Wheels {
			if len(w.Hashes) == 0 {
				return nil, fmt.Errorf("%s: %w: wheel %s has no hash in the lock (the index published none): airlock installs only files it can verify", d.Source, ErrNoHash, w.Filename)
			}
		}
		d.Requested = direct[i]
		chosen[d.NormalizedName()] = d
		out = append(out, d)
	}
	return out, nil
}

func (l *Lock) selectRequirements(env Environment) ([]Dist, error) {
	var out []Dist
	index := map[string]int{}
	for _, d := range l.Dists {
		ok, err := d.Applies(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.Source, err)
		}
		if !ok {
			continue
		}
		i, dup := index[d.NormalizedName()]
		if !dup {
			index[d.NormalizedName()] = len(out)
			d.Hashes = slices.Clone(d.Hashes)
			out = append(out, d)
			continue
		}
		prev := &out[i]
		if !sameVersion(*prev, d) {
			return nil, fmt.Errorf("%w: %s is pinned to %s at %s and to %s at %s, and both apply here", ErrConflict, d.Name, prev.Version, prev.Source, d.Version, d.Source)
		}
		// pip intersects the hash sets of every requirement of a project.
		merged := intersectHashes(prev.Hashes, d.Hashes)
		if len(merged) == 0 {
			return nil, fmt.Errorf("%w: %s at %s and at %s share no --hash, so no file can match both", ErrConflict, d.Name, prev.Source, d.Source)
		}
		prev.Hashes = merged
		for _, e := range d.Extras {
			if !containsNormalized(prev.Extras, e) {
				prev.Extras = append(prev.Extras, e)
			}
		}
	}
	for _, c := range l.constraints {
		ok, err := c.Applies(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Source, err)
		}
		i, required := index[c.NormalizedName()]
		if !ok || !required {
			continue // pip ignores constraints on projects nothing requires
		}
		d := &out[i]
		if !constraintAllows(c, *d) {
			return nil, fmt.Errorf("%w: %s==%s (%s) is outside the constraint %s%s at %s", ErrConflict, d.Name, d.Version, d.Source, c.Name, c.specs, c.Source)
		}
		if len(c.Hashes) > 0 {
			merged := intersectHashes(d.Hashes, c.Hashes)
			if len(merged) == 0 {
				return nil, fmt.Errorf("%w: %s at %s and its constraint at %s share no --hash, so no file can match both", ErrConflict, d.Name, d.Source, c.Source)
			}
			d.Hashes = merged
		}
	}
	return out, nil
}

// constraintAllows checks the pinned version against the constraint's
// clauses the way pip's resolver intersects them.
func constraintAllows(c reqLine, d Dist) bool {
	if d.Arbitrary {
		for _, s := range c.specs {
			if s.Op != "===" || !strings.EqualFold(s.Version, d.Version) {
				return false
			}
		}
		return true
	}
	v, err := ParseVersion(d.Version)
	if err != nil {
		return false
	}
	for _, s := range c.specs {
		if s.Op == "===" {
			if !strings.EqualFold(s.Version, d.Version) {
				return false
			}
			continue
		}
		if !s.Contains(v) {
			return false
		}
	}
	return true
}

// intersectHashes is pip's Hashes.__and__: an empty side leaves the other
// unchanged; otherwise only algorithms both name are kept, with the digests
// both allow.
func intersectHashes(a, b []Hash) []Hash {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return b
	}
	var out []Hash
	for _, h := range b {
		if slices.Contains(a, h) && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}
