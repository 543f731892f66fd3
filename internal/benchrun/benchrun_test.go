package benchrun

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

// TestPeakRSSIsTheTools checks that a driver's own memory is not reported
// as the peak RSS of the tools it times (see Main).
func TestPeakRSSIsTheTools(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	big := make([]byte, 300<<20)
	for i := range big {
		if i%4096 == 0 {
			big[i] = 1 // resident, not just reserved
		}
	}
	s, err := Time(exec.Command("sh", "-c", "exit 0"))
	if err != nil {
		t.Fatal(err)
	}
	if s.MaxRSS <= 0 || s.MaxRSS > 100<<10 {
		t.Errorf("peak RSS of sh = %d KiB; want a small positive number, not the driver's 300 MiB", s.MaxRSS)
	}
	if s.Wall <= 0 || s.Wall > time.Minute {
		t.Errorf("wall time %v", s.Wall)
	}
	runtime.KeepAlive(big)
	// A failing command's exit status and stderr come through the wrapper.
	_, err = Time(exec.Command("sh", "-c", "echo broken >&2; exit 3"))
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing command: %v", err)
	}
}

func TestStats(t *testing.T) {
	s := []Sample{
		{Wall: 3 * time.Second, CPU: 1 * time.Second, MaxRSS: 10},
		{Wall: 1 * time.Second, CPU: 5 * time.Second, MaxRSS: 30},
		{Wall: 2 * time.Second, CPU: 2 * time.Second, MaxRSS: 20},
	}
	if got := Median(s); got != 2*time.Second {
		t.Errorf("Median = %v", got)
	}
	if got := MedianCPU(s); got != 2*time.Second {
		t.Errorf("MedianCPU = %v", got)
	}
	if got := Min(s); got != time.Second {
		t.Errorf("Min = %v", got)
	}
	if got := MaxRSS(s); got != 30 {
		t.Errorf("MaxRSS = %v", got)
	}
	if Median(nil) != 0 || Min(nil) != 0 {
		t.Error("empty samples should give 0")
	}
}

func TestInterleaveOrderAndTable(t *testing.T) {
	if _, err := exec.LookPath("true"); err != nil {
		t.Skip("no true(1)")
	}
	var order []string
	tool := func(name string) Tool {
		return Tool{Name: name, Prepare: func(scenario string) (*exec.Cmd, error) {
			order = append(order, name+"/"+scenario)
			return exec.Command("true"), nil
		}}
	}
	res, err := Interleave([]Tool{tool("a"), tool("b")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := "a/cold b/cold a/cold b/cold a/warm b/warm a/warm b/warm"
	if got := strings.Join(order, " "); got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if n := len(res["b"][Warm]); n != 2 {
		t.Errorf("%d warm samples of b", n)
	}
	var out strings.Builder
	if err := res.Print(&out, []string{"a", "b"}, "a"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[0], "a speed-up (median)") {
		t.Fatalf("table:\n%s", out.String())
	}
	if f := strings.Fields(lines[2]); f[0] != "b" || f[1] != "cold" || !strings.HasSuffix(f[len(f)-1], "x") {
		t.Errorf("row %q: want b's cold row with a ratio", lines[2])
	}
}

func TestInterleaveFailures(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	_, err := Interleave([]Tool{{Name: "x", Prepare: func(string) (*exec.Cmd, error) {
		return exec.Command("sh", "-c", "echo broken >&2; exit 3"), nil
	}}}, 1)
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "x, cold") {
		t.Errorf("failing tool: %v", err)
	}
	_, err = Interleave([]Tool{{Name: "y",
		Prepare: func(string) (*exec.Cmd, error) { return exec.Command("true"), nil },
		Check:   func() error { return errors.New("installed nothing") },
	}}, 1)
	if err == nil || !strings.Contains(err.Error(), "installed nothing") {
		t.Errorf("failing check: %v", err)
	}
}
