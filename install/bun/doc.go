// Package bun lays out the node_modules that `bun install --frozen-lockfile
// --ignore-scripts` makes with bun's hoisted linker, from lock/bun's
// Selection, building it in install's staging area and swapping it in
// atomically.
//
// bun's hoisted layout is npm's: every package at the location its
// lockfile key names, workspace packages as relative symlinks in the root
// node_modules (and the packages below a workspace's name inside the
// workspace's own node_modules), bins as relative symlinks in the nearest
// node_modules/.bin. So Install hands the selection to install/npm, without
// a hidden lockfile (bun writes none), and the differences that remain are
// in the extraction, which the caller does with ExtractOptions:
//
//   - files get npm's mode, ((mode | 0o666) &^ umask) | 0o600 (checked
//     against bun with umasks 0o022 and 0o002);
//   - .gitignore files keep their name (npm renames them .npmignore);
//   - bin targets that are linked are made 0o777 &^ umask, and a "\r"
//     ending their "#!" line is removed (bun's tryNormalizeShebang), the
//     project's own files (a workspace's bins) only after the swap; a bin
//     whose target is missing is not linked.
//
// Checked file for file against real bun 1.4.5 by the tests (listings in
// testdata/bun/*/bun-tree.txt).
//
// Unlike bun, which leaves in node_modules whatever it does not install
// (a package an earlier install put there, one --production now omits),
// Install replaces the root's and every workspace's node_modules whole,
// as npm ci does: the result is the tree a fresh bun install makes.
//
// InstallIsolated lays out bun's isolated tree instead (lock/bun's
// SelectIsolated; --linker=isolated, the default for workspace projects
// whose bun.lock has configVersion 1): each store entry extracted once into
// node_modules/.bun/<entry>/node_modules/<name>, with the same file modes;
// dependency symlinks beside it (a dependency named like the package itself
// one node_modules further down); the root's and each workspace's direct
// dependencies linked into their node_modules, workspace dependencies
// pointing at the workspace directory; the hoisting links of
// node_modules/.bun/node_modules; and bins as bun's linkDependencyBins and
// binaries steps make them: each node_modules/.bin holds the bins of that
// owner's dependencies (by dependency name, the first of a command name
// winning; esbuild's pointing into its platform package), and each
// registry package's own node_modules/.bin its own bins, relative symlinks
// through the dependency link, targets made 0o777 &^ umask with a "\r"
// ending their "#!" line removed; a missing target is not linked.
// Workspaces get a node_modules only when they have dependencies. Checked
// file for file against bun 1.4.5 (bun-isolated-tree.txt, and the
// real-registry vite and peers projects).
//
// In the hoisted layout, when two packages in one node_modules declare the same bin
// name, npm's order picks the owner (install/npm); bun links the first it
// meets, which was the same package in every case compared (aliases of one
// package, a devDependency against an alias), but the two orders were not
// proven equal for names npm's locale collation sorts differently from
// bytes.
package bun
