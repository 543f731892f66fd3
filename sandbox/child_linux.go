package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// childEnv marks the re-executed airlock as the sandbox's first process; its
// value says what to do ("run" or "probe").
const childEnv = "AIRLOCK_SANDBOX_CHILD"

// childSpec is what the supervisor sends the child on file descriptor 3.
type childSpec struct {
	Argv    []string
	Dir     string
	Env     []string
	Rules   []rule
	Hide    []string
	Network bool
	Limits  Limits
	ABI     int
}

func (r rule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Path     string
		Access   uint64
		Optional bool
	}{r.path, r.access, r.optional})
}

func (r *rule) UnmarshalJSON(b []byte) error {
	var v struct {
		Path     string
		Access   uint64
		Optional bool
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = rule{v.Path, v.Access, v.Optional}
	return nil
}

// ChildMain must be called first thing in main (and in TestMain of packages
// whose tests run the sandbox). In the sandbox's first process it sets up the
// restrictions and executes the command, never returning; everywhere else it
// returns at once.
func ChildMain() {
	mode := os.Getenv(childEnv)
	if mode == "" {
		return
	}
	// Every restriction below is per thread until execve: keep them all on
	// the thread that executes the command.
	runtime.LockOSThread()
	err := child(mode == "probe")
	fmt.Fprintf(os.Stderr, "airlock sandbox: %v\n", err)
	os.Exit(125)
}

func child(probe bool) error {
	f := os.NewFile(3, "spec")
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	f.Close()
	if err != nil {
		return err
	}
	var s childSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("reading the spec: %w", err)
	}
	// Mounts made here stay in this mount namespace; /proc shows only the
	// sandbox's own PID namespace.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc: %w", err)
	}
	for _, p := range s.Hide {
		// Files that may hold credentials but sit in directories the
		// command must read (npm's global npmrc under /usr/etc).
		if err := unix.Mount("/dev/null", p, "", unix.MS_BIND, ""); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("hiding %s: %w", p, err)
		}
	}
	if err := setLimits(s.Limits); err != nil {
		return err
	}
	if err := dropPrivileges(); err != nil {
		return err
	}
	if err := restrictSelf(s.ABI, s.Rules, s.Network); err != nil {
		return err
	}
	if probe {
		os.Exit(0)
	}
	if err := unix.Chdir(s.Dir); err != nil {
		return fmt.Errorf("entering %s: %w", s.Dir, err)
	}
	return fmt.Errorf("executing %s: %w", s.Argv[0], unix.Exec(s.Argv[0], s.Argv, s.Env))
}

func setLimits(l Limits) error {
	set := func(res int, v uint64, name string) error {
		if err := unix.Setrlimit(res, &unix.Rlimit{Cur: v, Max: v}); err != nil {
			return fmt.Errorf("setting %s: %w", name, err)
		}
		return nil
	}
	for _, r := range []struct {
		res  int
		v    uint64
		name string
	}{
		{unix.RLIMIT_CPU, uint64(l.CPU.Seconds()), "RLIMIT_CPU"},
		{unix.RLIMIT_AS, uint64(l.Memory), "RLIMIT_AS"},
		{unix.RLIMIT_NPROC, uint64(l.Processes), "RLIMIT_NPROC"},
		{unix.RLIMIT_FSIZE, uint64(l.FileSize), "RLIMIT_FSIZE"},
		{unix.RLIMIT_NOFILE, uint64(l.OpenFiles), "RLIMIT_NOFILE"},
		{unix.RLIMIT_CORE, 0, "RLIMIT_CORE"},
	} {
		if err := set(r.res, r.v, r.name); err != nil {
			return err
		}
	}
	return nil
}

// dropPrivileges leaves the thread with no capabilities, now or after
// execve, and with no_new_privs (which Landlock requires).
func dropPrivileges() error {
	const secbits = 1<<0 | 1<<1 | // SECBIT_NOROOT(_LOCKED): uid 0 gains nothing at exec
		1<<2 | 1<<3 | // SECBIT_NO_SETUID_FIXUP(_LOCKED)
		1<<5 | // SECBIT_KEEP_CAPS_LOCKED
		1<<6 | 1<<7 // SECBIT_NO_CAP_AMBIENT_RAISE(_LOCKED)
	if err := unix.Prctl(unix.PR_SET_SECUREBITS, secbits, 0, 0, 0); err != nil {
		return fmt.Errorf("setting securebits: %w", err)
	}
	last := 40
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			last = n
		}
	}
	for c := 0; c <= last; c++ {
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			return fmt.Errorf("dropping capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("clearing capabilities: %w", err)
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("setting no_new_privs: %w", err)
	}
	return nil
}
