// Package testsigstore is a private Sigstore for tests: a Fulcio-like CA
// issuing GitHub-Actions-shaped certificates, plus sigstore-go's virtual
// Rekor log and timestamp authority (pkg/testing/ca). It writes real
// Sigstore bundles (v0.3 JSON, as npm serves them) of SLSA provenance
// statements and the trusted_root.json that verifies them, so airlock's
// provenance checks run end to end against the formats, not mocks.
//
// sigstore-go's own virtual CA issues e-mail certificates without the
// Fulcio extensions that name a source repository; provenance needs those,
// so the certificate authority here is built from its exported pieces
// (root, intermediate) with the leaf made here.
package testsigstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/url"
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// Sigstore is one private instance.
type Sigstore struct {
	vs        *ca.VirtualSigstore
	fulcio    *root.FulcioCertificateAuthority
	interKey  *ecdsa.PrivateKey
	rootJSON  []byte
	serialNum int64
}

// GitHubIssuer is the OIDC issuer of GitHub Actions tokens.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

// New starts an instance whose CAs and logs are valid for the next hour.
func New() (*Sigstore, error) {
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		return nil, err
	}
	rootCert, rootKey, err := ca.GenerateRootCa()
	if err != nil {
		return nil, err
	}
	inter, interKey, err := ca.GenerateFulcioIntermediate(rootCert, rootKey)
	if err != nil {
		return nil, err
	}
	s := &Sigstore{vs: vs, interKey: interKey, fulcio: &root.FulcioCertificateAuthority{
		Root: rootCert, Intermediates: []*x509.Certificate{inter}, URI: "https://fulcio.test",
		ValidityPeriodStart: time.Now().Add(-time.Hour), ValidityPeriodEnd: time.Now().Add(time.Hour),
	}}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, []root.CertificateAuthority{s.fulcio},
		rawIDs(vs.CTLogs()), vs.TimestampingAuthorities(), rawIDs(vs.RekorLogs()))
	if err != nil {
		return nil, err
	}
	if s.rootJSON, err = tr.MarshalJSON(); err != nil {
		return nil, err
	}
	return s, nil
}

// rawIDs fixes the virtual logs' IDs for serialization: the virtual CA
// keeps the hex log ID's characters as ID, which its in-memory lookups
// tolerate but trusted_root.json (logId.keyId, raw bytes) does not.
func rawIDs(logs map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
	out := map[string]*root.TransparencyLog{}
	for id, l := range logs {
		c := *l
		if raw, err := hex.DecodeString(id); err == nil {
			c.ID = raw
		}
		out[id] = &c
	}
	return out
}

// TrustedRootJSON is the trusted_root.json that verifies this instance's
// bundles (and nothing of the public-good instance).
func (s *Sigstore) TrustedRootJSON() []byte { return append([]byte(nil), s.rootJSON...) }

// Build describes the CI run that "built" a package.
type Build struct {
	// Repository is the source repository URL ("https://github.com/o/r").
	Repository string
	Commit     string
	Ref        string // default refs/heads/main
	// Workflow path in the repository; default .github/workflows/release.yml.
	Workflow string
	// Builder id; default GitHub's hosted runner.
	Builder string
}

// Subject is the package and digest the statement is about.
type Subject struct {
	Name, Version string
	SHA512        []byte
}

// ProvenanceBundle signs a SLSA v1 provenance statement for sub, as npm's
// CLI does from GitHub Actions, and returns the Sigstore bundle JSON.
func (s *Sigstore) ProvenanceBundle(sub Subject, b Build) ([]byte, error) {
	if b.Ref == "" {
		b.Ref = "refs/heads/main"
	}
	if b.Workflow == "" {
		b.Workflow = ".github/workflows/release.yml"
	}
	if b.Builder == "" {
		b.Builder = "https://github.com/actions/runner/github-hosted"
	}
	name := sub.Name
	if len(name) > 0 && name[0] == '@' {
		name = "%40" + name[1:]
	}
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []any{map[string]any{
			"name": "pkg:npm/" + name + "@" + sub.Version, "digest": map[string]any{"sha512": hex.EncodeToString(sub.SHA512)},
		}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": b.Ref, "repository": b.Repository, "path": b.Workflow}},
				"resolvedDependencies": []any{map[string]any{
					"uri": "git+" + b.Repository + "@" + b.Ref, "digest": map[string]any{"gitCommit": b.Commit}}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": b.Builder}},
		},
	}
	payload, err := json.Marshal(stmt)
	if err != nil {
		return nil, err
	}
	sd, err := s.sign(payload, b)
	if err != nil {
		return nil, err
	}
	tsr, err := s.vs.TimestampResponse(sd.sig)
	if err != nil {
		return nil, err
	}
	leaf, sig, tle := sd.leaf, sd.sig, sd.tle
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: leaf.Raw}},
			TlogEntries: []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{
				Rfc3161Timestamps: []*protocommon.RFC3161SignedTimestamp{{SignedTimestamp: tsr}},
			},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: inTotoType, Signatures: []*protodsse.Signature{{Sig: sig}},
		}},
	}
	return protojson.Marshal(pb)
}

