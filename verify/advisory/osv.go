// Package advisory matches installed versions against known
// vulnerabilities and malicious packages (SCVS 4.8, 4.9): an OSV database
// imported from an ecosystem export (osv.dev's {ecosystem}/all.zip) and
// the npm registry's bulk advisory endpoint. It produces verify.Advisory
// values; verify.Policy decides what they mean for an install.
//
// Records are parsed strictly: a record must be one JSON object with an id
// and a modified time, every range event must set exactly one of
// introduced, fixed, last_affected or limit, and versions in SEMVER and
// ECOSYSTEM ranges must parse in the ecosystem's version scheme (node-semver
// for npm, PEP 440 for PyPI). A record that breaks these rules is not
// guessed at: the import reports it and leaves it out, so one bad record
// cannot hide itself by matching nothing silently without a trace.
// Unknown JSON fields are allowed, as the OSV schema grows by adding them.
package advisory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Ecosystems airlock matches (OSV spellings).
const (
	NPM  = "npm"
	PyPI = "PyPI"
)

// Record is an OSV record, the fields airlock reads.
type Record struct {
	ID         string          `json:"id"`
	Modified   string          `json:"modified"`
	Published  string          `json:"published"`
	Withdrawn  string          `json:"withdrawn"`
	Aliases    []string        `json:"aliases"`
	Summary    string          `json:"summary"`
	Details    string          `json:"details"`
	Severity   []SeverityScore `json:"severity"`
	Affected   []Affected      `json:"affected"`
	References []struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	} `json:"references"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// SeverityScore is one entry of severity[].
type SeverityScore struct {
	Type  string `json:"type"`
	Score string `json:"score"`
}

// Affected is one entry of affected[].
type Affected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
		Purl      string `json:"purl"`
	} `json:"package"`
	Ranges           []Range         `json:"ranges"`
	Versions         []string        `json:"versions"`
	DatabaseSpecific json.RawMessage `json:"database_specific"`
}

// Range is one affected range.
type Range struct {
	Type   string  `json:"type"`
	Repo   string  `json:"repo"`
	Events []Event `json:"events"`
}

// Event is one range event; exactly one field is set.
type Event struct {
	Introduced   string `json:"introduced,omitempty"`
	Fixed        string `json:"fixed,omitempty"`
	LastAffected string `json:"last_affected,omitempty"`
	Limit        string `json:"limit,omitempty"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// ParseRecord parses and checks one OSV record.
func ParseRecord(data []byte) (*Record, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not an OSV record: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not an OSV record: data after the JSON object")
	}
	if !idPattern.MatchString(r.ID) {
		return nil, fmt.Errorf("OSV record: id %q is missing or not an identifier", r.ID)
	}
	if _, err := time.Parse(time.RFC3339, r.Modified); err != nil {
		return nil, fmt.Errorf("OSV record %s: modified %q is not an RFC 3339 time", r.ID, r.Modified)
	}
	if r.Withdrawn != "" {
		if _, err := time.Parse(time.RFC3339, r.Withdrawn); err != nil {
			return nil, fmt.Errorf("OSV record %s: withdrawn %q is not an RFC 3339 time", r.ID, r.Withdrawn)
		}
	}
	for i, a := range r.Affected {
		for j, rg := range a.Ranges {
			switch rg.Type {
			case "SEMVER", "ECOSYSTEM", "GIT":
			default:
				return nil, fmt.Errorf("OSV record %s: affected[%d].ranges[%d]: unknown type %q", r.ID, i, j, rg.Type)
			}
			if len(rg.Events) == 0 {
				return nil, fmt.Errorf("OSV record %s: affected[%d].ranges[%d] has no events", r.ID, i, j)
			}
			for k, e := range rg.Events {
				n := 0
				for _, s := range []string{e.Introduced, e.Fixed, e.LastAffected, e.Limit} {
					if s != "" {
						n++
					}
				}
				if n != 1 {
					return nil, fmt.Errorf("OSV record %s: affected[%d].ranges[%d].events[%d] must set exactly one of introduced, fixed, last_affected, limit", r.ID, i, j, k)
				}
			}
		}
	}
	return &r, nil
}

// IsMalware reports whether the record is a malicious-package report:
// OSV's MAL- prefix (ossf/malicious-packages), or an alias with it.
func (r *Record) IsMalware() bool {
	if strings.HasPrefix(r.ID, "MAL-") {
		return true
	}
	for _, a := range r.Aliases {
		if strings.HasPrefix(a, "MAL-") {
			return true
		}
	}
	return false
}

// Severity levels, as GitHub and npm name them.
const (
	Low      = "low"
	Moderate = "moderate"
	High     = "high"
	Critical = "critical"
	Unknown  = "unknown"
)

// SeverityOf returns a record's level and what it rests on: GitHub's
// database_specific.severity when present, else the CVSS v3 base score
// computed from the vector, else Unknown.
func (r *Record) SeverityOf() (level, evidence string) {
	var ds struct {
		Severity string `json:"severity"`
	}
	if len(r.DatabaseSpecific) > 0 && json.Unmarshal(r.DatabaseSpecific, &ds) == nil && ds.Severity != "" {
		if l := normalizeLevel(ds.Severity); l != Unknown {
			return l, "database_specific.severity " + ds.Severity
		}
	}
	for _, s := range r.Severity {
		if s.Type != "CVSS_V3" {
			continue
		}
		if score, err := CVSS3BaseScore(s.Score); err == nil {
			return LevelOfScore(score), fmt.Sprintf("CVSS %.1f (%s)", score, s.Score)
		}
	}
	return Unknown, "the record gives no severity"
}

func normalizeLevel(s string) string {
	switch strings.ToLower(s) {
	case "low":
		return Low
	case "moderate", "medium":
		return Moderate
	case "high":
		return High
	case "critical":
		return Critical
	}
	return Unknown
}

// LevelOfScore maps a CVSS score to a level (CVSS v3.1 qualitative scale;
// "none" counts as low: a listed advisory is never nothing).
func LevelOfScore(s float64) string {
	switch {
	case s >= 9:
		return Critical
	case s >= 7:
		return High
	case s >= 4:
		return Moderate
	}
	return Low
}

// URL is the record's advisory link: the first ADVISORY reference, else
// osv.dev's page.
func (r *Record) URL() string {
	for _, ref := range r.References {
		if ref.Type == "ADVISORY" && strings.HasPrefix(ref.URL, "https://") {
			return ref.URL
		}
	}
	return "https://osv.dev/vulnerability/" + r.ID
}
