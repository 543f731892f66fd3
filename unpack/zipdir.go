package unpack

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file reads a zip archive's structure: the end records, the central
// directory and every local header, all checked before a byte is
// extracted. archive/zip is not used because it accepts, without a way to
// tell, archives that other readers see differently: entries whose local
// header names another file, entries that overlap or share data (David
// Fifield's non-recursive zip bomb), bytes before the first entry or after
// the end record (which Python's zipfile, pip's reader, silently skips),
// and end records that its zip64 logic reads differently from Python's.
//
// So the rule here is that an archive must be laid out the one way every
// writer of wheels lays it out: local entries back to back from offset 0,
// each one's header, data and optional data descriptor, then the central
// directory, then the zip64 end records if any, then the end record and its
// comment, which runs to the end of the file. Anything else is refused.

// Record signatures and sizes (APPNOTE.TXT 4.3).
const (
	sigLocal         = 0x04034b50
	sigCentral       = 0x02014b50
	sigEnd           = 0x06054b50
	sigEnd64         = 0x06064b50
	sigEnd64Locator  = 0x07064b50
	sigDescriptor    = 0x08074b50
	localLen         = 30
	centralLen       = 46
	endLen           = 22
	end64Len         = 56
	end64LocatorLen  = 20
	maxZipComment    = 0xffff
	maxZipVersion    = 63
	zipMethodStore   = 0
	zipMethodDeflate = 8
	extraZip64       = 0x0001
	extraUnicodePath = 0x7075
	extraUnicodeNote = 0x6375
	sat16            = 0xffff
	sat32            = 0xffffffff
)

// General purpose flags a wheel may carry: bits 1 and 2 are deflate's
// compression level, bit 3 says a data descriptor follows the data, bit 11
// says the name is UTF-8. Every other bit (encryption, patch data,
// masked local headers, reserved ones) is refused.
const (
	flagDescriptor   = 1 << 3
	flagUTF8         = 1 << 11
	flagsAllowed     = 1<<1 | 1<<2 | flagDescriptor | flagUTF8
	flagEncrypted    = 1 << 0
	flagStrongCrypto = 1 << 6
	flagMaskedHeader = 1 << 13
)

// zipEntry is one entry, as the central directory describes it, with where
// its data lies once the local header has been checked.
type zipEntry struct {
	name    string // as written, trailing "/" included
	flags   uint16
	method  uint16
	crc     uint32
	csize   uint64
	usize   uint64
	offset  uint64 // of the local header
	extAttr uint32
	dataOff int64 // first byte of the compressed data
	index   int   // position in the central directory
}

// unixMode is the mode in the high half of the external attributes, which
// is where pip looks for it whatever system the archive says made it.
func (e *zipEntry) unixMode() uint32 { return e.extAttr >> 16 }

// zipDirectory returns the entries of the archive in central-directory order,
// or a *FileError. It reads only the structures, never the file data.
func zipDirectory(ra io.ReaderAt, size int64, lim Limits) ([]*zipEntry, error) {
	cdOff, cdSize, count, err := zipEnd(ra, size)
	if err != nil {
		return nil, &FileError{Err: err}
	}
	if count > uint64(lim.MaxFiles) {
		return nil, &FileError{Err: detail(ErrTooManyFiles, "%d entries (limit %d); %s", count, lim.MaxFiles, limitHint)}
	}
	if count*centralLen > cdSize {
		return nil, &FileError{Err: detail(ErrCorrupt, "central directory of %d bytes cannot hold %d entries", cdSize, count)}
	}
	br := bufio.NewReaderSize(io.NewSectionReader(ra, int64(cdOff), int64(cdSize)), readAhead)
	entries := make([]*zipEntry, 0, count)
	var read uint64
	for i := range count {
		e, n, err := readCentral(br)
		if err != nil {
			if e != nil {
				return nil, &FileError{Path: e.name, Err: err}
			}
			return nil, &FileError{Err: detail(err, "central directory entry %d", i)}
		}
		e.index = int(i)
		read += n
		entries = append(entries, e)
	}
	if read != cdSize {
		return nil, &FileError{Err: detail(ErrCorrupt, "central directory is %d bytes but its %d entries take %d", cdSize, count, read)}
	}
	if err := zipLocals(ra, entries, cdOff); err != nil {
		return nil, err
	}
	return entries, nil
}

