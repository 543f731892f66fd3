package store

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

const (
	// TempPrefix starts the name of every entry being built.
	TempPrefix = ".airlock-tmp-"

	versionDir = "v1"
	tempDir    = "tmp"
	pkgDir     = "pkg"
	manifestFn = "manifest"
	dirPerm    = 0o700
)

// ErrNotFound is matched by Place's error when the store has no entry.
var ErrNotFound = errors.New("not in the store")

// UntrustedError is an entry whose manifest cannot be trusted: its MAC does
// not verify, or it does not describe the entry it was found as. The entry
// has been removed (Removed) so that it is rebuilt.
type UntrustedError struct {
	Entry   string
	Reason  error
	Removed bool
}

func (e *UntrustedError) Error() string {
	return fmt.Sprintf("store entry %s is not trusted: %v%s", e.Entry, e.Reason, removedNote(e.Removed, e.Entry))
}

func (e *UntrustedError) Unwrap() error { return e.Reason }

// CorruptError is an entry whose file does not match its (authentic)
// manifest: someone changed a file in the store, or in a tree it is
// hard-linked into. The entry has been removed (Removed).
type CorruptError struct {
	Entry string
	// Path is the file, relative to the package.
	Path string
	// Want and Got describe the mismatch ("sha256:<hex>", "mode 0644",
	// "size 12", "uid 1000", "a symbolic link").
	Want, Got string
	Removed   bool
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store entry %s: %s was altered (want %s, got %s)%s", e.Entry, e.Path, e.Want, e.Got, removedNote(e.Removed, e.Entry))
}

func removedNote(removed bool, entry string) string {
	if removed {
		return "; removed it"
	}
	return "; could not remove it, delete " + entry + " by hand"
}

// Mode says how Place puts files into the destination.
type Mode int

const (
	// Link hard-links files (copying those Placement.Copy names, and all
	// of them when the destination is on another file system).
	Link Mode = iota
	// Copy copies every file: a FICLONE reflink where supported, else a
	// read-hash-write copy. No inode is shared with the store.
	Copy
)

// ID names an entry: the archive's lockfile digest and the layout its
// files were extracted with. Layout is the caller's; anything that changes
// the files or their modes must be in it.
type ID struct {
	Integrity verify.Digest
	Layout    string
}

// name is the entry's directory name: an HMAC of the ID under the store's
// key, so that each key has its own entries. Machines sharing a cache (a CI
// cache restored on many runners, each with its own key) then never find,
// distrust and remove each other's entries; they only miss them.
func (s *Store) name(id ID) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("airlock-store 1\x00"))
	h.Write([]byte(id.Integrity.String()))
	h.Write([]byte{0})
	h.Write([]byte(id.Layout))
	return hex.EncodeToString(h.Sum(nil))
}

// Store is an open store directory. Its methods are safe for concurrent
// use, also by other processes sharing the directory.
type Store struct {
	dir  string
	root int
	key  []byte
	mode Mode
	euid uint32
	// noClone is set once FICLONE failed as unsupported, so that copies
	// stop trying it.
	noClone atomic.Bool
}

// Open opens (creating) the store at dir, normally <cache>/store, with the
// MAC key from LoadKey, placing files by mode.
func Open(dir string, key []byte, mode Mode) (*Store, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("store: key of %d bytes, want %d", len(key), KeySize)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := os.Mkdir(abs, dirPerm); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("store: %w", err)
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("store: opening %s: %w", abs, err)
	}
	// Every lookup in the store and the destination goes through openat2:
	// without it (Linux before 5.6, an old seccomp profile) there is no
	// store.
	probe, err := openat2(fd, ".", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("store: openat2 unavailable (%v); archives are extracted on every install", err)
	}
	unix.Close(probe)
	for _, d := range []string{versionDir, tempDir} {
		if err := unix.Mkdirat(fd, d, dirPerm); err != nil && err != unix.EEXIST {
			unix.Close(fd)
			return nil, fmt.Errorf("store: creating %s: %w", filepath.Join(abs, d), err)
		}
	}
	return &Store{dir: abs, root: fd, key: append([]byte(nil), key...), mode: mode, euid: uint32(os.Geteuid())}, nil
}

// Dir returns the store's absolute directory.
func (s *Store) Dir() string { return s.dir }

// Close releases the store.
func (s *Store) Close() error { return unix.Close(s.root) }

