package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Placement says how Place lays an entry out in its destination.
type Placement struct {
	// DirMode is the mode of the directories created in the destination.
	DirMode fs.FileMode
	// Umask is the process umask, which the kernel takes from every mode
	// at creation; a chmod follows only when it took bits DirMode or a
	// file's mode keeps.
	Umask fs.FileMode
	// Copy, if set, names files to copy even in Link mode: those the
	// installer will chmod or rewrite (bin targets), since a change to a
	// linked file is a change to the store.
	Copy func(rel string) bool
	// CopyAll copies every file even in Link mode: for a package whose
	// install scripts may run and write into it.
	CopyAll bool
}

// Stats counts what a Place or Link did.
type Stats struct {
	Files  int   // files placed
	Bytes  int64 // their size, all re-hashed
	Linked int   // placed by hard link
	Cloned int   // placed by reflink
	Copied int   // placed by copy
	// Archive is the size of the archive the entry was built from.
	Archive int64
}

// bufSize is the read buffer of re-hashing and copying: most package
// files fit in one read.
const bufSize = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

const beneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// openat2 opens name beneath dirfd. It retries EINTR, and EAGAIN, which
// the kernel returns for a RESOLVE_BENEATH lookup that raced with a rename
// anywhere on the system (other installs rename entries and blobs all the
// time); taking EAGAIN for a missing or bad file would remove good entries.
func openat2(dirfd int, name string, flags int, mode uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags | unix.O_CLOEXEC), Mode: mode, Resolve: beneath}
	for tries := 0; ; tries++ {
		fd, err := unix.Openat2(dirfd, name, &how)
		if err == unix.EINTR || (err == unix.EAGAIN && tries < 1000) {
			continue
		}
		return fd, err
	}
}

// Place lays id's entry out in dst, an existing empty directory, after
// checking the manifest's MAC, and re-hashes every file it places against
// the manifest. It returns an error matching ErrNotFound when there is no
// entry, an *UntrustedError or *CorruptError (after removing the entry)
// when the entry must be rebuilt, or another error (the destination's). On
// any error dst may hold some files: the caller empties it.
func (s *Store) Place(ctx context.Context, id ID, dst string, p Placement) (Stats, error) {
	rel := s.entryRel(id)
	entry := s.EntryPath(id)
	efd, err := openat2(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		if err == unix.ENOENT || err == unix.ENOTDIR {
			return Stats{}, fmt.Errorf("store: %s: %w", entry, ErrNotFound)
		}
		return Stats{}, fmt.Errorf("store: %w", &os.PathError{Op: "open", Path: entry, Err: err})
	}
	defer unix.Close(efd)
	m, err := s.readManifest(efd, id)
	if err != nil {
		return Stats{}, &UntrustedError{Entry: entry, Reason: err, Removed: s.remove(rel)}
	}
	pkg, err := openat2(efd, pkgDir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return Stats{}, &UntrustedError{Entry: entry, Reason: fmt.Errorf("no %s directory: %v", pkgDir, err), Removed: s.remove(rel)}
	}
	defer unix.Close(pkg)
	pl, err := s.newPlacer(pkg, dst, p, s.mode == Copy || p.CopyAll)
	if err != nil {
		return Stats{}, err
	}
	defer pl.close()
	pl.st.Archive = m.archive
	for i, f := range m.files {
		if i%64 == 0 && ctx.Err() != nil {
			return pl.st, context.Cause(ctx)
		}
		if err := pl.place(f, true); err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				ce.Entry = entry
				ce.Removed = s.remove(rel)
			}
			return pl.st, err
		}
	}
	touch(efd)
	return pl.st, nil
}

// Place lays the files just extracted into the builder's directory out in
// dst, as Store.Place would, without re-hashing: they were hashed as they
// were written, into a directory only this process uses. Call it before
// Commit.
func (b *Builder) Place(dst string, files []File, p Placement) (Stats, error) {
	pkg, err := openat2(b.lock, pkgDir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return Stats{}, fmt.Errorf("store: %w", err)
	}
	defer unix.Close(pkg)
	pl, err := b.s.newPlacer(pkg, dst, p, b.s.mode == Copy || p.CopyAll)
	if err != nil {
		return Stats{}, err
	}
	defer pl.close()
	for _, f := range files {
		if err := pl.place(f, false); err != nil {
			return pl.st, err
		}
	}
	return pl.st, nil
}

