package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/internal/testsigstore"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
)

type bindingFinder struct{ files []fetchpypi.File }

func (f bindingFinder) Files(context.Context, string) ([]fetchpypi.File, error) { return f.files, nil }
func (bindingFinder) Where() string                                             { return "test" }
func (bindingFinder) Fix() string                                               { return "" }

type bindingGetter struct{ doc []byte }

func (g bindingGetter) Get(context.Context, string, http.Header) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(g.doc))}, nil
}

// TestProvenanceBindsDownloadedHash: a requirements file pins two hashes
// of one wheel (as pip-compile --generate-hashes does) and the index lists
// the file name twice, with bytes B (no provenance) and bytes A
// (attested). The download is planned for B; provenance must speak about
// B, so it is not verified, rather than borrowed from A's listing.
func TestProvenanceBindsDownloadedHash(t *testing.T) {
	ss, err := testsigstore.New()
	if err != nil {
		t.Fatal(err)
	}
	rootFile := filepath.Join(t.TempDir(), "root.json")
	if err := os.WriteFile(rootFile, ss.TrustedRootJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AIRLOCK_TRUSTED_ROOT", rootFile)
	file := "lib-1.0-py3-none-any.whl"
	a := sha256.Sum256([]byte("attested bytes"))
	b := sha256.Sum256([]byte("other bytes"))
	build := testsigstore.Build{Repository: "https://github.com/acme/lib", Commit: strings.Repeat("ab", 20), Ref: "refs/tags/v1"}
	att, err := ss.PyPIAttestation(file, a[:], "", build)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := testsigstore.PyPIProvenance(testsigstore.GitHubPublisher(build), att)
	if err != nil {
		t.Fatal(err)
	}
	ha, hb := hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
	idx := "https://pypi.test/simple/"
	files := []fetchpypi.File{
		{Filename: file, URL: "https://pypi.test/files/b/" + file, Hashes: map[string]string{"sha256": hb}, Index: idx},
		{Filename: file, URL: "https://pypi.test/files/a/" + file, Hashes: map[string]string{"sha256": ha}, Index: idx, Provenance: "https://pypi.test/integrity/lib/1.0/" + file + "/provenance"},
	}
	d := lockpypi.Dist{Name: "lib", Version: "1.0", Hashes: []lockpypi.Hash{{Algo: "sha256", Hex: ha}, {Algo: "sha256", Hex: hb}}}
	// What planOne builds for these listings: the first candidate, hash B.
	cands, _ := fetchpypi.Candidates(files, hashesOf(d.Hashes))
	if len(cands) != 1 || cands[0].File.Hashes["sha256"] != hb {
		t.Fatalf("candidates = %+v", cands)
	}
	p, problem, err := newPlanned(d, file, cands[0].File.URL, lockHashes(cands[0].Hashes))
	if err != nil || problem != "" {
		t.Fatal(err, problem)
	}
	t.Logf("download verified against %s", p.pkg.Integrity)
	facts, err := pythonProvenanceFacts(context.Background(), p, bindingFinder{files}, &fetchpypi.Finder{Getter: bindingGetter{doc}}, &provenanceChecker{dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if facts.Verified != nil {
		t.Fatalf("provenance verified for %s although the bytes installed are %s (sha256 %s): the attestation is about the other listing (sha256 %s)", file, p.pkg.Resolved, hb[:12], ha[:12])
	}
}
