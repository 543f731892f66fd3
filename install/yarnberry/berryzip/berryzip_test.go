package berryzip

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMatchesYarn rebuilds zips yarn 4 wrote and compares every byte.
func TestMatchesYarn(t *testing.T) {
	for _, tc := range []struct{ base, ident string }{
		{"is-number-7.0.0", "is-number"},
		{"isaacs-string-locale-compare-1.1.0", "@isaacs/string-locale-compare"},
		{"semver-7.6.0", "semver"},
		{"edge-a", "edge-a"},
		{"edge-b", "@sc/edge-b"},
	} {
		t.Run(tc.base, func(t *testing.T) {
			tgz, err := os.ReadFile(filepath.Join("testdata", tc.base+".tgz"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", tc.base+".zip"))
			if err != nil {
				t.Fatal(err)
			}
			a, err := Convert(bytes.NewReader(tgz), tc.ident, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if _, err := a.WriteTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				n := 0
				for n < got.Len() && n < len(want) && got.Bytes()[n] == want[n] {
					n++
				}
				t.Fatalf("rebuilt zip differs from yarn's at byte %d (lengths %d, %d)", n, got.Len(), len(want))
			}
			sum, err := a.Sum()
			if err != nil {
				t.Fatal(err)
			}
			h := sha512.Sum512(want)
			if sum != hex.EncodeToString(h[:]) {
				t.Fatalf("Sum = %s, want the SHA-512 of yarn's zip", sum)
			}
		})
	}
}

// TestLockfileChecksum ties the fixture to the checksum yarn wrote in
// yarn.lock for is-number@7.0.0.
func TestLockfileChecksum(t *testing.T) {
	const locked = "10c0/b4686d0d3053146095ccd45346461bc8e53b80aeb7671cc52a4de02dbbf7dc0d1d2a986e2fe4ae206984b4d34ef37e8b795ebc4f4295c978373e6575e295d811"
	c, err := ParseChecksum(locked, "")
	if err != nil {
		t.Fatal(err)
	}
	tgz, err := os.ReadFile("testdata/is-number-7.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	a, err := Convert(bytes.NewReader(tgz), "is-number", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if sum, _ := a.Sum(); sum != c.Hex {
		t.Fatalf("sum %s, lockfile %s", sum, c.Hex)
	}
	// The same tarball under another name is another zip.
	b, _ := Convert(bytes.NewReader(tgz), "is-numbr", Limits{})
	if sum, _ := b.Sum(); sum == c.Hex {
		t.Fatal("the package name does not reach the checksum")
	}
}

func TestEntries(t *testing.T) {
	tgz, _ := os.ReadFile("testdata/edge-a.tgz")
	a, err := Convert(bytes.NewReader(tgz), "edge-a", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*Entry{}
	for _, e := range a.Entries {
		got[e.Name] = e
	}
	for name, want := range map[string]struct {
		mode uint32
		data string
	}{
		"node_modules/edge-a/lib/x.js":    {0o100755, "second x"},
		"node_modules/edge-a/lib/link.js": {0o120777, "x.js"},
		"node_modules/edge-a/bin/ea.js":   {0o100755, "#!/usr/bin/env node\n"},
		"node_modules/edge-a/top.js":      {0o100644, "other top dir"},
		"node_modules/edge-a/lib/":        {0o040755, ""},
	} {
		e := got[name]
		if e == nil {
			t.Errorf("%s missing", name)
			continue
		}
		if e.Mode != want.mode || string(e.Data) != want.data {
			t.Errorf("%s: mode %o data %q, want %o %q", name, e.Mode, e.Data, want.mode, want.data)
		}
	}
	for name := range got {
		if strings.Contains(name, "escape") || strings.Contains(name, "abs.js") || strings.Contains(name, "hard.js") {
			t.Errorf("%s should have been left out", name)
		}
	}
}

func mktgz(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		data := []byte(h.Linkname)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Gname))
			data = []byte(h.Gname)
			h.Gname = ""
		} else {
			data = nil
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func TestRefusals(t *testing.T) {
	reg := func(name, content string) *tar.Header {
		return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Gname: content}
	}
	for name, tc := range map[string]struct {
		tgz []byte
		lim Limits
		err error
	}{
		"not gzip":            {[]byte("PK\x03\x04"), Limits{}, ErrTarball},
		"file over directory": {mktgz(t, reg("package/a/b", "x"), reg("package/a", "y")), Limits{}, ErrTarball},
		"directory twice": {mktgz(t, &tar.Header{Name: "package/d/", Typeflag: tar.TypeDir, Mode: 0o755},
			&tar.Header{Name: "package/d/", Typeflag: tar.TypeDir, Mode: 0o755}), Limits{}, ErrTarball},
		"symlink twice": {mktgz(t, &tar.Header{Name: "package/l", Typeflag: tar.TypeSymlink, Linkname: "a"},
			&tar.Header{Name: "package/l", Typeflag: tar.TypeSymlink, Linkname: "b"}), Limits{}, ErrTarball},
		"file through symlink": {mktgz(t, &tar.Header{Name: "package/l", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
			reg("package/l/passwd", "x")), Limits{}, ErrTarball},
		"too many bytes":   {mktgz(t, reg("package/a", "0123456789")), Limits{MaxBytes: 5}, ErrTooLarge},
		"too many entries": {mktgz(t, reg("package/a", "1"), reg("package/b", "2")), Limits{MaxEntries: 3}, ErrTooLarge},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Convert(bytes.NewReader(tc.tgz), "p", tc.lim)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
		})
	}
	for _, bad := range []string{"", "/x", "../x", "a/../b", "a//b"} {
		if _, err := Convert(bytes.NewReader(mktgz(t, reg("package/a", "1"))), bad, Limits{}); err == nil {
			t.Errorf("ident %q accepted", bad)
		}
	}
}

