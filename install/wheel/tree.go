package wheel

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/install"
)

// builder assembles, in the staging area, the new content of every
// top-level scheme entry the install touches (see "Atomicity" in the
// package documentation). Paths are absolute environment paths; each lies
// in one target, whose replacement is built under a scratch directory and
// handed to the Staging at the end.
type builder struct {
	st      *install.Staging
	project string
	roots   []string // grouping roots, deepest first
	umask   os.FileMode
	scratch string
	targets map[string]*target // by absolute path
	order   []string
}

// target is one entry of the environment replaced as a whole.
type target struct {
	abs        string
	built      string // where its replacement is built; "" until materialized
	exists     bool   // the replacement currently exists at built
	origExists bool
}

func newBuilder(st *install.Staging, sch Scheme, umask os.FileMode) (*builder, error) {
	project, err := filepath.EvalSymlinks(st.Project())
	if err != nil {
		return nil, fmt.Errorf("wheel: %w", err)
	}
	b := &builder{st: st, project: project, umask: umask, targets: map[string]*target{}}
	seen := map[string]bool{}
	for _, r := range []string{sch.Purelib, sch.Platlib, sch.Scripts, sch.Data} {
		if !seen[r] {
			seen[r] = true
			b.roots = append(b.roots, r)
		}
	}
	// Headers usually lie under data (the prefix); a separate headers
	// base is a root of its own.
	if b.rootOf(filepath.Join(sch.Headers, "x")) == "" {
		b.roots = append(b.roots, sch.Headers)
	}
	for _, r := range b.roots {
		if _, ok := b.rel(r); !ok && r != b.project {
			return nil, fmt.Errorf("wheel: scheme directory %s is not inside %s, the directory airlock locks and stages in; stage in a directory that holds the whole environment (wheel.Root)", r, b.project)
		}
	}
	sort.Slice(b.roots, func(i, j int) bool { return len(b.roots[i]) > len(b.roots[j]) })
	if b.scratch, err = st.Scratch(); err != nil {
		return nil, err
	}
	return b, nil
}

// rel returns p relative to the project, slash-separated.
func (b *builder) rel(p string) (string, bool) {
	r, err := filepath.Rel(b.project, p)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, "../") || filepath.IsAbs(r) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// within reports whether p lies strictly below dir.
func within(p, dir string) bool {
	if dir == string(filepath.Separator) {
		return p != dir && strings.HasPrefix(p, dir)
	}
	return strings.HasPrefix(p, dir+string(filepath.Separator))
}

// rootOf returns the deepest grouping root strictly above p, or "".
func (b *builder) rootOf(p string) string {
	best := ""
	for _, r := range b.roots {
		if within(p, r) && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// isRoot reports whether p is a grouping root or lies above one.
func (b *builder) isRoot(p string) bool {
	for _, r := range b.roots {
		if p == r || within(r, p) {
			return true
		}
	}
	return false
}

// targetPath is the entry p belongs to: the first element below its
// deepest root, or the highest missing directory on the way there.
func (b *builder) targetPath(p string) (string, error) {
	r := b.rootOf(p)
	if r == "" {
		return "", fmt.Errorf("%w: %s is not inside a scheme directory", ErrUnsafeRecordPath, p)
	}
	if b.isRoot(p) {
		return "", fmt.Errorf("%w: it would replace the scheme directory %s", ErrConflict, p)
	}
	first, _, _ := strings.Cut(p[len(r)+1:], string(filepath.Separator))
	t := filepath.Join(r, first)
	relT, _ := b.rel(t)
	segs := strings.Split(relT, "/")
	for i := 1; i < len(segs); i++ {
		a := strings.Join(segs[:i], "/")
		if _, err := b.st.Lstat(a); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return filepath.Join(b.project, filepath.FromSlash(a)), nil
			}
			return "", err
		}
	}
	return t, nil
}

// add registers the target of p, merging nested targets into the outer
// one. All targets must be added before any is materialized.
func (b *builder) add(p string) error {
	t, err := b.targetPath(p)
	if err != nil {
		return err
	}
	if _, ok := b.targets[t]; ok {
		return nil
	}
	for o := range b.targets {
		if within(t, o) {
			return nil
		}
		if within(o, t) {
			delete(b.targets, o)
		}
	}
	b.targets[t] = &target{abs: t}
	return nil
}

// find returns the target holding p and p's path in its replacement.
func (b *builder) find(p string) (*target, string, error) {
	for _, t := range b.targets {
		if p == t.abs || within(p, t.abs) {
			if err := b.materialize(t); err != nil {
				return nil, "", err
			}
			return t, t.built + p[len(t.abs):], nil
		}
	}
	return nil, "", fmt.Errorf("wheel: internal error: %s belongs to no staged entry", p)
}

// materialize starts t's replacement as a copy of the current entry:
// directories recreated with their modes, files hard-linked (copied where
// linking is refused), symlinks recreated. Files are never written through
// these links: a changed file is always unlinked and created anew.
func (b *builder) materialize(t *target) error {
	if t.built != "" {
		return nil
	}
	t.built = filepath.Join(b.scratch, fmt.Sprintf("e%d", len(b.order)))
	b.order = append(b.order, t.abs)
	relT, _ := b.rel(t.abs)
	if _, err := b.st.Lstat(relT); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	t.origExists, t.exists = true, true
	return cloneTree(t.abs, t.built)
}

func cloneTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		out := dst + p[len(src):]
		fi, err := d.Info()
		if err != nil {
			return err
		}
		mode := fi.Mode()
		switch {
		case mode.IsDir():
			if err := os.Mkdir(out, 0o700); err != nil {
				return err
			}
			return os.Chmod(out, mode&(fs.ModePerm|fs.ModeSetgid|fs.ModeSticky))
		case mode&fs.ModeSymlink != 0:
			to, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(to, out)
		case mode.IsRegular():
			if err := os.Link(p, out); err == nil {
				return nil
			}
			return copyFile(p, out, mode.Perm())
		}
		return fmt.Errorf("wheel: %s is a special file (%v); airlock does not copy those, remove it", p, mode.Type())
	})
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, perm)
}

// noSymlinkBetween checks that no element of q below base is a symlink,
// so that nothing is read, removed or written through one.
func noSymlinkBetween(base, q string) error {
	for p := filepath.Dir(q); within(p, base) || p == base; p = filepath.Dir(p) {
		if p == base {
			return nil
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symlink; airlock does not install or remove through symlinks", ErrConflict, p)
		}
	}
	return nil
}

// lstat describes p in the environment as built so far.
func (b *builder) lstat(p string) (fs.FileInfo, error) {
	t, q, err := b.find(p)
	if err != nil {
		return nil, err
	}
	if !t.exists {
		return nil, fs.ErrNotExist
	}
	if err := noSymlinkBetween(t.built, q); err != nil {
		return nil, err
	}
	return os.Lstat(q)
}

// remove deletes p (a file, or a whole directory) from the build.
func (b *builder) remove(p string) error {
	t, q, err := b.find(p)
	if err != nil || !t.exists {
		return err
	}
	if err := noSymlinkBetween(t.built, q); err != nil {
		return err
	}
	if err := os.RemoveAll(q); err != nil {
		return err
	}
	if q == t.built {
		t.exists = false
	}
	return nil
}

// prune removes dir and then its parents while they are empty, like
// os.removedirs in pip's uninstall, stopping at the scheme directories.
func (b *builder) prune(dir string) {
	for ; !b.isRoot(dir) && b.rootOf(dir) != ""; dir = filepath.Dir(dir) {
		t, q, err := b.find(dir)
		if err != nil || !t.exists {
			return
		}
		if os.Remove(q) != nil { // fails unless empty
			return
		}
		if q == t.built {
			t.exists = false
		}
	}
}

// walkFiles lists every non-directory below dir in the build.
func (b *builder) walkFiles(dir string) ([]string, error) {
	t, q, err := b.find(dir)
	if err != nil || !t.exists {
		return nil, err
	}
	var out []string
	err = filepath.WalkDir(q, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			out = append(out, dir+p[len(q):])
		}
		return nil
	})
	return out, err
}

// place puts a file at p: src renamed (or data written) with mode. Missing
// directories are created with 0o777&^umask; an existing file at p is
// replaced (pip unlinks it first), a directory there is an error.
func (b *builder) place(p, src string, data []byte, mode os.FileMode) error {
	t, q, err := b.find(p)
	if err != nil {
		return err
	}
	if !t.exists && q != t.built {
		if err := b.mkdir(t.built); err != nil {
			return err
		}
		t.exists = true
	}
	if err := noSymlinkBetween(t.built, q); err != nil {
		return err
	}
	if err := b.mkdirAll(t.built, filepath.Dir(q)); err != nil {
		return fmt.Errorf("%w: cannot create the directory for %s: %v", ErrConflict, p, err)
	}
	if fi, err := os.Lstat(q); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%w: %s is a directory, where a file is to be installed", ErrConflict, p)
		}
		// Wheels hold no symlinks, so a symlink here was made by the
		// environment's tool (bin/python -> python3), not by a
		// distribution being replaced (whose files are gone by now).
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symlink no distribution being replaced installed (the interpreter's?); a wheel may not replace it", ErrConflict, p)
		}
		if err := os.Remove(q); err != nil {
			return err
		}
	}
	if src != "" {
		if err := os.Rename(src, q); err != nil {
			return err
		}
	} else if err := os.WriteFile(q, data, 0o600); err != nil {
		return err
	}
	t.exists = true
	return os.Chmod(q, mode)
}

func (b *builder) mkdir(d string) error {
	if err := os.Mkdir(d, 0o700); err != nil {
		return err
	}
	return os.Chmod(d, 0o777&^b.umask)
}

// mkdirAll creates d and its missing parents below base.
func (b *builder) mkdirAll(base, d string) error {
	if d == base || !within(d, base) {
		return nil
	}
	fi, err := os.Lstat(d)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", d)
		}
		return nil
	}
	if err := b.mkdirAll(base, filepath.Dir(d)); err != nil {
		return err
	}
	return b.mkdir(d)
}

// commit hands every built target to the Staging: a replacement to swap in,
// or a removal when the entry existed and is now gone.
func (b *builder) commit() error {
	for _, abs := range b.order {
		t := b.targets[abs]
		rel, _ := b.rel(abs)
		switch {
		case t.exists:
			dst, err := b.st.Path(rel)
			if err != nil {
				return err
			}
			if err := os.Rename(t.built, dst); err != nil {
				return fmt.Errorf("wheel: %w", err)
			}
		case t.origExists:
			if err := b.st.Remove(rel); err != nil {
				return err
			}
		}
	}
	return nil
}
