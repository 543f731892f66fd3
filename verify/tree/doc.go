// Package tree hashes an installed tree (node_modules, site-packages) into one
// digest that is the same on every machine for the same files, and lists how
// two trees differ.
//
// # The tree digest, exactly
//
// A tree is the set of entries beneath one or more roots (directories given
// relative to a base directory, such as "node_modules" and
// "packages/a/node_modules" relative to the project). Each entry becomes one
// line of the canonical manifest:
//
//	<kind> <digest> <path>\n
//
// where path is the entry's slash-separated path relative to the base (so it
// starts with its root), kind and digest are:
//
//	d  -                          a directory
//	f  <sha256 hex of contents>   a regular file whose owner-execute bit is clear
//	x  <sha256 hex of contents>   a regular file whose owner-execute bit is set
//	l  <sha256 hex of target>     a symbolic link; the digest covers the link's
//	                              target string, which is never followed
//
// Any other kind of file (device, FIFO, socket) makes Scan fail: no installer
// creates one. In path, the bytes 0x00-0x20, 0x7f and '%' are written as %XX
// (upper-case hex), so every path is one unambiguous field. Lines are sorted
// by path, bytewise. The tree digest is
//
//	airlock-tree-v1:sha256:<hex of sha256 of the manifest>
//
// Ownership, timestamps and permission bits other than the owner-execute bit
// are left out: they depend on the user and the umask, not on the packages.
// A root that does not exist contributes nothing, so "no node_modules" and
// "empty node_modules" differ only by the root's own "d" line.
package tree