// zipEnd finds the end records and returns where the central directory is
// and how many entries it holds. It requires the end record to be the last
// signature in the file and its comment to reach exactly the end, and the
// central directory to end where the end records begin: Python's zipfile
// treats any difference as bytes prepended to the archive and shifts every
// offset, where other readers do not.
func zipEnd(ra io.ReaderAt, size int64) (cdOff, cdSize, count uint64, err error) {
	if size < endLen {
		return 0, 0, 0, detail(ErrCorrupt, "%d bytes is too short for a zip archive", size)
	}
	window := min(size, endLen+maxZipComment)
	tail := make([]byte, window)
	if _, err := ra.ReadAt(tail, size-window); err != nil && err != io.EOF {
		return 0, 0, 0, err
	}
	i := bytes.LastIndex(tail, le32(sigEnd))
	if i < 0 || len(tail)-i < endLen {
		return 0, 0, 0, detail(ErrCorrupt, "no end of central directory record: not a zip archive")
	}
	end := tail[i : i+endLen]
	comment := int(binary.LittleEndian.Uint16(end[20:]))
	if i+endLen+comment != len(tail) {
		return 0, 0, 0, detail(ErrCorrupt, "%d bytes after the end of the zip archive", len(tail)-i-endLen-comment)
	}
	endPos := size - window + int64(i)
	disk, cdDisk := binary.LittleEndian.Uint16(end[4:]), binary.LittleEndian.Uint16(end[6:])
	diskCount, count16 := binary.LittleEndian.Uint16(end[8:]), binary.LittleEndian.Uint16(end[10:])
	size32, off32 := binary.LittleEndian.Uint32(end[12:]), binary.LittleEndian.Uint32(end[16:])
	cdOff, cdSize, count = uint64(off32), uint64(size32), uint64(count16)
	cdEnd := endPos

	// Python's zipfile looks for the zip64 locator whatever the end record
	// says; archive/zip only when a field is saturated. A locator is
	// therefore used whenever present, and must agree with the end record.
	var loc [end64LocatorLen]byte
	hasLocator := false
	if endPos >= end64LocatorLen+end64Len {
		if _, err := ra.ReadAt(loc[:], endPos-end64LocatorLen); err != nil {
			return 0, 0, 0, err
		}
		hasLocator = binary.LittleEndian.Uint32(loc[:]) == sigEnd64Locator
	}
	if !hasLocator {
		if disk != 0 || cdDisk != 0 || diskCount != count16 {
			return 0, 0, 0, detail(ErrCorrupt, "multi-disk (spanned) zip archive")
		}
	} else {
		if binary.LittleEndian.Uint32(loc[4:]) != 0 || binary.LittleEndian.Uint32(loc[16:]) > 1 {
			return 0, 0, 0, detail(ErrCorrupt, "multi-disk (spanned) zip archive")
		}
		pos := endPos - end64LocatorLen - end64Len
		if binary.LittleEndian.Uint64(loc[8:]) != uint64(pos) {
			return 0, 0, 0, detail(ErrCorrupt, "zip64 end record is not right before its locator")
		}
		var e64 [end64Len]byte
		if _, err := ra.ReadAt(e64[:], pos); err != nil {
			return 0, 0, 0, err
		}
		if binary.LittleEndian.Uint32(e64[:]) != sigEnd64 {
			return 0, 0, 0, detail(ErrCorrupt, "zip64 locator points at no zip64 end record")
		}
		if binary.LittleEndian.Uint64(e64[4:]) != end64Len-12 {
			// Python's zipfile assumes no extensible data; honour that.
			return 0, 0, 0, detail(ErrCorrupt, "zip64 end record with extensible data")
		}
		if binary.LittleEndian.Uint32(e64[16:]) != 0 || binary.LittleEndian.Uint32(e64[20:]) != 0 ||
			binary.LittleEndian.Uint64(e64[24:]) != binary.LittleEndian.Uint64(e64[32:]) {
			return 0, 0, 0, detail(ErrCorrupt, "multi-disk (spanned) zip archive")
		}
		count64, size64, off64 := binary.LittleEndian.Uint64(e64[32:]), binary.LittleEndian.Uint64(e64[40:]), binary.LittleEndian.Uint64(e64[48:])
		if !agrees16(disk, 0) || !agrees16(cdDisk, 0) || !agrees16(diskCount, count64) || !agrees16(count16, count64) ||
			!agrees32(size32, size64) || !agrees32(off32, off64) {
			return 0, 0, 0, detail(ErrCorrupt, "end record and zip64 end record disagree")
		}
		cdOff, cdSize, count, cdEnd = off64, size64, count64, pos
	}
	if cdOff > uint64(cdEnd) || cdSize != uint64(cdEnd)-cdOff {
		return 0, 0, 0, detail(ErrCorrupt, "central directory (%d bytes at offset %d) does not end where the end records begin (%d): bytes before or inside the archive", cdSize, cdOff, cdEnd)
	}
	return cdOff, cdSize, count, nil
}

