package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SystemReadPaths are readable (and executable) in every sandbox: the
// toolchain, shared libraries and system configuration. Missing ones are
// skipped.
var SystemReadPaths = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"}

// hiddenFiles may hold registry credentials yet live in readable system
// directories; the sandbox sees them empty.
var hiddenFiles = []string{"/etc/npmrc", "/usr/etc/npmrc", "/usr/local/etc/npmrc", "/etc/pip.conf", "/etc/netrc"}

// Run executes spec in the sandbox and waits for it. The error is non-nil
// only when the command could not be run in the sandbox (ErrUnavailable, a
// bad Spec, a failure to start); how the command ended is in Result.
func Run(ctx context.Context, spec Spec) (Result, error) {
	caps := Probe()
	if err := caps.Err(); err != nil {
		return Result{}, err
	}
	if err := spec.validate(); err != nil {
		return Result{}, err
	}
	hostID, hostGID := os.Getuid(), os.Getgid()

	tmp, err := os.MkdirTemp("", "airlock-sandbox-*")
	if err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	defer os.RemoveAll(tmp)
	home := filepath.Join(tmp, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return Result{}, fmt.Errorf("sandbox: %w", err)
	}
	writable := append([]string{tmp}, spec.Write...)

	cs := childSpec{
		Argv:    spec.Argv,
		Dir:     spec.Dir,
		Env:     buildEnv(spec.Env, home, tmp),
		Rules:   rulesFor(spec, writable),
		Hide:    hiddenFiles,
		Network: spec.Network,
		Limits:  spec.Limits.orDefault(),
		ABI:     caps.LandlockABI,
	}
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out := spec.Output
	if out == nil {
		out = io.Discard
	}
	start := time.Now()
	var joinCgroup func(int) error
	var forksRefused func() int
	if join, refused, remove, ok := pidsCgroup(cs.Limits.Processes); ok {
		joinCgroup, forksRefused = join, refused
		defer remove()
	}
	cmd, err := startChild(ctx, "run", cs, hostID, hostGID, out, joinCgroup)
	if err != nil {
		return Result{}, err
	}
	tooMany := make(chan int, 1)
	stopWatch := watchProcesses(cmd.Process.Pid, cs.Limits.Processes, forksRefused, tooMany)
	werr := cmd.Wait()
	stopWatch()
	res := Result{Duration: time.Since(start), TimedOut: errors.Is(ctx.Err(), context.DeadlineExceeded)}
	select {
	case n := <-tooMany:
		res.TooManyProcesses = n
	default:
	}
	var exit *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &exit):
		res.ExitCode = exit.ExitCode()
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode = -1
			res.Signal = ws.Signal().String()
		}
	default:
		return res, fmt.Errorf("sandbox: waiting for %s: %w", spec.Argv[0], werr)
	}
	if ctx.Err() != nil && !res.TimedOut {
		return res, ctx.Err()
	}
	return res, nil
}

// startChild re-executes airlock as the first process of the new namespaces
// and hands it cs.
// join, if not nil, is called with the child's pid before the child is
// given its spec, that is before it runs anything of the command's.
func startChild(ctx context.Context, mode string, cs childSpec, hostID, hostGID int, out io.Writer, join func(pid int) error) (*exec.Cmd, error) {
	specR, specW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	defer specR.Close()
	flags := uintptr(unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS)
	if !cs.Network {
		flags |= unix.CLONE_NEWNET
	}
	cmd := exec.CommandContext(ctx, "/proc/self/exe")
	cmd.Args = []string{"airlock-sandbox"}
	cmd.Env = []string{childEnv + "=" + mode}
	cmd.ExtraFiles = []*os.File{specR}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  flags,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostID, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: hostGID, Size: 1}},
		// setgroups is denied so that an unprivileged user may write
		// the gid map; the sandbox needs no supplementary groups.
		GidMappingsEnableSetgroups: false,
		// Become the namespace's uid 0, i.e. hostID: a process keeps
		// its host uid across CLONE_NEWUSER, and root's would be
		// unmapped (nobody, without capabilities) inside.
		Credential: &syscall.Credential{Uid: 0, Gid: 0, NoSetGroups: true},
		Pdeathsig:  syscall.SIGKILL,
	}
	// Killing the first process of a PID namespace kills every process in
	// it: nothing the command started outlives it.
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		specW.Close()
		return nil, fmt.Errorf("%w: starting the sandbox: %v", ErrUnavailable, err)
	}
	if join != nil {
		if err := join(cmd.Process.Pid); err != nil {
			specW.Close()
			cmd.Process.Kill()
			cmd.Wait()
			return nil, err
		}
	}
	err = json.NewEncoder(specW).Encode(cs)
	specW.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return cmd, nil
}

