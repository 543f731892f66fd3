package testsigstore

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
)

// PyPIPublishV1 is the predicate type of PyPI's publish attestation, the
// one pypa/gh-action-pypi-publish signs for every file it uploads.
const PyPIPublishV1 = "https://docs.pypi.org/attestations/publish/v1"

// PyPIAttestation signs a PEP 740 attestation object for a distribution
// file: an in-toto statement whose single subject is filename with its
// sha256, of predicateType (PyPIPublishV1 when ""), signed as the GitHub
// workflow b describes. The JSON is what PyPI serves inside a provenance
// object: {"version": 1, "verification_material": {"certificate",
// "transparency_entries"}, "envelope": {"statement", "signature"}}.
func (s *Sigstore) PyPIAttestation(filename string, sha256 []byte, predicateType string, b Build) ([]byte, error) {
	if predicateType == "" {
		predicateType = PyPIPublishV1
	}
	if b.Ref == "" {
		b.Ref = "refs/heads/main"
	}
	if b.Workflow == "" {
		b.Workflow = ".github/workflows/release.yml"
	}
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []any{map[string]any{
			"name": filename, "digest": map[string]any{"sha256": hex.EncodeToString(sha256)},
		}},
		"predicateType": predicateType,
		"predicate":     nil,
	}
	payload, err := json.Marshal(stmt)
	if err != nil {
		return nil, err
	}
	sd, err := s.sign(payload, b)
	if err != nil {
		return nil, err
	}
	entry, err := protojson.Marshal(sd.tle)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{
		"version": 1,
		"verification_material": map[string]any{
			"certificate":          base64.StdEncoding.EncodeToString(sd.leaf.Raw),
			"transparency_entries": []json.RawMessage{entry},
		},
		"envelope": map[string]any{
			"statement": base64.StdEncoding.EncodeToString(payload),
			"signature": base64.StdEncoding.EncodeToString(sd.sig),
		},
	})
}

// GitHubPublisher is the Trusted Publisher a provenance object names for
// a GitHub workflow: repository as "owner/name" (b.Repository without
// https://github.com/) and the workflow's file name.
func GitHubPublisher(b Build) map[string]any {
	wf := b.Workflow
	if wf == "" {
		wf = ".github/workflows/release.yml"
	}
	return map[string]any{
		"kind":        "GitHub",
		"repository":  strings.TrimPrefix(b.Repository, "https://github.com/"),
		"workflow":    strings.TrimPrefix(wf, ".github/workflows/"),
		"environment": nil,
	}
}

// PyPIProvenance is a PEP 740 provenance object with one attestation
// bundle: publisher and the attestations (from PyPIAttestation).
func PyPIProvenance(publisher map[string]any, attestations ...[]byte) ([]byte, error) {
	as := make([]json.RawMessage, len(attestations))
	for i, a := range attestations {
		as[i] = a
	}
	return json.Marshal(map[string]any{
		"version": 1,
		"attestation_bundles": []any{map[string]any{
			"publisher": publisher, "attestations": as,
		}},
	})
}
