package install

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// renameat2 is a variable so tests can play a filesystem without
// RENAME_EXCHANGE.
var renameat2 = unix.Renameat2

// swapped records one completed swap so that it can be undone.
type swapped struct {
	staged, target string
	exchanged      bool // target existed; the old tree now sits at staged
	movedAside     string
}

// undo restores the target as it was before swapIn.
func (s swapped) undo() error {
	switch {
	case s.exchanged:
		return renameat2(unix.AT_FDCWD, s.staged, unix.AT_FDCWD, s.target, unix.RENAME_EXCHANGE)
	case s.movedAside != "":
		if err := os.Rename(s.target, s.staged); err != nil {
			return err
		}
		return os.Rename(s.movedAside, s.target)
	default:
		return os.Rename(s.target, s.staged)
	}
}

// swapIn puts the directory staged at target. An existing target (of any
// type: a node_modules symlink is replaced, the directory it points to is not
// touched) trades places with staged in one renameat2(RENAME_EXCHANGE). A
// missing target is created by renameat2(RENAME_NOREPLACE), so a target that
// appears meanwhile is never silently replaced. aside is a free path in the
// staging area for the fallback on filesystems without RENAME_EXCHANGE.
func swapIn(staged, target, aside string) (swapped, error) {
	for attempt := 0; attempt < 3; attempt++ {
		_, err := os.Lstat(target)
		switch {
		case err == nil:
			err = renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, target, unix.RENAME_EXCHANGE)
			if err == nil {
				return swapped{staged: staged, target: target, exchanged: true}, nil
			}
			if errors.Is(err, unix.ENOENT) {
				continue // target vanished meanwhile: create it instead
			}
			if !exchangeUnsupported(err) {
				return swapped{}, err
			}
			// Two renames: a crash between them leaves target missing
			// (documented in the package comment).
			if err := os.Rename(target, aside); err != nil {
				return swapped{}, err
			}
			if err := os.Rename(staged, target); err != nil {
				if rerr := os.Rename(aside, target); rerr != nil {
					return swapped{}, fmt.Errorf("%w; and restoring the old tree failed too (%v): it is at %s", err, rerr, aside)
				}
				return swapped{}, err
			}
			return swapped{staged: staged, target: target, movedAside: aside}, nil
		case errors.Is(err, os.ErrNotExist):
			err = renameat2(unix.AT_FDCWD, staged, unix.AT_FDCWD, target, unix.RENAME_NOREPLACE)
			if err == nil {
				return swapped{staged: staged, target: target}, nil
			}
			if errors.Is(err, unix.EEXIST) {
				continue // target appeared meanwhile: exchange instead
			}
			if !exchangeUnsupported(err) {
				return swapped{}, err
			}
			// No renameat2 flags here: a plain rename still refuses to
			// replace a non-empty directory.
			if err := os.Rename(staged, target); err != nil {
				return swapped{}, err
			}
			return swapped{staged: staged, target: target}, nil
		default:
			return swapped{}, err
		}
	}
	return swapped{}, fmt.Errorf("%s keeps changing while airlock installs; is another tool writing it?", target)
}

// exchangeUnsupported reports the errors with which filesystems or kernels
// refuse renameat2 flags they do not implement.
func exchangeUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// deviceOf returns the device number of the filesystem holding p.
func deviceOf(p string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return 0, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	return st.Dev, nil
}
