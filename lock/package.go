package lock

// Ecosystem names the package universe a Package comes from.
type Ecosystem string

const (
	NPM  Ecosystem = "npm"
	PyPI Ecosystem = "pypi"
)

// Source says where a package's bytes come from. Only SourceRegistry packages
// are downloaded; the others are either already on disk or refused by policy.
type Source int

const (
	// SourceRegistry is an archive in a package registry, located by the
	// registry's naming rules or by Resolved when the lockfile recorded it.
	SourceRegistry Source = iota
	// SourceBundled arrives inside its parent's archive (npm inBundle) and is
	// never fetched on its own.
	SourceBundled
	// SourceLink is a symlink to a directory, Resolved holding the target
	// relative to the project root (npm workspaces, file: directories).
	SourceLink
	// SourceWorkspace is a directory of the project itself (the target of a
	// SourceLink, or the project root's workspace members). Nothing is
	// fetched; its own dependencies are installed beneath it.
	SourceWorkspace
	// SourceGit is a git repository (git+https:, github:, ...).
	SourceGit
	// SourceRemote is an archive at an arbitrary URL outside any registry.
	SourceRemote
	// SourceFile is a local archive file (file:../x.tgz).
	SourceFile
)

func (s Source) String() string {
	switch s {
	case SourceRegistry:
		return "registry"
	case SourceBundled:
		return "bundled"
	case SourceLink:
		return "link"
	case SourceWorkspace:
		return "workspace"
	case SourceGit:
		return "git"
	case SourceRemote:
		return "remote tarball"
	case SourceFile:
		return "file"
	}
	return "unknown"
}

// Package is one entry of a lockfile: what to install, where, and how to
// check it. Fields an ecosystem does not have stay empty.
type Package struct {
	Ecosystem Ecosystem

	// Name is the name the package is published under. For npm aliases
	// ("foo": "npm:bar@1") it is "bar" while Path ends in "node_modules/foo".
	Name    string
	Version string

	// Path is the install location exactly as the lockfile keys it,
	// slash-separated and relative to the project root
	// ("node_modules/@s/a/node_modules/b"). Parsers reject paths that are
	// absolute or contain ".." segments.
	Path string

	Source Source
	// Resolved is the lockfile's record of where the bytes came from: a URL
	// for registry, remote and git sources, a relative path for links and
	// files. It may be empty for registry packages (npm's
	// omit-lockfile-registry-resolved); fetch then derives the URL.
	Resolved string
	// Integrity is the digest string exactly as the lockfile recorded it
	// (npm: SRI such as "sha512-..."; several space-separated hashes are
	// allowed). verify parses it; an empty Integrity is reported by policy.
	Integrity string

	// Dependency-type flags as the lockfile records them (npm semantics:
	// DevOptional means "optional in the dev graph, required elsewhere").
	Dev, Optional, DevOptional, Peer bool

	// Platform constraints; an entry starting with "!" excludes.
	OS, CPU, Libc []string
	// Engines is the package's declared engines ("node": ">=18").
	Engines map[string]string

	// Bin maps command names to paths inside the package, as the lockfile
	// records them (already expanded from directories.bin by the publisher).
	Bin map[string]string
	// HasInstallScript is set when the package declares preinstall, install
	// or postinstall scripts (or a binding.gyp). airlock never runs them.
	HasInstallScript bool
}
