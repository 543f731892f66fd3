package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// jsLockKind names a JavaScript package manager whose lockfile airlock
// reads; it is also the name package.json's packageManager gives it
// ("pnpm@10.1.0").
type jsLockKind string

const (
	lockNpm  jsLockKind = "npm"
	lockPnpm jsLockKind = "pnpm"
	lockBun  jsLockKind = "bun"
)

// jsLockfiles are the JavaScript lockfiles airlock reads, each with the
// file names its package manager writes (the first one present counts).
// A new format is one line here, one case in installAuto and one in
// loadJSPlan.
var jsLockfiles = []struct {
	kind  jsLockKind
	names []string
}{
	{lockNpm, []string{"npm-shrinkwrap.json", "package-lock.json"}}, // npm's order, as locknpm.FindLockfile
	{lockPnpm, []string{pnpmLockfile}},
	{lockBun, []string{bunLockfile, bunBinaryLockfile}}, // bun.lockb: airlock bun install says how to convert it
}

// jsLock is the lockfile chosen for a project.
type jsLock struct {
	kind jsLockKind
	name string // file name in the project directory
}

// errNoJSLock is findJSLock's answer for a directory without a lockfile;
// callers that read Python locks too go on looking.
type errNoJSLock struct{ dir string }

func (e errNoJSLock) Error() string {
	var names []string
	for _, l := range jsLockfiles {
		names = append(names, l.names...)
	}
	return fmt.Sprintf("no lockfile (%s) in %s; airlock installs exactly what a lockfile records: create one with your package manager (`npm install --package-lock-only --ignore-scripts`, `pnpm install --lockfile-only --ignore-scripts`, `bun install --lockfile-only --ignore-scripts`)", strings.Join(names, ", "), e.dir)
}

// findJSLock chooses the lockfile of the project in dir as `airlock
// install` does: the only one there is; with several, the one of the
// package manager package.json's packageManager names, as corepack would;
// else airlock refuses to guess.
func findJSLock(dir string) (jsLock, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return jsLock{}, withCode(exitUsage, fmt.Errorf("reading project directory: %w", err))
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name()] = true
	}
	var found []jsLock
	for _, l := range jsLockfiles {
		for _, n := range l.names {
			if have[n] {
				found = append(found, jsLock{l.kind, n})
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return jsLock{}, withCode(exitUsage, errNoJSLock{dir})
	case 1:
		return found[0], nil
	}
	pkg, _ := safefile.Read(filepath.Join(dir, "package.json"), maxManifestSize)
	var m struct {
		PackageManager string `json:"packageManager"`
	}
	_ = json.Unmarshal(pkg, &m)
	manager, _, _ := strings.Cut(m.PackageManager, "@")
	var names []string
	for _, l := range found {
		if string(l.kind) == manager {
			return l, nil
		}
		names = append(names, l.name)
	}
	return jsLock{}, withCode(exitUsage, fmt.Errorf("%s has %s, and package.json's packageManager names none of their package managers; name one (\"packageManager\": \"pnpm@10\"), use the command of the one you mean (airlock npm ci, airlock pnpm install), or delete the lockfile you do not use", dir, strings.Join(names, " and ")))
}