func (s *Store) entryRel(id ID) string {
	n := s.name(id)
	return versionDir + "/" + n[:2] + "/" + n
}

// EntryPath returns where id's entry lives, for messages.
func (s *Store) EntryPath(id ID) string {
	return filepath.Join(s.dir, filepath.FromSlash(s.entryRel(id)))
}

// remove takes an entry away atomically (rename into tmp/, then delete),
// so that no reader ever sees it half removed.
func (s *Store) remove(rel string) bool {
	gone := tempDir + "/" + TempPrefix + "rm-" + randomName()
	if err := unix.Renameat(s.root, rel, s.root, gone); err != nil {
		return err == unix.ENOENT
	}
	return os.RemoveAll(filepath.Join(s.dir, filepath.FromSlash(gone))) == nil
}

func randomName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Builder is an entry being built in a private temporary directory.
type Builder struct {
	s    *Store
	id   ID
	rel  string // tmp/.airlock-tmp-*, relative to the store
	lock int    // flock'd descriptor of the temporary directory
	done bool
}

// Begin starts building id's entry. Extract the archive into Dir, then
// call Commit once the archive's digest has matched, or Abort.
func (s *Store) Begin(id ID) (*Builder, error) {
	rel := tempDir + "/" + TempPrefix + randomName()
	if err := unix.Mkdirat(s.root, rel, dirPerm); err != nil {
		return nil, fmt.Errorf("store: %w", &os.PathError{Op: "mkdir", Path: filepath.Join(s.dir, rel), Err: err})
	}
	fd, err := unix.Openat(s.root, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		_ = unix.Unlinkat(s.root, rel, unix.AT_REMOVEDIR)
		return nil, fmt.Errorf("store: %w", err)
	}
	// The lock says "alive" to RemoveStale in other processes; the kernel
	// drops it when this one dies, however it dies. It blocks only while
	// a RemoveStale holds it to look at the directory's age.
	for unix.Flock(fd, unix.LOCK_EX) == unix.EINTR {
	}
	if err := unix.Mkdirat(fd, pkgDir, dirPerm); err != nil {
		unix.Close(fd)
		os.RemoveAll(filepath.Join(s.dir, rel))
		return nil, fmt.Errorf("store: %w", err)
	}
	return &Builder{s: s, id: id, rel: rel, lock: fd}, nil
}

// Dir is the directory to extract the package into. It is empty at first.
func (b *Builder) Dir() string {
	return filepath.Join(b.s.dir, filepath.FromSlash(b.rel), pkgDir)
}

// Commit writes the manifest of files (as the extraction reported them,
// hashed while written) and renames the entry into place. Call it only
// after the archive the files came from matched its lockfile digest. If
// another process committed the same entry first, theirs is kept.
func (b *Builder) Commit(files []File, archiveSize int64) error {
	if b.done {
		return errors.New("store: entry already committed or aborted")
	}
	m := &manifest{integrity: b.id.Integrity.String(), layout: b.id.Layout, archive: archiveSize, files: files}
	data := m.encode(b.s.key)
	fd, err := unix.Openat(b.lock, manifestFn, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		b.Abort()
		return fmt.Errorf("store: writing manifest: %w", err)
	}
	_, werr := writeAll(fd, data)
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		b.Abort()
		return fmt.Errorf("store: writing manifest: %w", werr)
	}
	final := b.s.entryRel(b.id)
	if err := unix.Mkdirat(b.s.root, versionDir+"/"+final[len(versionDir)+1:len(versionDir)+3], dirPerm); err != nil && err != unix.EEXIST {
		b.Abort()
		return fmt.Errorf("store: %w", err)
	}
	err = unix.Renameat(b.s.root, b.rel, b.s.root, final)
	if err != nil {
		// EEXIST, ENOTEMPTY: another process built it first, from the
		// same verified archive. Keep theirs.
		b.Abort()
		if err == unix.EEXIST || err == unix.ENOTEMPTY {
			return nil
		}
		return fmt.Errorf("store: %w", err)
	}
	b.done = true
	unix.Close(b.lock)
	return nil
}

// Abort discards the entry. It is safe to call after Commit.
func (b *Builder) Abort() {
	if b.done {
		return
	}
	b.done = true
	os.RemoveAll(filepath.Join(b.s.dir, filepath.FromSlash(b.rel)))
	unix.Close(b.lock)
}

func writeAll(fd int, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}
