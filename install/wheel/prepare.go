package wheel

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/unpack"
)

// Bounds on the metadata files held in memory (RECORD has maxRecord).
const (
	maxWheelFile   = 1 << 20
	maxMetadata    = 16 << 20
	maxEntryPoints = 16 << 20
)

// schemeKeys are the .data subdirectories the spec defines.
var schemeKeys = []string{"data", "headers", "platlib", "purelib", "scripts"}

// prepared is one wheel extracted, verified and mapped onto the scheme.
type prepared struct {
	w        Wheel
	display  string
	distInfo string // "name-1.0.dist-info"
	libDir   string // purelib or platlib, per Root-Is-Purelib
	files    []placed
	eps      *entryPoints
	record   []recordRow
	result   DistResult
}

// placed is one archive file and where it goes.
type placed struct {
	archive string // name in the archive (and in RECORD)
	src     string // the extracted file
	dest    string // absolute destination
	script  bool   // a .data/scripts file: its "#!python" line is rewritten
}

func (p *prepared) fail(file string, err error) error {
	return &WheelError{Wheel: p.display, Path: file, Err: err}
}

// prepare extracts w into a scratch directory of the staging area and
// checks it (see the package documentation).
func prepare(ctx context.Context, w Wheel, scratch string, sch Scheme, opts *Options, umask os.FileMode) (*prepared, error) {
	p := &prepared{w: w, display: w.Filename}
	if p.display == "" {
		p.display = filepath.Base(w.File)
	}
	if w.Name == "" || w.Version == "" {
		return nil, p.fail("", fmt.Errorf("%w: the wheel's name and version must be given", ErrDistInfo))
	}
	f, err := os.Open(w.File)
	if err != nil {
		return nil, p.fail("", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, p.fail("", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ex := filepath.Join(scratch, "x")
	if err := os.Mkdir(ex, 0o700); err != nil {
		return nil, p.fail("", err)
	}
	rep, err := unpack.Zip(f, fi.Size(), ex, unpack.ZipOptions{Umask: umask, Limits: opts.Limits})
	if err != nil {
		return nil, p.fail("", err)
	}
	if err := p.findDistInfo(ex); err != nil {
		return nil, err
	}
	files := make(map[string]unpack.ZipFile, len(rep.Files))
	for _, zf := range rep.Files {
		files[zf.Name] = zf
	}
	read := func(name string, limit int64) ([]byte, bool, error) {
		zf, ok := files[p.distInfo+"/"+name]
		if !ok {
			return nil, false, nil
		}
		if zf.Size > limit {
			return nil, true, p.fail(zf.Name, fmt.Errorf("%w: larger than %d bytes", ErrRecordSyntax, limit))
		}
		b, err := os.ReadFile(filepath.Join(ex, filepath.FromSlash(zf.Name)))
		if err != nil {
			return nil, true, p.fail(zf.Name, err)
		}
		return b, true, nil
	}

	wheelFile, ok, err := read("WHEEL", maxWheelFile)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.fail(p.distInfo+"/WHEEL", fmt.Errorf("%w: missing", ErrWheelFile))
	}
	info, err := parseWheelFile(string(wheelFile))
	if err != nil {
		return nil, p.fail(p.distInfo+"/WHEEL", err)
	}
	p.libDir = sch.Platlib
	if info.rootIsPurelib {
		p.libDir = sch.Purelib
	}

	meta, ok, err := read("METADATA", maxMetadata)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.fail(p.distInfo+"/METADATA", fmt.Errorf("%w: missing", ErrMetadata))
	}
	h := headers(string(meta))
	if normalizeName(h["name"]) != normalizeName(w.Name) || normalizeVersion(h["version"]) != normalizeVersion(w.Version) {
		return nil, p.fail(p.distInfo+"/METADATA", fmt.Errorf("%w: it says %s %s, the lock %s %s", ErrMetadata, h["name"], h["version"], w.Name, w.Version))
	}

	recordData, ok, err := read("RECORD", maxRecord)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.fail(p.distInfo+"/RECORD", fmt.Errorf("%w: the wheel has no RECORD", ErrRecordMissing))
	}
	if p.record, err = parseRecord(recordData); err != nil {
		return nil, p.fail(p.distInfo+"/RECORD", err)
	}
	if err := p.checkRecord(files, ex); err != nil {
		return nil, err
	}

	p.eps = &entryPoints{}
	if data, ok, err := read("entry_points.txt", maxEntryPoints); err != nil {
		return nil, err
	} else if ok {
		if p.eps, err = parseEntryPoints(data); err != nil {
			return nil, p.fail(p.distInfo+"/entry_points.txt", err)
		}
	}
	if err := p.layout(rep.Files, ex, sch, opts); err != nil {
		return nil, err
	}
	p.result.Name, p.result.Version, p.result.DistInfo = w.Name, w.Version, p.distInfo
	return p, nil
}

