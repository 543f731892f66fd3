package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseOctal(t *testing.T) {
	for _, tc := range []struct {
		field      string
		terminated bool
		want       int64
		ok         bool
	}{
		{"0000644\x00", false, 0o644, true},
		{"   644 \x00", false, 0o644, true},
		{"00000001234\x00", false, 0o1234, true},
		{"000000001234", false, 0o1234, true}, // fills the field: node-tar and archive/tar agree
		{"\x00\x00\x00\x00\x00\x00\x00\x00", false, 0, true},
		{"        ", false, 0, true},
		{"0644\x00junk", false, 0, false}, // node-tar stops at the NUL, archive/tar refuses
		{"\x000000644", false, 0, false},  // archive/tar skips the NUL, node-tar reads nothing
		{"0648\x00\x00\x00\x00", false, 0, false},
		{"06 44\x00\x00\x00", false, 0, false},
		{"\t0644\x00\x00\x00", false, 0, false},
		{"010601\x00 ", true, 0o10601, true},
		{"0010601 ", true, 0o10601, true},
		{"00010601", true, 0, false}, // node-tar would read on into the typeflag
		{"      \x00 ", true, 0, false},
		{"77777777777777777777777", false, 0, false}, // overflows int64
	} {
		got, ok := parseOctal([]byte(tc.field), tc.terminated)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseOctal(%q, %v) = %#o, %v; want %#o, %v", tc.field, tc.terminated, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, tc := range []struct {
		field []byte
		want  int64
		err   bool
	}{
		{[]byte("00000000017\x00"), 0o17, false},
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}, 256, false},
		{[]byte{0x80, 0, 0, 0, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1<<53 - 1, false},
		{[]byte{0x80, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0}, 0, true}, // beyond JavaScript's safe integers
		{[]byte{0x80, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, true}, // overflows int64
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0, true},
		{[]byte{0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0, true}, // archive/tar reads the low bits, node-tar refuses
		{[]byte("0x10\x00\x00\x00\x00\x00\x00\x00\x00"), 0, true},
	} {
		got, err := parseNumber(tc.field, "size")
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("parseNumber(%q) = %d, %v; want %d, error %v", tc.field, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Errorf("parseNumber(%q) error %v is not ErrCorrupt", tc.field, err)
		}
	}
}

