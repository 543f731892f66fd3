package pnpm

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// MaxLockfileSize bounds the input to Parse, as lock/npm bounds
// package-lock.json: pnpm lockfiles of the largest monorepos are tens of MB.
const MaxLockfileSize = 256 << 20

// Errors callers can branch on with errors.Is.
var (
	// ErrSyntax: the YAML parsed but is not a pnpm lockfile (a field of
	// the wrong kind, a missing resolution).
	ErrSyntax = errors.New("not a valid pnpm lockfile")
	// ErrTooLarge: the input is over MaxLockfileSize.
	ErrTooLarge = errors.New("lockfile too large")
	// ErrUnsupportedVersion: a lockfileVersion other than 9.x.
	ErrUnsupportedVersion = errors.New("unsupported pnpm lockfileVersion")
	// ErrBadName: a package name npm would not accept.
	ErrBadName = errors.New("invalid package name")
	// ErrBadVersion: a version that is not plain semver; the tarball URL
	// and the .pnpm directory are derived from it.
	ErrBadVersion = errors.New("invalid version")
	// ErrUnsafePath: an importer, link or package directory that leaves
	// the project or is not a clean relative path.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrMissingEntry: a dependency whose snapshot or package entry is
	// missing.
	ErrMissingEntry = errors.New("lockfile entry missing")
	// ErrUnsupportedSource: a git, tarball-URL or directory resolution.
	ErrUnsupportedSource = errors.New("unsupported package source")
	// ErrBadPlatform: a required package that does not support the
	// platform, with engine-strict set.
	ErrBadPlatform = errors.New("unsupported platform")
	// ErrBadEngine: a required package whose engines.node does not match
	// the node version, with engine-strict set.
	ErrBadEngine = errors.New("unsupported engine")
)

// Dep is one dependency of an importer or snapshot: the name it is
// installed under and what it points at.
type Dep struct {
	Alias string
	// Specifier is what the importer's package.json asked for (importers
	// only).
	Specifier string
	// Ref is the lockfile's version field: "1.2.3", "1.2.3(peer@1.0.0)",
	// "name@1.2.3" for an npm: alias, or "link:../dir".
	Ref string
	// DepPath is the snapshot key Ref names ("" for links).
	DepPath string
	// Link is the link target relative to the importer ("" otherwise).
	Link string
}

// Importer is one project of the workspace ("." is the root).
type Importer struct {
	ID                          string
	Dependencies, Dev, Optional []Dep
	// Specifiers are every alias the lockfile lists for the importer,
	// whatever Select leaves out (pnpm 9 never hoists over them).
	Specifiers []string
}

// Entry is a package (from "packages") together with one of its snapshots.
type Entry struct {
	// DepPath is the snapshot key: name@version plus peer suffixes.
	DepPath string
	// Key is the "packages" key: name@version.
	Key     string
	Name    string
	Version string
	// Integrity is the resolution's integrity.
	Integrity string
	// Tarball is the resolution's tarball URL, if the lockfile has one.
	Tarball               string
	OS, CPU, Libc         []string
	Engines               map[string]string
	HasBin, RequiresBuild bool
	// HasBundled says the package brings bundledDependencies in its
	// own archive (under its node_modules).
	HasBundled bool
	// Optional is the snapshot's optional flag: every path to it passes
	// through an optional dependency.
	Optional bool
	// PatchHash is the snapshot key's patch_hash: the package is patched
	// with the Lockfile.Patches entry of that hash after extracting.
	PatchHash string
	// Dependencies and OptionalDependencies are the snapshot's, in
	// lockfile order.
	Dependencies, OptionalDependencies []Dep
	Line                               int
}

// Lockfile is a parsed pnpm-lock.yaml.
type Lockfile struct {
	Version string
	// Importers in lockfile order.
	Importers []*Importer
	// Entries by snapshot key.
	Entries map[string]*Entry
	// Settings are the lockfile's settings mapping (autoInstallPeers, ...).
	Settings map[string]string
	// Patches are patchedDependencies by hash.
	Patches map[string]Patch
}

