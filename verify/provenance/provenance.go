// Package provenance verifies npm provenance attestations (SCVS 4.10): the
// Sigstore bundles a registry lists under a version's dist.attestations;
// and Python index-hosted attestations (PEP 740, pypi.go), which are the
// same Sigstore bundles in another envelope.
//
// A bundle proves, through Sigstore's public-good infrastructure, that a CI
// workflow (identified by a short-lived Fulcio certificate bound to the
// workflow's OIDC identity) signed an in-toto statement saying "this
// workflow, from this repository at this commit, built the artifact with
// this sha512". Verification here is sigstore-go's, against a trusted root
// that is built in (trusted_root.json, Sigstore's public-good instance) or
// refreshed with `airlock trust update`:
//
//   - the certificate chains to a Fulcio CA of the trusted root and was
//     valid when the transparency log (Rekor) integrated the entry;
//   - the DSSE signature over the statement verifies with the certificate;
//   - the log entry verifies (inclusion proof or signed entry timestamp)
//     and at least one observer timestamp is verified;
//   - the statement is SLSA provenance (v0.2 or v1) and one of its
//     subjects is pkg:npm/NAME@VERSION with the tarball's sha512 — the
//     lockfile's integrity, so the attestation speaks about the very bytes
//     airlock installs;
//   - the certificate names a source repository (a CI identity, not a
//     person's e-mail).
//
// What a verified attestation says (repository, commit, workflow, builder)
// is read from the Fulcio certificate's extensions, which Fulcio copied
// from the CI's OIDC token, not from the statement, which the workflow
// wrote itself; only the builder id comes from the statement.
//
// npm also attaches a "publish" attestation signed by the registry's own
// key; it says nothing about where the code came from and is not checked.
package provenance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Predicate types of SLSA provenance that npm publishes.
const (
	SLSAv1  = "https://slsa.dev/provenance/v1"
	SLSAv02 = "https://slsa.dev/provenance/v0.2"
)

// MaxDocumentBytes caps one attestations document; npm's bundles are
// about 10 KB each.
const MaxDocumentBytes = 4 << 20

// Attestation is one entry of an attestations document.
type Attestation struct {
	PredicateType string
	Bundle        json.RawMessage
}

