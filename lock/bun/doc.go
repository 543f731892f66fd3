// Package bun reads bun.lock, bun's text lockfile (lockfileVersion 0 to 3,
// written by bun 1.1.39 and later), into the packages to install and where
// bun's hoisted node_modules puts each of them.
//
// It is pure: it reads the bytes it is given and nothing else. The JSONC is
// read by ParseJSONC, strict JSON plus what bun's reader accepts (trailing
// commas, // and /* */ comments); duplicate keys are refused, as bun
// ignores a lockfile that has them.
//
// A "packages" key is a place in bun's tree: "debug/ms" is
// node_modules/debug/node_modules/ms, and a key below a workspace package's
// name ("@ws/app/ms") is inside that workspace's directory
// (packages/app/node_modules/ms), reached through its link. A registry entry
// is ["name@version", registry, info, integrity]: an empty registry means
// the configured registry (fetch derives the URL, as bun does), otherwise
// it is the tarball URL.
//
// Parse refuses, with an error naming the entry and the fix:
//
//   - bun.lockb, the binary lockfile (ErrBinaryLockfile; `bun install
//     --save-text-lockfile` converts it), input over MaxLockfileSize
//     (ErrTooLarge), and lockfileVersion outside 0-3 (ErrUnsupportedVersion);
//   - unknown top-level, workspace or package-info fields and entries of
//     the wrong shape (ErrSyntax): airlock does not install what it does not
//     understand;
//   - git, GitHub, tarball-URL, file: and link: packages, and
//     patchedDependencies (ErrUnsupportedSource): airlock installs only
//     registry packages checked against the lockfile's integrity and never
//     patches package contents;
//   - package names npm would not accept (ErrBadName) and versions that are
//     not semver (ErrBadVersion), since both become URL and directory names;
//   - workspace paths that are absolute, unclean, outside the project, or
//     inside node_modules or .airlock, and keys that are not package names
//     joined by "/" (ErrUnsafePath).
//
// Select walks the tree from the root and every workspace as `bun install
// --frozen-lockfile` does: --production leaves out devDependencies,
// optional dependencies can be omitted, and a package whose os, cpu or libc
// does not match is skipped with whatever only it needs. It keeps the
// lockfile's tree when packages are left out, as bun does. A required
// dependency that resolves to no key is ErrMissingEntry. A package marked
// bundled arrives inside its parent's archive (lock.SourceBundled): nothing
// the lockfile resolves below it is installed and its bins are not linked.
// directories.bin (binDir) is passed on in Selection.BinDirs, and esbuild's
// bins move to its platform package (bun's native bin links).
//
// SelectIsolated lays the same lockfile out as bun's isolated linker
// (--linker=isolated, bun 1.3+'s default for workspace projects whose
// bun.lock has configVersion 1), following bun 1.4's build_store: a
// depth-first walk resolves each peer dependency from the nearest ancestor
// that has the name (else the lockfile's own resolution; an optional peer
// nothing provides is left out; a package is never its own peer), a
// breadth-first pass makes one store entry per package and set of resolved
// peers, named node_modules/.bun/<name with "/" as "+">@<version>, plus
// "+<16 hex digits>" of bun's Wyhash11 over the peers' names and versions
// when it has peers, and the first entry made for each dependency name is
// hoisted into node_modules/.bun/node_modules. Links lists the symlinks;
// more nodes than MaxIsolatedNodes, or ancestor-walk steps than
// MaxIsolatedSteps, is ErrTooLarge.
//
// CheckInSync is the --frozen-lockfile comparison of every package.json
// with the workspaces section.
package bun
