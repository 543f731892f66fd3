package unpack

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// tree creates files and directories beneath one directory. Paths are
// slash-separated and relative; the implementations have the kernel refuse
// any that would leave the directory or pass through a symbolic link, so
// that even a bug in the path checks cannot write elsewhere.
type tree interface {
	// mkdir creates one directory whose parent exists.
	mkdir(rel string, perm os.FileMode) error
	// create creates a new regular file; it fails if anything exists there.
	create(rel string, perm os.FileMode) (treeFile, error)
	// truncate opens an existing regular file for rewriting, keeping its
	// mode, as node-tar does when an entry repeats.
	truncate(rel string) (treeFile, error)
	// open opens an existing regular file for reading, to compare a
	// repeated entry with what the first one wrote.
	open(rel string) (io.ReadCloser, error)
	// chmodDir sets a directory's mode, for when the process umask took
	// away bits the caller's umask allows.
	chmodDir(rel string, perm os.FileMode) error
	close() error
}

type treeFile interface {
	io.Writer
	chmod(os.FileMode) error
	Close() error
}

// openTree opens dir, which must be an empty directory, using the fastest
// confinement the kernel offers.
func openTree(dir string) (tree, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(names) > 0 {
		return nil, fmt.Errorf("unpack: %s is not empty; extract into a new empty directory", dir)
	}
	// The directory just checked is the one written to, even if its path
	// is swapped meanwhile (os.Root can only reopen it by name).
	if t, err := openBeneathTree(f); err == nil || !errors.Is(err, errNoBeneath) {
		return t, err
	}
	return openRootTree(dir)
}

// errNoBeneath says the kernel lacks openat2 (Linux before 5.6, or a seccomp
// filter that hides it), so os.Root is used instead.
var errNoBeneath = errors.New("openat2 unavailable")

// rootTree confines writes with os.Root, which walks each path one
// directory at a time with O_NOFOLLOW: portable, but several system calls
// per file.
type rootTree struct{ root *os.Root }

func openRootTree(dir string) (tree, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootTree{root}, nil
}

func (t rootTree) mkdir(rel string, perm os.FileMode) error {
	return t.root.Mkdir(rel, perm)
}

func (t rootTree) create(rel string, perm os.FileMode) (treeFile, error) {
	f, err := t.root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, err
	}
	return rootFile{f}, nil
}

func (t rootTree) truncate(rel string) (treeFile, error) {
	// os.Root never follows a symbolic link in the last element either.
	f, err := t.root.OpenFile(rel, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return nil, err
	}
	return rootFile{f}, nil
}

func (t rootTree) open(rel string) (io.ReadCloser, error) {
	return t.root.OpenFile(rel, os.O_RDONLY, 0)
}

func (t rootTree) chmodDir(rel string, perm os.FileMode) error {
	return t.root.Chmod(rel, perm)
}

func (t rootTree) close() error { return t.root.Close() }

type rootFile struct{ *os.File }

func (f rootFile) chmod(perm os.FileMode) error { return f.File.Chmod(perm) }
