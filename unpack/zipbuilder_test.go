package unpack

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/klauspost/compress/flate"
)

// zent describes one entry for the zip corpus. zipOf writes it byte by
// byte, so that a case can set any field to what only an attacker would
// write; the zero value of each field is what a wheel builder writes.
type zent struct {
	name string
	body string
	// store writes the data uncompressed (default: deflate).
	store bool
	// mode is the Unix mode in the external attributes (type bits
	// included); zero gives 0o100644, or 0o040755 for a name ending in "/".
	// noMode leaves the external attributes zero, as DOS writers do.
	mode   uint32
	noMode bool
	// flags are added to the general purpose flags (the UTF-8 flag is set
	// for non-ASCII names unless noUTF8Flag).
	flags      uint16
	noUTF8Flag bool
	method     *uint16 // overrides the compression method
	// descriptor writes CRC and sizes after the data, zeros in the local
	// header, as streaming writers do.
	descriptor bool
	localName  string  // a different name in the local header
	extra      []byte  // extra field, in both headers
	crc        *uint32 // overrides the CRC in both headers
	usize      *uint64 // overrides the declared size in both headers
	csize      *uint64 // overrides the compressed size in both headers
	zip64      bool    // sizes and offset in zip64 extra fields
	data       []byte  // overrides the compressed data
}

// zopts changes the archive around the entries.
type zopts struct {
	prefix, suffix []byte
	comment        string
	zip64End       bool // write the zip64 end records
	// patch edits the finished archive; lay says where things are.
	patch func(b []byte, lay *zipLayout) []byte
}

// zipLayout records where zipOf put each structure.
type zipLayout struct {
	local   []int // local header offsets
	central []int // central directory header offsets
	cdOff   int
	endOff  int
}

func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }
func u64(v uint64) *uint64 { return &v }

