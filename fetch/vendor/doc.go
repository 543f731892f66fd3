// Package vendor reads and writes an airlock vendor directory: every archive
// a lockfile needs, stored by digest, plus a manifest saying what each one
// is, so that a project can be installed with no network at all (an
// air-gapped network, a CI runner without egress).
//
// Layout of a vendor directory DIR:
//
//	DIR/airlock-vendor.json      the manifest (ManifestName), JSON, see Manifest
//	DIR/blobs/<algo>/<hex>       one archive, named by the lockfile's strongest
//	                             digest of it (sha512 for npm, sha256 for wheels),
//	                             mode 0o444
//	DIR/.tmp-*                   a vendor run in progress, or its debris
//
// Nothing else belongs there: Check reports any other file as extra.
//
// Rules the code keeps:
//
//   - A blob's name is the digest the lockfile pins, not one computed from
//     the bytes: an install from the directory (Source) finds the file by the
//     lockfile's digest and verifies the bytes against that digest again, so
//     neither an edited blob nor an edited manifest can change what is
//     installed. The manifest is a description for people and for Check.
//   - Check re-hashes every blob against its name and every digest the
//     manifest lists for it, and reports precisely which are changed (bytes,
//     or not a regular file), missing, or extra (on disk but not listed).
//   - Writing is incremental and never leaves a half-written file under a
//     final name: a run works in DIR/.tmp-<random>, renames each verified
//     blob into blobs/ (a blob that is already there and still matches its
//     name is kept, not rewritten), then replaces the manifest by renaming a
//     complete new one over it, and only then deletes the blobs the new
//     manifest no longer lists. A run that dies leaves at worst unlisted
//     blobs and a .tmp-* directory, which Check reports and the next run
//     removes.
//   - One run writes a directory at a time (a flock on it; ErrBusy).
//   - The directory is read through os.Root: a symlink cannot lead a read
//     outside it, and a symlink inside blobs/ is reported as changed.
//   - URLs in the manifest are redacted (no credentials, no query values):
//     the directory is meant to be committed or copied.
package vendor
