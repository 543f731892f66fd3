package yarn

import (
	"fmt"
	"strings"
)

// This file is yarn 1.22's NohoistResolver (src/package-hoister.js): a
// package whose dependency path matches a nohoist glob is not hoisted
// above the top of its branch (the workspace, or the root dependency,
// that reached it). Globs come from the workspace root's package.json
// and from every package's own (workspaces.nohoist, honoured only in a
// private package), each prefixed with the path of the package that
// declared it, so that a workspace's patterns apply beneath it only.
// Paths name packages by name from the project ("/_project_/a/react-native"),
// and are matched with micromatch 2's any, as yarn does.

// wsRootAlias is WS_ROOT_ALIAS: the workspace aggregator in paths.
const wsRootAlias = "_project_"

// nohoistOf is config.getWorkspaces(manifest).nohoist: the package's
// nohoist globs when it is private (yarn ignores them in a public
// package, with a warning), checked to be globs airlock evaluates as
// micromatch does.
func nohoistOf(who string, private bool, nohoist []string) ([]string, error) {
	if !private || len(nohoist) == 0 {
		return nil, nil
	}
	for _, p := range nohoist {
		if err := checkNohoistGlob(p); err != nil {
			return nil, fmt.Errorf("%w: %s: workspaces.nohoist %q: %v", ErrWorkspaces, who, p, err)
		}
	}
	return nohoist, nil
}

// initNohoist is NohoistResolver.initNohoist: info's branch path and its
// nohoist list (its own globs, then its parent's, or the workspace
// root's for a top-level package).
func (h *hoister) initNohoist(info, parent *hoistInfo) {
	var parentList []string
	originalParentPath := info.originalParentPath
	if parent != nil {
		parentList = parent.nohoistList
		originalParentPath = h.originalPath(parent)
	} else if h.wsRootName == "" || info.ref.name != h.wsRootName {
		parentList = h.wsRootNohoist
		originalParentPath = h.wsRootName
	}
	info.originalParentPath = originalParentPath
	list := h.extractNohoist(info.ref, h.originalPath(info))
	list = append(list, parentList...)
	if len(list) > 0 {
		info.nohoistList = list
	}
	info.isNohoist = h.isNohoist(info)
}

// highestHoistingPoint is NohoistResolver.highestHoistingPoint: a nohoist
// package stays beneath the first element of its parts.
func (h *hoister) highestHoistingPoint(info *hoistInfo) int {
	if info.isNohoist && len(info.parts) > 1 {
		return 1
	}
	return 0
}

// isNohoist is NohoistResolver._isNohoist (yarn's Plug'n'Play case, in
// which every package is nohoist, does not arise: airlock lays out
// node_modules).
func (h *hoister) isNohoist(info *hoistInfo) bool {
	if h.isTopPackage(info) {
		return false
	}
	if len(info.nohoistList) == 0 {
		return false
	}
	p := h.originalPath(info)
	for _, g := range info.nohoistList {
		if microMatch(g, p) {
			return true
		}
	}
	return false
}

// originalPath is NohoistResolver._originalPath.
func (h *hoister) originalPath(info *hoistInfo) string {
	return h.makePath(info.originalParentPath, info.ref.name)
}

// makePath is NohoistResolver._makePath.
func (h *hoister) makePath(args ...string) string {
	parts := make([]string, len(args))
	for i, s := range args {
		if h.wsRootName != "" && s == h.wsRootName {
			s = wsRootAlias
		}
		parts[i] = s
	}
	result := strings.Join(parts, "/")
	if strings.HasPrefix(result, "/") {
		return result
	}
	return "/" + result
}

// isTopPackage is NohoistResolver._isTopPackage.
func (h *hoister) isTopPackage(info *hoistInfo) bool {
	parent := info.parts[:len(info.parts)-1]
	return len(parent) == 0 || (len(parent) == 1 && h.wsRootName != "" && parent[0] == h.wsRootName)
}

