package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// projectLock is an exclusive flock(2) on StateDir/LockFile. The kernel
// drops it when the process dies, however it dies, so a stale lock cannot
// outlive its owner.
type projectLock struct {
	f *os.File
}

// acquireLock polls for the lock until wait has passed or ctx is done.
// onWait, if not nil, is called once when the lock is found held and the
// wait begins.
func acquireLock(ctx context.Context, name string, wait time.Duration, onWait func(holder string)) (*projectLock, error) {
	// O_NOFOLLOW and the checks below: the project is not ours, and a
	// committed symlink at .airlock/lock must not make airlock truncate
	// and write whatever file it points to.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0o666)
	if err != nil {
		if errors.Is(err, unix.ELOOP) {
			return nil, fmt.Errorf("install: %s is a symlink; remove it, airlock keeps its own lock file there", name)
		}
		return nil, fmt.Errorf("install: opening lock file: %w%s", err, writableHint(err))
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || st.Sys().(*syscall.Stat_t).Nlink != 1 {
		f.Close()
		return nil, fmt.Errorf("install: %s is not a plain file of airlock's (a special file or a hard link); remove it, airlock keeps its own lock file there", name)
	}
	deadline := time.Now().Add(wait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("install: locking %s: %w", name, err)
		}
		if wait < 0 || time.Now().After(deadline) {
			owner := ""
			if pid := lockHolder(f); pid != "" {
				owner = " by process " + pid
			}
			f.Close()
			return nil, fmt.Errorf("install: %w (lock %s held%s); wait for it to finish or stop it, then retry", ErrLocked, name, owner)
		}
		if onWait != nil {
			onWait(lockHolder(f))
			onWait = nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("install: waiting for lock %s: %w", name, context.Cause(ctx))
		case <-time.After(lockPoll):
		}
	}
	// Record the owner for the message a waiting process prints; the lock
	// itself is the flock, not this content.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &projectLock{f: f}, nil
}

// lockHolder returns the process ID recorded in the open lock file, or ""
// when there is none (the holder may not have written it yet).
func lockHolder(f *os.File) string {
	var b [32]byte
	n, _ := f.ReadAt(b[:], 0)
	pid := strings.TrimSpace(string(b[:n]))
	if _, err := strconv.Atoi(pid); err != nil {
		return ""
	}
	return pid
}

func (l *projectLock) release() {
	if l == nil || l.f == nil {
		return
	}
	// Closing the file drops the flock.
	l.f.Close()
	l.f = nil
}
