package wheel

import (
	"errors"
	"fmt"
)

// Errors callers branch on with errors.Is. Each is wrapped in a *WheelError
// naming the wheel and, where there is one, the file.
var (
	ErrDistInfo         = errors.New("the wheel's .dist-info directory is missing, repeated or names another distribution")
	ErrMetadata         = errors.New("METADATA names another distribution or version")
	ErrWheelFile        = errors.New("bad WHEEL file")
	ErrRecordSyntax     = errors.New("RECORD cannot be read unambiguously")
	ErrRecordMismatch   = errors.New("file does not match its RECORD digest or size")
	ErrRecordMissing    = errors.New("RECORD is missing or does not list a file of the archive")
	ErrRecordExtra      = errors.New("RECORD lists a file the archive does not have")
	ErrUnsafeRecordPath = errors.New("RECORD path is absolute or leaves its directory")
	ErrWeakHash         = errors.New("RECORD uses a weak or unknown digest")
	ErrDataKey          = errors.New("unknown .data directory key")
	ErrConflict         = errors.New("conflicting install path")
	ErrEntryPoint       = errors.New("invalid console_scripts or gui_scripts entry")
	ErrPth              = errors.New("wheel installs a .pth file, which Python runs at start-up")
	ErrCannotUninstall  = errors.New("the installed version cannot be uninstalled safely")
)

// WheelError says which wheel (and which file in it, or in the installed
// distribution being replaced) was refused.
type WheelError struct {
	Wheel string // file name of the wheel, or the installed .dist-info
	Path  string // path inside the wheel or the RECORD, "" if none
	Err   error
}

func (e *WheelError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("wheel %s: %v", e.Wheel, e.Err)
	}
	return fmt.Sprintf("wheel %s: %q: %v", e.Wheel, e.Path, e.Err)
}

func (e *WheelError) Unwrap() error { return e.Err }
