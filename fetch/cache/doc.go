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
//     name. The writer holds a flock(2) on its temporary file, which the
//     kernel drops when the process dies however it dies, so RemoveStaleTemps
//     deletes a dead writer's file at once and never a live one's (on
//     filesystems without flock it goes by StaleTempAge instead).
//   - A read re-hashes while streaming and reports a mismatch at the end, as
//     a *CorruptError, after removing the blob so the next attempt refetches.
//     Consumers must commit their own result only after that final check.
//   - Everything below the root is reached with openat and O_NOFOLLOW: a
//     symlink, FIFO, device or directory at a blob path is corrupt, never
//     followed or opened. The root itself may be a symlink (the user chose
//     it, as they choose a project directory). A hard link at a blob path is
//     judged by its bytes like any file, and removing a bad one removes only
//     the cache's name for it.
//   - No locks on blobs. Two processes writing the same blob each rename
//     identical, verified bytes into place; readers hold an open file and
//     never see a half-written one. A process that misses a blob another
//     one is writing can wait for that write (AwaitWriter, which watches the
//     writer's locked temporary file) instead of downloading it again; two
//     that miss it at the very same moment agree on one fetcher through a
//     claim (Claim: a flock'd TempPrefix file per blob, removed on release
//     and swept like a temporary file when its holder died), and the other
//     waits while the holder's download grows.
//   - A cache that cannot be written (read-only mount, another user's
//     directory, full disk) still serves what it holds; Put fails, and
//     Warnings says why up front. Warnings also names a root or blobs
//     directory that other users may write or that another user owns: not
//     a threat to integrity, since every read is verified, but they could
//     delete entries or read which packages were installed.
//   - A blob's mtime is its last use: set when it is stored, and moved to
//     now by a Get whose reader verified the whole blob, when it is more
//     than UseGranularity (a day) old, so a busy cache costs at most one
//     timestamp write per blob per day. atime is not used: noatime and
//     relatime mounts do not keep it. GC removes blobs whose last use is
//     older than asked; VerifyAll re-hashes every blob (not a use) and
//     removes what fails, names that are not blobs, and dead writers'
//     temporary files.
//   - Permissions: a root the cache creates is 0o700 (private registries'
//     archives are not for other users); subdirectories 0o755 and blobs
//     0o444, both less the umask. Blobs are read-only because nothing ever
//     rewrites one in place; a read puts back the mode of a blob someone
//     made writable by others.
//
// It needs the *at system calls, so it builds on Unix systems only.
package cache
