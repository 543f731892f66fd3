package install

import (
	"path"
	"strings"
)

// RelPath is Node's path.relative between two project-relative slash
// paths (to may start with "../"): the target of a relative symlink at
// from/NAME, as npm, yarn and pnpm write bin and workspace links.
func RelPath(from, to string) string {
	split := func(p string) []string {
		p = path.Clean(p)
		if p == "." {
			return nil
		}
		return strings.Split(p, "/")
	}
	f, t := split(from), split(to)
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
}
