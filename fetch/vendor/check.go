package vendor

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/verify"
)

// ProblemKind names what is wrong with one path of a vendor directory.
type ProblemKind string

const (
	// Changed: a listed blob whose bytes match its name's digest or one of
	// the manifest's digests no more, or that is not a regular file.
	Changed ProblemKind = "changed"
	// Missing: a listed blob that is not there.
	Missing ProblemKind = "missing"
	// Extra: a file or directory the manifest does not list.
	Extra ProblemKind = "extra"
)

// Problem is one path that differs from the manifest.
type Problem struct {
	Kind ProblemKind
	Path string // slash-separated, relative to the vendor directory
	// Package is "name@version" for listed blobs.
	Package string
	// Detail says how a changed blob differs (want/got digest, file type).
	Detail string
}

func (p Problem) String() string {
	s := string(p.Kind) + ": " + p.Path
	if p.Package != "" {
		s += " (" + p.Package + ")"
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Report is the result of Check.
type Report struct {
	Manifest *Manifest
	Blobs    int   // blobs listed
	Bytes    int64 // bytes re-hashed
	Problems []Problem
}

// OK reports whether the directory matches its manifest exactly.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Err is nil for a directory that matches its manifest, else an error
// matching ErrTampered that lists every problem.
func (r *Report) Err(dir string) error {
	if r.OK() {
		return nil
	}
	lines := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		lines[i] = p.String()
	}
	return &TamperedError{Dir: dir, Problems: r.Problems, msg: fmt.Sprintf("vendor directory %s does not match its manifest (%d problem(s)):\n\t%s\nnothing was installed; restore the directory from version control, or recreate it with `airlock vendor %s` on a machine you trust",
		dir, len(r.Problems), strings.Join(lines, "\n\t"), dir)}
}

// ErrTampered is matched by a *TamperedError.
var ErrTampered = errors.New("vendor directory does not match its manifest")

// TamperedError lists every problem Check found.
type TamperedError struct {
	Dir      string
	Problems []Problem
	msg      string
}

func (e *TamperedError) Error() string        { return e.msg }
func (e *TamperedError) Is(target error) bool { return target == ErrTampered }

// Check compares dir with its manifest: every listed blob is re-hashed
// against the digest its name gives and every digest the manifest lists
// for it; every other path is extra. Problems are sorted by path. An error
// is returned only when the manifest cannot be read or the directory not
// walked.
func Check(dir string) (*Report, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	defer root.Close()
	m, err := readManifest(root, dir)
	if err != nil {
		return nil, err
	}
	rep := &Report{Manifest: m, Blobs: len(m.Packages)}
	listed := map[string]bool{}
	for _, e := range m.Packages {
		listed[e.Blob] = true
		id := e.Name + "@" + e.Version
		var want []verify.Digest
		for _, s := range e.Digests {
			d, err := parseSRIOne(s)
			if err != nil {
				return nil, fmt.Errorf("vendor directory %s: %s: %s: %v: %w", dir, ManifestName, id, err, ErrManifest)
			}
			want = append(want, d)
		}
		n, err := hashBlob(root, e.Blob, want)
		var me *verify.MismatchError
		switch {
		case err == nil:
			rep.Bytes += n
			if n != e.Size {
				rep.Problems = append(rep.Problems, Problem{Kind: Changed, Path: e.Blob, Package: id,
					Detail: fmt.Sprintf("size %d, the manifest says %d", n, e.Size)})
			}
		case errors.Is(err, os.ErrNotExist):
			rep.Problems = append(rep.Problems, Problem{Kind: Missing, Path: e.Blob, Package: id})
		case errors.As(err, &me):
			rep.Bytes += n
			rep.Problems = append(rep.Problems, Problem{Kind: Changed, Path: e.Blob, Package: id,
				Detail: fmt.Sprintf("want %s, got %s", me.Want, me.Got)})
		case errors.Is(err, errNotRegular):
			rep.Problems = append(rep.Problems, Problem{Kind: Changed, Path: e.Blob, Package: id, Detail: err.Error()})
		default:
			// A path os.Root will not follow (a symlinked directory on the
			// way) or cannot read: the blob is not what was vendored.
			rep.Problems = append(rep.Problems, Problem{Kind: Changed, Path: e.Blob, Package: id, Detail: err.Error()})
		}
	}
	extra, err := listExtra(root, listed, "")
	if err != nil {
		return nil, fmt.Errorf("vendor directory %s: %w", dir, err)
	}
	for _, p := range extra {
		rep.Problems = append(rep.Problems, Problem{Kind: Extra, Path: p})
	}
	sort.Slice(rep.Problems, func(i, j int) bool { return rep.Problems[i].Path < rep.Problems[j].Path })
	return rep, nil
}
