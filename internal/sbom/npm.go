package sbom

import "github.com/airlock-dev/airlock/lock"

// NPMInput lists the installed lockfile entries of an npm project as
// components, with the graph deps records (lock/npm Lockfile.Dependencies,
// keyed by install path, "" for the root). A link is no component: edges to
// it lead to the workspace it points at. Edges to entries that are not
// installed (omitted, other platforms) are left out. redact, if set,
// rewrites each Resolved URL before it is written (credentials in a git or
// tarball URL must not reach a BOM).
func NPMInput(name, version string, installed []lock.Package, deps map[string][]string, redact func(lock.Package) string) Input {
	in := Input{Root: Component{Ref: "project", Ecosystem: lock.NPM, Name: name, Version: version}}
	linkTo := map[string]string{}
	present := map[string]bool{}
	for _, p := range installed {
		if p.Source == lock.SourceLink {
			linkTo[p.Path] = p.Resolved
			continue
		}
		present[p.Path] = true
	}
	edges := func(from string) []string {
		var out []string
		for _, d := range deps[from] {
			if t, ok := linkTo[d]; ok {
				d = t
			}
			if present[d] {
				out = append(out, d)
			}
		}
		return out
	}
	for _, p := range installed {
		if p.Source == lock.SourceLink {
			continue
		}
		c := FromPackage(p)
		if redact != nil {
			c.Resolved = redact(p)
		}
		c.DependsOn = edges(p.Path)
		in.Components = append(in.Components, c)
	}
	in.Root.DependsOn = edges("")
	return in
}
