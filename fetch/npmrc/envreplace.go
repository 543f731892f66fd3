package npmrc

import "strings"

// expandEnv replaces ${NAME} and ${NAME?} the way @npmcli/config's
// env-replace.js does with /(?<!\\)(\\*)\$\{([^${}?]+)(\?)?\}/g:
//
//   - ${NAME} becomes the variable's value, even when it is set to "";
//     when NAME is unset the text stays "${NAME}" (npm does not fail).
//   - ${NAME?} becomes "" when NAME is unset.
//   - Backslashes before "$" escape it: an odd number leaves the reference
//     literal, and either way half of them (rounded down) remain.
func expandEnv(s string, env func(string) (string, bool)) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		m, ok := matchEnvRef(s, i)
		if !ok {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch {
		case m.escapes%2 == 1:
			// orig.slice((esc+1)/2): drop (esc+1)/2 backslashes, keep the rest literally.
			b.WriteString(s[i+(m.escapes+1)/2 : m.end])
		default:
			b.WriteString(strings.Repeat(`\`, m.escapes/2))
			if v, set := env(m.name); set {
				b.WriteString(v)
			} else if !m.optional {
				b.WriteString("${" + m.name + "}")
			}
		}
		i = m.end
	}
	return b.String()
}

type envRef struct {
	escapes  int // backslashes before "${"
	name     string
	optional bool // ${NAME?}
	end      int  // index after the closing "}"
}

// matchEnvRef reports whether the regular expression matches at start.
func matchEnvRef(s string, start int) (envRef, bool) {
	if start > 0 && s[start-1] == '\\' {
		return envRef{}, false // (?<!\\)
	}
	j := start
	for j < len(s) && s[j] == '\\' {
		j++
	}
	if !strings.HasPrefix(s[j:], "${") {
		return envRef{}, false
	}
	k := j + 2
	for k < len(s) && !strings.ContainsRune("${}?", rune(s[k])) {
		k++
	}
	if k == j+2 || k >= len(s) {
		return envRef{}, false
	}
	ref := envRef{escapes: j - start, name: s[j+2 : k]}
	if s[k] == '?' {
		ref.optional = true
		k++
	}
	if k >= len(s) || s[k] != '}' {
		return envRef{}, false
	}
	ref.end = k + 1
	return ref, true
}
