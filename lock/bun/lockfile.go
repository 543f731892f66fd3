package bun

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/lock"
)

// MaxLockfileSize bounds the input to Parse, as lock/npm and lock/pnpm
// bound theirs.
const MaxLockfileSize = 256 << 20

// Errors callers can branch on with errors.Is.
var (
	// ErrSyntax: the JSONC parsed but is not a bun.lock (a field of the
	// wrong kind, an unknown field, a short package entry).
	ErrSyntax = errors.New("not a valid bun.lock")
	// ErrTooLarge: the input is over MaxLockfileSize.
	ErrTooLarge = errors.New("lockfile too large")
	// ErrUnsupportedVersion: a lockfileVersion bun has not written.
	ErrUnsupportedVersion = errors.New("unsupported bun.lock lockfileVersion")
	// ErrBinaryLockfile: the input is bun.lockb, bun's binary format.
	ErrBinaryLockfile = errors.New("bun.lockb (binary lockfile) is not supported")
	// ErrBadName: a package name npm would not accept.
	ErrBadName = errors.New("invalid package name")
	// ErrBadVersion: a version that is not plain semver; the tarball URL
	// is derived from it.
	ErrBadVersion = errors.New("invalid version")
	// ErrUnsafePath: a workspace path or package key that leaves the
	// project or is not clean.
	ErrUnsafePath = errors.New("unsafe path")
	// ErrMissingEntry: a dependency that no package key resolves.
	ErrMissingEntry = errors.New("lockfile entry missing")
	// ErrUnsupportedSource: a git, tarball, folder or link package, or
	// patched dependencies.
	ErrUnsupportedSource = errors.New("unsupported package source")
)

// EntryKind is what a package entry resolves to.
type EntryKind int

const (
	// KindNpm is a registry package: name@version with an integrity.
	KindNpm EntryKind = iota
	// KindWorkspace is a workspace package of the project.
	KindWorkspace
)

// Workspace is one entry of the "workspaces" section: the root ("") or a
// workspace package's directory, with what its package.json declared.
type Workspace struct {
	// Path is "" for the root, else the directory relative to the project.
	Path    string
	Name    string
	Version string
	// Dependency groups as package.json spells them (name → specifier).
	Dependencies, DevDependencies, OptionalDependencies, PeerDependencies map[string]string
	OptionalPeers                                                         []string
	// Bin is the workspace package's bin map; BinDir its directories.bin.
	Bin    map[string]string
	BinDir string
	Line   int
}

// Entry is one entry of the "packages" section.
type Entry struct {
	// Key is the entry's key: its place in bun's hoisted tree
	// ("debug/ms" lives in node_modules/debug/node_modules/ms).
	Key string
	// Segments are the package names the key is made of.
	Segments []string
	// Name and Version are what was resolved (Name differs from the last
	// segment for an npm: alias).
	Name, Version string
	Kind          EntryKind
	// Tarball is the entry's registry field: "" for the configured
	// registry (the URL is derived from it), else the tarball URL.
	Tarball   string
	Integrity string
	// WorkspacePath is a workspace entry's directory.
	WorkspacePath string
	// Dependency groups as the package's manifest declared them.
	Dependencies, OptionalDependencies, PeerDependencies map[string]string
	OptionalPeers                                        map[string]bool
	// Bin is the package's bin map (a string bin becomes its unscoped
	// name → path). BinDir is directories.bin, which bun expands by
	// listing the directory.
	Bin     map[string]string
	BinDir  string
	OS, CPU []string
	Libc    []string
	Bundled bool
	// HasInstallScript is bun's record (bun 1.4 and later) that the
	// package declares install scripts.
	HasInstallScript bool
	Line             int
	workspace        *Workspace
}

