// Package yarnberry lays out node_modules exactly as yarn berry (yarn 4)
// does with `nodeLinker: node-modules` and `enableScripts: false`, from a
// lock/yarnberry graph and packages whose cache zips were verified
// against the lockfile (package berryzip).
//
// The placement is yarn's own: the hoister is a transcription of
// yarnpkg-nm's hoist.ts, fed the tree buildNodeModulesTree.ts builds
// (workspaces attached through their "$wsroot$" nodes, self-references,
// peer dependencies of virtual packages), and placed as
// populateNodeModulesTree places it. Each package is a copy of its zip's
// files with the zip's modes (0o644, or 0o755 for files the tarball gave
// any execute bit), its symlinks kept when they stay inside it, and its
// own node_modules left empty (yarn berry installs no bundled
// dependencies); workspaces are relative symlinks. Every node_modules
// directory's .bin holds relative symlinks to the bins of the packages in
// it (the first one wins a name) and, for a workspace, its own bins; the
// targets are made 0o755, as yarn makes them.
//
// node_modules/.yarn-state.yml, which `yarn run`, `yarn bin` and
// `yarn node` need, is written as yarn writes it (virtual packages named
// after yarn's locator hashes), except for packages that only yarn's
// builtin packageExtensions turn into virtual packages (debug before
// 4.2.0, for one), which keep their plain locator there (yarn's commands
// work with either). Not written:
// node_modules/.package-map.json (yarn 4.1x's Node package map, which
// nothing in yarn needs to run). The tree is built in a staging area and
// swapped in atomically (package install); nothing is ever run.
package yarnberry