func TestBase256(t *testing.T) {
	for _, tc := range []struct {
		field []byte
		want  int64
		ok    bool
	}{
		{[]byte{0x80, 0, 0, 0, 0, 0, 0, 1}, 1, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, -1, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}, -256, true},
		{[]byte{0xff, 0xe0, 0, 0, 0, 0, 0, 1}, -(1<<53 - 1), true},
		{[]byte{0xff, 0xe0, 0, 0, 0, 0, 0, 0}, 0, false}, // -2^53: not a safe integer
		{[]byte{0xff, 0x80, 0, 0, 0, 0, 0, 0}, 0, false},
		{[]byte{0xfe, 0, 0, 0, 0, 0, 0, 0}, 0, false}, // node-tar: "invalid base256 encoding"
		{[]byte{0x81, 0, 0, 0, 0, 0, 0, 0}, 0, false},
	} {
		got, ok := base256(tc.field)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("base256(%x) = %d, %v; want %d, %v", tc.field, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParsePAX(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    string
		global  bool
		want    map[string]string
		wantErr error
	}{
		{"path and size", paxRecord("path", "package/a") + paxRecord("size", "12"), false, map[string]string{"path": "package/a", "size": "12"}, nil},
		{"later record wins", paxRecord("path", "a") + paxRecord("path", "b"), false, map[string]string{"path": "b"}, nil},
		{"unknown keys kept", paxRecord("SCHILY.xattr.user.x", "\xff\xfe") + paxRecord("mtime", "1.5"), false, map[string]string{"SCHILY.xattr.user.x": "\xff\xfe", "mtime": "1.5"}, nil},
		{"value with equals", paxRecord("comment", "a=b"), false, map[string]string{"comment": "a=b"}, nil},
		{"empty", "", false, map[string]string{}, nil},
		{"global comment", paxRecord("comment", "deadbeef"), true, map[string]string{"comment": "deadbeef"}, nil},
		{"length too long", "30 path=a\n", false, nil, ErrCorrupt},
		{"length too short", "5 path=a\n", false, nil, ErrCorrupt},
		{"no newline", "9 path=ab", false, nil, ErrCorrupt},
		{"no length", "path=a\n", false, nil, ErrCorrupt},
		{"signed length", "+9 path=a\n", false, nil, ErrCorrupt},
		{"no key", paxRecord("", "a"), false, nil, ErrCorrupt},
		{"no equals", "7 path\n", false, nil, ErrCorrupt},
		{"trailing garbage", paxRecord("path", "a") + "\x00\x00", false, nil, ErrCorrupt},
		{"newline in value", paxRecord("comment", "a\nb"), false, nil, ErrCorrupt},
		{"nul in value", paxRecord("comment", "a\x00b"), false, nil, ErrCorrupt},
		{"nul in path", paxRecord("path", "a\x00b"), false, nil, ErrUnsafePath},
		{"invalid utf-8 path", paxRecord("path", "a\xffb"), false, nil, ErrUnsafePath},
		{"empty path", paxRecord("path", ""), false, nil, ErrCorrupt},
		{"mode", paxRecord("mode", "420"), false, nil, ErrCorrupt},
		{"type", paxRecord("type", "0"), false, nil, ErrCorrupt},
		{"sparse", paxRecord("GNU.sparse.major", "1"), false, nil, ErrSpecialFile},
		{"size hex", paxRecord("size", "0x10"), false, nil, ErrCorrupt},
		{"size signed", paxRecord("size", "+1"), false, nil, ErrCorrupt},
		{"size empty", paxRecord("size", ""), false, nil, ErrCorrupt},
		{"size overflow", paxRecord("size", "99999999999999999999"), false, nil, ErrCorrupt},
		{"global path", paxRecord("path", "a"), true, nil, ErrCorrupt},
		{"global linkpath", paxRecord("linkpath", "a"), true, nil, ErrCorrupt},
		{"global size", paxRecord("size", "1"), true, nil, ErrCorrupt},
		{"global mode", paxRecord("mode", "493"), true, nil, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePAX([]byte(tc.data), tc.global)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("records = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStripFirst(t *testing.T) {
	for _, tc := range []struct {
		name, rel string
		depth     int
	}{
		{"package/index.js", "index.js", 1},
		{"package/lib/a.js", "lib/a.js", 2},
		{"ms/index.d.ts", "index.d.ts", 1},
		{"package", "", 0},
		{"package/", "", 0},
		{"package/lib/", "lib", 1},
		{"./package/x", "package/x", 2},
		{"package//x", "x", 1},
		{"package/./x/.", "x", 1},
		{"package/a//b/./c", "a/b/c", 3},
	} {
		rel, depth := stripFirst(tc.name)
		if rel != tc.rel || depth != tc.depth {
			t.Errorf("stripFirst(%q) = %q, %d; want %q, %d", tc.name, rel, depth, tc.rel, tc.depth)
		}
	}
}

func TestNormalizeBin(t *testing.T) {
	// npm-normalize-package-bin: join('/', target.replace(/\\/g, '/')).slice(1)
	for in, want := range map[string]string{
		"cli.js":         "cli.js",
		"./cli.js":       "cli.js",
		"bin//x.js":      "bin/x.js",
		`bin\x.js`:       "bin/x.js",
		"../../etc/x":    "etc/x",
		"/abs/x":         "abs/x",
		"./bin/./x/../y": "bin/y",
		"":               "",
		".":              "",
	} {
		if got := normalizeBin(in); got != want {
			t.Errorf("normalizeBin(%q) = %q, want %q", in, got, want)
		}
	}
}

// tarEntry is one entry as a reader sees it, for comparing readers.
type tarEntry struct {
	name string
	typ  byte
	size int64
	body string
}

// readOurs lists an archive with tarReader, or fails like it does.
func readOurs(data []byte) ([]tarEntry, error) {
	tr := &tarReader{r: bytes.NewReader(data)}
	var out []tarEntry
	for {
		h, err := tr.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch h.typ {
		case typePAXGlobal:
			continue
		case 'S':
			return nil, ErrSpecialFile // refused by the extractor, before its data
		}
		e := tarEntry{name: h.name, typ: h.typ}
		if h.typ == typeFile || h.typ == typeContiguous {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			e.size, e.body = h.size, string(b)
		}
		out = append(out, e)
	}
}

// readGo lists an archive with archive/tar, normalised to tarReader's view:
// a '0' entry named "x/" with no data is a directory to node-tar.
func readGo(data []byte) ([]tarEntry, error) {
	tr := tar.NewReader(bytes.NewReader(data))
	var out []tarEntry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		e := tarEntry{name: h.Name, typ: h.Typeflag}
		if e.typ == tar.TypeReg && strings.HasSuffix(h.Name, "/") && h.Size == 0 {
			e.typ = typeDir
		}
		if e.typ == tar.TypeReg || e.typ == tar.TypeCont {
			b, err := io.ReadAll(tr)
			if err != nil {
				return nil, err
			}
			e.size, e.body = h.Size, string(b)
		}
		out = append(out, e)
	}
}

// TestTarReaderAgreesWithArchiveTar reads archives from real writers (Go's
// archive/tar in each format, and the registry's tarballs) with both readers.
func TestTarReaderAgreesWithArchiveTar(t *testing.T) {
	long := strings.Repeat("segment/", 20) + "file.js"
	files := []goFile{
		goReg("package/package.json", pkgJSON),
		{tar.Header{Name: "package/lib/", Typeflag: tar.TypeDir}, ""},
		goReg("package/lib/empty.js", ""),
		goReg("package/lib/big.bin", strings.Repeat("0123456789abcdef", 5000)),
		{tar.Header{Name: "package/link", Typeflag: tar.TypeSymlink, Linkname: "lib/empty.js"}, ""},
		{tar.Header{Name: "package/hard", Typeflag: tar.TypeLink, Linkname: "package/lib/empty.js"}, ""},
		goReg("package/"+long, "long"),
		goReg("package/ünïcödé.txt", "u"),
	}
	archives := map[string][]byte{
		"ustar": goTar(t, tar.FormatUSTAR, files[:6]...),
		"pax":   goTar(t, tar.FormatPAX, files...),
		"gnu":   goTar(t, tar.FormatGNU, files...),
	}
	real, _ := filepath.Glob("testdata/npm/*.tgz")
	for _, p := range real {
		archives[filepath.Base(p)] = gunzipFile(t, p)
	}
	for name, data := range archives {
		t.Run(name, func(t *testing.T) {
			ours, err := readOurs(data)
			if err != nil {
				t.Fatalf("tarReader: %v", err)
			}
			theirs, err := readGo(data)
			if err != nil {
				t.Fatalf("archive/tar: %v", err)
			}
			if fmt.Sprint(ours) != fmt.Sprint(theirs) {
				t.Errorf("readers disagree:\nours:   %+v\ntheirs: %+v", ours, theirs)
			}
			if len(ours) < 4 {
				t.Errorf("only %d entries read", len(ours))
			}
		})
	}
}

func gunzipFile(t testing.TB, p string) []byte {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzTarReader checks that whatever tarReader accepts, archive/tar reads as
// the same entries with the same contents whenever it reads it at all:
// archive/tar is also what a Go auditing tool would use, and no archive may
// show it one thing while airlock installs another.
func FuzzTarReader(f *testing.F) {
	for _, c := range corpus() {
		if b := c.bytes(f); len(b) < 64<<10 {
			if raw, err := gunzipBytes(b); err == nil {
				f.Add(raw)
			}
		}
	}
	real, _ := filepath.Glob("testdata/npm/*.tgz")
	for _, p := range real {
		f.Add(gunzipFile(f, p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ours, err := readOurs(data)
		if err != nil {
			return
		}
		theirs, err := readGo(data)
		if err != nil {
			// archive/tar also parses fields airlock ignores (uid,
			// mtime, ...) and may refuse over them; the entries cannot
			// then disagree.
			return
		}
		if fmt.Sprint(ours) != fmt.Sprint(theirs) {
			t.Fatalf("readers disagree:\nours:   %+v\ntheirs: %+v", ours, theirs)
		}
	})
}

func gunzipBytes(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}
