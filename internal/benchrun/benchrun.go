// Package benchrun times installs for the benchmark drivers (internal/bench
// for npm, internal/pybench for pip): the wall time, CPU time and peak RSS
// of a command's whole process tree, runs interleaved across the tools, and
// the table both drivers print.
package benchrun

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// The scenarios every driver times, in this order: cold runs start from an
// empty cache (each Prepare removes it), warm runs reuse the cache the cold
// runs filled.
const (
	Cold = "cold"
	Warm = "warm"
)

// Scenarios lists Cold and Warm in the order they run.
var Scenarios = []string{Cold, Warm}

// Sample is one timed run.
type Sample struct {
	Wall   time.Duration
	CPU    time.Duration // user + system of the whole process tree
	MaxRSS int64         // KiB, the largest process of the tree
}

// Tool is one contender.
type Tool struct {
	Name string
	// Prepare readies one run of scenario (untimed: a fresh target; for
	// Cold, an empty cache) and returns the command to time.
	Prepare func(scenario string) (*exec.Cmd, error)
	// Check, if set, inspects what the run produced (untimed), so that a
	// tool that silently did less is not reported as fast.
	Check func() error
}

// Results holds the samples of each tool (by name) and scenario.
type Results map[string]map[string][]Sample

// Interleave runs every tool runs times per scenario, one run of each tool
// and then the next round, so that a noisy neighbour or a slow spell of the
// network hits every tool alike.
func Interleave(tools []Tool, runs int) (Results, error) {
	res := Results{}
	for _, t := range tools {
		res[t.Name] = map[string][]Sample{}
	}
	for _, scenario := range Scenarios {
		for range runs {
			for _, t := range tools {
				cmd, err := t.Prepare(scenario)
				if err != nil {
					return nil, fmt.Errorf("%s, %s: preparing: %w", t.Name, scenario, err)
				}
				s, err := Time(cmd)
				if err != nil {
					return nil, fmt.Errorf("%s, %s: %w", t.Name, scenario, err)
				}
				if t.Check != nil {
					if err := t.Check(); err != nil {
						return nil, fmt.Errorf("%s, %s: the run succeeded but %w", t.Name, scenario, err)
					}
				}
				res[t.Name][scenario] = append(res[t.Name][scenario], s)
			}
		}
	}
	return res, nil
}

// measureEnv makes a driver's own binary the measuring wrapper (see Main).
const measureEnv = "BENCHRUN_MEASURE"

// wrapping is set by Main: the driver's binary can be its own wrapper.
var wrapping bool

// Main must be the first call of a driver's main (and of the TestMain of a
// driver's tests). In the driver it only notes that Time may start the
// binary again as a wrapper; in that wrapper it runs the command given as
// its arguments, reports the command's wall time and rusage on file
// descriptor 3, and exits with the command's exit code.
//
// The wrapper exists because of how Linux counts peak RSS: Go starts
// children with vfork (CLONE_VM), so a child shares the parent's memory
// until it calls exec, and exec records the parent's high-water RSS as the
// child's. A driver holding a few hundred MB (generated wheels, a local
// index) would have that reported as every tool's peak RSS. The wrapper is
// a fresh, small process; the tool it starts inherits only its small
// high-water mark.
func Main() {
	if os.Getenv(measureEnv) != "1" {
		wrapping = true
		return
	}
	os.Unsetenv(measureEnv)
	report := os.NewFile(3, "report")
	if len(os.Args) < 2 || report == nil {
		fmt.Fprintln(os.Stderr, "benchrun: the measuring wrapper needs a command and file descriptor 3")
		os.Exit(2)
	}
	// The command must not hold the report open after the wrapper exits.
	syscall.CloseOnExec(3)
	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(127)
	}
	s := usage(cmd, wall)
	fmt.Fprintf(report, "%d %d %d\n", s.Wall, s.CPU, s.MaxRSS)
	report.Close()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		os.Exit(max(code, 1))
	}
	os.Exit(0)
}

// Time runs cmd and measures it: through the driver's own binary as a
// wrapper when Main was called (see there why), else directly. Its stdout
// is discarded unless set; its stderr is kept for the error when it fails.
func Time(cmd *exec.Cmd) (Sample, error) {
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	var stderr strings.Builder
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	fail := func(err error) (Sample, error) {
		return Sample{}, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	if !wrapping {
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fail(err)
		}
		return usage(cmd, time.Since(start)), nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fail(err)
	}
	defer r.Close()
	wrapped := exec.Command(exe, append([]string{cmd.Path}, cmd.Args[1:]...)...)
	wrapped.Dir, wrapped.Stdout, wrapped.Stderr = cmd.Dir, cmd.Stdout, cmd.Stderr
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	wrapped.Env = append(slices.Clone(env), measureEnv+"=1")
	wrapped.ExtraFiles = []*os.File{w}
	err = wrapped.Start()
	w.Close()
	if err != nil {
		return fail(err)
	}
	report, _ := io.ReadAll(r)
	if err := wrapped.Wait(); err != nil {
		return fail(err)
	}
	var s Sample
	if _, err := fmt.Sscanf(string(report), "%d %d %d", &s.Wall, &s.CPU, &s.MaxRSS); err != nil {
		return fail(fmt.Errorf("the measuring wrapper reported %q: %v", report, err))
	}
	return s, nil
}

// usage is the sample of a finished command.
func usage(cmd *exec.Cmd, wall time.Duration) Sample {
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	// On a shared machine the CPU time says more than the wall time about
	// the tool's own cost: it does not grow with the neighbours' load.
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return Sample{Wall: wall, CPU: cpu, MaxRSS: ru.Maxrss}
}

// Print writes the results table: one row per tool (in the order of
// names) and scenario, with min and median wall time, median CPU time,
// peak RSS and baseline's speed-up over each tool (the ratio of median
// wall times; above 1 means baseline was faster).
func (r Results) Print(w io.Writer, names []string, baseline string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "tool\tscenario\tmin\tmedian\tCPU (median)\tpeak RSS\t%s speed-up (median)\n", baseline)
	for _, scenario := range Scenarios {
		base, ok := r[baseline]
		for _, name := range names {
			s := r[name][scenario]
			if len(s) == 0 {
				continue
			}
			ratio := "-"
			if ok && name != baseline && len(base[scenario]) > 0 {
				ratio = fmt.Sprintf("%.2fx", float64(Median(s))/float64(Median(base[scenario])))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d MiB\t%s\n", name, scenario, round(Min(s)), round(Median(s)), round(MedianCPU(s)), MaxRSS(s)/1024, ratio)
		}
	}
	return tw.Flush()
}

// Median is the median wall time (the upper one of an even count).
func Median(s []Sample) time.Duration {
	return median(s, func(x Sample) time.Duration { return x.Wall })
}

// MedianCPU is the median CPU time.
func MedianCPU(s []Sample) time.Duration {
	return median(s, func(x Sample) time.Duration { return x.CPU })
}

func median(s []Sample, of func(Sample) time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = of(x)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// Min is the shortest wall time.
func Min(s []Sample) time.Duration {
	if len(s) == 0 {
		return 0
	}
	m := s[0].Wall
	for _, x := range s {
		m = min(m, x.Wall)
	}
	return m
}

// MaxRSS is the largest peak RSS, in KiB.
func MaxRSS(s []Sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.MaxRSS)
	}
	return m
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
