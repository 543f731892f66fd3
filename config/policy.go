package config

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	locknpm "github.com/airlock-dev/airlock/lock/npm"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

// Registry is one [[registry]] table: what airlock trusts about a registry
// beyond .npmrc's URL and credentials.
type Registry struct {
	// URL is the registry's base URL with one trailing slash, as .npmrc
	// names it.
	URL string
	// Keys pins the registry's signing keys; signatures are checked
	// against these and the registry's /-/npm/v1/keys is not consulted.
	Keys []verify.RegistryKey
	// MirrorOf is the authoritative registry this one mirrors.
	MirrorOf string
	// OriginCheck cross-checks every package's integrity against MirrorOf
	// (default on when mirror_of is set).
	OriginCheck bool
	// Source is the file that declared it.
	Source string
}

// policyFile mirrors [policy].
type policyFile struct {
	rulesFile
	// PthFiles is "warn" (default) or "deny" for wheels that install
	// .pth files, which Python runs at every start-up.
	PthFiles string               `toml:"pth_files"`
	Deny     []string             `toml:"deny"`
	Packages map[string]rulesFile `toml:"packages"`
}

// rulesFile holds the keys allowed both in [policy] and in
// [policy.packages."PATTERN"].
type rulesFile struct {
	RequireSignatures *bool    `toml:"require_signatures"`
	MinReleaseAge     *string  `toml:"min_release_age"`
	WeakHashes        string   `toml:"weak_hashes"`
	AllowSources      []string `toml:"allow_sources"`
	trustRulesFile
}

type registryFile struct {
	URL         string    `toml:"url"`
	Keys        []keyFile `toml:"keys"`
	MirrorOf    string    `toml:"mirror_of"`
	OriginCheck *bool     `toml:"origin_check"`
}

type keyFile struct {
	KeyID   string `toml:"keyid"`
	Key     string `toml:"key"`
	Expires string `toml:"expires"`
}

func (r rulesFile) rules(where string) (verify.Rules, error) {
	out := verify.Rules{
		RequireSignatures: r.RequireSignatures,
		WeakHashes:        r.WeakHashes,
		AllowSources:      r.AllowSources,
	}
	if r.MinReleaseAge != nil {
		d, err := verify.ParseAge(*r.MinReleaseAge)
		if err != nil {
			return out, fmt.Errorf("%s min_release_age: %w", where, err)
		}
		out.MinReleaseAge = &d
	}
	if _, err := r.trustRulesFile.apply(&out, where, where == "[policy]"); err != nil {
		return out, err
	}
	if err := verify.ValidateRules(out); err != nil {
		return out, fmt.Errorf("%s %w", where, err)
	}
	return out, nil
}

// readPolicy turns [policy] and [[registry]] into their checked forms.
func (c *Config) readPolicy(path string, md toml.MetaData, p policyFile, regs []registryFile) error {
	c.Policy = &verify.Policy{Source: path}
	base, err := p.rulesFile.rules("[policy]")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	c.Policy.Base = base
	if p.Advisories != nil && p.Advisories.Bulk != nil {
		c.Policy.AdvisoryBulk = p.Advisories.Bulk
	}
	switch p.PthFiles {
	case "", "warn":
	case "deny":
		c.DenyPth = true
	default:
		return fmt.Errorf("%s: [policy] pth_files = %q: want \"warn\" or \"deny\"", path, p.PthFiles)
	}
	patterns := make([]string, 0, len(p.Packages))
	for pat := range p.Packages {
		patterns = append(patterns, pat)
	}
	sort.Strings(patterns)
	for _, pat := range patterns {
		if pat == "" {
			return fmt.Errorf("%s: [policy.packages.\"\"]: empty package pattern", path)
		}
		r, err := p.Packages[pat].rules(fmt.Sprintf("[policy.packages.%q]", pat))
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		c.Policy.Overrides = append(c.Policy.Overrides, verify.Override{Pattern: pat, Rules: r})
	}
	for _, spec := range p.Deny {
		d, err := verify.ParseDeny(spec, validDenyRange)
		if err != nil {
			return fmt.Errorf("%s: [policy] %w", path, err)
		}
		c.Policy.Deny = append(c.Policy.Deny, d)
	}
	if md.IsDefined("policy") {
		c.Sources["policy"] = path
	}

	seen := map[string]bool{}
	for i, rf := range regs {
		where := fmt.Sprintf("%s: [[registry]] #%d", path, i+1)
		u, err := NormalizeRegistryURL(rf.URL)
		if err != nil {
			return fmt.Errorf("%s: url: %w", where, err)
		}
		if seen[u] {
			return fmt.Errorf("%s: %s is declared twice", where, u)
		}
		seen[u] = true
		r := Registry{URL: u, Source: path}
		for _, k := range rf.Keys {
			key, err := verify.NewRegistryKey(k.KeyID, k.Key, k.Expires)
			if err != nil {
				return fmt.Errorf("%s (%s): keys: %w", where, u, err)
			}
			r.Keys = append(r.Keys, key)
		}
		if rf.Keys != nil && len(rf.Keys) == 0 {
			return fmt.Errorf("%s (%s): keys = [] pins no key; leave keys out to use the registry's published keys, or set require_signatures = false", where, u)
		}
		if rf.MirrorOf != "" {
			if r.MirrorOf, err = NormalizeRegistryURL(rf.MirrorOf); err != nil {
				return fmt.Errorf("%s (%s): mirror_of: %w", where, u, err)
			}
			if r.MirrorOf == u {
				return fmt.Errorf("%s (%s): a registry cannot mirror itself", where, u)
			}
			r.OriginCheck = true
		}
		if rf.OriginCheck != nil {
			if *rf.OriginCheck && r.MirrorOf == "" {
				return fmt.Errorf("%s (%s): origin_check needs mirror_of (the registry to check against)", where, u)
			}
			r.OriginCheck = *rf.OriginCheck
		}
		c.Registries = append(c.Registries, r)
	}
	return nil
}

