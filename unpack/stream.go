package unpack

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// readAhead is the buffer between the caller's reader and the decompressor:
// large enough that a network stream is read in few calls.
const readAhead = 64 << 10

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// input is the decompressed archive, read once from start to end, with the
// decompression limits enforced on every read. Like node-tar it sniffs the
// first bytes: gzip is decompressed, anything else is read as plain tar.
type input struct {
	raw      countingReader
	br       *bufio.Reader
	z        *gzip.Reader // nil for a plain tar
	out      int64        // decompressed bytes handed out
	maxOut   int64
	maxRatio int64
	err      error // sticky: the first failure is returned from then on
}

func newInput(r io.Reader, lim Limits) (*input, error) {
	in := &input{
		raw:      countingReader{r: r},
		maxOut:   lim.MaxTotalSize + int64(lim.MaxFiles)*EntryOverhead + MaxTrailingBytes,
		maxRatio: lim.MaxRatio,
	}
	in.br = bufio.NewReaderSize(&in.raw, readAhead)
	head, err := in.br.Peek(len(zstdMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case len(head) == 0:
		return nil, detail(ErrCorrupt, "empty archive")
	case bytes.HasPrefix(head, gzipMagic):
		// The bufio.Reader is an io.ByteReader, so the decompressor reads
		// exactly one member and leaves what follows for nextMember.
		z, err := gzip.NewReader(in.br)
		if err != nil {
			return nil, gzipError(err)
		}
		z.Multistream(false)
		in.z = z
	case bytes.HasPrefix(head, zstdMagic):
		// npm's tar would try zstd, but the registry only serves gzip and
		// Node 20's zlib cannot decompress it.
		return nil, detail(ErrCorrupt, "zstd-compressed archive; only gzip and plain tar are supported")
	}
	return in, nil
}

// Read returns decompressed bytes.
func (in *input) Read(p []byte) (int, error) {
	if in.err != nil {
		return 0, in.err
	}
	var n int
	var err error
	if in.z == nil {
		n, err = in.br.Read(p)
	} else {
		n, err = in.readGzip(p)
	}
	if err != nil && err != io.EOF {
		// Keep the error for the next call: returned along with data it
		// would be lost by io.ReadFull, which drops errors once it has
		// read enough.
		in.err = err
		if n > 0 {
			err = nil
		}
	}
	in.out += int64(n)
	if in.out > in.maxOut {
		in.err = detail(ErrTooLarge, "decompressed stream exceeds %d bytes; %s", in.maxOut, limitHint)
		return 0, in.err
	}
	if in.out > RatioGrace && in.out/in.maxRatio > in.raw.n {
		in.err = detail(ErrRatio, "%d bytes from %d compressed (limit %dx); %s", in.out, in.raw.n, in.maxRatio, limitHint)
		return 0, in.err
	}
	return n, err
}

// readGzip reads across concatenated gzip members, as Node's zlib does.
func (in *input) readGzip(p []byte) (int, error) {
	for {
		n, err := in.z.Read(p)
		if err != io.EOF {
			return n, gzipError(err)
		}
		// One member ended and its CRC and length matched.
		more, err := in.nextMember()
		if err != nil || !more {
			if err == nil {
				err = io.EOF
			}
			return n, err
		}
		if n > 0 {
			return n, nil
		}
	}
}

// nextMember decides what follows a gzip member, the way Node's zlib does:
// another member is decompressed, zero bytes are padding and ignored, and
// anything else is an error ("incorrect header check").
func (in *input) nextMember() (bool, error) {
	b, err := in.br.Peek(1)
	switch {
	case err == io.EOF:
		return false, nil
	case err != nil:
		return false, err
	case b[0] == gzipMagic[0]:
		if err := in.z.Reset(in.br); err != nil {
			return false, gzipError(err)
		}
		in.z.Multistream(false)
		return true, nil
	case b[0] == 0:
		return false, in.zeroPadding()
	}
	return false, detail(ErrCorrupt, "data after the end of the gzip stream")
}

// zeroPadding reads what follows the last gzip member, which must be zeros.
// Node's zlib ignores everything after a zero byte that arrives in the same
// read; requiring all zeros keeps the answer independent of read sizes.
func (in *input) zeroPadding() error {
	var buf [4096]byte
	var total int64
	for {
		n, err := in.br.Read(buf[:])
		total += int64(n)
		if total > MaxTrailingBytes {
			return detail(ErrCorrupt, "more than %d bytes of padding after the gzip stream", MaxTrailingBytes)
		}
		for _, c := range buf[:n] {
			if c != 0 {
				return detail(ErrCorrupt, "data after the zero padding that follows the gzip stream")
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// finish reads the rest of the stream after the end of the tar archive.
// node-tar ignores it, but it is still decompressed (so the gzip checksum is
// verified) and read to the end (so the caller's hash sees every byte).
func (in *input) finish() error {
	n, err := io.CopyN(io.Discard, in, MaxTrailingBytes+1)
	if err != nil && err != io.EOF {
		return err
	}
	if n > MaxTrailingBytes {
		return detail(ErrCorrupt, "more than %d bytes after the end of the tar archive", MaxTrailingBytes)
	}
	return nil
}

// gzipError names gzip failures as corruption; other errors (the caller's
// reader failing) pass through unchanged.
func gzipError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case err == nil || err == io.EOF:
		return err
	case errors.Is(err, gzip.ErrChecksum):
		return detail(ErrCorrupt, "gzip checksum mismatch")
	case errors.Is(err, gzip.ErrHeader):
		return detail(ErrCorrupt, "invalid gzip header")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return detail(ErrCorrupt, "gzip stream is truncated")
	case errors.As(err, &corrupt):
		return detail(ErrCorrupt, "invalid deflate data: %v", err)
	}
	return err
}

// countingReader counts the bytes read from the caller's reader.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
