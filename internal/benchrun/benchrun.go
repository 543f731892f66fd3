// Package benchrun times installs for the benchmark drivers (internal/bench
// for npm, internal/pybench for pip): the wall time, CPU time and peak RSS
// of a command's whole process tree, runs interleaved across the tools, and
// the table both drivers print.
package benchrun

import (
	"fmt"
	"io"
	"os/exec"
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

// Time runs cmd and measures it. Its stdout is discarded unless set; its
// stderr is kept for the error when it fails.
func Time(cmd *exec.Cmd) (Sample, error) {
	if cmd.Stdout == nil {
		cmd.Stdout = io.Discard
	}
	var stderr strings.Builder
	if cmd.Stderr == nil {
		cmd.Stderr = &stderr
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	// On a shared machine the CPU time says more than the wall time about
	// the tool's own cost: it does not grow with the neighbours' load.
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return Sample{Wall: wall, CPU: cpu, MaxRSS: ru.Maxrss}, nil
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
