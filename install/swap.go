package install

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// renameat2 is a variable so tests can play a filesystem without
// RENAME_EXCHANGE.
var renameat2 = unix.Renameat2

// entry names a directory entry by a descriptor of the directory holding it
// and its name there, so that no rename ever resolves a path again (a
// symlink planted in a parent meanwhile cannot redirect it).
type entry struct {
	dir  int
	name string
}

func rename2(from, to entry, flags uint) error {
	return renameat2(from.dir, from.name, to.dir, to.name, flags)
}

// renamePlain is rename(2) without flags, for filesystems that refuse
// renameat2's; it still refuses to replace a non-empty directory.
func renamePlain(from, to entry) error {
	return unix.Renameat(from.dir, from.name, to.dir, to.name)
}

func lstatAt(e entry) error {
	var st unix.Stat_t
	return unix.Fstatat(e.dir, e.name, &st, unix.AT_SYMLINK_NOFOLLOW)
}

// swapped records one completed swap so that it can be undone.
type swapped struct {
	staged, target entry
	exchanged      bool // target existed; the old tree now sits at staged
	movedAside     *entry
	removed        bool // target was moved out to staged, nothing put in its place
	absent         bool // a removal whose target did not exist: nothing to undo
}

// stuckError is a swap or undo that failed half way: the target is not as
// it was, and its previous tree (if it had one) sits in the staging area,
// which must then be kept.
type stuckError struct {
	err     error
	missing bool   // the target is gone; otherwise it holds the new tree
	old     string // the previous tree's name in the staging area; "" if there was none
}

func (e *stuckError) Error() string { return e.err.Error() }
func (e *stuckError) Unwrap() error { return e.err }

// undo restores the target as it was before swapIn. On failure it returns
// a *stuckError saying where the trees are.
func (s swapped) undo() error {
	switch {
	case s.absent:
	case s.removed:
		if err := renameNoReplace(s.staged, s.target); err != nil {
			return &stuckError{err: err, missing: true, old: s.staged.name}
		}
	case s.exchanged:
		if err := rename2(s.staged, s.target, unix.RENAME_EXCHANGE); err != nil {
			return &stuckError{err: err, old: s.staged.name}
		}
	case s.movedAside != nil:
		if err := renamePlain(s.target, s.staged); err != nil {
			return &stuckError{err: err, old: s.movedAside.name}
		}
		if err := renamePlain(*s.movedAside, s.target); err != nil {
			return &stuckError{err: err, missing: true, old: s.movedAside.name}
		}
	default:
		if err := renamePlain(s.target, s.staged); err != nil {
			return &stuckError{err: err}
		}
	}
	return nil
}

// swapIn puts the directory staged at target. An existing target (of any
// type: a node_modules symlink is replaced, the directory it points to is not
// touched) trades places with staged in one renameat2(RENAME_EXCHANGE). A
// missing target is created by renameat2(RENAME_NOREPLACE), so a target that
// appears meanwhile is never silently replaced. aside is a free name in the
// staging area for the fallback on filesystems without RENAME_EXCHANGE;
// display names the target in messages.
func swapIn(staged, target, aside entry, display string) (swapped, error) {
	for attempt := 0; attempt < 3; attempt++ {
		err := lstatAt(target)
		switch {
		case err == nil:
			err = rename2(staged, target, unix.RENAME_EXCHANGE)
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
			if err := renamePlain(target, aside); err != nil {
				return swapped{}, err
			}
			if err := renamePlain(staged, target); err != nil {
				if rerr := renamePlain(aside, target); rerr != nil {
					return swapped{}, &stuckError{err: fmt.Errorf("%w; and putting the previous tree back failed too: %w", err, rerr), missing: true, old: aside.name}
				}
				return swapped{}, err
			}
			return swapped{staged: staged, target: target, movedAside: &aside}, nil
		case errors.Is(err, unix.ENOENT):
			err = rename2(staged, target, unix.RENAME_NOREPLACE)
			if err == nil {
				return swapped{staged: staged, target: target}, nil
			}
			if errors.Is(err, unix.EEXIST) {
				continue // target appeared meanwhile: exchange instead
			}
			if !exchangeUnsupported(err) {
				return swapped{}, err
			}
			if err := renamePlain(staged, target); err != nil {
				return swapped{}, err
			}
			return swapped{staged: staged, target: target}, nil
		default:
			return swapped{}, err
		}
	}
	return swapped{}, fmt.Errorf("%s keeps changing while airlock installs; is another tool writing it?", display)
}

// moveOut moves target to aside, a free name in the staging area, for a
// target that is to be removed. A target that does not exist is left so
// and needs no undo.
func moveOut(target, aside entry) (swapped, error) {
	err := renameNoReplace(target, aside)
	switch {
	case err == nil:
		return swapped{staged: aside, target: target, removed: true}, nil
	case errors.Is(err, unix.ENOENT):
		return swapped{staged: aside, target: target, absent: true}, nil
	}
	return swapped{}, err
}

// renameNoReplace renames without replacing anything, falling back to a
// plain rename on filesystems without renameat2 flags (the caller's
// destination is a fresh name or one it just vacated).
func renameNoReplace(from, to entry) error {
	err := rename2(from, to, unix.RENAME_NOREPLACE)
	if err != nil && exchangeUnsupported(err) {
		err = renamePlain(from, to)
	}
	return err
}

// exchangeUnsupported reports the errors with which filesystems or kernels
// refuse renameat2 flags they do not implement.
func exchangeUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// deviceOf returns the device number of the filesystem holding the open
// directory fd.
func deviceOf(fd int) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return st.Dev, nil
}
