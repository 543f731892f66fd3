//go:build unix

package unpack

import (
	"bytes"
	"os"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// ProcessUmask returns the process's file mode creation mask: the mask npm
// ends up applying, since its own "umask" setting defaults to 0 and it
// leaves the rest to the kernel. NpmOptions.Umask defaults to it.
func ProcessUmask() os.FileMode {
	// Linux 4.7+ reports the umask in /proc without changing it.
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		if _, after, ok := bytes.Cut(status, []byte("\nUmask:\t")); ok {
			if line, _, ok := bytes.Cut(after, []byte("\n")); ok {
				if m, err := strconv.ParseUint(string(line), 8, 32); err == nil {
					return os.FileMode(m) & os.ModePerm
				}
			}
		}
	}
	// Elsewhere the only way to read it is to set it and put it back, which
	// races with files created meanwhile; serialise our own readers at least.
	umaskMu.Lock()
	defer umaskMu.Unlock()
	m := unix.Umask(0o022)
	unix.Umask(m)
	return os.FileMode(m) & os.ModePerm
}

var umaskMu sync.Mutex
