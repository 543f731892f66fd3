package wheel

import (
	"regexp"
	"strconv"
	"strings"
)

// normalizeName is PEP 503's normalised project name: lower case, every
// run of "-", "_" and "." one "-".
func normalizeName(name string) string {
	return strings.ToLower(nameSeps.ReplaceAllString(name, "-"))
}

var nameSeps = regexp.MustCompile(`[-_.]+`)

// pep440 is the version grammar of PEP 440 (packaging's VERSION_PATTERN).
var pep440 = regexp.MustCompile(`(?i)^\s*v?(?:(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)` +
	`([-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?([0-9]+)?)?` +
	`((?:-([0-9]+))|(?:[-_.]?(post|rev|r)[-_.]?([0-9]+)?))?` +
	`([-_.]?(dev)[-_.]?([0-9]+)?)?)` +
	`(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$`)

// normalizeVersion returns the canonical form of a PEP 440 version as
// packaging.utils.canonicalize_version gives it (trailing ".0"s of the
// release dropped, so "1.0" and "1" are one version), or the lower-cased
// input when it is not PEP 440 (then only the same spelling matches).
func normalizeVersion(v string) string {
	m := pep440.FindStringSubmatch(v)
	if m == nil {
		return strings.ToLower(strings.TrimSpace(v))
	}
	var b strings.Builder
	if m[1] != "" && num(m[1]) != "0" {
		b.WriteString(num(m[1]) + "!")
	}
	rel := strings.Split(m[2], ".")
	for i := range rel {
		rel[i] = num(rel[i])
	}
	for len(rel) > 1 && rel[len(rel)-1] == "0" {
		rel = rel[:len(rel)-1]
	}
	b.WriteString(strings.Join(rel, "."))
	if m[3] != "" {
		pre := strings.ToLower(m[4])
		switch pre {
		case "alpha":
			pre = "a"
		case "beta":
			pre = "b"
		case "c", "pre", "preview":
			pre = "rc"
		}
		b.WriteString(pre + num(orZero(m[5])))
	}
	if m[6] != "" {
		n := m[7]
		if n == "" {
			n = orZero(m[9])
		}
		b.WriteString(".post" + num(n))
	}
	if m[10] != "" {
		b.WriteString(".dev" + num(orZero(m[12])))
	}
	if m[13] != "" {
		b.WriteString("+" + strings.ToLower(nameSeps.ReplaceAllString(m[13], ".")))
	}
	return b.String()
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// num drops leading zeros ("007" → "7") without overflowing on long runs
// of digits.
func num(s string) string {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return strconv.FormatUint(n, 10)
	}
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

// splitDistInfo splits "name-version.dist-info" (or ".data") into its name
// and version. The name part has no "-" in a conforming wheel; the version
// is what follows the last "-".
func splitDistInfo(dir, suffix string) (name, version string, ok bool) {
	base, found := strings.CutSuffix(dir, suffix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(base, '-')
	if i <= 0 || i == len(base)-1 {
		return "", "", false
	}
	return base[:i], base[i+1:], true
}
