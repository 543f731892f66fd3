// Package npm reads npm lockfiles (package-lock.json and npm-shrinkwrap.json,
// lockfileVersion 2 and 3) into []lock.Package and decides, with npm ci's
// rules, which of those packages go on disk for a given platform and --omit.
//
// It is pure: it reads the bytes it is given and nothing else. The caller
// picks the file (see FindLockfile), reads it, and wraps errors with its path.
//
// Parse refuses, with an error naming the entry and the fix:
//
//   - input over MaxLockfileSize, invalid JSON, or a top level that is not an
//     object (ErrSyntax, ErrTooLarge);
//   - lockfileVersion 1 or a lockfile without "packages" (ErrLockfileV1), and
//     versions newer than 3 (ErrUnsupportedVersion);
//   - install paths that are absolute, contain "." or ".." segments, empty
//     segments, backslashes, control characters or NUL, or whose
//     node_modules segments do not spell package names (ErrUnsafePath);
//   - entries and link targets outside the project directory, such as the
//     "../shared" entry npm writes for a file:../shared dependency
//     (ErrOutsideProject): airlock installs only inside the project;
//   - package names npm would not accept (ErrBadName);
//   - registry entries whose version is not valid semver, such as
//     "1.0.0/../../x" or "1.0.0?a": the tarball URL is derived from it
//     (ErrBadVersion);
//   - a registry entry whose "name" differs from its folder when no
//     dependency asks for that package by an "npm:<name>@..." alias (or by a
//     URL, path or git spec): npm ci would install the other package there
//     (ErrSubstitution);
//   - a key repeated at the top level, in "packages" or inside an entry
//     (ErrDuplicateKey): JSON.parse keeps the last copy, other readers the
//     first, so such a lockfile can show npm one package and a reviewer or
//     another tool another; npm never writes one;
//   - links whose target has no entry (ErrMissingTarget);
//   - fields of the wrong JSON type, and registry entries with neither a
//     version nor a resolved URL (ErrInvalidEntry).
//
// JSON is read the way npm's JSON.parse reads it: keys are case-sensitive, a
// repeated key inside a dependency map keeps its last value (at the position
// of its first occurrence), and a leading byte-order mark is ignored. Nesting
// is never recursed into beyond encoding/json's 10000-level limit, so a
// deeply nested value is ErrSyntax, not a stack overflow.
//
// Sources are classified, not judged (policy refuses elsewhere): an empty
// resolved, or an http(s) URL ending in /<name>/-/<base>-<version>.tgz, is
// SourceRegistry; other http(s) URLs are SourceRemote; git+..., git:,
// github: and similar are SourceGit; file: is SourceFile (a tarball, or a
// directory copied by --install-links: see FileIsDirectory); "link": true is
// SourceLink; "inBundle": true is SourceBundled; entries outside
// node_modules (workspaces, file: directories) are SourceWorkspace. A link
// carries its target's name, version, flags and bin, as in npm's tree.
//
// Select mirrors npm 11 (arborist load-virtual, calc-dep-flags,
// build-ideal-tree checkEngineAndPlatform, optional-set, gather-dep-set,
// reify/diff omit). Like npm ci it recomputes the dev, optional, devOptional,
// peer and extraneous flags from the dependency graph instead of trusting
// the lockfile's record (lock.Package keeps the record): entries nothing in
// the project needs (such as an optional peer dependency's placement) are
// pruned first, omitted types are left out, an optional package whose
// os/cpu/libc or engines do not match is skipped together with the packages
// only it needs, a required package whose platform does not match fails with
// ErrBadPlatform, and a required package whose engines do not match is a
// warning. Bundled entries stay in Install with
// SourceBundled: they come out of their parent's archive, never fetched.
// Under npm's legacy-peer-deps (see LegacyPeerDeps) peer dependencies are
// dropped from the graph Select and CheckInSync follow, as npm drops them.
//
// CheckInSync is the pure counterpart of npm ci's refusal when package.json
// and the lockfile disagree.
package npm
