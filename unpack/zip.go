package unpack

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/klauspost/compress/flate"
)

// ZipOptions says how to extract a zip archive (a Python wheel).
//
// Modes follow what pip 23 leaves on disk: a file is 0o666 &^ Umask, or
// (0o777 &^ Umask) | 0o111 when the entry's Unix mode (the high half of its
// external attributes) is a regular file with any execute bit; directories
// are (0o777 &^ Umask) | 0o700 (pip's os.makedirs gives 0o777 &^ umask;
// the owner's bits are kept so that files can be written into them).
type ZipOptions struct {
	// Umask is taken away from every mode. Zero means the process's umask
	// (ProcessUmask), which is what pip uses.
	Umask os.FileMode
	// Limits bound the archive; a zero field takes its value from
	// DefaultZipLimits.
	Limits Limits
}

// ZipReport describes a successful extraction.
type ZipReport struct {
	// Files lists the regular files written, in central-directory order.
	// Directory entries are not listed.
	Files []ZipFile
	// Bytes is the number of file bytes written.
	Bytes int64
}

// ZipFile is one extracted file.
type ZipFile struct {
	// Name is the entry's name as written in the archive (slash-separated,
	// relative), which is also its path below the extraction directory.
	Name string
	// Size is the number of bytes written.
	Size int64
	// SHA256 is the digest of the bytes written, computed as they were
	// written, for checking against a wheel's RECORD without reading the
	// file again.
	SHA256 [32]byte
	// Mode is the permission the file was given.
	Mode os.FileMode
	// Executable says the archive marked the file executable.
	Executable bool
}

// Zip extracts every file of the zip archive ra (size bytes) into dir, which
// must exist and be empty, refusing anything hostile (see the package
// documentation). The whole structure of the archive is checked, and the
// limits applied to the sizes it declares, before anything is written; each
// file's size and CRC-32 are then checked as it is written. It is safe to
// call concurrently (on different directories).
//
// On error the returned error wraps one of the package's predefined errors
// in a *FileError, and dir may hold some of the files: the caller removes it.
func Zip(ra io.ReaderAt, size int64, dir string, opts ZipOptions) (*ZipReport, error) {
	lim := opts.Limits.orDefaultFrom(DefaultZipLimits)
	entries, err := zipDirectory(ra, size, lim)
	if err != nil {
		return nil, err
	}
	procUmask := ProcessUmask()
	umask := opts.Umask & os.ModePerm
	if umask == 0 {
		umask = procUmask
	}
	x := &zipExtractor{
		lim:       lim,
		umask:     umask,
		procUmask: procUmask,
		dirMode:   (0o777 &^ umask) | 0o700,
		seen:      make(map[string]kind, len(entries)),
		named:     make(map[string]bool),
		buf:       bufPool.Get().(*[]byte),
	}
	defer bufPool.Put(x.buf)
	if err := x.plan(entries, size); err != nil {
		return nil, err
	}
	x.t, err = openTree(dir)
	if err != nil {
		return nil, err
	}
	defer x.t.close()
	x.rep.Files = make([]ZipFile, 0, len(entries))
	for _, e := range entries {
		if err := x.extract(ra, e); err != nil {
			return nil, &FileError{Path: e.name, Err: err}
		}
	}
	return &x.rep, nil
}

type zipExtractor struct {
	t                tree
	lim              Limits
	umask, procUmask os.FileMode
	dirMode          os.FileMode
	// seen holds every path the archive names or implies, to refuse
	// repeats and file/directory clashes before anything is written.
	seen map[string]kind
	// named holds the directories that have an entry of their own.
	named map[string]bool
	buf   *[]byte
	rep   ZipReport
}

// plan checks every entry's name, type and mode, repeats, and the limits,
// from the central directory alone.
func (x *zipExtractor) plan(entries []*zipEntry, size int64) error {
	count := 0
	var total uint64
	for _, e := range entries {
		count++
		if count > x.lim.MaxFiles {
			return &FileError{Path: e.name, Err: detail(ErrTooManyFiles, "more than %d entries and directories; %s", x.lim.MaxFiles, limitHint)}
		}
		n, err := x.planEntry(e, &count)
		if err != nil {
			return &FileError{Path: e.name, Err: err}
		}
		total += n
		if total > uint64(x.lim.MaxTotalSize) {
			return &FileError{Path: e.name, Err: detail(ErrTooLarge, "files add up to more than %d bytes; %s", x.lim.MaxTotalSize, limitHint)}
		}
	}
	// The declared sizes are what will be written (a file that decompresses
	// to more is refused), so the ratio can be checked before any work.
	if total > RatioGrace && total/uint64(x.lim.MaxRatio) > uint64(size) {
		return &FileError{Err: detail(ErrRatio, "%d bytes from a %d-byte archive (limit %dx); %s", total, size, x.lim.MaxRatio, limitHint)}
	}
	return nil
}