// Patch is one patchedDependencies entry: the patch file (a path relative
// to the lockfile's directory) whose content hash the lockfile records.
type Patch struct {
	// Key is what it patches ("name@version", "name@range" or "name").
	Key string
	// Hash is the file's hash as PatchHash computes it.
	Hash string
	Path string
}

// versionRe is semver 2.0 without a leading "v" or "=": the version is
// part of the tarball URL and of the .pnpm directory name.
var versionRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// validName is lock.NameProblem in this package's ErrBadName.
func validName(name string) error {
	if why := lock.NameProblem(name); why != "" {
		return fmt.Errorf("%w %q: %s", ErrBadName, name, why)
	}
	return nil
}

// splitNameVersion splits "name@version" ("@scope/name@version").
func splitNameVersion(s string) (name, version string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}

// splitPeers splits "name@1.0.0(a@1)(b@2)" into "name@1.0.0" and the
// suffix "(a@1)(b@2)", checking that the parentheses balance.
func splitPeers(depPath string) (base, suffix string, err error) {
	i := strings.IndexByte(depPath, '(')
	if i < 0 {
		if strings.ContainsRune(depPath, ')') {
			return "", "", fmt.Errorf("unbalanced parentheses in %q", depPath)
		}
		return depPath, "", nil
	}
	base, suffix = depPath[:i], depPath[i:]
	// Peer suffixes name packages and versions (or workspace paths such
	// as packages+host); anything else could smuggle a separator, control
	// character or space into the .pnpm directory name.
	if j := strings.IndexFunc(suffix, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("@/._+()~-=:!*'", r))
	}); j >= 0 {
		return "", "", fmt.Errorf("character %q in the peer suffix of %q", suffix[j:j+1], depPath)
	}
	depth := 0
	for j, c := range suffix {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return "", "", fmt.Errorf("unbalanced parentheses in %q", depPath)
			}
			if depth == 0 && j+1 < len(suffix) && suffix[j+1] != '(' {
				return "", "", fmt.Errorf("text after a peer suffix in %q", depPath)
			}
		}
	}
	if depth != 0 {
		return "", "", fmt.Errorf("unbalanced parentheses in %q", depPath)
	}
	return base, suffix, nil
}

// Parse reads a pnpm-lock.yaml with lockfileVersion 9.x (written by pnpm 9
// and 10). See the package documentation for what it refuses.
func Parse(data []byte) (*Lockfile, error) {
	if len(data) > MaxLockfileSize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrTooLarge, len(data), MaxLockfileSize)
	}
	root, err := ParseYAML(data)
	if err != nil {
		return nil, err
	}
	if root.Kind != YAMLMap {
		return nil, fmt.Errorf("%w: the document is not a mapping", ErrSyntax)
	}
	lf := &Lockfile{Entries: map[string]*Entry{}, Settings: map[string]string{}, Patches: map[string]Patch{}}
	v := root.Get("lockfileVersion")
	if v == nil || v.Kind != YAMLScalar {
		return nil, fmt.Errorf("%w: no lockfileVersion", ErrSyntax)
	}
	lf.Version = v.Value
	if lf.Version != "9.0" && !strings.HasPrefix(lf.Version, "9.") {
		return nil, fmt.Errorf("%w %q: airlock reads lockfileVersion 9.0 (pnpm 9 and 10); run `pnpm install --lockfile-only` with pnpm 9 or newer to rewrite it", ErrUnsupportedVersion, lf.Version)
	}
	for _, k := range root.Keys {
		switch k {
		case "lockfileVersion", "settings", "importers", "packages", "snapshots", "overrides",
			"packageExtensionsChecksum", "pnpmfileChecksum", "patchedDependencies", "catalogs",
			"ignoredOptionalDependencies", "time":
		default:
			return nil, fmt.Errorf("%w: unknown top-level field %q (line %d); airlock may not understand what it changes", ErrSyntax, k, root.Fields[k].Line)
		}
	}
	if s := root.Get("settings"); s != nil {
		if s.Kind != YAMLMap {
			return nil, fmt.Errorf("%w: settings is not a mapping", ErrSyntax)
		}
		for _, k := range s.Keys {
			if f := s.Fields[k]; f.Kind == YAMLScalar {
				lf.Settings[k] = f.Value
			}
		}
	}
	if p := root.Get("patchedDependencies"); p != nil && p.Kind != YAMLNull {
		if err := lf.parsePatches(p); err != nil {
			return nil, err
		}
	}
	pkgs := root.Get("packages")
	snaps := root.Get("snapshots")
	for _, sec := range []struct {
		name string
		n    *YAMLNode
	}{{"packages", pkgs}, {"snapshots", snaps}} {
		if sec.n != nil && sec.n.Kind != YAMLMap && sec.n.Kind != YAMLNull {
			return nil, fmt.Errorf("%w: %s is not a mapping (line %d)", ErrSyntax, sec.name, sec.n.Line)
		}
	}
	if snaps != nil {
		for _, key := range snaps.Keys {
			e, err := parseEntry(key, snaps.Fields[key], pkgs)
			if err != nil {
				return nil, fmt.Errorf("lock/pnpm: snapshot %q: %w", key, err)
			}
			lf.Entries[key] = e
		}
	}
	imps := root.Get("importers")
	if imps == nil || imps.Kind != YAMLMap {
		return nil, fmt.Errorf("%w: no importers", ErrSyntax)
	}
	for _, id := range imps.Keys {
		imp, err := parseImporter(id, imps.Fields[id])
		if err != nil {
			return nil, fmt.Errorf("lock/pnpm: importer %q: %w", id, err)
		}
		lf.Importers = append(lf.Importers, imp)
	}
	if err := lf.checkRefs(); err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(lf.Entries) {
		if h := lf.Entries[k].PatchHash; h != "" {
			if _, ok := lf.Patches[h]; !ok {
				return nil, fmt.Errorf("lock/pnpm: snapshot %q: %w: patch_hash %s is not in patchedDependencies", k, ErrMissingEntry, h)
			}
		}
	}
	return lf, nil
}