// agrees16 and agrees32 accept an end record field that is either the zip64
// value or saturated (meaning "see the zip64 record").
func agrees16(v uint16, want uint64) bool { return v == sat16 || uint64(v) == want }
func agrees32(v uint32, want uint64) bool { return v == sat32 || uint64(v) == want }

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// readCentral reads one central directory header and returns the entry and
// the header's length. A non-nil entry with an error names the entry.
func readCentral(br *bufio.Reader) (*zipEntry, uint64, error) {
	var h [centralLen]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return nil, 0, detail(ErrCorrupt, "central directory is truncated")
	}
	if binary.LittleEndian.Uint32(h[:]) != sigCentral {
		return nil, 0, detail(ErrCorrupt, "bad central directory signature")
	}
	nameLen, extraLen, commentLen := binary.LittleEndian.Uint16(h[28:]), binary.LittleEndian.Uint16(h[30:]), binary.LittleEndian.Uint16(h[32:])
	vary := make([]byte, int(nameLen)+int(extraLen)+int(commentLen))
	if _, err := io.ReadFull(br, vary); err != nil {
		return nil, 0, detail(ErrCorrupt, "central directory is truncated")
	}
	n := uint64(centralLen + len(vary))
	rawName, extra := vary[:nameLen], vary[nameLen:int(nameLen)+int(extraLen)]
	e := &zipEntry{
		name:    string(rawName),
		flags:   binary.LittleEndian.Uint16(h[8:]),
		method:  binary.LittleEndian.Uint16(h[10:]),
		crc:     binary.LittleEndian.Uint32(h[16:]),
		csize:   uint64(binary.LittleEndian.Uint32(h[20:])),
		usize:   uint64(binary.LittleEndian.Uint32(h[24:])),
		extAttr: binary.LittleEndian.Uint32(h[38:]),
		offset:  uint64(binary.LittleEndian.Uint32(h[42:])),
	}
	if err := checkZipName(e.name, e.flags); err != nil {
		return e, n, err
	}
	// Python's zipfile refuses to open an archive with an entry that needs
	// a later version of the format than 6.3 (the low byte of the field);
	// pip would fail where airlock installs.
	if v := h[6]; v > maxZipVersion {
		return e, n, detail(ErrCorrupt, "entry needs zip format version %d.%d (pip reads up to 6.3)", v/10, v%10)
	}
	if err := checkZipFlags(e.flags, e.method); err != nil {
		return e, n, err
	}
	fields, err := parseExtra(extra)
	if err != nil {
		return e, n, err
	}
	// The zip64 extra field holds, in this order, those of the uncompressed
	// size, compressed size, local header offset and disk number that are
	// saturated in the header (APPNOTE 4.5.3).
	disk := uint64(binary.LittleEndian.Uint16(h[34:]))
	z64, has64 := fields[extraZip64]
	for _, f := range []struct {
		v   *uint64
		sat uint64
	}{{&e.usize, sat32}, {&e.csize, sat32}, {&e.offset, sat32}, {&disk, sat16}} {
		if *f.v != f.sat {
			continue
		}
		if !has64 || len(z64) < 8 {
			return e, n, detail(ErrCorrupt, "saturated size or offset without a zip64 extra field to hold it")
		}
		*f.v, z64 = binary.LittleEndian.Uint64(z64), z64[8:]
	}
	if disk != 0 {
		return e, n, detail(ErrCorrupt, "multi-disk (spanned) zip archive")
	}
	return e, n, nil
}

// checkZipName applies the tar path rules and those particular to zip: a
// name is UTF-8 (Python's zipfile decodes a name as CP437 unless the UTF-8
// flag is set, other readers take the bytes as they are, so a non-ASCII
// name without the flag reads differently) and has no empty or "." segment
// (pip normalises them away, so "a//b", "./a/b" and "a/b" would be the same
// file to it and different names to the wheel's RECORD).
func checkZipName(name string, flags uint16) error {
	if name == "" || name == "/" {
		return detail(ErrUnsafePath, "empty name")
	}
	if flags&flagUTF8 == 0 {
		for i := range len(name) {
			if name[i] >= utf8.RuneSelf {
				return detail(ErrUnsafePath, "non-ASCII name without the UTF-8 flag, which Python's zipfile reads as CP437")
			}
		}
	}
	if strings.IndexByte(name, 0) >= 0 {
		// Python's zipfile cuts the name at a NUL: say so before the
		// generic control character refusal.
		return detail(ErrUnsafePath, "NUL in name, which Python's zipfile truncates at")
	}
	return nil
}

