package npm

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// workspacePatterns reads the root entry's "workspaces": a list of globs, or
// an object whose "packages" is that list (the yarn form npm also accepts).
func workspacePatterns(raw json.RawMessage) ([]string, error) {
	if isNull(raw) {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var obj struct {
		Packages []string `json:"packages"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Packages != nil {
		return obj.Packages, nil
	}
	return nil, fmt.Errorf("%w: \"workspaces\" must be a list of globs", ErrInvalidEntry)
}

// matchWorkspaces resolves workspace globs against the lockfile's keys the
// way @npmcli/map-workspaces' virtual mode does: leading "!"s negate (an odd
// count), a later positive pattern cancels an earlier negation it matches,
// nothing inside node_modules is a workspace, and globs use minimatch's
// default rules. A trailing "/" is ignored: npm matches the disk with it.
func matchWorkspaces(patterns, keys []string) []string {
	var pos, neg []string
	for _, p := range patterns {
		bangs := len(p) - len(strings.TrimLeft(p, "!"))
		p = p[bangs:]
		// npm strips /^\.?\/+/: "./pkg/*" and "/pkg/*" both mean "pkg/*".
		if t := strings.TrimPrefix(p, "."); strings.HasPrefix(t, "/") {
			p = strings.TrimLeft(t, "/")
		}
		p = strings.TrimRight(p, "/")
		if bangs%2 == 1 {
			neg = append(neg, p)
			continue
		}
		kept := neg[:0]
		for _, n := range neg {
			if !globMatch(n, p) {
				kept = append(kept, n)
			}
		}
		neg = kept
		pos = append(pos, p)
	}
	neg = append(neg, "**/node_modules/**")
	var out []string
	for _, k := range keys {
		if k == "" {
			continue
		}
		excluded := false
		for _, n := range neg {
			if globMatch(n, k) {
				excluded = true
				break
			}
		}
		if excluded {
			continue
		}
		for _, p := range pos {
			if globMatch(p, k) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

// globMatch is minimatch(name, pattern) with default options for the
// patterns workspaces use: "*", "?", "[...]" and "**" (zero or more
// segments, or one or more at the end), "{a,b}" alternatives, and no match of
// segments starting with "." unless the pattern segment does.
func globMatch(pattern, name string) bool {
	for _, p := range expandBraces(pattern) {
		if matchSegs(strings.Split(p, "/"), strings.Split(name, "/")) {
			return true
		}
	}
	return false
}

func matchSegs(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		rest := pat[1:]
		min := 0
		if len(rest) == 0 {
			min = 1 // minimatch: a trailing ** needs a segment to swallow
		}
		for n := 0; n <= len(segs); n++ {
			if n >= min && matchSegs(rest, segs[n:]) {
				return true
			}
			if n < len(segs) && strings.HasPrefix(segs[n], ".") {
				return false // ** never crosses a dot segment
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	if strings.HasPrefix(segs[0], ".") && !strings.HasPrefix(pat[0], ".") {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && matchSegs(pat[1:], segs[1:])
}

// expandBraces expands "{a,b}" alternatives, innermost first, with a cap so
// a hostile pattern cannot explode.
func expandBraces(p string) []string {
	const maxExpansions = 256
	out := []string{p}
	for changed := true; changed && len(out) <= maxExpansions; {
		changed = false
		var next []string
		for _, s := range out {
			open, close := -1, -1
			for i := 0; i < len(s); i++ {
				if s[i] == '{' {
					open = i
				} else if s[i] == '}' && open >= 0 {
					close = i
					break
				}
			}
			if open < 0 || close < 0 || !strings.Contains(s[open:close], ",") {
				next = append(next, s)
				continue
			}
			changed = true
			for _, alt := range strings.Split(s[open+1:close], ",") {
				next = append(next, s[:open]+alt+s[close+1:])
			}
		}
		out = next
	}
	return out
}
