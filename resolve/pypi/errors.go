package pypi

import (
	"errors"
	"strings"
)

// Errors callers branch on with errors.Is.
var (
	// ErrConflict: no set of versions satisfies every requirement; the
	// *ConflictError says which requirements clash.
	ErrConflict = errors.New("conflicting requirements")
	// ErrNotFound: no index lists the project.
	ErrNotFound = errors.New("project not found")
	// ErrPolicy: a requirement pins a version that policy refuses.
	ErrPolicy = errors.New("refused by policy")
	// ErrMetadata: a wheel's METADATA is unreadable or describes another
	// project or version than its file name.
	ErrMetadata = errors.New("bad package metadata")
	// ErrTooComplex: the resolver gave up after Options.MaxRounds steps.
	ErrTooComplex = errors.New("resolution too complex")
)

// ConflictError explains why resolution failed: each entry is one dead end
// the resolver met (the last ones it met first), naming a project, the
// requirements on it and who made them, and what the index offered.
type ConflictError struct {
	Conflicts []string
}

func (e *ConflictError) Error() string {
	if len(e.Conflicts) == 1 {
		return "cannot resolve the requirements: " + e.Conflicts[0]
	}
	return "cannot resolve the requirements:\n\t" + strings.Join(e.Conflicts, "\n\t")
}

func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
