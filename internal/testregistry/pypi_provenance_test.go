package testregistry

import (
	"context"
	"errors"
	"testing"

	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
)

// TestPyPIServesProvenance: a file given a provenance object is listed
// with its Integrity API URL in both page formats, and fetch/pypi reads
// the object back; other files list none, and their URL answers 404.
func TestPyPIServesProvenance(t *testing.T) {
	p := NewPyPI()
	with, _, err := p.AddWheel(WheelSpec{Name: "demo", Version: "1.0"})
	if err != nil {
		t.Fatal(err)
	}
	without, _, err := p.AddWheel(WheelSpec{Name: "demo", Version: "0.9"})
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"version": 1, "attestation_bundles": []}`)
	p.SetProvenance(with, doc)
	reg := startPyPI(t, p)
	cl, ix := pypiClient(t, reg)
	for _, htmlOnly := range []bool{false, true} {
		p.SetHTMLOnly(htmlOnly, false)
		page, err := fetchpypi.GetPage(context.Background(), cl, ix, "demo")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Files {
			switch f.Filename {
			case with:
				want := reg.URL() + "integrity/demo/1.0/" + with + "/provenance"
				if f.Provenance != want {
					t.Fatalf("html=%v: provenance %q, want %q", htmlOnly, f.Provenance, want)
				}
				got, err := fetchpypi.GetProvenance(context.Background(), cl, f)
				if err != nil || string(got) != string(doc) {
					t.Fatalf("html=%v: GetProvenance = %q, %v", htmlOnly, got, err)
				}
			case without:
				if f.Provenance != "" {
					t.Errorf("html=%v: %s lists provenance %q", htmlOnly, without, f.Provenance)
				}
				f.Provenance = reg.URL() + "integrity/demo/0.9/" + without + "/provenance"
				if _, err := fetchpypi.GetProvenance(context.Background(), cl, f); !errors.Is(err, fetchpypi.ErrNoProvenance) {
					t.Errorf("html=%v: unlisted provenance: %v", htmlOnly, err)
				}
			}
		}
	}
}
