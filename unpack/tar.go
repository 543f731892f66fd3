package unpack

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file reads tar: only the part of the format on which node-tar (what
// npm uses) and other readers (Go's archive/tar, GNU tar, libarchive) agree.
// Where they could disagree it refuses, so no archive can show an auditing
// tool one set of files and install another. Go's archive/tar is not used
// because it silently accepts several such archives and gives no way to tell:
// headers whose checksum is valid only when summed as signed bytes (node-tar
// skips them and reads the next block as a header), link entries that carry
// data (node-tar reads it as data, archive/tar as headers), and GNU sparse
// files (expanded by archive/tar, written raw by node-tar).

const blockSize = 512

// Typeflags, as written in the header's typeflag byte.
const (
	typeFile        = '0'
	typeLink        = '1'
	typeSymlink     = '2'
	typeChar        = '3'
	typeBlock       = '4'
	typeDir         = '5'
	typeFIFO        = '6'
	typeContiguous  = '7'
	typePAX         = 'x'
	typePAXGlobal   = 'g'
	typeGNULongName = 'L'
	typeGNULongLink = 'K'
	typeGNUDumpDir  = 'D'
)

// tarHeader is one entry, with its extended headers already applied.
type tarHeader struct {
	name     string // PAX path, GNU long name, or ustar prefix + "/" + name
	typ      byte   // typeflag; the pre-POSIX '\x00' reads as '0'
	mode     int64  // mode field as written, type bits included
	size     int64  // length of the data that follows the header
	linkname string
}

// tarReader returns the entries of a tar stream in order. Read reads the
// data of the entry last returned by next.
type tarReader struct {
	r      io.Reader
	blk    [blockSize]byte
	remain int64 // unread data of the current entry
	pad    int64 // padding after the current entry's data
	done   bool
}

// next returns the next entry, or io.EOF after the end-of-archive marker
// (two zero blocks) or at a clean end of stream between entries, both of
// which node-tar and archive/tar accept. PAX global headers are returned as
// entries of type 'g' so the caller counts them against its limits.
func (t *tarReader) next() (*tarHeader, error) {
	if t.done {
		return nil, io.EOF
	}
	if err := t.discard(t.remain + t.pad); err != nil {
		return nil, err
	}
	t.remain, t.pad = 0, 0

	// Extended headers that apply to the next entry.
	var (
		pax                              map[string]string
		longName, longLink               string
		hasPAX, hasLongName, hasLongLink bool
	)
	pending := func() bool { return hasPAX || hasLongName || hasLongLink }
	for {
		err := t.readBlock()
		if err == io.EOF && !pending() {
			t.done = true
			return nil, io.EOF
		}
		if err == io.EOF {
			return nil, detail(ErrCorrupt, "archive ends after an extended header, before its entry")
		}
		if err != nil {
			return nil, err
		}
		if t.blk == [blockSize]byte{} {
			if pending() {
				return nil, detail(ErrCorrupt, "end-of-archive marker right after an extended header")
			}
			return nil, t.endOfArchive()
		}
		h, err := parseHeader(&t.blk)
		if err != nil {
			return nil, err
		}
		if err := checkSkippedByNodeTar(h); err != nil {
			return nil, err
		}
		switch h.typ {
		case typePAX:
			if hasPAX {
				// node-tar merges the two, archive/tar keeps only the second.
				return nil, detail(ErrCorrupt, "two PAX extended headers for one entry")
			}
			data, err := t.readMeta(h)
			if err != nil {
				return nil, err
			}
			if pax, err = parsePAX(data, false); err != nil {
				return nil, err
			}
			hasPAX = true
		case typePAXGlobal:
			if pending() {
				return nil, detail(ErrCorrupt, "PAX global header between an extended header and its entry")
			}
			data, err := t.readMeta(h)
			if err != nil {
				return nil, err
			}
			if _, err := parsePAX(data, true); err != nil {
				return nil, err
			}
			return h, nil
		case typeGNULongName, typeGNULongLink:
			if hasPAX {
				// node-tar lets whichever of the two comes last win,
				// archive/tar always lets the GNU name win.
				return nil, detail(ErrCorrupt, "GNU long name after a PAX header for the same entry")
			}
			if (h.typ == typeGNULongName && hasLongName) || (h.typ == typeGNULongLink && hasLongLink) {
				return nil, detail(ErrCorrupt, "two GNU long names for one entry")
			}
			data, err := t.readMeta(h)
			if err != nil {
				return nil, err
			}
			s := cstring(data)
			if s == "" {
				return nil, detail(ErrCorrupt, "empty GNU long name")
			}
			if !utf8.ValidString(s) {
				return nil, detail(ErrUnsafePath, "GNU long name is not valid UTF-8")
			}
			if h.typ == typeGNULongName {
				longName, hasLongName = s, true
			} else {
				longLink, hasLongLink = s, true
			}
		default:
			if err := applyExtended(h, pax, longName, hasLongName, longLink, hasLongLink); err != nil {
				return nil, err
			}
			if err := t.startData(h); err != nil {
				return nil, err
			}
			return h, nil
		}
	}
}

// checkSkippedByNodeTar refuses the headers node-tar drops as invalid while
// other readers use them: node-tar then reads the entry's data blocks as
// headers, which could hold entries no other tool sees.
func checkSkippedByNodeTar(h *tarHeader) error {
	switch h.typ {
	case typePAX, typePAXGlobal, typeGNULongName, typeGNULongLink:
		// node-tar requires a name even on extended headers.
		if h.name == "" {
			return detail(ErrCorrupt, "extended header without a name")
		}
	}
	switch h.typ {
	case typeLink, typeSymlink, typePAX, typePAXGlobal:
	default:
		if h.linkname != "" {
			return detail(ErrCorrupt, "entry of type %q has a link name", h.typ)
		}
	}
	return nil
}

// applyExtended overrides h's fields from its PAX records and GNU long names.
func applyExtended(h *tarHeader, pax map[string]string, longName string, hasLongName bool, longLink string, hasLongLink bool) error {
	if p, ok := pax["path"]; ok {
		if hasLongName {
			return detail(ErrCorrupt, "both a PAX path and a GNU long name")
		}
		h.name = p
	}
	if p, ok := pax["linkpath"]; ok {
		if hasLongLink {
			return detail(ErrCorrupt, "both a PAX linkpath and a GNU long link name")
		}
		h.linkname = p
	}
	if s, ok := pax["size"]; ok {
		h.size, _ = strconv.ParseInt(s, 10, 64) // validated by parsePAX
	}
	if hasLongName {
		h.name = longName
	}
	if hasLongLink {
		h.linkname = longLink
	}
	if h.name == "" {
		return detail(ErrCorrupt, "entry without a name")
	}
	return nil
}

// startData sets up reading h's data, fixing h.size to the number of data
// bytes that actually follow, which is not always the size field.
func (t *tarReader) startData(h *tarHeader) error {
	switch h.typ {
	case typeFile, typeContiguous:
		// node-tar reads a '0' entry named "x/" as a directory of size 0,
		// archive/tar as a file with data: both agree only when it is empty.
		if strings.HasSuffix(h.name, "/") {
			if h.size != 0 {
				return detail(ErrCorrupt, "file entry named like a directory carries %d bytes of data", h.size)
			}
			h.typ = typeDir
		}
	case typeDir:
		// Both readers ignore a directory's size field (some tars write
		// the directory's stat size there).
		h.size = 0
	case typeLink, typeSymlink:
		if h.size != 0 {
			// node-tar would read the data, archive/tar would read it as
			// the next headers.
			return detail(ErrCorrupt, "link entry carries %d bytes of data", h.size)
		}
	case typeChar, typeBlock, typeFIFO:
		// Refused by the caller; nothing after it is read.
		h.size = 0
	}
	t.remain = h.size
	t.pad = (blockSize - h.size%blockSize) % blockSize
	return nil
}

// endOfArchive is called after one zero block: a second one ends the archive,
// as does the end of the stream.
func (t *tarReader) endOfArchive() error {
	t.done = true
	switch err := t.readBlock(); {
	case err == io.EOF:
		return io.EOF
	case err != nil:
		return err
	case t.blk != [blockSize]byte{}:
		// node-tar would go on reading entries, archive/tar stops.
		return detail(ErrCorrupt, "a single zero block followed by more entries")
	}
	return io.EOF
}

// Read reads the current entry's data.
func (t *tarReader) Read(p []byte) (int, error) {
	if t.remain <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > t.remain {
		p = p[:t.remain]
	}
	n, err := t.r.Read(p)
	t.remain -= int64(n)
	if err == io.EOF {
		if t.remain > 0 {
			return n, detail(ErrCorrupt, "archive is truncated inside an entry's data")
		}
		err = nil
	}
	return n, err
}

// readBlock reads one header block; io.EOF means the stream ended cleanly
// before it.
func (t *tarReader) readBlock() error {
	_, err := io.ReadFull(t.r, t.blk[:])
	if err == io.ErrUnexpectedEOF {
		return detail(ErrCorrupt, "archive is truncated inside a header")
	}
	return err
}

// readMeta reads the data of an extended header.
func (t *tarReader) readMeta(h *tarHeader) ([]byte, error) {
	if h.size > MaxMetaSize {
		return nil, detail(ErrCorrupt, "extended header of %d bytes (limit %d)", h.size, MaxMetaSize)
	}
	data := make([]byte, h.size)
	if _, err := io.ReadFull(t.r, data); err != nil {
		return nil, truncated(err)
	}
	return data, t.discard((blockSize - h.size%blockSize) % blockSize)
}

// discard skips n bytes of data or padding.
func (t *tarReader) discard(n int64) error {
	if n == 0 {
		return nil
	}
	_, err := io.CopyN(io.Discard, t.r, n)
	return truncated(err)
}

func truncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return detail(ErrCorrupt, "archive is truncated")
	}
	return err
}

