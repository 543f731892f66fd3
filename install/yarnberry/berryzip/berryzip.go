package berryzip

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/unpack"
)

// Errors callers can branch on with errors.Is.
var (
	// ErrUnsupportedCacheKey: the checksum was made with a compression level
	// airlock cannot reproduce (see the package doc).
	ErrUnsupportedCacheKey = errors.New("yarn cache key not reproducible")
	// ErrChecksum: a checksum string is not one yarn writes.
	ErrChecksum = errors.New("malformed yarn checksum")
	// ErrTooLarge: the archive exceeds a limit (see Limits).
	ErrTooLarge = errors.New("archive too large")
	// ErrTarball: the tarball cannot be read.
	ErrTarball = errors.New("unreadable tarball")
)

// Limits bound a conversion, which holds every file in memory (a later
// entry may replace an earlier one's content, so nothing can be written
// before the tarball's end).
type Limits struct {
	// MaxBytes bounds the sum of the file sizes; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxEntries bounds the entries of the zip; 0 means (and it may not
	// exceed) maxZipEntries, the plain zip format's limit.
	MaxEntries int
}

const (
	// DefaultMaxBytes is the default bound on the unpacked content: the
	// npm registry's largest packages unpack to a few hundred MB.
	DefaultMaxBytes = 1 << 30
	// maxZipEntries is the entry count a zip without zip64 can hold.
	maxZipEntries = 0xffff
	// maxZipSize is the largest offset or size a zip without zip64 can hold.
	maxZipSize = 0xffffffff
	// MaxPathLength bounds an entry's zip path: Linux's PATH_MAX, so yarn
	// could not write a longer one into node_modules either. Creating the
	// directories of a path costs its length per level, so a 1 MB pax
	// name of single-letter directories would take an hour.
	MaxPathLength = 4096
	// streamOverhead is what the decompressed tar may hold beyond
	// MaxBytes of file content: headers, padding and pax records for every
	// entry a zip can hold. Entries Convert leaves out (and files a later
	// entry replaces) cost no zip entries, so without this a small gzip
	// of millions of empty headers would be read to its end.
	streamOverhead = maxZipEntries * 4096
)

// safeTime is fslib's constants.SAFE_TIME (456789000, 1984-06-22 21:50:00
// UTC) as the DOS date and time libzip stores.
const (
	dosDate = (1984-1980)<<9 | 6<<5 | 22
	dosTime = 21<<11 | 50<<5 | 0
)

// Unix file type bits, as libzip stores them in the high half of the
// external attributes.
const (
	sIFREG = 0o100000
	sIFDIR = 0o040000
	sIFLNK = 0o120000
)

// Entry is one member of the rebuilt zip.
type Entry struct {
	// Name is the zip path ("node_modules/lodash/index.js"); directories
	// end in "/".
	Name string
	// Mode is the Unix mode, file type bits included.
	Mode uint32
	// Data is a file's content or a symlink's target.
	Data []byte
}

// IsDir reports whether e is a directory.
func (e *Entry) IsDir() bool { return e.Mode&0o170000 == sIFDIR }

// Archive is the zip yarn would write for one tarball.
type Archive struct {
	Entries []*Entry
}

