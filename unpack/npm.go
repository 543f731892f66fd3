package unpack

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

// NpmOptions says how to lay out one npm package.
//
// Modes follow what `npm ci` leaves on disk: a file gets
// ((mode | 0o666 | x) &^ Umask) | 0o600, where mode is the tar entry's
// permission bits and x is 0o111 for a declared bin target, and a directory
// gets (0o777 &^ Umask) | 0o700. pacote computes the file mode with npm's own
// "umask" setting (default 0) and lets the kernel apply the process umask;
// npm's bin-links then makes bin targets 0o777 &^ umask. For every umask that
// leaves the owner's bits alone the result is the same as npm's; for one that
// does not, the tree is kept usable by its owner.
type NpmOptions struct {
	// Bins are the package-relative paths of the declared bin targets
	// (the values of the lockfile's bin map). They are normalised as npm
	// normalises them, so "./cli.js", "cli.js" and `.\cli.js` name the same
	// file. A bin naming no file in the archive is ignored.
	Bins []string
	// Umask is taken away from every mode. Zero means the process's umask
	// (ProcessUmask), which is what npm uses: a tree readable and writable
	// by everyone is never made by accident. To apply no mask, run with a
	// process umask of 0.
	Umask os.FileMode
	// Limits bound the archive; the zero value means DefaultLimits.
	Limits Limits
	// KeepGitignore writes .gitignore files under their own name, as pnpm
	// does, instead of pacote's rename to .npmignore.
	KeepGitignore bool
	// UmaskIsProcess says that Umask is the process's umask, read by the
	// caller with ProcessUmask, so that it is not read again for this
	// archive: on Linux that costs an open and a read of
	// /proc/self/status, 2% of the CPU time of an install from a warm
	// cache. Set it only if nothing changes the umask while extracting.
	UmaskIsProcess bool
	// Digests makes the Report list every regular file written with its
	// final mode, size and SHA-256, computed over the bytes as they are
	// written (no second read). fetch/store records these in the manifest
	// of a store entry built from a verified archive.
	Digests bool
}

// FileDigest describes one regular file an extraction wrote.
type FileDigest struct {
	// Path is package-relative and slash-separated, as written.
	Path string
	// Mode is the permission bits the file was left with.
	Mode os.FileMode
	// Size is its length in bytes.
	Size int64
	// SHA256 is the digest of its content.
	SHA256 [sha256.Size]byte
}

// Report describes a successful extraction.
type Report struct {
	// Files is the number of regular files written.
	Files int
	// Bytes is the number of file bytes written.
	Bytes int64
	// Skipped lists, by archive name, the entries npm also skips: links,
	// entries naming the package directory itself, and a .gitignore dropped
	// because its directory already has a .npmignore. Directory entries are
	// not listed: directories are only ever created to hold files.
	Skipped []string
	// PackageJSON is the content of the package's top-level package.json,
	// or nil if there is none, so the caller can check its name and version
	// against the lockfile.
	PackageJSON []byte
	// Digests lists the regular files written, in archive order, when
	// NpmOptions.Digests is set.
	Digests []FileDigest
}

// NpmTarball extracts an npm package tarball from r into dir, following
// pacote's rules and refusing anything hostile (see the package
// documentation). The archive is gzip-compressed tar, or plain tar, told
// apart by their first bytes as node-tar does. dir must exist and be empty.
// It is safe to call concurrently (on different directories).
//
// r is read once, sequentially and to its end (so a hash computed over the
// same stream covers every byte), and is never buffered whole. On error the
// returned error wraps one of the package's predefined errors in a
// *FileError, and dir may hold some of the files: the caller removes it.
func NpmTarball(r io.Reader, dir string, opts NpmOptions) (*Report, error) {
	t, err := openTree(dir)
	if err != nil {
		return nil, err
	}
	defer t.close()
	x := newNpmExtractor(t, opts)
	defer x.release()
	if err := x.run(r); err != nil {
		return nil, err
	}
	return &x.rep, nil
}

// kind records what the archive said a path is.
type kind uint8

const (
	kindNone      kind = iota
	kindFile           // a regular file, written
	kindGitignore      // a .gitignore written as .npmignore, which a .npmignore may replace
	kindLink           // a symbolic or hard link, skipped
	kindDirListed      // a directory, named or implied, not yet created
	kindDirMade        // a directory that exists on disk
)

