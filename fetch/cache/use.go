package cache

import (
	"time"

	"golang.org/x/sys/unix"
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
