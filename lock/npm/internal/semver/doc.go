// Package semver decides whether a version satisfies an npm semver range,
// with the exact semantics of node-semver 7 (the library npm 11 bundles): the
// same grammar, the same desugaring of ^ ~ x-ranges and hyphen ranges, and the
// same prerelease rule. lock/npm uses it for engines checks and for the
// in-sync check between package.json and the lockfile.
//
// Only what those checks need is here: parsing versions (strict or loose),
// parsing ranges, and testing membership. Unicode whitespace other than ASCII
// space, tab and newline is not treated as whitespace (node-semver's \s is
// wider); npm's own files never contain it.
package semver
