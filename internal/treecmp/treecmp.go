package treecmp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind says how two trees differ at a path.
type Kind string

const (
	OnlyInA     Kind = "only in a"
	OnlyInB     Kind = "only in b"
	TypeDiffers Kind = "type differs"
	Content     Kind = "content differs"
	Mode        Kind = "mode differs"
	LinkTarget  Kind = "symlink target differs"
	// Lockfile is a difference inside a hidden lockfile; Key says where.
	Lockfile Kind = "hidden lockfile differs"
)

// Difference is one way the trees differ.
type Difference struct {
	Path string // slash-separated, relative to the project directories
	Kind Kind
	// Key locates a Lockfile difference in the JSON
	// (`packages["node_modules/ms"].resolved`).
	Key string
	// A and B describe each side ("0755", a symlink target, a JSON value,
	// a digest); empty when the side has nothing there.
	A, B string
}

func (d Difference) String() string {
	loc := d.Path
	if d.Key != "" {
		loc += " " + d.Key
	}
	switch d.Kind {
	case OnlyInA:
		return fmt.Sprintf("%s: only in a (%s)", loc, d.A)
	case OnlyInB:
		return fmt.Sprintf("%s: only in b (%s)", loc, d.B)
	}
	return fmt.Sprintf("%s: %s:\n\ta: %s\n\tb: %s", loc, d.Kind, orAbsent(d.A), orAbsent(d.B))
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// Options tunes a comparison.
type Options struct {
	// Roots are the directories to compare, slash-separated and relative to
	// the project directories. Empty means every directory named
	// node_modules outside another node_modules: the project's own and each
	// workspace's (packages/b/node_modules), found in either tree.
	Roots []string
	// Ignore skips every path matching one of these path.Match patterns
	// (relative to the project directories, slash-separated); a matching
	// directory is skipped with its contents.
	Ignore []string
	// IgnoreDirModes stops directory permission bits being compared.
	IgnoreDirModes bool
}

// permBits are the mode bits that matter for an installed file.
const permBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// MaxReport is how many differences Report prints before summarizing.
const MaxReport = 100

// Compare returns every difference between project trees a and b, sorted by
// path. An error means a tree could not be read, not that they differ.
func Compare(a, b string, opts Options) ([]Difference, error) {
	roots := opts.Roots
	if len(roots) == 0 {
		ra, err := findNodeModules(a, opts.Ignore)
		if err != nil {
			return nil, err
		}
		rb, err := findNodeModules(b, opts.Ignore)
		if err != nil {
			return nil, err
		}
		roots = union(ra, rb)
	}
	ea, err := scan(a, roots, opts.Ignore)
	if err != nil {
		return nil, err
	}
	eb, err := scan(b, roots, opts.Ignore)
	if err != nil {
		return nil, err
	}
	var diffs []Difference
	for _, p := range union(keys(ea), keys(eb)) {
		x, inA := ea[p]
		y, inB := eb[p]
		switch {
		case !inA:
			diffs = append(diffs, Difference{Path: p, Kind: OnlyInB, B: y.describe()})
		case !inB:
			diffs = append(diffs, Difference{Path: p, Kind: OnlyInA, A: x.describe()})
		default:
			d, err := compareEntries(a, b, p, x, y, opts)
			if err != nil {
				return nil, err
			}
			diffs = append(diffs, d...)
		}
	}
	return diffs, nil
}

// Report formats differences one per line (two more lines for the sides),
// for a test failure message.
func Report(diffs []Difference) string {
	var sb strings.Builder
	for i, d := range diffs {
		if i == MaxReport {
			fmt.Fprintf(&sb, "... and %d more differences\n", len(diffs)-MaxReport)
			break
		}
		sb.WriteString(d.String())
		sb.WriteByte('\n')
	}
	return sb.String()
}

type entry struct {
	mode   fs.FileMode
	size   int64
	target string // symlink target, exactly as stored
}

func (e entry) kind() string {
	switch {
	case e.mode.IsRegular():
		return "file"
	case e.mode.IsDir():
		return "directory"
	case e.mode&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "special file " + e.mode.Type().String()
}

func (e entry) describe() string {
	switch {
	case e.mode.IsRegular():
		return fmt.Sprintf("file %04o, %d bytes", e.mode&permBits, e.size)
	case e.mode.IsDir():
		return fmt.Sprintf("directory %04o", e.mode&permBits)
	case e.mode&fs.ModeSymlink != 0:
		return "symlink to " + e.target
	}
	return e.kind()
}

func ignored(rel string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
	}
	return false
}

// findNodeModules lists the node_modules directories of a project, without
// descending into them or through symlinks (workspace links point back into
// the project, which is walked anyway).
func findNodeModules(root string, ignore []string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil
		}
		if !d.IsDir() || p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if ignored(rel, ignore) || (strings.HasPrefix(d.Name(), ".") && d.Name() != ".") {
			return filepath.SkipDir
		}
		if d.Name() == "node_modules" {
			out = append(out, rel)
			return filepath.SkipDir
		}
		return nil
	})
	return out, err
}

