package npmrc

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Load reads npm's configuration for a project the way npm 11 does
// (@npmcli/config lib/index.js), from env (KEY=VALUE strings, usually
// os.Environ()) and these files, highest priority first:
//
//   - npm_config_* / NPM_CONFIG_* variables: the prefix is matched without
//     regard to case, the rest is lowercased and "_" becomes "-" except at
//     the start; keys starting with "//" are kept as written; empty
//     variables are ignored.
//   - project: <projectDir>/.npmrc, unless it is the user config file.
//   - user: the userconfig setting (from the layers above), default ~/.npmrc.
//   - global: the globalconfig setting (from the layers above), default
//     <prefix>/etc/npmrc, where prefix is the prefix setting or else
//     $PREFIX or else dirname(dirname(realpath(node on $PATH))).
//   - builtin: the npmrc file inside npm's own install directory.
//
// Missing files are skipped as npm skips them; a file that exists but cannot
// be read is an error (npm would silently ignore it and fail later with a
// 401). Load refuses strict-ssl=false, a default registry that is not
// https://, and credentials that npm itself refuses unless scoped.
func Load(projectDir string, env []string) (*Config, error) {
	vars := envMap(env)
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }

	c := &Config{home: vars["HOME"]}
	if c.home == "" {
		c.home, _ = os.UserHomeDir()
	}
	c.cwd, _ = os.Getwd()
	c.proxyEnv = proxyEnv(env)

	type layer struct {
		name   string
		values map[string]Value
	}
	var stack []layer // highest priority first
	// get resolves a key through the layers loaded so far, as npm does
	// while it is still loading (a project file can move the user file).
	get := func(key string) (Value, bool) {
		for _, l := range stack {
			if v, ok := l.values[key]; ok && v.Value != "null" {
				return v, true
			}
		}
		return Value{}, false
	}
	fileLayers := map[string]map[string]Value{}
	addFile := func(name, path, skip string) error {
		if skip != "" {
			c.layers = append(c.layers, Layer{Name: name, Source: path, Note: skip})
			return nil
		}
		values, found, err := readFile(path, lookup)
		if err != nil {
			return err
		}
		l := Layer{Name: name, Source: path, Loaded: found}
		if !found {
			l.Note = "no such file"
		}
		c.layers = append(c.layers, l)
		stack = append(stack, layer{name, values})
		fileLayers[name] = values
		return nil
	}

	envValues := parseEnv(env, lookup)
	stack = append(stack, layer{"env", envValues})
	c.layers = append(c.layers, Layer{Name: "env", Source: "environment", Loaded: true})

	userFile := func() string {
		if v, ok := get("userconfig"); ok {
			return c.path(v.Value)
		}
		return c.path("~/.npmrc")
	}

	projectFile := ""
	if projectDir != "" {
		abs, err := filepath.Abs(filepath.Join(projectDir, ".npmrc"))
		if err != nil {
			return nil, fmt.Errorf("npmrc: project directory %s: %w", projectDir, err)
		}
		projectFile = abs
	}
	switch {
	case projectFile == "":
		c.layers = append(c.layers, Layer{Name: "project", Note: "no project directory"})
	case projectFile == userFile():
		if err := addFile("project", projectFile, `same as the "user" config, ignored`); err != nil {
			return nil, err
		}
	default:
		if err := addFile("project", projectFile, ""); err != nil {
			return nil, err
		}
	}

	if err := addFile("user", userFile(), ""); err != nil {
		return nil, err
	}

	globalFile := ""
	if v, ok := get("globalconfig"); ok {
		globalFile = c.path(v.Value)
	} else if v, ok := get("prefix"); ok {
		globalFile = filepath.Join(c.path(v.Value), "etc", "npmrc")
	} else if prefix := defaultPrefix(vars); prefix != "" {
		globalFile = filepath.Join(c.path(prefix), "etc", "npmrc")
	}
	if globalFile == "" {
		c.layers = append(c.layers, Layer{Name: "global", Note: "no PREFIX and no node on PATH"})
	} else if err := addFile("global", globalFile, ""); err != nil {
		return nil, err
	}

	if npmDir := npmPath(vars["PATH"]); npmDir != "" {
		if err := addFile("builtin", filepath.Join(npmDir, "npmrc"), ""); err != nil {
			return nil, err
		}
	}

	c.values = map[string]Value{}
	for i := len(stack) - 1; i >= 0; i-- {
		for k, v := range stack[i].values {
			c.values[k] = v
		}
	}
	if err := c.validate(fileLayers); err != nil {
		return nil, err
	}
	c.collectWarnings(lookup)
	return c, nil
}

