package provenance_test

import (
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testsigstore"
	"github.com/airlock-dev/airlock/verify/provenance"
)

// The tarball integrities of the real packages whose bundles are fixtures,
// from registry.npmjs.org's packuments (testdata/README.md).
const (
	sigstore130 = "dhdv+jOAi1RgLHw13lxumk3rlgZtumUz9QrCNPTx9MazUnUV3BfAb74oYAMPQQ7uaeogB5vTosbz3POzKbEHUQ=="
	sigstore200 = "RtTi90xIdzFmQAAKb9+Ki1nx4IR2Z5c+mFn3dN0xuPHgk3gTt3f7ZqKsZ9UFQP40ZAlm7un8LMyjhwgrTIXNPA=="
)

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func publicGood(t *testing.T) *provenance.Verifier {
	t.Helper()
	tr, from, err := provenance.LoadTrustedRoot("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(from, "built into airlock") {
		t.Fatalf("trusted root from %q, want the built-in one", from)
	}
	return provenance.NewVerifier(tr)
}

// TestRealNpmProvenance verifies two bundles the npm registry served for
// sigstore@1.3.0 (SLSA v0.2, bundle v0.1) and sigstore@2.0.0 (SLSA v1)
// against the built-in public-good root, tied to the real tarballs'
// sha512, and checks what they say.
func TestRealNpmProvenance(t *testing.T) {
	v := publicGood(t)
	cases := []struct {
		file, version, integrity         string
		repo, commit, builder, predicate string
	}{
		{"sigstore-1.3.0.provenance.json", "1.3.0", sigstore130, "https://github.com/sigstore/sigstore-js",
			"dae8bd8eb433a4147b4655c00fe73e0f22bc0fb1", "https://github.com/actions/runner", provenance.SLSAv02},
		{"sigstore-2.0.0.provenance.json", "2.0.0", sigstore200, "https://github.com/sigstore/sigstore-js",
			"f0b49a04e5a62250e0f60fb128004a73110fe311", "https://github.com/actions/runner/github-hosted", provenance.SLSAv1},
	}
	for _, c := range cases {
		t.Run(c.version, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			r, err := v.VerifyBundle(data, "sigstore", c.version, b64(t, c.integrity))
			if err != nil {
				t.Fatalf("real bundle does not verify: %v", err)
			}
			if r.SourceRepository != c.repo || r.Commit != c.commit || r.Builder != c.builder || r.PredicateType != c.predicate {
				t.Errorf("got repo %q commit %q builder %q predicate %q", r.SourceRepository, r.Commit, r.Builder, r.PredicateType)
			}
			if !strings.Contains(r.Workflow, ".github/workflows/release.yml") || r.Issuer != testsigstore.GitHubIssuer || r.SignedAt.IsZero() {
				t.Errorf("got workflow %q issuer %q signed %v", r.Workflow, r.Issuer, r.SignedAt)
			}
			// The other version's tarball digest is not this bundle's subject.
			other := sigstore200
			if c.version == "2.0.0" {
				other = sigstore130
			}
			_, err = v.VerifyBundle(data, "sigstore", c.version, b64(t, other))
			assertProblem(t, err, provenance.ProblemSubject)
			// Nor is another package with the same digest.
			_, err = v.VerifyBundle(data, "sigstore-evil", c.version, b64(t, c.integrity))
			assertProblem(t, err, provenance.ProblemSubject)
		})
	}
}

// TestRealBundleTampered: one changed byte in the signed statement of a
// real bundle breaks the signature.
func TestRealBundleTampered(t *testing.T) {
	data, err := os.ReadFile("testdata/sigstore-2.0.0.provenance.json")
	if err != nil {
		t.Fatal(err)
	}
	// The payload is base64 of the statement; flip one of its characters.
	s := string(data)
	i := strings.Index(s, `"payload": "`) + len(`"payload": "`) + 40
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	tampered := s[:i] + string(c) + s[i+1:]
	_, err = publicGood(t).VerifyBundle([]byte(tampered), "sigstore", "2.0.0", b64(t, sigstore200))
	if err == nil {
		t.Fatal("a tampered real bundle verified")
	}
}

