package unpack

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// corpusCase is one archive of the corpus: an attack that must be refused
// with a named error, or a behaviour of npm's that must be reproduced.
type corpusCase struct {
	name      string
	archive   func(t testing.TB) []byte // gzip or plain tar bytes
	opts      NpmOptions                // Umask 0o022 unless zeroUmask
	zeroUmask bool
	wantErr   error    // nil: success
	wantPath  string   // FileError.Path: the entry, or "" for the stream as a whole
	want      []string // success: the tree, as treeLines prints it
	skipped   []string // success: Report.Skipped
}

// archives caches built archives by case name: the big ones take a while
// to compress and every test that walks the corpus needs them.
var archives sync.Map

func (c corpusCase) bytes(t testing.TB) []byte {
	if b, ok := archives.Load(c.name); ok {
		return b.([]byte)
	}
	b := c.archive(t)
	archives.Store(c.name, b)
	return b
}

// tgz builds a gzipped archive from raw entries.
func tgz(ents ...ent) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return gz(t, tarOf(t, ents...)) }
}

// tgzGo builds a gzipped archive with archive/tar.
func tgzGo(format tar.Format, files ...goFile) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return gz(t, goTar(t, format, files...)) }
}

// goReg is a regular file for tgzGo.
func goReg(name, body string) goFile {
	return goFile{tar.Header{Name: name, Typeflag: tar.TypeReg}, body}
}

func withRaw(e ent, f func(h *[blockSize]byte)) ent { e.raw = f; return e }

// withSum is withRaw for hooks that set the checksum themselves.
func withSum(e ent, f func(h *[blockSize]byte)) ent { e.raw, e.keepSum = f, true; return e }

// zeroFileTgz streams a gzipped archive holding one file of n zero bytes
// (after a package.json unless the file is one) without holding the tar in
// memory.
func zeroFileTgz(name string, n int64) func(testing.TB) []byte {
	return func(t testing.TB) []byte {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(zw)
		if name != pj.name {
			tw.WriteHeader(&tar.Header{Name: pj.name, Mode: 0o644, Size: int64(len(pkgJSON)), Format: tar.FormatUSTAR})
			tw.Write([]byte(pkgJSON))
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, Format: tar.FormatUSTAR})
		zero := make([]byte, 1<<20)
		for left := n; left > 0; {
			k := min(left, int64(len(zero)))
			tw.Write(zero[:k])
			left -= k
		}
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}
}

// manyEntries builds n copies of an entry made by mk(i).
func manyEntries(n int, mk func(i int) ent) func(testing.TB) []byte {
	return func(t testing.TB) []byte {
		ents := []ent{pj}
		for i := range n {
			ents = append(ents, mk(i))
		}
		return gz(t, tarOf(t, ents...))
	}
}

// sparseBytes is n zero bytes with 8 pseudo-random ones every 16 KiB.
func sparseBytes(n int) string {
	b := make([]byte, n)
	x := uint32(1)
	for i := 0; i < n; i += 16 << 10 {
		for j := i; j < i+8 && j < n; j++ {
			x = x*1664525 + 1013904223
			b[j] = byte(x >> 24)
		}
	}
	return string(b)
}

var sparse = sparseBytes(2 * RatioGrace)

