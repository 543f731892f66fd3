package provenance_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testsigstore"
	"github.com/airlock-dev/airlock/verify/provenance"
)

// realPyPIFixture reads the real provenance object in testdata/pypi and
// the file it is about.
func realPyPIFixture(t *testing.T) (doc, dist []byte) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "pypi", "pypi_attestations-0.0.19.tar.gz.provenance"))
	if err != nil {
		t.Fatal(err)
	}
	dist, err = os.ReadFile(filepath.Join("testdata", "pypi", "pypi_attestations-0.0.19.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return doc, dist
}

// TestRealPyPIProvenance verifies the provenance object PyPI served for
// pypi_attestations-0.0.19.tar.gz (testdata/pypi/README.md) against the
// built-in public-good root, tied to the sha256 of the real file, and
// checks what it says: the GitHub Trusted Publisher, read back from the
// Fulcio certificate.
func TestRealPyPIProvenance(t *testing.T) {
	v := publicGood(t)
	doc, dist := realPyPIFixture(t)
	sum := sha256.Sum256(dist)
	r, err := v.VerifyPyPI(doc, "pypi_attestations-0.0.19.tar.gz", sum[:])
	if err != nil {
		t.Fatal(err)
	}
	if r.SourceRepository != "https://github.com/trailofbits/pypi-attestations" ||
		r.Commit != "08802efe1f8e5fec4ad842d6b8ce97656092ee72" || r.Ref != "refs/tags/v0.0.19" ||
		r.Workflow != "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19" ||
		r.Issuer != testsigstore.GitHubIssuer || r.Builder != "https://github.com/actions/runner/github-hosted" ||
		r.Publisher.Repository != "trailofbits/pypi-attestations" || r.Publisher.Workflow != "release.yml" ||
		len(r.PredicateTypes) != 1 || r.PredicateTypes[0] != provenance.PyPIPublishV1 || r.LogIndex != 153454663 ||
		r.SignedAt.Unix() != 1733354041 {
		t.Fatalf("result %+v", r)
	}
	// The same object does not vouch for other bytes, nor for another
	// file name, nor under another publisher.
	other := sha256.Sum256(append(dist, 0))
	expectProblem(t, v, doc, "pypi_attestations-0.0.19.tar.gz", other[:], provenance.ProblemSubject)
	expectProblem(t, v, doc, "pypi_attestations-0.0.18.tar.gz", sum[:], provenance.ProblemSubject)
	forged := strings.Replace(string(doc), `"repository":"trailofbits/pypi-attestations"`, `"repository":"evil/pypi-attestations"`, 1)
	expectProblem(t, v, []byte(forged), "pypi_attestations-0.0.19.tar.gz", sum[:], provenance.ProblemIdentity)
	forged = strings.Replace(string(doc), `"workflow":"release.yml"`, `"workflow":"other.yml"`, 1)
	expectProblem(t, v, []byte(forged), "pypi_attestations-0.0.19.tar.gz", sum[:], provenance.ProblemIdentity)
}

func expectProblem(t *testing.T, v *provenance.Verifier, doc []byte, filename string, sum []byte, want provenance.Problem) {
	t.Helper()
	r, err := v.VerifyPyPI(doc, filename, sum)
	var pe *provenance.Error
	if !errors.As(err, &pe) || pe.Problem != want {
		t.Fatalf("VerifyPyPI(%s) = %+v, %v; want a %s problem", filename, r, err, want)
	}
}

// pypiFixture is a private Sigstore with a wheel's provenance object.
type pypiFixture struct {
	ss       *testsigstore.Sigstore
	v        *provenance.Verifier
	build    testsigstore.Build
	filename string
	sum      []byte
}

func newPyPIFixture(t *testing.T) *pypiFixture {
	t.Helper()
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := provenance.ParseTrustedRoot(ss.TrustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("wheel bytes"))
	return &pypiFixture{ss: ss, v: provenance.NewVerifier(tr), filename: "demo_lib-1.0-py3-none-any.whl", sum: sum[:],
		build: testsigstore.Build{Repository: "https://github.com/acme/demo-lib", Commit: "0123456789abcdef0123456789abcdef01234567", Ref: "refs/tags/v1.0"}}
}

func (f *pypiFixture) attestation(t *testing.T, filename string, sum []byte, predicate string, b testsigstore.Build) []byte {
	t.Helper()
	a, err := f.ss.PyPIAttestation(filename, sum, predicate, b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func (f *pypiFixture) doc(t *testing.T, publisher map[string]any, as ...[]byte) []byte {
	t.Helper()
	d, err := testsigstore.PyPIProvenance(publisher, as...)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestVerifyPyPI(t *testing.T) {
	f := newPyPIFixture(t)
	good := f.attestation(t, f.filename, f.sum, "", f.build)
	pub := testsigstore.GitHubPublisher(f.build)

	r, err := f.v.VerifyPyPI(f.doc(t, pub, good), f.filename, f.sum)
	if err != nil {
		t.Fatal(err)
	}
	if r.SourceRepository != f.build.Repository || r.Commit != f.build.Commit || r.Ref != "refs/tags/v1.0" ||
		r.Workflow != "https://github.com/acme/demo-lib/.github/workflows/release.yml@refs/tags/v1.0" ||
		r.Builder != "https://github.com/actions/runner/github-hosted" || r.Subject != f.filename || r.Publisher.Kind != "GitHub" {
		t.Fatalf("result %+v", r)
	}

	// The subject name is compared in pypi-attestations' normal form: a
	// statement may spell the name, version and tag order differently.
	if _, err := f.v.VerifyPyPI(f.doc(t, pub, f.attestation(t, "Demo.Lib-1.0.0-py3-none-any.whl", f.sum, "", f.build)),
		"demo_lib-1.0.0-py3-none-any.whl", f.sum); err != nil {
		t.Errorf("normalized name: %v", err)
	}
	// Two attestations (publish and SLSA) both verify.
	slsa := f.attestation(t, f.filename, f.sum, provenance.SLSAv1, f.build)
	r, err = f.v.VerifyPyPI(f.doc(t, pub, good, slsa), f.filename, f.sum)
	if err != nil || len(r.PredicateTypes) != 2 {
		t.Errorf("publish + SLSA: %+v, %v", r, err)
	}

	otherSum := sha256.Sum256([]byte("other bytes"))
	selfHosted := f.build
	selfHosted.Workflow = ".github/workflows/other.yml"
	fork := f.build
	fork.Repository = "https://github.com/mallory/demo-lib"
	cases := []struct {
		name     string
		doc      []byte
		filename string
		sum      []byte
		want     provenance.Problem
	}{
		{"wrong digest", f.doc(t, pub, good), f.filename, otherSum[:], provenance.ProblemSubject},
		{"attestation for other bytes", f.doc(t, pub, f.attestation(t, f.filename, otherSum[:], "", f.build)), f.filename, f.sum, provenance.ProblemSubject},
		{"wrong filename", f.doc(t, pub, good), "demo_lib-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", f.sum, provenance.ProblemSubject},
		{"other version", f.doc(t, pub, f.attestation(t, "demo_lib-1.1-py3-none-any.whl", f.sum, "", f.build)), f.filename, f.sum, provenance.ProblemSubject},
		{"no locked sha256", f.doc(t, pub, good), f.filename, nil, provenance.ProblemSubject},
		{"other workflow", f.doc(t, pub, f.attestation(t, f.filename, f.sum, "", selfHosted)), f.filename, f.sum, provenance.ProblemIdentity},
		{"fork signed", f.doc(t, pub, f.attestation(t, f.filename, f.sum, "", fork)), f.filename, f.sum, provenance.ProblemIdentity},
		{"publisher names another repository", f.doc(t, testsigstore.GitHubPublisher(fork), good), f.filename, f.sum, provenance.ProblemIdentity},
		{"unknown publisher kind", f.doc(t, map[string]any{"kind": "Google", "email": "x@example.com"}, good), f.filename, f.sum, provenance.ProblemIdentity},
		{"unknown predicate", f.doc(t, pub, f.attestation(t, f.filename, f.sum, "https://example.com/custom/v1", f.build)), f.filename, f.sum, provenance.ProblemMalformed},
		{"one bad among good", f.doc(t, pub, good, f.attestation(t, f.filename, otherSum[:], "", f.build)), f.filename, f.sum, provenance.ProblemSubject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := f.v.VerifyPyPI(c.doc, c.filename, c.sum)
			var pe *provenance.Error
			if !errors.As(err, &pe) || pe.Problem != c.want {
				t.Fatalf("got %+v, %v; want a %s problem", r, err, c.want)
			}
		})
	}
}

// TestVerifyPyPITampered changes one part of a good attestation at a time:
// each must fail the signature (or be malformed), never verify.
func TestVerifyPyPITampered(t *testing.T) {
	f := newPyPIFixture(t)
	pub := testsigstore.GitHubPublisher(f.build)
	good := f.attestation(t, f.filename, f.sum, "", f.build)
	other := f.attestation(t, f.filename, f.sum, "", f.build) // another signing, same claims

	edit := func(fn func(a map[string]any)) []byte {
		var a map[string]any
		if err := json.Unmarshal(good, &a); err != nil {
			t.Fatal(err)
		}
		fn(a)
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var o map[string]any
	if err := json.Unmarshal(other, &o); err != nil {
		t.Fatal(err)
	}
	env := func(a map[string]any) map[string]any { return a["envelope"].(map[string]any) }
	vm := func(a map[string]any) map[string]any { return a["verification_material"].(map[string]any) }

	stmt, _ := base64.StdEncoding.DecodeString(env(o)["statement"].(string))
	otherSum := sha256.Sum256([]byte("other bytes"))
	swapped := strings.Replace(string(stmt), hexOf(f.sum), hexOf(otherSum[:]), 1)

	cases := map[string][]byte{
		"statement rewritten": edit(func(a map[string]any) {
			env(a)["statement"] = base64.StdEncoding.EncodeToString([]byte(swapped))
		}),
		"signature from another signing":   edit(func(a map[string]any) { env(a)["signature"] = env(o)["signature"] }),
		"certificate from another signing": edit(func(a map[string]any) { vm(a)["certificate"] = vm(o)["certificate"] }),
		"log entry from another signing": edit(func(a map[string]any) {
			vm(a)["transparency_entries"] = vm(o)["transparency_entries"]
		}),
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := f.v.VerifyPyPI(f.doc(t, pub, a), f.filename, f.sum)
			var pe *provenance.Error
			if !errors.As(err, &pe) || (pe.Problem != provenance.ProblemSignature && pe.Problem != provenance.ProblemMalformed) {
				t.Fatalf("got %+v, %v; want a signature failure", r, err)
			}
		})
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestVerifyPyPIUntrustedRoot: a provenance object made by another
// Sigstore (here a private one) does not verify against the public-good
// root, and the real PyPI object does not verify against a private root.
func TestVerifyPyPIUntrustedRoot(t *testing.T) {
	f := newPyPIFixture(t)
	doc := f.doc(t, testsigstore.GitHubPublisher(f.build), f.attestation(t, f.filename, f.sum, "", f.build))
	expectProblem(t, publicGood(t), doc, f.filename, f.sum, provenance.ProblemSignature)

	real, dist := realPyPIFixture(t)
	sum := sha256.Sum256(dist)
	expectProblem(t, f.v, real, "pypi_attestations-0.0.19.tar.gz", sum[:], provenance.ProblemSignature)
}

func TestParsePyPIProvenanceMalformed(t *testing.T) {
	f := newPyPIFixture(t)
	good := f.attestation(t, f.filename, f.sum, "", f.build)
	pub := testsigstore.GitHubPublisher(f.build)
	many := make([][]byte, provenance.MaxPyPIAttestations+1)
	for i := range many {
		many[i] = good
	}
	cases := map[string]string{
		"not JSON":            `{"version": 1, "attestation_bundles": [`,
		"version 2":           `{"version": 2, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [` + string(good) + `]}]}`,
		"no bundles":          `{"version": 1, "attestation_bundles": []}`,
		"no publisher":        `{"version": 1, "attestation_bundles": [{"attestations": [` + string(good) + `]}]}`,
		"no attestations":     `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": []}]}`,
		"attestation version": `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [{"version": 2}]}]}`,
		"certificate not base64": `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [{"version": 1,
			"verification_material": {"certificate": "!!", "transparency_entries": [{}]}, "envelope": {"statement": "e30=", "signature": "AA=="}}]}]}`,
		"no log entry": `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [{"version": 1,
			"verification_material": {"certificate": "AA==", "transparency_entries": []}, "envelope": {"statement": "e30=", "signature": "AA=="}}]}]}`,
		"too many log entries": `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [{"version": 1,
			"verification_material": {"certificate": "AA==", "transparency_entries": [{},{},{},{},{}]}, "envelope": {"statement": "e30=", "signature": "AA=="}}]}]}`,
		"no signature": `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub"}, "attestations": [{"version": 1,
			"verification_material": {"certificate": "AA==", "transparency_entries": [{}]}, "envelope": {"statement": "e30="}}]}]}`,
		"too many attestations": string(f.doc(t, pub, many...)),
		"too large":             `{"version": 1, "attestation_bundles": [], "pad": "` + strings.Repeat("x", provenance.MaxDocumentBytes) + `"}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := f.v.VerifyPyPI([]byte(doc), f.filename, f.sum)
			var pe *provenance.Error
			if !errors.As(err, &pe) || pe.Problem != provenance.ProblemMalformed {
				t.Fatalf("got %v; want a malformed problem", err)
			}
		})
	}
	// Well-formed JSON whose parts are not what they claim to be fails
	// the conversion or the signature, never verifies.
	garbage := `{"version": 1, "attestation_bundles": [{"publisher": {"kind": "GitHub", "repository": "acme/demo-lib", "workflow": "release.yml"}, "attestations": [{"version": 1,
		"verification_material": {"certificate": "AAAA", "transparency_entries": [{"logIndex": "x"}]}, "envelope": {"statement": "e30=", "signature": "AA=="}}]}]}`
	if _, err := f.v.VerifyPyPI([]byte(garbage), f.filename, f.sum); err == nil {
		t.Fatal("garbage attestation verified")
	}
}
