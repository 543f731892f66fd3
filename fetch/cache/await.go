package cache

import (
	"context"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/verify"
)

// WriterIdle is how long AwaitWriter keeps waiting for another writer whose
// temporary file has stopped growing: past it, the caller is better off
// downloading the blob itself.
var WriterIdle = 10 * time.Second

// awaitPoll is how often AwaitWriter looks at the other writer.
const awaitPoll = 25 * time.Millisecond

// AwaitWriter waits while another writer, in any process, is storing d's
// blob (it holds the lock on a temporary file for d, see claimTemp), so
// that two processes missing the same blob download it once. It returns
// when no live writer is left, or when the writers' files have not grown
// for WriterIdle, and reports whether it waited at all: if it did, the
// caller should look in the cache again. Only ctx's end is an error.
//
// Two processes that miss the same blob at the very same instant can still
// both download it; this only narrows that window to the moment between a
// miss and the start of a write.
func (c *Cache) AwaitWriter(ctx context.Context, d verify.Digest) (bool, error) {
	dir, name, err := blobPath(d)
	if err != nil {
		return false, err
	}
	dirfd, err := c.openDir(false, dir...)
	if err != nil {
		return false, nil
	}
	defer unix.Close(dirfd)
	prefix := TempPrefix + name[:16] + "-"
	waited := false
	var lastSize int64 = -1
	lastGrowth := time.Now()
	for {
		live, size := liveWriters(dirfd, prefix)
		if !live {
			return waited, nil
		}
		waited = true
		if size != lastSize {
			lastSize, lastGrowth = size, time.Now()
		} else if time.Since(lastGrowth) > WriterIdle {
			return waited, nil
		}
		select {
		case <-ctx.Done():
			return waited, context.Cause(ctx)
		case <-time.After(awaitPoll):
		}
	}
}

// liveWriters reports whether a live writer holds one of the temporary
// files named with prefix, and the total size of those files.
func liveWriters(dirfd int, prefix string) (live bool, size int64) {
	// A fresh descriptor each time: a dup would share dirfd's offset and
	// list nothing the second time.
	again, err := openRetry(dirfd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false, 0
	}
	f := os.NewFile(uintptr(again), "")
	names, _ := f.Readdirnames(-1)
	f.Close()
	for _, name := range names {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		fd, err := openRetry(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			continue // gone, or another user's: nothing to wait for
		}
		var st unix.Stat_t
		if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			if unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK {
				live = true
				size += st.Size
			}
		}
		unix.Close(fd)
	}
	return live, size
}