// validDenyRange accepts a deny entry's range written for either
// ecosystem the list applies to: an npm semver range or PEP 440
// specifiers (lock/pypi.ParseDenyRange). Each ecosystem reads the range
// its own way, failing closed where it cannot.
func validDenyRange(rng string) error {
	npmErr := locknpm.ParseRange(rng)
	if npmErr == nil {
		return nil
	}
	if _, err := lockpypi.ParseDenyRange(rng); err != nil {
		return fmt.Errorf("neither an npm semver range (%v) nor PEP 440 specifiers (%v)", npmErr, err)
	}
	return nil
}

// NormalizeRegistryURL checks that u is an https URL and gives it exactly
// one trailing slash, the form .npmrc registries are compared in.
func NormalizeRegistryURL(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.Host == "" || p.User != nil || p.RawQuery != "" || p.Fragment != "" {
		return "", fmt.Errorf("%q: want an https:// registry URL without credentials, query or fragment", u)
	}
	return strings.TrimRight(u, "/") + "/", nil
}

// RegistryFor returns the [[registry]] entry for a registry URL, if any.
func (c *Config) RegistryFor(u string) (Registry, bool) {
	n, err := NormalizeRegistryURL(u)
	if err != nil {
		return Registry{}, false
	}
	for _, r := range c.Registries {
		if r.URL == n {
			return r, true
		}
	}
	return Registry{}, false
}

// applyPolicyEnv lets CI override the two [policy] settings that most
// depend on the environment: AIRLOCK_REQUIRE_SIGNATURES (true/false; e.g.
// behind a proxy that strips dist.signatures) and AIRLOCK_MIN_RELEASE_AGE.
// They replace [policy]'s values; per-package overrides still apply.
func (c *Config) applyPolicyEnv(getenv func(string) string) error {
	switch v := getenv("AIRLOCK_REQUIRE_SIGNATURES"); v {
	case "":
	case "true", "false":
		b := v == "true"
		c.Policy.Base.RequireSignatures = &b
		c.Sources["policy.require_signatures"] = "env AIRLOCK_REQUIRE_SIGNATURES"
	default:
		return fmt.Errorf("AIRLOCK_REQUIRE_SIGNATURES=%q: want true or false", v)
	}
	if v := getenv("AIRLOCK_MIN_RELEASE_AGE"); v != "" {
		d, err := verify.ParseAge(v)
		if err != nil {
			return fmt.Errorf("AIRLOCK_MIN_RELEASE_AGE: %w", err)
		}
		c.Policy.Base.MinReleaseAge = &d
		c.Sources["policy.min_release_age"] = "env AIRLOCK_MIN_RELEASE_AGE"
	}
	return nil
}
