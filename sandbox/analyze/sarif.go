package analyze

import (
	"encoding/json"
	"io"
	"sort"
)

// SARIF 2.1.0, the subset GitHub code scanning reads: one run, the rules
// that produced results, and results with a physical location.

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifResult struct {
	RuleID     string          `json:"ruleId"`
	RuleIndex  int             `json:"ruleIndex"`
	Level      string          `json:"level"`
	Message    sarifText       `json:"message"`
	Locations  []sarifLocation `json:"locations"`
	Properties map[string]any  `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIFSchema is the schema URI GitHub expects in $schema.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// WriteSARIF writes findings as a SARIF 2.1.0 log. Locations are relative
// to the project (uriBaseId %SRCROOT%), as code scanning wants.
func WriteSARIF(w io.Writer, findings []Finding, toolVersion string) error {
	used := map[string]bool{}
	for _, f := range findings {
		used[f.Rule] = true
	}
	var ids []string
	for id := range used {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	index := map[string]int{}
	driver := sarifDriver{Name: "airlock", Version: toolVersion, InformationURI: "https://github.com/airlock-dev/airlock", Rules: []sarifRule{}}
	for i, id := range ids {
		r, ok := RuleByID(id)
		if !ok {
			r = Rule{ID: id, Name: id, Short: id, Help: id, Default: Warning}
		}
		index[id] = i
		driver.Rules = append(driver.Rules, sarifRule{
			ID: r.ID, Name: r.Name,
			ShortDescription:     sarifText{r.Short},
			FullDescription:      sarifText{r.Help},
			Help:                 sarifText{r.Help},
			DefaultConfiguration: map[string]any{"level": string(r.Default)},
			Properties:           map[string]any{"tags": []string{"security", "supply-chain"}},
		})
	}
	results := []sarifResult{}
	for _, f := range findings {
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.Location(), URIBaseID: "%SRCROOT%"}}
		if f.Line > 0 {
			loc.Region = &sarifRegion{StartLine: f.Line}
		}
		results = append(results, sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: string(f.Severity),
			Message:    sarifText{f.Package + "@" + f.Version + ": " + f.Message},
			Locations:  []sarifLocation{{PhysicalLocation: loc}},
			Properties: map[string]any{"package": f.Package, "version": f.Version, "tool": f.Tool},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{{Tool: sarifTool{Driver: driver}, Results: results}}})
}