// Convert reads a gzipped npm tarball and returns the zip yarn berry makes
// of it for the package ident (a name such as "lodash" or "@babel/core"):
// the tarball's first path component becomes node_modules/<ident>.
func Convert(tgz io.Reader, ident string, lim Limits) (*Archive, error) {
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultMaxBytes
	}
	if lim.MaxEntries <= 0 || lim.MaxEntries > maxZipEntries {
		lim.MaxEntries = maxZipEntries
	}
	if ident == "" || strings.HasPrefix(ident, "/") || strings.Contains(ident, "..") || path.Clean(ident) != ident {
		return nil, fmt.Errorf("berryzip: package name %q cannot be a zip path", ident)
	}
	in := &countingReader{r: tgz}
	zr, err := gzip.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTarball, err)
	}
	b := &builder{lim: lim, index: map[string]*Entry{}}
	prefix := path.Join("node_modules", ident)
	stream := &boundedReader{r: zr, left: lim.MaxBytes + streamOverhead, in: in}
	tr := tar.NewReader(stream)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, stream.wrap(err)
		}
		name, ok := mapped(h.Name, prefix)
		if !ok {
			continue
		}
		if len(name) > MaxPathLength {
			return nil, fmt.Errorf("%w: %s...: a path longer than %d bytes", ErrTooLarge, name[:64], MaxPathLength)
		}
		mode := uint32(0o644)
		if h.Typeflag == tar.TypeDir || h.Mode&0o111 != 0 {
			mode |= 0o111
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := b.mkdirp(path.Dir(name)); err != nil {
				return nil, err
			}
			if err := b.mkdir(name); err != nil {
				return nil, err
			}
		case tar.TypeReg, tar.TypeRegA:
			if err := b.mkdirp(path.Dir(name)); err != nil {
				return nil, err
			}
			data, err := b.read(tr, h.Size)
			if err != nil {
				if errors.Is(err, ErrTarball) {
					err = stream.wrap(err)
				}
				return nil, err
			}
			if err := b.file(name, sIFREG|mode, data); err != nil {
				return nil, err
			}
		case tar.TypeSymlink:
			if err := b.mkdirp(path.Dir(name)); err != nil {
				return nil, err
			}
			if err := b.symlink(name, h.Linkname); err != nil {
				return nil, err
			}
		}
	}
	// Drain the gzip stream: trailing garbage after the tar's end is read
	// by node-tar without complaint, but a corrupt gzip trailer is not.
	if _, err := io.Copy(io.Discard, stream); err != nil {
		return nil, stream.wrap(err)
	}
	return &Archive{Entries: b.entries}, nil
}

// boundedReader fails once more than left bytes have been read.
type boundedReader struct {
	r    io.Reader
	left int64
	// in counts the compressed bytes, for the ratio check: the whole
	// converted package is held in memory, so a small gzip of zeros must
	// not grow to MaxBytes. node-tar's (and unpack's) rule applies: past
	// unpack.RatioGrace decompressed bytes, at most unpack's MaxRatio
	// times what was read.
	in   *countingReader
	out  int64
	bomb bool // the ratio was exceeded; archive/tar may hide errRatio
}

var (
	errStream = fmt.Errorf("%w: the decompressed tarball exceeds its bound", ErrTooLarge)
	errRatio  = fmt.Errorf("%w: the tarball decompresses more than %dx (a decompression bomb)", ErrTooLarge, unpack.DefaultLimits.MaxRatio)
)

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errStream
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.out += int64(n)
	if b.out > unpack.RatioGrace && b.out > b.in.n*unpack.DefaultLimits.MaxRatio {
		b.left, b.bomb = 0, true
		return n, errRatio
	}
	return n, err
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// wrap is the error Convert returns for a read error.
func (b *boundedReader) wrap(err error) error {
	if b.bomb {
		return errRatio
	}
	if errors.Is(err, ErrTooLarge) || b.left <= 0 {
		return errStream
	}
	return fmt.Errorf("%w: %v", ErrTarball, err)
}

// mapped is yarn's extractArchiveTo path rule with stripComponents 1: the
// zip path of a tar entry, or false if yarn leaves the entry out.
func mapped(name, prefix string) (string, bool) {
	if strings.HasPrefix(name, "/") {
		return "", false
	}
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == ".." {
			return "", false
		}
	}
	if len(parts) <= 1 {
		return "", false
	}
	// ppath.normalize, then the trailing slash removed. path.Clean agrees
	// with Node's posix normalize for relative paths without "..".
	clean := path.Clean(name)
	parts = strings.Split(clean, "/")
	if len(parts) <= 1 {
		return "", false
	}
	return path.Join(prefix, strings.Join(parts[1:], "/")), true
}

// builder is the ZipFS of the conversion: entries in creation order.
type builder struct {
	lim     Limits
	entries []*Entry
	index   map[string]*Entry // by name without a trailing slash
	total   int64
}

func (b *builder) add(key string, e *Entry) error {
	if len(b.entries) >= b.lim.MaxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrTooLarge, b.lim.MaxEntries)
	}
	b.entries = append(b.entries, e)
	b.index[key] = e
	return nil
}

