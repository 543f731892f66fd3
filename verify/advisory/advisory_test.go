package advisory

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zipOf builds an export zip of name → content.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for n, c := range files {
		f, err := w.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func realRecords(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	ms, _ := filepath.Glob("testdata/osv/*.json")
	for _, m := range ms {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(m)] = string(b)
	}
	if len(out) < 3 {
		t.Fatalf("fixtures missing: %v", ms)
	}
	return out
}

// TestRealRecords imports real OSV records (GitHub's advisory database and
// ossf/malicious-packages, testdata/README.md) and matches versions on
// both sides of their ranges.
func TestRealRecords(t *testing.T) {
	data := zipOf(t, realRecords(t))
	db, st, err := Import(bytes.NewReader(data), int64(len(data)), "fixture.zip", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != 3 || strings.Join(st.Ecosystems, ",") != "PyPI,npm" {
		t.Fatalf("stats %+v", st)
	}
	for _, c := range []struct {
		eco, name, version string
		want               string // id, or "" for none
		severity           string
		malware            bool
	}{
		{NPM, "ms", "0.7.0", "GHSA-3fx5-fwvr-xrjg", High, false},
		{NPM, "ms", "0.0.1", "GHSA-3fx5-fwvr-xrjg", High, false},
		{NPM, "ms", "0.7.1", "", "", false},
		{NPM, "ms", "2.1.3", "", "", false},
		{NPM, "ms", "0.7.1-rc.1", "GHSA-3fx5-fwvr-xrjg", High, false}, // a prerelease of the fix is below it
		{NPM, "-gzip-ize", "1.0.0", "MAL-2022-6", Unknown, true},
		{NPM, "-gzip-ize", "0.0.0-x", "MAL-2022-6", Unknown, true},
		{NPM, "MS", "0.7.0", "", "", false}, // npm names are case-sensitive
		{PyPI, "setuptools", "59.6.0", "GHSA-r9hx-vwmv-q579", High, false},
		{PyPI, "setuptools", "65.5.0", "GHSA-r9hx-vwmv-q579", High, false},
		{PyPI, "setuptools", "65.5.1", "", "", false},
		{PyPI, "setuptools", "65.5.0.post1", "GHSA-r9hx-vwmv-q579", High, false},
		{PyPI, "SetupTools", "65.5.1rc1", "GHSA-r9hx-vwmv-q579", High, false}, // PEP 503 names, PEP 440 order
		{PyPI, "setuptools", "70.0.0", "", "", false},
	} {
		got := db.Lookup(c.eco, c.name, c.version)
		if c.want == "" {
			if len(got) != 0 {
				t.Errorf("%s %s@%s: got %+v, want nothing", c.eco, c.name, c.version, got)
			}
			continue
		}
		if len(got) != 1 || got[0].ID != c.want || got[0].Severity != c.severity || got[0].Malware != c.malware {
			t.Errorf("%s %s@%s: got %+v, want %s %s malware=%v", c.eco, c.name, c.version, got, c.want, c.severity, c.malware)
		}
	}
	ms := db.Lookup(NPM, "ms", "0.7.0")[0]
	if strings.Join(ms.Fixed, ",") != "0.7.1" || !strings.Contains(ms.Matched, "fixed 0.7.1") || ms.URL == "" || !strings.Contains(ms.Source, "fixture.zip") {
		t.Errorf("ms advisory %+v", ms)
	}

	// Saved and loaded, the database answers the same; importing another
	// ecosystem keeps this one.
	dir := t.TempDir()
	if err := db.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pypiOnly := zipOf(t, map[string]string{"x.json": realRecords(t)["GHSA-r9hx-vwmv-q579.json"]})
	other, _, err := Import(bytes.NewReader(pypiOnly), int64(len(pypiOnly)), "pypi.zip", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	back.Merge(other)
	if len(back.Lookup(NPM, "ms", "0.7.0")) != 1 || len(back.Lookup(PyPI, "setuptools", "1.0")) != 1 {
		t.Error("merge lost an ecosystem")
	}
	if _, err := Load(t.TempDir()); err != ErrNoDB {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, DBFile), []byte(`{"format":"other"}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "db update") {
		t.Errorf("damaged db: %v", err)
	}
}

func TestRangeSemantics(t *testing.T) {
	rec := `{"id":"TEST-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},
	"ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.2.0"},{"introduced":"2.0.0"},{"fixed":"2.1.0"}]}],
	"versions":["0.5.0"]}]}`
	data := zipOf(t, map[string]string{"TEST-1.json": rec})
	db, _, err := Import(bytes.NewReader(data), int64(len(data)), "t", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for v, want := range map[string]bool{"0.4.0": false, "0.5.0": true, "1.0.0": true, "1.2.0": true, "1.2.1": false,
		"1.9.9": false, "2.0.0": true, "2.0.9": true, "2.1.0": false, "3.0.0": false, "not-a-version": false} {
		if got := len(db.Lookup(NPM, "p", v)) == 1; got != want {
			t.Errorf("%s: affected=%v, want %v", v, got, want)
		}
	}
}

// TestImportRefuses: every way an export can be broken or hostile fails
// the whole import with the entry named.
func TestImportRefuses(t *testing.T) {
	good := realRecords(t)["GHSA-3fx5-fwvr-xrjg.json"]
	small := Limits{MaxEntries: 3, MaxEntryBytes: 4096, MaxTotalBytes: 6000}
	for name, c := range map[string]struct {
		files map[string]string
		want  string
	}{
		"not json":           {map[string]string{"a.json": "{"}, "not an OSV record"},
		"trailing data":      {map[string]string{"a.json": good + "{}"}, "data after"},
		"no id":              {map[string]string{"a.json": `{"modified":"2024-01-01T00:00:00Z"}`}, "id"},
		"bad modified":       {map[string]string{"a.json": `{"id":"X-1","modified":"yesterday"}`}, "modified"},
		"two event keys":     {map[string]string{"a.json": `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1.0.0"}]}]}]}`}, "exactly one"},
		"unknown range type": {map[string]string{"a.json": `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"CALVER","events":[{"introduced":"0"}]}]}]}`}, "unknown type"},
		"range injection":    {map[string]string{"a.json": `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0 || *"}]}]}]}`}, "not a semver version"},
		"bad pep 440":        {map[string]string{"a.json": `{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"one.two"}]}]}]}`}, "PEP 440"},
		"not a record file":  {map[string]string{"a.json": good, "evil.sh": "x"}, "not an OSV record file"},
		"dot dot":            {map[string]string{"../a.json": good}, "not an OSV record file"},
		"entry too big":      {map[string]string{"a.json": good + strings.Repeat(" ", 5000)}, "limit for one record"},
		"total too big":      {map[string]string{"a.json": good, "b.json": good, "c.json": good}, "in total"},
		"too many":           {map[string]string{"a.json": good, "b.json": good, "c.json": good, "d.json": good}, "more than the limit"},
		"empty":              {map[string]string{}, "no OSV records"},
	} {
		t.Run(name, func(t *testing.T) {
			data := zipOf(t, c.files)
			_, _, err := Import(bytes.NewReader(data), int64(len(data)), "x.zip", small)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error with %q", err, c.want)
			}
		})
	}
	if _, _, err := Import(bytes.NewReader([]byte("PK not a zip")), 12, "x.zip", small); err == nil || !strings.Contains(err.Error(), "not a zip") {
		t.Errorf("not a zip: %v", err)
	}
}