// scan records every path under the roots, keyed by slash path relative to
// the project directory. A root missing from the tree is simply absent.
func scan(project string, roots, ignore []string) (map[string]entry, error) {
	out := map[string]entry{}
	for _, r := range roots {
		top := filepath.Join(project, filepath.FromSlash(r))
		if _, err := os.Lstat(top); os.IsNotExist(err) {
			continue
		}
		err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(project, p)
			if err != nil {
				return err
			}
			rel = filepath.ToSlash(rel)
			if ignored(rel, ignore) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			e := entry{mode: info.Mode(), size: info.Size()}
			if e.mode&fs.ModeSymlink != 0 {
				if e.target, err = os.Readlink(p); err != nil {
					return err
				}
			}
			out[rel] = e
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("treecmp: %w", err)
		}
	}
	return out, nil
}

func compareEntries(a, b, rel string, x, y entry, opts Options) ([]Difference, error) {
	if x.kind() != y.kind() {
		return []Difference{{Path: rel, Kind: TypeDiffers, A: x.describe(), B: y.describe()}}, nil
	}
	var diffs []Difference
	switch {
	case x.mode&fs.ModeSymlink != 0:
		if x.target != y.target {
			diffs = append(diffs, Difference{Path: rel, Kind: LinkTarget, A: x.target, B: y.target})
		}
		return diffs, nil
	case x.mode.IsDir():
		if !opts.IgnoreDirModes && x.mode&permBits != y.mode&permBits {
			diffs = append(diffs, Difference{Path: rel, Kind: Mode,
				A: fmt.Sprintf("%04o", x.mode&permBits), B: fmt.Sprintf("%04o", y.mode&permBits)})
		}
		return diffs, nil
	case !x.mode.IsRegular():
		return nil, nil
	}
	if x.mode&permBits != y.mode&permBits {
		diffs = append(diffs, Difference{Path: rel, Kind: Mode,
			A: fmt.Sprintf("%04o", x.mode&permBits), B: fmt.Sprintf("%04o", y.mode&permBits)})
	}
	pa := filepath.Join(a, filepath.FromSlash(rel))
	pb := filepath.Join(b, filepath.FromSlash(rel))
	if path.Base(rel) == ".package-lock.json" && path.Base(path.Dir(rel)) == "node_modules" {
		d, err := compareLockfiles(rel, pa, pb)
		return append(diffs, d...), err
	}
	if x.size == y.size {
		ha, err := hashFile(pa)
		if err != nil {
			return nil, err
		}
		hb, err := hashFile(pb)
		if err != nil {
			return nil, err
		}
		if ha == hb {
			return diffs, nil
		}
	}
	da, db, err := describeContent(pa, pb, x.size, y.size)
	if err != nil {
		return nil, err
	}
	return append(diffs, Difference{Path: rel, Kind: Content, A: da, B: db}), nil
}

func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", fmt.Errorf("treecmp: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("treecmp: %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// textLimit is the largest file whose first differing line is quoted.
const textLimit = 1 << 20

// describeContent says how two differing files differ: size and digest, and
// for text files the first line that differs.
func describeContent(pa, pb string, sa, sb int64) (string, string, error) {
	ha, err := hashFile(pa)
	if err != nil {
		return "", "", err
	}
	hb, err := hashFile(pb)
	if err != nil {
		return "", "", err
	}
	da := fmt.Sprintf("%d bytes, sha256 %s", sa, ha[:16])
	db := fmt.Sprintf("%d bytes, sha256 %s", sb, hb[:16])
	if sa > textLimit || sb > textLimit {
		return da, db, nil
	}
	ba, err := os.ReadFile(pa)
	if err != nil {
		return "", "", err
	}
	bb, err := os.ReadFile(pb)
	if err != nil {
		return "", "", err
	}
	if !utf8.Valid(ba) || !utf8.Valid(bb) || bytes.IndexByte(ba, 0) >= 0 || bytes.IndexByte(bb, 0) >= 0 {
		return da, db, nil
	}
	la, lb := bytes.SplitAfter(ba, []byte("\n")), bytes.SplitAfter(bb, []byte("\n"))
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y []byte
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if !bytes.Equal(x, y) {
			return fmt.Sprintf("%s; line %d: %s", da, i+1, quote(x)),
				fmt.Sprintf("%s; line %d: %s", db, i+1, quote(y)), nil
		}
	}
	return da, db, nil
}

func quote(b []byte) string {
	const max = 120
	if len(b) > max {
		return fmt.Sprintf("%q...", b[:max])
	}
	if b == nil {
		return "(end of file)"
	}
	return fmt.Sprintf("%q", b)
}

func keys(m map[string]entry) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
