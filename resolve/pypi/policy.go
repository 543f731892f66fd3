package pypi

import (
	"fmt"
	"time"

	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

// denyReason returns why policy's deny list refuses name's version v, or
// "". A deny entry names a project (PEP 503 normalization applies to both
// sides) and optionally a version range, read as PEP 440 specifiers
// ("<2", ">=1.0,<1.4", "==1.2.3"); npm-style space-separated clauses and a
// bare version (meaning ==) are accepted too. A range that is none of
// these denies every version of the project: an unreadable rule must not
// let anything through.
func denyReason(pol *verify.Policy, name string, v lockpypi.Version) string {
	if pol == nil {
		return ""
	}
	src := pol.Source
	if src == "" {
		src = "airlock.toml"
	}
	for _, d := range pol.Deny {
		if !verify.MatchName(d.Pattern, name) && !verify.MatchName(lockpypi.NormalizeName(d.Pattern), name) {
			continue
		}
		if d.Range == "" {
			return fmt.Sprintf("denied by policy: deny %q in %s [policy]", d.Spec, src)
		}
		specs, err := lockpypi.ParseDenyRange(d.Range)
		if err != nil {
			return fmt.Sprintf("denied by policy: deny %q in %s [policy] (its range is not a PEP 440 specifier, so it denies every version: %v)", d.Spec, src, err)
		}
		if specs.Contains(v) {
			return fmt.Sprintf("denied by policy: deny %q in %s [policy]", d.Spec, src)
		}
	}
	return ""
}

// ageReason returns why min_release_age refuses a file uploaded at
// uploaded (PEP 700, "" when the index does not say), or "".
func ageReason(pol *verify.Policy, name, uploaded string, now time.Time) string {
	e := pol.For(name)
	age := e.MinReleaseAge
	if age <= 0 {
		return ""
	}
	from := e.From["min_release_age"]
	if uploaded == "" {
		return fmt.Sprintf("the index gives no upload-time (PEP 700), so min_release_age = %s (%s) cannot be checked", fmtAge(age), from)
	}
	t, err := time.Parse(time.RFC3339Nano, uploaded)
	if err != nil {
		return fmt.Sprintf("the index's upload-time %q is not RFC 3339, so min_release_age = %s (%s) cannot be checked", uploaded, fmtAge(age), from)
	}
	if now.Sub(t) < age {
		return fmt.Sprintf("uploaded %s, less than min_release_age = %s (%s) ago; allowed from %s",
			t.UTC().Format(time.RFC3339), fmtAge(age), from, t.Add(age).UTC().Format(time.RFC3339))
	}
	return ""
}

func fmtAge(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%q", fmt.Sprintf("%dd", d/(24*time.Hour)))
	case d%time.Hour == 0:
		return fmt.Sprintf("%q", fmt.Sprintf("%dh", d/time.Hour))
	}
	return fmt.Sprintf("%q", d.String())
}
