package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testAction makes the test binary, run as the sandboxed command, do one
// hostile thing and report how it went through its exit code: 0 = the
// action succeeded (the sandbox failed), 3 = it was refused.
const testAction = "AIRLOCK_SANDBOX_TEST_ACTION"

func TestMain(m *testing.M) {
	ChildMain()
	if action := os.Getenv(testAction); action != "" {
		os.Exit(hostile(action))
	}
	os.Exit(m.Run())
}

func hostile(action string) int {
	verb, arg, _ := strings.Cut(action, ":")
	var err error
	switch verb {
	case "read":
		_, err = os.ReadFile(arg)
	case "write":
		err = os.WriteFile(arg, []byte("pwned"), 0o644)
	case "connect":
		var c net.Conn
		c, err = net.DialTimeout("tcp", arg, 2*time.Second)
		if err == nil {
			c.Close()
		}
	case "alloc":
		var b []byte
		func() {
			defer func() {
				if recover() != nil {
					err = errors.New("allocation failed")
				}
			}()
			b = make([]byte, 2<<30)
			for i := 0; i < len(b); i += 4096 {
				b[i] = 1
			}
		}()
	case "env":
		for _, kv := range os.Environ() {
			fmt.Println(kv)
		}
		return 0
	case "kill":
		err = syscall.Kill(1, syscall.SIGKILL) // pid 1 outside would be init; inside it is our own parent
	default:
		fmt.Fprintln(os.Stderr, "unknown action", action)
		return 2
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "refused:", err)
		return 3
	}
	return 0
}

func requireSandbox(t *testing.T) Capabilities {
	t.Helper()
	c := Probe()
	if err := c.Err(); err != nil {
		t.Skipf("no sandbox on this machine: %v", err)
	}
	return c
}

// run executes the test binary in the sandbox with one hostile action.
func runAction(t *testing.T, action string, spec Spec) (Result, string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	spec.Argv = []string{self}
	spec.Env = append(spec.Env, testAction+"="+action)
	spec.Read = append(spec.Read, filepath.Dir(self))
	if spec.Dir == "" {
		spec.Dir = filepath.Dir(self)
	}
	if spec.Timeout == 0 {
		spec.Timeout = 20 * time.Second
	}
	var out bytes.Buffer
	spec.Output = &out
	res, err := Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return res, out.String()
}

func TestProbe(t *testing.T) {
	c := requireSandbox(t)
	if c.LandlockABI < 1 || !c.Namespaces {
		t.Fatalf("capabilities = %+v", c)
	}
	t.Logf("Landlock ABI %d", c.LandlockABI)
}

func TestScriptRunsAndWritesItsOwnDir(t *testing.T) {
	requireSandbox(t)
	pkg := t.TempDir()
	os.WriteFile(filepath.Join(pkg, "binding.gyp"), []byte("{}"), 0o644)
	var out bytes.Buffer
	res, err := Run(context.Background(), Spec{
		Argv:   []string{"/bin/sh", "-c", "mkdir build && echo built > build/out.node && cat binding.gyp && echo $HOME && id -u"},
		Dir:    pkg,
		Write:  []string{pkg},
		Output: &out,
	})
	if err != nil || !res.OK() {
		t.Fatalf("Run: %v, %v\n%s", res, err, out.String())
	}
	b, err := os.ReadFile(filepath.Join(pkg, "build", "out.node"))
	if err != nil || string(b) != "built\n" {
		t.Fatalf("build output: %q, %v", b, err)
	}
	// Whatever the script made belongs to the user who ran airlock.
	var st syscall.Stat_t
	syscall.Stat(filepath.Join(pkg, "build", "out.node"), &st)
	if int(st.Uid) != os.Getuid() {
		t.Errorf("build output owned by %d, want %d", st.Uid, os.Getuid())
	}
	if strings.Contains(out.String(), os.Getenv("HOME")+"\n") && os.Getenv("HOME") != "" {
		t.Errorf("HOME leaked into the sandbox:\n%s", out.String())
	}
}