// Lockfile is a parsed bun.lock.
type Lockfile struct {
	Version int
	// ConfigVersion is the lockfile's configVersion, -1 when absent. With
	// 1, bun lays out projects with workspaces in its isolated layout
	// unless bunfig.toml says otherwise.
	ConfigVersion int
	// Workspaces in lockfile order; Workspaces[0] is the root.
	Workspaces []*Workspace
	// Entries by key, and the keys in lockfile order.
	Entries map[string]*Entry
	Keys    []string
	// TrustedDependencies is the lockfile's copy of package.json's
	// trustedDependencies.
	TrustedDependencies []string
}

// versionRe is semver 2.0 without a leading "v" or "=".
var versionRe = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$`)

// validName is lock.NameProblem (lock/npm's rule, validate-npm-package-name
// for existing packages: names become directory names and URL paths) in
// this package's ErrBadName.
func validName(name string) error {
	if why := lock.NameProblem(name); why != "" {
		return fmt.Errorf("%w %q: %s", ErrBadName, name, why)
	}
	return nil
}

// splitNameRes splits "name@resolution" ("@scope/name@1.0.0",
// "name@workspace:packages/a") at the "@" after the name, as bun's
// splitNameAndVersion does: the resolution may contain "@" itself.
func splitNameRes(s string) (name, res string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "@") {
		slash := strings.IndexByte(s, '/')
		if slash < 0 {
			return "", "", false
		}
		start = slash
	}
	i := strings.IndexByte(s[start:], '@')
	if i < 0 {
		return "", "", false
	}
	return s[:start+i], s[start+i+1:], s[:start+i] != ""
}

// SplitKey splits a package key into the package names it is made of:
// "@s/a/b" is ["@s/a", "b"].
func SplitKey(key string) ([]string, error) {
	parts := strings.Split(key, "/")
	var out []string
	for i := 0; i < len(parts); i++ {
		p := parts[i]
		if strings.HasPrefix(p, "@") {
			if i+1 >= len(parts) {
				return nil, fmt.Errorf("%w: key %q ends in a bare scope", ErrUnsafePath, key)
			}
			p += "/" + parts[i+1]
			i++
		}
		if err := validName(p); err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrUnsafePath, key, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// checkWorkspacePath accepts clean relative directories inside the
// project, outside node_modules and airlock's state directory.
func checkWorkspacePath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") || path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../") {
		return fmt.Errorf("%w: workspace %q is not a directory inside the project", ErrUnsafePath, p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "node_modules" || seg == ".airlock" {
			return fmt.Errorf("%w: workspace %q is inside %s", ErrUnsafePath, p, seg)
		}
	}
	return nil
}

// IsBinary reports whether data is bun.lockb, bun's binary lockfile.
func IsBinary(data []byte) bool {
	return strings.HasPrefix(string(data), "#!/usr/bin/env bun\nbun-lockfile-format-v0\n")
}

// Parse reads a bun.lock (lockfileVersion 0 to 3). See the package
// documentation for what it refuses.
func Parse(data []byte) (*Lockfile, error) {
	if len(data) > MaxLockfileSize {
		return nil, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrTooLarge, len(data), MaxLockfileSize)
	}
	if IsBinary(data) {
		return nil, fmt.Errorf("%w: run `bun install --save-text-lockfile --frozen-lockfile --lockfile-only` to convert it to bun.lock (bun removes bun.lockb), then commit bun.lock", ErrBinaryLockfile)
	}
	root, err := ParseJSONC(data)
	if err != nil {
		return nil, err
	}
	if root.Kind != Object {
		return nil, fmt.Errorf("%w: the document is not an object", ErrSyntax)
	}
	lf := &Lockfile{Entries: map[string]*Entry{}, ConfigVersion: -1}
	for _, k := range root.Keys {
		switch k {
		case "lockfileVersion", "configVersion", "workspaces", "packages", "trustedDependencies",
			"overrides", "catalog", "catalogs":
		case "patchedDependencies":
			if v := root.Fields[k]; v.Kind == Object && len(v.Keys) > 0 {
				return nil, fmt.Errorf("%w: patchedDependencies (line %d): bun patches packages after extracting them, which airlock does not do; install with bun itself", ErrUnsupportedSource, v.Line)
			}
		default:
			return nil, fmt.Errorf("%w: unknown top-level field %q (line %d); airlock does not install what it does not understand", ErrSyntax, k, root.Fields[k].Line)
		}
	}
	v := root.Get("lockfileVersion")
	if v == nil || v.Kind != Number {
		return nil, fmt.Errorf("%w: no numeric lockfileVersion", ErrSyntax)
	}
	n, err := strconv.Atoi(v.Str)
	if err != nil || n < 0 || n > 3 {
		return nil, fmt.Errorf("%w %s: airlock reads the versions bun 1.1 to 1.4 write (0 to 3); is this lockfile from a newer bun?", ErrUnsupportedVersion, v.Str)
	}
	lf.Version = n
	if c := root.Get("configVersion"); c != nil {
		n, err := strconv.Atoi(c.Str)
		if c.Kind != Number || err != nil || n < 0 {
			return nil, fmt.Errorf("%w: configVersion (line %d) is not a number", ErrSyntax, c.Line)
		}
		lf.ConfigVersion = n
	}
	if t := root.Get("trustedDependencies"); t != nil {
		if lf.TrustedDependencies, err = stringList(t, "trustedDependencies"); err != nil {
			return nil, err
		}
	}
	ws := root.Get("workspaces")
	if ws == nil || ws.Kind != Object {
		return nil, fmt.Errorf("%w: no workspaces object", ErrSyntax)
	}
	names := map[string]*Workspace{}
	for _, p := range ws.Keys {
		w, err := parseWorkspace(p, ws.Fields[p])
		if err != nil {
			return nil, fmt.Errorf("lock/bun: workspace %q: %w", p, err)
		}
		if p == "" {
			lf.Workspaces = append([]*Workspace{w}, lf.Workspaces...)
			continue
		}
		if names[w.Name] != nil {
			return nil, fmt.Errorf("lock/bun: %w: two workspaces are named %q", ErrSyntax, w.Name)
		}
		names[w.Name] = w
		lf.Workspaces = append(lf.Workspaces, w)
	}
	if len(lf.Workspaces) == 0 || lf.Workspaces[0].Path != "" {
		return nil, fmt.Errorf("%w: workspaces has no root entry \"\"", ErrSyntax)
	}
	pkgs := root.Get("packages")
	if pkgs != nil && pkgs.Kind != Object {
		return nil, fmt.Errorf("%w: packages is not an object (line %d)", ErrSyntax, pkgs.Line)
	}
	if pkgs != nil {
		for _, key := range pkgs.Keys {
			e, err := parseEntry(key, pkgs.Fields[key], lf.Version)
			if err != nil {
				return nil, fmt.Errorf("lock/bun: package %q (line %d): %w", key, pkgs.Fields[key].Line, err)
			}
			if e.Kind == KindWorkspace {
				for _, w := range lf.Workspaces[1:] {
					if w.Path == e.WorkspacePath {
						e.workspace = w
					}
				}
				if e.workspace == nil {
					return nil, fmt.Errorf("lock/bun: package %q: %w: workspace %q is not in the workspaces section", key, ErrMissingEntry, e.WorkspacePath)
				}
			}
			lf.Entries[key] = e
			lf.Keys = append(lf.Keys, key)
		}
	}
	return lf, nil
}

func stringList(v *Value, what string) ([]string, error) {
	switch v.Kind {
	case String:
		return []string{v.Str}, nil
	case Array:
		out := make([]string, 0, len(v.Items))
		for _, it := range v.Items {
			if it.Kind != String {
				return nil, fmt.Errorf("%w: %s (line %d) is not a list of strings", ErrSyntax, what, v.Line)
			}
			out = append(out, it.Str)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s (line %d) is not a list of strings", ErrSyntax, what, v.Line)
}

// depMap reads a name → specifier object.
func depMap(v *Value, what string) (map[string]string, error) {
	if v.Kind != Object {
		return nil, fmt.Errorf("%w: %s (line %d) is not an object", ErrSyntax, what, v.Line)
	}
	m := make(map[string]string, len(v.Keys))
	for _, k := range v.Keys {
		f := v.Fields[k]
		if f.Kind != String {
			return nil, fmt.Errorf("%w: %s %q (line %d) is not a string", ErrSyntax, what, k, f.Line)
		}
		if err := validName(k); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		m[k] = f.Str
	}
	return m, nil
}

// binMap reads a "bin" value: an object of command → path, or a string
// (the command is the package's unscoped name).
func binMap(v *Value, pkgName string) (map[string]string, error) {
	switch v.Kind {
	case String:
		if pkgName == "" {
			return nil, fmt.Errorf("%w: a string bin (line %d) needs a package name", ErrSyntax, v.Line)
		}
		return map[string]string{pkgName[strings.LastIndexByte(pkgName, '/')+1:]: v.Str}, nil
	case Object:
		m := map[string]string{}
		for _, k := range v.Keys {
			f := v.Fields[k]
			if f.Kind != String {
				return nil, fmt.Errorf("%w: bin %q (line %d) is not a string", ErrSyntax, k, f.Line)
			}
			m[k] = f.Str
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: bin (line %d) is neither a string nor an object", ErrSyntax, v.Line)
}

func parseWorkspace(p string, v *Value) (*Workspace, error) {
	if p != "" {
		if err := checkWorkspacePath(p); err != nil {
			return nil, err
		}
	}
	if v.Kind != Object {
		return nil, fmt.Errorf("%w: not an object (line %d)", ErrSyntax, v.Line)
	}
	w := &Workspace{Path: p, Line: v.Line}
	var err error
	for _, k := range v.Keys {
		f := v.Fields[k]
		switch k {
		case "name", "version":
			if f.Kind != String {
				return nil, fmt.Errorf("%w: %s (line %d) is not a string", ErrSyntax, k, f.Line)
			}
			if k == "name" {
				w.Name = f.Str
			} else {
				w.Version = f.Str
			}
		case "dependencies":
			w.Dependencies, err = depMap(f, k)
		case "devDependencies":
			w.DevDependencies, err = depMap(f, k)
		case "optionalDependencies":
			w.OptionalDependencies, err = depMap(f, k)
		case "peerDependencies":
			w.PeerDependencies, err = depMap(f, k)
		case "optionalPeers":
			w.OptionalPeers, err = stringList(f, k)
		case "bin":
			w.Bin, err = binMap(f, w.Name)
		case "binDir":
			if f.Kind != String {
				return nil, fmt.Errorf("%w: binDir (line %d) is not a string", ErrSyntax, f.Line)
			}
			w.BinDir = f.Str
		default:
			return nil, fmt.Errorf("%w: unknown field %q (line %d)", ErrSyntax, k, f.Line)
		}
		if err != nil {
			return nil, err
		}
	}
	if p != "" {
		if err := validName(w.Name); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// unsupportedRes says why a resolution airlock does not install is refused.
func unsupportedRes(res string) error {
	kind := "a non-registry"
	switch {
	case strings.HasPrefix(res, "git+"), strings.HasPrefix(res, "github:"):
		kind = "a git"
	case strings.HasPrefix(res, "file:"), strings.HasPrefix(res, "link:"):
		kind = "a local folder or file"
	case strings.Contains(res, "://"):
		kind = "a tarball URL"
	}
	return fmt.Errorf("%w: %q is %s dependency: airlock installs only registry packages checked against the lockfile's integrity; publish it to a registry", ErrUnsupportedSource, res, kind)
}

func parseEntry(key string, v *Value, version int) (*Entry, error) {
	segs, err := SplitKey(key)
	if err != nil {
		return nil, err
	}
	if v.Kind != Array || len(v.Items) == 0 {
		return nil, fmt.Errorf("%w: not a non-empty array", ErrSyntax)
	}
	first := v.Items[0]
	if first.Kind != String {
		return nil, fmt.Errorf("%w: the first element is not a string", ErrSyntax)
	}
	name, res, ok := splitNameRes(first.Str)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not name@resolution", ErrSyntax, first.Str)
	}
	if err := validName(name); err != nil {
		return nil, err
	}
	e := &Entry{Key: key, Segments: segs, Name: name, Line: v.Line}
	if ws, ok := strings.CutPrefix(res, "workspace:"); ok {
		if err := checkWorkspacePath(ws); err != nil {
			return nil, err
		}
		e.Kind, e.WorkspacePath = KindWorkspace, ws
		// Version 0 lockfiles repeat the workspace's dependencies here;
		// the workspaces section is what counts.
		if len(v.Items) > 2 || (len(v.Items) == 2 && (version > 0 || v.Items[1].Kind != Object)) {
			return nil, fmt.Errorf("%w: a workspace entry has %d elements", ErrSyntax, len(v.Items))
		}
		return e, nil
	}
	if !versionRe.MatchString(res) {
		if strings.Contains(res, ":") || strings.Contains(res, "/") {
			return nil, unsupportedRes(res)
		}
		return nil, fmt.Errorf("%w: %q is not a semver version", ErrBadVersion, res)
	}
	e.Kind, e.Version = KindNpm, res
	if len(v.Items) != 4 {
		return nil, fmt.Errorf("%w: a registry package has %d elements, not 4 (name@version, registry, info, integrity)", ErrSyntax, len(v.Items))
	}
	reg, info, integ := v.Items[1], v.Items[2], v.Items[3]
	if reg.Kind != String || info.Kind != Object || integ.Kind != String {
		return nil, fmt.Errorf("%w: a registry package is [string, string, object, string]", ErrSyntax)
	}
	if reg.Str != "" && !strings.HasPrefix(reg.Str, "https://") && !strings.HasPrefix(reg.Str, "http://") {
		return nil, fmt.Errorf("%w: registry field %q is not a tarball URL", ErrSyntax, reg.Str)
	}
	e.Tarball, e.Integrity = reg.Str, integ.Str
	for _, k := range info.Keys {
		f := info.Fields[k]
		switch k {
		case "dependencies":
			e.Dependencies, err = depMap(f, k)
		case "optionalDependencies":
			e.OptionalDependencies, err = depMap(f, k)
		case "peerDependencies":
			e.PeerDependencies, err = depMap(f, k)
		case "optionalPeers":
			var l []string
			l, err = stringList(f, k)
			e.OptionalPeers = map[string]bool{}
			for _, n := range l {
				e.OptionalPeers[n] = true
			}
		case "bin":
			e.Bin, err = binMap(f, name)
		case "binDir":
			if f.Kind != String {
				return nil, fmt.Errorf("%w: binDir (line %d) is not a string", ErrSyntax, f.Line)
			}
			e.BinDir = f.Str
		case "os":
			e.OS, err = stringList(f, k)
		case "cpu":
			e.CPU, err = stringList(f, k)
		case "libc":
			e.Libc, err = stringList(f, k)
		case "bundled", "hasInstallScript":
			if f.Kind != Bool {
				return nil, fmt.Errorf("%w: %s (line %d) is not a boolean", ErrSyntax, k, f.Line)
			}
			if k == "bundled" {
				e.Bundled = f.Str == "true"
			} else {
				e.HasInstallScript = f.Str == "true"
			}
		default:
			return nil, fmt.Errorf("%w: unknown field %q (line %d)", ErrSyntax, k, f.Line)
		}
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}