// ParseAttestations reads the document at dist.attestations.url:
// {"attestations":[{"predicateType": "...", "bundle": {...}}]}.
func ParseAttestations(data []byte) ([]Attestation, error) {
	var doc struct {
		Attestations []struct {
			PredicateType string          `json:"predicateType"`
			Bundle        json.RawMessage `json:"bundle"`
		} `json:"attestations"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("attestations document: not JSON in npm's format: %w", err)
	}
	if doc.Attestations == nil {
		return nil, errors.New(`attestations document: no "attestations" array`)
	}
	out := make([]Attestation, 0, len(doc.Attestations))
	for i, a := range doc.Attestations {
		if a.PredicateType == "" || len(a.Bundle) == 0 || string(a.Bundle) == "null" {
			return nil, fmt.Errorf("attestations document: entry %d has no predicateType or bundle", i)
		}
		out = append(out, Attestation{PredicateType: a.PredicateType, Bundle: a.Bundle})
	}
	return out, nil
}

// Provenance returns the SLSA provenance attestation among as, if any.
func Provenance(as []Attestation) (Attestation, bool) {
	for _, a := range as {
		if a.PredicateType == SLSAv1 || a.PredicateType == SLSAv02 {
			return a, true
		}
	}
	return Attestation{}, false
}

// Result is what a verified provenance attestation says.
type Result struct {
	// SourceRepository is the repository the workflow ran in
	// ("https://github.com/sigstore/sigstore-js").
	SourceRepository string
	// Commit is the source commit the build ran on.
	Commit string
	// Ref is the git ref ("refs/heads/main"), when known.
	Ref string
	// Workflow is the build configuration that signed
	// ("https://github.com/o/r/.github/workflows/release.yml@refs/heads/main").
	Workflow string
	// Builder is the statement's builder id
	// ("https://github.com/actions/runner/github-hosted").
	Builder string
	// Issuer is the OIDC issuer that vouched for the workflow
	// ("https://token.actions.githubusercontent.com").
	Issuer string
	// PredicateType is the SLSA provenance version.
	PredicateType string
	// Subject is the statement subject that matched.
	Subject string
	// SignedAt is the transparency log's time for the entry.
	SignedAt time.Time
	// LogIndex is the Rekor entry's index (-1 when unknown), so a
	// reader can look the entry up.
	LogIndex int64
}

// Problem classifies a verification failure for callers that explain it.
type Problem string

const (
	ProblemMalformed Problem = "malformed"        // not a bundle / statement
	ProblemSignature Problem = "signature"        // sigstore verification failed
	ProblemSubject   Problem = "subject-mismatch" // statement is about other bytes or another package
	ProblemIdentity  Problem = "identity"         // the certificate names no CI source repository
)

// Error is a failed verification.
type Error struct {
	Problem Problem
	Detail  string
}

func (e *Error) Error() string { return fmt.Sprintf("provenance %s: %s", e.Problem, e.Detail) }

// Verifier checks bundles against one trusted root.
type Verifier struct {
	material root.TrustedMaterial
}

// NewVerifier returns a Verifier for trusted material (a *root.TrustedRoot
// from LoadTrustedRoot, or a test CA).
func NewVerifier(m root.TrustedMaterial) *Verifier { return &Verifier{material: m} }

// VerifyBundle verifies one bundle (JSON) for name@version whose tarball
// has the given sha512.
func (v *Verifier) VerifyBundle(bundleJSON []byte, name, version string, sha512 []byte) (*Result, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(bundleJSON); err != nil {
		return nil, &Error{ProblemMalformed, "not a Sigstore bundle: " + err.Error()}
	}
	return v.VerifyEntity(&b, name, version, sha512)
}

// VerifyEntity is VerifyBundle for an already parsed entity.
func (v *Verifier) VerifyEntity(e sgverify.SignedEntity, name, version string, sha512 []byte) (*Result, error) {
	if len(sha512) != 64 {
		return nil, &Error{ProblemSubject, "the tarball's sha512 is not known (the lockfile pins no sha512), so the attestation cannot be tied to it"}
	}
	sv, err := sgverify.NewVerifier(v.material, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	if err != nil {
		return nil, &Error{ProblemMalformed, err.Error()}
	}
	// The artifact and identity are checked below, where the failures can
	// be explained (subject mismatch; which repository); sigstore-go
	// checks everything cryptographic.
	res, err := sv.Verify(e, sgverify.NewPolicy(sgverify.WithoutArtifactUnsafe(), sgverify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, &Error{ProblemSignature, err.Error()}
	}
	st := res.Statement
	if st == nil {
		return nil, &Error{ProblemMalformed, "the bundle signs a message, not an in-toto statement"}
	}
	r := &Result{PredicateType: st.GetPredicateType(), LogIndex: -1}
	if r.PredicateType != SLSAv1 && r.PredicateType != SLSAv02 {
		return nil, &Error{ProblemMalformed, fmt.Sprintf("the statement's predicate type is %q, not SLSA provenance", r.PredicateType)}
	}
	want := hex.EncodeToString(sha512)
	purl := PackageURL(name, version)
	var seen []string
	for _, s := range st.GetSubject() {
		d := strings.ToLower(s.GetDigest()["sha512"])
		seen = append(seen, fmt.Sprintf("%s sha512:%s", s.GetName(), short(d)))
		if d == want && s.GetName() == purl {
			r.Subject = s.GetName()
		}
	}
	if r.Subject == "" {
		return nil, &Error{ProblemSubject, fmt.Sprintf("the statement is about [%s], not %s with the locked tarball's sha512:%s", strings.Join(seen, ", "), purl, short(want))}
	}
	if res.Signature == nil || res.Signature.Certificate == nil {
		return nil, &Error{ProblemIdentity, "the bundle is signed by a key, not a Fulcio certificate: it names no build identity"}
	}
	c := res.Signature.Certificate
	r.Issuer = c.Issuer
	r.SourceRepository = first(c.SourceRepositoryURI, githubRepo(c.GithubWorkflowRepository))
	r.Commit = first(c.SourceRepositoryDigest, c.GithubWorkflowSHA)
	r.Ref = first(c.SourceRepositoryRef, c.GithubWorkflowRef)
	r.Workflow = first(c.BuildSignerURI, c.SubjectAlternativeName)
	if r.SourceRepository == "" {
		return nil, &Error{ProblemIdentity, fmt.Sprintf("the signing certificate (%s, issuer %s) names no source repository: it is not a CI build identity", c.SubjectAlternativeName, c.Issuer)}
	}
	r.Builder = builderID(st.GetPredicateType(), st.GetPredicate().AsMap())
	for _, ts := range res.VerifiedTimestamps {
		if ts.Type == "Tlog" || r.SignedAt.IsZero() {
			r.SignedAt = ts.Timestamp
		}
	}
	if es, err := e.TlogEntries(); err == nil && len(es) > 0 {
		r.LogIndex = es[0].LogIndex()
	}
	return r, nil
}

// PackageURL is npm's provenance subject name for a version
// ("pkg:npm/%40scope/name@1.0.0": the scope's @ percent-encoded).
func PackageURL(name, version string) string {
	if strings.HasPrefix(name, "@") {
		name = "%40" + name[1:]
	}
	return "pkg:npm/" + name + "@" + version
}

// builderID reads the builder from SLSA v1 (runDetails.builder.id) or
// v0.2 (builder.id).
func builderID(pt string, p map[string]any) string {
	get := func(m map[string]any, keys ...string) string {
		var cur any = m
		for _, k := range keys {
			mm, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			cur = mm[k]
		}
		s, _ := cur.(string)
		return s
	}
	if pt == SLSAv1 {
		return get(p, "runDetails", "builder", "id")
	}
	return get(p, "builder", "id")
}

// githubRepo turns the deprecated GitHub workflow-repository extension
// ("owner/repo") into a URL like the newer source-repository one.
func githubRepo(s string) string {
	if s == "" {
		return ""
	}
	return "https://github.com/" + s
}

func first(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func short(hexDigest string) string {
	if len(hexDigest) > 16 {
		return hexDigest[:16] + "…"
	}
	if hexDigest == "" {
		return "(none)"
	}
	return hexDigest
}

// String summarizes a result for explanations.
func (r *Result) String() string {
	s := fmt.Sprintf("built from %s", r.SourceRepository)
	if r.Commit != "" {
		s += " at commit " + r.Commit
	}
	if r.Workflow != "" {
		s += " by workflow " + r.Workflow
	}
	if r.Builder != "" {
		s += " on " + r.Builder
	}
	return s
}
