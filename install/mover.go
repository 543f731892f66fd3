package install

import (
	"os"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// Mover renames entries inside the staging root with one renameat(2) each:
// every parent directory is opened once, beneath Root and without
// following any symbolic link, and kept open. Installers move thousands of
// extracted packages out of a scratch directory into a few node_modules
// directories; through os.Root each move would look both parents up again,
// component by component. A Mover is not safe for concurrent use.
type Mover struct {
	s    *Staging
	dirs map[string]int // parent directory, relative to Root → O_PATH descriptor
}

// NewMover returns a Mover for s's staging root. Close it before Commit.
func (s *Staging) NewMover() *Mover { return &Mover{s: s, dirs: map[string]int{}} }

// Rename moves from to to, both clean slash paths relative to Root; to's
// parent must exist. Errors are *os.LinkError, with the kernel's errno.
func (m *Mover) Rename(from, to string) error {
	fromDir, err := m.dir(path.Dir(from))
	if err == nil {
		var toDir int
		if toDir, err = m.dir(path.Dir(to)); err == nil {
			err = unix.Renameat(fromDir, path.Base(from), toDir, path.Base(to))
		}
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

func (m *Mover) dir(rel string) (int, error) {
	if rel == "." {
		return m.s.stageFD, nil
	}
	if fd, ok := m.dirs[rel]; ok {
		return fd, nil
	}
	fd, err := openBeneath(m.s.stageFD, rel, unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return -1, err
	}
	m.dirs[rel] = fd
	return fd, nil
}

// Forget closes the descriptors of dir and of the directories under it:
// call it after removing or replacing dir some other way, so that no later
// Rename goes into a directory that is no longer there.
func (m *Mover) Forget(dir string) {
	for rel, fd := range m.dirs {
		if rel == dir || strings.HasPrefix(rel, dir+"/") {
			unix.Close(fd)
			delete(m.dirs, rel)
		}
	}
}

// Close closes every descriptor the Mover holds.
func (m *Mover) Close() {
	for _, fd := range m.dirs {
		unix.Close(fd)
	}
	clear(m.dirs)
}
