package pypi

import "strings"

// ParseDenyRange reads the version range of an airlock.toml [policy] deny
// entry ("NAME@RANGE") for a Python project: PEP 440 specifiers (">=2",
// ">=1.0,<1.4", "==1.2.*"), with npm-style space-separated clauses and a
// bare version (meaning ==) accepted too, since the deny list is shared
// with npm ("lib@1.2.3", "lib@>=1.0 <1.4").
func ParseDenyRange(rng string) (Specifiers, error) {
	var clauses []string
	for _, c := range strings.FieldsFunc(rng, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if c[0] >= '0' && c[0] <= '9' {
			c = "==" + c
		}
		clauses = append(clauses, c)
	}
	return ParseSpecifiers(strings.Join(clauses, ","))
}

// DenyRangeMatches reports whether a deny entry's range matches version
// (verify.RangeMatcher for Python). It fails closed: a range that is not
// PEP 440, or a version that cannot be compared with it (a legacy version
// pinned with ===), matches, so an unreadable rule lets nothing through.
func DenyRangeMatches(version, rng string) bool {
	specs, err := ParseDenyRange(rng)
	if err != nil || len(specs) == 0 {
		return true
	}
	v, err := ParseVersion(version)
	if err != nil {
		return true
	}
	return specs.Contains(v)
}