// parseHeader decodes one header block the way node-tar does, refusing
// what another reader would decode differently.
func parseHeader(b *[blockSize]byte) (*tarHeader, error) {
	// node-tar reads the checksum as text up to the first NUL across the
	// 12 bytes from 148 and accepts only the unsigned sum; archive/tar reads
	// the 8-byte field and accepts either sum.
	want, ok := parseOctal(b[148:156], true)
	if !ok {
		return nil, detail(ErrCorrupt, "header checksum field is not an octal number")
	}
	var unsigned, signed int64
	for i, c := range b {
		if 148 <= i && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	if want != unsigned {
		if want == signed {
			return nil, detail(ErrCorrupt, "header checksum is valid only when summed as signed bytes, which npm's tar rejects")
		}
		return nil, detail(ErrCorrupt, "header checksum mismatch")
	}

	if err := checkNodeNumbers(b); err != nil {
		return nil, err
	}

	h := &tarHeader{typ: b[156]}
	if h.typ == 0 {
		h.typ = typeFile
	}
	var err error
	if h.mode, err = parseNumber(b[100:108], "mode"); err != nil {
		return nil, err
	}
	if h.size, err = parseNumber(b[124:136], "size"); err != nil {
		return nil, err
	}
	if h.name, err = textField(b[0:100]); err != nil {
		return nil, err
	}
	if h.linkname, err = textField(b[157:257]); err != nil {
		return nil, err
	}
	// node-tar applies the ustar prefix only for magic "ustar\0" and
	// version "00"; archive/tar also for other versions, and reads only 131
	// bytes of it in star archives (trailer "tar\0").
	if string(b[257:263]) == "ustar\x00" {
		prefixField := b[345:475]
		if b[475] != 0 {
			prefixField = b[345:500]
		}
		prefix, err := textField(prefixField)
		if err != nil {
			return nil, err
		}
		if prefix != "" {
			if string(b[263:265]) != "00" {
				return nil, detail(ErrCorrupt, "ustar prefix in a header with version %q", b[263:265])
			}
			if string(b[508:512]) == "tar\x00" && len(prefix) > 130 {
				return nil, detail(ErrCorrupt, "ustar prefix overlaps the star time fields")
			}
			h.name = prefix + "/" + h.name
		}
	}
	return h, nil
}

// textField decodes a NUL-terminated header string. node-tar cuts at the NUL
// with a regular expression that stops at a newline, so a newline anywhere in
// the field would make it read more than other tars do; it also decodes each
// field as UTF-8 on its own, so invalid UTF-8 (even a character split
// between prefix and name) reads differently.
func textField(f []byte) (string, error) {
	if bytes.IndexByte(f, '\n') >= 0 {
		return "", detail(ErrUnsafePath, "newline in a header name field")
	}
	s := cstring(f)
	if !utf8.ValidString(s) {
		return "", detail(ErrUnsafePath, "name is not valid UTF-8")
	}
	return s, nil
}

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// checkNodeNumbers refuses a header with a base-256 number node-tar cannot
// decode (a marker other than 0x80 or 0xff, or a value beyond JavaScript's
// safe integers) in any field it reads, even ones airlock ignores (owner,
// times, device numbers): node-tar throws, drops the header and reads the
// entry's data as headers, where archive/tar reads on normally.
func checkNodeNumbers(b *[blockSize]byte) error {
	fields := [][]byte{b[108:116], b[116:124], b[136:148]} // uid, gid, mtime
	if string(b[257:265]) == "ustar\x0000" {
		fields = append(fields, b[329:337], b[337:345]) // devmajor, devminor
		if b[475] == 0 {
			fields = append(fields, b[476:488], b[488:500]) // atime, ctime
		}
	}
	for _, f := range fields {
		if f[0]&0x80 == 0 {
			continue // octal: node-tar's parseInt never throws
		}
		if _, ok := base256(f); !ok {
			return detail(ErrCorrupt, "base-256 number that npm's tar cannot read")
		}
	}
	return nil
}

// maxSafeInteger is JavaScript's Number.MAX_SAFE_INTEGER, beyond which
// node-tar refuses a base-256 number.
const maxSafeInteger = 1<<53 - 1

// base256 decodes a base-256 field as node-tar does: 0x80 then a big-endian
// magnitude, or 0xff and a two's complement negative number.
func base256(f []byte) (int64, bool) {
	var v uint64
	switch f[0] {
	case 0x80:
		for _, c := range f[1:] {
			if v > maxSafeInteger>>8 {
				return 0, false
			}
			v = v<<8 | uint64(c)
		}
		return int64(v), v <= maxSafeInteger
	case 0xff:
		// The magnitude is the complement plus one; it fits only if the
		// leading bytes are all 0xff.
		for _, c := range f {
			if v > maxSafeInteger>>8 {
				return 0, false
			}
			v = v<<8 | uint64(^c)
		}
		v++
		return -int64(v), v <= maxSafeInteger
	}
	return 0, false
}

// parseNumber decodes a size or mode: base-256 when the first byte is 0x80
// (negative numbers, marked 0xff, make no sense here), otherwise octal text.
func parseNumber(f []byte, field string) (int64, error) {
	if f[0]&0x80 != 0 {
		v, ok := base256(f)
		if !ok || v < 0 {
			return 0, detail(ErrCorrupt, "negative or malformed base-256 %s field", field)
		}
		return v, nil
	}
	v, ok := parseOctal(f, false)
	if !ok {
		return 0, detail(ErrCorrupt, "%s field %q is not an octal number", field, f)
	}
	return v, nil
}

// parseOctal reads optional leading spaces, octal digits, then only NULs and
// spaces. A field with no digits is 0. With terminated set, the digits must
// be followed by a NUL or space inside the field, since node-tar reads the
// checksum past the field's end otherwise.
//
// Stricter than both readers on purpose: node-tar's parseInt stops at the
// first bad character and archive/tar skips leading NULs, so anything else
// can be read as two different numbers.
func parseOctal(f []byte, terminated bool) (int64, bool) {
	i := 0
	for i < len(f) && f[i] == ' ' {
		i++
	}
	start := i
	var v int64
	for i < len(f) && '0' <= f[i] && f[i] <= '7' {
		if v>>60 != 0 {
			return 0, false
		}
		v = v<<3 | int64(f[i]-'0')
		i++
	}
	digits := i - start
	if terminated && (digits == 0 || i == len(f)) {
		return 0, false
	}
	for ; i < len(f); i++ {
		if f[i] != 0 && f[i] != ' ' {
			return 0, false
		}
	}
	return v, true
}

// parsePAX decodes PAX records ("%d %s=%s\n"). It refuses records that
// node-tar applies and other readers ignore (mode, type), sparse files, and
// in a global header anything that would change how entries are named or
// sized (node-tar applies global size and mode to every later entry).
func parsePAX(data []byte, global bool) (map[string]string, error) {
	recs := make(map[string]string)
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp <= 0 || sp > 20 {
			return nil, detail(ErrCorrupt, "malformed PAX record")
		}
		n, err := strconv.Atoi(string(data[:sp]))
		if err != nil || n <= sp+1 || n > len(data) || data[n-1] != '\n' || data[0] == '+' || data[0] == '-' {
			return nil, detail(ErrCorrupt, "malformed PAX record length")
		}
		kv := data[sp+1 : n-1]
		data = data[n:]
		eq := bytes.IndexByte(kv, '=')
		if eq <= 0 {
			return nil, detail(ErrCorrupt, "PAX record without a key")
		}
		key, value := string(kv[:eq]), string(kv[eq+1:])
		// node-tar splits the records at newlines and cuts values at NUL,
		// so either would let it read records other readers do not see.
		if strings.ContainsAny(value, "\n\x00") {
			if key == "path" || key == "linkpath" {
				return nil, detail(ErrUnsafePath, "newline or NUL in PAX %s", key)
			}
			return nil, detail(ErrCorrupt, "PAX record %q has a newline or NUL in its value", key)
		}
		switch {
		case key == "mode" || key == "type":
			return nil, detail(ErrCorrupt, "PAX %q record, which npm's tar applies and other readers ignore", key)
		case strings.HasPrefix(key, "GNU.sparse."):
			return nil, detail(ErrSpecialFile, "GNU sparse file")
		case global && (key == "path" || key == "linkpath" || key == "size"):
			return nil, detail(ErrCorrupt, "PAX global %q record, which tar readers apply differently", key)
		case key == "size":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				return nil, detail(ErrCorrupt, "PAX size %q is not a decimal number", value)
			}
			if _, err := strconv.ParseInt(value, 10, 64); err != nil {
				return nil, detail(ErrCorrupt, "PAX size %q overflows", value)
			}
		case key == "path" || key == "linkpath":
			if value == "" {
				return nil, detail(ErrCorrupt, "empty PAX %s", key)
			}
			if !utf8.ValidString(value) {
				return nil, detail(ErrUnsafePath, "PAX %s is not valid UTF-8", key)
			}
		}
		recs[key] = value
	}
	return recs, nil
}
