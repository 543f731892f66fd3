package install

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The project is not airlock's: a repository can commit a symlink where a
// workspace directory is expected, and a lockfile entry then makes its
// node_modules a target. Every lookup below the project directory is
// therefore made relative to a descriptor of it and refuses "..", absolute
// paths and symbolic links of any kind, so that a swap can only ever
// happen in a real directory inside the project.

// resolveStrict is the openat2(2) resolution used below the project.
const resolveStrict = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

var (
	// noOpenat2 and hasOpenat2 remember whether the kernel has openat2
	// (Linux 5.6+, and not blocked by a seccomp profile).
	noOpenat2, hasOpenat2 atomic.Bool
	// forceWalk makes openBeneath use the component walk, so tests cover
	// both ways.
	forceWalk bool
)

// maxResolveRetries bounds retries of openat2's EAGAIN, which
// RESOLVE_BENEATH returns when a rename elsewhere raced with the lookup.
const maxResolveRetries = 16

// openBeneath opens rel, a clean relative slash path, below the directory
// dirfd without following any symbolic link on the way. A symlink as the
// last element is opened itself when flags hold O_PATH|O_NOFOLLOW and is
// refused otherwise. The errors are the kernel's: ELOOP for a symlink on
// the way, ENOTDIR, ENOENT, EXDEV for a path that leaves dirfd.
func openBeneath(dirfd int, rel string, flags int) (int, error) {
	flags |= unix.O_CLOEXEC
	if !forceWalk && !noOpenat2.Load() {
		how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveStrict}
		for try := 0; ; try++ {
			fd, err := unix.Openat2(dirfd, rel, &how)
			switch {
			case err == nil:
				hasOpenat2.Store(true)
				return fd, nil
			case err == unix.EINTR, err == unix.EAGAIN && try < maxResolveRetries:
				continue
			case (err == unix.ENOSYS || err == unix.EPERM) && !hasOpenat2.Load():
				// ENOSYS: kernel before 5.6. EPERM: a seccomp profile that
				// does not know the call. Probe once to tell an EPERM of
				// the call itself from one about rel.
				if _, perr := unix.Openat2(dirfd, ".", &unix.OpenHow{Flags: unix.O_PATH | unix.O_CLOEXEC}); perr == unix.ENOSYS || perr == unix.EPERM {
					noOpenat2.Store(true)
					return walkBeneath(dirfd, rel, flags)
				}
				return -1, err
			default:
				return -1, err
			}
		}
	}
	return walkBeneath(dirfd, rel, flags)
}

// walkBeneath is openBeneath without openat2: one openat(O_NOFOLLOW) per
// element, each checked before the next is looked up in it.
func walkBeneath(dirfd int, rel string, flags int) (int, error) {
	segs := strings.Split(rel, "/")
	cur := dirfd
	closeCur := func() {
		if cur != dirfd {
			unix.Close(cur)
		}
	}
	for i, s := range segs {
		if s == "" || s == "." || s == ".." {
			closeCur()
			return -1, unix.EXDEV
		}
		last := i == len(segs)-1
		f := unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC
		if last {
			f = flags | unix.O_NOFOLLOW
		}
		fd, err := unix.Openat(cur, s, f, 0)
		closeCur()
		if err != nil {
			if last && err == unix.ENOTDIR && flags&unix.O_DIRECTORY != 0 && isSymlinkAt(dirfd, rel) {
				err = unix.ELOOP
			}
			return -1, err
		}
		cur = fd
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			closeCur()
			return -1, err
		}
		switch mode := st.Mode & unix.S_IFMT; {
		case mode == unix.S_IFLNK && (!last || flags&(unix.O_PATH|unix.O_NOFOLLOW) != unix.O_PATH|unix.O_NOFOLLOW):
			closeCur()
			return -1, unix.ELOOP
		case !last && mode != unix.S_IFDIR:
			closeCur()
			return -1, unix.ENOTDIR
		}
	}
	return cur, nil
}

// isSymlinkAt reports whether rel below dirfd is a symlink itself.
func isSymlinkAt(dirfd int, rel string) bool {
	var st unix.Stat_t
	return unix.Fstatat(dirfd, rel, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK
}

// checkRel accepts clean, relative, slash-separated paths inside the
// project (not the project itself).
func checkRel(rel string) error {
	if rel == "" || path.IsAbs(rel) || path.Clean(rel) != rel || rel == "." ||
		strings.ContainsAny(rel, "\\\x00") || rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("install: %w: %q", ErrBadTarget, rel)
	}
	return nil
}

// openDir opens the directory rel below the project (or the project itself
// for "."), refusing symlinks on the way, for use as the dirfd of *at calls.
func (s *Staging) openDir(rel string) (int, error) {
	if rel == "." {
		return unix.FcntlInt(uintptr(s.projectFD), unix.F_DUPFD_CLOEXEC, 0)
	}
	fd, err := openBeneath(s.projectFD, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, s.explain("open", rel, err)
	}
	return fd, nil
}

// Lstat describes rel, a slash path inside the project, without following
// a symlink anywhere: rel itself may be a symlink, which is described, not
// followed, while a symlink among its parent directories is an error
// wrapping ErrSymlinkInPath. A missing path is an error wrapping
// fs.ErrNotExist.
func (s *Staging) Lstat(rel string) (fs.FileInfo, error) {
	if err := checkRel(rel); err != nil {
		return nil, err
	}
	// Holding mu keeps finish from closing projectFD meanwhile.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, ErrFinished
	}
	fd, err := openBeneath(s.projectFD, rel, unix.O_PATH|unix.O_NOFOLLOW)
	if err != nil {
		return nil, fmt.Errorf("install: %w", s.explain("lstat", rel, err))
	}
	f := os.NewFile(uintptr(fd), path.Base(rel))
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("install: %w", err)
	}
	return fi, nil
}

// explain turns the kernel's refusal to reach rel into an error that names
// the offending directory and what to do.
func (s *Staging) explain(op, rel string, err error) error {
	switch {
	case errors.Is(err, unix.ELOOP):
		link := s.firstSymlink(rel)
		to, _ := readlinkAt(s.projectFD, link)
		return fmt.Errorf("%w: %s is a symlink (to %q) in %s; airlock installs only into real directories inside the project and never through a symlink, which could lead outside it: replace the symlink with the directory itself", ErrSymlinkInPath, link, to, s.project)
	case errors.Is(err, unix.EXDEV):
		return fmt.Errorf("%w: %q leaves the project", ErrBadTarget, rel)
	case errors.Is(err, unix.ENOENT):
		return &os.PathError{Op: op, Path: rel, Err: fs.ErrNotExist}
	}
	return &os.PathError{Op: op, Path: rel, Err: err}
}

// firstSymlink names the first element of rel that is a symlink, or rel.
func (s *Staging) firstSymlink(rel string) string {
	segs := strings.Split(rel, "/")
	for i := range segs {
		p := strings.Join(segs[:i+1], "/")
		// Each earlier element is a real directory (the loop got past
		// it), so this lookup follows nothing.
		if isSymlinkAt(s.projectFD, p) {
			return p
		}
	}
	return rel
}

func readlinkAt(dirfd int, rel string) (string, error) {
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dirfd, rel, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
