package install

import "errors"

// Errors callers can branch on with errors.Is.
var (
	// ErrLocked: another airlock process holds the project lock.
	ErrLocked = errors.New("another airlock process is installing into this project")
	// ErrBadTarget: a staged target is not a plain path inside the project.
	ErrBadTarget = errors.New("target must be a relative path inside the project")
	// ErrSymlinkInPath: a directory on the way to a target (or a path
	// looked up with Lstat) is a symlink, which airlock never follows
	// inside the project.
	ErrSymlinkInPath = errors.New("path goes through a symlink")
	// ErrCrossDevice: a target is on another filesystem than the staging
	// area, so it cannot be swapped in atomically.
	ErrCrossDevice = errors.New("target is on another filesystem")
	// ErrNotRestored: Commit failed and could not put every target back as
	// it was; the error says which target holds what (see Commit). A
	// command must not then report the previous trees as unchanged.
	ErrNotRestored = errors.New("not every target could be put back as it was")
	// ErrFinished: the Staging was already committed or aborted.
	ErrFinished = errors.New("install: staging area already committed or aborted")
)