func TestParseChecksum(t *testing.T) {
	hexSum := strings.Repeat("ab", 64)
	for _, tc := range []struct {
		in, meta string
		want     string
		err      error
	}{
		{"10c0/" + hexSum, "", "10c0/" + hexSum, nil},
		{hexSum, "9c0", "9c0/" + hexSum, nil},
		{hexSum, "8", "", ErrUnsupportedCacheKey},
		{"10c9/" + hexSum, "", "", ErrUnsupportedCacheKey},
		{"10/" + hexSum, "", "", ErrUnsupportedCacheKey},
		{"10c0/" + strings.ToUpper(hexSum), "", "", ErrChecksum},
		{"10c0/" + hexSum[:100], "", "", ErrChecksum},
		{"10c0/" + strings.Repeat("zz", 64), "", "", ErrChecksum},
		{"xc0/" + hexSum, "", "", ErrChecksum},
		{"10c10/" + hexSum, "", "", ErrChecksum},
		{"10c00/" + hexSum, "", "", ErrChecksum},
		{hexSum, "", "", ErrChecksum},
	} {
		c, err := ParseChecksum(tc.in, tc.meta)
		if tc.err != nil {
			if !errors.Is(err, tc.err) {
				t.Errorf("ParseChecksum(%q, %q) err = %v, want %v", tc.in, tc.meta, err, tc.err)
			}
			continue
		}
		if err != nil || c.String() != tc.want {
			t.Errorf("ParseChecksum(%q, %q) = %v, %v; want %s", tc.in, tc.meta, c, err, tc.want)
		}
	}
}

// FuzzConvert: no input panics, and whatever Convert accepts becomes a zip
// that archive/zip reads back entry for entry.
func FuzzConvert(f *testing.F) {
	for _, n := range []string{"edge-a.tgz", "edge-b.tgz", "is-number-7.0.0.tgz"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, tgz []byte) {
		a, err := Convert(bytes.NewReader(tgz), "p", Limits{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if _, err := a.WriteTo(&buf); err != nil {
			return
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("rebuilt zip unreadable: %v", err)
		}
		if len(zr.File) != len(a.Entries) {
			t.Fatalf("%d entries read back, %d written", len(zr.File), len(a.Entries))
		}
		for i, f := range zr.File {
			if f.Name != a.Entries[i].Name || !strings.HasPrefix(f.Name, "node_modules/") {
				t.Fatalf("entry %d: %q, wrote %q", i, f.Name, a.Entries[i].Name)
			}
			if strings.Contains("/"+f.Name, "/../") {
				t.Fatalf("entry %q escapes", f.Name)
			}
		}
	})
}