// extractNohoist is NohoistResolver._extractNohoistList: r's globs,
// prefixed with its branch path.
func (h *hoister) extractNohoist(r *ref, pathPrefix string) []string {
	if len(r.nohoist) == 0 {
		return nil
	}
	// The prefix is part of the glob micromatch compiles: a name with
	// characters it would read as pattern syntax (npm allows !*'() in
	// names) cannot be evaluated here.
	if err := checkNohoistGlob(strings.TrimPrefix(pathPrefix, "/")); err != nil || strings.Contains(pathPrefix, "*") || strings.Contains(pathPrefix, "?") {
		if h.err == nil {
			h.err = fmt.Errorf("%w: %s declares workspaces.nohoist but its path from the project, %s, has characters micromatch reads as glob syntax", ErrWorkspaces, r.name, pathPrefix)
		}
		return nil
	}
	out := make([]string, len(r.nohoist))
	for i, p := range r.nohoist {
		out[i] = h.makePath(pathPrefix, p)
	}
	return out
}

// checkNohoistGlob accepts the globs microMatch evaluates exactly as
// micromatch 2 does: path elements that are "**" or made of characters
// package names use and the wildcards * and ?. Braces, brackets,
// extglobs, negation, escapes, empty, "." and ".." elements are refused
// rather than approximated: micromatch's rules for them are its own.
func checkNohoistGlob(p string) error {
	if p == "" {
		return fmt.Errorf("empty glob")
	}
	if strings.HasPrefix(p, "!") {
		return fmt.Errorf("negated globs are not supported")
	}
	for _, seg := range strings.Split(p, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return fmt.Errorf("empty, . and .. path elements are not supported")
		case seg == "**":
		case strings.Contains(seg, "**"):
			return fmt.Errorf("** must be a whole path element")
		}
		for _, c := range seg {
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~@*?", c)
			if !ok {
				return fmt.Errorf("only letters, digits, -._~@ and the wildcards * ? ** are supported (not %q)", c)
			}
		}
	}
	return nil
}

// microMatch is micromatch 2's isMatch for a glob checkNohoistGlob
// accepted (after the path prefix) and a path made by makePath, following
// the regular expression micromatch compiles ("**" is
// (?:(?!(?:\/|^)\.).)*?): "**" is any number of path elements, of which
// only the first may start with "." (at the end, at least one element);
// * is any run of characters but "/", ? any one; and an element's leading
// * or ? does not match a "." that starts the path element, except a *
// right after "**".
func microMatch(glob, p string) bool {
	return matchElems(strings.Split(glob, "/"), strings.Split(p, "/"), false)
}

// matchElems matches path elements; afterGlobstar says the glob element
// before glob[0] was "**".
func matchElems(glob, p []string, afterGlobstar bool) bool {
	for len(glob) > 0 {
		if glob[0] != "**" {
			guard := !afterGlobstar || !strings.HasPrefix(glob[0], "*")
			if len(p) == 0 || !matchElem(glob[0], p[0], guard) {
				return false
			}
			glob, p, afterGlobstar = glob[1:], p[1:], false
			continue
		}
		// Consecutive "**" compile to one.
		for len(glob) > 1 && glob[1] == "**" {
			glob = glob[1:]
		}
		for i := 0; i <= len(p); i++ {
			if i >= 2 && strings.HasPrefix(p[i-1], ".") {
				// "**" consumed a "/." after its first element.
				return false
			}
			if len(glob) == 1 {
				if i == len(p) && i > 0 {
					return true
				}
				continue
			}
			if matchElems(glob[1:], p[i:], true) {
				return true
			}
		}
		return false
	}
	return len(p) == 0
}

// matchElem matches one path element against a glob element of literal
// characters, * and ?; guard is micromatch's (?!\.) before a leading
// wildcard.
func matchElem(glob, s string, guard bool) bool {
	if guard && strings.HasPrefix(s, ".") && glob != "" && (glob[0] == '*' || glob[0] == '?') {
		return false
	}
	// The classic star-backtracking match: remember the last * and how
	// much of s it has taken.
	gi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case gi < len(glob) && (glob[gi] == '?' || glob[gi] == s[si]):
			gi++
			si++
		case gi < len(glob) && glob[gi] == '*':
			star, mark = gi, si
			gi++
		case star >= 0:
			gi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for gi < len(glob) && glob[gi] == '*' {
		gi++
	}
	return gi == len(glob)
}