// findDistInfo finds the one top-level *.dist-info (pip counts every
// top-level name, directory or not) and checks its name and version.
func (p *prepared) findDistInfo(ex string) error {
	ents, err := os.ReadDir(ex)
	if err != nil {
		return p.fail("", err)
	}
	var infos []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".dist-info") {
			infos = append(infos, e.Name())
		}
	}
	switch {
	case len(infos) == 0:
		return p.fail("", fmt.Errorf("%w: no .dist-info directory", ErrDistInfo))
	case len(infos) > 1:
		return p.fail("", fmt.Errorf("%w: %d .dist-info directories: %s", ErrDistInfo, len(infos), strings.Join(infos, ", ")))
	}
	p.distInfo = infos[0]
	name, version, ok := splitDistInfo(p.distInfo, ".dist-info")
	if !ok || normalizeName(name) != normalizeName(p.w.Name) || normalizeVersion(version) != normalizeVersion(p.w.Version) {
		return p.fail(p.distInfo, fmt.Errorf("%w: want %s %s (the lock's), have %s", ErrDistInfo, p.w.Name, p.w.Version, p.distInfo))
	}
	if st, err := os.Lstat(filepath.Join(ex, p.distInfo)); err != nil || !st.IsDir() {
		return p.fail(p.distInfo, fmt.Errorf("%w: not a directory", ErrDistInfo))
	}
	return nil
}

