// Command bench times airlock against `npm ci --ignore-scripts`, pnpm and
// bun on the same lockfiles, cold (empty caches) and warm (caches filled,
// node_modules removed), and prints min/median wall time, median CPU time
// (user+system), peak RSS and airlock's speed-up over each.
//
//	go run ./internal/bench -airlock bin/airlock -project testdata/npm/live/small,testdata/npm/live/medium
//
// pnpm and bun are taken from PATH, or else installed once into a temporary
// npm prefix from the registry (`npm install --prefix DIR pnpm bun`; bun's
// package brings its binary through a platform optional dependency). They
// need their own lockfiles: before timing, `pnpm import` and `bun install
// --lockfile-only` translate package-lock.json once, untimed, so all four
// tools install the same versions; the timed runs are frozen installs.
//
// After each project it prints the floor of a verified install of it
// (internal/floor), measured on the cache airlock's runs filled: the
// hashing, inflating, linking and file creation no verified install can
// skip, timed alone.
//
// It talks to the registry the user's npm configuration names (the real
// registry by default), so run it on a quiet machine and network; `make
// bench` does. It is not part of `make test`.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/airlock-dev/airlock/internal/benchrun"
	"github.com/airlock-dev/airlock/internal/floor"
)

type tool struct {
	name string
	// args runs the tool in a project with the given cache directory.
	args func(cache string) []string
	env  func(cache string) []string
	// lockfile, if set, translates package-lock.json into the tool's own
	// lockfile in dir (untimed) and names the file to copy into every run.
	lockfile func(dir, cache string) (string, error)
}

func main() {
	benchrun.Main()
	airlock := flag.String("airlock", "bin/airlock", "airlock binary to time")
	projects := flag.String("project", "testdata/npm/live/small,testdata/npm/live/medium,testdata/npm/live/large", "comma-separated project directories with package.json and package-lock.json")
	runs := flag.Int("runs", 3, "timed runs per tool and scenario")
	workdir := flag.String("workdir", "", "where to put project copies and caches (default: a temp dir); put it on the disk you care about")
	only := flag.String("tools", "airlock,npm,pnpm,bun", "comma-separated tools to time (airlock, npm, pnpm, bun)")
	toolDir := flag.String("tooldir", "", "npm prefix to install missing pnpm and bun into, and to reuse (default: a temp dir, removed afterwards)")
	flag.Parse()

	bin, err := filepath.Abs(*airlock)
	check(err)
	root, err := os.MkdirTemp(*workdir, "airlock-bench-")
	check(err)
	defer os.RemoveAll(root)
	want := strings.Split(*only, ",")

	var tools []tool
	if slices.Contains(want, "airlock") {
		tools = append(tools, tool{
			name: "airlock",
			args: func(string) []string { return []string{bin, "npm", "ci", "--quiet"} },
			env:  func(cache string) []string { return []string{"AIRLOCK_CACHE=" + cache} },
		})
	}
	if slices.Contains(want, "npm") {
		tools = append(tools, tool{
			name: "npm ci",
			args: func(cache string) []string {
				return []string{"npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error", "--cache", cache}
			},
			env: func(string) []string { return nil },
		})
	}
	if slices.Contains(want, "pnpm") || slices.Contains(want, "bun") {
		dir := *toolDir
		if dir == "" {
			dir = filepath.Join(root, "tools")
		}
		pnpm, bun := findTools(dir, slices.Contains(want, "pnpm"), slices.Contains(want, "bun"))
		if pnpm != "" {
			tools = append(tools, pnpmTool(pnpm))
		}
		if bun != "" {
			tools = append(tools, bunTool(bun))
		}
	}

	for _, p := range strings.Split(*projects, ",") {
		src, err := filepath.Abs(p)
		check(err)
		bench(src, p, root, tools, *runs)
	}
}

func pnpmTool(pnpm string) tool {
	// --store-dir and --cache-dir inside the run's cache; the store is on
	// the same file system as the project, so pnpm hard-links from it as
	// it does by default.
	args := func(cache string) []string {
		return []string{pnpm, "install", "--frozen-lockfile", "--ignore-scripts", "--reporter=silent",
			"--store-dir", filepath.Join(cache, "store"), "--cache-dir", filepath.Join(cache, "cache")}
	}
	return tool{
		name: "pnpm",
		args: args,
		env:  func(string) []string { return nil },
		lockfile: func(dir, cache string) (string, error) {
			cmd := exec.Command(pnpm, "import", "--store-dir", filepath.Join(cache, "store"), "--cache-dir", filepath.Join(cache, "cache"))
			return "pnpm-lock.yaml", runIn(cmd, dir)
		},
	}
}

func bunTool(bun string) tool {
	env := func(cache string) []string { return []string{"BUN_INSTALL_CACHE_DIR=" + cache} }
	return tool{
		name: "bun",
		args: func(string) []string {
			return []string{bun, "install", "--frozen-lockfile", "--ignore-scripts", "--silent"}
		},
		env: env,
		lockfile: func(dir, cache string) (string, error) {
			// bun migrates package-lock.json to bun.lock on its first
			// install; --lockfile-only does only that.
			cmd := exec.Command(bun, "install", "--lockfile-only", "--ignore-scripts")
			cmd.Env = append(os.Environ(), env(cache)...)
			return "bun.lock", runIn(cmd, dir)
		},
	}
}

