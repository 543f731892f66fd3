package advisory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/verify"
)

// BulkPath is the npm registry's bulk advisory endpoint (what `npm audit`
// posts to), relative to the registry URL.
const BulkPath = "-/npm/v1/security/advisories/bulk"

// BulkRequest is the endpoint's request body: every installed version of
// every package, {"name": ["1.0.0", ...]}, in a stable order.
func BulkRequest(versions map[string][]string) []byte {
	names := make([]string, 0, len(versions))
	for n := range versions {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range names {
		vs := append([]string(nil), versions[n]...)
		sort.Strings(vs)
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(n)
		v, _ := json.Marshal(vs)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// BulkAdvisory is one advisory in the endpoint's response.
type BulkAdvisory struct {
	ID                 int64    `json:"id"`
	URL                string   `json:"url"`
	Title              string   `json:"title"`
	Severity           string   `json:"severity"`
	VulnerableVersions string   `json:"vulnerable_versions"`
	CWE                []string `json:"cwe"`
	CVSS               struct {
		Score        float64 `json:"score"`
		VectorString string  `json:"vectorString"`
	} `json:"cvss"`
}

// ParseBulk parses the response: {"name": [advisory, ...]}. Every
// advisory must name a severity and a vulnerable_versions range npm can
// parse; otherwise the response is refused rather than half-used.
func ParseBulk(data []byte) (map[string][]BulkAdvisory, error) {
	var doc map[string][]BulkAdvisory
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("bulk advisory response: not {\"name\": [advisories]}: %w", err)
	}
	for name, as := range doc {
		for i, a := range as {
			if normalizeLevel(a.Severity) == Unknown && a.Severity != "info" {
				return nil, fmt.Errorf("bulk advisory response: %s[%d] (%d): unknown severity %q", name, i, a.ID, a.Severity)
			}
			if err := locknpm.ParseRange(a.VulnerableVersions); err != nil || strings.TrimSpace(a.VulnerableVersions) == "" {
				return nil, fmt.Errorf("bulk advisory response: %s[%d] (%d): vulnerable_versions %q is not a semver range", name, i, a.ID, a.VulnerableVersions)
			}
		}
	}
	return doc, nil
}

// BulkLookup returns the advisories of resp that affect name@version; as
// npm does, the range is checked here, not trusted to the server's
// selection. source names the request for explanations.
func BulkLookup(resp map[string][]BulkAdvisory, name, version, source string) []verify.Advisory {
	var out []verify.Advisory
	for _, a := range resp[name] {
		if !locknpm.Satisfies(version, a.VulnerableVersions) {
			continue
		}
		id := "npm-advisory-" + strconv.FormatInt(a.ID, 10)
		if i := strings.LastIndex(a.URL, "/GHSA-"); i >= 0 {
			id = a.URL[i+1:]
		}
		level := normalizeLevel(a.Severity)
		if a.Severity == "info" {
			level = Low
		}
		from := "the registry's rating " + a.Severity
		if a.CVSS.VectorString != "" {
			from += fmt.Sprintf(", CVSS %.1f", a.CVSS.Score)
		}
		malware := false
		for _, c := range a.CWE {
			// GitHub files malicious packages under CWE-506 (embedded
			// malicious code); the bulk endpoint has no MAL- ids.
			malware = malware || strings.EqualFold(c, "CWE-506")
		}
		out = append(out, verify.Advisory{ID: id, Summary: a.Title, Severity: level, SeverityFrom: from, Malware: malware,
			URL: a.URL, Matched: "vulnerable_versions " + a.VulnerableVersions, Source: source})
	}
	return out
}
