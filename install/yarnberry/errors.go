package yarnberry

import (
	"errors"
	"fmt"
)

// Errors callers can branch on with errors.Is.
var (
	// ErrBadPackage: a package's content cannot be laid out safely (a
	// symlink leaving the package, a bin outside it, a name that is not
	// a path).
	ErrBadPackage = errors.New("package cannot be laid out")
	// ErrWorkspaceMissing: a workspace directory of the lockfile does not
	// exist in the project.
	ErrWorkspaceMissing = errors.New("workspace directory missing")
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("install/yarnberry: "+format, args...)
}
