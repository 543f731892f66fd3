// Package install builds new dependency trees in a private staging directory
// inside the project and swaps them in atomically, so a failed or interrupted
// install leaves the previous tree intact. Layouts live in sub-packages.
//
// A Staging is one install transaction on one project:
//
//   - Begin takes the project lock: an exclusive flock(2) on .airlock/lock in
//     the project root. A second airlock process waits up to Options.LockWait
//     (calling Options.OnLockWait with the holder's process ID when the wait
//     begins) and then fails with ErrLocked. npm never looks at .airlock/ (it is not
//     node_modules and workspace globs skip dot-directories); Begin writes
//     .airlock/.gitignore ("*") so git ignores it too.
//   - Holding the lock, Begin removes every .airlock/staging-* directory. Only
//     the lock holder creates them, so any that exist were left by a process
//     that died (SIGKILL, power loss) and are garbage.
//   - Dir(target) returns an empty directory in the staging area in which the
//     caller builds the complete replacement for target (for example
//     "node_modules" or "packages/a/node_modules"). Path(target) reserves
//     a name instead, at which the caller creates a file, symlink or
//     directory; Remove(target) makes Commit move target out of the way
//     (into the staging area, deleted with it), undone like a swap.
//   - Nothing below the project directory is reached through a symlink.
//     Begin opens the project directory (which the user named, so it may
//     itself be reached through symlinks); every later lookup in it is
//     openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS) from that descriptor (or,
//     on kernels without openat2, one openat(O_NOFOLLOW) per element), and
//     the swaps are renameat2 calls between descriptors of the staging area
//     and of each target's parent. A target whose parent is, or lies under,
//     a symlink is refused with ErrSymlinkInPath, wherever the symlink
//     points: a committed "ws -> /elsewhere" cannot make a lockfile entry
//     replace /elsewhere/node_modules. A target itself may be a symlink; it
//     is replaced, never followed. Lstat looks paths up the same way.
//   - Commit swaps every staged directory into place: renameat2(RENAME_EXCHANGE)
//     when the target exists (old and new trade places in one step), a
//     renameat2(RENAME_NOREPLACE) when it does not. The replaced trees end up
//     inside the staging area and are deleted with it. If one swap fails, the
//     swaps already done are exchanged back, so Commit is all or nothing.
//     Should putting one back fail too (an I/O error), Commit says which
//     target holds which tree, and keeps the staging area, with the previous
//     trees, as .airlock/kept-* (never deleted by airlock) instead of
//     removing it.
//     SIGINT, SIGTERM and SIGHUP are held while the swaps run and re-raised
//     afterwards, so Ctrl-C cannot stop Commit half way. Once the swaps have
//     succeeded the install has happened: a failure to delete the replaced
//     trees is returned as a warning, not an error.
//   - Abort (also the right thing to defer) removes the staging area and
//     releases the lock; existing targets are never touched before Commit.
//
// What is not atomic, honestly stated:
//
//   - Several targets (a root node_modules plus workspace node_modules) are
//     swapped one after another. SIGKILL or power loss between two exchanges
//     leaves some targets new and some old; each single target is always
//     either wholly old or wholly new. Re-running the install repairs it.
//   - On filesystems without RENAME_EXCHANGE (some FUSE and network
//     filesystems), an existing target is first renamed away and the new one
//     renamed in: a crash between the two leaves the target missing.
//   - Nothing is fsynced (npm does not either): after a power loss the new
//     tree's file contents may be incomplete even though the renames survived.
//     `airlock verify` detects that.
package install