// planEntry checks one entry and records its path and the directories it
// implies; it returns the file size it will write.
func (x *zipExtractor) planEntry(e *zipEntry, count *int) (uint64, error) {
	if err := checkName(e.name, x.lim); err != nil {
		return 0, err
	}
	rel, isDir := strings.CutSuffix(e.name, "/")
	for seg := range strings.SplitSeq(rel, "/") {
		if seg == "" || seg == "." {
			return 0, detail(ErrUnsafePath, "empty or \".\" segment")
		}
	}
	if depth := strings.Count(rel, "/") + 1; depth > x.lim.MaxDepth {
		return 0, detail(ErrTooDeep, "%d segments (limit %d); %s", depth, x.lim.MaxDepth, limitHint)
	}
	mode := e.unixMode()
	switch typ := mode & 0o170000; {
	case typ == 0:
		// No Unix mode (a DOS or Windows writer): a plain entry, as pip
		// reads it.
	case typ == 0o100000 && !isDir, typ == 0o040000 && isDir:
	case typ == 0o120000:
		return 0, detail(ErrSpecialFile, "symbolic link")
	case typ == 0o040000:
		return 0, detail(ErrSpecialFile, "directory mode on an entry not named like a directory")
	case typ == 0o100000:
		return 0, detail(ErrSpecialFile, "regular file mode on an entry named like a directory")
	default:
		return 0, detail(ErrSpecialFile, "file type %#o (device, FIFO or socket)", typ)
	}
	if isDir {
		// Like the tar path, a directory's own mode is not used, so its
		// setgid bit (common where a build directory had it) is ignored.
		if e.usize != 0 {
			return 0, detail(ErrCorrupt, "directory entry carries %d bytes of data", e.usize)
		}
	} else {
		if mode&0o7000 != 0 {
			return 0, detail(ErrSetuid, "mode %#o", mode&0o7777)
		}
		if e.usize > uint64(x.lim.MaxFileSize) {
			return 0, detail(ErrFileTooLarge, "%d bytes (limit %d); %s", e.usize, x.lim.MaxFileSize, limitHint)
		}
	}
	switch k := x.seen[rel]; {
	case k == kindNone:
	case isDir && k == kindDirListed && !x.named[rel]:
		// Implied by an earlier file, named now: the same directory.
	case isDir && k == kindFile, !isDir && k == kindDirListed:
		return 0, detail(ErrDuplicate, "%q is both a file and a directory in the archive", rel)
	default:
		// No writer of wheels names a file or a directory twice.
		return 0, detail(ErrDuplicate, "%q appears twice", rel)
	}
	for d := parentOf(rel); d != ""; d = parentOf(d) {
		k := x.seen[d]
		if k == kindDirListed {
			break // and so are all directories above it
		}
		if k != kindNone {
			return 0, detail(ErrDuplicate, "%q is a file earlier in the archive", d)
		}
		*count++
		if *count > x.lim.MaxFiles {
			return 0, detail(ErrTooManyFiles, "more than %d entries and directories; %s", x.lim.MaxFiles, limitHint)
		}
		x.seen[d] = kindDirListed
	}
	if isDir {
		x.seen[rel] = kindDirListed
		x.named[rel] = true
		return 0, nil
	}
	x.seen[rel] = kindFile
	return e.usize, nil
}