// mkdirp creates dir and its missing parents, outermost first, as ZipFS's
// mkdirpSync does.
func (b *builder) mkdirp(dir string) error {
	if dir == "." || dir == "" {
		return nil
	}
	if e, ok := b.index[dir]; ok {
		if !e.IsDir() {
			return fmt.Errorf("%w: %s is both a file and a directory (yarn cannot convert it either)", ErrTarball, dir)
		}
		return nil
	}
	if err := b.mkdirp(path.Dir(dir)); err != nil {
		return err
	}
	return b.add(dir, &Entry{Name: dir + "/", Mode: sIFDIR | 0o755})
}

// mkdir is ZipFS's mkdirSync, which refuses an existing path.
func (b *builder) mkdir(dir string) error {
	if _, ok := b.index[dir]; ok {
		return fmt.Errorf("%w: directory %s exists already (yarn refuses it too: EEXIST)", ErrTarball, dir)
	}
	return b.add(dir, &Entry{Name: dir + "/", Mode: sIFDIR | 0o755})
}

func (b *builder) read(r io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > maxZipSize || b.total+size > b.lim.MaxBytes {
		return nil, fmt.Errorf("%w: the content exceeds %d bytes", ErrTooLarge, b.lim.MaxBytes)
	}
	b.total += size
	data := make([]byte, size)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTarball, err)
	}
	return data, nil
}

// file is ZipFS's writeFileSync: a new entry, or new content for an
// existing file in its old place.
func (b *builder) file(name string, mode uint32, data []byte) error {
	if e, ok := b.index[name]; ok {
		if e.IsDir() || e.Mode&0o170000 == sIFLNK {
			return fmt.Errorf("%w: %s is written as a file over a directory or symlink (yarn refuses it too)", ErrTarball, name)
		}
		e.Data = data
		e.Mode = mode
		return nil
	}
	return b.add(name, &Entry{Name: name, Mode: mode, Data: data})
}

// symlink is ZipFS's symlinkSync, which refuses an existing path.
func (b *builder) symlink(name, target string) error {
	if _, ok := b.index[name]; ok {
		return fmt.Errorf("%w: symlink %s exists already (yarn refuses it too: EEXIST)", ErrTarball, name)
	}
	return b.add(name, &Entry{Name: name, Mode: sIFLNK | 0o777, Data: []byte(target)})
}

// WriteTo writes the zip as libzip does with compression level 0.
func (a *Archive) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	var cd bytes.Buffer
	for _, e := range a.Entries {
		if len(e.Name) > 0xffff {
			return cw.n, fmt.Errorf("%w: entry name over 65535 bytes", ErrTooLarge)
		}
		if cw.n > maxZipSize {
			return cw.n, fmt.Errorf("%w: the zip would exceed 4 GiB", ErrTooLarge)
		}
		offset := uint32(cw.n)
		crc := crc32.ChecksumIEEE(e.Data)
		size := uint32(len(e.Data))
		needed := uint16(10)
		if e.IsDir() {
			needed = 20
		}
		var flags uint16
		if !isASCII(e.Name) {
			flags |= 0x800
		}
		var lh [30]byte
		le := binary.LittleEndian
		le.PutUint32(lh[0:], 0x04034b50)
		le.PutUint16(lh[4:], needed)
		le.PutUint16(lh[6:], flags)
		le.PutUint16(lh[8:], 0) // stored
		le.PutUint16(lh[10:], dosTime)
		le.PutUint16(lh[12:], dosDate)
		le.PutUint32(lh[14:], crc)
		le.PutUint32(lh[18:], size)
		le.PutUint32(lh[22:], size)
		le.PutUint16(lh[26:], uint16(len(e.Name)))
		le.PutUint16(lh[28:], 0)
		if _, err := cw.Write(lh[:]); err != nil {
			return cw.n, err
		}
		if _, err := io.WriteString(cw, e.Name); err != nil {
			return cw.n, err
		}
		if _, err := cw.Write(e.Data); err != nil {
			return cw.n, err
		}
		var ch [46]byte
		le.PutUint32(ch[0:], 0x02014b50)
		le.PutUint16(ch[4:], 3<<8|63) // Unix, 6.3
		le.PutUint16(ch[6:], needed)
		le.PutUint16(ch[8:], flags)
		le.PutUint16(ch[10:], 0)
		le.PutUint16(ch[12:], dosTime)
		le.PutUint16(ch[14:], dosDate)
		le.PutUint32(ch[16:], crc)
		le.PutUint32(ch[20:], size)
		le.PutUint32(ch[24:], size)
		le.PutUint16(ch[28:], uint16(len(e.Name)))
		le.PutUint32(ch[38:], e.Mode<<16)
		le.PutUint32(ch[42:], offset)
		cd.Write(ch[:])
		cd.WriteString(e.Name)
	}
	if cw.n+int64(cd.Len()) > maxZipSize {
		return cw.n, fmt.Errorf("%w: the zip would exceed 4 GiB", ErrTooLarge)
	}
	cdOffset := uint32(cw.n)
	var end [22]byte
	le := binary.LittleEndian
	le.PutUint32(end[0:], 0x06054b50)
	le.PutUint16(end[8:], uint16(len(a.Entries)))
	le.PutUint16(end[10:], uint16(len(a.Entries)))
	le.PutUint32(end[12:], uint32(cd.Len()))
	le.PutUint32(end[16:], cdOffset)
	if _, err := cw.Write(cd.Bytes()); err != nil {
		return cw.n, err
	}
	_, err := cw.Write(end[:])
	return cw.n, err
}

