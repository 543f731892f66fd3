package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Capabilities is what this machine offers the sandbox.
type Capabilities struct {
	// LandlockABI is the kernel's Landlock ABI version (0: none).
	LandlockABI int
	// Namespaces is true when airlock could create user, mount, PID and
	// network namespaces, mount /proc in them, drop every privilege and
	// apply Landlock: a full dry run of the sandbox's set-up.
	Namespaces bool
	// ProcessBound names what bounds the number of processes: "pids
	// cgroup", "RLIMIT_NPROC", or "" when only the process-count watch does
	// (root without a writable pids cgroup), which stops a fork bomb but
	// only after it has grown for a moment.
	ProcessBound string
	// Problems say what is missing, in words for the user.
	Problems []string
}

// Err is nil when scripts can be sandboxed, else an ErrUnavailable error
// listing what the kernel lacks.
func (c Capabilities) Err() error {
	if len(c.Problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s; airlock does not run scripts without it", ErrUnavailable, strings.Join(c.Problems, "; "))
}

var probeOnce = sync.OnceValue(probe)

// Probe checks, once per process, what the sandbox can use here.
func Probe() Capabilities { return probeOnce() }

func probe() Capabilities {
	var c Capabilities
	abi, err := landlockABI()
	if err != nil {
		c.Problems = append(c.Problems, err.Error())
		return c
	}
	c.LandlockABI = abi
	hostID, hostGID := os.Getuid(), os.Getgid()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out bytes.Buffer
	cs := childSpec{Rules: rulesFor(Spec{}, nil), Limits: DefaultLimits, ABI: abi}
	cmd, err := startChild(ctx, "probe", cs, hostID, hostGID, &out, nil)
	if err == nil {
		err = cmd.Wait()
	}
	if err != nil {
		msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out.String()), "airlock sandbox: "))
		if msg == "" {
			msg = err.Error()
		}
		c.Problems = append(c.Problems, "cannot create user, mount, PID and network namespaces ("+msg+"); check kernel.unprivileged_userns_clone, user.max_user_namespaces and any container seccomp profile")
		return c
	}
	c.Namespaces = true
	switch {
	case os.Getuid() != 0:
		c.ProcessBound = "RLIMIT_NPROC"
	default:
		if _, _, remove, ok := pidsCgroup(DefaultLimits.Processes); ok {
			remove()
			c.ProcessBound = "pids cgroup"
		}
	}
	return c
}
