package npm

import (
	"errors"
	"fmt"
)

// Errors callers can branch on with errors.Is. Parse, Select and CheckInSync
// wrap them with the entry, package and fix they concern.
var (
	// ErrSyntax: the bytes are not a JSON object, or a top-level field has
	// the wrong type.
	ErrSyntax = errors.New("not a valid npm lockfile")
	// ErrTooLarge: the input is over MaxLockfileSize.
	ErrTooLarge = errors.New("lockfile too large")
	// ErrLockfileV1: lockfileVersion 1 (npm 5 and 6), or no "packages" map.
	ErrLockfileV1 = errors.New("lockfileVersion 1 is not supported: run `npm install --package-lock-only` with npm 7 or newer to upgrade it to lockfileVersion 3")
	// ErrUnsupportedVersion: a lockfileVersion this package does not know.
	ErrUnsupportedVersion = errors.New("unsupported lockfileVersion")
	// ErrDuplicateKey: a key repeated at the top level, in "packages" or
	// inside one entry, where JSON readers disagree on which copy counts.
	ErrDuplicateKey = errors.New("duplicate JSON key")
	// ErrInvalidEntry: an entry field has the wrong type or is missing.
	ErrInvalidEntry = errors.New("invalid lockfile entry")
	// ErrUnsafePath: an install path that could leave node_modules or that
	// npm would never write.
	ErrUnsafePath = errors.New("unsafe install path")
	// ErrOutsideProject: an entry or link target outside the project root.
	ErrOutsideProject = errors.New("outside the project directory")
	// ErrBadVersion: a registry entry whose version is not valid semver,
	// which could steer the tarball URL derived from it.
	ErrBadVersion = errors.New("invalid version")
	// ErrSubstitution: a registry entry installs a package under another
	// package's folder without an "npm:" alias asking for it.
	ErrSubstitution = errors.New("package substituted in the lockfile")
	// ErrBadName: a package name npm would not accept.
	ErrBadName = errors.New("invalid package name")
	// ErrMissingTarget: a link whose target has no entry.
	ErrMissingTarget = errors.New("link target missing from lockfile")
	// ErrBadPlatform: a required (non-optional) package does not support the
	// platform (npm's EBADPLATFORM).
	ErrBadPlatform = errors.New("unsupported platform")
	// ErrBadEngine: a required package does not support the node or npm
	// version and Options.EngineStrict is set (npm's EBADENGINE).
	ErrBadEngine = errors.New("unsupported engine")
	// ErrOutOfSync: package.json and the lockfile disagree (npm ci's EUSAGE).
	ErrOutOfSync = errors.New("package.json and the lockfile are out of sync")
	// ErrBadOmit: an --omit or --include value npm does not know.
	ErrBadOmit = errors.New("invalid omit/include value")
)

// EntryError is a problem with one "packages" entry of the lockfile.
type EntryError struct {
	Path string // the entry's key; "" is the root project
	Err  error
}

func (e *EntryError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("lock/npm: root entry \"\": %v", e.Err)
	}
	return fmt.Sprintf("lock/npm: entry %q: %v", e.Path, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

func entryErr(path string, err error) error { return &EntryError{Path: path, Err: err} }
