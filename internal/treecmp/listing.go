package treecmp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// List describes the tree at dir one line per path, sorted, in the form of
// the tree listings the installers' tests keep of what the real package
// manager made: "d REL" for a directory, "l REL -> TARGET" for a symlink,
// and "f REL MODE DIGEST" for a file (permission bits in octal, the first 8
// bytes of its SHA-256 in hex). Directory modes are left out: the umask
// decides them for the package manager and airlock alike. omit, if set,
// leaves a path out (a directory with everything below it); rewrite, if
// set, maps a file's content before it is hashed (to blank out absolute
// paths, so trees made in different directories compare).
func List(dir string, omit func(rel string) bool, rewrite func([]byte) []byte) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." {
			return nil
		}
		if omit != nil && omit(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out = append(out, "l "+rel+" -> "+target)
		case d.IsDir():
			out = append(out, "d "+rel)
		default:
			info, err := d.Info()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if rewrite != nil {
				b = rewrite(b)
			}
			sum := sha256.Sum256(b)
			out = append(out, fmt.Sprintf("f %s %04o %s", rel, info.Mode().Perm(), hex.EncodeToString(sum[:8])))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

// ReadListing reads a listing List wrote (one line per path); blank lines
// and lines starting with "#" (the file's provenance) are skipped.
func ReadListing(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out, nil
}

// DiffListings reports the lines only in want ("- " lines, in want's
// order) and then those only in got ("+ " lines); "" means the listings
// hold the same lines.
func DiffListings(want, got []string) string {
	w, g := map[string]bool{}, map[string]bool{}
	for _, l := range want {
		w[l] = true
	}
	for _, l := range got {
		g[l] = true
	}
	var sb strings.Builder
	for _, l := range want {
		if !g[l] {
			fmt.Fprintf(&sb, "- %s\n", l)
		}
	}
	for _, l := range got {
		if !w[l] {
			fmt.Fprintf(&sb, "+ %s\n", l)
		}
	}
	return sb.String()
}

// CheckListing checks got, the listing of a tree the real package manager
// made, against the listing file at path, which tests compare airlock's
// tree with when that package manager is not installed. With update set
// it writes got there instead, after header (comment lines starting with
// "#": where the listing came from). It returns DiffListings(file, got).
func CheckListing(path string, got []string, header string, update bool) (string, error) {
	if update {
		return "", os.WriteFile(path, []byte(header+strings.Join(got, "\n")+"\n"), 0o644)
	}
	want, err := ReadListing(path)
	if err != nil {
		return "", err
	}
	return DiffListings(want, got), nil
}

// CopyFixture copies the fixture tree src into dst (which may exist), each
// file with mode 0o644, leaving out the files omit names (by slash path
// relative to src: the listings of the trees real package managers made).
func CopyFixture(src, dst string, omit func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if omit != nil && omit(filepath.ToSlash(rel)) {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}
