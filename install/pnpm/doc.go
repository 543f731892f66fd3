// Package pnpm lays out the isolated node_modules that `pnpm install
// --frozen-lockfile --ignore-scripts` (pnpm 9 and 10) produces, from
// lock/pnpm's Selection, building it in install's staging area and swapping
// it in atomically.
//
// The layout, file for file as pnpm writes it (checked against real pnpm by
// the tests):
//
//   - every package is extracted to node_modules/.pnpm/<id>/node_modules/<name>
//     (<id> is lock/pnpm's DepPathToFilename), files 0o644, or 0o755 when
//     the archive gave any execute bit, less the umask, as pnpm's store does;
//   - its dependencies are relative symlinks beside it, in
//     node_modules/.pnpm/<id>/node_modules/<alias>;
//   - each importer's direct dependencies are symlinks in its node_modules
//     (workspace links point at the workspace directory);
//   - hoisting follows @pnpm/hoist: hoist-pattern (default "*") into
//     node_modules/.pnpm/node_modules, public-hoist-pattern (pnpm 9:
//     "*eslint*", "*prettier*"; pnpm 10: none) into node_modules, workspace
//     packages included;
//   - bins are /bin/sh shims generated like @zkochan/cmd-shim, with pnpm's
//     NODE_PATH (which differs between pnpm 9 and 10), in each importer's
//     node_modules/.bin, in node_modules/.pnpm/node_modules/.bin for the
//     hoisted packages, and in <package>/node_modules/.bin for the bins of
//     each package's dependencies; targets are made 0o755 (see bins.go).
//
// Not written, because they are pnpm's records of its own store and runs:
// node_modules/.modules.yaml (names pnpm's store directory and a
// timestamp), node_modules/.pnpm/lock.yaml (pnpm's "current lockfile")
// and node_modules/.pnpm-workspace-state-v1.json (pnpm 10; a timestamp).
// Without them a later `pnpm install` treats node_modules as not installed by
// pnpm and relinks it, which is correct, only slower.
//
// Patched packages (patchedDependencies) get Options.Patches' patch after
// extracting, as pnpm applies it but without fuzz (patch.go).
//
// Refused: locations that are not clean relative paths inside the project,
// two packages in one virtual-store directory, importers that are symlinks
// or missing, and link targets missing from the project.
package pnpm