// extract writes one entry. plan has checked its name and type.
func (x *zipExtractor) extract(ra io.ReaderAt, e *zipEntry) error {
	rel, isDir := strings.CutSuffix(e.name, "/")
	if err := x.parents(rel); err != nil {
		return err
	}
	if isDir {
		// The data of an empty entry is still checked: a deflate stream
		// that decodes to nothing, and a CRC of 0.
		if err := x.copy(nil, ra, e, nil); err != nil {
			return err
		}
		if x.seen[rel] != kindDirMade {
			if err := x.mkdir(rel); err != nil {
				return err
			}
		}
		return nil
	}
	mode := os.FileMode(0o666) &^ x.umask
	m := e.unixMode()
	exec := m&0o170000 == 0o100000 && m&0o111 != 0
	if exec {
		// pip: os.chmod(path, (0o777 & ~current_umask() | 0o111)).
		mode = (0o777 &^ x.umask) | 0o111
	}
	f, err := x.t.create(rel, mode)
	if errors.Is(err, fs.ErrExist) {
		// The archive's names are distinct, so the file system folded two
		// of them together (case or Unicode normalization on macOS or
		// Windows): never overwrite one with the other.
		return detail(ErrDuplicate, "another entry's file already exists at %q on this file system (case or Unicode normalization)", rel)
	}
	if err != nil {
		return err
	}
	sum := sha256.New()
	err = x.copy(f, ra, e, sum)
	if err == nil && mode&x.procUmask != 0 {
		// The kernel took the process umask away at open(2).
		err = f.chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	zf := ZipFile{Name: e.name, Size: int64(e.usize), Mode: mode, Executable: exec}
	sum.Sum(zf.SHA256[:0])
	x.rep.Files = append(x.rep.Files, zf)
	x.rep.Bytes += int64(e.usize)
	return nil
}

// copy decompresses e into w (nil: nothing to write) and the hash, reading
// at most one byte more than declared, and checks the size, the CRC-32, and
// that the compressed data ends exactly where the archive says it does.
func (x *zipExtractor) copy(w io.Writer, ra io.ReaderAt, e *zipEntry, sum hash.Hash) error {
	raw := &countingReader{r: io.NewSectionReader(ra, e.dataOff, int64(e.csize))}
	var src io.Reader
	var br *bufio.Reader
	if e.method == zipMethodStore {
		src = raw
	} else {
		// A bufio.Reader is an io.ByteReader, so the decompressor reads no
		// byte past the end of the deflate stream and what is left over
		// can be counted.
		br = bufio.NewReaderSize(raw, min(readAhead, int(e.csize)+16))
		src = flate.NewReader(br)
	}
	crc := crc32.NewIEEE()
	buf := *x.buf
	var n uint64
	limit := e.usize + 1
	for n < limit {
		k, err := src.Read(buf[:min(uint64(len(buf)), limit-n)])
		if k > 0 {
			n += uint64(k)
			if n > e.usize {
				return detail(ErrCorrupt, "decompresses to more than the declared %d bytes", e.usize)
			}
			crc.Write(buf[:k])
			if sum != nil {
				sum.Write(buf[:k])
			}
			if w != nil {
				if _, err := w.Write(buf[:k]); err != nil {
					return err
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return zipDataError(err)
		}
	}
	if n != e.usize {
		return detail(ErrCorrupt, "decompresses to %d bytes, not the declared %d", n, e.usize)
	}
	if br != nil && raw.n-int64(br.Buffered()) != int64(e.csize) {
		return detail(ErrCorrupt, "deflate data ends %d bytes before the entry's compressed size", int64(e.csize)-raw.n+int64(br.Buffered()))
	}
	if crc.Sum32() != e.crc {
		return detail(ErrCorrupt, "CRC-32 mismatch (%08x, the archive says %08x)", crc.Sum32(), e.crc)
	}
	return nil
}

func zipDataError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return detail(ErrCorrupt, "compressed data is truncated")
	case errors.As(err, &corrupt):
		return detail(ErrCorrupt, "invalid deflate data: %v", err)
	}
	return err
}

// parents creates the directories above rel not yet on disk, top down.
func (x *zipExtractor) parents(rel string) error {
	var todo []string
	for d := parentOf(rel); d != "" && x.seen[d] != kindDirMade; d = parentOf(d) {
		todo = append(todo, d)
	}
	for i := len(todo) - 1; i >= 0; i-- {
		if err := x.mkdir(todo[i]); err != nil {
			return err
		}
	}
	return nil
}

func (x *zipExtractor) mkdir(rel string) error {
	if err := x.t.mkdir(rel, x.dirMode); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return detail(ErrDuplicate, "another entry's directory already exists at %q on this file system (case or Unicode normalization)", rel)
		}
		return err
	}
	if x.dirMode&x.procUmask != 0 {
		if err := x.t.chmodDir(rel, x.dirMode); err != nil {
			return err
		}
	}
	x.seen[rel] = kindDirMade
	return nil
}