// TestZipBombUnderDeclared: an entry whose header claims a small size but
// inflates to more is cut off at the limit, not read to its end.
func TestZipBombUnderDeclared(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	fw, err := w.CreateRaw(&zip.FileHeader{Name: "bomb.json", Method: zip.Deflate, UncompressedSize64: 10, CompressedSize64: 0})
	if err != nil {
		t.Fatal(err)
	}
	var comp bytes.Buffer
	zw := zip.NewWriter(&comp)
	f, _ := zw.Create("x")
	f.Write(bytes.Repeat([]byte("{"), 1<<20))
	zw.Close()
	// Take the deflate stream of the inner entry: it starts after the
	// 30-byte local header plus the name.
	raw := comp.Bytes()[30+1:]
	raw = raw[:bytes.Index(raw, []byte("PK\x07\x08"))]
	fw.Write(raw)
	w.Close()
	data := b.Bytes()
	_, _, err = Import(bytes.NewReader(data), int64(len(data)), "bomb.zip", Limits{MaxEntries: 10, MaxEntryBytes: 4096, MaxTotalBytes: 1 << 30})
	if err == nil {
		t.Fatal("a zip bomb imported")
	}
	if !strings.Contains(err.Error(), "under-declared") && !strings.Contains(err.Error(), "zip: ") {
		t.Fatalf("bomb refused for another reason: %v", err)
	}
}

