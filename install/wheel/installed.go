package wheel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// InstalledDist is a distribution found in a scheme's lib directories: a
// <name>-<version>.dist-info directory with a readable METADATA.
type InstalledDist struct {
	// Name and Version are METADATA's.
	Name, Version string
	// Dir is the lib directory holding the .dist-info (purelib or
	// platlib); DistInfo the directory's name.
	Dir, DistInfo string
	// Metadata is the METADATA file, for its Requires-Dist.
	Metadata []byte
}

// libEntry is one entry of one of a scheme's library directories.
type libEntry struct {
	dir string
	fs.DirEntry
}

// libEntries lists the entries of sch's library directories, purelib then
// platlib (when it is another directory); a missing directory is empty.
func libEntries(sch Scheme) ([]libEntry, error) {
	dirs := []string{sch.Purelib}
	if sch.Platlib != sch.Purelib {
		dirs = append(dirs, sch.Platlib)
	}
	var out []libEntry
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("wheel: reading %s: %w", dir, err)
		}
		for _, e := range ents {
			out = append(out, libEntry{dir, e})
		}
	}
	return out, nil
}

// Installed lists the distributions installed in sch's purelib and
// platlib, as pip's metadata backend finds them for "Requirement already
// satisfied", sorted by directory then name. A .dist-info whose METADATA
// is missing, unreadable, larger than 16 MiB, or names another project or
// version than the directory is left out and described in skipped (pip
// skips distributions with invalid metadata too): an install of that
// project then replaces it, which repairs it. .egg-info distributions
// (setup.py installs) are not listed: airlock cannot uninstall them, so
// it must not keep them either. Nothing is written.
func Installed(sch Scheme) (dists []InstalledDist, skipped []string, err error) {
	sch, err = cleanScheme(sch)
	if err != nil {
		return nil, nil, err
	}
	ents, err := libEntries(sch)
	if err != nil {
		return nil, nil, err
	}
	for _, le := range ents {
		dir, e := le.dir, le.DirEntry
		dn, dv, ok := splitDistInfo(e.Name(), ".dist-info")
		if !ok || !e.IsDir() {
			continue
		}
		info := filepath.Join(dir, e.Name())
		data, err := readBounded(filepath.Join(info, "METADATA"), maxMetadata)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: METADATA: %v", info, err))
			continue
		}
		h := headers(string(data))
		name, version := h["name"], h["version"]
		if name == "" || version == "" {
			skipped = append(skipped, fmt.Sprintf("%s: METADATA has no Name or no Version", info))
			continue
		}
		if normalizeName(name) != normalizeName(dn) || normalizeVersion(version) != normalizeVersion(dv) {
			skipped = append(skipped, fmt.Sprintf("%s: METADATA describes %s %s, not the directory's %s %s", info, name, version, dn, dv))
			continue
		}
		dists = append(dists, InstalledDist{Name: name, Version: version, Dir: dir, DistInfo: e.Name(), Metadata: data})
	}
	sort.SliceStable(dists, func(i, j int) bool {
		if dists[i].Dir != dists[j].Dir {
			return dists[i].Dir < dists[j].Dir
		}
		return strings.ToLower(dists[i].Name) < strings.ToLower(dists[j].Name)
	})
	return dists, skipped, nil
}