// TestWrongTrustedRoot: a real bundle does not verify against another
// instance's root.
func TestWrongTrustedRoot(t *testing.T) {
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := provenance.ParseTrustedRoot(ss.TrustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("testdata/sigstore-2.0.0.provenance.json")
	_, err = provenance.NewVerifier(tr).VerifyBundle(data, "sigstore", "2.0.0", b64(t, sigstore200))
	assertProblem(t, err, provenance.ProblemSignature)
}

func assertProblem(t *testing.T, err error, p provenance.Problem) {
	t.Helper()
	var pe *provenance.Error
	if !errors.As(err, &pe) || pe.Problem != p {
		t.Fatalf("got %v, want a %s error", err, p)
	}
}

// TestGenerated covers the cases with bundles signed by a test Sigstore.
func TestGenerated(t *testing.T) {
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	tr, err := provenance.ParseTrustedRoot(ss.TrustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	v := provenance.NewVerifier(tr)
	tarball := sha512.Sum512([]byte("the tarball"))
	build := testsigstore.Build{Repository: "https://github.com/acme/widget", Commit: "0123456789abcdef0123456789abcdef01234567"}

	t.Run("valid scoped", func(t *testing.T) {
		b, err := ss.ProvenanceBundle(testsigstore.Subject{Name: "@acme/widget", Version: "1.2.3", SHA512: tarball[:]}, build)
		if err != nil {
			t.Fatal(err)
		}
		r, err := v.VerifyBundle(b, "@acme/widget", "1.2.3", tarball[:])
		if err != nil {
			t.Fatal(err)
		}
		if r.SourceRepository != build.Repository || r.Commit != build.Commit || r.Subject != "pkg:npm/%40acme/widget@1.2.3" ||
			r.Workflow != "https://github.com/acme/widget/.github/workflows/release.yml@refs/heads/main" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("subject mismatch", func(t *testing.T) {
		other := sha512.Sum512([]byte("other bytes"))
		b, err := ss.ProvenanceBundle(testsigstore.Subject{Name: "widget", Version: "1.0.0", SHA512: other[:]}, build)
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.VerifyBundle(b, "widget", "1.0.0", tarball[:])
		assertProblem(t, err, provenance.ProblemSubject)
		// Another version of the package is not this one either.
		_, err = v.VerifyBundle(b, "widget", "1.0.1", other[:])
		assertProblem(t, err, provenance.ProblemSubject)
	})
	t.Run("no source repository", func(t *testing.T) {
		b, err := ss.ProvenanceBundle(testsigstore.Subject{Name: "widget", Version: "1.0.0", SHA512: tarball[:]}, testsigstore.Build{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.VerifyBundle(b, "widget", "1.0.0", tarball[:])
		assertProblem(t, err, provenance.ProblemIdentity)
	})
	t.Run("public good root refuses", func(t *testing.T) {
		b, err := ss.ProvenanceBundle(testsigstore.Subject{Name: "widget", Version: "1.0.0", SHA512: tarball[:]}, build)
		if err != nil {
			t.Fatal(err)
		}
		_, err = publicGood(t).VerifyBundle(b, "widget", "1.0.0", tarball[:])
		assertProblem(t, err, provenance.ProblemSignature)
	})
	t.Run("not a bundle", func(t *testing.T) {
		_, err := v.VerifyBundle([]byte(`{"mediaType":"x"}`), "widget", "1.0.0", tarball[:])
		assertProblem(t, err, provenance.ProblemMalformed)
	})
}

func TestParseAttestations(t *testing.T) {
	b, _ := os.ReadFile("testdata/sigstore-2.0.0.provenance.json")
	doc := `{"attestations":[{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":{}},{"predicateType":"https://slsa.dev/provenance/v1","bundle":` + string(b) + `}]}`
	as, err := provenance.ParseAttestations([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := provenance.Provenance(as)
	if !ok || a.PredicateType != provenance.SLSAv1 {
		t.Fatalf("got %v %v", a.PredicateType, ok)
	}
	for _, bad := range []string{`[]`, `{}`, `{"attestations":[{"predicateType":""}]}`, `{"attestations":[{"predicateType":"x","bundle":null}]}`, `nope`} {
		if _, err := provenance.ParseAttestations([]byte(bad)); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

func TestTrustedRootFiles(t *testing.T) {
	dir := t.TempDir()
	if err := provenance.InstallTrustedRoot(dir, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`)); err == nil {
		t.Error("installed a root without CAs or logs")
	}
	if err := provenance.InstallTrustedRoot(dir, []byte(`not json`)); err == nil {
		t.Error("installed garbage")
	}
	if _, err := os.Stat(filepath.Join(dir, provenance.TrustedRootFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused root left a file: %v", err)
	}
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	if err := provenance.InstallTrustedRoot(dir, ss.TrustedRootJSON()); err != nil {
		t.Fatal(err)
	}
	_, from, err := provenance.LoadTrustedRoot("", dir)
	if err != nil || from != filepath.Join(dir, provenance.TrustedRootFile) {
		t.Fatalf("from %q err %v", from, err)
	}
	// A damaged refreshed root is an error, not a silent fallback.
	if err := os.WriteFile(filepath.Join(dir, provenance.TrustedRootFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := provenance.LoadTrustedRoot("", dir); err == nil || !strings.Contains(err.Error(), "airlock trust update") {
		t.Fatalf("got %v", err)
	}
}
