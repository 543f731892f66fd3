package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// ent describes one archive entry for the hostile corpus. Most are written
// with archive/tar, so the corpus is what real writers produce; raw lets a
// test corrupt the finished header block (the checksum is recomputed after,
// unless the hook sets it itself).
type ent struct {
	name     string
	typ      byte // default '0'
	mode     int64
	body     string
	size     int64 // when set, the size field differs from len(body)
	link     string
	pax      map[string]string // PAX records written before the entry
	gnuLong  bool              // write the name as a GNU 'L' long name
	raw      func(h *[blockSize]byte)
	keepSum  bool // raw set the checksum itself
	rawBytes []byte
}

// tarOf builds a tar archive from entries, ending with two zero blocks.
func tarOf(t testing.TB, ents ...ent) []byte {
	if t != nil {
		t.Helper()
	}
	var buf bytes.Buffer
	for _, e := range ents {
		if e.rawBytes != nil {
			buf.Write(e.rawBytes)
			continue
		}
		if e.pax != nil {
			writeRaw(&buf, ent{name: "PaxHeader", typ: typePAX, body: paxRecords(e.pax)})
		}
		if e.gnuLong {
			writeRaw(&buf, ent{name: "././@LongLink", typ: typeGNULongName, body: e.name + "\x00"})
			e.name = e.name[:min(len(e.name), 99)]
		}
		writeRaw(&buf, e)
	}
	buf.Write(make([]byte, 2*blockSize))
	return buf.Bytes()
}

// writeRaw writes one ustar header and its data.
func writeRaw(buf *bytes.Buffer, e ent) {
	var h [blockSize]byte
	if e.typ == 0 {
		e.typ = typeFile
	}
	if e.mode == 0 && (e.typ == typeFile || e.typ == typeContiguous) {
		e.mode = 0o644
	}
	size := int64(len(e.body))
	if e.size != 0 {
		size = e.size
	}
	name := e.name
	if len(name) > 100 {
		// ustar prefix/name split at a slash.
		i := strings.LastIndexByte(name[:min(len(name), 156)], '/')
		copy(h[345:500], name[:i])
		name = name[i+1:]
	}
	copy(h[0:100], name)
	copy(h[100:108], fmt.Sprintf("%07o\x00", e.mode))
	copy(h[108:116], "0000000\x00")
	copy(h[116:124], "0000000\x00")
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[136:148], "14204762200\x00")
	h[156] = e.typ
	copy(h[157:257], e.link)
	copy(h[257:265], "ustar\x0000")
	if e.raw != nil {
		e.raw(&h)
	}
	if !e.keepSum {
		setChecksum(&h)
	}
	buf.Write(h[:])
	buf.WriteString(e.body)
	if pad := (blockSize - len(e.body)%blockSize) % blockSize; pad > 0 {
		buf.Write(make([]byte, pad))
	}
}

func setChecksum(h *[blockSize]byte) {
	copy(h[148:156], "        ")
	var sum int64
	for _, c := range h {
		sum += int64(c)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func paxRecords(recs map[string]string) string {
	keys := make([]string, 0, len(recs))
	for k := range recs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(paxRecord(k, recs[k]))
	}
	return b.String()
}

// paxRecord formats "%d %s=%s\n", where the length counts itself.
func paxRecord(k, v string) string {
	rest := " " + k + "=" + v + "\n"
	n := len(rest) + 1
	for len(strconv.Itoa(n))+len(rest) != n {
		n++
	}
	return strconv.Itoa(n) + rest
}

// goFile is a header for archive/tar and, for a regular file, its content.
type goFile struct {
	hdr  tar.Header
	body string
}

// goTar builds an archive with archive/tar in the given format, the way
// real writers lay it out (npm pack uses node-tar, which writes the same
// ustar + PAX).
func goTar(t testing.TB, format tar.Format, files ...goFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := f.hdr
		h.Format = format
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const pkgJSON = `{"name":"x","version":"1.0.0"}`

// pj is the package.json entry most corpus archives carry, since npm refuses
// a package without one.
var pj = ent{name: "package/package.json", body: pkgJSON}

// sandbox makes the directory layout every extraction test uses: dir is the
// (empty) extraction target; beside it, outside is a file and sentinel a
// directory holding one, which an escape would hit. check reports anything
// in the parent other than these, any change to them, and any symbolic
// link, hard link or special file under dir.
type sandbox struct {
	parent, dir, outside, sentinel string
	sentinelTree                   string // listing of sentinel when made
}

func newSandbox(t testing.TB) sandbox {
	t.Helper()
	parent := t.TempDir()
	s := sandbox{parent: parent, dir: filepath.Join(parent, "pkg"), outside: filepath.Join(parent, "outside"), sentinel: filepath.Join(parent, "sentinel")}
	if err := os.Mkdir(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.outside, []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(s.sentinel, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.sentinel, "keep"), []byte("untouched"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.sentinelTree = listing(t, s.sentinel)
	return s
}

func (s sandbox) check(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir(s.parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "pkg" && e.Name() != "outside" && e.Name() != "sentinel" {
			t.Errorf("written outside the target: %s", e.Name())
		}
	}
	if b, err := os.ReadFile(s.outside); err != nil || string(b) != "untouched" {
		t.Errorf("file outside the target changed: %q, %v", b, err)
	}
	if got := listing(t, s.sentinel); got != s.sentinelTree {
		t.Errorf("directory beside the target changed:\n%s", got)
	}
	filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		info, err := d.Info()
		if err != nil {
			t.Error(err)
			return nil
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			t.Errorf("symbolic link created: %s", p)
		case !info.Mode().IsRegular() && !info.IsDir():
			t.Errorf("special file created: %s (%v)", p, info.Mode())
		case info.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) != 0:
			t.Errorf("special mode bits: %s (%v)", p, info.Mode())
		case info.Mode().IsRegular() && nlink(info) > 1:
			t.Errorf("hard link created: %s", p)
		}
		return nil
	})
}

// listing describes a tree the way testdata/npm/gen-golden.sh does:
// "d <mode> <path>" or "f <mode> <sha256> <path>", sorted by path bytes.
func listing(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.IsDir() {
			lines = append(lines, fmt.Sprintf("d %04o %s", info.Mode().Perm(), rel))
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("f %04o %x %s", info.Mode().Perm(), sha256Sum(b), rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(lines, func(i, j int) bool { return lineKey(lines[i]) < lineKey(lines[j]) })
	return strings.Join(lines, "\n") + "\n"
}

// lineKey is a listing line's path, the sort key.
func lineKey(l string) string { return l[strings.LastIndexByte(l, ' ')+1:] }
