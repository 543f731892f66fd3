package cache

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// UseGranularity is how stale a blob's last-use time may get before a
// verified read records a new one. A blob's mtime is its last use: set when
// it is stored, and moved to now by a read that verified the whole blob
// (Reader, from Get) when it is older than UseGranularity, so a busy cache
// costs at most one timestamp write per blob per day. atime is not used:
// noatime and relatime mounts do not keep it. Cache.GC drops blobs by it.
const UseGranularity = 24 * time.Hour

// now is time.Now, replaceable in tests.
var now = time.Now

// recordUse moves the blob's mtime to now when it is older than
// UseGranularity. Best effort: a read-only cache, or another user's blob,
// keeps its old time (GC may then drop it early; it is fetched again when
// next needed).
func (r *Reader) recordUse() {
	t := now()
	if t.Unix()-r.mtime < int64(UseGranularity/time.Second) {
		return
	}
	ts := []unix.Timespec{
		{Sec: 0, Nsec: unix.UTIME_OMIT}, // atime: left to the kernel's mount options
		unix.NsecToTimespec(t.UnixNano()),
	}
	// By name, not following a symlink: if a writer renamed a new copy over
	// the path meanwhile, that copy holds the same verified bytes and is
	// the one in use from now on.
	_ = unix.UtimesNanoAt(r.dirfd, r.name, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// MarkUsed records a use of d's blob without reading it (its mtime, as
// recordUse does, at most once per UseGranularity): an install that placed
// the package from the extracted store (fetch/store) still depends on the
// blob to rebuild the entry, so GC must not take it for unused. Best
// effort, and it says nothing about the blob's bytes.
func (c *Cache) MarkUsed(d verify.Digest) {
	dir, name, err := blobPath(d)
	if err != nil {
		return
	}
	dirfd, err := c.openDir(false, dir...)
	if err != nil {
		return
	}
	defer unix.Close(dirfd)
	var st unix.Stat_t
	if unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
		return
	}
	r := &Reader{dirfd: dirfd, name: name, mtime: st.Mtim.Sec}
	r.recordUse()
}
