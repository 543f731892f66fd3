// Package npm lays out node_modules exactly as `npm ci --ignore-scripts`
// (npm 11) would — packages at their lockfile locations, workspace links,
// .bin links, the hidden lockfile — built in staging and swapped in whole.
//
// Install takes the selected lockfile packages, the raw lockfile entries and
// an extraction callback, so it depends on neither the lockfile parser nor
// the unpacker. Each archive package is extracted concurrently into its own
// private directory and then renamed to its location, parents before
// children; a package's own archive replaces anything its parent's archive
// put at that location (pacote empties a directory before extracting into
// it). The root node_modules and every workspace's node_modules are
// replaced as whole directories by install.Staging, so files a user put
// there are gone afterwards, as after npm ci, and a failure or Ctrl-C at any
// point before the swap leaves all of them, and every other file of the
// project, exactly as they were: the only change npm makes to the project's
// own files (fix-bin on a workspace's bins) is made after the swap.
//
// Nothing outside the project is ever written. Links must point to
// locations inside the project, workspaces must be real directories (a
// committed symlink in their place is refused, wherever it points), the
// swaps go through install.Staging's symlink-free lookups, and every other
// access to the project goes through an os.Root of it.
//
// The rules mirrored from npm, with the sources they were read from and the
// runs that confirmed them, are documented beside the code: bins.go (bin
// links, conflicts, fix-bin), hiddenlock.go (hidden lockfile content and
// dependency flags), jsjson.go and collate.go (npm's JSON formatting and
// key order).
package npm
