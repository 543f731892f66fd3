// Package yarn lays out node_modules exactly as yarn classic (1.22)'s
// `yarn install --frozen-lockfile --ignore-scripts` does, from a parsed
// yarn.lock and package.json, built in staging and swapped in whole.
//
// yarn 1's lockfile records neither bins, os/cpu nor peer dependencies, so
// Install does what yarn does: it extracts every package the lockfile
// reaches (each into its own private directory) and reads its
// package.json, then
//
//   - leaves out optional packages whose os or cpu do not match
//     (package-compatibility.js; libc and engines are not compared, as
//     yarn 1 ignores libc and airlock does not know the node version), and
//     refuses a required one (ErrBadPlatform);
//   - resolves peer dependencies as PackageLinker.resolvePeerModules does;
//   - places packages with a transcription of yarn's PackageHoister
//     (hoist.go), under --production marking the root's devDependencies
//     ignored so that only what production packages need is installed;
//   - copies each package to each of its locations and links bins as
//     PackageLinker does (bins.go): relative symlinks in the root's and
//     in packages' node_modules/.bin, targets chmod'ed to 0o755.
//
// Workspaces (package.json's workspaces globs, FindWorkspaces) are laid
// out as yarn does: the hoister sees its virtual workspace aggregator
// (the root's dependencies plus every workspace), each workspace is a
// relative symlink at node_modules/<name>, what cannot be hoisted goes
// into the workspace's own node_modules (replaced whole, like the
// root's), and a workspace's own bin targets are chmod'ed only after the
// swap. A workspace's dependency on another workspace whose version
// satisfies the range is that workspace, not a lockfile entry.
//
// workspaces.nohoist is NohoistResolver's (nohoist.go): globs from the
// root's package.json and from every private package's own (a
// workspace's apply beneath it), matched as micromatch 2 matches them
// against dependency paths ("/_project_/<workspace>/react-native"); a
// package that matches is not hoisted above its workspace (or the root
// dependency that reached it), and its bins are linked in its parent's
// node_modules/.bin instead of the root's. Globs are limited to what
// airlock evaluates exactly: path elements of name characters, * and ?,
// and whole "**" elements; others are refused (ErrWorkspaces), as is
// nohoist in a root whose workspace globs match no workspace.
//
// Not reproduced, and why:
//
//   - node_modules/.yarn-integrity, yarn's record of its last install, is
//     not written: its systemParams field names the node ABI
//     (process.versions.modules), which airlock cannot know without
//     running node. Without it the next `yarn install` simply does its
//     work again instead of answering "Already up-to-date".
//   - Symlinks inside package archives: yarn extracts them (kept inside
//     the package), airlock's npm unpacker skips them, as npm does.
//   - File modes follow npm's rule ((mode|0o666)&^umask|0o600), yarn's
//     is (mode|0o644)&^umask: the same under the usual umask 022.
//   - git and file: sources (ErrUnsupportedSource; they are policy's to
//     refuse first), and yarn's .yarnrc setting
//     workspaces-nohoist-experimental false (nohoist is always honoured).
//   - yarn's resolver runs its requests concurrently; the order in which
//     packages are first reached (which decides which copy of a peer
//     dependency a package is given, and whether a package first reached
//     through an optional dependency passes that flag on) is taken to be
//     breadth-first within each root dependency, and JavaScript's
//     localeCompare (the order of the flat tree, which decides bin-name
//     conflicts) is approximated by localeLess.
//
// A lockfile whose cycles conflict so that no copy can be shared nests
// without end in yarn's hoister (yarn runs out of memory); Install
// refuses it with ErrTooDeep past MaxDepth levels or MaxSeeds packages.
//
// The layout was checked against yarn 1.22.22 itself: the fixtures under
// testdata/yarn (files, modes, symlinks), a real 535-package project
// (testdata/real), and random projects laid out by yarn from an offline
// mirror (TestRandomIdenticalToYarn).
package yarn
