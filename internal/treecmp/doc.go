// Package treecmp compares two installed project trees, the way a test
// checks airlock's node_modules against the one `npm ci` produced: file
// lists, contents, permission bits, symlink targets, and the hidden lockfile
// (node_modules/.package-lock.json) as parsed JSON.
//
// Modification times, owners and directory sizes are never compared. Only
// the node_modules directories are walked unless Options.Roots says
// otherwise, so inputs and scratch files in the project do not count.
package treecmp
