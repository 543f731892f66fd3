package pypi

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// FuzzParseRequirement: Requires-Dist lines come from the index. No input
// panics, and what parses prints back as a requirement that parses to the
// same text.
func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{
		"requests[socks,security] (>=2.8.1,<3) ; python_version >= '3.7' and extra == 'x'",
		"idna (<4,>=2.5)",
		"a[b]===1.0-legacy",
		"numpy>=1.26; platform_machine != \"arm64\" or (os_name == 'nt')",
		"foo @ https://x/foo.whl",
		"a[b, B ,b]!=1.*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			return
		}
		back, err := ParseRequirement(r.String())
		if err != nil {
			t.Fatalf("%q prints as %q, which does not parse: %v", s, r.String(), err)
		}
		if back.String() != r.String() {
			t.Fatalf("%q prints as %q, then %q", s, r.String(), back.String())
		}
	})
}

// FuzzParseDenyRange: a deny range is airlock.toml's; whatever it says,
// matching must not panic, and a range that does not parse matches every
// version (fails closed).
func FuzzParseDenyRange(f *testing.F) {
	for _, s := range []string{">=2", ">=1.0,<1.4", "==1.2.*", "1.2.3", ">=1.0 <1.4", "~=1.4.2", "===weird", "!=1.*, >0"} {
		f.Add(s, "1.2.3")
	}
	f.Fuzz(func(t *testing.T, rng, version string) {
		specs, err := ParseDenyRange(rng)
		matches := DenyRangeMatches(version, rng)
		if (err != nil || len(specs) == 0) && !matches {
			t.Fatalf("%q does not parse (%v) but lets %q through", rng, err, version)
		}
	})
}

// FuzzWritePylock: what goes into a written pylock.toml comes from the
// index (file names, URLs, upload times, Requires-Python) and METADATA.
// WritePylock either refuses it or writes a file ParsePylock reads back
// with the same values.
func FuzzWritePylock(f *testing.F) {
	sha := strings.Repeat("ab", 32)
	f.Add("Zeta_Pkg", "2.0", "sys_platform == \"linux\"", ">=3.8", "https://idx.example/simple/", "zeta_pkg-2.0-py3-none-any.whl", "https://files.example/a\"b/zeta_pkg-2.0-py3-none-any.whl", "2024-05-01T10:20:30.123456Z", sha, int64(1234))
	f.Add("a", "1.0rc1", "", "", "", "a-1.0rc1-cp312-cp312-manylinux_2_17_x86_64.whl", "https://f.example/\u00e9\\x7f", "", sha, int64(0))
	f.Fuzz(func(t *testing.T, name, version, marker, requiresPython, index, filename, url, uploadTime, hex string, size int64) {
		w := Artifact{Filename: filename, URL: url, UploadTime: uploadTime, Size: size, Hashes: []Hash{{Algo: "sha256", Hex: hex}}}
		lk := &Lock{Dists: []Dist{{Name: name, Version: version, Marker: marker, RequiresPython: requiresPython, Index: index, Wheels: []Artifact{w}}}}
		data, err := WritePylock(lk, "airlock")
		if err != nil {
			return
		}
		back, err := ParsePylock(data)
		if err != nil {
			t.Fatalf("written lock does not parse: %v\n%s", err, data)
		}
		if len(back.Dists) != 1 || len(back.Dists[0].Wheels) != 1 {
			t.Fatalf("read back %+v\n%s", back, data)
		}
		d, bw := back.Dists[0], back.Dists[0].Wheels[0]
		got := fmt.Sprintf("%s %s %q %q %q", d.Name, d.Version, d.Marker, d.RequiresPython, d.Index)
		want := fmt.Sprintf("%s %s %q %q %q", NormalizeName(name), version, marker, requiresPython, index)
		if got != want {
			t.Fatalf("dist read back as %s, wrote %s\n%s", got, want, data)
		}
		if bw.Filename != filename || bw.URL != url || len(bw.Hashes) != 1 || bw.Hashes[0].Hex != strings.ToLower(hex) || (size > 0 && bw.Size != size) {
			t.Fatalf("wheel read back as %+v, wrote %+v\n%s", bw, w, data)
		}
		if uploadTime != "" {
			a, _ := time.Parse(time.RFC3339Nano, uploadTime)
			b, err := time.Parse(time.RFC3339Nano, bw.UploadTime)
			// ParsePylock keeps whole seconds (TestWritePylockRoundTrip).
			if err != nil || !a.Truncate(time.Second).Equal(b) {
				t.Fatalf("upload-time %q read back as %q\n%s", uploadTime, bw.UploadTime, data)
			}
		}
	})
}

// TestRequirementManyExtras: extras are deduplicated with a set; scanning
// the list for each took seconds for a line of 50,000 extras (hours for
// a METADATA file of MaxMetadataSize).
func TestRequirementManyExtras(t *testing.T) {
	var b strings.Builder
	b.WriteString("a[")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&b, "x%d,X%d,", i, i)
	}
	b.WriteString("y]>=1")
	start := time.Now()
	r, err := ParseRequirement(b.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Extras) != 200001 || r.Extras[1] != "x1" {
		t.Errorf("%d extras, want 200,001 distinct", len(r.Extras))
	}
	// Scanning took over three minutes here (ten times that under the
	// race detector); the set takes a fraction of a second.
	bound := 30 * time.Second
	if raceEnabled {
		bound *= 10
	}
	if d := time.Since(start); d > bound {
		t.Errorf("parsing took %v", d)
	}
}
