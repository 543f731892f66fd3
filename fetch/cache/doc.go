// Package cache is airlock's content-addressed blob store. A blob enters it
// only after its digest matched and leaves it only after matching again; the
// files on disk are treated as untrusted input on every read.
//
// Layout, under the root (see DefaultDir):
//
//	blobs/<algo>/<hex[0:2]>/<hex>          a verified archive, mode 0o444
//	blobs/<algo>/<hex[0:2]>/.airlock-tmp-*  a write in progress (or debris)
//
// Rules the code keeps:
//
//   - A write streams into a temporary file in the blob's own directory while
//     hashing, then compares, fsyncs and renames it into place. A crash or
//     Ctrl-C leaves at worst a temporary file, never a partial blob at a final
//     name; RemoveStaleTemps deletes temporaries idle for StaleTempAge.
//   - A read re-hashes while streaming and reports a mismatch at the end, as
//     a *CorruptError, after removing the blob so the next attempt refetches.
//     Consumers must commit their own result only after that final check.
//   - Everything below the root is reached with openat and O_NOFOLLOW: a
//     symlink, FIFO, device or directory at a blob path is corrupt, never
//     followed or opened. The root itself may be a symlink.
//   - No locks. Two processes writing the same blob each rename identical,
//     verified bytes into place; readers hold an open file and never see a
//     half-written one.
//   - Permissions: a root the cache creates is 0o700 (private registries'
//     archives are not for other users); subdirectories 0o755 and blobs
//     0o444, both less the umask. Blobs are read-only because nothing ever
//     rewrites one in place.
//
// It needs the *at system calls, so it builds on Unix systems only.
package cache