type npmExtractor struct {
	t                tree
	lim              Limits
	umask, procUmask os.FileMode
	dirMode          os.FileMode
	bins             map[string]bool
	keepGit          bool
	// seen holds every path inside the package the archive has named or
	// implied, so repeats and file/directory clashes are caught, and
	// existing directories are never created (or checked for) twice.
	seen map[string]kind
	// npmignores holds the archive names of the .npmignore files seen, as
	// pacote keys them, to know whether a later .gitignore is dropped.
	npmignores map[string]bool
	count      int   // entries plus implied directories, against MaxFiles
	total      int64 // declared file bytes, against MaxTotalSize
	buf        *[]byte
	ancestors  []string
	rep        Report
	// digests, when set, maps a written path to its Report.Digests index,
	// so that a .npmignore rewriting a renamed .gitignore updates its entry.
	digests map[string]int
}

// copyBuffer is the size of the buffer that carries file data from the
// decompressor to the disk: most package files fit in one read.
const copyBuffer = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, copyBuffer); return &b }}

func newNpmExtractor(t tree, opts NpmOptions) *npmExtractor {
	umask := opts.Umask & os.ModePerm
	var procUmask os.FileMode
	if opts.UmaskIsProcess {
		procUmask = umask
	} else {
		procUmask = ProcessUmask()
	}
	if umask == 0 {
		umask = procUmask
	}
	x := &npmExtractor{
		t:          t,
		lim:        opts.Limits.orDefault(),
		umask:      umask,
		procUmask:  procUmask,
		dirMode:    (0o777 &^ umask) | 0o700,
		bins:       make(map[string]bool, len(opts.Bins)),
		seen:       make(map[string]kind),
		npmignores: make(map[string]bool),
		buf:        bufPool.Get().(*[]byte),
		keepGit:    opts.KeepGitignore,
	}
	if opts.Digests {
		x.digests = map[string]int{}
	}
	for _, b := range opts.Bins {
		if n := normalizeBin(b); n != "" {
			x.bins[n] = true
		}
	}
	return x
}

func (x *npmExtractor) release() { bufPool.Put(x.buf) }

