package npm

import (
	"fmt"
	"path"
	"strings"
)

// validName checks a package name with the rules validate-npm-package-name
// applies to existing packages (its validForOldPackages): capitals and
// "~'!()*" are allowed, anything that would need URL-encoding is not, except
// the one "/" of a scoped name.
func validName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrBadName, name, why) }
	switch {
	case name == "":
		return bad("name is empty")
	case strings.HasPrefix(name, "."):
		return bad("name cannot start with a period")
	case strings.HasPrefix(name, "-"):
		return bad("name cannot start with a hyphen")
	case strings.HasPrefix(name, "_"):
		return bad("name cannot start with an underscore")
	case strings.TrimSpace(name) != name:
		return bad("name cannot contain leading or trailing spaces")
	case strings.EqualFold(name, "node_modules"), strings.EqualFold(name, "favicon.ico"):
		return bad("name is reserved")
	}
	if uriSafe(name) {
		return nil
	}
	scope, base, ok := strings.Cut(name, "/")
	if ok && strings.HasPrefix(scope, "@") && len(scope) > 1 && uriSafe(scope[1:]) && uriSafe(base) && base != "" {
		switch {
		case strings.HasPrefix(base, "."):
			return bad("name cannot start with a period")
		case strings.EqualFold(base, "node_modules"):
			return bad("name is reserved")
		case scope == "@." || scope == "@..":
			// npm's rules let these through; as a directory they are "." and "..".
			return bad("scope cannot be . or ..")
		}
		return nil
	}
	return bad("name can only contain URL-friendly characters")
}

// uriSafe reports whether JavaScript's encodeURIComponent leaves s unchanged.
func uriSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.!~*'()", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// location is an install path split into the project directory it hangs
// off and the chain of package folders below that directory's node_modules.
//
//	"node_modules/@s/a/node_modules/b" → top "", names ["@s/a", "b"]
//	"packages/a/node_modules/x"        → top "packages/a", names ["x"]
//	"packages/a"                       → top "packages/a", names []
type location struct {
	top   string
	names []string
}

// parseLocation validates an install path (a "packages" key or a link's
// resolved target). The root "" is not a location.
func parseLocation(p string) (location, error) {
	unsafe := func(why string) error { return fmt.Errorf("%w: %s", ErrUnsafePath, why) }
	if p == "" {
		return location{}, unsafe("empty path")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == 0:
			return location{}, unsafe("NUL byte")
		case c < 0x20 || c == 0x7f:
			return location{}, unsafe("control character")
		case c == '\\':
			return location{}, unsafe(`backslash (npm writes "/" on every platform)`)
		}
	}
	if strings.HasPrefix(p, "/") || (len(p) >= 2 && p[1] == ':') {
		return location{}, fmt.Errorf("%w: absolute path (entries must be relative to the project root)", ErrOutsideProject)
	}
	segs := strings.Split(p, "/")
	for _, s := range segs {
		switch s {
		case "..":
			return location{}, fmt.Errorf("%w: the path leaves the project root through \"..\"; airlock installs only inside the project, so move that package into it (for example as a workspace)", ErrOutsideProject)
		case ".", "":
			return location{}, unsafe(`empty or "." segment`)
		}
	}
	var loc location
	i := 0
	for i < len(segs) && segs[i] != "node_modules" {
		i++
	}
	loc.top = strings.Join(segs[:i], "/")
	for i < len(segs) {
		// segs[i] is "node_modules": a package folder must follow.
		i++
		if i == len(segs) {
			return location{}, unsafe("node_modules without a package name after it")
		}
		name := segs[i]
		if strings.HasPrefix(name, "@") {
			i++
			if i == len(segs) {
				return location{}, unsafe("scope " + name + " without a package name after it")
			}
			name += "/" + segs[i]
		}
		if err := validName(name); err != nil {
			return location{}, fmt.Errorf("%w: folder %s under node_modules: %w", ErrUnsafePath, name, err)
		}
		loc.names = append(loc.names, name)
		i++
		if i < len(segs) && segs[i] != "node_modules" {
			return location{}, unsafe(fmt.Sprintf("%q follows package folder %s; only node_modules may", segs[i], name))
		}
	}
	return loc, nil
}

// inNodeModules reports whether the location is a package folder under
// some node_modules (as opposed to a directory of the project itself).
func (l location) inNodeModules() bool { return len(l.names) > 0 }

// folderName is npm's name-from-folder: the last path segment, with its
// scope when the parent segment starts with "@".
func folderName(p string) string {
	dir, base := path.Split(p)
	parent := path.Base(strings.TrimSuffix(dir, "/"))
	if strings.HasPrefix(parent, "@") && dir != "" {
		return parent + "/" + base
	}
	return base
}