func checkZipFlags(flags, method uint16) error {
	if flags&(flagEncrypted|flagStrongCrypto|flagMaskedHeader) != 0 {
		return detail(ErrCorrupt, "encrypted entry (flags %#04x); wheels are never encrypted", flags)
	}
	if flags&^flagsAllowed != 0 {
		return detail(ErrCorrupt, "unsupported general purpose flags %#04x", flags&^flagsAllowed)
	}
	if method != zipMethodStore && method != zipMethodDeflate {
		return detail(ErrCorrupt, "compression method %d; only store (0) and deflate (8) are supported", method)
	}
	return nil
}

// parseExtra splits an extra field into its records, which must fill it
// exactly (Python's zipfile refuses a malformed one, archive/zip ignores
// it) and appear once each. The Info-ZIP Unicode path and comment records
// are refused: Info-ZIP's unzip names the file from them, Python and Go
// from the header, so the same entry would land at two different paths.
func parseExtra(extra []byte) (map[uint16][]byte, error) {
	var fields map[uint16][]byte
	for len(extra) > 0 {
		if len(extra) < 4 {
			return nil, detail(ErrCorrupt, "malformed extra field")
		}
		tag, n := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if len(extra) < 4+n {
			return nil, detail(ErrCorrupt, "malformed extra field")
		}
		if tag == extraUnicodePath || tag == extraUnicodeNote {
			return nil, detail(ErrCorrupt, "Info-ZIP Unicode path or comment extra field, which readers apply differently")
		}
		if fields == nil {
			fields = make(map[uint16][]byte)
		}
		if _, dup := fields[tag]; dup {
			return nil, detail(ErrCorrupt, "extra field %#04x appears twice", tag)
		}
		fields[tag] = extra[4 : 4+n]
		extra = extra[4+n:]
	}
	return fields, nil
}

// zipLocals checks every local header against its central directory entry
// and that the entries, taken by offset, lie back to back from the start of
// the file to the central directory: no gap (where a streaming reader
// would find entries the directory does not list), no overlap (two entries
// sharing data, Fifield's bomb) and nothing before the first entry.
func zipLocals(ra io.ReaderAt, entries []*zipEntry, cdOff uint64) error {
	byOffset := slices.Clone(entries)
	slices.SortStableFunc(byOffset, func(a, b *zipEntry) int {
		switch {
		case a.offset < b.offset:
			return -1
		case a.offset > b.offset:
			return 1
		}
		return 0
	})
	var next uint64 // where the next entry must start
	for i, e := range byOffset {
		if e.offset != next {
			// Offsets are sorted, and each entry is bounded by the next,
			// so e.offset > next here.
			if i == 0 {
				return &FileError{Err: detail(ErrCorrupt, "%d bytes before the first entry (prepended data, as in a self-extracting archive)", e.offset)}
			}
			return &FileError{Path: e.name, Err: detail(ErrCorrupt, "%d unlisted bytes before the entry at offset %d", e.offset-next, e.offset)}
		}
		end := cdOff
		if i+1 < len(byOffset) {
			end = byOffset[i+1].offset
		}
		n, err := readLocal(ra, e, end)
		switch {
		case errors.Is(err, errOverlap) && i+1 < len(byOffset):
			return &FileError{Path: byOffset[i+1].name, Err: detail(ErrCorrupt, "starts at offset %d, inside entry %q: overlapping entries share data (a zip bomb) or hide it", end, e.name)}
		case errors.Is(err, errOverlap):
			return &FileError{Path: e.name, Err: detail(ErrCorrupt, "entry runs into the central directory")}
		case err != nil:
			return &FileError{Path: e.name, Err: err}
		}
		next = e.offset + n
	}
	if next != cdOff {
		return &FileError{Err: detail(ErrCorrupt, "%d unlisted bytes before the central directory", cdOff-min(next, cdOff))}
	}
	return nil
}

// errOverlap is readLocal's answer when an entry's header or data reaches
// past where the next structure begins; zipLocals says which.
var errOverlap = detail(ErrCorrupt, "overlap")