// normalizeBin mirrors npm-normalize-package-bin: backslashes become
// slashes, and the path is resolved against the package root, so it can
// neither start with "./" nor climb out with "..".
func normalizeBin(p string) string {
	return path.Clean("/" + strings.ReplaceAll(p, `\`, "/"))[1:]
}

func (x *npmExtractor) run(r io.Reader) error {
	in, err := newInput(r, x.lim)
	if err != nil {
		return &FileError{Err: err}
	}
	tr := &tarReader{r: in}
	prev := ""
	entries := 0
	for {
		h, err := tr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if prev != "" {
				err = fmt.Errorf("%w (in the header after entry %q)", err, prev)
			}
			return &FileError{Err: err}
		}
		entries++
		if err := x.entry(h, tr); err != nil {
			return &FileError{Path: h.name, Err: err}
		}
		prev = h.name
	}
	if entries == 0 {
		// node-tar reports "Unrecognized archive format" too.
		return &FileError{Err: detail(ErrCorrupt, "no entries: not a tar archive, or an empty one")}
	}
	if err := in.finish(); err != nil {
		return &FileError{Err: err}
	}
	return nil
}

// counted counts one more entry or implied directory against MaxFiles.
func (x *npmExtractor) counted() error {
	x.count++
	if x.count > x.lim.MaxFiles {
		return detail(ErrTooManyFiles, "more than %d entries and directories; %s", x.lim.MaxFiles, limitHint)
	}
	return nil
}

func (x *npmExtractor) entry(h *tarHeader, tr *tarReader) error {
	if err := x.counted(); err != nil {
		return err
	}
	if h.typ == typePAXGlobal {
		return nil
	}
	if err := checkName(h.name, x.lim); err != nil {
		return err
	}
	rel, depth := stripFirst(h.name)
	if depth > x.lim.MaxDepth {
		return detail(ErrTooDeep, "%d segments (limit %d); %s", depth, x.lim.MaxDepth, limitHint)
	}
	switch h.typ {
	case typeFile, typeContiguous:
		return x.file(h, rel, tr)
	case typeDir, typeGNUDumpDir:
		return x.dir(rel)
	case typeLink, typeSymlink:
		return x.link(h, rel)
	case typeChar:
		return detail(ErrSpecialFile, "character device")
	case typeBlock:
		return detail(ErrSpecialFile, "block device")
	case typeFIFO:
		return detail(ErrSpecialFile, "FIFO")
	case 'S':
		return detail(ErrSpecialFile, "GNU sparse file")
	}
	return detail(ErrSpecialFile, "entry type %q", h.typ)
}

func (x *npmExtractor) file(h *tarHeader, rel string, tr *tarReader) error {
	perm := os.FileMode(h.mode & 0o7777)
	if h.mode&0o7000 != 0 {
		return detail(ErrSetuid, "mode %#o", h.mode&0o7777)
	}
	if h.size > x.lim.MaxFileSize {
		return detail(ErrFileTooLarge, "%d bytes (limit %d); %s", h.size, x.lim.MaxFileSize, limitHint)
	}
	if x.total+h.size > x.lim.MaxTotalSize {
		return detail(ErrTooLarge, "files add up to more than %d bytes; %s", x.lim.MaxTotalSize, limitHint)
	}

	// pacote's rule, keyed on the name as written: a .gitignore becomes
	// .npmignore unless that directory's .npmignore came first.
	base := path.Base(h.name)
	if x.keepGit && base == ".gitignore" {
		base = "" // an ordinary file
	}
	switch base {
	case ".npmignore":
		x.npmignores[h.name] = true
	case ".gitignore":
		if x.npmignores[strings.TrimSuffix(h.name, ".gitignore")+".npmignore"] {
			x.rep.Skipped = append(x.rep.Skipped, h.name)
			return nil
		}
		if rel != "" {
			rel = strings.TrimSuffix(rel, ".gitignore") + ".npmignore"
		}
	}
	if rel == "" {
		x.rep.Skipped = append(x.rep.Skipped, h.name)
		return nil
	}

	replace := false
	switch k := x.seen[rel]; {
	case k == kindNone:
	case k == kindGitignore && base == ".npmignore":
		// A .npmignore after a renamed .gitignore overwrites it in place,
		// keeping the first file's mode, exactly as node-tar does.
		replace = true
	case k == kindFile || k == kindGitignore:
		return x.repeat(rel, h.size, tr)
	default:
		return duplicate(rel, k)
	}
	if rel == "package.json" && h.size > MaxPackageJSON {
		return detail(ErrFileTooLarge, "package.json of %d bytes (limit %d)", h.size, MaxPackageJSON)
	}
	if err := x.parents(rel, true); err != nil {
		return err
	}
	mode := ((perm | 0o666) &^ x.umask) | 0o600
	if x.bins[rel] {
		mode = ((perm | 0o777) &^ x.umask) | 0o600
	}

	var f treeFile
	var err error
	if replace {
		f, err = x.t.truncate(rel)
	} else {
		f, err = x.t.create(rel, mode)
	}
	if errors.Is(err, fs.ErrExist) {
		// The archive's paths are distinct, so the file system folded two
		// of them together (case or Unicode normalization on macOS or
		// Windows): never overwrite one with the other.
		return detail(ErrDuplicate, "another entry's file already exists at %q on this file system (case or Unicode normalization)", rel)
	}
	if err != nil {
		return err
	}
	if base == ".gitignore" {
		x.seen[rel] = kindGitignore
	} else {
		x.seen[rel] = kindFile
	}
	var sum [sha256.Size]byte
	err = x.copy(f, tr, h.size, rel == "package.json", &sum)
	// The kernel takes the process umask away at open(2); put back bits
	// the caller's umask allows, with one more call only when needed.
	if err == nil && !replace && mode&x.procUmask != 0 {
		err = f.chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	x.total += h.size
	x.rep.Bytes += h.size
	if !replace {
		x.rep.Files++
	}
	if x.digests != nil {
		d := FileDigest{Path: rel, Mode: mode, Size: h.size, SHA256: sum}
		if i, ok := x.digests[rel]; ok {
			// node-tar keeps the first file's mode when rewriting it.
			d.Mode = x.rep.Digests[i].Mode
			x.rep.Digests[i] = d
		} else {
			x.digests[rel] = len(x.rep.Digests)
			x.rep.Digests = append(x.rep.Digests, d)
		}
	}
	return nil
}

// repeat reads a file entry whose path an earlier file entry wrote. node-tar
// rewrites the file in place (the last entry's bytes, the first entry's
// mode) where other extractors keep the first entry, so two different
// contents would make the package depend on who reads it: that is refused.
// The same bytes twice are accepted and leave the file as it is, which is
// what every extractor ends with; real packages do this (@rollup/pluginutils
// 5.5.1 holds both "package/./dist/cjs/index.js" and
// "package/dist/cjs/index.js").
func (x *npmExtractor) repeat(rel string, size int64, tr *tarReader) error {
	f, err := x.t.open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	differs := detail(ErrDuplicate, "%q appears twice with different contents", rel)
	buf, first := *x.buf, make([]byte, min(size+1, copyBuffer))
	for left := size; left > 0; {
		n, err := tr.Read(buf[:min(int64(len(first)), left)])
		if n > 0 {
			m, ferr := io.ReadFull(f, first[:n])
			if ferr != nil && ferr != io.ErrUnexpectedEOF && ferr != io.EOF {
				return ferr
			}
			if m < n || !bytes.Equal(first[:n], buf[:n]) {
				return differs
			}
			left -= int64(n)
		}
		if err == io.EOF && left > 0 {
			return detail(ErrCorrupt, "archive is truncated inside an entry's data")
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	// The earlier file must end here too.
	switch n, err := f.Read(first[:1]); {
	case n > 0:
		return differs
	case err != io.EOF:
		return err
	}
	x.total += size
	return nil
}

// copy streams size bytes of the current entry into f, and with
// x.digests set leaves their SHA-256 in sum.
func (x *npmExtractor) copy(f treeFile, tr *tarReader, size int64, keep bool, sum *[sha256.Size]byte) error {
	if keep {
		x.rep.PackageJSON = make([]byte, 0, size)
	}
	var h hash.Hash
	if x.digests != nil {
		h = sha256.New()
		defer func() { h.Sum(sum[:0]) }()
	}
	buf := *x.buf
	for size > 0 {
		n, err := tr.Read(buf)
		if n > 0 {
			if _, werr := f.Write(buf[:n]); werr != nil {
				return werr
			}
			if h != nil {
				h.Write(buf[:n])
			}
			if keep {
				x.rep.PackageJSON = append(x.rep.PackageJSON, buf[:n]...)
			}
			size -= int64(n)
		}
		if err == io.EOF && size > 0 {
			return detail(ErrCorrupt, "archive is truncated inside an entry's data")
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// dir records a directory entry. npm never creates directories from entries
// (pacote filters them out), only as parents of files, so neither do we.
func (x *npmExtractor) dir(rel string) error {
	if rel == "" {
		return nil
	}
	switch k := x.seen[rel]; k {
	case kindDirListed, kindDirMade:
		return nil
	case kindNone:
		if err := x.parents(rel, false); err != nil {
			return err
		}
		x.seen[rel] = kindDirListed
		return nil
	default:
		return duplicate(rel, k)
	}
}

// link records a link entry, which is skipped however it points: nothing
// is created, but later entries may not reuse or go through its path.
func (x *npmExtractor) link(h *tarHeader, rel string) error {
	x.rep.Skipped = append(x.rep.Skipped, h.name)
	if rel == "" {
		return nil
	}
	if k := x.seen[rel]; k != kindNone {
		return duplicate(rel, k)
	}
	if err := x.parents(rel, false); err != nil {
		return err
	}
	x.seen[rel] = kindLink
	return nil
}

// parents checks that every directory above rel is, as far as the archive
// said, a directory, recording the new ones (each counts against MaxFiles).
// With create set it also creates those not yet on disk, top down.
func (x *npmExtractor) parents(rel string, create bool) error {
	todo := x.ancestors[:0]
	for d := parentOf(rel); d != ""; d = parentOf(d) {
		k := x.seen[d]
		if k == kindDirMade || (k == kindDirListed && !create) {
			break // and so are all directories above it
		}
		switch k {
		case kindFile, kindGitignore:
			return detail(ErrDuplicate, "%q is a file earlier in the archive", d)
		case kindLink:
			return detail(ErrUnsafePath, "goes through %q, a link earlier in the archive", d)
		case kindNone:
			if err := x.counted(); err != nil {
				return err
			}
			x.seen[d] = kindDirListed
		}
		todo = append(todo, d)
	}
	x.ancestors = todo
	if !create {
		return nil
	}
	for i := len(todo) - 1; i >= 0; i-- {
		d := todo[i]
		if err := x.t.mkdir(d, x.dirMode); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return detail(ErrDuplicate, "another entry's directory already exists at %q on this file system (case or Unicode normalization)", d)
			}
			return err
		}
		if x.dirMode&x.procUmask != 0 {
			if err := x.t.chmodDir(d, x.dirMode); err != nil {
				return err
			}
		}
		x.seen[d] = kindDirMade
	}
	return nil
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

func duplicate(rel string, k kind) error {
	switch k {
	case kindDirListed, kindDirMade:
		return detail(ErrDuplicate, "%q is also a directory in the archive", rel)
	case kindLink:
		return detail(ErrDuplicate, "%q is also a link in the archive", rel)
	}
	return detail(ErrDuplicate, "%q appears twice", rel)
}
