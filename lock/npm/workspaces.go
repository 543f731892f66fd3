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

// matchSegs matches path segments against pattern segments. Each (pattern
// position, segment position) pair is decided once (memo), so runs of "**"
// cost O(len(pat) * len(segs)^2) instead of exponential time: a lockfile's
// workspace globs are attacker-supplied input.
func matchSegs(pat, segs []string) bool {
	const unknown, no, yes = 0, 1, 2
	memo := make([]int8, (len(pat)+1)*(len(segs)+1))
	var match func(i, j int) bool
	match = func(i, j int) bool {
		cell := &memo[i*(len(segs)+1)+j]
		if *cell != unknown {
			return *cell == yes
		}
		ok := matchAt(pat, segs, i, j, match)
		*cell = no
		if ok {
			*cell = yes
		}
		return ok
	}
	return match(0, 0)
}

// matchAt is one step of matchSegs: pat[i:] against segs[j:], with rest
// deciding the smaller subproblems.
func matchAt(pat, segs []string, i, j int, rest func(i, j int) bool) bool {
	if i == len(pat) {
		return j == len(segs)
	}
	if pat[i] == "**" {
		min := 0
		if i == len(pat)-1 {
			min = 1 // minimatch: a trailing ** needs a segment to swallow
		}
		for n := j; n <= len(segs); n++ {
			if n-j >= min && rest(i+1, n) {
				return true
			}
			if n < len(segs) && strings.HasPrefix(segs[n], ".") {
				return false // ** never crosses a dot segment
			}
		}
		return false
	}
	if j == len(segs) {
		return false
	}
	if strings.HasPrefix(segs[j], ".") && !strings.HasPrefix(pat[i], ".") {
		return false
	}
	ok, err := path.Match(pat[i], segs[j])
	return err == nil && ok && rest(i+1, j+1)
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
