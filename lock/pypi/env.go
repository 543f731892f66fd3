package pypi

// Environment is what selection knows about the target interpreter.
type Environment struct {
	// Markers holds PEP 508's marker variables (os_name, sys_platform,
	// platform_machine, platform_python_implementation, platform_release,
	// platform_system, platform_version, python_version,
	// python_full_version, implementation_name, implementation_version).
	// "extra" is not in it: Dist markers are evaluated with extra = "".
	Markers map[string]string
	// Tags are the interpreter's supported wheel tags, most preferred
	// first, as SysTags computes them.
	Tags []Tag
	// Extras and DependencyGroups are the values of PEP 751's "extras" and
	// "dependency_groups" marker variables (pylock.toml). Nil for
	// DependencyGroups means the lock's default-groups.
	Extras, DependencyGroups []string
}

// Applies reports whether d's marker holds in env (always true for an empty
// marker). A marker that does not parse is an ErrBadMarker error, never a
// silent false.
func (d Dist) Applies(env Environment) (bool, error) {
	if d.Marker == "" {
		return true, nil
	}
	m, err := ParseMarker(d.Marker)
	if err != nil {
		return false, err
	}
	return m.Evaluate(env, "")
}
