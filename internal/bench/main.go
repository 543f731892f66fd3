// Command bench times airlock against `npm ci --ignore-scripts` on the same
// lockfile, cold (empty caches) and warm (caches filled, node_modules
// removed), and prints min/median wall time, peak RSS and airlock's speed-up.
//
//	go run ./internal/bench -airlock bin/airlock -project testdata/npm/live/medium
//
// It talks to the registry the user's npm configuration names (the real
// registry by default), so run it on a quiet machine and network; `make
// bench` does. It is not part of `make test`.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type tool struct {
	name string
	// args runs the tool in a project with the given cache directory.
	args func(cache string) []string
	env  func(cache string) []string
}

type sample struct {
	wall   time.Duration
	maxRSS int64 // KiB
}

func main() {
	airlock := flag.String("airlock", "bin/airlock", "airlock binary to time")
	project := flag.String("project", "testdata/npm/live/medium", "project directory with package.json and package-lock.json")
	runs := flag.Int("runs", 3, "timed runs per tool and scenario")
	workdir := flag.String("workdir", "", "where to put project copies and caches (default: a temp dir); put it on the disk you care about")
	skipNpm := flag.Bool("skip-npm", false, "time airlock only")
	flag.Parse()

	bin, err := filepath.Abs(*airlock)
	check(err)
	src, err := filepath.Abs(*project)
	check(err)
	root, err := os.MkdirTemp(*workdir, "airlock-bench-")
	check(err)
	defer os.RemoveAll(root)

	tools := []tool{{
		name: "airlock",
		args: func(string) []string { return []string{bin, "npm", "ci", "--quiet"} },
		env:  func(cache string) []string { return []string{"AIRLOCK_CACHE=" + cache} },
	}}
	if !*skipNpm {
		tools = append(tools, tool{
			name: "npm ci",
			args: func(cache string) []string {
				return []string{"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", "--cache", cache}
			},
			env: func(string) []string { return nil },
		})
	}

	fmt.Printf("project %s: %d lockfile entries; %d runs each; work dir %s\n", *project, countEntries(src), *runs, root)
	results := map[string]map[string][]sample{}
	for _, t := range tools {
		results[t.name] = map[string][]sample{}
		dir := filepath.Join(root, strings.ReplaceAll(t.name, " ", "-"))
		cache := filepath.Join(root, strings.ReplaceAll(t.name, " ", "-")+"-cache")
		for i := 0; i < *runs; i++ {
			check(os.RemoveAll(cache))
			fresh(src, dir)
			results[t.name]["cold"] = append(results[t.name]["cold"], timeRun(t, dir, cache))
		}
		for i := 0; i < *runs; i++ {
			fresh(src, dir) // the cache stays: it was filled by the cold runs
			results[t.name]["warm"] = append(results[t.name]["warm"], timeRun(t, dir, cache))
		}
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "tool\tscenario\tmin\tmedian\tpeak RSS\tairlock speed-up (median)")
	for _, scenario := range []string{"cold", "warm"} {
		base := median(results["airlock"][scenario])
		for _, t := range tools {
			s := results[t.name][scenario]
			ratio := "-"
			if t.name != "airlock" {
				ratio = fmt.Sprintf("%.1fx", float64(median(s))/float64(base))
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d MiB\t%s\n", t.name, scenario, round(minimum(s)), round(median(s)), maxRSS(s)/1024, ratio)
		}
	}
	w.Flush()
}

// fresh makes dir a copy of the project with no node_modules. The previous
// tree is deleted and synced before timing, so that neither tool pays for the
// other's deletions (some file systems slow down file creation right after
// mass deletion).
func fresh(src, dir string) {
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	for _, name := range []string{"package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if os.IsNotExist(err) {
			continue
		}
		check(err)
		check(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	syscall.Sync()
}

func timeRun(t tool, dir, cache string) sample {
	args := t.args(cache)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), t.env(cache)...)
	cmd.Stdout = io.Discard
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s failed: %v\n%s", t.name, err, stderr.String())
		os.Exit(1)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{wall: wall, maxRSS: ru.Maxrss}
}

func countEntries(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	check(err)
	return strings.Count(string(b), "\"node_modules/")
}

func median(s []sample) time.Duration {
	d := make([]time.Duration, len(s))
	for i, x := range s {
		d[i] = x.wall
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func minimum(s []sample) time.Duration {
	m := s[0].wall
	for _, x := range s {
		m = min(m, x.wall)
	}
	return m
}

func maxRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.maxRSS)
	}
	return m
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
