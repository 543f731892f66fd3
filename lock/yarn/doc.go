// Package yarn reads yarn classic's yarn.lock (the "# yarn lockfile v1"
// format written by yarn 1.x) and checks it against package.json the way
// `yarn install --frozen-lockfile` does.
//
// It is pure: it reads the bytes it is given and nothing else. Parse is a
// strict, hand-written reader of exactly what yarn 1's lockfile stringifier
// writes (no YAML module): top-level entries keyed by one or more
// comma-separated patterns ("a@^1.0.0", "a@^1.1.0":), quoted or not, with
// two-space indented fields and one nested level for dependencies and
// optionalDependencies. It refuses, with ErrSyntax and the line:
//
//   - tabs, odd indentation, indentation deeper than one nested block,
//     unterminated or invalid quoted strings, a key without a value or
//     colon, and text after a value;
//   - git merge conflict markers (yarn would try to merge them; airlock
//     installs only a lockfile that says one thing);
//   - duplicate patterns, duplicate fields, unknown fields, and entries
//     whose patterns name different packages;
//   - a berry lockfile (__metadata:) with ErrBerry, and input over
//     MaxLockfileSize with ErrTooLarge.
//
// Each entry becomes one package source: a registry tarball (resolved on
// a registry host; registry.yarnpkg.com is read as registry.npmjs.org,
// which it fronts, so .npmrc's registry and replace-registry-host apply as
// they do to npm lockfiles), a remote tarball, git or a local file. Entries
// pinned only by the sha1 in resolved's "#fragment" get a "sha1-" SRI
// integrity, which policy's weak_hashes decides on. An npm: alias
// ("x@npm:y@^1") is installed as x, fetched and checked as y.
//
// CheckInSync is --frozen-lockfile's check: every pattern package.json
// asks for (dependencies, devDependencies, optionalDependencies) and every
// pattern an entry depends on has an entry, whose version satisfies the
// pattern's semver range (unless package.json's resolutions override that
// package, as yarn then records the forced version under every pattern).
package yarn
