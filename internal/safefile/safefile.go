// Package safefile reads input files that an attacker may have shaped:
// only regular files, only up to a size limit, never blocking on a FIFO.
package safefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// ErrTooLarge is matched by the error for a file over the limit.
var ErrTooLarge = errors.New("file too large")

// Read returns the contents of the regular file at path, refusing devices,
// FIFOs, sockets and directories (a lockfile symlinked to /dev/zero must not
// exhaust memory, one that is a FIFO must not hang) and files over limit
// bytes. Symlinks to regular files are followed, as every tool reading the
// same project does.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer; it has no effect on regular files.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type())
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", path, ErrTooLarge, st.Size(), limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: %w: it grew past the %d-byte limit while being read", path, ErrTooLarge, limit)
	}
	return b, nil
}
