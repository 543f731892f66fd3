package verify

import (
	"fmt"
	"sort"
	"strings"
)

// Advisory is one known vulnerability or malicious-package report that
// matches an installed version, from the OSV database or the registry's
// bulk advisory endpoint (verify/advisory finds them).
type Advisory struct {
	ID      string
	Aliases []string
	Summary string
	// Severity is low, moderate, high, critical or unknown.
	Severity string
	// SeverityFrom says what the severity rests on (GitHub's rating, a
	// CVSS vector's score, the registry's rating).
	SeverityFrom string
	// Malware marks a malicious-package report (OSV MAL-*): the package
	// itself is the attack, there is no safe version of it to wait for.
	Malware bool
	URL     string
	// Matched is why this version matches ("ECOSYSTEM range: introduced 0,
	// fixed 0.7.1").
	Matched string
	Fixed   []string
	// Source is where it came from ("OSV database imported ... from ...",
	// "POST https://registry/-/npm/v1/security/advisories/bulk").
	Source string
}

// Severity levels in order; unknown ranks as moderate (see severityRank).
var severityLevels = []string{"low", "moderate", "high", "critical"}

// ParseSeverityLevel checks a threshold: a level or "never".
func ParseSeverityLevel(s string) error {
	if s == "never" {
		return nil
	}
	for _, l := range severityLevels {
		if s == l {
			return nil
		}
	}
	return fmt.Errorf("%q: want low, moderate, high, critical or never", s)
}

// severityRank orders levels; an advisory without a severity counts as
// moderate: not enough to fail the default policy (high) on its own, but
// never silently below a "low" or "moderate" threshold.
func severityRank(s string) int {
	switch s {
	case "low":
		return 1
	case "moderate", "unknown":
		return 2
	case "high":
		return 3
	case "critical":
		return 4
	}
	return 99 // "never"
}

// Advisories decides what the advisories matching s mean: malware always
// refuses; a vulnerability at or above advisories.fail refuses, at or
// above advisories.warn warns; ignored ids (per package or in [policy])
// are reported as allowed with the setting that ignored them.
func (p *Policy) Advisories(s Subject, found []Advisory) []Decision {
	e := p.For(s.Name)
	if e.AdvisoryFail == "" && e.AdvisoryWarn == "" {
		return nil
	}
	src := p.source()
	sort.SliceStable(found, func(i, j int) bool { return found[i].ID < found[j].ID })
	var out []Decision
	for _, a := range found {
		names := append([]string{a.ID}, a.Aliases...)
		ev := fmt.Sprintf("%s: %s; %s", a.ID, a.Matched, a.Source)
		if a.URL != "" {
			ev += "; " + a.URL
		}
		if a.Malware {
			d := s.decision("malware", Deny, fmt.Sprintf("%s is a known malicious package (%s%s)", s.id(), a.ID, summary(a)))
			d.Evidence = ev
			d.Override = "none: a malicious-package report (OSV MAL-*) always refuses. Remove the dependency, treat any machine that installed it as compromised and rotate its credentials; if the report is wrong, it is withdrawn upstream and `airlock db update` drops it"
			out = append(out, d)
			continue
		}
		if ig := ignoredBy(e.IgnoreAdvisories, names); ig != "" {
			d := s.decision("advisories", Allow, fmt.Sprintf("%s: advisory %s (%s) is ignored by policy", s.id(), a.ID, a.Severity))
			d.Evidence = fmt.Sprintf("%s; advisories.ignore contains %q (%s)", ev, ig, e.From["advisories.ignore"])
			out = append(out, d)
			continue
		}
		rank := severityRank(a.Severity)
		sev := a.Severity
		if a.SeverityFrom != "" {
			sev += ", " + a.SeverityFrom
		}
		fix := "upgrade to a fixed version"
		if len(a.Fixed) > 0 {
			fix = "upgrade to a fixed version (" + strings.Join(a.Fixed, ", ") + ")"
		}
		override := fmt.Sprintf(`%s and re-lock; or, after review, add %q to advisories.ignore in [policy.packages.%q] of %s`, fix, a.ID, s.Name, src)
		switch {
		case rank >= severityRank(e.AdvisoryFail):
			d := s.decision("advisories", Deny, fmt.Sprintf("%s has a known vulnerability %s (%s) at or above advisories.fail = %q%s", s.id(), a.ID, a.Severity, e.AdvisoryFail, summary(a)))
			d.Evidence = fmt.Sprintf("%s; severity %s; advisories.fail from %s", ev, sev, from(e.From["advisories.fail"]))
			d.Override = override
			out = append(out, d)
		case rank >= severityRank(e.AdvisoryWarn):
			d := s.decision("advisories", Warn, fmt.Sprintf("%s has a known vulnerability %s (%s)%s", s.id(), a.ID, a.Severity, summary(a)))
			d.Evidence = fmt.Sprintf("%s; severity %s, below advisories.fail = %q", ev, sev, e.AdvisoryFail)
			d.Override = override
			out = append(out, d)
		}
	}
	return out
}

func summary(a Advisory) string {
	if a.Summary == "" {
		return ""
	}
	return ": " + a.Summary
}

func from(where string) string {
	if where == "" {
		return "the default"
	}
	return where
}

// IgnoredAdvisory returns the advisories.ignore entry that names a (by
// its id or an alias) for the package name, and where that list was set,
// or "", "": for reports such as airlock audit that leave a reviewed
// exception out as an install lets it through. A malicious-package report
// is never ignored.
func (p *Policy) IgnoredAdvisory(name string, a Advisory) (entry, from string) {
	if a.Malware {
		return "", ""
	}
	e := p.For(name)
	if ig := ignoredBy(e.IgnoreAdvisories, append([]string{a.ID}, a.Aliases...)); ig != "" {
		return ig, e.From["advisories.ignore"]
	}
	return "", ""
}

func ignoredBy(ignore, names []string) string {
	for _, ig := range ignore {
		for _, n := range names {
			if strings.EqualFold(ig, n) {
				return ig
			}
		}
	}
	return ""
}

// Deprecated reports a deprecation message from the registry as a warning.
func (p *Policy) Deprecated(s Subject, message, url string) []Decision {
	if message == "" {
		return nil
	}
	d := s.decision("deprecated", Warn, fmt.Sprintf("%s is deprecated by its publisher: %q", s.id(), message))
	d.Evidence = "versions[" + s.Version + "].deprecated in " + url
	d.Override = "a warning only; move to the version or package the message names and re-lock"
	return []Decision{d}
}
