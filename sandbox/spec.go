package sandbox

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// Spec describes one sandboxed command.
type Spec struct {
	// Argv is the command; Argv[0] must be an absolute path.
	Argv []string
	// Dir is the working directory; it must be beneath Read or Write.
	Dir string
	// Env holds extra NAME=value settings for the command. Names that look
	// like credentials (see IsSecretName) are refused, not dropped
	// silently.
	Env []string
	// Read lists files and directories the command may read and execute
	// (beneath). System directories are always added (SystemReadPaths).
	Read []string
	// Write lists directories the command may also create, change and
	// delete files beneath.
	Write []string
	// Network leaves the command in the host's network namespace.
	Network bool
	// Timeout bounds the wall-clock time; zero means DefaultTimeout.
	Timeout time.Duration
	// Limits bound the command's resources; zero fields take
	// DefaultLimits' values.
	Limits Limits
	// Output receives the command's stdout and stderr, interleaved.
	Output io.Writer
}

// Limits are the rlimits set on the command (and inherited by its
// children).
type Limits struct {
	CPU       time.Duration // RLIMIT_CPU, per process
	Memory    int64         // RLIMIT_AS in bytes, per process
	Processes int           // RLIMIT_NPROC, for the sandbox as a whole
	FileSize  int64         // RLIMIT_FSIZE in bytes
	OpenFiles int           // RLIMIT_NOFILE
}

// DefaultLimits fit a native module build (node-gyp compiling a few hundred
// C++ files runs a compiler of a few hundred MB per process).
var DefaultLimits = Limits{
	CPU:       10 * time.Minute,
	Memory:    4 << 30,
	Processes: 256,
	FileSize:  1 << 30,
	OpenFiles: 4096,
}

// DefaultTimeout bounds one script run.
const DefaultTimeout = 10 * time.Minute

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.CPU > 0 {
		d.CPU = l.CPU
	}
	if l.Memory > 0 {
		d.Memory = l.Memory
	}
	if l.Processes > 0 {
		d.Processes = l.Processes
	}
	if l.FileSize > 0 {
		d.FileSize = l.FileSize
	}
	if l.OpenFiles > 0 {
		d.OpenFiles = l.OpenFiles
	}
	return d
}

// Result says how the command ended.
type Result struct {
	ExitCode int    // -1 when killed by a signal
	Signal   string // the signal that killed it, if any
	TimedOut bool
	// TooManyProcesses is the process count that made the sandbox kill the
	// command (a fork bomb), or 0.
	TooManyProcesses int
	Duration         time.Duration
}

// OK is true when the command exited 0.
func (r Result) OK() bool { return r.ExitCode == 0 && !r.TimedOut && r.TooManyProcesses == 0 }

func (r Result) String() string {
	switch {
	case r.TooManyProcesses > 0:
		return fmt.Sprintf("killed for starting too many processes (%d)", r.TooManyProcesses)
	case r.TimedOut:
		return fmt.Sprintf("killed after the %v timeout", r.Duration.Round(time.Second))
	case r.Signal != "":
		return "killed by " + r.Signal
	}
	return fmt.Sprintf("exit code %d", r.ExitCode)
}

// ErrUnavailable is matched by Run's error when this machine cannot sandbox.
var ErrUnavailable = errors.New("sandbox unavailable")

// secretName matches environment names that carry credentials.
var secretName = regexp.MustCompile(`(?i)(TOKEN|SECRET|PASSWORD|PASSWD|_KEY|KEY_ID|CREDENTIALS?|_AUTH|AUTH_|SESSION|COOKIE|PRIVATE)`)

// IsSecretName reports whether an environment variable name looks like it
// holds a credential: *_TOKEN, *_SECRET, *_KEY, npm_config_//host/:_authToken,
// AWS_*, ... Such names never enter a sandbox.
func IsSecretName(name string) bool {
	n := strings.ToUpper(name)
	if strings.Contains(n, "//") || strings.HasPrefix(n, "AWS_") || strings.HasPrefix(n, "GOOGLE_") || strings.HasPrefix(n, "AZURE_") || strings.HasPrefix(n, "SSH_") || strings.HasPrefix(n, "GH_") || strings.HasPrefix(n, "GITHUB_") || strings.HasPrefix(n, "NPM_CONFIG__") {
		return true
	}
	return secretName.MatchString(n)
}

// passthroughEnv are host variables a build may need and that carry no
// secrets; everything else is left behind.
var passthroughEnv = []string{"PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "SOURCE_DATE_EPOCH", "CC", "CXX", "MAKEFLAGS", "JOBS"}