func TestEscapesAreBlocked(t *testing.T) {
	requireSandbox(t)
	secretDir := t.TempDir() // stands for $HOME: ~/.npmrc, ~/.ssh, ~/.aws
	secret := filepath.Join(secretDir, ".npmrc")
	os.WriteFile(secret, []byte("//registry.npmjs.org/:_authToken=npm_secret"), 0o644)
	os.Chmod(secretDir, 0o755)
	readable := t.TempDir() // stands for the rest of node_modules
	os.Chmod(readable, 0o755)
	pkg := t.TempDir()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()

	cases := []struct {
		name, action string
	}{
		{"read ~/.npmrc", "read:" + secret},
		{"write outside its dir", "write:" + filepath.Join(readable, "evil.js")},
		{"write to /tmp", "write:/tmp/airlock-sandbox-escape-test"},
		{"open a socket", "connect:" + ln.Addr().String()},
		{"allocate too much memory", "alloc:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, out := runAction(t, c.action, Spec{Read: []string{readable}, Write: []string{pkg}, Limits: Limits{Memory: 512 << 20}})
			if res.OK() {
				t.Fatalf("%s was allowed:\n%s", c.action, out)
			}
			if _, err := os.Stat(filepath.Join(readable, "evil.js")); err == nil {
				t.Fatal("wrote outside its directory")
			}
		})
	}
	if _, err := os.Stat("/tmp/airlock-sandbox-escape-test"); err == nil {
		os.Remove("/tmp/airlock-sandbox-escape-test")
		t.Fatal("wrote to /tmp")
	}
	// The same actions are allowed where the spec allows them, so the
	// refusals above are the sandbox's doing.
	if res, out := runAction(t, "write:"+filepath.Join(pkg, "ok.js"), Spec{Write: []string{pkg}}); !res.OK() {
		t.Fatalf("writing its own dir failed: %v\n%s", res, out)
	}
	if res, out := runAction(t, "read:"+filepath.Join(readable), Spec{Read: []string{readable}}); res.ExitCode == 0 {
		_ = out // reading a directory as a file fails either way; reading a file:
	}
	os.WriteFile(filepath.Join(readable, "dep.js"), []byte("x"), 0o644)
	if res, out := runAction(t, "read:"+filepath.Join(readable, "dep.js"), Spec{Read: []string{readable}}); !res.OK() {
		t.Fatalf("reading the tree failed: %v\n%s", res, out)
	}
	if res, out := runAction(t, "connect:"+ln.Addr().String(), Spec{Network: true}); !res.OK() {
		t.Fatalf("connecting with network = true failed: %v\n%s", res, out)
	}
}

func TestEnvironmentScrubbed(t *testing.T) {
	requireSandbox(t)
	t.Setenv("NPM_TOKEN", "npm_secret")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws_secret")
	t.Setenv("npm_config_//registry.npmjs.org/:_authToken", "npm_secret2")
	t.Setenv("LANG", "C.UTF-8")
	res, out := runAction(t, "env:", Spec{Env: []string{"npm_config_foreground_scripts=true"}})
	if !res.OK() {
		t.Fatalf("%v\n%s", res, out)
	}
	for _, secret := range []string{"npm_secret", "aws_secret", "npm_secret2"} {
		if strings.Contains(out, secret) {
			t.Errorf("environment carries %s:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "LANG=C.UTF-8") || !strings.Contains(out, "npm_config_foreground_scripts=true") {
		t.Errorf("expected variables missing:\n%s", out)
	}
	for _, bad := range []string{"GITHUB_TOKEN=x", "MY_API_KEY=x", "npm_config_//host/:_authToken=x", "AWS_REGION=x"} {
		if _, err := Run(context.Background(), Spec{Argv: []string{"/bin/true"}, Dir: "/", Env: []string{bad}}); err == nil {
			t.Errorf("Spec.Env %s accepted", bad)
		}
	}
}

func TestForkBombIsContained(t *testing.T) {
	if requireSandbox(t).ProcessBound == "" {
		t.Skip("root without a writable pids cgroup: only the process-count watch would stop a fork bomb, too late for a shared test machine")
	}
	start := time.Now()
	var out bytes.Buffer
	res, err := Run(context.Background(), Spec{
		Argv:    []string{"/bin/sh", "-c", "b(){ b | b & }; b; sleep 60"},
		Dir:     "/",
		Timeout: 3 * time.Second,
		Limits:  Limits{Processes: 64},
		Output:  &out,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() {
		t.Fatalf("fork bomb finished fine: %v", res)
	}
	// 10x the 3 s timeout, so that load cannot fail it; a bomb the timeout
	// missed would run the 60 s sleep.
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %v to stop: %v", d, res)
	}
	t.Logf("fork bomb: %v", res)
}

func TestTimeoutKillsEverything(t *testing.T) {
	requireSandbox(t)
	// A duration no other process on the machine uses, so that pgrep below
	// sees only this test's sleeps (a bare "sleep 30" matched other
	// tests' and other users' processes).
	sleep := fmt.Sprintf("sleep 30.%d", os.Getpid())
	start := time.Now()
	res, err := Run(context.Background(), Spec{
		Argv:    []string{"/bin/sh", "-c", fmt.Sprintf("(%s &) ; setsid %s & %s", sleep, sleep, sleep)},
		Dir:     "/",
		Timeout: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.OK() {
		t.Fatalf("result = %+v, want a timeout", res)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("took %v", d)
	}
	// Killed processes may take a moment to be reaped; a leaked one would
	// sleep for 30 s, so waiting up to 5 s tells the two apart.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _ := exec.Command("pgrep", "-f", sleep).Output()
		if len(out) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox processes still running: %s", out)
		}
	}
}

func TestCannotSignalOutside(t *testing.T) {
	c := requireSandbox(t)
	victim := exec.Command("/bin/sleep", "30")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	defer victim.Process.Kill()
	res, out := runAction(t, fmt.Sprintf("kill:%d", victim.Process.Pid), Spec{})
	_ = res
	_ = out
	// Inside a PID namespace the host's processes have no pid at all; the
	// victim must survive whatever the command tried.
	if err := victim.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("victim died (Landlock ABI %d): %v", c.LandlockABI, err)
	}
}
