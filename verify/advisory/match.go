package advisory

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/lock/pypi"
)

// scheme is an ecosystem's version order and package naming.
type scheme struct {
	valid   func(v string) error
	compare func(a, b string) int // both valid
	name    func(n string) string // the form names are compared in
}

// semverText keeps a version from carrying range syntax into the
// node-semver comparisons below ("1.0.0 || *" must not parse as a range).
var semverText = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

var schemes = map[string]scheme{
	NPM: {
		valid: func(v string) error {
			if !semverText.MatchString(v) || !locknpm.Satisfies(v, "="+v) {
				return fmt.Errorf("%q is not a semver version", v)
			}
			return nil
		},
		compare: func(a, b string) int {
			switch {
			case locknpm.Satisfies(a, "="+b):
				return 0
			case locknpm.Satisfies(a, "<"+b):
				return -1
			}
			return 1
		},
		name: func(n string) string { return n },
	},
	PyPI: {
		valid: func(v string) error { _, err := pypi.ParseVersion(v); return err },
		compare: func(a, b string) int {
			va, _ := pypi.ParseVersion(a)
			vb, _ := pypi.ParseVersion(b)
			return va.Compare(vb)
		},
		name: pypi.NormalizeName,
	},
}

// Supported reports whether airlock matches ecosystem's versions.
func Supported(ecosystem string) bool { _, ok := schemes[ecosystem]; return ok }

// NormalizeName is the form a package name is looked up in.
func NormalizeName(ecosystem, name string) string {
	if s, ok := schemes[ecosystem]; ok {
		return s.name(name)
	}
	return name
}

// Entry is what the database keeps of one record for one package.
type Entry struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Severity string   `json:"severity"`
	// SeverityFrom says what the severity rests on.
	SeverityFrom string   `json:"severity_from,omitempty"`
	Malware      bool     `json:"malware,omitempty"`
	URL          string   `json:"url,omitempty"`
	Modified     string   `json:"modified,omitempty"`
	Ranges       []Range  `json:"ranges,omitempty"`
	Versions     []string `json:"versions,omitempty"`
}

// entriesOf turns a record into entries per (ecosystem, normalized name),
// checking every version against the ecosystem's scheme.
func entriesOf(r *Record) (map[[2]string]Entry, error) {
	out := map[[2]string]Entry{}
	level, from := r.SeverityOf()
	for i, a := range r.Affected {
		eco := a.Package.Ecosystem
		s, ok := schemes[eco]
		if !ok || a.Package.Name == "" {
			continue // another ecosystem's, or a purl-only entry
		}
		e := Entry{ID: r.ID, Aliases: r.Aliases, Summary: r.Summary, Severity: level, SeverityFrom: from,
			Malware: r.IsMalware(), URL: r.URL(), Modified: r.Modified, Versions: a.Versions}
		for _, v := range a.Versions {
			if err := s.valid(v); err != nil {
				return nil, fmt.Errorf("OSV record %s: affected[%d].versions: %v", r.ID, i, err)
			}
		}
		for j, rg := range a.Ranges {
			if rg.Type == "GIT" {
				continue // commits, not versions
			}
			for _, ev := range rg.Events {
				for _, v := range []string{ev.Introduced, ev.Fixed, ev.LastAffected} {
					if v == "" || v == "0" {
						continue
					}
					if err := s.valid(v); err != nil {
						return nil, fmt.Errorf("OSV record %s: affected[%d].ranges[%d]: %v", r.ID, i, j, err)
					}
				}
			}
			e.Ranges = append(e.Ranges, rg)
		}
		if len(e.Ranges) == 0 && len(e.Versions) == 0 {
			continue
		}
		key := [2]string{eco, s.name(a.Package.Name)}
		if prev, ok := out[key]; ok {
			prev.Ranges = append(prev.Ranges, e.Ranges...)
			prev.Versions = append(prev.Versions, e.Versions...)
			e = prev
		}
		out[key] = e
	}
	return out, nil
}

// Affects reports whether version is affected by e, and the range that
// matched, in words, for explanations.
func (e Entry) Affects(ecosystem, version string) (bool, string) {
	s, ok := schemes[ecosystem]
	if !ok || s.valid(version) != nil {
		return false, ""
	}
	for _, v := range e.Versions {
		if s.compare(v, version) == 0 {
			return true, "version " + v + " is listed"
		}
	}
	for _, rg := range e.Ranges {
		if rangeAffects(s, rg, version) {
			return true, describe(rg)
		}
	}
	return false, ""
}

// rangeAffects is the OSV schema's evaluation: events in version order
// ("0" first); introduced turns affected on at or above its version, fixed
// turns it off at or above, last_affected turns it off above.
func rangeAffects(s scheme, rg Range, v string) bool {
	evs := append([]Event(nil), rg.Events...)
	key := func(e Event) string { return e.Introduced + e.Fixed + e.LastAffected + e.Limit }
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := key(evs[i]), key(evs[j])
		if a == "0" || b == "0" {
			return a == "0" && b != "0"
		}
		return s.compare(a, b) < 0
	})
	affected := false
	for _, e := range evs {
		switch {
		case e.Introduced != "":
			if e.Introduced == "0" || s.compare(v, e.Introduced) >= 0 {
				affected = true
			}
		case e.Fixed != "":
			if s.compare(v, e.Fixed) >= 0 {
				affected = false
			}
		case e.LastAffected != "":
			if s.compare(v, e.LastAffected) > 0 {
				affected = false
			}
		}
	}
	return affected
}

func describe(rg Range) string {
	var parts []string
	for _, e := range rg.Events {
		switch {
		case e.Introduced == "0":
			parts = append(parts, "introduced in any version")
		case e.Introduced != "":
			parts = append(parts, "introduced "+e.Introduced)
		case e.Fixed != "":
			parts = append(parts, "fixed "+e.Fixed)
		case e.LastAffected != "":
			parts = append(parts, "last affected "+e.LastAffected)
		}
	}
	return rg.Type + " range: " + strings.Join(parts, ", ")
}

// Fixed lists the fixed versions the entry names, for remediation hints.
func (e Entry) Fixed() []string {
	var out []string
	for _, rg := range e.Ranges {
		for _, ev := range rg.Events {
			if ev.Fixed != "" {
				out = append(out, ev.Fixed)
			}
		}
	}
	return out
}
