package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/verify"
)

// KeysPath is where npm registries publish their signing keys
// ({"keys":[{"keyid","keytype","scheme","key","expires"}]}).
const KeysPath = "-/npm/v1/keys"

// maxKeysBytes caps the keys document; the npm registry's is under 1 KB.
const maxKeysBytes = 1 << 20

// RegistryKeys fetches and parses registry's signing keys. A registry that
// answers 404 publishes none: it returns (nil, false, nil) and signatures
// cannot be checked there. A document that is present but unusable is an
// error, never "no keys": that would quietly switch verification off.
func (m *MetaStore) RegistryKeys(ctx context.Context, registry string) (keys []verify.RegistryKey, published bool, err error) {
	u := joinRegistry(registry, KeysPath)
	body, _, err := m.Get(ctx, u, "application/json", maxKeysBytes)
	if errors.Is(err, ErrNoMetadata) {
		// Online: the registry has no keys route. Offline: no keys were
		// ever seen for it (a 404 is not stored), so none are known.
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("registry signing keys: %w", err)
	}
	keys, err = verify.ParseKeys(body)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", client.Redact(u), err)
	}
	return keys, len(keys) > 0, nil
}

// VersionMeta is what policy needs from one version of a packument.
type VersionMeta struct {
	// Found is false when the packument does not list the version.
	Found      bool
	Integrity  string
	Shasum     string
	Signatures []verify.Signature
	// Published is time[version]; zero when the document has no time.
	Published time.Time
	// Deprecated is the version's deprecation message, if any.
	Deprecated string
	// AttestationsURL is dist.attestations.url; Provenance says whether
	// dist.attestations.provenance is present (a SLSA provenance
	// attestation is published).
	AttestationsURL string
	Provenance      bool
	// ProvenanceVersions lists every version of the packument whose dist
	// names provenance, for the downgrade check.
	ProvenanceVersions []string
	// URL is the packument's address, for explanations.
	URL string
}

// packumentDoc is the part of a packument (full or abbreviated) read here.
type packumentDoc struct {
	Versions map[string]struct {
		Deprecated json.RawMessage `json:"deprecated"`
		Dist       struct {
			Integrity    string             `json:"integrity"`
			Shasum       string             `json:"shasum"`
			Signatures   []verify.Signature `json:"signatures"`
			Attestations *struct {
				URL        string          `json:"url"`
				Provenance json.RawMessage `json:"provenance"`
			} `json:"attestations"`
		} `json:"dist"`
	} `json:"versions"`
	Time map[string]json.RawMessage `json:"time"`
}

// PackumentURLAt names name's metadata document on registry, the scope's
// slash escaped as npm sends it.
func PackumentURLAt(registry, name string) string {
	return joinRegistry(registry, strings.Replace(name, "/", "%2f", 1))
}

// VersionMetadata reads version's dist and publish time from name's
// packument on registry. It asks for the abbreviated document first (what
// npm itself installs from, a fraction of the size) and for the full one
// only when needTime is set and the abbreviated document has no time for
// the version: registry.npmjs.org's abbreviated form carries no "time".
func (m *MetaStore) VersionMetadata(ctx context.Context, registry, name, version string, needTime bool) (VersionMeta, error) {
	u := PackumentURLAt(registry, name)
	vm, err := m.versionFrom(ctx, u, abbreviatedMetadata, name, version)
	if err != nil || !needTime || !vm.Published.IsZero() || !vm.Found {
		return vm, err
	}
	return m.versionFrom(ctx, u, "application/json", name, version)
}

func (m *MetaStore) versionFrom(ctx context.Context, u, accept, name, version string) (VersionMeta, error) {
	vm := VersionMeta{URL: client.Redact(u)}
	body, _, err := m.Get(ctx, u, accept, maxPackumentBytes)
	if err != nil {
		return vm, fmt.Errorf("reading %s's registry metadata: %w", name, err)
	}
	var doc packumentDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		return vm, fmt.Errorf("reading %s's registry metadata from %s: %w", name, vm.URL, err)
	}
	for ver, x := range doc.Versions {
		if a := x.Dist.Attestations; a != nil && len(a.Provenance) > 0 && string(a.Provenance) != "null" {
			vm.ProvenanceVersions = append(vm.ProvenanceVersions, ver)
		}
	}
	v, ok := doc.Versions[version]
	if !ok {
		return vm, nil
	}
	if a := v.Dist.Attestations; a != nil {
		vm.AttestationsURL = a.URL
		vm.Provenance = len(a.Provenance) > 0 && string(a.Provenance) != "null"
	}
	vm.Found = true
	vm.Integrity, vm.Shasum, vm.Signatures = v.Dist.Integrity, v.Dist.Shasum, v.Dist.Signatures
	var dep string
	if json.Unmarshal(v.Deprecated, &dep) == nil {
		vm.Deprecated = dep
	}
	var ts string
	if raw, ok := doc.Time[version]; ok && json.Unmarshal(raw, &ts) == nil && ts != "" {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return vm, fmt.Errorf("%s: time[%q] = %q is not an RFC 3339 time", vm.URL, version, ts)
		}
		vm.Published = t
	}
	return vm, nil
}
