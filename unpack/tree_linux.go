//go:build linux

package unpack

import (
	"errors"
	"io"
	"os"
	"path"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// resolveBeneath has the kernel refuse, during lookup, any path that leaves
// the directory: "..", absolute paths, and every symbolic link (including
// /proc magic links), since an npm tree built by airlock has none.
const resolveBeneath = unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS

// beneathTree confines writes with openat2(2): one system call per file,
// however deep, with the whole lookup checked by the kernel.
type beneathTree struct{ fd int }

var (
	// noOpenat2 and hasOpenat2 remember the probe's answer, so that it
	// runs until it has one and then never again.
	noOpenat2, hasOpenat2 atomic.Bool
	// forceRootTree makes openTree use os.Root, so tests cover both.
	forceRootTree bool
)

func openBeneathTree(dir *os.File) (tree, error) {
	if forceRootTree || noOpenat2.Load() {
		return nil, errNoBeneath
	}
	fd, err := unix.FcntlInt(dir.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "dup", Path: dir.Name(), Err: err}
	}
	if hasOpenat2.Load() {
		return &beneathTree{fd: fd}, nil
	}
	probe, err := openat2(fd, ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		// ENOSYS: kernel before 5.6. EPERM: a seccomp profile (older
		// container runtimes) that does not know the call.
		if err == unix.ENOSYS || err == unix.EPERM {
			noOpenat2.Store(true)
			return nil, errNoBeneath
		}
		return nil, &os.PathError{Op: "openat2", Path: dir.Name(), Err: err}
	}
	unix.Close(probe)
	hasOpenat2.Store(true)
	return &beneathTree{fd: fd}, nil
}

func (t *beneathTree) mkdir(rel string, perm os.FileMode) error {
	parent, base, err := t.parent(rel)
	if err != nil {
		return err
	}
	if parent != t.fd {
		defer unix.Close(parent)
	}
	if err := unix.Mkdirat(parent, base, uint32(perm)); err != nil {
		return beneathError("mkdir", rel, err)
	}
	return nil
}

// parent opens the directory that holds rel, or returns the tree's own
// descriptor for a top-level name.
func (t *beneathTree) parent(rel string) (fd int, base string, err error) {
	dir, base := path.Split(rel)
	if dir == "" {
		return t.fd, base, nil
	}
	fd, err = openat2(t.fd, dir[:len(dir)-1], unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, "", beneathError("open", rel, err)
	}
	return fd, base, nil
}

func (t *beneathTree) create(rel string, perm os.FileMode) (treeFile, error) {
	fd, err := openat2(t.fd, rel, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint64(perm))
	if err != nil {
		return nil, beneathError("create", rel, err)
	}
	return rawFile(fd), nil
}

func (t *beneathTree) truncate(rel string) (treeFile, error) {
	fd, err := openat2(t.fd, rel, unix.O_WRONLY|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, beneathError("open", rel, err)
	}
	return rawFile(fd), nil
}

func (t *beneathTree) open(rel string) (io.ReadCloser, error) {
	fd, err := openat2(t.fd, rel, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, beneathError("open", rel, err)
	}
	return os.NewFile(uintptr(fd), rel), nil
}

func (t *beneathTree) close() error { return unix.Close(t.fd) }

func openat2(dirfd int, name string, flags int, mode uint64) (int, error) {
	how := unix.OpenHow{Flags: uint64(flags), Mode: mode, Resolve: resolveBeneath}
	for {
		fd, err := unix.Openat2(dirfd, name, &how)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// beneathError names the kernel's refusals (EXDEV: the path leaves the
// directory; ELOOP: it goes through a symbolic link) as unsafe paths.
func beneathError(op, rel string, err error) error {
	if errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ELOOP) {
		return detail(ErrUnsafePath, "the kernel refused to %s %q: it leaves the directory or goes through a symbolic link", op, rel)
	}
	return &os.PathError{Op: op, Path: rel, Err: err}
}

// rawFile writes with plain system calls: an *os.File would register with
// the runtime poller and query the descriptor's flags for nothing, since
// regular files never block.
type rawFile int

func (f rawFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(int(f), p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: "", Err: err}
		}
		if m == 0 {
			return n, io.ErrShortWrite
		}
		n += m
	}
	return n, nil
}

func (f rawFile) chmod(perm os.FileMode) error {
	return unix.Fchmod(int(f), uint32(perm))
}

func (f rawFile) Close() error { return unix.Close(int(f)) }

func (t *beneathTree) chmodDir(rel string, perm os.FileMode) error {
	fd, err := openat2(t.fd, rel, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return beneathError("open", rel, err)
	}
	defer unix.Close(fd)
	if err := unix.Fchmod(fd, uint32(perm)); err != nil {
		return &os.PathError{Op: "chmod", Path: rel, Err: err}
	}
	return nil
}
