package benchrun

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

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