// deflate compresses b as zip writers do (raw deflate, no zlib header).
func deflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// zipOf builds a zip archive from entries.
func zipOf(o zopts, ents ...zent) []byte {
	var b bytes.Buffer
	b.Write(o.prefix)
	lay := &zipLayout{}
	type centralRec struct {
		e                   zent
		flags, method       uint16
		crc                 uint32
		csize, usize, local uint64
	}
	var recs []centralRec
	for _, e := range ents {
		flags := e.flags
		if !e.noUTF8Flag && !isASCII(e.name) {
			flags |= flagUTF8
		}
		if e.descriptor {
			flags |= flagDescriptor
		}
		method := uint16(zipMethodDeflate)
		data := deflate([]byte(e.body))
		if e.store {
			method, data = zipMethodStore, []byte(e.body)
		}
		if e.method != nil {
			method = *e.method
		}
		if e.data != nil {
			data = e.data
		}
		crc := crc32.ChecksumIEEE([]byte(e.body))
		if e.crc != nil {
			crc = *e.crc
		}
		usize, csize := uint64(len(e.body)), uint64(len(data))
		if e.usize != nil {
			usize = *e.usize
		}
		if e.csize != nil {
			csize = *e.csize
		}
		off := b.Len()
		lay.local = append(lay.local, off)
		recs = append(recs, centralRec{e, flags, method, crc, csize, usize, uint64(off)})

		lname := e.name
		if e.localName != "" {
			lname = e.localName
		}
		extra := e.extra
		lcrc, lc, lu := crc, csize, usize
		if e.descriptor {
			lcrc, lc, lu = 0, 0, 0
		}
		if e.zip64 {
			extra = append(zip64Extra(lu, lc), extra...)
			lc, lu = sat32, sat32
		}
		h := binary.LittleEndian.AppendUint32(nil, sigLocal)
		h = binary.LittleEndian.AppendUint16(h, 20)
		h = binary.LittleEndian.AppendUint16(h, flags)
		h = binary.LittleEndian.AppendUint16(h, method)
		h = binary.LittleEndian.AppendUint32(h, 0x5a210000) // 2025-01-01 00:00
		h = binary.LittleEndian.AppendUint32(h, lcrc)
		h = binary.LittleEndian.AppendUint32(h, uint32(lc))
		h = binary.LittleEndian.AppendUint32(h, uint32(lu))
		h = binary.LittleEndian.AppendUint16(h, uint16(len(lname)))
		h = binary.LittleEndian.AppendUint16(h, uint16(len(extra)))
		b.Write(h)
		b.WriteString(lname)
		b.Write(extra)
		b.Write(data)
		if e.descriptor {
			d := binary.LittleEndian.AppendUint32(nil, sigDescriptor)
			d = binary.LittleEndian.AppendUint32(d, crc)
			if e.zip64 {
				d = binary.LittleEndian.AppendUint64(d, csize)
				d = binary.LittleEndian.AppendUint64(d, usize)
			} else {
				d = binary.LittleEndian.AppendUint32(d, uint32(csize))
				d = binary.LittleEndian.AppendUint32(d, uint32(usize))
			}
			b.Write(d)
		}
	}
	lay.cdOff = b.Len()
	for _, r := range recs {
		lay.central = append(lay.central, b.Len())
		mode := r.e.mode
		if mode == 0 {
			mode = 0o100644
			if len(r.e.name) > 0 && r.e.name[len(r.e.name)-1] == '/' {
				mode = 0o040755
			}
		}
		if r.e.noMode {
			mode = 0
		}
		extra := r.e.extra
		c, u, off := r.csize, r.usize, r.local
		if r.e.zip64 {
			extra = append(binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, extraZip64), 24),
				append(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, u), c), off), extra...)...)
			c, u, off = sat32, sat32, sat32
		}
		h := binary.LittleEndian.AppendUint32(nil, sigCentral)
		h = binary.LittleEndian.AppendUint16(h, 3<<8|20) // made by Unix
		h = binary.LittleEndian.AppendUint16(h, 20)
		h = binary.LittleEndian.AppendUint16(h, r.flags)
		h = binary.LittleEndian.AppendUint16(h, r.method)
		h = binary.LittleEndian.AppendUint32(h, 0x5a210000)
		h = binary.LittleEndian.AppendUint32(h, r.crc)
		h = binary.LittleEndian.AppendUint32(h, uint32(c))
		h = binary.LittleEndian.AppendUint32(h, uint32(u))
		h = binary.LittleEndian.AppendUint16(h, uint16(len(r.e.name)))
		h = binary.LittleEndian.AppendUint16(h, uint16(len(extra)))
		h = binary.LittleEndian.AppendUint16(h, 0) // comment
		h = binary.LittleEndian.AppendUint16(h, 0) // disk
		h = binary.LittleEndian.AppendUint16(h, 0) // internal attributes
		h = binary.LittleEndian.AppendUint32(h, mode<<16)
		h = binary.LittleEndian.AppendUint32(h, uint32(off))
		b.Write(h)
		b.WriteString(r.e.name)
		b.Write(extra)
	}
	cdSize := b.Len() - lay.cdOff
	n := uint64(len(recs))
	cdOff := uint64(lay.cdOff)
	if o.zip64End {
		pos := b.Len()
		e := binary.LittleEndian.AppendUint32(nil, sigEnd64)
		e = binary.LittleEndian.AppendUint64(e, end64Len-12)
		e = binary.LittleEndian.AppendUint16(e, 45)
		e = binary.LittleEndian.AppendUint16(e, 45)
		e = binary.LittleEndian.AppendUint32(e, 0)
		e = binary.LittleEndian.AppendUint32(e, 0)
		e = binary.LittleEndian.AppendUint64(e, n)
		e = binary.LittleEndian.AppendUint64(e, n)
		e = binary.LittleEndian.AppendUint64(e, uint64(cdSize))
		e = binary.LittleEndian.AppendUint64(e, cdOff)
		e = binary.LittleEndian.AppendUint32(e, sigEnd64Locator)
		e = binary.LittleEndian.AppendUint32(e, 0)
		e = binary.LittleEndian.AppendUint64(e, uint64(pos))
		e = binary.LittleEndian.AppendUint32(e, 1)
		b.Write(e)
		n, cdOff = sat16, sat32
		cdSize = sat32
	}
	lay.endOff = b.Len()
	e := binary.LittleEndian.AppendUint32(nil, sigEnd)
	e = binary.LittleEndian.AppendUint16(e, 0)
	e = binary.LittleEndian.AppendUint16(e, 0)
	e = binary.LittleEndian.AppendUint16(e, uint16(min(n, sat16)))
	e = binary.LittleEndian.AppendUint16(e, uint16(min(n, sat16)))
	e = binary.LittleEndian.AppendUint32(e, uint32(cdSize))
	e = binary.LittleEndian.AppendUint32(e, uint32(cdOff))
	e = binary.LittleEndian.AppendUint16(e, uint16(len(o.comment)))
	b.Write(e)
	b.WriteString(o.comment)
	b.Write(o.suffix)
	out := b.Bytes()
	if o.patch != nil {
		out = o.patch(out, lay)
	}
	return out
}

func zip64Extra(u, c uint64) []byte {
	x := binary.LittleEndian.AppendUint16(nil, extraZip64)
	x = binary.LittleEndian.AppendUint16(x, 16)
	x = binary.LittleEndian.AppendUint64(x, u)
	return binary.LittleEndian.AppendUint64(x, c)
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// goZip builds an archive with archive/zip, as a real writer lays it out
// (data descriptors, extended timestamps, the UTF-8 flag when needed).
func goZip(t testing.TB, files ...zip.FileHeader) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, h := range files {
		body := h.Comment
		h.Comment = ""
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
