package cache

import (
	"context"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// claimName is the file whose flock(2) claims the fetch of one blob. It
// starts with TempPrefix so that one left by a killed process (its lock
// gone with it) is swept like a dead writer's temporary file.
func claimName(name string) string { return TempPrefix + "claim-" + name[:16] }

// Claim makes this process the one that fetches d's blob, so that several
// processes missing the same blob at the same instant download it once
// (AwaitWriter alone leaves the moment between a miss and the start of a
// write open). It returns at once when no one else holds the claim;
// otherwise it waits for the holder to finish and reports waited, and the
// caller must look in the cache again before fetching. A holder that makes
// no progress (its temporary file does not grow) for WriterIdle is not
// waited for any longer. release gives the claim up; call it once the blob
// is stored or the fetch failed. A cache that cannot be written claims
// nothing (release is a no-op); only ctx's end is an error.
//
// A claim is a hint, never a safety property: whoever fetches, the blob is
// verified on the way in and on every read.
func (c *Cache) Claim(ctx context.Context, d verify.Digest) (release func(), waited bool, err error) {
	noop := func() {}
	dir, name, err := blobPath(d)
	if err != nil {
		return noop, false, err
	}
	dirfd, err := c.openDir(true, dir...)
	if err != nil {
		return noop, false, nil
	}
	claim := claimName(name)
	prefix := TempPrefix + name[:16] + "-"
	var lastSize int64 = -1
	lastGrowth := time.Now()
	for {
		fd, err := openRetry(dirfd, claim, unix.O_RDONLY|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, tempPerm)
		if err != nil {
			unix.Close(dirfd)
			return noop, waited, nil
		}
		switch unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB) {
		case nil:
			if !sameFile(dirfd, claim, fd) {
				// The holder we waited for removed the name as it
				// finished: compete for the current one.
				unix.Close(fd)
				waited = true
				continue
			}
			return func() {
				// Remove the name while still holding the lock: a
				// waiter that opened it gets the lock next, sees the
				// name gone and looks again; a newcomer makes a new
				// file.
				if sameFile(dirfd, claim, fd) {
					unix.Unlinkat(dirfd, claim, 0)
				}
				unix.Close(fd)
				unix.Close(dirfd)
			}, waited, nil
		case unix.EWOULDBLOCK:
		default:
			// No flock here: AwaitWriter's narrower guard is all there is.
			unix.Close(fd)
			unix.Close(dirfd)
			return noop, waited, nil
		}
		unix.Close(fd)
		waited = true
		_, size := liveWriters(dirfd, prefix)
		if size != lastSize {
			lastSize, lastGrowth = size, time.Now()
		} else if time.Since(lastGrowth) > WriterIdle {
			unix.Close(dirfd)
			return noop, waited, nil
		}
		select {
		case <-ctx.Done():
			unix.Close(dirfd)
			return noop, waited, context.Cause(ctx)
		case <-time.After(awaitPoll):
		}
	}
}

// sameFile reports whether name in dirfd is the file open as fd.
func sameFile(dirfd int, name string, fd int) bool {
	var st, named unix.Stat_t
	if unix.Fstat(fd, &st) != nil || unix.Fstatat(dirfd, name, &named, unix.AT_SYMLINK_NOFOLLOW) != nil {
		return false
	}
	return st.Dev == named.Dev && st.Ino == named.Ino
}
