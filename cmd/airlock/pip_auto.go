package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// pythonLocks are the lockfiles `airlock install` recognizes as a Python
// project's, when the directory has no JavaScript lockfile.
var pythonLocks = []string{"pylock.toml", "uv.lock"}

// installPython is `airlock install` in a directory whose only lockfile is
// a Python one: `airlock pip install --lock FILE` with the other arguments.
// It reports false when dir has no Python lockfile (npm ci then says what
// is missing). With both pylock.toml and uv.lock it refuses to guess, as
// for several JavaScript lockfiles. Without --python, --target or an
// active virtual environment, the project's .venv is the target, where uv
// sync puts it; airlock creates no environment itself.
func installPython(ctx context.Context, dir string, args []string, stdout, stderr io.Writer) (int, bool) {
	var found []string
	for _, n := range pythonLocks {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return 0, false
	case 1:
	default:
		var cmds []string
		for _, n := range found {
			cmds = append(cmds, "airlock pip install --lock "+filepath.Join(dir, n))
		}
		fmt.Fprintf(stderr, "airlock install: %s has both %s; airlock will not guess which one is current: run `%s`\n", dir, strings.Join(found, " and "), strings.Join(cmds, "` or `"))
		return exitUsage, true
	}
	pip := []string{"install", "--lock", filepath.Join(dir, found[0])}
	targeted := os.Getenv("VIRTUAL_ENV") != ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--dir" || a == "-dir":
			i++ // the project directory is already in the lock's path
			continue
		case strings.HasPrefix(a, "--dir=") || strings.HasPrefix(a, "-dir="):
			continue
		}
		for _, f := range []string{"python", "target", "t"} {
			targeted = targeted || a == "-"+f || a == "--"+f || strings.HasPrefix(a, "-"+f+"=") || strings.HasPrefix(a, "--"+f+"=")
		}
		pip = append(pip, a)
	}
	if venv := filepath.Join(dir, ".venv", "bin", "python"); !targeted {
		if _, err := os.Stat(venv); err == nil {
			pip = append(pip, "--python", venv)
		}
	}
	return pipCmd(ctx, pip, stdout, stderr), true
}
