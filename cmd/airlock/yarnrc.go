package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// yarnrcIgnoresScripts says where yarn 1's own configuration tells it to
// run no lifecycle script, or "" when it does not. yarn 1's install takes
// ignore-scripts from config.getOption('ignore-scripts') as well as from
// .npmrc (which runAllowedScripts reads), so a project that set it there
// gets no native script allowance either (Config.IgnoreNativeScripts).
//
// The layers are yarn 1.22's (registries/yarn-registry.js loadConfig), the
// first that sets the key winning: yarn_* variables (the prefix in any
// case; "true" and "false" are booleans, "" is false, other text is
// true), then .yarnrc in the project directory, in the home directory and
// in every parent directory. A .yarnrc line `--ignore-scripts true` (or
// `--install.ignore-scripts true`) passes the flag to every yarn install
// (rc.js getRcArgs), so it counts wherever it is.
func yarnrcIgnoresScripts(projectDir string, env []string) (string, error) {
	// decided: a layer above has set the key (to false).
	decided := false
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.ToLower(k) != "yarn_ignore_scripts" {
			continue
		}
		if yarnTruthy(v, false) {
			return "env " + kv, nil
		}
		decided = true
	}
	dirs := []string{projectDir}
	if home := envValue(env, "HOME"); home != "" {
		dirs = append(dirs, home)
	}
	for d := filepath.Dir(projectDir); d != filepath.Dir(d); d = filepath.Dir(d) {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		path := filepath.Join(d, ".yarnrc")
		data, err := safefile.Read(path, maxManifestSize)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("reading %s (yarn 1 reads its ignore-scripts setting there): %w", path, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, maxManifestSize)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
				continue // blank, nested or a comment
			}
			key, val := yarnrcEntry(line)
			switch key {
			case "--ignore-scripts", "--install.ignore-scripts":
				if yarnTruthy(val, true) {
					return path + " " + strings.TrimSpace(line), nil
				}
			case "ignore-scripts":
				if decided {
					continue
				}
				decided = true
				if yarnTruthy(val, true) {
					return path + " " + strings.TrimSpace(line), nil
				}
			}
		}
	}
	return "", nil
}

// yarnrcEntry splits a top-level .yarnrc line (yarn's lockfile syntax)
// into its key and value, unquoting either.
func yarnrcEntry(line string) (key, val string) {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, `"`) {
		if i := strings.Index(line[1:], `"`); i >= 0 {
			key, val = line[:i+2], line[i+2:]
		}
	} else {
		key, val, _ = strings.Cut(line, " ")
	}
	key, val = strings.TrimSuffix(strings.TrimSpace(key), ":"), strings.TrimSpace(val)
	if u, err := strconv.Unquote(key); err == nil {
		key = u
	}
	return key, val
}

// yarnTruthy is JavaScript truthiness of a yarn configuration value after
// yarn's normalizeConfigOption: "true"/"false" (quoted in a .yarnrc, or an
// environment value) are booleans, other strings are true unless empty. In
// a .yarnrc (parsed) an unquoted number is a number, true unless zero.
func yarnTruthy(v string, parsed bool) bool {
	quoted := false
	if u, err := strconv.Unquote(v); parsed && err == nil {
		v, quoted = u, true
	}
	switch v {
	case "false", "":
		return false
	case "true":
		return true
	}
	if parsed && !quoted {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f != 0
		}
	}
	return true
}

func envValue(env []string, name string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