// Sum is the SHA-512 of the zip, in hex, as yarn writes it after the cache
// key.
func (a *Archive) Sum() (string, error) {
	h := sha512.New()
	if _, err := a.WriteTo(h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Checksum is a parsed yarn.lock checksum.
type Checksum struct {
	// CacheKey is the lockfile's cache key ("10c0"), from the checksum's
	// prefix or, for yarn 2 and 3 lockfiles, from __metadata.cacheKey.
	CacheKey string
	// Hex is the SHA-512 in lower-case hex.
	Hex string
}

func (c Checksum) String() string { return c.CacheKey + "/" + c.Hex }

// ParseChecksum reads a yarn.lock checksum: "10c0/<128 hex digits>" (yarn
// 4), or bare hex digits, whose cache key is then metaCacheKey (the
// lockfile's __metadata.cacheKey). It refuses, with
// ErrUnsupportedCacheKey, a cache key whose compression level is not 0.
func ParseChecksum(s, metaCacheKey string) (Checksum, error) {
	key, hexSum, ok := strings.Cut(s, "/")
	if !ok {
		key, hexSum = metaCacheKey, s
	}
	if len(hexSum) != 128 || strings.ToLower(hexSum) != hexSum {
		return Checksum{}, fmt.Errorf("%w: %q is not a SHA-512 in lower-case hex", ErrChecksum, s)
	}
	if _, err := hex.DecodeString(hexSum); err != nil {
		return Checksum{}, fmt.Errorf("%w: %q is not a SHA-512 in lower-case hex", ErrChecksum, s)
	}
	level, err := CompressionLevel(key)
	if err != nil {
		return Checksum{}, err
	}
	if level != "0" {
		return Checksum{}, fmt.Errorf("%w: cache key %q means compression level %q; airlock can check only level 0 (yarn 4's default), because the checksum of a compressed zip depends on yarn's zlib build: set `compressionLevel: 0` in .yarnrc.yml and run `yarn install` once to rewrite the checksums", ErrUnsupportedCacheKey, key, level)
	}
	return Checksum{CacheKey: key, Hex: hexSum}, nil
}

// CompressionLevel reads the compression level from a cache key: yarn
// appends "c" and the level to its cache version ("10c0"), except for the
// level "mixed", which appends nothing ("8", yarn 2 and 3's default).
func CompressionLevel(key string) (string, error) {
	version, level, ok := strings.Cut(key, "c")
	if _, err := strconv.ParseUint(version, 10, 32); err != nil || version == "" {
		return "", fmt.Errorf("%w: cache key %q is not a number with an optional c<level>", ErrChecksum, key)
	}
	if !ok {
		return "mixed", nil
	}
	if n, err := strconv.Atoi(level); err != nil || n < 0 || n > 9 || strconv.Itoa(n) != level {
		return "", fmt.Errorf("%w: cache key %q has compression level %q, not 0-9", ErrChecksum, key, level)
	}
	return level, nil
}