func sortedKeys(m map[string]*Entry) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// patchSuffixRe finds the patch hash in a snapshot key's suffix.
var patchSuffixRe = regexp.MustCompile(`\(patch_hash=([0-9a-f]{64}|[a-z2-7]{26})\)`)

// patchHashRe is a patch hash: pnpm 10's SHA-256 in hex, or pnpm 9's MD5
// in base32.
var patchHashRe = regexp.MustCompile(`^([0-9a-f]{64}|[a-z2-7]{26})$`)

// parsePatches reads patchedDependencies as pnpm 9 and 10 write it:
// "name@version": {hash, path}. The path must lead to a file inside the
// project.
func (lf *Lockfile) parsePatches(n *YAMLNode) error {
	if n.Kind != YAMLMap {
		return fmt.Errorf("%w: patchedDependencies is not a mapping (line %d)", ErrSyntax, n.Line)
	}
	for _, key := range n.Keys {
		f := n.Fields[key]
		hash, file := f.Get("hash"), f.Get("path")
		if f.Kind != YAMLMap || hash == nil || file == nil || hash.Kind != YAMLScalar || file.Kind != YAMLScalar || len(f.Keys) != 2 {
			return fmt.Errorf("%w: patchedDependencies %q is not {hash, path} (line %d)", ErrSyntax, key, f.Line)
		}
		if !patchHashRe.MatchString(hash.Value) {
			return fmt.Errorf("%w: patchedDependencies %q: hash %q is neither pnpm 10's SHA-256 nor pnpm 9's base32 MD5 (line %d); rewrite the lockfile with `pnpm install --lockfile-only`", ErrUnsupportedSource, key, hash.Value, hash.Line)
		}
		p := file.Value
		if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") {
			return fmt.Errorf("%w: patchedDependencies %q: patch file %q is not a path inside the project (line %d)", ErrUnsafePath, key, p, file.Line)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "node_modules" || seg == ".airlock" {
				return fmt.Errorf("%w: patchedDependencies %q: patch file %q is inside %s", ErrUnsafePath, key, p, seg)
			}
		}
		lf.Patches[hash.Value] = Patch{Key: key, Hash: hash.Value, Path: p}
	}
	return nil
}

