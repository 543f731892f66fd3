package unpack

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// zipCase is one archive of the zip corpus: an attack that must be refused
// with a named error, or a behaviour of pip's that must be reproduced.
type zipCase struct {
	name     string
	archive  func(t testing.TB) []byte
	opts     ZipOptions // Umask 0o022 unless set
	wantErr  error      // nil: success
	wantPath string     // FileError.Path: the entry, or "" for the archive as a whole
	want     []string   // success: the tree, as treeLines prints it
}

var zipArchives sync.Map

func (c zipCase) bytes(t testing.TB) []byte {
	if b, ok := zipArchives.Load(c.name); ok {
		return b.([]byte)
	}
	b := c.archive(t)
	zipArchives.Store(c.name, b)
	return b
}

// z builds a zip from raw entries.
func z(ents ...zent) func(testing.TB) []byte {
	return func(testing.TB) []byte { return zipOf(zopts{}, ents...) }
}

// zo builds a zip with options.
func zo(o zopts, ents ...zent) func(testing.TB) []byte {
	return func(testing.TB) []byte { return zipOf(o, ents...) }
}

// A wheel's METADATA stands in for the files every case carries.
var meta = zent{name: "x-1.0.dist-info/METADATA", body: "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"}

var metaLines = []string{"d 0755 x-1.0.dist-info", "f 0644 x-1.0.dist-info/METADATA " + meta.body}

func withMeta(lines ...string) []string { return append(append([]string{}, metaLines...), lines...) }

// zeros is a file of n zero bytes.
func zeros(name string, n int) zent { return zent{name: name, body: string(make([]byte, n))} }

// patchCentral edits the i-th central directory header (offsets from its
// signature) after the archive is built.
func patchCentral(i int, f func(h []byte)) func([]byte, *zipLayout) []byte {
	return func(b []byte, lay *zipLayout) []byte { f(b[lay.central[i]:]); return b }
}

func patchEnd(f func(e []byte)) func([]byte, *zipLayout) []byte {
	return func(b []byte, lay *zipLayout) []byte { f(b[lay.endOff:]); return b }
}

