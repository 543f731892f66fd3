package provenance

// PEP 740 (index-hosted attestations): a Python index lists, per file, the
// URL of a provenance object,
//
//	{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub",
//	  "repository": "owner/name", "workflow": "release.yml", ...},
//	  "attestations": [{"version": 1,
//	    "verification_material": {"certificate": base64(DER),
//	                              "transparency_entries": [Rekor entry]},
//	    "envelope": {"statement": base64(in-toto statement),
//	                 "signature": base64(DSSE signature)}}]}]}
//
// Each attestation is a Sigstore DSSE bundle in other clothes; it is turned
// back into one (as pypi-attestations' to_bundle does) and verified by
// sigstore-go against the same trusted root as npm provenance. On top of
// that, as pypi-attestations' Attestation.verify and its Trusted Publisher
// policies do:
//
//   - the statement has exactly one subject, whose name is the file's name
//     (compared in the "ultranormalized" form: PEP 503 name, PEP 440
//     version, sorted compressed tags) and whose sha256 is the digest the
//     lock pins, so the attestation speaks about the very bytes installed;
//   - the predicate type is one PyPI accepts (publish/v1, SLSA provenance v1);
//   - the Fulcio certificate's identity is the Trusted Publisher the bundle
//     names: for GitHub, issuer token.actions.githubusercontent.com, source
//     repository https://github.com/OWNER/REPO and build config URI
//     https://github.com/OWNER/REPO/.github/workflows/WORKFLOW@(commit|ref);
//     for GitLab the same with gitlab.com and "//WORKFLOW_FILEPATH".
//
// Every attestation in the object must verify: PyPI checked each one when
// it was uploaded, so one that fails here was changed since.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"google.golang.org/protobuf/encoding/protojson"

	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
)

// Predicate types PyPI accepts in attestations.
const (
	PyPIPublishV1 = "https://docs.pypi.org/attestations/publish/v1"
)

// Limits on a provenance object. PyPI's hold one bundle with one or two
// attestations of about 10 KB; the caps bound the work a hostile index can
// ask for.
const (
	MaxPyPIAttestations      = 16 // over all bundles
	MaxPyPITransparencyItems = 4  // per attestation
)

// Publisher is a provenance object's Trusted Publisher: the identity PyPI
// verified (through OpenID Connect) when the file was uploaded.
type Publisher struct {
	Kind string `json:"kind"`
	// Repository is "owner/name" (GitHub) or "namespace/project" (GitLab).
	Repository string `json:"repository"`
	// Workflow is GitHub's workflow file name ("release.yml").
	Workflow string `json:"workflow"`
	// WorkflowFilepath is GitLab's CI file path (".gitlab-ci.yml").
	WorkflowFilepath string `json:"workflow_filepath"`
	// Environment is the deployment environment the publisher was
	// restricted to; the certificate does not carry it, so it is
	// reported, never checked.
	Environment string `json:"environment"`
}

// PyPIAttestation is one attestation object (PEP 740).
type PyPIAttestation struct {
	Version              int `json:"version"`
	VerificationMaterial struct {
		// Certificate is DER; JSON carries it, like the envelope's
		// fields, in base64 (encoding/json's form of []byte).
		Certificate         []byte            `json:"certificate"`
		TransparencyEntries []json.RawMessage `json:"transparency_entries"`
	} `json:"verification_material"`
	Envelope struct {
		Statement []byte `json:"statement"`
		Signature []byte `json:"signature"`
	} `json:"envelope"`
}

// PyPIAttestationBundle is a publisher and the attestations it made.
type PyPIAttestationBundle struct {
	Publisher    Publisher
	Attestations []PyPIAttestation
}

