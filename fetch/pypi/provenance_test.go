package pypi

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestParsePageProvenance reads PEP 740's provenance URL from both page
// formats: the JSON "provenance" key (null, absolute or relative) and the
// HTML data-provenance attribute.
func TestParsePageProvenance(t *testing.T) {
	const page = "https://idx.example/simple/demo/"
	js := `{"meta":{"api-version":"1.3"},"files":[
 {"filename":"demo-1.0-py3-none-any.whl","url":"https://files.example/demo-1.0-py3-none-any.whl","hashes":{"sha256":"aa"},"provenance":"https://idx.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance"},
 {"filename":"demo-1.1-py3-none-any.whl","url":"/f/demo-1.1-py3-none-any.whl","hashes":{"sha256":"bb"},"provenance":"../../integrity/demo/1.1/demo-1.1-py3-none-any.whl/provenance#frag"},
 {"filename":"demo-0.9-py3-none-any.whl","url":"/f/demo-0.9-py3-none-any.whl","hashes":{"sha256":"cc"},"provenance":null},
 {"filename":"demo-0.8-py3-none-any.whl","url":"/f/demo-0.8-py3-none-any.whl","hashes":{"sha256":"dd"}}]}`
	want := []string{
		"https://idx.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance",
		"https://idx.example/integrity/demo/1.1/demo-1.1-py3-none-any.whl/provenance",
		"", "",
	}
	p, err := ParsePage([]byte(js), contentJSON, page)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range p.Files {
		if f.Provenance != want[i] {
			t.Errorf("JSON file %d: provenance %q, want %q", i, f.Provenance, want[i])
		}
	}
	html := `<html><body>
<a href="https://files.example/demo-1.0-py3-none-any.whl#sha256=aa" data-provenance="https://idx.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance">x</a>
<a href="/f/demo-1.1-py3-none-any.whl#sha256=bb" data-provenance="../../integrity/demo/1.1/demo-1.1-py3-none-any.whl/provenance">y</a>
<a href="/f/demo-0.9-py3-none-any.whl#sha256=cc">z</a>
</body></html>`
	p, err = ParsePage([]byte(html), "text/html", page)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range p.Files {
		if f.Provenance != want[i] {
			t.Errorf("HTML file %d: provenance %q, want %q", i, f.Provenance, want[i])
		}
	}
}

func TestGetProvenance(t *testing.T) {
	const prov = "https://idx.example/integrity/demo/1.0/demo-1.0-py3-none-any.whl/provenance"
	g := &fakeGetter{pages: map[string][2]string{
		prov:                      {"application/vnd.pypi.integrity.v1+json", `{"version":1}`},
		"https://idx.example/big": {"application/json", strings.Repeat("x", MaxProvenanceBytes+1)},
	}}
	f := File{Filename: "demo-1.0-py3-none-any.whl", Index: "https://idx.example/simple", Provenance: prov}
	data, err := GetProvenance(context.Background(), g, f)
	if err != nil || string(data) != `{"version":1}` {
		t.Fatalf("GetProvenance = %q, %v", data, err)
	}
	if g.accept[len(g.accept)-1] != AcceptProvenance {
		t.Errorf("Accept %q", g.accept[len(g.accept)-1])
	}
	// Another host, plain http and no URL are refused before any request.
	for _, u := range []string{"https://elsewhere.example/p", "http://idx.example/p", ""} {
		n := len(g.accept)
		f.Provenance = u
		if _, err := GetProvenance(context.Background(), g, f); !errors.Is(err, ErrBadPage) || len(g.accept) != n {
			t.Errorf("%q: err %v, requests %d", u, err, len(g.accept)-n)
		}
	}
	f.Provenance = "https://idx.example/missing"
	if _, err := GetProvenance(context.Background(), g, f); !errors.Is(err, ErrNoProvenance) {
		t.Errorf("404: %v", err)
	}
	f.Provenance = "https://idx.example/big"
	if _, err := GetProvenance(context.Background(), g, f); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized: %v", err)
	}
}