// checkRecord binds every extracted file to RECORD and RECORD to the
// archive.
func (p *prepared) checkRecord(files map[string]unpack.ZipFile, ex string) error {
	recordPath := p.distInfo + "/RECORD"
	unlistedOK := map[string]bool{recordPath: true, p.distInfo + "/RECORD.jws": true, p.distInfo + "/RECORD.p7s": true}
	seen := map[string]recordRow{}
	for _, r := range p.record {
		if !cleanRecordPath(r.Path) {
			return p.fail(r.Path, fmt.Errorf("%w (RECORD line %d)", ErrUnsafeRecordPath, r.line))
		}
		if prev, dup := seen[r.Path]; dup {
			if prev.Hash != r.Hash || prev.Size != r.Size {
				return p.fail(r.Path, fmt.Errorf("%w: RECORD lines %d and %d disagree", ErrRecordSyntax, prev.line, r.line))
			}
			continue
		}
		seen[r.Path] = r
		if r.Path == recordPath {
			continue // RECORD cannot hold its own digest
		}
		zf, ok := files[r.Path]
		if !ok {
			return p.fail(r.Path, fmt.Errorf("%w (RECORD line %d)", ErrRecordExtra, r.line))
		}
		if r.Hash == "" {
			if unlistedOK[r.Path] {
				continue
			}
			return p.fail(r.Path, fmt.Errorf("%w: RECORD line %d has no digest", ErrRecordMismatch, r.line))
		}
		d, err := parseDigest(r.Hash)
		if err != nil {
			return p.fail(r.Path, err)
		}
		sum := zf.SHA256[:]
		if d.algo != "sha256" {
			if sum, err = hashFile(filepath.Join(ex, filepath.FromSlash(zf.Name)), d.algo); err != nil {
				return p.fail(r.Path, err)
			}
		}
		if !bytes.Equal(sum, d.sum) {
			return p.fail(r.Path, fmt.Errorf("%w: %s digest differs from RECORD's (the wheel was altered after it was built; do not install it)", ErrRecordMismatch, d.algo))
		}
		if r.Size != "" {
			n, err := strconv.ParseInt(r.Size, 10, 64)
			if err != nil || n != zf.Size {
				return p.fail(r.Path, fmt.Errorf("%w: size %d, RECORD says %q", ErrRecordMismatch, zf.Size, r.Size))
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := seen[n]; !ok && !unlistedOK[n] {
			return p.fail(n, ErrRecordMissing)
		}
	}
	if _, ok := files[recordPath]; !ok {
		return p.fail(recordPath, fmt.Errorf("%w: the wheel has no RECORD", ErrRecordMissing))
	}
	return nil
}

func hashFile(name, algo string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := newHash(algo)
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// layout maps every archive file to its destination, pip's way.
func (p *prepared) layout(files []unpack.ZipFile, ex string, sch Scheme, opts *Options) error {
	dirs := map[string]string{
		"purelib": sch.Purelib, "platlib": sch.Platlib, "scripts": sch.Scripts,
		"data": sch.Data, "headers": filepath.Join(sch.Headers, p.w.Name),
	}
	if strings.ContainsAny(p.w.Name, "/\\\x00") || p.w.Name == "." || p.w.Name == ".." {
		return p.fail("", fmt.Errorf("%w: name %q cannot name a headers directory", ErrDistInfo, p.w.Name))
	}
	dests := map[string]string{}
	for _, zf := range files {
		pl := placed{archive: zf.Name, src: filepath.Join(ex, filepath.FromSlash(zf.Name))}
		top, _, _ := strings.Cut(zf.Name, "/")
		if strings.HasSuffix(top, ".data") {
			parts := strings.SplitN(zf.Name, "/", 3)
			if len(parts) < 3 {
				return p.fail(zf.Name, fmt.Errorf("%w: .data contents must be <key>/<path>, key one of %s", ErrDataKey, strings.Join(schemeKeys, ", ")))
			}
			dir, ok := dirs[parts[1]]
			if !ok {
				return p.fail(zf.Name, fmt.Errorf("%w %q: use one of %s", ErrDataKey, parts[1], strings.Join(schemeKeys, ", ")))
			}
			pl.dest = filepath.Join(dir, filepath.FromSlash(parts[2]))
			if parts[1] == "scripts" {
				if isEntryPointWrapper(path.Base(parts[2]), p.eps) {
					continue // pip writes its own wrapper instead
				}
				pl.script = true
			}
		} else {
			pl.dest = filepath.Join(p.libDir, filepath.FromSlash(zf.Name))
		}
		if prev, dup := dests[pl.dest]; dup {
			return p.fail(zf.Name, fmt.Errorf("%w: %s and %s both install %s", ErrConflict, prev, zf.Name, pl.dest))
		}
		dests[pl.dest] = zf.Name
		if filepath.Ext(pl.dest) == ".pth" {
			if d := filepath.Dir(pl.dest); d == sch.Purelib || d == sch.Platlib {
				if opts.DenyPth {
					return p.fail(zf.Name, fmt.Errorf("%w; it is refused because DenyPth is set", ErrPth))
				}
				p.result.Pth = append(p.result.Pth, filepath.Base(pl.dest))
			}
		}
		p.files = append(p.files, pl)
	}
	// pip installs root files, then other .data files, then scripts; with
	// no two at one path the order only matters for messages.
	return nil
}
