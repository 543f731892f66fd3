package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/internal/safefile"
	lockyarn "github.com/airlock-dev/airlock/lock/yarn"
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
	y, err := loadYarnrc(projectDir, env)
	if err != nil {
		return "", err
	}
	for _, l := range y.lines {
		switch l.key {
		case "--ignore-scripts", "--install.ignore-scripts":
			if yarnTruthy(l.val, true) {
				return l.source(), nil
			}
		case "ignore-scripts":
			if decided {
				continue
			}
			decided = true
			if yarnTruthy(l.val, true) {
				return l.source(), nil
			}
		}
	}
	return "", nil
}

// yarnrcDirs are the directories yarn 1 reads a .yarnrc from, in the order
// its settings count: the project's, the home directory's, then every
// parent directory's.
func yarnrcDirs(projectDir string, env []string) []string {
	dirs := []string{projectDir}
	if home := envValue(env, "HOME"); home != "" {
		dirs = append(dirs, home)
	}
	for d := filepath.Dir(projectDir); d != filepath.Dir(d); d = filepath.Dir(d) {
		dirs = append(dirs, d)
	}
	return dirs
}

// yarnrc is yarn 1's configuration as its install reads it, read once: the
// environment (for yarn_* variables) and the top-level settings of every
// .yarnrc (yarnrcDirs), in the order they count.
type yarnrc struct {
	env   []string
	lines []yarnrcLine
}

// yarnrcLine is one top-level setting of a .yarnrc.
type yarnrcLine struct {
	path, line, key, val string
}

// source names the line for messages: the file and the line as written.
func (l yarnrcLine) source() string { return l.path + " " + strings.TrimSpace(l.line) }

func loadYarnrc(projectDir string, env []string) (*yarnrc, error) {
	y := &yarnrc{env: env}
	for _, d := range yarnrcDirs(projectDir, env) {
		path := filepath.Join(d, ".yarnrc")
		data, err := safefile.Read(path, maxManifestSize)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s (yarn 1 reads its configuration there): %w", path, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, maxManifestSize)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' {
				continue // blank, nested or a comment
			}
			key, val := yarnrcEntry(line)
			y.lines = append(y.lines, yarnrcLine{path: path, line: line, key: key, val: val})
		}
	}
	return y, nil
}

// option is yarn 1.22's config.getOption(key) for a plain setting: the
// yarn_<key> environment variable (any case, "-" as "_") first, then the
// first .yarnrc that sets it. source names where the value came from; ""
// when nothing sets it.
func (y *yarnrc) option(key string) (val, source string) {
	name := "yarn_" + strings.ReplaceAll(key, "-", "_")
	for _, kv := range y.env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.ToLower(k) == name {
			return v, "env " + k
		}
	}
	for _, l := range y.lines {
		if l.key == key {
			return l.val, l.source()
		}
	}
	return "", ""
}

// yarnFalse reports whether a yarn 1 option value is the boolean false,
// quoted or not, the only value `getOption(...) !== false` tests turn off.
func yarnFalse(v string) bool {
	if u, err := strconv.Unquote(v); err == nil {
		v = u
	}
	return v == "false"
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

// checkYarnClassicLayout refuses the yarn 1 settings under which yarn lays
// out something other than what airlock installs: Plug'n'Play
// (package.json installConfig.pnp, or the plugnplay-override option),
// which writes .pnp.js instead of a node_modules tree; workspaces turned
// off (workspaces-experimental false) in a project that has them; and
// nohoist turned off (workspaces-nohoist-experimental false) in a project
// whose root or workspaces declare nohoist globs, which airlock would
// apply and yarn would not.
func checkYarnClassicLayout(projectDir string, env []string, pkgJSON []byte, root *lockyarn.Manifest, workspaces []*lockyarn.Manifest) error {
	var m struct {
		InstallConfig struct {
			Pnp json.RawMessage `json:"pnp"`
		} `json:"installConfig"`
	}
	_ = json.Unmarshal(pkgJSON, &m) // ReadManifest has read it already
	y, err := loadYarnrc(projectDir, env)
	if err != nil {
		return err
	}
	pnp, pnpFrom := y.option("plugnplay-override")
	switch {
	case pnpFrom != "" && !yarnFalse(pnp) && pnp != "0":
		return fmt.Errorf("%s turns on yarn's Plug'n'Play, which writes .pnp.js instead of node_modules; airlock installs node_modules only: remove the setting", pnpFrom)
	case pnpFrom == "" && lockyarn.Truthy(m.InstallConfig.Pnp):
		return errors.New("package.json installConfig.pnp turns on yarn's Plug'n'Play, which writes .pnp.js instead of node_modules; airlock installs node_modules only: remove installConfig.pnp")
	}
	if len(root.Workspaces) > 0 {
		v, from := y.option("workspaces-experimental")
		if from != "" && yarnFalse(v) {
			return fmt.Errorf("%s turns yarn's workspaces off, and package.json declares workspaces; airlock installs them as yarn does with workspaces on: remove the setting", from)
		}
	}
	nohoist := len(root.Nohoist) > 0
	for _, w := range workspaces {
		nohoist = nohoist || len(w.Nohoist) > 0
	}
	if nohoist {
		v, from := y.option("workspaces-nohoist-experimental")
		if from != "" && yarnFalse(v) {
			return fmt.Errorf("%s turns off yarn's workspaces.nohoist, which package.json (or a workspace's) declares; airlock lays nohoist out as yarn does with it on: remove the setting or the nohoist globs", from)
		}
	}
	return nil
}