func runIn(cmd *exec.Cmd, dir string) error {
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

// findTools returns pnpm and bun from PATH, or installs the missing ones
// into the npm prefix dir. A tool that cannot be had is reported and
// skipped.
func findTools(dir string, wantPnpm, wantBun bool) (pnpm, bun string) {
	look := func(name string) string {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		p := filepath.Join(dir, "node_modules", ".bin", name)
		if err := exec.Command(p, "--version").Run(); err == nil {
			return p
		}
		return ""
	}
	var missing []string
	if wantPnpm {
		if pnpm = look("pnpm"); pnpm == "" {
			missing = append(missing, "pnpm")
		}
	}
	if wantBun {
		if bun = look("bun"); bun == "" {
			missing = append(missing, "bun")
		}
	}
	if len(missing) == 0 {
		return pnpm, bun
	}
	fmt.Printf("installing %s into %s\n", strings.Join(missing, " and "), dir)
	check(os.MkdirAll(dir, 0o755))
	cmd := exec.Command("npm", append([]string{"install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error"}, missing...)...)
	if err := runIn(cmd, dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench: not timing", strings.Join(missing, ", "), "(could not install them):", err)
	}
	for _, name := range missing {
		p := look(name)
		if p == "" {
			fmt.Fprintf(os.Stderr, "bench: not timing %s: installed, but `%s --version` does not run (for bun: its platform package, an optional dependency, may be missing for this OS or CPU)\n", name, name)
		}
		switch name {
		case "pnpm":
			pnpm = p
		case "bun":
			bun = p
		}
	}
	return pnpm, bun
}

func bench(src, name, root string, tools []tool, runs int) {
	base := filepath.Join(root, filepath.Base(src))
	check(os.MkdirAll(base, 0o755))
	fmt.Printf("\nproject %s: %d lockfile entries; %d runs each; work dir %s\n", name, countEntries(src), runs, base)

	dirs := map[string]string{}
	caches := map[string]string{}
	extra := map[string]string{} // tool → translated lockfile path
	var active []tool
	for _, t := range tools {
		slug := strings.ReplaceAll(t.name, " ", "-")
		dirs[t.name] = filepath.Join(base, slug)
		caches[t.name] = filepath.Join(base, slug+"-cache")
		if t.lockfile != nil {
			setup := filepath.Join(base, slug+"-lockfile")
			fresh(src, setup, "")
			file, err := t.lockfile(setup, filepath.Join(base, slug+"-setup-cache"))
			if err != nil {
				fmt.Fprintf(os.Stderr, "bench: not timing %s on %s: translating the lockfile failed: %v\n", t.name, name, err)
				continue
			}
			extra[t.name] = filepath.Join(setup, file)
			check(os.RemoveAll(filepath.Join(base, slug+"-setup-cache")))
		}
		active = append(active, t)
	}

	var timed []benchrun.Tool
	var names []string
	for _, t := range active {
		timed = append(timed, benchrun.Tool{
			Name: t.name,
			Prepare: func(scenario string) (*exec.Cmd, error) {
				if scenario == benchrun.Cold {
					check(os.RemoveAll(caches[t.name]))
				}
				// warm: the cache stays, filled by the cold runs.
				fresh(src, dirs[t.name], extra[t.name])
				args := t.args(caches[t.name])
				cmd := exec.Command(args[0], args[1:]...)
				cmd.Dir = dirs[t.name]
				cmd.Env = append(os.Environ(), t.env(caches[t.name])...)
				return cmd, nil
			},
		})
		names = append(names, t.name)
	}
	results, err := benchrun.Interleave(timed, runs)
	check(err)
	check(results.Print(os.Stdout, names, "airlock"))
	if cache, ok := caches["airlock"]; ok && slices.ContainsFunc(active, func(t tool) bool { return t.name == "airlock" }) {
		fmt.Printf("\nfloor of a verified install of %s (internal/floor, on airlock's cache of these runs):\n", name)
		if err := floor.Measure(os.Stdout, cache, base); errors.Is(err, floor.ErrNoStore) {
			fmt.Printf("  not measured: %v (use -runs 2 or more)\n", err)
		} else {
			check(err)
		}
	}
	for _, t := range active {
		check(os.RemoveAll(dirs[t.name]))
		check(os.RemoveAll(caches[t.name]))
	}
}

// fresh makes dir a copy of the project with no node_modules, plus the
// tool's own lockfile if it has one. The previous tree is deleted and
// synced before timing, so that no tool pays for another's deletions (some
// file systems slow down file creation right after mass deletion).
func fresh(src, dir, lockfile string) {
	check(os.RemoveAll(dir))
	check(os.MkdirAll(dir, 0o755))
	files := []string{"package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc"}
	for _, name := range files {
		copyFile(filepath.Join(src, name), filepath.Join(dir, name))
	}
	if lockfile != "" {
		copyFile(lockfile, filepath.Join(dir, filepath.Base(lockfile)))
	}
	syscall.Sync()
}

func copyFile(from, to string) {
	b, err := os.ReadFile(from)
	if os.IsNotExist(err) {
		return
	}
	check(err)
	check(os.WriteFile(to, b, 0o644))
}

func countEntries(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	check(err)
	return strings.Count(string(b), "\"node_modules/")
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
