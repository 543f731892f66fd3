package vendor

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/verify"
)

const (
	dirPerm  = 0o755
	blobPerm = 0o444
)

// Writer builds or updates a vendor directory. Add every archive with
// Blob (or Keep) and Add, then Commit; Abort discards a run that did not
// commit. A Writer is safe for concurrent use.
type Writer struct {
	dir  string
	root *os.Root
	lock *os.File // the directory, flock'd for the run
	tmp  string   // name of this run's .tmp-* directory inside dir
	old  map[string]Entry
	now  func() time.Time

	mu      sync.Mutex
	entries map[string]*Entry
	seq     int
	done    bool
}

// Begin starts a vendor run in dir, creating dir if needed. An existing
// manifest is read so that unchanged entries keep their fetch time; an
// unusable one is an error (the user decides whether to delete it).
func Begin(dir string) (*Writer, error) {
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	// One run at a time: a second one would delete the first's
	// temporary directory as debris when it commits.
	lock, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err == unix.EWOULDBLOCK {
		lock.Close()
		return nil, fmt.Errorf("vendor directory %s: %w", dir, ErrBusy)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	w := &Writer{dir: dir, root: root, lock: lock, old: map[string]Entry{}, entries: map[string]*Entry{}, now: time.Now}
	m, err := readManifest(root, dir)
	switch {
	case err == nil:
		for _, e := range m.Packages {
			w.old[e.Blob] = e
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		root.Close()
		lock.Close()
		return nil, fmt.Errorf("%w (or delete %s to start afresh)", err, filepath.Join(dir, ManifestName))
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	w.tmp = tmpPrefix + hex.EncodeToString(rnd[:])
	if err := root.Mkdir(w.tmp, 0o700); err != nil {
		root.Close()
		lock.Close()
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	return w, nil
}

// Has reports whether the directory already holds d's blob with the right
// bytes (it is re-hashed), so that an update need not fetch it again.
func (w *Writer) Has(d verify.Digest) bool {
	size, err := hashBlob(w.root, BlobPath(d), []verify.Digest{d})
	return err == nil && size >= 0
}

// BlobWriter receives one archive's bytes. Reset starts it over (a fetch
// may deliver an archive twice); Commit stores it under the digest it
// matched.
type BlobWriter struct {
	w    *Writer
	name string // inside w.tmp
	f    *os.File
}

// Blob starts writing a blob. Its digest is given to Commit, which checks
// it: a fetch may settle on another of the lockfile's digests than the one
// it tried first (an index that lists no hash).
func (w *Writer) Blob() (*BlobWriter, error) {
	w.mu.Lock()
	w.seq++
	name := fmt.Sprintf("%s/%d", w.tmp, w.seq)
	w.mu.Unlock()
	b := &BlobWriter{w: w, name: name}
	return b, b.Reset()
}

// Reset discards what was written and starts again.
func (b *BlobWriter) Reset() error {
	if b.f != nil {
		b.f.Close()
	}
	f, err := b.w.root.OpenFile(b.name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("vendor directory %s: %w", b.w.dir, err)
	}
	b.f = f
	return nil
}

func (b *BlobWriter) Write(p []byte) (int, error) {
	n, err := b.f.Write(p)
	if err != nil {
		return n, fmt.Errorf("vendor directory %s: %w", b.w.dir, err)
	}
	return n, nil
}

// Commit syncs the file, reads it back through d's hash (what is renamed
// into place is what was checked, not what was meant to be written), and
// renames it to d's blob path. It returns the size.
func (b *BlobWriter) Commit(d verify.Digest) (int64, error) {
	defer b.Abort()
	if err := d.Validate(); err != nil {
		return 0, err
	}
	if err := b.f.Chmod(blobPerm); err != nil {
		return 0, err
	}
	if err := b.f.Sync(); err != nil {
		return 0, fmt.Errorf("vendor directory %s: %w", b.w.dir, err)
	}
	final := BlobPath(d)
	n, err := hashBlob(b.w.root, b.name, []verify.Digest{d})
	if err != nil {
		return 0, fmt.Errorf("vendor directory %s: not storing %s: %w", b.w.dir, final, err)
	}
	if err := b.w.root.MkdirAll(filepath.Dir(final), dirPerm); err != nil {
		return 0, fmt.Errorf("vendor directory %s: %w", b.w.dir, err)
	}
	if err := b.w.root.Rename(b.name, final); err != nil {
		return 0, fmt.Errorf("vendor directory %s: %w", b.w.dir, err)
	}
	return n, nil
}

// Abort discards the bytes; a no-op after Commit.
func (b *BlobWriter) Abort() {
	if b.f != nil {
		b.f.Close()
		b.f = nil
		_ = b.w.root.Remove(b.name)
	}
}

// Add records that the blob named by e.Digests[0] serves e (a blob
// committed or found by Has in this run). Entries for the same blob merge
// their Paths and Decisions. Size and Fetched are filled in when zero:
// Fetched from the previous manifest when it listed the blob, else now.
func (w *Writer) Add(e Entry) error {
	if len(e.Digests) == 0 {
		return fmt.Errorf("vendor: %s@%s has no digest", e.Name, e.Version)
	}
	d, err := parseSRIOne(e.Digests[0])
	if err != nil {
		return err
	}
	e.Blob = BlobPath(d)
	e.URL = client.Redact(e.URL)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ok := w.entries[e.Blob]; ok {
		for _, p := range e.Paths {
			if !contains(cur.Paths, p) {
				cur.Paths = append(cur.Paths, p)
			}
		}
		for _, dd := range e.Decisions {
			if !containsDecision(cur.Decisions, dd) {
				cur.Decisions = append(cur.Decisions, dd)
			}
		}
		return nil
	}
	if old, ok := w.old[e.Blob]; ok && e.Fetched.IsZero() {
		e.Fetched = old.Fetched
	}
	if e.Fetched.IsZero() {
		e.Fetched = w.now().UTC().Truncate(time.Second)
	}
	if e.Size == 0 {
		if st, err := w.root.Lstat(e.Blob); err == nil {
			e.Size = st.Size()
		}
	}
	w.entries[e.Blob] = &e
	return nil
}

// Changes says what a Commit did to the directory.
type Changes struct {
	Added, Kept, Removed []string // blob paths
}

// Commit writes the new manifest in place of the old one (a rename), then
// deletes blobs it no longer lists and this run's temporary directory.
func (w *Writer) Commit() (Changes, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return Changes{}, errors.New("vendor: Commit after the run ended")
	}
	var ch Changes
	m := &Manifest{Format: Format, Packages: []Entry{}}
	for blob, e := range w.entries {
		m.Packages = append(m.Packages, *e)
		if _, ok := w.old[blob]; ok {
			ch.Kept = append(ch.Kept, blob)
		} else {
			ch.Added = append(ch.Added, blob)
		}
	}
	data, err := m.encode()
	if err != nil {
		return ch, err
	}
	tmpManifest := w.tmp + "/" + ManifestName
	f, err := w.root.OpenFile(tmpManifest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return ch, fmt.Errorf("vendor directory %s: %w", w.dir, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.root.Rename(tmpManifest, ManifestName)
	}
	if err != nil {
		return ch, fmt.Errorf("vendor directory %s: writing %s: %w", w.dir, ManifestName, err)
	}
	// The new manifest is in place: whatever it does not list is debris of
	// the old one (or of a run that died), removed now.
	extra, err := listExtra(w.root, w.entries, w.tmp)
	if err != nil {
		return ch, fmt.Errorf("vendor directory %s: %w", w.dir, err)
	}
	for _, p := range extra {
		if err := w.root.RemoveAll(p); err != nil {
			return ch, fmt.Errorf("vendor directory %s: removing %s: %w", w.dir, p, err)
		}
		if _, ok := w.old[p]; ok {
			ch.Removed = append(ch.Removed, p)
		}
	}
	removeEmptyDirs(w.root, blobsDir)
	w.finish()
	sort.Strings(ch.Added)
	sort.Strings(ch.Kept)
	sort.Strings(ch.Removed)
	return ch, nil
}

// Abort removes this run's temporary directory and leaves the manifest and
// the blobs as they were (blobs this run committed stay, unlisted, until
// the next run).
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.finish()
	}
}

func (w *Writer) finish() {
	w.done = true
	_ = w.root.RemoveAll(w.tmp)
	w.root.Close()
	w.lock.Close() // drops the flock
}

// ErrBusy is matched when another run holds the vendor directory.
var ErrBusy = errors.New("another airlock vendor is writing it; wait for it to finish")

// listExtra returns every path in the directory that is neither the
// manifest nor a blob listed in entries, skipping the directories that
// lead to listed blobs and the run's own temporary directory (keep).
func listExtra[V any](root *os.Root, listed map[string]V, keep string) ([]string, error) {
	var extra []string
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case p == ".":
			return nil
		case p == ManifestName || p == keep && keep != "":
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if _, ok := listed[p]; ok {
			return nil
		}
		if d.IsDir() && isBlobAncestor(p) {
			return nil
		}
		extra = append(extra, p)
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
	return extra, err
}

// isBlobAncestor reports whether p may lead to blobs: blobs/ and
// blobs/<known algo>/.
func isBlobAncestor(p string) bool {
	if p == blobsDir {
		return true
	}
	algo, ok := strings.CutPrefix(p, blobsDir+"/")
	if !ok || strings.Contains(algo, "/") {
		return false
	}
	return knownAlgos[algo]
}

// knownAlgos are the digest algorithms verify supports, the only names a
// blobs/<algo> directory may have.
var knownAlgos = map[string]bool{"sha1": true, "sha256": true, "sha384": true, "sha512": true}

// removeEmptyDirs removes blobs/<algo> directories left empty.
func removeEmptyDirs(root *os.Root, dir string) {
	entries, err := fs.ReadDir(root.FS(), dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			_ = root.Remove(dir + "/" + e.Name()) // fails unless empty
		}
	}
}

func parseSRIOne(s string) (verify.Digest, error) {
	integ, err := verify.ParseSRI(s)
	if err != nil {
		return verify.Digest{}, err
	}
	if len(integ) != 1 {
		return verify.Digest{}, fmt.Errorf("vendor: %q: want one digest", s)
	}
	return integ[0], nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func containsDecision(ds []Decision, d Decision) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// hashBlob reads the blob at p through os.Root (no symlink is followed out
// of the directory; a symlink or non-file at p is an error) and checks it
// against every digest in want. It returns the size.
func hashBlob(root *os.Root, p string, want []verify.Digest) (int64, error) {
	st, err := root.Lstat(p)
	if err != nil {
		return -1, err
	}
	if !st.Mode().IsRegular() {
		return -1, fmt.Errorf("%w: %s", errNotRegular, st.Mode().Type())
	}
	f, err := root.Open(p)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	chks := make([]io.Writer, len(want))
	cs := make([]*verify.Checker, len(want))
	for i, d := range want {
		cs[i] = verify.NewChecker(d)
		chks[i] = cs[i]
	}
	n, err := io.Copy(io.MultiWriter(chks...), f)
	if err != nil {
		return -1, err
	}
	for _, c := range cs {
		if err := c.Check(); err != nil {
			return n, err
		}
	}
	return n, nil
}

var errNotRegular = errors.New("not a regular file")