// readFile parses one config file; a missing file is not an error.
func readFile(path string, lookup func(string) (string, bool)) (map[string]Value, bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("npmrc: reading %s: %w (fix its permissions, or point userconfig/globalconfig elsewhere)", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("npmrc: reading %s: %w", path, err)
	}
	values, err := Parse(data, path, lookup)
	if err != nil {
		return nil, false, err
	}
	return values, true, nil
}

// envMap indexes KEY=VALUE strings; a later duplicate wins, as in os.Getenv.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

const envPrefix = "npm_config_"

// parseEnv is @npmcli/config's loadEnv followed by parse-field: values are
// trimmed and ${VAR}-expanded like file values.
func parseEnv(env []string, lookup func(string) (string, bool)) map[string]Value {
	out := map[string]Value{}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok || val == "" || len(name) <= len(envPrefix) || !strings.EqualFold(name[:len(envPrefix)], envPrefix) {
			continue
		}
		key := name[len(envPrefix):]
		if !strings.HasPrefix(key, "//") {
			key = key[:1] + strings.ReplaceAll(key[1:], "_", "-")
			key = strings.ToLower(key)
		}
		key = expandEnv(key, lookup)
		if val = jsTrim(val); val != "true" && val != "false" && val != "null" {
			val = expandEnv(val, lookup)
		}
		out[key] = Value{Value: val, Source: "env " + name, redact: redactionFor(key)}
	}
	return out
}

// proxyEnv picks the proxy variables npm's agent reads: keys are matched
// without regard to case and the last one in the environment wins.
func proxyEnv(env []string) map[string]Value {
	out := map[string]Value{}
	for _, kv := range env {
		name, val, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch k := strings.ToLower(name); k {
		case "https_proxy", "no_proxy":
			out[k] = Value{Value: val, Source: "env " + name, redact: redactionFor("https-proxy")}
		}
	}
	return out
}

// defaultPrefix is npm's global prefix before any prefix setting: $PREFIX,
// or the directory above the directory of the node binary ($DESTDIR-relative
// when DESTDIR is set).
func defaultPrefix(vars map[string]string) string {
	if p := vars["PREFIX"]; p != "" {
		return p
	}
	node := LookPath("node", vars["PATH"])
	if node == "" {
		return ""
	}
	prefix := filepath.Dir(filepath.Dir(node))
	if d := vars["DESTDIR"]; d != "" {
		prefix = filepath.Join(d, prefix)
	}
	return prefix
}

// npmPath finds npm's install directory from the npm command on PATH, which
// is normally a symlink to <npm>/bin/npm-cli.js.
func npmPath(pathList string) string {
	cli := LookPath("npm", pathList)
	if filepath.Base(cli) != "npm-cli.js" || filepath.Base(filepath.Dir(cli)) != "bin" {
		return ""
	}
	return filepath.Dir(filepath.Dir(cli))
}

// LookPath finds the node toolchain's executable name on pathList and
// resolves symlinks, as process.execPath does for node. It skips relative
// PATH entries, which would make the answer depend on the working
// directory, and entries inside a node_modules directory: `npm run` and many
// CI setups put node_modules/.bin on PATH, and a package's bin named "node"
// or "npm" must never choose airlock's configuration (or be executed).
func LookPath(name, pathList string) string {
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) || inNodeModules(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		st, err := os.Stat(p)
		if err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			continue
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return real
		}
		return p
	}
	return ""
}

// inNodeModules reports whether dir has a node_modules path segment.
func inNodeModules(dir string) bool {
	for _, seg := range strings.Split(filepath.ToSlash(dir), "/") {
		if seg == "node_modules" {
			return true
		}
	}
	return false
}