// ParsePyPIProvenance reads a provenance object. Anything but version 1
// with at least one bundle, each naming a publisher kind and holding at
// least one well-formed attestation, is refused.
func ParsePyPIProvenance(data []byte) ([]PyPIAttestationBundle, error) {
	bad := func(format string, args ...any) ([]PyPIAttestationBundle, error) {
		return nil, &Error{ProblemMalformed, "provenance object: " + fmt.Sprintf(format, args...)}
	}
	if len(data) > MaxDocumentBytes {
		return bad("larger than %d bytes", MaxDocumentBytes)
	}
	var doc struct {
		Version int `json:"version"`
		Bundles []struct {
			Publisher    *Publisher        `json:"publisher"`
			Attestations []json.RawMessage `json:"attestations"`
		} `json:"attestation_bundles"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return bad("not JSON in PEP 740's format: %v", err)
	}
	if doc.Version != 1 {
		return bad("version %d; airlock knows version 1", doc.Version)
	}
	if len(doc.Bundles) == 0 {
		return bad(`no "attestation_bundles"`)
	}
	var out []PyPIAttestationBundle
	n := 0
	for i, b := range doc.Bundles {
		if b.Publisher == nil || b.Publisher.Kind == "" {
			return bad("attestation bundle %d names no publisher kind", i)
		}
		if len(b.Attestations) == 0 {
			return bad("attestation bundle %d holds no attestation", i)
		}
		ab := PyPIAttestationBundle{Publisher: *b.Publisher}
		for j, raw := range b.Attestations {
			if n++; n > MaxPyPIAttestations {
				return bad("more than %d attestations", MaxPyPIAttestations)
			}
			var a PyPIAttestation
			dec := json.NewDecoder(bytes.NewReader(raw))
			if err := dec.Decode(&a); err != nil {
				return bad("attestation %d.%d: %v", i, j, err)
			}
			switch {
			case a.Version != 1:
				return bad("attestation %d.%d has version %d; airlock knows version 1", i, j, a.Version)
			case len(a.VerificationMaterial.Certificate) == 0:
				return bad("attestation %d.%d has no certificate", i, j)
			case len(a.VerificationMaterial.TransparencyEntries) == 0:
				return bad("attestation %d.%d has no transparency log entry", i, j)
			case len(a.VerificationMaterial.TransparencyEntries) > MaxPyPITransparencyItems:
				return bad("attestation %d.%d has more than %d transparency log entries", i, j, MaxPyPITransparencyItems)
			case len(a.Envelope.Statement) == 0 || len(a.Envelope.Signature) == 0:
				return bad("attestation %d.%d has no statement or no signature", i, j)
			}
			ab.Attestations = append(ab.Attestations, a)
		}
		out = append(out, ab)
	}
	return out, nil
}

// Bundle turns the attestation into the Sigstore bundle it was made from:
// a v0.3 bundle of a DSSE envelope over the in-toto statement, signed by
// the certificate and logged in the transparency entries.
func (a *PyPIAttestation) Bundle() (*bundle.Bundle, error) {
	var entries []*protorekor.TransparencyLogEntry
	for i, raw := range a.VerificationMaterial.TransparencyEntries {
		var e protorekor.TransparencyLogEntry
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(raw, &e); err != nil {
			return nil, &Error{ProblemMalformed, fmt.Sprintf("transparency log entry %d: %v", i, err)}
		}
		entries = append(entries, &e)
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_Certificate{
				Certificate: &protocommon.X509Certificate{RawBytes: a.VerificationMaterial.Certificate}},
			TlogEntries: entries,
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: a.Envelope.Statement, PayloadType: "application/vnd.in-toto+json",
			Signatures: []*protodsse.Signature{{Sig: a.Envelope.Signature}},
		}},
	}
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return nil, &Error{ProblemMalformed, "not a Sigstore bundle once converted: " + err.Error()}
	}
	return b, nil
}

// PyPIResult is what a verified provenance object says about a file.
type PyPIResult struct {
	// Publisher is the Trusted Publisher the (first) bundle names, which
	// every certificate matched.
	Publisher Publisher
	// SourceRepository, Commit, Ref and Workflow (the build config URI)
	// come from the Fulcio certificate, as for npm provenance.
	SourceRepository, Commit, Ref, Workflow string
	// Builder is the SLSA statement's builder id when there is one, else
	// the GitHub runner the certificate names
	// ("https://github.com/actions/runner/github-hosted", as npm's
	// provenance says it).
	Builder string
	Issuer  string
	// PredicateTypes lists the verified attestations' predicate types.
	PredicateTypes []string
	// Subject is the statement's subject name.
	Subject  string
	SignedAt time.Time
	LogIndex int64
}

// VerifyPyPI verifies a provenance object (PEP 740) for the distribution
// file filename whose sha256 the lock pins. Every attestation must verify;
// the result describes the first.
func (v *Verifier) VerifyPyPI(doc []byte, filename string, sha256 []byte) (*PyPIResult, error) {
	if len(sha256) != 32 {
		return nil, &Error{ProblemSubject, "the file's sha256 is not known (the lock pins no sha256), so the attestation cannot be tied to it"}
	}
	bundles, err := ParsePyPIProvenance(doc)
	if err != nil {
		return nil, err
	}
	want, err := ultranormalize(filename)
	if err != nil {
		return nil, &Error{ProblemSubject, err.Error()}
	}
	total := 0
	for _, b := range bundles {
		total += len(b.Attestations)
	}
	var first *PyPIResult
	for i, b := range bundles {
		for j := range b.Attestations {
			r, err := v.verifyPyPIAttestation(&b.Attestations[j], b.Publisher, filename, want, sha256)
			if err != nil {
				var pe *Error
				if errors.As(err, &pe) && total > 1 {
					pe.Detail = fmt.Sprintf("attestation %d.%d: %s", i, j, pe.Detail)
				}
				return nil, err
			}
			if first == nil {
				first = r
			} else if !slices.Contains(first.PredicateTypes, r.PredicateTypes[0]) {
				first.PredicateTypes = append(first.PredicateTypes, r.PredicateTypes[0])
			}
		}
	}
	return first, nil
}

func (v *Verifier) verifyPyPIAttestation(a *PyPIAttestation, pub Publisher, filename, want string, sha256 []byte) (*PyPIResult, error) {
	b, err := a.Bundle()
	if err != nil {
		return nil, err
	}
	sv, err := sgverify.NewVerifier(v.material, sgverify.WithTransparencyLog(1), sgverify.WithObserverTimestamps(1))
	if err != nil {
		return nil, &Error{ProblemMalformed, err.Error()}
	}
	res, err := sv.Verify(b, sgverify.NewPolicy(sgverify.WithoutArtifactUnsafe(), sgverify.WithoutIdentitiesUnsafe()))
	if err != nil {
		return nil, &Error{ProblemSignature, err.Error()}
	}
	st := res.Statement
	if st == nil {
		return nil, &Error{ProblemMalformed, "the attestation signs a message, not an in-toto statement"}
	}
	r := &PyPIResult{Publisher: pub, PredicateTypes: []string{st.GetPredicateType()}, LogIndex: -1}
	if pt := st.GetPredicateType(); pt != PyPIPublishV1 && pt != SLSAv1 {
		return nil, &Error{ProblemMalformed, fmt.Sprintf("the statement's predicate type is %q, which PyPI does not accept (%s, %s)", pt, PyPIPublishV1, SLSAv1)}
	}
	subs := st.GetSubject()
	if len(subs) != 1 {
		return nil, &Error{ProblemSubject, fmt.Sprintf("the statement has %d subjects; a PEP 740 attestation has exactly one", len(subs))}
	}
	s := subs[0]
	got, err := ultranormalize(s.GetName())
	d := strings.ToLower(s.GetDigest()["sha256"])
	wantHex := hex.EncodeToString(sha256)
	if err != nil || got != want || d != wantHex {
		return nil, &Error{ProblemSubject, fmt.Sprintf("the statement is about %s sha256:%s, not %s with the locked sha256:%s", s.GetName(), short(d), filename, short(wantHex))}
	}
	r.Subject = s.GetName()
	if res.Signature == nil || res.Signature.Certificate == nil {
		return nil, &Error{ProblemIdentity, "the attestation is signed by a key, not a Fulcio certificate: it names no publisher identity"}
	}
	c := res.Signature.Certificate
	if err := checkPublisher(pub, c); err != nil {
		return nil, err
	}
	r.Issuer = c.Issuer
	r.SourceRepository, r.Commit, r.Ref, r.Workflow = c.SourceRepositoryURI, c.SourceRepositoryDigest, c.SourceRepositoryRef, c.BuildConfigURI
	if st.GetPredicateType() == SLSAv1 {
		r.Builder = builderID(SLSAv1, st.GetPredicate().AsMap())
	}
	if r.Builder == "" && pub.Kind == "GitHub" && c.RunnerEnvironment != "" {
		r.Builder = "https://github.com/actions/runner/" + c.RunnerEnvironment
	}
	for _, ts := range res.VerifiedTimestamps {
		if ts.Type == "Tlog" || r.SignedAt.IsZero() {
			r.SignedAt = ts.Timestamp
		}
	}
	if es, err := b.TlogEntries(); err == nil && len(es) > 0 {
		r.LogIndex = es[0].LogIndex()
	}
	return r, nil
}

// Trusted Publisher OIDC issuers.
const (
	githubIssuer = "https://token.actions.githubusercontent.com"
	gitlabIssuer = "https://gitlab.com"
)

// checkPublisher is pypi-attestations' Trusted Publisher policy: the
// certificate's issuer and source repository are the publisher's, and its
// build config URI is the publisher's workflow at the commit or ref the
// certificate names (a publisher knows its workflow file, not the ref a
// release runs on). Comparisons are exact, as there.
func checkPublisher(p Publisher, c *certificate.Summary) error {
	var issuer, repoURL, configPrefix string
	switch p.Kind {
	case "GitHub":
		if p.Repository == "" || p.Workflow == "" {
			return &Error{ProblemIdentity, "the GitHub publisher names no repository or workflow"}
		}
		issuer, repoURL = githubIssuer, "https://github.com/"+p.Repository
		configPrefix = repoURL + "/.github/workflows/" + p.Workflow + "@"
	case "GitLab":
		if p.Repository == "" || p.WorkflowFilepath == "" {
			return &Error{ProblemIdentity, "the GitLab publisher names no repository or workflow_filepath"}
		}
		issuer, repoURL = gitlabIssuer, "https://gitlab.com/"+p.Repository
		configPrefix = repoURL + "//" + p.WorkflowFilepath + "@"
	default:
		return &Error{ProblemIdentity, fmt.Sprintf("the publisher kind %q is not one airlock can check against a certificate (GitHub, GitLab)", p.Kind)}
	}
	who := fmt.Sprintf("the certificate (issuer %s, repository %s, build config %s)", orNone(c.Issuer), orNone(c.SourceRepositoryURI), orNone(c.BuildConfigURI))
	if c.Issuer != issuer || c.SourceRepositoryURI != repoURL {
		return &Error{ProblemIdentity, fmt.Sprintf("%s is not the Trusted Publisher %s %s", who, p.Kind, p.Repository)}
	}
	ok := false
	for _, suffix := range []string{c.SourceRepositoryDigest, c.SourceRepositoryRef} {
		if suffix != "" && c.BuildConfigURI == configPrefix+suffix {
			ok = true
		}
	}
	if !ok {
		return &Error{ProblemIdentity, fmt.Sprintf("%s was not made by the Trusted Publisher's workflow %s@(commit or ref)", who, strings.TrimSuffix(configPrefix, "@"))}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ultranormalize is pypi-attestations' comparison form of a distribution
// filename: for a wheel the PEP 503 name with "_", the PEP 440 normal
// version, the build tag, and each compressed tag set sorted; for an
// sdist (.tar.gz, .zip) the name and version alike.
func ultranormalize(fn string) (string, error) {
	name := func(n string) string { return strings.ReplaceAll(lockpypi.NormalizeName(n), "-", "_") }
	version := func(v string) (string, error) {
		pv, err := lockpypi.ParseVersion(v)
		if err != nil {
			return "", err
		}
		return pv.String(), nil
	}
	if strings.HasSuffix(fn, ".whl") {
		w, err := lockpypi.ParseWheelFilename(fn)
		if err != nil {
			return "", fmt.Errorf("not a distribution filename: %w", err)
		}
		ver, err := version(w.Version)
		if err != nil {
			return "", fmt.Errorf("not a distribution filename: %q: %w", fn, err)
		}
		var impls, abis, plats []string
		for _, t := range w.Tags {
			impls, abis, plats = appendNew(impls, t.Interpreter), appendNew(abis, t.ABI), appendNew(plats, t.Platform)
		}
		for _, s := range [][]string{impls, abis, plats} {
			slices.Sort(s)
		}
		parts := []string{name(w.Name), ver}
		if w.Build != "" {
			parts = append(parts, w.Build)
		}
		parts = append(parts, strings.Join(impls, "."), strings.Join(abis, "."), strings.Join(plats, "."))
		return strings.Join(parts, "-") + ".whl", nil
	}
	for _, ext := range []string{".tar.gz", ".zip"} {
		base, ok := strings.CutSuffix(fn, ext)
		if !ok {
			continue
		}
		i := strings.LastIndexByte(base, '-')
		if i <= 0 {
			break
		}
		ver, err := version(base[i+1:])
		if err != nil {
			break
		}
		return name(base[:i]) + "-" + ver + ext, nil
	}
	return "", fmt.Errorf("not a distribution filename: %q", fn)
}

func appendNew(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
