package tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Version names the manifest format; it prefixes every tree digest so a
// future format can never be mistaken for this one.
const Version = "airlock-tree-v1"

// Kind is an entry's type as the manifest writes it.
type Kind byte

const (
	Dir     Kind = 'd'
	File    Kind = 'f'
	Exec    Kind = 'x'
	Symlink Kind = 'l'
)

func (k Kind) String() string {
	switch k {
	case Dir:
		return "directory"
	case File:
		return "file"
	case Exec:
		return "executable file"
	case Symlink:
		return "symlink"
	}
	return "unknown"
}

// Entry is one line of the manifest.
type Entry struct {
	Path string // slash-separated, relative to the base directory
	Kind Kind
	// Sum is the sha256 of a file's contents or of a symlink's target; zero
	// for a directory.
	Sum [sha256.Size]byte
	// Size is a file's length in bytes (not part of the digest, which
	// already covers the contents; kept for reports).
	Size int64
	// Target is a symlink's target.
	Target string
}

// Manifest is a tree's entries sorted by Path.
type Manifest struct {
	Entries []Entry
}

// ErrSpecialFile is returned by Scan for a device, FIFO or socket.
var ErrSpecialFile = errors.New("not a regular file, directory or symlink")

// Scan reads the trees beneath roots (relative to base) into a manifest,
// hashing files with up to workers goroutines (at least one). A symlink in
// a tree is an entry and is never followed; all access goes through an
// os.Root opened at base, so a symlink on the way to a root can lead only
// somewhere else beneath base. A root that does not exist is skipped.
func Scan(base string, roots []string, workers int) (*Manifest, error) {
	r, err := os.OpenRoot(base)
	if err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	defer r.Close()
	s := &scanner{root: r}
	for _, root := range roots {
		root = path.Clean(strings.TrimPrefix(root, "./"))
		if !fs.ValidPath(root) || root == "." {
			return nil, fmt.Errorf("tree: root %q must be a relative path inside %s", root, base)
		}
		if _, err := s.root.Lstat(root); errors.Is(err, fs.ErrNotExist) {
			continue // an absent root contributes nothing
		}
		if err := s.walk(root); err != nil {
			return nil, err
		}
	}
	if err := s.hashFiles(max(workers, 1)); err != nil {
		return nil, err
	}
	m := &Manifest{Entries: s.entries}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Path < m.Entries[j].Path })
	for i := 1; i < len(m.Entries); i++ {
		if m.Entries[i].Path == m.Entries[i-1].Path {
			return nil, fmt.Errorf("tree: %s is listed twice (overlapping roots?)", m.Entries[i].Path)
		}
	}
	return m, nil
}

type scanner struct {
	root    *os.Root
	entries []Entry
	files   []int // indexes of entries whose contents still need hashing
}

func (s *scanner) walk(p string) error {
	fi, err := s.root.Lstat(p)
	if err != nil {
		return fmt.Errorf("tree: %w", err)
	}
	switch mode := fi.Mode(); {
	case mode.IsDir():
		s.entries = append(s.entries, Entry{Path: p, Kind: Dir})
		d, err := s.root.Open(p)
		if err != nil {
			return fmt.Errorf("tree: %w", err)
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return fmt.Errorf("tree: reading %s: %w", p, err)
		}
		sort.Strings(names)
		for _, name := range names {
			if err := s.walk(p + "/" + name); err != nil {
				return err
			}
		}
	case mode&fs.ModeSymlink != 0:
		target, err := s.root.Readlink(p)
		if err != nil {
			return fmt.Errorf("tree: %w", err)
		}
		s.entries = append(s.entries, Entry{Path: p, Kind: Symlink, Sum: sha256.Sum256([]byte(target)), Target: target})
	case mode.IsRegular():
		k := File
		if mode&0o100 != 0 {
			k = Exec
		}
		s.files = append(s.files, len(s.entries))
		s.entries = append(s.entries, Entry{Path: p, Kind: k, Size: fi.Size()})
	default:
		return fmt.Errorf("tree: %s: %w (%v)", p, ErrSpecialFile, mode.Type())
	}
	return nil
}

var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

func (s *scanner) hashFiles(workers int) error {
	var g errgroup.Group
	g.SetLimit(workers)
	for _, i := range s.files {
		e := &s.entries[i]
		g.Go(func() error {
			// O_NOFOLLOW through os.Root: a file swapped for a symlink
			// after Lstat is refused rather than read.
			f, err := s.root.OpenFile(e.Path, os.O_RDONLY|noFollow, 0)
			if err != nil {
				return fmt.Errorf("tree: %w", err)
			}
			defer f.Close()
			h := sha256.New()
			buf := copyBufs.Get().(*[]byte)
			defer copyBufs.Put(buf)
			n, err := io.CopyBuffer(h, f, *buf)
			if err != nil {
				return fmt.Errorf("tree: reading %s: %w", e.Path, err)
			}
			e.Size = n
			h.Sum(e.Sum[:0])
			return nil
		})
	}
	return g.Wait()
}

// WriteTo writes the canonical manifest described in the package
// documentation.
func (m *Manifest) WriteTo(w io.Writer) (int64, error) {
	var total int64
	var line bytes.Buffer
	for _, e := range m.Entries {
		line.Reset()
		line.WriteByte(byte(e.Kind))
		line.WriteByte(' ')
		if e.Kind == Dir {
			line.WriteByte('-')
		} else {
			line.WriteString(hex.EncodeToString(e.Sum[:]))
		}
		line.WriteByte(' ')
		line.WriteString(EscapePath(e.Path))
		line.WriteByte('\n')
		n, err := w.Write(line.Bytes())
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Digest is the tree digest: Version, the hash name and the sha256 of the
// canonical manifest.
func (m *Manifest) Digest() string {
	h := sha256.New()
	m.WriteTo(h) // a hash.Hash never returns an error
	return Version + ":sha256:" + hex.EncodeToString(h.Sum(nil))
}

// EscapePath writes p as the manifest does: bytes 0x00-0x20, 0x7f and '%'
// become %XX.
func EscapePath(p string) string {
	needs := false
	for i := 0; i < len(p); i++ {
		if escaped(p[i]) {
			needs = true
			break
		}
	}
	if !needs {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; escaped(c) {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func escaped(c byte) bool { return c <= 0x20 || c == 0x7f || c == '%' }
