package pypi

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// pylockFile is the subset of PEP 751 that installing needs. Keys this
// struct does not name ([tool], attestation-identities, dependencies, ...)
// are ignored, as the spec lets installers ignore them.
type pylockFile struct {
	LockVersion      *string         `toml:"lock-version"`
	Environments     []string        `toml:"environments"`
	RequiresPython   string          `toml:"requires-python"`
	Extras           []string        `toml:"extras"`
	DependencyGroups []string        `toml:"dependency-groups"`
	DefaultGroups    []string        `toml:"default-groups"`
	CreatedBy        string          `toml:"created-by"`
	Packages         []pylockPackage `toml:"packages"`
}

type pylockPackage struct {
	Name           string            `toml:"name"`
	Version        string            `toml:"version"`
	Marker         string            `toml:"marker"`
	RequiresPython string            `toml:"requires-python"`
	Index          string            `toml:"index"`
	VCS            map[string]any    `toml:"vcs"`
	Directory      map[string]any    `toml:"directory"`
	Archive        map[string]any    `toml:"archive"`
	Sdist          *pylockFileEntry  `toml:"sdist"`
	Wheels         []pylockFileEntry `toml:"wheels"`
}

type pylockFileEntry struct {
	Name       string            `toml:"name"`
	URL        string            `toml:"url"`
	Path       string            `toml:"path"`
	Size       *int64            `toml:"size"`
	UploadTime any               `toml:"upload-time"`
	Hashes     map[string]string `toml:"hashes"`
}

// ParsePylock reads a pylock.toml (PEP 751, lock-version 1.x). See the
// package doc for what is refused. Errors wrap ErrSyntax,
// ErrUnsupportedVersion, ErrUnsupported, ErrInvalidEntry, ErrNoHash or
// ErrBadHash and name the package entry.
func ParsePylock(data []byte) (*Lock, error) {
	if len(data) > MaxLockSize {
		return nil, fmt.Errorf("pylock.toml: %w (over %d bytes)", ErrTooLarge, MaxLockSize)
	}
	var f pylockFile
	if _, err := toml.Decode(string(data), &f); err != nil {
		return nil, fmt.Errorf("pylock.toml: %w: %v", ErrSyntax, err)
	}
	if f.LockVersion == nil {
		return nil, fmt.Errorf("pylock.toml: %w: no lock-version (is this a pylock.toml?)", ErrInvalidEntry)
	}
	major, _, _ := strings.Cut(*f.LockVersion, ".")
	if major != "1" {
		return nil, fmt.Errorf("pylock.toml: %w: lock-version %q (airlock reads 1.x)", ErrUnsupportedVersion, *f.LockVersion)
	}
	lk := &Lock{
		Format:           "pylock",
		RequiresPython:   f.RequiresPython,
		Environments:     f.Environments,
		Extras:           f.Extras,
		DependencyGroups: f.DependencyGroups,
		DefaultGroups:    f.DefaultGroups,
	}
	if _, err := ParseSpecifiers(f.RequiresPython); err != nil {
		return nil, fmt.Errorf("pylock.toml: requires-python: %w", err)
	}
	for i, e := range f.Environments {
		if _, err := ParseMarker(e); err != nil {
			return nil, fmt.Errorf("pylock.toml: environments[%d]: %w", i, err)
		}
	}
	for i, p := range f.Packages {
		entry := fmt.Sprintf("pylock.toml packages[%d]", i)
		if p.Name != "" {
			entry += fmt.Sprintf(" (%s %s)", p.Name, p.Version)
		}
		d, err := pylockDist(p)
		if err != nil {
			return nil, &EntryError{Entry: entry, Err: err}
		}
		d.Source = entry
		lk.Dists = append(lk.Dists, d)
	}
	return lk, nil
}