// checkImporterID accepts "." and clean relative paths inside the project.
func checkImporterID(id string) error {
	if id == "." {
		return nil
	}
	if id == "" || strings.HasPrefix(id, "/") || strings.ContainsAny(id, "\\\x00") || path.Clean(id) != id || id == ".." || strings.HasPrefix(id, "../") {
		return fmt.Errorf("%w: importer %q is not a directory inside the project", ErrUnsafePath, id)
	}
	for _, seg := range strings.Split(id, "/") {
		if seg == "node_modules" || seg == ".airlock" {
			return fmt.Errorf("%w: importer %q is inside %s", ErrUnsafePath, id, seg)
		}
	}
	return nil
}

func parseImporter(id string, n *YAMLNode) (*Importer, error) {
	if err := checkImporterID(id); err != nil {
		return nil, err
	}
	imp := &Importer{ID: id}
	if n.Kind == YAMLNull {
		return imp, nil
	}
	if n.Kind != YAMLMap {
		return nil, fmt.Errorf("%w: not a mapping (line %d)", ErrSyntax, n.Line)
	}
	for _, k := range n.Keys {
		var dst *[]Dep
		switch k {
		case "dependencies":
			dst = &imp.Dependencies
		case "devDependencies":
			dst = &imp.Dev
		case "optionalDependencies":
			dst = &imp.Optional
		case "dependenciesMeta", "publishDirectory":
			continue
		default:
			return nil, fmt.Errorf("%w: unknown field %q (line %d)", ErrSyntax, k, n.Fields[k].Line)
		}
		m := n.Fields[k]
		if m.Kind == YAMLNull {
			continue
		}
		if m.Kind != YAMLMap {
			return nil, fmt.Errorf("%w: %s is not a mapping (line %d)", ErrSyntax, k, m.Line)
		}
		for _, alias := range m.Keys {
			d := m.Fields[alias]
			ver := d.Get("version")
			if d.Kind != YAMLMap || ver == nil || ver.Kind != YAMLScalar {
				return nil, fmt.Errorf("%w: %s %q has no version (line %d)", ErrSyntax, k, alias, d.Line)
			}
			dep, err := parseDep(alias, ver.Value, id)
			if err != nil {
				return nil, fmt.Errorf("%s %q: %w", k, alias, err)
			}
			if sp := d.Get("specifier"); sp != nil && sp.Kind == YAMLScalar {
				dep.Specifier = sp.Value
			}
			*dst = append(*dst, dep)
			imp.Specifiers = append(imp.Specifiers, alias)
		}
	}
	return imp, nil
}

