package pypi

import (
	"errors"
	"fmt"
)

// Errors callers can branch on with errors.Is. Parsers wrap them with the
// file, line or entry they concern and the fix.
var (
	// ErrSyntax: a line, TOML document, marker or specifier that does not
	// parse.
	ErrSyntax = errors.New("syntax error")
	// ErrTooLarge: an input over MaxLockSize.
	ErrTooLarge = errors.New("lockfile too large")
	// ErrUnpinned: a requirement not pinned to one exact version with ==
	// or === (pip's hash-checking mode refuses these too).
	ErrUnpinned = errors.New("requirement is not pinned with ==")
	// ErrNoHash: a requirement, or a locked file, without any hash.
	ErrNoHash = errors.New("no hash")
	// ErrBadHash: a hash of an unknown algorithm or malformed digest.
	ErrBadHash = errors.New("bad hash")
	// ErrUnsupported: a source airlock refuses: editable, VCS, local
	// directory, direct URL or archive requirements and lock entries. They
	// need a build (which runs code) or cannot be checked against a
	// registry's file list.
	ErrUnsupported = errors.New("unsupported source")
	// ErrUnknownOption: a requirements-file option airlock does not
	// implement; ignoring it could install something other than pip would.
	ErrUnknownOption = errors.New("unknown or unsupported option")
	// ErrConflict: the same project pinned twice to different versions, or
	// with hash sets that no single file can satisfy.
	ErrConflict = errors.New("conflicting requirements")
	// ErrInclude: an -r/-c include that cycles, nests too deep, or cannot be
	// read.
	ErrInclude = errors.New("bad include")
	// ErrUnsupportedVersion: a lock-version (pylock) or version (uv.lock)
	// this package does not read.
	ErrUnsupportedVersion = errors.New("unsupported lockfile version")
	// ErrInvalidEntry: a lock entry missing a required field or with a
	// field of the wrong type or shape.
	ErrInvalidEntry = errors.New("invalid lock entry")
	// ErrBadMarker: a marker that does not parse or cannot be evaluated.
	ErrBadMarker = errors.New("invalid environment marker")
	// ErrBadVersion: a version that is not PEP 440.
	ErrBadVersion = errors.New("invalid version")
	// ErrBadWheelName: a wheel filename that is not PEP 427.
	ErrBadWheelName = errors.New("invalid wheel filename")
	// ErrNoCompatibleWheel: no wheel of a distribution fits the target
	// interpreter (and an sdist would need a build).
	ErrNoCompatibleWheel = errors.New("no compatible wheel")
	// ErrEnvironment: the target interpreter is outside what the lock
	// supports (requires-python, pylock environments).
	ErrEnvironment = errors.New("lock does not support this interpreter")
	// ErrUnknownGroup: an extra or dependency group the lock does not have.
	ErrUnknownGroup = errors.New("unknown extra or dependency group")
)

// LineError is a problem with one line of a requirements file.
type LineError struct {
	File string
	Line int // 1-based number of the line the (possibly continued) line starts on
	Text string
	Err  error
}

// maxQuoted bounds how much of a line an error quotes.
const maxQuoted = 200

func (e *LineError) Error() string {
	// Causes quote parts of the line too; both are cut so that a hostile
	// megabyte-long line does not become a megabyte-long message.
	msg := clip(e.Err.Error(), 3*maxQuoted)
	if e.Text == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, msg)
	}
	return fmt.Sprintf("%s:%d: %s (in %q)", e.File, e.Line, msg, clip(e.Text, maxQuoted))
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (e *LineError) Unwrap() error { return e.Err }

// EntryError is a problem with one entry of pylock.toml or uv.lock.
type EntryError struct {
	Entry string // "packages[3] (name 1.0)", "package foo 1.0"
	Err   error
}

func (e *EntryError) Error() string { return fmt.Sprintf("%s: %v", e.Entry, e.Err) }

func (e *EntryError) Unwrap() error { return e.Err }
