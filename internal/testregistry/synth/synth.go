// Package synth builds the synthetic npm tarballs of the test registry:
// packages under the @airlock-fixture scope that exercise what no small real
// package does (platform-only optional deps, bundles, directories.bin, modes).
//
// The output is deterministic: fixed mtimes, no owners, entries in a fixed
// order, so the committed .tgz files (and the integrity values that lockfiles
// record for them) can be regenerated and checked byte for byte.
package synth

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"path"
	"sort"
	"time"
)

// MTime is the modification time of every entry. npm pack uses the same
// instant (1985-10-26T08:15:00Z) so that packing is reproducible.
var MTime = time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC)

// File is one tar entry. Path is relative to the tarball's top directory.
type File struct {
	Path string
	Mode int64 // permission bits as stored in the tar header
	Body string
	Dir  bool // a directory entry (Body ignored)
}

// Package is one synthetic tarball.
type Package struct {
	// Root is the tarball's single top-level directory. npm pack always
	// writes "package"; old publishers used other names, which extractors
	// must strip just the same.
	Root string
	// Manifest is package.json, verbatim.
	Manifest string
	Files    []File
	// KeepOrder writes Files in the order given instead of sorted by path:
	// pacote's .gitignore → .npmignore renaming depends on entry order.
	KeepOrder bool
}

// Tar returns the uncompressed tar stream: package.json first (as npm pack
// does), then the files.
func (p Package) Tar() ([]byte, error) {
	root := p.Root
	if root == "" {
		root = "package"
	}
	files := append([]File{{Path: "package.json", Mode: 0o644, Body: p.Manifest}}, p.Files...)
	if !p.KeepOrder {
		rest := files[1:]
		sort.SliceStable(rest, func(i, j int) bool { return rest[i].Path < rest[j].Path })
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]bool{}
	for _, f := range files {
		name := path.Join(root, f.Path)
		if seen[name] {
			return nil, fmt.Errorf("synth: %s: duplicate entry %s", root, f.Path)
		}
		seen[name] = true
		hdr := &tar.Header{
			Name:     name,
			Mode:     f.Mode,
			ModTime:  MTime,
			Typeflag: tar.TypeReg,
			Size:     int64(len(f.Body)),
			Format:   tar.FormatUSTAR,
		}
		if f.Dir {
			hdr.Name += "/"
			hdr.Typeflag = tar.TypeDir
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("synth: %s: %w", name, err)
		}
		if !f.Dir {
			if _, err := tw.Write([]byte(f.Body)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Tgz returns the gzipped tarball. The gzip header carries no name and no
// time, so the bytes depend only on the content and the compressor.
func (p Package) Tgz() ([]byte, error) {
	raw, err := p.Tar()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
