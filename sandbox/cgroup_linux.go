package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pidsCgroup puts the sandbox in its own pids cgroup with pids.max = limit,
// a hard bound on its processes that also holds for root (whom RLIMIT_NPROC
// exempts). It uses the cgroup v1 pids hierarchy, or cgroup v2 when airlock's
// own cgroup can delegate the pids controller; ok is false when neither is
// writable, and the caller falls back to watching the process count.
//
// refused reports how many forks the cgroup has refused so far (pids.events
// "max"): the sign of a fork bomb.
func pidsCgroup(limit int) (join func(pid int) error, refused func() int, remove func(), ok bool) {
	for _, dir := range pidsCgroupParents() {
		cg, err := os.MkdirTemp(dir, "airlock-sandbox-")
		if err != nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(cg, "pids.max"), []byte(strconv.Itoa(limit)), 0); err != nil {
			os.Remove(cg)
			continue
		}
		join = func(pid int) error {
			if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
				return fmt.Errorf("sandbox: joining the pids cgroup: %w", err)
			}
			return nil
		}
		remove = func() {
			// The namespace's processes are gone once its first process
			// was reaped, but the kernel may take a moment to free them.
			for i := 0; i < 50; i++ {
				if os.Remove(cg) == nil || os.IsNotExist(os.Remove(cg)) {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		refused = func() int {
			b, err := os.ReadFile(filepath.Join(cg, "pids.events"))
			if err != nil {
				return 0
			}
			f := strings.Fields(string(b))
			if len(f) == 2 && f[0] == "max" {
				n, _ := strconv.Atoi(f[1])
				return n
			}
			return 0
		}
		return join, refused, remove, true
	}
	return nil, nil, nil, false
}

// pidsCgroupParents lists where a pids cgroup could be made: the v1 pids
// hierarchy at airlock's own place in it, then airlock's v2 cgroup if the
// pids controller is enabled for its children.
func pidsCgroupParents() []string {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] != "0" && hasField(parts[1], "pids"):
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup/pids", parts[2]))
		case parts[0] == "0" && parts[1] == "":
			for _, mnt := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
				dir := filepath.Join(mnt, parts[2])
				if ctl, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control")); err == nil && hasField(strings.ReplaceAll(string(ctl), " ", ","), "pids") {
					dirs = append(dirs, dir)
				}
			}
		}
	}
	return dirs
}

func hasField(list, name string) bool {
	for _, f := range strings.Split(strings.TrimSpace(list), ",") {
		if f == name {
			return true
		}
	}
	return false
}