func rulesFor(spec Spec, writable []string) []rule {
	var rules []rule
	for _, p := range SystemReadPaths {
		rules = append(rules, rule{path: p, access: readExec, optional: true})
	}
	rules = append(rules,
		rule{path: "/proc", access: readOnly},
		rule{path: "/sys/devices/system/cpu", access: readOnly, optional: true},
	)
	for _, dev := range []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"} {
		rules = append(rules, rule{path: dev, access: device, optional: true})
	}
	for _, p := range spec.Read {
		rules = append(rules, rule{path: p, access: readExec})
	}
	for _, p := range writable {
		rules = append(rules, rule{path: p, access: ^uint64(0)})
	}
	return rules
}

func (s Spec) validate() error {
	if len(s.Argv) == 0 || !filepath.IsAbs(s.Argv[0]) {
		return fmt.Errorf("sandbox: the command must be an absolute path, got %q", s.Argv)
	}
	if !filepath.IsAbs(s.Dir) {
		return fmt.Errorf("sandbox: the working directory must be absolute, got %q", s.Dir)
	}
	for _, p := range append(append([]string{}, s.Read...), s.Write...) {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("sandbox: %q must be an absolute path", p)
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
	}
	for _, kv := range s.Env {
		name, _, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return fmt.Errorf("sandbox: environment entry %q is not NAME=value", kv)
		}
		if IsSecretName(name) {
			return fmt.Errorf("sandbox: refusing to pass %s into the sandbox: it looks like a credential", name)
		}
	}
	return nil
}

func buildEnv(extra []string, home, tmp string) []string {
	var env []string
	for _, name := range passthroughEnv {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	env = append(env, extra...)
	return append(env, "HOME="+home, "TMPDIR="+tmp, "TMP="+tmp, "TEMP="+tmp)
}

// watchInterval is how often the process count is checked.
const watchInterval = 20 * time.Millisecond

// watchProcesses kills the sandbox once it tries to hold more than limit
// processes: when its pids cgroup refuses a fork (refused > 0), or, without
// a cgroup, when its PID namespace holds limit processes. RLIMIT_NPROC
// already bounds an unprivileged user; root is exempt from it, so for root
// this watch (with the cgroup) is what stops a fork bomb. It sends the count
// it saw on tooMany before killing. Counting is one directory read: the
// namespace's own /proc, which the sandbox mounted, seen through its first
// process's root.
func watchProcesses(initPID, limit int, refused func() int, tooMany chan<- int) (stop func()) {
	procDir := fmt.Sprintf("/proc/%d/root/proc", initPID)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(watchInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			n := countPIDs(procDir)
			if n >= limit || (refused != nil && refused() > 0) {
				tooMany <- max(n, limit)
				syscall.Kill(initPID, syscall.SIGKILL)
				return
			}
		}
	}()
	return func() { close(done) }
}

// countPIDs counts the process directories in a procfs.
func countPIDs(procDir string) int {
	d, err := os.Open(procDir)
	if err != nil {
		return 0
	}
	defer d.Close()
	n := 0
	for {
		names, err := d.Readdirnames(1024)
		for _, name := range names {
			if name[0] >= '1' && name[0] <= '9' {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}
