package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/config"
	lockberry "github.com/airlock-dev/airlock/lock/yarnberry"
)

// berryGraph is the install graph of a yarn 2+ lockfile on platform. A
// package yarn installs with one of its builtin compat patches (resolve,
// typescript, fsevents) is refused, since the lockfile's checksum covers
// the patched zip airlock cannot rebuild; with [yarn] builtin_patches =
// "unpatched" (or AIRLOCK_YARN_BUILTIN_PATCHES=unpatched) it is installed
// as published instead, verified against its own entry's checksum
// (lockberry.UnpatchedGraph), and warn names it.
func berryGraph(lf *lockberry.Lockfile, platform lockberry.Platform, cfg *config.Config, lockPath string, warn func(string)) (*lockberry.Graph, error) {
	if !cfg.Yarn.Unpatched() {
		g, err := lf.Graph(platform)
		if errors.Is(err, lockberry.ErrBuiltinPatch) {
			return nil, withCode(exitUsage, fmt.Errorf("%s: %w\n%s", lockPath, err, builtinPatchesHint(cfg)))
		}
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
		}
		return g, nil
	}
	g, err := lf.UnpatchedGraph(platform)
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("%s: %w", lockPath, err))
	}
	if len(g.Unpatched) > 0 && warn != nil {
		var names []string
		for p := range g.Unpatched {
			names = append(names, p.Locator.Name+"@"+p.Version)
		}
		sort.Strings(names)
		warn(fmt.Sprintf("[yarn] builtin_patches = %q (%s): installing %s as published, without yarn's builtin compat patches (their files differ from yarn's tree)", config.BuiltinPatchesUnpatched, cfg.Sources["yarn.builtin_patches"], strings.Join(names, ", ")))
	}
	return g, nil
}

// builtinPatchesHint tells how to install a package with a builtin compat
// patch: the reviewable airlock.toml setting first, the variable for one
// run second; and, when the refusal was configured, where.
func builtinPatchesHint(cfg *config.Config) string {
	hint := fmt.Sprintf("to install the package as published instead (verified against its own checksum in yarn.lock; yarn's compat patches only matter under Plug'n'Play), set [yarn] builtin_patches = %q in airlock.toml, or %s=%s for one run", config.BuiltinPatchesUnpatched, config.BuiltinPatchesEnv, config.BuiltinPatchesUnpatched)
	if from := cfg.Sources["yarn.builtin_patches"]; from != "" {
		hint += fmt.Sprintf(" (builtin_patches is %q, from %s)", cfg.Yarn.BuiltinPatches, from)
	}
	return hint
}