// signed is a DSSE signature over an in-toto statement, with the
// certificate that made it and its transparency log entry.
type signed struct {
	leaf *x509.Certificate
	sig  []byte
	tle  *protorekor.TransparencyLogEntry
}

// inTotoType is DSSE's payload type for in-toto statements.
const inTotoType = "application/vnd.in-toto+json"

// sign signs payload (an in-toto statement) as the workflow b describes
// and logs it in the virtual Rekor, with an inclusion proof and a signed
// entry timestamp.
func (s *Sigstore) sign(payload []byte, b Build) (signed, error) {
	workflowURI := b.Repository + "/" + b.Workflow + "@" + b.Ref
	leaf, key, err := s.leaf(workflowURI, b)
	if err != nil {
		return signed{}, err
	}
	pae := dsse.PAE(inTotoType, payload)
	h := sha256.Sum256(pae)
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		return signed{}, err
	}
	env := &dsse.Envelope{PayloadType: inTotoType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []dsse.Signature{{Sig: base64.StdEncoding.EncodeToString(sig)}}}
	entry, err := s.vs.GenerateTlogEntry(leaf, env, sig, time.Now().Unix(), true)
	if err != nil {
		return signed{}, err
	}
	tle := entry.TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{LogID: hex.EncodeToString(tle.GetLogId().GetKeyId()),
		IntegratedTime: tle.GetIntegratedTime(), LogIndex: tle.GetLogIndex(), Body: base64.StdEncoding.EncodeToString(tle.GetCanonicalizedBody())})
	if err != nil {
		return signed{}, err
	}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: set}
	return signed{leaf: leaf, sig: sig, tle: tle}, nil
}

// Fulcio's certificate extension OIDs (docs/oid-info.md in sigstore/fulcio).
var (
	oidIssuerV2       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}
	oidBuildSignerURI = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 9}
	oidRunnerEnv      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 11}
	oidSourceRepoURI  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 12}
	oidSourceDigest   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 13}
	oidSourceRef      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 14}
	oidBuildConfigURI = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 18}
)

// leaf issues a short-lived certificate for a GitHub Actions workflow,
// with the extensions Fulcio copies from the OIDC token. An empty
// Repository leaves the source extensions out (a non-CI identity).
func (s *Sigstore) leaf(workflowURI string, b Build) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ext := func(oid asn1.ObjectIdentifier, v string) (pkix.Extension, error) {
		der, err := asn1.MarshalWithParams(v, "utf8")
		return pkix.Extension{Id: oid, Value: der}, err
	}
	var exts []pkix.Extension
	vals := []struct {
		oid asn1.ObjectIdentifier
		v   string
	}{{oidIssuerV2, GitHubIssuer}, {oidBuildSignerURI, workflowURI}, {oidRunnerEnv, "github-hosted"}}
	if b.Repository != "" {
		vals = append(vals, struct {
			oid asn1.ObjectIdentifier
			v   string
		}{oidSourceRepoURI, b.Repository}, struct {
			oid asn1.ObjectIdentifier
			v   string
		}{oidSourceDigest, b.Commit}, struct {
			oid asn1.ObjectIdentifier
			v   string
		}{oidSourceRef, b.Ref}, struct {
			oid asn1.ObjectIdentifier
			v   string
		}{oidBuildConfigURI, workflowURI})
	}
	for _, x := range vals {
		e, err := ext(x.oid, x.v)
		if err != nil {
			return nil, nil, err
		}
		exts = append(exts, e)
	}
	u, err := url.Parse(workflowURI)
	if err != nil {
		return nil, nil, fmt.Errorf("workflow URI %q: %w", workflowURI, err)
	}
	s.serialNum++
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(s.serialNum + 100),
		URIs:            []*url.URL{u},
		NotBefore:       time.Now().Add(-time.Minute),
		NotAfter:        time.Now().Add(10 * time.Minute),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: exts,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, s.fulcio.Intermediates[0], &key.PublicKey, s.interKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}