func pylockDist(p pylockPackage) (Dist, error) {
	if !validName.MatchString(p.Name) {
		return Dist{}, fmt.Errorf("%w: name %q is not a valid project name", ErrInvalidEntry, p.Name)
	}
	// These are refused only if Select picks the entry: a lock for several
	// platforms may carry them for a platform this install is not for.
	var refuse error
	switch {
	case p.VCS != nil:
		refuse = fmt.Errorf("%w: a VCS source would need a build, which runs package code: lock a released wheel instead", ErrUnsupported)
	case p.Directory != nil:
		refuse = fmt.Errorf("%w: a directory source would need a build, which runs package code", ErrUnsupported)
	case p.Archive != nil:
		refuse = fmt.Errorf("%w: an archive source (a file at a direct URL or path) is not installed: airlock installs wheels listed in [[packages.wheels]]", ErrUnsupported)
	}
	if p.Version != "" {
		if _, err := ParseVersion(p.Version); err != nil {
			return Dist{}, fmt.Errorf("%w: version: %v", ErrInvalidEntry, err)
		}
	}
	if p.Marker != "" {
		if _, err := ParseMarker(p.Marker); err != nil {
			return Dist{}, err
		}
	}
	if _, err := ParseSpecifiers(p.RequiresPython); err != nil {
		return Dist{}, fmt.Errorf("requires-python: %w", err)
	}
	d := Dist{
		Name:           p.Name,
		Version:        p.Version,
		Marker:         p.Marker,
		RequiresPython: p.RequiresPython,
		Index:          p.Index,
		refuse:         refuse,
	}
	for j, w := range p.Wheels {
		a, err := pylockArtifact(w)
		if err != nil {
			return Dist{}, fmt.Errorf("wheels[%d]: %w", j, err)
		}
		if err := checkWheelOf(a.Filename, p.Name, p.Version); err != nil {
			return Dist{}, fmt.Errorf("wheels[%d]: %w", j, err)
		}
		d.Wheels = append(d.Wheels, a)
	}
	if p.Sdist != nil {
		a, err := pylockArtifact(*p.Sdist)
		if err != nil {
			return Dist{}, fmt.Errorf("sdist: %w", err)
		}
		d.Sdist = &a
	}
	if len(d.Wheels) == 0 && d.Sdist == nil && refuse == nil {
		return Dist{}, fmt.Errorf("%w: no wheels, sdist, vcs, directory or archive: nothing to install", ErrInvalidEntry)
	}
	return d, nil
}

func pylockArtifact(e pylockFileEntry) (Artifact, error) {
	a := Artifact{Filename: e.Name, URL: e.URL, Path: e.Path}
	if e.URL == "" && e.Path == "" {
		return Artifact{}, fmt.Errorf("%w: neither url nor path", ErrInvalidEntry)
	}
	if a.Filename == "" {
		var err error
		if a.Filename, err = filenameOf(e.URL, e.Path); err != nil {
			return Artifact{}, err
		}
	}
	if strings.ContainsAny(a.Filename, "/\\\x00") || a.Filename == "." || a.Filename == ".." {
		return Artifact{}, fmt.Errorf("%w: file name %q is not a plain file name", ErrInvalidEntry, a.Filename)
	}
	if e.Size != nil {
		if *e.Size < 0 {
			return Artifact{}, fmt.Errorf("%w: negative size", ErrInvalidEntry)
		}
		a.Size = *e.Size
	}
	switch t := e.UploadTime.(type) {
	case nil:
	case time.Time:
		a.UploadTime = t.UTC().Format(time.RFC3339)
	case string:
		a.UploadTime = t
	default:
		return Artifact{}, fmt.Errorf("%w: upload-time is a %T", ErrInvalidEntry, t)
	}
	hashes, err := hashTable(e.Hashes)
	if err != nil {
		return Artifact{}, err
	}
	a.Hashes = hashes
	return a, nil
}

// hashTable reads a PEP 751 hashes table. Algorithms airlock does not
// verify with are skipped (the spec allows any hashlib name), but at least
// one sha256, sha384 or sha512 must remain.
func hashTable(t map[string]string) ([]Hash, error) {
	var out []Hash
	for _, algo := range []string{"sha256", "sha384", "sha512"} {
		hx, ok := t[algo]
		if !ok {
			continue
		}
		h, err := newHash(algo, hx)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		if len(t) == 0 {
			return nil, fmt.Errorf("%w: the file has no hashes", ErrNoHash)
		}
		return nil, fmt.Errorf("%w: the file has no sha256, sha384 or sha512 hash", ErrNoHash)
	}
	return out, nil
}

// filenameOf derives a file's name from the last segment of its URL or path.
func filenameOf(rawURL, p string) (string, error) {
	if rawURL != "" {
		u, err := url.Parse(rawURL)
		if err != nil {
			return "", fmt.Errorf("%w: url %q: %v", ErrInvalidEntry, rawURL, err)
		}
		name := path.Base(u.Path)
		if name == "/" || name == "." || name == "" {
			return "", fmt.Errorf("%w: url %q names no file", ErrInvalidEntry, rawURL)
		}
		return name, nil
	}
	name := path.Base(strings.ReplaceAll(p, "\\", "/"))
	if name == "/" || name == "." || name == ".." {
		return "", fmt.Errorf("%w: path %q names no file", ErrInvalidEntry, p)
	}
	return name, nil
}

// checkWheelOf refuses a lock entry's wheel whose file name is not a wheel
// of that entry's project and version (a lock naming one project and
// listing another's file).
func checkWheelOf(filename, name, version string) error {
	wn, err := ParseWheelFilename(filename)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidEntry, err)
	}
	if NormalizeName(wn.Name) != NormalizeName(name) {
		return fmt.Errorf("%w: %s is a wheel of %s, not %s", ErrInvalidEntry, filename, wn.Name, name)
	}
	if version != "" && !(Dist{Version: version}).VersionMatches(wn.Version) {
		return fmt.Errorf("%w: %s is version %s, the entry says %s", ErrInvalidEntry, filename, wn.Version, version)
	}
	return nil
}
