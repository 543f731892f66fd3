// Package pnpm reads pnpm-lock.yaml (lockfileVersion 9.0, written by pnpm 9
// and 10) into the packages to install and the dependency graph pnpm's
// isolated node_modules layout is built from.
//
// It is pure: it reads the bytes it is given and nothing else. YAML is read
// by ParseYAML, a strict reader of exactly the subset pnpm writes (no
// YAML module is used); it refuses anchors, aliases, tags, directives,
// document markers, complex keys, block scalars, multi-line scalars and
// duplicate keys with ErrYAML and the line.
//
// Parse refuses, with an error naming the entry and the fix:
//
//   - input over MaxLockfileSize (ErrTooLarge) and lockfileVersion other
//     than 9.x (ErrUnsupportedVersion);
//   - unknown top-level, importer, snapshot or resolution fields (ErrSyntax):
//     airlock does not install what it does not understand;
//   - git, directory and tarball-URL resolutions, file: and URL
//     dependencies (which is how injected workspace packages that need a
//     copy of their own are written) (ErrUnsupportedSource): airlock
//     installs only registry packages checked against the lockfile's
//     integrity and links workspace packages rather than copying them
//     (injected packages that pnpm dedupes to links install as links);
//   - patchedDependencies other than {hash, path} with pnpm 10's SHA-256
//     hex or pnpm 9's base32 MD5 hash (ErrUnsupportedSource), patch paths outside the project
//     (ErrUnsafePath), and snapshots whose patch_hash is not listed
//     (ErrMissingEntry). Lockfile.Patches lists the patches by hash and
//     Entry.PatchHash names a snapshot's; PatchHash computes pnpm's hash
//     of a patch file, which the caller must compare before applying it;
//   - package names npm would not accept (ErrBadName) and versions that are
//     not semver (ErrBadVersion), since both become URL and directory names;
//   - importers and link: targets that are absolute, unclean, outside the
//     project, or inside node_modules or .airlock (ErrUnsafePath);
//   - dependencies whose snapshot or package entry is missing
//     (ErrMissingEntry).
//
// Select walks the graph from the importers the way pnpm's headless
// (--frozen-lockfile) install does: --prod, --dev and --no-optional drop
// devDependencies, dependencies and optionalDependencies; an optional
// package (snapshot optional: true) whose os/cpu/libc do not match the
// supported architectures (supportedArchitectures, "current" being the
// host's) or whose engines.node does not match the node version is
// skipped with whatever only it needs, and a required one that does not
// match is installed with a warning (an error under engine-strict). Each installed snapshot is one
// lock.Package whose Path is its virtual-store directory,
// node_modules/.pnpm/<DepPathToFilename>/node_modules/<name>. Two
// snapshots that map to one directory are refused (ErrUnsafePath).
//
// CheckInSync is pnpm's satisfiesPackageManifest, the check behind
// --frozen-lockfile's ERR_PNPM_OUTDATED_LOCKFILE: every importer's
// package.json must list exactly the lockfile's specifiers under the same
// dependency types (peer dependencies count as dependencies under
// autoInstallPeers). dependenciesMeta and publishDirectory are not compared.
// engines.pnpm is not checked: pnpm's lockfile filter passes it no pnpm
// version either.
package pnpm