// readLocal checks e's local header and returns the length of the whole
// entry (header, data, descriptor). end is where the next structure begins,
// which bounds it.
func readLocal(ra io.ReaderAt, e *zipEntry, end uint64) (uint64, error) {
	if end < e.offset || end-e.offset < localLen {
		return 0, errOverlap
	}
	var h [localLen]byte
	if _, err := ra.ReadAt(h[:], int64(e.offset)); err != nil {
		return 0, detail(ErrCorrupt, "local header is truncated")
	}
	if binary.LittleEndian.Uint32(h[:]) != sigLocal {
		return 0, detail(ErrCorrupt, "bad local header signature")
	}
	nameLen, extraLen := uint64(binary.LittleEndian.Uint16(h[26:])), uint64(binary.LittleEndian.Uint16(h[28:]))
	if localLen+nameLen+extraLen > end-e.offset {
		return 0, errOverlap
	}
	vary := make([]byte, nameLen+extraLen)
	if _, err := ra.ReadAt(vary, int64(e.offset)+localLen); err != nil {
		return 0, detail(ErrCorrupt, "local header is truncated")
	}
	if string(vary[:nameLen]) != e.name {
		return 0, detail(ErrCorrupt, "local header names %q: readers that trust it extract another file", vary[:nameLen])
	}
	flags, method := binary.LittleEndian.Uint16(h[6:]), binary.LittleEndian.Uint16(h[8:])
	if flags != e.flags || method != e.method {
		return 0, detail(ErrCorrupt, "local header's flags or method differ from the central directory's")
	}
	fields, err := parseExtra(vary[nameLen:])
	if err != nil {
		return 0, detail(err, "in the local header")
	}
	crc := binary.LittleEndian.Uint32(h[14:])
	csize, usize := uint64(binary.LittleEndian.Uint32(h[18:])), uint64(binary.LittleEndian.Uint32(h[22:]))
	// A local zip64 field holds both sizes (APPNOTE 4.5.3), when both
	// header fields are saturated.
	if z64, ok := fields[extraZip64]; ok && csize == sat32 && usize == sat32 {
		if len(z64) < 16 {
			return 0, detail(ErrCorrupt, "local zip64 extra field too short")
		}
		usize, csize = binary.LittleEndian.Uint64(z64), binary.LittleEndian.Uint64(z64[8:])
	} else if csize == sat32 || usize == sat32 {
		if e.csize != sat32 || e.usize != sat32 {
			return 0, detail(ErrCorrupt, "local header has a saturated size without a zip64 extra field")
		}
	}
	descriptor := flags&flagDescriptor != 0
	// Without a data descriptor the local header carries the real values;
	// with one, writers that stream put zeros there.
	same := func(local, central uint64) bool { return local == central || (descriptor && local == 0) }
	if !same(uint64(crc), uint64(e.crc)) || !same(csize, e.csize) || !same(usize, e.usize) {
		return 0, detail(ErrCorrupt, "local header's CRC or sizes differ from the central directory's")
	}
	if e.method == zipMethodStore && e.csize != e.usize {
		return 0, detail(ErrCorrupt, "stored entry with compressed size %d and size %d", e.csize, e.usize)
	}

	dataOff := e.offset + localLen + nameLen + extraLen
	if e.csize > end-dataOff {
		return 0, errOverlap
	}
	e.dataOff = int64(dataOff)
	n := localLen + nameLen + extraLen + e.csize
	if !descriptor {
		return n, nil
	}
	// The descriptor, always with its signature in wheels: CRC and sizes
	// of 4 bytes, or 8 for zip64. The next entry's offset says which.
	d := end - (dataOff + e.csize)
	if d != 16 && d != 24 {
		return 0, detail(ErrCorrupt, "%d bytes between the data and the next entry, not a data descriptor", d)
	}
	desc := make([]byte, d)
	if _, err := ra.ReadAt(desc, int64(dataOff+e.csize)); err != nil {
		return 0, detail(ErrCorrupt, "data descriptor is truncated")
	}
	dcrc := binary.LittleEndian.Uint32(desc[4:])
	var dc, du uint64
	if d == 16 {
		dc, du = uint64(binary.LittleEndian.Uint32(desc[8:])), uint64(binary.LittleEndian.Uint32(desc[12:]))
	} else {
		dc, du = binary.LittleEndian.Uint64(desc[8:]), binary.LittleEndian.Uint64(desc[16:])
	}
	if binary.LittleEndian.Uint32(desc) != sigDescriptor || dcrc != e.crc || dc != e.csize || du != e.usize {
		return 0, detail(ErrCorrupt, "data descriptor differs from the central directory")
	}
	return n + d, nil
}