func zipCorpus() []zipCase {
	le16 := binary.LittleEndian.PutUint16
	le32 := binary.LittleEndian.PutUint32
	const nfc, nfd = "caf\u00e9.py", "cafe\u0301.py"
	return []zipCase{
		// Paths.
		{name: "zip-dotdot-traversal", archive: z(meta, zent{name: "../outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "../outside"},
		{name: "zip-dotdot-deep", archive: z(meta, zent{name: "x/a/../../../outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "x/a/../../../outside"},
		{name: "zip-dotdot-directory", archive: z(meta, zent{name: "../d/"}), wantErr: ErrUnsafePath, wantPath: "../d/"},
		{name: "zip-absolute-path", archive: z(meta, zent{name: "/tmp/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "/tmp/outside"},
		{name: "zip-backslash-dotdot", archive: z(meta, zent{name: `..\..\outside`, body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "..\\..\\outside"},
		{name: "zip-backslash", archive: z(meta, zent{name: `x\y.py`, body: "x"}), wantErr: ErrUnsafePath, wantPath: "x\\y.py"},
		{name: "zip-drive-letter", archive: z(meta, zent{name: "C:/outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "C:/outside"},
		{name: "zip-drive-relative", archive: z(meta, zent{name: "c:outside", body: "pwned"}), wantErr: ErrUnsafePath, wantPath: "c:outside"},
		{name: "zip-nul-in-name", archive: z(meta, zent{name: "x.py\x00.txt", body: "x"}), wantErr: ErrUnsafePath, wantPath: "x.py\x00.txt"},
		{name: "zip-control-char", archive: z(meta, zent{name: "a\x01b", body: "x"}), wantErr: ErrUnsafePath, wantPath: "a\x01b"},
		{name: "zip-escape-char", archive: z(meta, zent{name: "\x1b[31mred", body: "x"}), wantErr: ErrUnsafePath, wantPath: "\x1b[31mred"},
		{name: "zip-newline", archive: z(meta, zent{name: "a\nb", body: "x"}), wantErr: ErrUnsafePath, wantPath: "a\nb"},
		{name: "zip-invalid-utf8", archive: z(meta, zent{name: "a\xffb", body: "x", flags: flagUTF8}), wantErr: ErrUnsafePath, wantPath: "a\xffb"},
		// Python's zipfile decodes an unflagged name as CP437 ("\x82" is
		// "é"), other readers keep the bytes.
		{name: "zip-cp437-name", archive: z(meta, zent{name: "caf\x82.py", body: "x", noUTF8Flag: true}), wantErr: ErrUnsafePath, wantPath: "caf\x82.py"},
		{name: "zip-utf8-name-unflagged", archive: z(meta, zent{name: nfc, body: "x", noUTF8Flag: true}), wantErr: ErrUnsafePath, wantPath: "café.py"},
		{name: "zip-utf8-name", archive: z(meta, zent{name: "x/" + nfc, body: "é"}), want: withMeta("d 0755 x", "f 0644 x/"+nfc+" é")},
		{name: "zip-empty-name", archive: z(meta, zent{name: "", body: "x"}), wantErr: ErrUnsafePath},
		{name: "zip-root-name", archive: z(meta, zent{name: "/"}), wantErr: ErrUnsafePath, wantPath: "/"},
		{name: "zip-empty-segment", archive: z(meta, zent{name: "x//y.py", body: "x"}), wantErr: ErrUnsafePath, wantPath: "x//y.py"},
		{name: "zip-dot-segment", archive: z(meta, zent{name: "./x.py", body: "x"}), wantErr: ErrUnsafePath, wantPath: "./x.py"},
		{name: "zip-path-too-long", archive: z(meta, zent{name: strings.Repeat("a/", 520) + "f", body: "x"}), wantErr: ErrPathTooLong, wantPath: strings.Repeat("a/", 520) + "f"},
		{name: "zip-segment-too-long", archive: z(meta, zent{name: strings.Repeat("a", 256), body: "x"}), wantErr: ErrPathTooLong, wantPath: strings.Repeat("a", 256)},
		{name: "zip-deep-nesting", archive: z(meta, zent{name: strings.Repeat("d/", 128) + "f", body: "x"}), wantErr: ErrTooDeep, wantPath: strings.Repeat("d/", 128) + "f"},
		{name: "zip-deep-nesting-within-limit", archive: z(meta, zent{name: "d/d/d/f", body: "deep"}),
			want: withMeta("d 0755 d", "d 0755 d/d", "d 0755 d/d/d", "f 0644 d/d/d/f deep")},

		// Types and modes.
		{name: "zip-symlink-to-etc", archive: z(meta, zent{name: "x/passwd", body: "/etc/passwd", mode: 0o120777}), wantErr: ErrSpecialFile, wantPath: "x/passwd"},
		{name: "zip-symlink-then-file-through-it", archive: z(meta, zent{name: "lib", body: "../..", mode: 0o120777}, zent{name: "lib/outside", body: "pwned"}),
			wantErr: ErrSpecialFile, wantPath: "lib"},
		{name: "zip-char-device", archive: z(meta, zent{name: "null", mode: 0o020666}), wantErr: ErrSpecialFile, wantPath: "null"},
		{name: "zip-block-device", archive: z(meta, zent{name: "sda", mode: 0o060660}), wantErr: ErrSpecialFile, wantPath: "sda"},
		{name: "zip-fifo", archive: z(meta, zent{name: "fifo", mode: 0o010644}), wantErr: ErrSpecialFile, wantPath: "fifo"},
		{name: "zip-socket", archive: z(meta, zent{name: "sock", mode: 0o140755}), wantErr: ErrSpecialFile, wantPath: "sock"},
		{name: "zip-directory-mode-on-file-name", archive: z(meta, zent{name: "d", mode: 0o040755}), wantErr: ErrSpecialFile, wantPath: "d"},
		{name: "zip-file-mode-on-directory-name", archive: z(meta, zent{name: "d/", mode: 0o100644}), wantErr: ErrSpecialFile, wantPath: "d/"},
		{name: "zip-setuid", archive: z(meta, zent{name: "suid", body: "x", mode: 0o104755}), wantErr: ErrSetuid, wantPath: "suid"},
		{name: "zip-setgid", archive: z(meta, zent{name: "sgid", body: "x", mode: 0o102755}), wantErr: ErrSetuid, wantPath: "sgid"},
		{name: "zip-sticky", archive: z(meta, zent{name: "sticky", body: "x", mode: 0o101644}), wantErr: ErrSetuid, wantPath: "sticky"},
		{name: "zip-setgid-directory-entry-ignored", archive: z(meta, zent{name: "lib/", mode: 0o042775}, zent{name: "lib/a", body: "a"}),
			want: withMeta("d 0755 lib", "f 0644 lib/a a")},
		// pip: executable when the mode is a regular file with any x bit;
		// the result is 0o777 &^ umask | 0o111 whatever the other bits.
		{name: "zip-modes-umask-022", archive: z(zipModeEnts()...), want: withMeta(
			"f 0644 a644 a", "f 0755 b755 b", "f 0644 c600 c", "f 0755 d100 d", "f 0644 e755-no-type e", "f 0644 f-dos f", "f 0755 g010 g", "f 0644 h000 h")},
		{name: "zip-modes-umask-077", opts: ZipOptions{Umask: 0o077}, archive: z(zipModeEnts()...), want: []string{
			"f 0600 a644 a", "f 0711 b755 b", "f 0600 c600 c", "f 0711 d100 d", "f 0600 e755-no-type e", "f 0600 f-dos f", "f 0711 g010 g", "f 0600 h000 h",
			"d 0700 x-1.0.dist-info", "f 0600 x-1.0.dist-info/METADATA " + meta.body}},
		{name: "zip-modes-umask-002", opts: ZipOptions{Umask: 0o002}, archive: z(meta, zent{name: "b755", body: "b", mode: 0o100755}, zent{name: "a644", body: "a"}),
			want: []string{"f 0664 a644 a", "f 0775 b755 b", "d 0775 x-1.0.dist-info", "f 0664 x-1.0.dist-info/METADATA " + meta.body}},

		// Repeats. Unlike npm tarballs, no wheel writer repeats a name, so
		// every repeat is refused, even with the same bytes.
		{name: "zip-duplicate-file", archive: z(meta, zent{name: "a", body: "first"}, zent{name: "a", body: "second"}), wantErr: ErrDuplicate, wantPath: "a"},
		{name: "zip-duplicate-same-bytes", archive: z(meta, zent{name: "a", body: "same"}, zent{name: "a", body: "same"}), wantErr: ErrDuplicate, wantPath: "a"},
		{name: "zip-duplicate-metadata", archive: z(meta, zent{name: meta.name, body: "Name: evil\n"}), wantErr: ErrDuplicate, wantPath: meta.name},
		{name: "zip-file-then-directory", archive: z(meta, zent{name: "a", body: "file"}, zent{name: "a/"}), wantErr: ErrDuplicate, wantPath: "a/"},
		{name: "zip-directory-then-file", archive: z(meta, zent{name: "a/"}, zent{name: "a", body: "file"}), wantErr: ErrDuplicate, wantPath: "a"},
		{name: "zip-file-then-file-inside", archive: z(meta, zent{name: "a", body: "file"}, zent{name: "a/b", body: "inner"}), wantErr: ErrDuplicate, wantPath: "a/b"},
		{name: "zip-file-inside-then-file", archive: z(meta, zent{name: "a/b", body: "inner"}, zent{name: "a", body: "file"}), wantErr: ErrDuplicate, wantPath: "a"},
		{name: "zip-directory-twice", archive: z(meta, zent{name: "a/"}, zent{name: "a/"}), wantErr: ErrDuplicate, wantPath: "a/"},
		{name: "zip-directory-after-its-file", archive: z(meta, zent{name: "a/b", body: "b"}, zent{name: "a/"}), want: withMeta("d 0755 a", "f 0644 a/b b")},
		{name: "zip-empty-directory", archive: z(meta, zent{name: "empty/"}, zent{name: "deeper/still/"}),
			want: withMeta("d 0755 deeper", "d 0755 deeper/still", "d 0755 empty")},
		// On Linux, as pip does (and node-tar for npm), names that differ
		// only in case or Unicode normalization are distinct files, and
		// both are written. Each is created with O_EXCL, so on a file
		// system that folds them one could never overwrite the other
		// (TestZipNeverOverwrites proves it): extraction fails instead.
		{name: "zip-case-collision", archive: z(meta, zent{name: "x/README", body: "upper"}, zent{name: "x/readme", body: "lower"}),
			want: withMeta("d 0755 x", "f 0644 x/README upper", "f 0644 x/readme lower")},
		{name: "zip-case-collision-directories", archive: z(meta, zent{name: "X/a", body: "1"}, zent{name: "x/a", body: "2"}),
			want: withMeta("d 0755 X", "f 0644 X/a 1", "d 0755 x", "f 0644 x/a 2")},
		{name: "zip-nfc-nfd-collision", archive: z(meta, zent{name: nfc, body: "nfc"}, zent{name: nfd, body: "nfd"}),
			want: withMeta("f 0644 "+nfc+" nfc", "f 0644 "+nfd+" nfd")},

		// Structure: what one reader could see differently from another.
		{name: "zip-local-name-mismatch", archive: z(meta, zent{name: "x/harmless.py", localName: "x/evil.pth", body: "import os"}), wantErr: ErrCorrupt, wantPath: "x/harmless.py"},
		{name: "zip-local-name-traversal", archive: z(meta, zent{name: "x/a.py", localName: "../../a.py", body: "x"}), wantErr: ErrCorrupt, wantPath: "x/a.py"},
		{name: "zip-local-flags-mismatch", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte { b[lay.local[1]+6] |= 1 << 1; return b }}, meta, zent{name: "a", body: "a"}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-local-method-mismatch", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte { le16(b[lay.local[1]+8:], 0); return b }}, meta, zent{name: "a", body: "a"}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-local-size-mismatch", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte { le32(b[lay.local[1]+22:], 2); return b }}, meta, zent{name: "a", body: "a"}), wantErr: ErrCorrupt, wantPath: "a"},
		// Fifield's non-recursive bomb: many central entries share one
		// local file's data.
		{name: "zip-overlap-shared-local-header", archive: zo(zopts{patch: patchCentral(1, func(h []byte) { le32(h[42:], 0) })}, meta, zent{name: "b", body: "b"}), wantErr: ErrCorrupt, wantPath: "b"},
		{name: "zip-overlap-data-covers-next-header", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte {
			// Entry 1's stored data is declared long enough to hold entry
			// 2's header and data, which it then quotes.
			n := uint32(lay.local[2] - lay.local[1] - localLen - 1 + 31 + 1)
			for _, off := range []int{lay.local[1] + 18, lay.local[1] + 22, lay.central[1] + 20, lay.central[1] + 24} {
				le32(b[off:], n)
			}
			return b
		}}, meta, zent{name: "a", body: "a", store: true}, zent{name: "b", body: "b", store: true}), wantErr: ErrCorrupt, wantPath: "b"},
		{name: "zip-hidden-entry-in-gap", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte {
			// Drop entry 1 from the central directory: its local header
			// stays, seen only by streaming readers.
			cd := append([]byte{}, b[lay.central[0]:lay.central[1]]...)
			cd = append(cd, b[lay.central[2]:lay.endOff]...)
			out := append(append([]byte{}, b[:lay.cdOff]...), cd...)
			end := append([]byte{}, b[lay.endOff:]...)
			le16(end[8:], 2)
			le16(end[10:], 2)
			le32(end[12:], uint32(len(cd)))
			return append(out, end...)
		}}, meta, zent{name: "hidden.pth", body: "import evil"}, zent{name: "a", body: "a"}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-prepended-junk", archive: zo(zopts{prefix: []byte("#!/bin/sh\necho self-extracting\n")}, meta), wantErr: ErrCorrupt},
		{name: "zip-trailing-junk", archive: zo(zopts{suffix: []byte("garbage")}, meta), wantErr: ErrCorrupt},
		{name: "zip-archive-comment", archive: zo(zopts{comment: "built by hand"}, meta), want: metaLines},
		{name: "zip-end-record-in-comment", archive: func(t testing.TB) []byte {
			// A second, fake end record in the comment: readers that take
			// the first one and readers that take the last would differ.
			inner := zipOf(zopts{}, meta)
			fake := inner[len(inner)-endLen:]
			return zipOf(zopts{comment: string(fake)}, meta)
		}, wantErr: ErrCorrupt},
		{name: "zip-truncated-end-record", archive: func(t testing.TB) []byte { b := zipOf(zopts{}, meta); return b[:len(b)-1] }, wantErr: ErrCorrupt},
		{name: "zip-truncated-mid-archive", archive: func(t testing.TB) []byte { b := zipOf(zopts{}, meta, zent{name: "a", body: "a"}); return b[:len(b)/2] }, wantErr: ErrCorrupt},
		{name: "zip-empty-input", archive: func(testing.TB) []byte { return nil }, wantErr: ErrCorrupt},
		{name: "zip-not-a-zip", archive: func(testing.TB) []byte { return []byte(strings.Repeat("<html>not a wheel</html>", 40)) }, wantErr: ErrCorrupt},
		{name: "zip-no-entries", archive: zo(zopts{}), want: nil},
		{name: "zip-entry-count-mismatch", archive: zo(zopts{patch: patchEnd(func(e []byte) { le16(e[8:], 2); le16(e[10:], 2) })}, meta), wantErr: ErrCorrupt},
		{name: "zip-central-size-mismatch", archive: zo(zopts{patch: patchEnd(func(e []byte) { le32(e[12:], binary.LittleEndian.Uint32(e[12:])-1) })}, meta), wantErr: ErrCorrupt},
		{name: "zip-multi-disk", archive: zo(zopts{patch: patchEnd(func(e []byte) { le16(e[4:], 1); le16(e[6:], 1) })}, meta), wantErr: ErrCorrupt},
		{name: "zip-multi-disk-entry", archive: zo(zopts{patch: patchCentral(0, func(h []byte) { le16(h[34:], 1) })}, meta), wantErr: ErrCorrupt, wantPath: "x-1.0.dist-info/METADATA"},
		{name: "zip-version-needed-too-high", archive: zo(zopts{patch: patchCentral(0, func(h []byte) { h[6] = 64 })}, meta), wantErr: ErrCorrupt, wantPath: meta.name},
		{name: "zip-bad-central-signature", archive: zo(zopts{patch: patchCentral(0, func(h []byte) { h[0] = 'X' })}, meta), wantErr: ErrCorrupt},
		{name: "zip-bad-local-signature", archive: zo(zopts{patch: func(b []byte, _ *zipLayout) []byte { b[0] = 'X'; return b }}, meta), wantErr: ErrCorrupt, wantPath: "x-1.0.dist-info/METADATA"},

		// Data.
		{name: "zip-size-larger-than-declared", archive: z(meta, zent{name: "a", body: "abcdef", usize: u64(3)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-size-smaller-than-declared", archive: z(meta, zent{name: "a", body: "abc", usize: u64(6)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-stored-size-mismatch", archive: z(meta, zent{name: "a", body: "abc", store: true, csize: u64(2)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-crc-mismatch", archive: z(meta, zent{name: "a", body: "abc", crc: u32(1)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-stored-crc-mismatch", archive: z(meta, zent{name: "a", body: "abc", store: true, crc: u32(1)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-deflate-trailing-bytes", archive: z(meta, zent{name: "a", body: "abc", data: append(deflate([]byte("abc")), "hidden"...)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-deflate-truncated", archive: z(meta, zent{name: "a", body: strings.Repeat("abc", 1000), data: deflate([]byte(strings.Repeat("abc", 1000)))[:10]}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-deflate-invalid", archive: z(meta, zent{name: "a", body: "abc", data: []byte{0xff, 0xff, 0xff, 0xff}}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-directory-with-data", archive: z(meta, zent{name: "d/", body: "data"}), wantErr: ErrCorrupt, wantPath: "d/"},
		{name: "zip-encrypted", archive: z(meta, zent{name: "a", body: "abc", flags: flagEncrypted}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-strong-encryption", archive: z(meta, zent{name: "a", body: "abc", flags: flagEncrypted | flagStrongCrypto}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-masked-local-headers", archive: z(meta, zent{name: "a", body: "abc", flags: flagMaskedHeader}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-method-bzip2", archive: z(meta, zent{name: "a", body: "abc", method: u16(12)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-method-lzma", archive: z(meta, zent{name: "a", body: "abc", method: u16(14)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-method-zstd", archive: z(meta, zent{name: "a", body: "abc", method: u16(93)}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-stored", archive: z(meta, zent{name: "a", body: "stored", store: true}), want: withMeta("f 0644 a stored")},
		{name: "zip-unicode-path-extra", archive: z(meta, zent{name: "a.py", body: "x", extra: []byte{0x75, 0x70, 9, 0, 1, 0, 0, 0, 0, 'e', 'v', 'i', 'l'}}), wantErr: ErrCorrupt, wantPath: "a.py"},
		{name: "zip-malformed-extra", archive: z(meta, zent{name: "a.py", body: "x", extra: []byte{0x55, 0x54, 9, 0, 1}}), wantErr: ErrCorrupt, wantPath: "a.py"},
		{name: "zip-duplicate-extra", archive: z(meta, zent{name: "a.py", body: "x", extra: []byte{0x55, 0x54, 1, 0, 0, 0x55, 0x54, 1, 0, 0}}), wantErr: ErrCorrupt, wantPath: "a.py"},
		{name: "zip-timestamp-extra", archive: z(meta, zent{name: "a.py", body: "x", extra: []byte{0x55, 0x54, 5, 0, 1, 0, 0, 0, 0}}), want: withMeta("f 0644 a.py x")},
		{name: "zip-data-descriptor", archive: z(meta, zent{name: "a", body: "streamed", descriptor: true}), want: withMeta("f 0644 a streamed")},
		{name: "zip-data-descriptor-mismatch", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte { b[lay.cdOff-4]++; return b }}, meta, zent{name: "a", body: "streamed", descriptor: true}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-data-descriptor-without-signature", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte {
			// Cut the descriptor's signature and shift the offsets after it.
			out := append(append([]byte{}, b[:lay.cdOff-16]...), b[lay.cdOff-12:]...)
			le32(out[lay.endOff-4+16:], uint32(lay.cdOff-4))
			return out
		}}, meta, zent{name: "a", body: "streamed", descriptor: true}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip-descriptor-flag-without-descriptor", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte {
			b[lay.local[1]+6] |= flagDescriptor
			b[lay.central[1]+8] |= flagDescriptor
			return b
		}}, meta, zent{name: "a", body: "a"}), wantErr: ErrCorrupt, wantPath: "a"},
		{name: "zip64-valid", archive: zo(zopts{zip64End: true}, zent{name: meta.name, body: meta.body, zip64: true}, zent{name: "a", body: "sixty-four", zip64: true}),
			want: withMeta("f 0644 a sixty-four")},
		{name: "zip64-valid-with-descriptor", archive: zo(zopts{zip64End: true}, meta, zent{name: "a", body: "sixty-four", zip64: true, descriptor: true}),
			want: withMeta("f 0644 a sixty-four")},
		{name: "zip64-end-records-only", archive: zo(zopts{zip64End: true}, meta), want: metaLines},
		{name: "zip64-end-disagrees", archive: zo(zopts{zip64End: true, patch: patchEnd(func(e []byte) { le16(e[10:], 5) })}, meta), wantErr: ErrCorrupt},
		{name: "zip64-locator-wrong-offset", archive: zo(zopts{zip64End: true, patch: func(b []byte, lay *zipLayout) []byte {
			binary.LittleEndian.PutUint64(b[lay.endOff-12:], 3)
			return b
		}}, meta), wantErr: ErrCorrupt},
		{name: "zip64-multi-disk", archive: zo(zopts{zip64End: true, patch: func(b []byte, lay *zipLayout) []byte { le32(b[lay.endOff-4:], 2); return b }}, meta), wantErr: ErrCorrupt},
		{name: "zip64-saturated-without-extra", archive: zo(zopts{patch: patchCentral(0, func(h []byte) { le32(h[24:], sat32) })}, meta), wantErr: ErrCorrupt, wantPath: "x-1.0.dist-info/METADATA"},
		{name: "zip64-extra-disagrees-with-local", archive: zo(zopts{patch: func(b []byte, lay *zipLayout) []byte {
			// The central zip64 record says 11 bytes, the local one 10.
			binary.LittleEndian.PutUint64(b[lay.central[1]+centralLen+1+4:], 11)
			return b
		}}, meta, zent{name: "a", body: "sixty-four", zip64: true}), wantErr: ErrCorrupt, wantPath: "a"},

		// Bombs.
		{name: "zip-bomb-ratio", archive: z(meta, zeros("zeros", 3*RatioGrace)), opts: ZipOptions{Limits: Limits{MaxRatio: 100}}, wantErr: ErrRatio, wantPath: ""},
		// Declared sizes are checked before anything is read: within
		// MaxFileSize but impossible for the archive's size.
		{name: "zip-bomb-declared-size", archive: z(meta, zent{name: "zeros", body: "0", usize: u64(0xfffffff0)}), wantErr: ErrRatio, wantPath: ""},
		{name: "zip-bomb-declared-size-zip64", archive: z(meta, zent{name: "zeros", body: "0", usize: u64(1 << 40), zip64: true}), wantErr: ErrFileTooLarge, wantPath: "zeros"},
		{name: "zip-bomb-absolute-size", archive: z(meta, zeros("z1", 1<<20), zeros("z2", 1<<20), zeros("z3", 1<<20)), opts: ZipOptions{Limits: Limits{MaxTotalSize: 2 << 20}}, wantErr: ErrTooLarge, wantPath: "z2"},
		{name: "zip-file-too-large", archive: z(meta, zeros("zeros", 2<<20)), opts: ZipOptions{Limits: Limits{MaxFileSize: 1 << 20}}, wantErr: ErrFileTooLarge, wantPath: "zeros"},
		{name: "zip-many-entries-bomb", archive: func(testing.TB) []byte {
			ents := []zent{meta}
			for i := range 1000 {
				ents = append(ents, zent{name: "f" + itoa(i)})
			}
			return zipOf(zopts{}, ents...)
		}, opts: ZipOptions{Limits: Limits{MaxFiles: 100}}, wantErr: ErrTooManyFiles},
		{name: "zip-implied-directories-bomb", archive: func(testing.TB) []byte {
			ents := []zent{meta}
			for i := range 10 {
				ents = append(ents, zent{name: itoa(i) + "/" + strings.Repeat("d/", 100) + "f"})
			}
			return zipOf(zopts{}, ents...)
		}, opts: ZipOptions{Limits: Limits{MaxFiles: 500}}, wantErr: ErrTooManyFiles, wantPath: "4/" + strings.Repeat("d/", 100) + "f"},

		// Real writers.
		{name: "zip-go-writer", archive: func(t testing.TB) []byte {
			exe := zip.FileHeader{Name: "x-1.0.data/scripts/tool", Comment: "#!python\n", Method: zip.Deflate}
			exe.SetMode(0o755)
			return goZip(t, zip.FileHeader{Name: meta.name, Comment: meta.body, Method: zip.Deflate},
				zip.FileHeader{Name: "x/", Method: zip.Store},
				zip.FileHeader{Name: "x/" + nfc, Comment: "é", Method: zip.Deflate},
				zip.FileHeader{Name: "x/stored", Comment: "s", Method: zip.Store},
				exe)
		}, want: withMeta("d 0755 x", "f 0644 x/"+nfc+" é", "f 0644 x/stored s", "d 0755 x-1.0.data", "d 0755 x-1.0.data/scripts", "f 0755 x-1.0.data/scripts/tool #!python\n")},
	}
}

func zipModeEnts() []zent {
	return []zent{meta,
		{name: "a644", body: "a", mode: 0o100644},
		{name: "b755", body: "b", mode: 0o100755},
		{name: "c600", body: "c", mode: 0o100600},
		{name: "d100", body: "d", mode: 0o100100},
		{name: "e755-no-type", body: "e", mode: 0o000755},
		{name: "f-dos", body: "f", noMode: true},
		{name: "g010", body: "g", mode: 0o100010},
		{name: "h000", body: "h", mode: 0o100000},
	}
}

func TestZipCorpus(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			forceRootTree = backend == "root"
			for _, c := range zipCorpus() {
				t.Run(c.name, func(t *testing.T) { runZipCase(t, c) })
			}
		})
	}
}

func runZipCase(t *testing.T, c zipCase) {
	s := newSandbox(t)
	opts := c.opts
	if opts.Umask == 0 {
		opts.Umask = 0o022
	}
	b := c.bytes(t)
	rep, err := Zip(bytes.NewReader(b), int64(len(b)), s.dir, opts)
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
		checkOnlyNamed(t, s.dir, b)
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	got := treeLines(t, s.dir)
	want := slices.Clone(c.want)
	sort.Slice(want, func(i, j int) bool { return strings.Fields(want[i])[2] < strings.Fields(want[j])[2] })
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkZipReport(t, s.dir, rep)
}

// checkOnlyNamed checks that a refused archive left in dir nothing but
// entries it names (as archive/zip reads them) and their parents: the
// structure is checked before anything is written, so most refusals leave
// dir empty, and a file refused while it is written is one the archive names.
func checkOnlyNamed(t testing.TB, dir string, archive []byte) {
	t.Helper()
	named := make(map[string]bool)
	if zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive))); err == nil {
		for _, f := range zr.File {
			for p := strings.TrimSuffix(f.Name, "/"); p != ""; p = parentOf(p) {
				named[p] = true
			}
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

// checkZipReport checks that every reported file is on disk with the
// reported size, digest and mode, and that nothing else is.
func checkZipReport(t testing.TB, dir string, rep *ZipReport) {
	t.Helper()
	var total int64
	reported := make(map[string]bool)
	for _, f := range rep.Files {
		reported[f.Name] = true
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("reported %q: %v", f.Name, err)
			continue
		}
		info, _ := os.Lstat(p)
		if int64(len(b)) != f.Size || sha256.Sum256(b) != f.SHA256 || info.Mode() != f.Mode {
			t.Errorf("reported %q: size %d, mode %v; on disk %d bytes, mode %v, or another digest", f.Name, f.Size, f.Mode, len(b), info.Mode())
		}
		if f.Executable != (f.Mode&0o111 != 0) {
			t.Errorf("reported %q: Executable %v with mode %v", f.Name, f.Executable, f.Mode)
		}
		total += f.Size
	}
	if total != rep.Bytes {
		t.Errorf("Report.Bytes = %d, files add up to %d", rep.Bytes, total)
	}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			if !reported[filepath.ToSlash(rel)] {
				t.Errorf("%s written but not reported", rel)
			}
		}
		return nil
	})
}

// TestZipNeverOverwrites puts a file where an entry goes, as a file system
// that folds case or normalizes Unicode does when a second name maps onto
// the first: the entry must be refused, and the file left as it was.
func TestZipNeverOverwrites(t *testing.T) {
	for _, backend := range backends(t) {
		t.Run(backend, func(t *testing.T) {
			forceRootTree = backend == "root"
			// "x" is already made by the extractor; "y" is a directory in
			// the way.
			for _, name := range []string{"readme", "x/readme", "y/readme"} {
				s := newSandbox(t)
				b := zipOf(zopts{}, zent{name: name, body: "second"})
				entries, err := zipDirectory(bytes.NewReader(b), int64(len(b)), DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				x := &zipExtractor{lim: DefaultLimits, umask: 0o022, dirMode: 0o755, seen: map[string]kind{}, named: map[string]bool{}, buf: bufPool.Get().(*[]byte)}
				if err := x.plan(entries, int64(len(b))); err != nil {
					t.Fatal(err)
				}
				if x.t, err = openTree(s.dir); err != nil {
					t.Fatal(err)
				}
				// The first name, written as the file system folded it.
				os.MkdirAll(filepath.Dir(filepath.Join(s.dir, name)), 0o755)
				if strings.HasPrefix(name, "x/") {
					x.seen["x"] = kindDirMade
				}
				if err := os.WriteFile(filepath.Join(s.dir, name), []byte("first"), 0o644); err != nil {
					t.Fatal(err)
				}
				err = x.extract(bytes.NewReader(b), entries[0])
				x.t.close()
				if !errors.Is(err, ErrDuplicate) {
					t.Errorf("%s: error = %v, want ErrDuplicate", name, err)
				}
				if got, _ := os.ReadFile(filepath.Join(s.dir, name)); string(got) != "first" {
					t.Errorf("%s: overwritten with %q", name, got)
				}
				s.check(t)
			}
		})
	}
}

// TestZipRealWheels extracts real wheels and compares the trees with what
// pip 23 (pip._internal.utils.unpacking.unzip_file, the same copy and chmod
// as its wheel installer) wrote from them, recorded in the .golden files.
func TestZipRealWheels(t *testing.T) {
	wheels, _ := filepath.Glob("testdata/wheel/*.whl")
	if len(wheels) == 0 {
		t.Fatal("no wheels in testdata/wheel")
	}
	for _, p := range wheels {
		t.Run(filepath.Base(p), func(t *testing.T) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			s := newSandbox(t)
			rep, err := Zip(bytes.NewReader(b), int64(len(b)), s.dir, ZipOptions{Umask: 0o022})
			if err != nil {
				t.Fatal(err)
			}
			s.check(t)
			checkZipReport(t, s.dir, rep)
			golden, err := os.ReadFile(p + ".golden")
			if err != nil {
				t.Fatal(err)
			}
			if got := listing(t, s.dir); got != string(golden) {
				t.Errorf("tree differs from pip's:\n%s\nwant:\n%s", got, golden)
			}
			// archive/zip reads the same files with the same contents.
			zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != len(rep.Files) {
				t.Errorf("archive/zip sees %d files, Zip reported %d", len(zr.File), len(rep.Files))
			}
		})
	}
}

// TestZipCorpusAgainstPip runs the zip corpus through pip's own extraction
// code (testdata/oracle/pip-unzip.py, with the pip installed here) and checks
// that every archive airlock accepts pip accepts too, with the same files,
// contents and modes. Archives airlock refuses are logged with what pip does
// with them. Skipped when python3 cannot import pip.
func TestZipCorpusAgainstPip(t *testing.T) {
	if testing.Short() {
		t.Skip("runs python3")
	}
	if err := exec.Command("python3", "-c", "import pip._internal.utils.unpacking").Run(); err != nil {
		t.Skip("python3 with pip unavailable:", err)
	}
	umask := ProcessUmask()
	work := t.TempDir()
	type job struct {
		Zip  string `json:"zip"`
		Dest string `json:"dest"`
	}
	cases := zipCorpus()
	// Real wheels too: ours, and those the system ships, if any.
	wheels, _ := filepath.Glob("testdata/wheel/*.whl")
	system, _ := filepath.Glob("/usr/share/python-wheels/*.whl")
	for _, p := range append(wheels, system...) {
		cases = append(cases, zipCase{name: filepath.Base(p), archive: func(t testing.TB) []byte {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}})
	}
	jobs := make([]job, len(cases))
	for i, c := range cases {
		jobs[i] = job{Zip: filepath.Join(work, itoa(i)+".zip"), Dest: filepath.Join(work, "pip", itoa(i))}
		if err := os.WriteFile(jobs[i].Zip, c.bytes(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	jobsJSON, _ := json.Marshal(jobs)
	jobsFile := filepath.Join(work, "jobs.json")
	if err := os.WriteFile(jobsFile, jobsJSON, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command("python3", "testdata/oracle/pip-unzip.py", jobsFile)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, stderr.Bytes())
	}
	var results []struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(cases) {
		t.Fatalf("python3 output: %v: %s", err, out)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pip := results[i]
			s := newSandbox(t)
			opts := c.opts
			opts.Umask = umask // pip runs with the process umask
			b := c.bytes(t)
			_, err := Zip(bytes.NewReader(b), int64(len(b)), s.dir, opts)
			switch {
			case err != nil && pip.OK:
				t.Logf("refused (%v); pip accepts it", err)
			case err != nil:
				t.Logf("refused (%v); pip too (%s)", err, pip.Error)
			case !pip.OK:
				t.Errorf("accepted; pip refuses it: %s", pip.Error)
			default:
				got, want := listing(t, s.dir), "\n"
				if _, err := os.Stat(jobs[i].Dest); err == nil {
					want = listing(t, jobs[i].Dest)
				}
				if got != want {
					t.Errorf("tree:\n%s\npip's:\n%s", got, want)
				}
			}
		})
	}
}
