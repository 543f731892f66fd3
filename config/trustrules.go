package config

import (
	"fmt"

	"github.com/airlock-dev/airlock/verify"
)

// trustRulesFile holds the provenance and advisory keys allowed both in
// [policy] and in [policy.packages."PATTERN"]:
//
//	require_provenance = true
//	provenance_repos = ["https://github.com/acme/*"]
//	provenance_builders = ["https://github.com/actions/runner/github-hosted"]
//	advisories = { fail = "high", warn = "low", ignore = ["GHSA-..."] }
type trustRulesFile struct {
	RequireProvenance  *bool           `toml:"require_provenance"`
	ProvenanceRepos    []string        `toml:"provenance_repos"`
	ProvenanceBuilders []string        `toml:"provenance_builders"`
	Advisories         *advisoriesFile `toml:"advisories"`
}

type advisoriesFile struct {
	Fail   string   `toml:"fail"`
	Warn   string   `toml:"warn"`
	Ignore []string `toml:"ignore"`
	// Bulk (only in [policy]) turns the registry's bulk advisory endpoint
	// on or off; default on.
	Bulk *bool `toml:"bulk"`
}

// apply copies the keys into out; base says whether this is [policy]
// (where advisories.bulk is allowed).
func (t trustRulesFile) apply(out *verify.Rules, where string, base bool) (bulk *bool, err error) {
	out.RequireProvenance = t.RequireProvenance
	out.ProvenanceRepos = t.ProvenanceRepos
	out.ProvenanceBuilders = t.ProvenanceBuilders
	for _, g := range append(append([]string(nil), t.ProvenanceRepos...), t.ProvenanceBuilders...) {
		if g == "" {
			return nil, fmt.Errorf("%s provenance_repos/provenance_builders: an empty pattern matches nothing; use \"*\" for any", where)
		}
	}
	if a := t.Advisories; a != nil {
		out.AdvisoryFail, out.AdvisoryWarn, out.IgnoreAdvisories = a.Fail, a.Warn, a.Ignore
		if a.Bulk != nil && !base {
			return nil, fmt.Errorf("%s advisories.bulk can be set only in [policy] (it is one request for all packages)", where)
		}
		bulk = a.Bulk
	}
	return bulk, nil
}