func TestCVSS(t *testing.T) {
	for v, want := range map[string]float64{
		"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H": 7.5,
		"CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H": 6.5,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H": 9.8,
		"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H": 10,
		"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N": 3.1,
		"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:N": 0,
	} {
		got, err := CVSS3BaseScore(v)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", v, got, err, want)
		}
	}
	for _, bad := range []string{"", "CVSS:2.0/AV:N", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:Q/C:H/I:H/A:H"} {
		if _, err := CVSS3BaseScore(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestBulk parses the npm bulk endpoint's response shape (as npm/cli's
// audit tests and the registry send it) and re-checks ranges locally.
func TestBulk(t *testing.T) {
	req := BulkRequest(map[string][]string{"nanoid": {"3.3.7"}, "@s/p": {"2.0.0", "1.0.0"}})
	if string(req) != `{"@s/p":["1.0.0","2.0.0"],"nanoid":["3.3.7"]}` {
		t.Errorf("request %s", req)
	}
	resp := []byte(`{"nanoid":[{"id":1101163,"url":"https://github.com/advisories/GHSA-mwcw-c2x4-8c55","title":"Predictable results in nanoid generation when given non-integer values","severity":"moderate","vulnerable_versions":"<3.3.8","cwe":["CWE-835"],"cvss":{"score":4.3,"vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N"}},
	{"id":2,"url":"https://github.com/advisories/GHSA-xxxx-yyyy-zzzz","title":"Malicious code in nanoid","severity":"critical","vulnerable_versions":">=9.0.0","cwe":["CWE-506"],"cvss":{"score":0,"vectorString":null}}]}`)
	doc, err := ParseBulk(resp)
	if err != nil {
		t.Fatal(err)
	}
	got := BulkLookup(doc, "nanoid", "3.3.7", "POST x")
	if len(got) != 1 || got[0].ID != "GHSA-mwcw-c2x4-8c55" || got[0].Severity != Moderate || got[0].Malware {
		t.Fatalf("got %+v", got)
	}
	if got := BulkLookup(doc, "nanoid", "9.1.0", "POST x"); len(got) != 1 || !got[0].Malware {
		t.Fatalf("malware advisory: %+v", got)
	}
	if got := BulkLookup(doc, "nanoid", "3.3.8", "POST x"); len(got) != 0 {
		t.Fatalf("fixed version matched: %+v", got)
	}
	for _, bad := range []string{`[]`, `{"p":[{"id":1,"severity":"severe","vulnerable_versions":"<1"}]}`, `{"p":[{"id":1,"severity":"low","vulnerable_versions":"not a range !"}]}`, `{"p":[{"id":1,"severity":"low","vulnerable_versions":""}]}`} {
		if _, err := ParseBulk([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}