// parseDep resolves a version field to the snapshot it names. importer is
// the directory link: targets are relative to (the importer's ID; "." in
// snapshots).
func parseDep(alias, ref, importer string) (Dep, error) {
	if err := validName(alias); err != nil {
		return Dep{}, err
	}
	d := Dep{Alias: alias, Ref: ref}
	switch {
	case strings.HasPrefix(ref, "link:"):
		target := path.Join(importer, strings.TrimPrefix(ref, "link:"))
		if err := checkImporterID(target); err != nil || strings.Contains(strings.TrimPrefix(ref, "link:"), "\\") {
			return Dep{}, fmt.Errorf("%w: link %q leads outside the project", ErrUnsafePath, ref)
		}
		d.Link = target
		return d, nil
	case strings.HasPrefix(ref, "file:"):
		// pnpm writes injected workspace packages (dependenciesMeta
		// injected, injectWorkspacePackages) that need their own copy this
		// way too: file:packages/a(peer@1.0.0).
		return Dep{}, fmt.Errorf("%w: %q is a local directory or archive (a file: dependency, or a workspace package pnpm injects: dependenciesMeta injected, injectWorkspacePackages): airlock installs only registry packages checked against the lockfile's integrity and links workspace packages, it does not copy them; install this project with pnpm itself", ErrUnsupportedSource, ref)
	case strings.Contains(ref, "://"), strings.HasPrefix(ref, "git"), strings.HasPrefix(ref, "github:"):
		return Dep{}, fmt.Errorf("%w: %q: airlock installs only registry packages checked against the lockfile's integrity, as npm ci would refuse to fetch them unverified; publish it to a registry", ErrUnsupportedSource, ref)
	}
	base, _, err := splitPeers(ref)
	if err != nil {
		return Dep{}, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	if strings.LastIndexByte(base, '@') > 0 {
		d.DepPath = ref // npm: alias, "name@version(peers)"
	} else {
		d.DepPath = alias + "@" + ref
	}
	return d, nil
}

func parseEntry(key string, n *YAMLNode, pkgs *YAMLNode) (*Entry, error) {
	base, _, err := splitPeers(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	name, version, ok := splitNameVersion(base)
	if !ok {
		return nil, fmt.Errorf("%w: key is not name@version", ErrSyntax)
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	if !versionRe.MatchString(version) {
		if strings.Contains(version, ":") {
			return nil, fmt.Errorf("%w: %q: airlock installs only registry packages checked against the lockfile's integrity; publish it to a registry", ErrUnsupportedSource, version)
		}
		return nil, fmt.Errorf("%w: %q is not a semver version", ErrBadVersion, version)
	}
	e := &Entry{DepPath: key, Key: base, Name: name, Version: version, Line: n.Line}
	if m := patchSuffixRe.FindAllStringSubmatch(key, -1); len(m) > 1 {
		return nil, fmt.Errorf("%w: two patch hashes in %q", ErrSyntax, key)
	} else if len(m) == 1 {
		e.PatchHash = m[0][1]
	} else if strings.Contains(key, "patch_hash=") {
		return nil, fmt.Errorf("%w: patch_hash in %q is neither pnpm 10's SHA-256 nor pnpm 9's base32 MD5; rewrite the lockfile with `pnpm install --lockfile-only`", ErrUnsupportedSource, key)
	}
	if n.Kind != YAMLMap && n.Kind != YAMLNull {
		return nil, fmt.Errorf("%w: not a mapping (line %d)", ErrSyntax, n.Line)
	}
	for _, k := range n.Keys {
		f := n.Fields[k]
		switch k {
		case "dependencies", "optionalDependencies":
			if f.Kind == YAMLNull {
				continue
			}
			if f.Kind != YAMLMap {
				return nil, fmt.Errorf("%w: %s is not a mapping (line %d)", ErrSyntax, k, f.Line)
			}
			for _, alias := range f.Keys {
				v := f.Fields[alias]
				if v.Kind != YAMLScalar {
					return nil, fmt.Errorf("%w: %s %q is not a version (line %d)", ErrSyntax, k, alias, v.Line)
				}
				// A snapshot's link: (a peer dependency a workspace package
				// satisfies) is relative to the lockfile's directory.
				d, err := parseDep(alias, v.Value, ".")
				if err != nil {
					return nil, fmt.Errorf("%s %q: %w", k, alias, err)
				}
				if k == "dependencies" {
					e.Dependencies = append(e.Dependencies, d)
				} else {
					e.OptionalDependencies = append(e.OptionalDependencies, d)
				}
			}
		case "optional":
			e.Optional = f.Kind == YAMLScalar && f.Value == "true"
		case "transitivePeerDependencies", "id", "patched":
		default:
			return nil, fmt.Errorf("%w: unknown snapshot field %q (line %d)", ErrSyntax, k, f.Line)
		}
	}
	p := pkgs.Get(base)
	if p == nil {
		return nil, fmt.Errorf("%w: no \"packages\" entry %q", ErrMissingEntry, base)
	}
	if p.Kind != YAMLMap {
		return nil, fmt.Errorf("%w: packages entry %q is not a mapping (line %d)", ErrSyntax, base, p.Line)
	}
	res := p.Get("resolution")
	if res == nil || res.Kind != YAMLMap {
		return nil, fmt.Errorf("%w: packages entry %q has no resolution (line %d)", ErrSyntax, base, p.Line)
	}
	if t := res.Get("type"); t != nil {
		return nil, fmt.Errorf("%w: %s resolution: airlock installs only registry packages checked against the lockfile's integrity, as it does for npm; publish it to a registry", ErrUnsupportedSource, t.Value)
	}
	for _, k := range res.Keys {
		f := res.Fields[k]
		if f.Kind != YAMLScalar {
			return nil, fmt.Errorf("%w: resolution %s is not a string (line %d)", ErrSyntax, k, f.Line)
		}
		switch k {
		case "integrity":
			e.Integrity = f.Value
		case "tarball":
			e.Tarball = f.Value
		default:
			return nil, fmt.Errorf("%w: resolution field %q: airlock installs only registry packages checked against the lockfile's integrity", ErrUnsupportedSource, k)
		}
	}
	if e.Tarball != "" && !strings.HasPrefix(e.Tarball, "https://") && !strings.HasPrefix(e.Tarball, "http://") {
		return nil, fmt.Errorf("%w: tarball %q: airlock installs only registry packages checked against the lockfile's integrity", ErrUnsupportedSource, e.Tarball)
	}
	for _, k := range p.Keys {
		f := p.Fields[k]
		switch k {
		case "os", "cpu", "libc":
			list, err := stringList(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			switch k {
			case "os":
				e.OS = list
			case "cpu":
				e.CPU = list
			default:
				e.Libc = list
			}
		case "engines":
			if f.Kind == YAMLMap {
				e.Engines = map[string]string{}
				for _, ek := range f.Keys {
					e.Engines[ek] = f.Fields[ek].Value
				}
			}
		case "hasBin":
			e.HasBin = f.Value == "true"
		case "requiresBuild":
			e.RequiresBuild = f.Value == "true"
		case "bundledDependencies", "bundleDependencies":
			e.HasBundled = f.Kind == YAMLSeq && len(f.Items) > 0 || f.Kind == YAMLScalar && f.Value == "true"
		case "name", "version":
			// Written for tarball and git packages, which are refused
			// above; for registry packages they must agree with the key.
			if f.Kind != YAMLScalar || (k == "name" && f.Value != name) || (k == "version" && f.Value != version) {
				return nil, fmt.Errorf("%w: packages entry %q says %s %q", ErrSyntax, base, k, f.Value)
			}
		}
	}
	return e, nil
}

func stringList(n *YAMLNode) ([]string, error) {
	switch n.Kind {
	case YAMLScalar:
		return []string{n.Value}, nil
	case YAMLSeq:
		out := make([]string, 0, len(n.Items))
		for _, it := range n.Items {
			if it.Kind != YAMLScalar {
				return nil, fmt.Errorf("%w: not a list of strings (line %d)", ErrSyntax, n.Line)
			}
			out = append(out, it.Value)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: not a list of strings (line %d)", ErrSyntax, n.Line)
}

// checkRefs makes sure every dependency names an entry and every link a
// known importer.
func (lf *Lockfile) checkRefs() error {
	ids := map[string]bool{}
	for _, imp := range lf.Importers {
		ids[imp.ID] = true
	}
	check := func(where string, deps []Dep) error {
		for _, d := range deps {
			if d.Link != "" {
				continue // a link to a directory that is not an importer is checked at install
			}
			if lf.Entries[d.DepPath] == nil {
				return fmt.Errorf("lock/pnpm: %s: %w: %q (dependency %q) has no snapshot", where, ErrMissingEntry, d.DepPath, d.Alias)
			}
		}
		return nil
	}
	for _, imp := range lf.Importers {
		for _, deps := range [][]Dep{imp.Dependencies, imp.Dev, imp.Optional} {
			if err := check("importer "+imp.ID, deps); err != nil {
				return err
			}
		}
	}
	keys := make([]string, 0, len(lf.Entries))
	for k := range lf.Entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e := lf.Entries[k]
		if err := check("snapshot "+k, e.Dependencies); err != nil {
			return err
		}
		if err := check("snapshot "+k, e.OptionalDependencies); err != nil {
			return err
		}
	}
	return nil
}

// PatchHash is the hash pnpm records for a patch file's content, in the
// format of recorded (the lockfile's): pnpm 10's SHA-256 in hex
// (createHexHashFromFile) or pnpm 9's MD5 in lower-case unpadded base32
// (createBase32HashFromFile), both of the text with CRLF read as LF.
// MD5 is broken for collisions, not for second preimages: a patch file
// that was not made to collide with the recorded one cannot match it.
func PatchHash(data []byte, recorded string) string {
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	if len(recorded) == 26 {
		sum := md5.Sum(data)
		return strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:]), "="))
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
