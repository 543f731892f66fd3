package lock

import "strings"

// NameProblem checks a package name from a pnpm, yarn or bun lockfile with
// the rules validate-npm-package-name applies to existing packages (its
// validForOldPackages, as lock/npm does): capitals and "~'!()*" are
// allowed, nothing that would need URL-encoding except a scoped name's one
// "/", and no name that is a special directory, since names become
// directory names and URL paths. It returns why the name is refused, or ""
// for a good name; each lockfile package wraps that in its ErrBadName.
func NameProblem(name string) string {
	switch {
	case name == "":
		return "name is empty"
	case len(name) > 214:
		return "name is longer than 214 characters"
	case strings.HasPrefix(name, "."), strings.HasPrefix(name, "-"), strings.HasPrefix(name, "_"):
		return "name cannot start with a period, hyphen or underscore"
	case strings.EqualFold(name, "node_modules"), strings.EqualFold(name, "favicon.ico"):
		return "name is reserved"
	}
	if uriSafe(name) {
		return ""
	}
	scope, base, ok := strings.Cut(name, "/")
	if ok && strings.HasPrefix(scope, "@") && len(scope) > 1 && uriSafe(scope[1:]) && uriSafe(base) && base != "" &&
		!strings.HasPrefix(base, ".") && !strings.EqualFold(base, "node_modules") && scope != "@." && scope != "@.." {
		return ""
	}
	return "name can only contain URL-friendly characters"
}

// uriSafe reports whether JavaScript's encodeURIComponent leaves s unchanged.
func uriSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0) {
			return false
		}
	}
	return true
}
