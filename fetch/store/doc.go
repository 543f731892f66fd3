// Package store keeps verified archives already unpacked, so that a warm
// install links or copies files into place instead of inflating the archive
// again. It is derived data beside the content-addressed cache (fetch/cache)
// and is held to the same rule: nothing leaves it unverified.
//
// Layout, under <cache>/store:
//
//	v1/<id[0:2]>/<id>/manifest   what the entry holds, with its MAC
//	v1/<id[0:2]>/<id>/pkg/...    the package's files
//	tmp/.airlock-tmp-*           an entry being built (or debris)
//
// where id is an HMAC-SHA256, under the store's key, of the archive's
// lockfile digest and the layout (umask, bins marked at extraction,
// .gitignore rule) that shaped the files: each key has its own entries, so
// machines sharing a restored cache, each with its own key, only miss each
// other's entries and never distrust and remove them.
//
// Rules the code keeps:
//
//   - An entry is created only from an archive whose digest just matched the
//     lockfile: Begin hands out a private temporary directory, the caller
//     extracts the verified stream into it, and Commit is called only after
//     the fetch's final digest check passed. Commit writes the manifest and
//     renames the whole directory into place, so an entry is complete or
//     absent, never half there; a crash leaves only a temporary directory,
//     which RemoveStale deletes once no live process holds its flock.
//   - Nothing is fsynced: an entry torn by a power cut (a file truncated to
//     zero by delayed allocation) fails the re-hash below and is rebuilt.
//   - The manifest lists every file: relative path, mode (exec bits
//     included), size and SHA-256, and the archive digest and layout the
//     entry was built for. It ends with an HMAC-SHA256 over all of that,
//     keyed by a secret that lives outside the cache directory (LoadKey:
//     $XDG_STATE_HOME/airlock/store.key, 0600, created on first use).
//     Whoever can write the cache (a CI cache restored from another branch,
//     another job sharing it) can change files and manifests, but cannot
//     make a manifest whose MAC verifies: such an entry is untrusted,
//     removed and rebuilt from the verified archive. Entries made under a
//     key that was lost or replaced are never found again (their names
//     come from the key), so they are rebuilt too, and GC ages them out.
//     The key never leaves the key file and is never written below the
//     cache.
//   - Every Place re-hashes every file it places against the manifest (size,
//     SHA-256, and for a hard link also the mode and owner of the very inode
//     linked), before the installer can use it. A mismatch removes the
//     entry and is returned as a *CorruptError; the caller warns and
//     rebuilds the package from the archive, which is itself verified
//     against the lockfile again (a mismatch there is the cache's error).
//   - Placement is by hard link (Link) or by copy (Copy; a FICLONE reflink
//     where the file system has them, else a read-hash-write copy). A hard
//     link shares the inode: to keep the installed tree identical to npm's
//     and every later chmod out of the store, files the installer will
//     chmod or rewrite (bin targets) and whole packages whose install
//     scripts may run are copied (Placement.Copy). A link is made first and
//     the linked inode hashed second, so a file swapped in the store between
//     check and use is caught; the inode must belong to airlock's user, so
//     nobody else can change the installed file afterwards either.
//   - Paths are resolved with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS)
//     inside the entry and the destination, and files are opened with
//     O_NOFOLLOW|O_NONBLOCK: a symlink, FIFO or device planted in an entry is
//     corrupt, never followed or read.
//
// It needs openat2 (Linux 5.6); where the kernel refuses it, Open fails and
// installs extract archives from the cache as before.
package store