func corpus() []corpusCase {
	long := strings.Repeat("d/", 60) + strings.Repeat("f", 90) // 210 bytes
	return []corpusCase{
		// Paths.
		{name: "dotdot-traversal", archive: tgz(pj, ent{name: "package/../../outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/../../outside"},
		{name: "dotdot-first-segment", archive: tgz(pj, ent{name: "../outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "../outside"},
		{name: "dotdot-deep", archive: tgz(pj, ent{name: "package/a/b/../../../outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/a/b/../../../outside"},
		{name: "absolute-path", archive: tgz(pj, ent{name: "/tmp/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "/tmp/outside"},
		{name: "dotdot-via-pax", archive: tgz(pj, ent{name: "package/decoy", body: "pwned", pax: map[string]string{"path": "package/../../outside"}}), wantErr: ErrUnsafePath, wantPath: "package/../../outside"},
		{name: "absolute-via-pax", archive: tgz(pj, ent{name: "package/decoy", body: "pwned", pax: map[string]string{"path": "/tmp/outside"}}), wantErr: ErrUnsafePath, wantPath: "/tmp/outside"},
		{name: "dotdot-via-gnu-longname", archive: tgz(pj, ent{name: "package/" + strings.Repeat("a", 100) + "/../../../outside", body: "pwned", gnuLong: true}), wantErr: ErrUnsafePath, wantPath: "package/" + strings.Repeat("a", 100) + "/../../../outside"},
		{name: "backslash-dotdot", archive: tgz(pj, ent{name: `package/..\..\outside`, body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/..\\..\\outside"},
		{name: "backslash", archive: tgz(pj, ent{name: `package/a\b`, body: "x"}), wantErr: ErrUnsafePath, wantPath: "package/a\\b"},
		{name: "drive-letter-after-strip", archive: tgz(pj, ent{name: "package/C:outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/C:outside"},
		{name: "drive-letter-first", archive: tgz(pj, ent{name: "c:/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "c:/outside"},
		{name: "nul-in-pax-path", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/a\x00b"}}), wantErr: ErrUnsafePath},
		{name: "newline-in-pax-path", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/a\nb"}}), wantErr: ErrUnsafePath},
		{name: "control-char", archive: tgz(pj, ent{name: "package/a\x01b", body: "x"}), wantErr: ErrUnsafePath, wantPath: "package/a\x01b"},
		{name: "escape-char", archive: tgz(pj, ent{name: "package/\x1b[31mred", body: "x"}), wantErr: ErrUnsafePath, wantPath: "package/\x1b[31mred"},
		{name: "del-char", archive: tgz(pj, ent{name: "package/a\x7fb", body: "x"}), wantErr: ErrUnsafePath, wantPath: "package/a\x7fb"},
		{name: "c1-control-char", archive: tgz(pj, ent{name: "package/a\u0085b", body: "x"}), wantErr: ErrUnsafePath, wantPath: "package/a\u0085b"},
		{name: "newline-after-nul-in-name", archive: tgz(pj, withRaw(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) { copy(h[20:], "\nhidden") })), wantErr: ErrUnsafePath},
		{name: "invalid-utf8", archive: tgz(pj, ent{name: "package/a\xffb", body: "x"}), wantErr: ErrUnsafePath},
		{name: "utf8-split-across-prefix", archive: tgz(pj, withRaw(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) {
			// prefix ends with the first two bytes of "€", name starts with the last.
			copy(h[345:], "package/\xe2\x82")
			copy(h[0:100], "\xacx\x00\x00")
		})), wantErr: ErrUnsafePath},
		{name: "path-too-long", archive: tgz(pj, ent{name: "package/" + strings.Repeat("a/", 520) + "f", body: "x", pax: map[string]string{"path": "package/" + strings.Repeat("a/", 520) + "f"}}), wantErr: ErrPathTooLong, wantPath: "package/" + strings.Repeat("a/", 520) + "f"},
		{name: "segment-too-long", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/" + strings.Repeat("a", 256)}}), wantErr: ErrPathTooLong, wantPath: "package/" + strings.Repeat("a", 256)},
		{name: "deep-nesting", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/" + strings.Repeat("d/", 129) + "f"}}), wantErr: ErrTooDeep, wantPath: "package/" + strings.Repeat("d/", 129) + "f"},
		{name: "deep-nesting-within-limit", archive: tgz(pj, ent{name: "package/x", body: "deep", pax: map[string]string{"path": "package/" + strings.Repeat("d/", 3) + "f"}}),
			want: []string{"d 0755 d", "d 0755 d/d", "d 0755 d/d/d", "f 0644 d/d/d/f deep", "f 0644 package.json " + pkgJSON}},

		// Links: skipped, never created, and never gone through.
		{name: "symlink-to-etc", archive: tgz(pj, ent{name: "package/passwd", typ: typeSymlink, link: "/etc/passwd"}),
			want: []string{"f 0644 package.json " + pkgJSON}, skipped: []string{"package/passwd"}},
		{name: "symlink-then-file-through-it", archive: tgz(pj,
			ent{name: "package/lib", typ: typeSymlink, link: "../.."},
			ent{name: "package/lib/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/lib/outside"},
		{name: "symlink-then-file-same-name", archive: tgz(pj,
			ent{name: "package/index.js", typ: typeSymlink, link: "/etc/passwd"},
			ent{name: "package/index.js", body: "x"}), wantErr: ErrDuplicate, wantPath: "package/index.js"},
		{name: "file-then-symlink-same-name", archive: tgz(pj,
			ent{name: "package/index.js", body: "x"},
			ent{name: "package/index.js", typ: typeSymlink, link: "/etc/passwd"}), wantErr: ErrDuplicate, wantPath: "package/index.js"},
		{name: "hardlink-then-file-through-it", archive: tgz(pj,
			ent{name: "package/lib", typ: typeLink, link: "package/package.json"},
			ent{name: "package/lib/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "package/lib/outside"},
		{name: "symlink-via-pax-linkpath", archive: tgz(pj, ent{name: "package/l", typ: typeSymlink, link: "x", pax: map[string]string{"linkpath": "/etc/passwd"}}),
			want: []string{"f 0644 package.json " + pkgJSON}, skipped: []string{"package/l"}},
		{name: "hardlink-to-outside", archive: tgz(pj, ent{name: "package/hl", typ: typeLink, link: "../../outside"}),
			want: []string{"f 0644 package.json " + pkgJSON}, skipped: []string{"package/hl"}},
		{name: "hardlink-to-file-in-package", archive: tgz(pj, ent{name: "package/hl", typ: typeLink, link: "package/package.json"}),
			want: []string{"f 0644 package.json " + pkgJSON}, skipped: []string{"package/hl"}},
		{name: "hardlink-with-data", archive: tgz(pj, ent{name: "package/hl", typ: typeLink, link: "package/package.json", body: strings.Repeat("h", 600)}), wantErr: ErrCorrupt},
		{name: "symlink-with-data", archive: tgz(pj, ent{name: "package/sl", typ: typeSymlink, link: "x", body: "smuggled"}), wantErr: ErrCorrupt},

		// Special files.
		{name: "char-device", archive: tgz(pj, ent{name: "package/null", typ: typeChar}), wantErr: ErrSpecialFile, wantPath: "package/null"},
		{name: "block-device", archive: tgz(pj, ent{name: "package/sda", typ: typeBlock}), wantErr: ErrSpecialFile, wantPath: "package/sda"},
		{name: "fifo", archive: tgz(pj, ent{name: "package/fifo", typ: typeFIFO}), wantErr: ErrSpecialFile, wantPath: "package/fifo"},
		// tar has no socket type (GNU tar skips sockets when archiving); a
		// socket's type bits in the mode field of a file entry are ignored,
		// as node-tar ignores them: the entry is a plain file.
		{name: "socket-mode-bits-on-file", archive: tgz(pj, ent{name: "package/sock", body: "s", mode: 0o140644}),
			want: []string{"f 0644 package.json " + pkgJSON, "f 0644 sock s"}},
		{name: "gnu-sparse", archive: tgz(pj, ent{name: "package/sparse", typ: 'S', body: "x"}), wantErr: ErrSpecialFile, wantPath: "package/sparse"},
		{name: "pax-sparse", archive: tgz(pj, ent{name: "package/sparse", body: "x", pax: map[string]string{"GNU.sparse.map": "0,1", "GNU.sparse.realsize": "1000000000"}}), wantErr: ErrSpecialFile},
		{name: "unknown-type", archive: tgz(pj, ent{name: "package/vol", typ: 'V'}), wantErr: ErrSpecialFile, wantPath: "package/vol"},
		{name: "setuid", archive: tgz(pj, ent{name: "package/suid", body: "x", mode: 0o4755}), wantErr: ErrSetuid, wantPath: "package/suid"},
		{name: "setgid", archive: tgz(pj, ent{name: "package/sgid", body: "x", mode: 0o2755}), wantErr: ErrSetuid, wantPath: "package/sgid"},
		{name: "sticky", archive: tgz(pj, ent{name: "package/sticky", body: "x", mode: 0o1644}), wantErr: ErrSetuid, wantPath: "package/sticky"},
		{name: "setgid-directory-entry-ignored", archive: tgz(pj, ent{name: "package/lib/", typ: typeDir, mode: 0o2775}, ent{name: "package/lib/a", body: "a"}),
			want: []string{"d 0755 lib", "f 0644 lib/a a", "f 0644 package.json " + pkgJSON}},

		// Repeats.
		// On Linux, as node-tar does (and pip for wheels), paths that differ
		// only in case or Unicode normalization are distinct files, and
		// both are written. Each is created with O_EXCL, so on a file
		// system that folds them one could never overwrite the other
		// (TestNpmNeverOverwrites proves it): extraction fails instead.
		{name: "case-collision", archive: tgz(pj, ent{name: "package/README", body: "upper"}, ent{name: "package/readme", body: "lower"}),
			want: []string{"f 0644 README upper", "f 0644 package.json " + pkgJSON, "f 0644 readme lower"}},
		{name: "case-collision-directories", archive: tgz(pj, ent{name: "package/Lib/a", body: "1"}, ent{name: "package/lib/a", body: "2"}),
			want: []string{"d 0755 Lib", "f 0644 Lib/a 1", "d 0755 lib", "f 0644 lib/a 2", "f 0644 package.json " + pkgJSON}},
		{name: "nfc-nfd-collision", archive: tgz(pj, ent{name: "package/caf\u00e9.js", body: "nfc"}, ent{name: "package/cafe\u0301.js", body: "nfd"}),
			want: []string{"f 0644 cafe\u0301.js nfd", "f 0644 caf\u00e9.js nfc", "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-file", archive: tgz(pj, ent{name: "package/a", body: "first"}, ent{name: "package/a", body: "second"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-package-json", archive: tgz(pj, ent{name: "package/package.json", body: `{"name":"evil"}`}), wantErr: ErrDuplicate, wantPath: "package/package.json"},
		{name: "duplicate-after-dot-segment", archive: tgz(pj, ent{name: "package/a", body: "1"}, ent{name: "package/./a", body: "2"}), wantErr: ErrDuplicate, wantPath: "package/./a"},
		{name: "duplicate-same-bytes-after-dot-segment", archive: tgz(pj, ent{name: "package/./dist/a.js", body: "same"}, ent{name: "package/dist/a.js", body: "same"}),
			want: []string{"d 0755 dist", "f 0644 dist/a.js same", "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-bytes-keeps-first-mode", archive: tgz(pj, ent{name: "package/a", body: "same", mode: 0o644}, ent{name: "package/a", body: "same", mode: 0o755}),
			want: []string{"f 0644 a same", "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-bytes-three-times", archive: tgz(pj, ent{name: "package/a", body: "same"}, ent{name: "package/./a", body: "same"}, ent{name: "package//a", body: "same"}),
			want: []string{"f 0644 a same", "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-bytes-empty", archive: tgz(pj, ent{name: "package/a", body: ""}, ent{name: "package/a", body: ""}),
			want: []string{"f 0644 a ", "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-bytes-large", archive: tgz(pj, ent{name: "package/a", body: strings.Repeat("0123456789", 40000)}, ent{name: "package/./a", body: strings.Repeat("0123456789", 40000)}),
			want: []string{"f 0644 a " + strings.Repeat("0123456789", 40000), "f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-package-json", archive: tgz(pj, pj), want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "duplicate-same-size-other-bytes", archive: tgz(pj, ent{name: "package/a", body: "ab"}, ent{name: "package/a", body: "ba"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-late-difference-in-large", archive: tgz(pj, ent{name: "package/a", body: strings.Repeat("x", 300000) + "1"}, ent{name: "package/a", body: strings.Repeat("x", 300000) + "2"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-longer", archive: tgz(pj, ent{name: "package/a", body: "ab"}, ent{name: "package/a", body: "abc"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-shorter", archive: tgz(pj, ent{name: "package/a", body: "abc"}, ent{name: "package/a", body: "ab"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-same-then-other", archive: tgz(pj, ent{name: "package/a", body: "1"}, ent{name: "package/./a", body: "1"}, ent{name: "package/a", body: "2"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "duplicate-other-first-segment", archive: tgz(pj, ent{name: "package/a", body: "1"}, ent{name: "other/a", body: "2"}), wantErr: ErrDuplicate, wantPath: "other/a"},
		{name: "file-then-file-inside", archive: tgz(pj, ent{name: "package/a", body: "file"}, ent{name: "package/a/b", body: "inner"}), wantErr: ErrDuplicate, wantPath: "package/a/b"},
		{name: "file-inside-then-file", archive: tgz(pj, ent{name: "package/a/b", body: "inner"}, ent{name: "package/a", body: "file"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "file-then-directory-entry", archive: tgz(pj, ent{name: "package/a", body: "file"}, ent{name: "package/a/", typ: typeDir}), wantErr: ErrDuplicate, wantPath: "package/a/"},
		{name: "directory-entry-then-file", archive: tgz(pj, ent{name: "package/a/", typ: typeDir}, ent{name: "package/a", body: "file"}), wantErr: ErrDuplicate, wantPath: "package/a"},
		{name: "directory-entry-twice", archive: tgz(pj, ent{name: "package/a/", typ: typeDir}, ent{name: "package/a/", typ: typeDir}, ent{name: "package/a/f", body: "f"}),
			want: []string{"d 0755 a", "f 0644 a/f f", "f 0644 package.json " + pkgJSON}},

		// Names from extended headers: the final one is what is checked and written.
		{name: "pax-path-override", archive: tgz(pj, ent{name: "package/decoy", body: "real", pax: map[string]string{"path": "package/real"}}),
			want: []string{"f 0644 package.json " + pkgJSON, "f 0644 real real"}},
		{name: "gnu-longname", archive: tgz(pj, ent{name: "package/" + long, body: "long", gnuLong: true}),
			want: append(dirs(long), "f 0644 "+long+" long", "f 0644 package.json "+pkgJSON)},
		{name: "ustar-prefix", archive: tgz(pj, ent{name: "package/" + long, body: "long"}),
			want: append(dirs(long), "f 0644 "+long+" long", "f 0644 package.json "+pkgJSON)},
		{name: "go-pax-longname", archive: tgzGo(tar.FormatPAX, goReg(pj.name, pkgJSON), goReg("package/"+strings.Repeat("é", 60)+"/"+strings.Repeat("n", 150), "xx")),
			want: []string{"f 0644 package.json " + pkgJSON, "d 0755 " + strings.Repeat("é", 60), "f 0644 " + strings.Repeat("é", 60) + "/" + strings.Repeat("n", 150) + " xx"}},
		{name: "go-gnu-longname", archive: tgzGo(tar.FormatGNU, goReg(pj.name, pkgJSON), goReg("package/"+strings.Repeat("g", 200), "xx")),
			want: []string{"f 0644 " + strings.Repeat("g", 200) + " xx", "f 0644 package.json " + pkgJSON}},
		{name: "two-pax-headers", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, pj,
				ent{name: "PaxHeader", typ: typePAX, body: paxRecord("path", "package/a")},
				ent{name: "package/x", body: "x", pax: map[string]string{"size": "1"}}))
		}, wantErr: ErrCorrupt},
		{name: "pax-and-gnu-longname", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, pj,
				ent{name: "././@LongLink", typ: typeGNULongName, body: "package/gnu\x00"},
				ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/pax"}}))
		}, wantErr: ErrCorrupt},
		{name: "pax-then-gnu-longname", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, pj,
				ent{name: "PaxHeader", typ: typePAX, body: paxRecord("path", "package/pax")},
				ent{name: "package/x", body: "x", gnuLong: true}))
		}, wantErr: ErrCorrupt},
		{name: "pax-record-smuggled-after-newline", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"comment": "hi\n20 path=package/evil"}}), wantErr: ErrCorrupt},
		{name: "pax-mode", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"mode": "2541"}}), wantErr: ErrCorrupt},
		{name: "pax-type", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"type": "2"}}), wantErr: ErrCorrupt},
		{name: "pax-size-override", archive: tgz(pj, ent{name: "package/x", body: "abc", size: 3, pax: map[string]string{"size": "3"}}),
			want: []string{"f 0644 package.json " + pkgJSON, "f 0644 x abc"}},
		{name: "pax-size-not-decimal", archive: tgz(pj, ent{name: "package/x", body: "abc", pax: map[string]string{"size": "0x3"}}), wantErr: ErrCorrupt},
		{name: "pax-global-comment", archive: func(t testing.TB) []byte {
			// git archive writes one, with the commit id.
			return gz(t, tarOf(t, ent{name: "pax_global_header", typ: typePAXGlobal, body: paxRecord("comment", "0123456789abcdef")}, pj))
		}, want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "pax-global-size", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, ent{name: "pax_global_header", typ: typePAXGlobal, body: paxRecord("size", "0")}, pj))
		}, wantErr: ErrCorrupt},
		{name: "pax-global-path", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, ent{name: "pax_global_header", typ: typePAXGlobal, body: paxRecord("path", "package/x")}, pj))
		}, wantErr: ErrCorrupt},
		{name: "pax-too-large", archive: tgz(pj, ent{name: "package/x", body: "x", pax: map[string]string{"comment": strings.Repeat("c", MaxMetaSize)}}), wantErr: ErrCorrupt},

		// Header encodings on which readers disagree.
		{name: "signed-checksum", archive: tgz(pj, withSum(ent{name: "package/\u00e9", body: "x"}, func(h *[blockSize]byte) {
			copy(h[148:156], "        ")
			var sum int64
			for _, c := range h {
				sum += int64(int8(c))
			}
			copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
		})), wantErr: ErrCorrupt},
		{name: "bad-checksum", archive: tgz(pj, withSum(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) { copy(h[148:156], "0000000\x00") })), wantErr: ErrCorrupt},
		{name: "checksum-without-terminator", archive: tgz(pj, withSum(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) {
			setChecksum(h)
			s := strings.TrimRight(string(h[148:156]), "\x00 ")
			copy(h[148:156], strings.Repeat("0", 8-len(s))+s)
		})), wantErr: ErrCorrupt},
		{name: "size-with-leading-nul", archive: tgz(pj, withRaw(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) { copy(h[124:136], "\x000000000001\x00") })), wantErr: ErrCorrupt},
		{name: "size-base256", archive: tgz(pj, withRaw(ent{name: "package/x", body: "abc"}, func(h *[blockSize]byte) {
			copy(h[124:136], []byte{0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3})
		})), want: []string{"f 0644 package.json " + pkgJSON, "f 0644 x abc"}},
		{name: "size-negative-base256", archive: tgz(pj, withRaw(ent{name: "package/x", body: "abc"}, func(h *[blockSize]byte) {
			copy(h[124:136], bytes.Repeat([]byte{0xff}, 12))
		})), wantErr: ErrCorrupt},
		{name: "mtime-base256-unsafe", archive: tgz(pj, withRaw(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) {
			copy(h[136:148], []byte{0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		})), wantErr: ErrCorrupt},
		{name: "mtime-base256-negative", archive: tgz(pj, withRaw(ent{name: "package/x", body: "x"}, func(h *[blockSize]byte) {
			copy(h[136:148], bytes.Repeat([]byte{0xff}, 12)) // 1969-12-31T23:59:59Z
		})), want: []string{"f 0644 package.json " + pkgJSON, "f 0644 x x"}},
		{name: "ustar-prefix-wrong-version", archive: tgz(pj, withRaw(ent{name: "package/" + long, body: "x"}, func(h *[blockSize]byte) { copy(h[263:265], "  ") })), wantErr: ErrCorrupt},
		{name: "file-named-like-dir-with-data", archive: tgz(pj, ent{name: "package/d/", body: "data that node-tar would parse as headers"}), wantErr: ErrCorrupt},
		{name: "file-named-like-dir-empty", archive: tgz(pj, ent{name: "package/d/"}, ent{name: "package/d/f", body: "f"}),
			want: []string{"d 0755 d", "f 0644 d/f f", "f 0644 package.json " + pkgJSON}},
		{name: "file-with-link-name", archive: tgz(pj, ent{name: "package/x", body: string(tarOf(nil, ent{name: "package/hidden", body: "smuggled"})), link: "y"}), wantErr: ErrCorrupt},
		{name: "longname-header-without-name", archive: func(t testing.TB) []byte {
			return gz(t, tarOf(t, pj, ent{name: "", typ: typeGNULongName, body: "package/long\x00"}, ent{name: "package/short", body: "x"}))
		}, wantErr: ErrCorrupt},
		{name: "single-zero-block-then-entry", archive: func(t testing.TB) []byte {
			var b bytes.Buffer
			b.Write(tarOf(t, pj)[:1024])
			b.Write(make([]byte, blockSize))
			b.Write(tarOf(t, ent{name: "package/hidden", body: "x"}))
			return gz(t, b.Bytes())
		}, wantErr: ErrCorrupt},

		// Bombs.
		{name: "gzip-bomb-ratio", archive: zeroFileTgz("package/zeros", 3*RatioGrace), wantErr: ErrRatio, wantPath: "package/zeros"},
		// A genuine package's profiling dump (jsdom 0.1.23's gmon.out) is
		// mostly zeros: some 600x, under node-tar's 1000x, so npm installs it.
		{name: "sparse-file-under-npm-ratio", archive: tgz(pj, ent{name: "package/gmon.out", body: sparse}),
			want: []string{"f 0644 gmon.out " + sparse, "f 0644 package.json " + pkgJSON}},
		{name: "gzip-bomb-size", archive: zeroFileTgz("package/zeros", 3<<20), opts: NpmOptions{Limits: Limits{MaxTotalSize: 2 << 20}}, wantErr: ErrTooLarge, wantPath: "package/zeros"},
		{name: "file-too-large", archive: zeroFileTgz("package/zeros", 3<<20), opts: NpmOptions{Limits: Limits{MaxFileSize: 1 << 20}}, wantErr: ErrFileTooLarge, wantPath: "package/zeros"},
		{name: "package-json-too-large", archive: zeroFileTgz("package/package.json", MaxPackageJSON+1), wantErr: ErrFileTooLarge, wantPath: "package/package.json"},
		{name: "pax-comment-bomb", archive: manyEntries(10, func(i int) ent {
			return ent{name: "package/f" + itoa(i), pax: map[string]string{"comment": strings.Repeat("c", MaxMetaSize-100)}}
		}), opts: NpmOptions{Limits: Limits{MaxTotalSize: 1 << 20, MaxFiles: 20}}, wantErr: ErrTooLarge},
		{name: "absolute-size-bomb-many-files", archive: manyEntries(3, func(i int) ent { return ent{name: "package/z" + itoa(i), body: string(make([]byte, 1<<20))} }),
			opts: NpmOptions{Limits: Limits{MaxTotalSize: 2 << 20}}, wantErr: ErrTooLarge, wantPath: "package/z1"},
		{name: "many-entries-bomb", archive: manyEntries(1000, func(i int) ent { return ent{name: "package/f" + itoa(i)} }), opts: NpmOptions{Limits: Limits{MaxFiles: 100}}, wantErr: ErrTooManyFiles, wantPath: "package/f99"},
		{name: "many-symlinks-bomb", archive: manyEntries(1000, func(i int) ent { return ent{name: "package/l" + itoa(i), typ: typeSymlink, link: "x"} }), opts: NpmOptions{Limits: Limits{MaxFiles: 100}}, wantErr: ErrTooManyFiles, wantPath: "package/l99"},
		{name: "many-global-headers-bomb", archive: manyEntries(1000, func(i int) ent { return ent{name: "g", typ: typePAXGlobal, body: paxRecord("comment", "x")} }), opts: NpmOptions{Limits: Limits{MaxFiles: 100}}, wantErr: ErrTooManyFiles, wantPath: "g"},
		{name: "implied-directories-bomb", archive: manyEntries(10, func(i int) ent {
			return ent{name: "package/x", body: "x", pax: map[string]string{"path": "package/" + itoa(i) + "/" + strings.Repeat("d/", 100) + "f"}}
		}), opts: NpmOptions{Limits: Limits{MaxFiles: 500}}, wantErr: ErrTooManyFiles, wantPath: "package/4/" + strings.Repeat("d/", 100) + "f"},

		// Streams.
		{name: "empty-input", archive: func(testing.TB) []byte { return nil }, wantErr: ErrCorrupt},
		{name: "empty-gzip", archive: func(t testing.TB) []byte { return gz(t, nil) }, wantErr: ErrCorrupt},
		{name: "only-end-marker", archive: func(t testing.TB) []byte { return gz(t, make([]byte, 1024)) }, wantErr: ErrCorrupt},
		{name: "not-an-archive", archive: func(testing.TB) []byte { return []byte(strings.Repeat("<html>not a tarball</html>", 40)) }, wantErr: ErrCorrupt},
		{name: "zstd", archive: func(testing.TB) []byte { return append([]byte{0x28, 0xb5, 0x2f, 0xfd}, make([]byte, 600)...) }, wantErr: ErrCorrupt},
		{name: "plain-tar", archive: func(t testing.TB) []byte { return tarOf(t, pj, ent{name: "package/a", body: "a"}) },
			want: []string{"f 0644 a a", "f 0644 package.json " + pkgJSON}},
		{name: "no-end-marker", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj, ent{name: "package/a", body: "a"})
			return gz(t, b[:len(b)-1024])
		}, want: []string{"f 0644 a a", "f 0644 package.json " + pkgJSON}},
		{name: "truncated-gzip-header", archive: func(t testing.TB) []byte { return tgz(pj)(t)[:5] }, wantErr: ErrCorrupt},
		{name: "truncated-gzip", archive: func(t testing.TB) []byte { b := tgz(pj, ent{name: "package/a", body: "a"})(t); return b[:len(b)-4] }, wantErr: ErrCorrupt},
		{name: "truncated-gzip-mid-stream", archive: func(t testing.TB) []byte { b := tgz(pj, ent{name: "package/a", body: "a"})(t); return b[:len(b)/2] }, wantErr: ErrCorrupt},
		{name: "gzip-crc-mismatch", archive: func(t testing.TB) []byte {
			b := tgz(pj, ent{name: "package/a", body: "a"})(t)
			b[len(b)-8] ^= 1
			return b
		}, wantErr: ErrCorrupt},
		{name: "truncated-tar-data", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj, ent{name: "package/a", body: strings.Repeat("a", 3000)})
			return gz(t, b[:1024+512+1000])
		}, wantErr: ErrCorrupt, wantPath: "package/a"},
		{name: "truncated-tar-header", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj, ent{name: "package/a", body: "a"})
			return gz(t, b[:1024+300])
		}, wantErr: ErrCorrupt},
		{name: "trailing-garbage", archive: func(t testing.TB) []byte { return append(tgz(pj)(t), "garbage!"...) }, wantErr: ErrCorrupt},
		{name: "trailing-zeros", archive: func(t testing.TB) []byte { return append(tgz(pj)(t), make([]byte, 1000)...) },
			want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "trailing-zeros-then-garbage", archive: func(t testing.TB) []byte { return append(append(tgz(pj)(t), 0, 0), "garbage"...) }, wantErr: ErrCorrupt},
		{name: "concatenated-gzip-members", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj, ent{name: "package/a", body: strings.Repeat("a", 2000)})
			return append(gz(t, b[:1500]), gz(t, b[1500:])...) // split mid-entry
		}, want: []string{"f 0644 a " + strings.Repeat("a", 2000), "f 0644 package.json " + pkgJSON}},
		{name: "concatenated-gzip-three-members", archive: func(t testing.TB) []byte {
			// Split at a header boundary and inside one: zlib (Node's
			// gunzip) and Go's multistream gzip both decode every member.
			b := tarOf(t, pj, ent{name: "package/a", body: "a"}, ent{name: "package/b", body: "b"})
			return append(append(gz(t, b[:1024]), gz(t, b[1024:1800])...), gz(t, b[1800:])...)
		}, want: []string{"f 0644 a a", "f 0644 b b", "f 0644 package.json " + pkgJSON}},
		{name: "concatenated-gzip-second-member-truncated", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj, ent{name: "package/a", body: "a"})
			second := gz(t, b[1024:])
			return append(gz(t, b[:1024]), second[:len(second)-6]...)
		}, wantErr: ErrCorrupt},
		{name: "concatenated-gzip-member-then-garbage", archive: func(t testing.TB) []byte {
			b := tarOf(t, pj)
			return append(append(gz(t, b[:1024]), gz(t, b[1024:])...), "garbage"...)
		}, wantErr: ErrCorrupt},
		{name: "empty-gzip-member-appended", archive: func(t testing.TB) []byte { return append(tgz(pj)(t), gz(t, nil)...) },
			want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "data-after-tar-end", archive: func(t testing.TB) []byte {
			return gz(t, append(tarOf(t, pj), strings.Repeat("ignored by node-tar ", 100)...))
		}, want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "too-much-data-after-tar-end", archive: func(t testing.TB) []byte {
			return gz(t, append(tarOf(t, pj), make([]byte, MaxTrailingBytes+1)...))
		}, wantErr: ErrCorrupt},

		// pacote's layout rules.
		{name: "strip-any-first-segment", archive: tgz(ent{name: "ms/package.json", body: pkgJSON}, ent{name: "ms/index.d.ts", body: "d"}),
			want: []string{"f 0644 index.d.ts d", "f 0644 package.json " + pkgJSON}},
		{name: "strip-top-level-entries-skipped", archive: tgz(ent{name: "package/", typ: typeDir}, ent{name: "package", body: "top"}, pj),
			want: []string{"f 0644 package.json " + pkgJSON}, skipped: []string{"package"}},
		{name: "strip-dot-and-empty-segments", archive: tgz(pj, ent{name: "./package/y", body: "y"}, ent{name: "package//z", body: "z"}, ent{name: "package/./w", body: "w"}),
			want: []string{"d 0755 package", "f 0644 package.json " + pkgJSON, "f 0644 package/y y", "f 0644 w w", "f 0644 z z"}},
		{name: "empty-directories-not-created", archive: tgz(pj, ent{name: "package/empty/", typ: typeDir}, ent{name: "package/a/b/", typ: typeDir}),
			want: []string{"f 0644 package.json " + pkgJSON}},
		{name: "gitignore-renamed", archive: tgz(pj, ent{name: "package/.gitignore", body: "git"}, ent{name: "package/sub/.gitignore", body: "subgit", mode: 0o600}),
			want: []string{"f 0644 .npmignore git", "f 0644 package.json " + pkgJSON, "d 0755 sub", "f 0644 sub/.npmignore subgit"}},
		{name: "gitignore-after-npmignore-dropped", archive: tgz(pj, ent{name: "package/.npmignore", body: "npm"}, ent{name: "package/.gitignore", body: "git"}),
			want: []string{"f 0644 .npmignore npm", "f 0644 package.json " + pkgJSON}, skipped: []string{"package/.gitignore"}},
		{name: "npmignore-after-gitignore-replaces", archive: tgz(pj, ent{name: "package/.gitignore", body: "git", mode: 0o755}, ent{name: "package/.npmignore", body: "npm", mode: 0o644}),
			want: []string{"f 0755 .npmignore npm", "f 0644 package.json " + pkgJSON}},
		{name: "gitignore-twice", archive: tgz(pj, ent{name: "package/.gitignore", body: "1"}, ent{name: "package/.gitignore", body: "2"}), wantErr: ErrDuplicate, wantPath: "package/.gitignore"},
		{name: "gitignore-twice-same-bytes", archive: tgz(pj, ent{name: "package/.gitignore", body: "1"}, ent{name: "package/./.gitignore", body: "1"}),
			want: []string{"f 0644 .npmignore 1", "f 0644 package.json " + pkgJSON}},
		{name: "npmignore-twice", archive: tgz(pj, ent{name: "package/.npmignore", body: "1"}, ent{name: "package/.npmignore", body: "2"}), wantErr: ErrDuplicate, wantPath: "package/.npmignore"},
		{name: "npmignore-in-other-directory", archive: tgz(pj, ent{name: "package/a/.npmignore", body: "npm"}, ent{name: "package/.gitignore", body: "git"}),
			want: []string{"f 0644 .npmignore git", "d 0755 a", "f 0644 a/.npmignore npm", "f 0644 package.json " + pkgJSON}},
		{name: "modes-umask-022", archive: tgz(modeEnts()...), want: []string{
			"f 0644 a644 a", "f 0755 b755 b", "f 0644 c600 c", "f 0644 d000 d", "f 0755 e777 e", "f 0744 f700 f", "f 0644 g100644 g", "f 0654 h070 h", "f 0644 package.json " + pkgJSON}},
		{name: "modes-umask-077", opts: NpmOptions{Umask: 0o077}, archive: tgz(modeEnts()...), want: []string{
			"f 0600 a644 a", "f 0700 b755 b", "f 0600 c600 c", "f 0600 d000 d", "f 0700 e777 e", "f 0700 f700 f", "f 0600 g100644 g", "f 0600 h070 h", "f 0600 package.json " + pkgJSON}},
		{name: "modes-umask-0", zeroUmask: true, archive: tgz(modeEnts()...), want: []string{
			"f 0666 a644 a", "f 0777 b755 b", "f 0666 c600 c", "f 0666 d000 d", "f 0777 e777 e", "f 0766 f700 f", "f 0666 g100644 g", "f 0676 h070 h", "f 0666 package.json " + pkgJSON}},
		{name: "bins-executable", opts: NpmOptions{Bins: []string{"./cli.js", `bin\tool.js`, "../escape.js", "missing.js"}},
			archive: tgz(ent{name: "package/package.json", body: binJSON}, ent{name: "package/cli.js", body: "#!/usr/bin/env node", mode: 0o644},
				ent{name: "package/bin/tool.js", body: "t", mode: 0o600}, ent{name: "package/escape.js", body: "e"}, ent{name: "package/lib.js", body: "l", mode: 0o644}),
			want: []string{"d 0755 bin", "f 0755 bin/tool.js t", "f 0755 cli.js #!/usr/bin/env node", "f 0755 escape.js e", "f 0644 lib.js l", "f 0644 package.json " + binJSON}},
		{name: "bins-executable-umask-077", opts: NpmOptions{Bins: []string{"cli.js"}, Umask: 0o077},
			archive: tgz(ent{name: "package/package.json", body: `{"name":"x","version":"1.0.0","bin":"cli.js"}`}, ent{name: "package/cli.js", body: "c", mode: 0o644}),
			want:    []string{"f 0700 cli.js c", "f 0600 package.json " + `{"name":"x","version":"1.0.0","bin":"cli.js"}`}},
		{name: "contiguous-file", archive: tgz(pj, ent{name: "package/c", typ: typeContiguous, body: "c"}),
			want: []string{"f 0644 c c", "f 0644 package.json " + pkgJSON}},
		{name: "old-regular-file-typeflag", archive: tgz(pj, withRaw(ent{name: "package/o", body: "o"}, func(h *[blockSize]byte) { h[156] = 0 })),
			want: []string{"f 0644 o o", "f 0644 package.json " + pkgJSON}},
	}
}

const binJSON = `{"name":"x","version":"1.0.0","bin":{"x":"./cli.js","t":"bin\\tool.js","e":"../escape.js"}}`

func modeEnts() []ent {
	return []ent{pj,
		{name: "package/a644", body: "a", mode: 0o644},
		{name: "package/b755", body: "b", mode: 0o755},
		{name: "package/c600", body: "c", mode: 0o600},
		{name: "package/d000", body: "d", mode: 0o000},
		{name: "package/e777", body: "e", mode: 0o777},
		{name: "package/f700", body: "f", mode: 0o700},
		{name: "package/g100644", body: "g", mode: 0o100644},
		{name: "package/h070", body: "h", mode: 0o070},
	}
}

// dirs lists the directories above a path, as treeLines prints them.
func dirs(p string) []string {
	var out []string
	for i := range len(p) {
		if p[i] == '/' {
			out = append(out, "d 0755 "+p[:i])
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// tree prints dir as "d <mode> <path>" and "f <mode> <path> <content>" lines
// sorted by path.
func treeLines(t testing.TB, dir string) []string {
	t.Helper()
	var lines []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if info.IsDir() {
			lines = append(lines, "d "+modeString(info.Mode())+" "+rel)
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Error(err)
		}
		lines = append(lines, "f "+modeString(info.Mode())+" "+rel+" "+string(b))
		return nil
	})
	sort.Slice(lines, func(i, j int) bool { return strings.Fields(lines[i])[2] < strings.Fields(lines[j])[2] })
	return lines
}

func modeString(m os.FileMode) string { return fmt.Sprintf("%04o", m.Perm()) }

func TestNpmTarballCorpus(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			forceRootTree = backend == "root"
			for _, c := range corpus() {
				t.Run(c.name, func(t *testing.T) {
					runCase(t, c)
				})
			}
		})
	}
}

func runCase(t *testing.T, c corpusCase) {
	s := newSandbox(t)
	opts := c.opts
	if opts.Umask == 0 {
		opts.Umask = 0o022
	}
	if c.zeroUmask {
		// Zero means the process umask: make that 0 for this call.
		opts.Umask = 0
		defer setUmask(setUmask(0))
	}
	rep, err := NpmTarball(bytes.NewReader(c.bytes(t)), s.dir, opts)
	s.check(t)
	if c.wantErr != nil {
		if !errors.Is(err, c.wantErr) {
			t.Fatalf("error = %v, want %v", err, c.wantErr)
		}
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FileError", err)
		}
		if fe.Path != c.wantPath {
			t.Errorf("FileError.Path = %q, want %q", fe.Path, c.wantPath)
		}
		checkTarOnlyNamed(t, s.dir, c.bytes(t))
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := treeLines(t, s.dir)
	if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
		t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
	}
	if strings.Join(rep.Skipped, ",") != strings.Join(c.skipped, ",") {
		t.Errorf("Skipped = %q, want %q", rep.Skipped, c.skipped)
	}
	files, size := 0, int64(0)
	for _, l := range got {
		if l[0] == 'f' {
			files++
			size += int64(len(strings.SplitN(l, " ", 4)[3]))
		}
	}
	if rep.Files != files {
		t.Errorf("Report.Files = %d, want %d", rep.Files, files)
	}
	if rep.Bytes < size {
		t.Errorf("Report.Bytes = %d, less than the %d bytes on disk", rep.Bytes, size)
	}
	wantPJ, _ := os.ReadFile(filepath.Join(s.dir, "package.json"))
	if !bytes.Equal(rep.PackageJSON, wantPJ) {
		t.Errorf("Report.PackageJSON = %q, want %q", rep.PackageJSON, wantPJ)
	}
}

// checkTarOnlyNamed checks that a refused archive left in dir nothing but
// files the entries before the refused one name (as archive/tar reads them,
// first segment stripped, .gitignore renamed) and their parents.
func checkTarOnlyNamed(t testing.TB, dir string, archive []byte) {
	t.Helper()
	named := make(map[string]bool)
	raw := archive
	if b, err := gunzipBytes(archive); err == nil {
		raw = b
	} else if zr, err := gzip.NewReader(bytes.NewReader(archive)); err == nil {
		raw, _ = io.ReadAll(zr) // what decompresses before the damage
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		rel, _ := stripFirst(h.Name)
		if path.Base(rel) == ".gitignore" {
			rel = strings.TrimSuffix(rel, ".gitignore") + ".npmignore"
		}
		for ; rel != ""; rel = parentOf(rel) {
			named[rel] = true
		}
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !named[filepath.ToSlash(rel)] {
			t.Errorf("refused archive left %s, which it does not name", rel)
		}
		return nil
	})
}

// backends returns the ways of confining writes this system offers, forcing
// each in turn.
func backends(t *testing.T) []string {
	t.Cleanup(func() { forceRootTree = false })
	return []string{"beneath", "root"}
}

// TestNpmNeverOverwrites puts a file (or a directory) where an entry goes,
// as a file system that folds case or normalizes Unicode does when a second
// path maps onto the first: the entry must be refused, and what was there
// left as it was.
func TestNpmNeverOverwrites(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			forceRootTree = backend == "root"
			for _, c := range []struct{ planted, entry string }{
				{"README", "package/README"},
				{"lib/a", "package/lib/a"}, // the directory "lib" is in the way
			} {
				s := newSandbox(t)
				tr, err := openTree(s.dir)
				if err != nil {
					t.Fatal(err)
				}
				x := newNpmExtractor(tr, NpmOptions{Umask: 0o022})
				// Planted after the tree was opened, as the first of two
				// folded names would have been written.
				planted := filepath.Join(s.dir, c.planted)
				os.MkdirAll(filepath.Dir(planted), 0o755)
				if err := os.WriteFile(planted, []byte("first"), 0o644); err != nil {
					t.Fatal(err)
				}
				err = x.run(bytes.NewReader(tgz(pj, ent{name: c.entry, body: "second"})(t)))
				x.release()
				tr.close()
				if !errors.Is(err, ErrDuplicate) {
					t.Errorf("%s: error = %v, want ErrDuplicate", c.entry, err)
				}
				if got, _ := os.ReadFile(planted); string(got) != "first" {
					t.Errorf("%s: overwritten with %q", c.planted, got)
				}
				s.check(t)
			}
		})
	}
}
