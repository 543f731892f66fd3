package npm

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// umaskMu serialises the fallback's set-and-restore of the umask.
var umaskMu sync.Mutex

// currentUmask is the process umask, as process.umask() reports it to
// bin-links. Linux (4.7+) shows it in /proc/self/status, which reads it
// without changing it; otherwise it is set and restored, which briefly
// affects files other goroutines create.
func currentUmask() int {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 32); err == nil {
					return int(n)
				}
			}
		}
	}
	umaskMu.Lock()
	defer umaskMu.Unlock()
	m := syscall.Umask(0o022)
	syscall.Umask(m)
	return m
}