func (s *Store) readManifest(efd int, id ID) (*manifest, error) {
	fd, err := openat2(efd, manifestFn, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, errors.New("manifest is not a regular file")
	}
	if st.Size > MaxManifestSize {
		return nil, fmt.Errorf("manifest of %d bytes (limit %d)", st.Size, MaxManifestSize)
	}
	data := make([]byte, st.Size)
	if _, err := io.ReadFull(fdReader(fd), data); err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	m, err := decodeManifest(data, s.key)
	if err != nil {
		return nil, err
	}
	// The MAC binds these to the entry's content, but not to its name: an
	// authentic manifest moved to another entry's name is refused here.
	if m.integrity != id.Integrity.String() || m.layout != id.Layout {
		return nil, fmt.Errorf("manifest is for %s (layout %q), not %s (layout %q)", m.integrity, m.layout, id.Integrity, id.Layout)
	}
	return m, nil
}

type fdReader int

func (r fdReader) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(int(r), p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 && len(p) > 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

// placer puts one entry's files into one destination directory.
type placer struct {
	s        *Store
	src, dst int            // package directory in the entry, destination root
	srcDirs  map[string]int // directory → O_PATH descriptor, by relative path
	dstDirs  map[string]int
	p        Placement
	copyAll  bool
	buf      *[]byte
	h        hash.Hash // reused for every file
	st       Stats
}

func (s *Store) newPlacer(src int, dst string, p Placement, copyAll bool) (*placer, error) {
	dfd, err := unix.Open(dst, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dst, Err: err}
	}
	return &placer{s: s, src: src, dst: dfd, srcDirs: map[string]int{"": src}, dstDirs: map[string]int{"": dfd},
		p: p, copyAll: copyAll, buf: bufPool.Get().(*[]byte)}, nil
}

func (pl *placer) close() {
	for d, fd := range pl.srcDirs {
		if d != "" {
			unix.Close(fd)
		}
	}
	for _, fd := range pl.dstDirs {
		unix.Close(fd)
	}
	bufPool.Put(pl.buf)
}

func splitPath(rel string) (dir, base string) {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i], rel[i+1:]
	}
	return "", rel
}

// srcDir opens a directory of the entry, never through a symlink.
func (pl *placer) srcDir(dir string) (int, error) {
	if fd, ok := pl.srcDirs[dir]; ok {
		return fd, nil
	}
	fd, err := openat2(pl.src, dir, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, err
	}
	pl.srcDirs[dir] = fd
	return fd, nil
}

