// Package npmref runs the real npm against a test registry to produce the
// reference tree airlock's output is compared with: `npm ci --ignore-scripts`
// in a private copy of a fixture project, with npm's configuration isolated.
//
// Isolation: HOME, the user config and the global config point into a
// temporary directory, so neither ~/.npmrc nor $PREFIX/etc/npmrc applies;
// npm_config_* variables are dropped from the environment; every run gets its
// own cache. The registry and its CA are written to the project's .npmrc,
// the path users take. Everything else is npm's default, on purpose: the
// reference is what a stock npm does, not what this machine's npmrc says
// (it sets omit-lockfile-registry-resolved, which changes the hidden
// lockfile; pass --omit-lockfile-registry-resolved to get that behaviour).
package npmref
