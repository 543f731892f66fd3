package unpack

import (
	"errors"
	"fmt"
)

// Each refusal is one of these values, wrapped in a *FileError naming the
// entry, so callers branch with errors.Is and users read which entry was bad.
var (
	ErrUnsafePath   = errors.New("unsafe path")
	ErrSpecialFile  = errors.New("special file (device, FIFO, sparse or unknown type)")
	ErrSetuid       = errors.New("file has the setuid, setgid or sticky bit")
	ErrDuplicate    = errors.New("path appears more than once in the archive")
	ErrTooManyFiles = errors.New("too many entries")
	ErrFileTooLarge = errors.New("file too large")
	ErrTooLarge     = errors.New("archive unpacks to too many bytes")
	ErrRatio        = errors.New("decompression ratio too high (possible decompression bomb)")
	ErrPathTooLong  = errors.New("path too long")
	ErrTooDeep      = errors.New("path nested too deeply")
	ErrCorrupt      = errors.New("corrupt or ambiguous archive")
)

// FileError reports a refused archive. Path is the entry's name as written in
// the archive (after PAX and GNU long names are applied), or empty when the
// problem is with the stream itself rather than one entry. Err wraps one of
// the predefined errors above, possibly with detail, or an I/O error.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("unpack: %v", e.Err)
	}
	return fmt.Sprintf("unpack: %q: %v", e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// detail adds what exactly was wrong to a predefined error while keeping it
// matchable with errors.Is.
func detail(err error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))
}

// limitHint ends the message of a limit refusal: a genuine package can exceed
// a default, and the user then needs to know which knob to turn.
const limitHint = "if the package is genuine, raise the limit"