// dstDir creates (top down) and opens a directory of the destination.
func (pl *placer) dstDir(dir string) (int, error) {
	if fd, ok := pl.dstDirs[dir]; ok {
		return fd, nil
	}
	parent, base := splitPath(dir)
	pfd, err := pl.dstDir(parent)
	if err != nil {
		return -1, err
	}
	if err := unix.Mkdirat(pfd, base, uint32(pl.p.DirMode)); err != nil && err != unix.EEXIST {
		return -1, &os.PathError{Op: "mkdir", Path: dir, Err: err}
	}
	fd, err := openat2(pfd, base, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	if pl.p.DirMode&pl.p.Umask != 0 {
		if err := unix.Fchmod(fd, uint32(pl.p.DirMode)); err != nil {
			unix.Close(fd)
			return -1, &os.PathError{Op: "chmod", Path: dir, Err: err}
		}
	}
	pl.dstDirs[dir] = fd
	return fd, nil
}

// place puts one file into the destination; with check it re-hashes what
// it placed against f.
func (pl *placer) place(f File, check bool) error {
	dir, base := splitPath(f.Path)
	sfd, err := pl.srcDir(dir)
	if err != nil {
		return pl.corrupt(f, "a directory", fmt.Sprintf("an unusable path (%v)", err))
	}
	dfd, err := pl.dstDir(dir)
	if err != nil {
		return err
	}
	if !pl.copyAll && !f.Copy && (pl.p.Copy == nil || !pl.p.Copy(f.Path)) {
		err := unix.Linkat(sfd, base, dfd, base, 0)
		switch err {
		case nil:
			pl.st.Linked++
			if !check {
				pl.count(f)
				return nil
			}
			return pl.checkLinked(dfd, base, f)
		case unix.EXDEV:
			// Another file system: copy this package's files instead.
			pl.copyAll = true
		case unix.ENOENT:
			return pl.corrupt(f, "a file", "nothing")
		case unix.EPERM, unix.EMLINK:
			// EPERM: protected_hardlinks refuses a file airlock's user
			// does not own, which a copy checks just as well. EMLINK: the
			// inode has the most links the file system allows.
		default:
			return &os.PathError{Op: "link", Path: f.Path, Err: err}
		}
	}
	return pl.copy(sfd, dfd, base, f)
}

func (pl *placer) count(f File) {
	pl.st.Files++
	pl.st.Bytes += f.Size
}

// checkLinked hashes the inode just linked at dfd/base: whatever was swapped
// into the store before the link is what gets checked, and nothing can be
// swapped after it.
func (pl *placer) checkLinked(dfd int, base string, f File) error {
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		if err == unix.ELOOP {
			return pl.corrupt(f, "a regular file", "a symbolic link")
		}
		if err == unix.ENXIO || err == unix.EACCES {
			return pl.corrupt(f, "a readable regular file", fmt.Sprintf("a file that cannot be opened (%v)", err))
		}
		return &os.PathError{Op: "open", Path: f.Path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: f.Path, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return pl.corrupt(f, "a regular file", fmt.Sprintf("file type %#o", st.Mode&unix.S_IFMT))
	case st.Uid != pl.s.euid:
		// Its owner could change the installed file at any time.
		return pl.corrupt(f, fmt.Sprintf("uid %d", pl.s.euid), fmt.Sprintf("uid %d", st.Uid))
	case fs.FileMode(st.Mode&0o7777) != f.Mode:
		return pl.corrupt(f, fmt.Sprintf("mode %#o", f.Mode), fmt.Sprintf("mode %#o", st.Mode&0o7777))
	case st.Size != f.Size:
		return pl.corrupt(f, fmt.Sprintf("size %d", f.Size), fmt.Sprintf("size %d", st.Size))
	}
	return pl.hashCheck(fd, -1, f)
}

// hashCheck reads f.Size bytes of fd (whose size fstat just showed to be
// f.Size: no read for the end of file is needed), writing them to out
// unless out is -1, and compares their SHA-256 with f's.
func (pl *placer) hashCheck(fd, out int, f File) error {
	if pl.h == nil {
		pl.h = sha256.New()
	}
	h := pl.h
	h.Reset()
	buf := *pl.buf
	var n int64
	for n < f.Size {
		m, err := unix.Read(fd, buf[:min(int64(len(buf)), f.Size-n)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "read", Path: f.Path, Err: err}
		}
		if m == 0 {
			break
		}
		n += int64(m)
		h.Write(buf[:m])
		if out >= 0 {
			if _, err := writeAll(out, buf[:m]); err != nil {
				return &os.PathError{Op: "write", Path: f.Path, Err: err}
			}
		}
	}
	if n != f.Size {
		return pl.corrupt(f, fmt.Sprintf("size %d", f.Size), fmt.Sprintf("size %d", n))
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if sum != f.SHA256 {
		return pl.corrupt(f, "sha256:"+hex.EncodeToString(f.SHA256[:]), "sha256:"+hex.EncodeToString(sum[:]))
	}
	pl.count(f)
	return nil
}

// copy creates the destination file with f's mode and fills it from the
// store, by reflink where the file system can, hashing what it placed.
func (pl *placer) copy(sfd, dfd int, base string, f File) error {
	in, err := unix.Openat(sfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		switch err {
		case unix.ELOOP:
			return pl.corrupt(f, "a regular file", "a symbolic link")
		case unix.ENOENT:
			return pl.corrupt(f, "a file", "nothing")
		}
		return pl.corrupt(f, "a readable regular file", fmt.Sprintf("a file that cannot be opened (%v)", err))
	}
	defer unix.Close(in)
	var st unix.Stat_t
	if err := unix.Fstat(in, &st); err != nil {
		return &os.PathError{Op: "stat", Path: f.Path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return pl.corrupt(f, "a regular file", fmt.Sprintf("file type %#o", st.Mode&unix.S_IFMT))
	}
	if st.Size != f.Size {
		return pl.corrupt(f, fmt.Sprintf("size %d", f.Size), fmt.Sprintf("size %d", st.Size))
	}
	if fs.FileMode(st.Mode&0o7777) != f.Mode {
		// The copy gets the manifest's mode either way, but a store
		// changed behind airlock's back is not used.
		return pl.corrupt(f, fmt.Sprintf("mode %#o", f.Mode), fmt.Sprintf("mode %#o", st.Mode&0o7777))
	}
	out, err := unix.Openat(dfd, base, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(f.Mode))
	if err != nil {
		return &os.PathError{Op: "create", Path: f.Path, Err: err}
	}
	defer unix.Close(out)
	if f.Mode&pl.p.Umask != 0 {
		if err := unix.Fchmod(out, uint32(f.Mode)); err != nil {
			return &os.PathError{Op: "chmod", Path: f.Path, Err: err}
		}
	}
	if f.Size > 0 && !pl.s.noClone.Load() {
		switch err := unix.IoctlFileClone(out, in); err {
		case nil:
			// The clone is copy-on-write: hash the destination's bytes,
			// which nothing can change behind it.
			pl.st.Cloned++
			return pl.hashCheck(out, -1, f)
		case unix.EOPNOTSUPP, unix.ENOTTY, unix.EINVAL, unix.EXDEV, unix.ENOSYS:
			pl.s.noClone.Store(true)
		}
	}
	pl.st.Copied++
	return pl.hashCheck(in, out, f)
}

func (pl *placer) corrupt(f File, want, got string) error {
	return &CorruptError{Path: f.Path, Want: want, Got: got}
}
