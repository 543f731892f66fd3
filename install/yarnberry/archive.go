package yarnberry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/install/yarnberry/berryzip"
)

// WriteArchive writes a package's files, as yarn's node-modules linker
// copies them out of its cache zip, into dir (which exists and is empty):
//
//   - the entries under node_modules/<ident>/, with their zip modes
//     (0o644 or 0o755, less umask);
//   - symlinks as they are, if their target stays inside the package;
//     one that leaves it (absolute, or through ".."), and a node_modules
//     that is not a directory, are ErrBadPackage;
//   - nothing of the package's own node_modules directory but the
//     directory itself (yarn berry does not install bundled
//     dependencies: its linker skips that directory when copying).
//
// Every write goes through an os.Root on dir, so nothing lands outside it
// whatever the names say.
func WriteArchive(a *berryzip.Archive, ident, dir string, umask fs.FileMode) error {
	prefix := "node_modules/" + ident + "/"
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	var links []*berryzip.Entry
	for _, e := range a.Entries {
		rel, ok := strings.CutPrefix(e.Name, prefix)
		if !ok || rel == "" {
			continue
		}
		rel = strings.TrimSuffix(rel, "/")
		if rel == "node_modules" && e.IsDir() {
			if err := root.MkdirAll(rel, 0o777); err != nil {
				return err
			}
			continue
		}
		if strings.HasPrefix(rel, "node_modules/") {
			continue
		}
		if rel == "node_modules" {
			// A symlink (or file) where the nested packages go would
			// redirect them.
			return fmt.Errorf("%w: %s ships node_modules as something other than a directory", ErrBadPackage, ident)
		}
		switch e.Mode & 0o170000 {
		case 0o040000:
			if err := root.MkdirAll(rel, 0o777); err != nil {
				return err
			}
		case 0o120000:
			links = append(links, e)
		case 0o100000:
			if d := path.Dir(rel); d != "." {
				if err := root.MkdirAll(d, 0o777); err != nil {
					return err
				}
			}
			mode := fs.FileMode(e.Mode&0o777) &^ umask
			f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
			if err != nil {
				return err
			}
			_, werr := f.Write(e.Data)
			cerr := f.Close()
			if werr != nil {
				return werr
			}
			if cerr != nil {
				return cerr
			}
			// The kernel applied the process umask to the mode given to
			// open; the zip's mode less the requested umask is what stays.
			if err := root.Chmod(rel, mode); err != nil {
				return err
			}
		}
	}
	// Symlinks last: no file is ever written through one.
	for _, e := range links {
		rel := strings.TrimSuffix(strings.TrimPrefix(e.Name, prefix), "/")
		target := string(e.Data)
		resolved := path.Join(path.Dir(rel), target)
		if target == "" || strings.HasPrefix(target, "/") || strings.ContainsRune(target, 0) || resolved == ".." || strings.HasPrefix(resolved, "../") {
			return fmt.Errorf("%w: %s: symlink %s points to %q, outside the package", ErrBadPackage, ident, rel, target)
		}
		if d := path.Dir(rel); d != "." {
			if err := root.MkdirAll(d, 0o777); err != nil {
				return err
			}
		}
		if err := root.Symlink(target, rel); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%w: %s: symlink %s exists already", ErrBadPackage, ident, rel)
			}
			return err
		}
	}
	return nil
}

// hasFile reports whether rel exists inside dir (following symlinks that
// stay under dir), as yarn's existsSync check of a bin target.
func hasFile(dir, rel string) bool {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return false
	}
	defer root.Close()
	_, err = root.Stat(filepath.FromSlash(path.Clean(rel)))
	return err == nil
}
