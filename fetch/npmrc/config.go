package npmrc

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Config is npm's effective configuration: every layer merged, the highest
// layer winning per key. The zero Config is npm's defaults.
type Config struct {
	values   map[string]Value
	layers   []Layer
	home     string           // for "~/" in path settings
	cwd      string           // npm resolves relative paths against its working directory
	proxyEnv map[string]Value // https_proxy and no_proxy from the environment
	warnings []string

	// RelockHint is the command that rewrites the project's lockfile
	// ("pnpm install --lockfile-only"), which a HostError names; "" means
	// npm's. The caller sets it: .npmrc is read for pnpm, yarn 1 and bun
	// projects too, and does not say which lockfile is installed.
	RelockHint string
}

// Layer describes one configuration source, for `airlock config explain`.
type Layer struct {
	Name   string // "env", "project", "user", "global" or "builtin"
	Source string // the file path, or "environment"
	Loaded bool   // false when the file does not exist or was skipped
	Note   string // why a file layer was skipped, if it was
}

// Layers lists the sources Load consulted, highest priority first.
func (c *Config) Layers() []Layer { return slices.Clone(c.layers) }

// Warnings lists settings npm accepts but that are probably mistakes, such
// as a ${VAR} reference to a variable that is not set.
func (c *Config) Warnings() []string { return slices.Clone(c.warnings) }

// Get returns a key's effective value and where it came from.
func (c *Config) Get(key string) (Value, bool) {
	v, ok := c.values[key]
	return v, ok
}

// Keys lists every key set in some layer, sorted.
func (c *Config) Keys() []string {
	return slices.Sorted(maps.Keys(c.values))
}

// GetAll returns an array setting such as omit or include: every key[]=
// element, or the single value of key=, or, for a value from the
// environment, the elements npm separates with a blank line.
func (c *Config) GetAll(key string) []string {
	v, ok := c.values[key]
	if !ok {
		return nil
	}
	if v.List != nil {
		return slices.Clone(v.List)
	}
	if v.Value == "null" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(v.Value, "\n\n") {
		if s = jsTrim(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// str returns a set, non-null string value.
func (c *Config) str(key string) (Value, bool) {
	v, ok := c.values[key]
	if !ok || v.Value == "null" {
		return Value{}, false
	}
	return v, true
}

// path resolves a path-typed setting like @npmcli/config's parse-field:
// "~/" is the home directory, anything else is relative to the working
// directory.
func (c *Config) path(p string) string {
	if strings.HasPrefix(p, "~/") && c.home != "" {
		return filepath.Join(c.home, p[2:])
	}
	if filepath.IsAbs(p) || c.cwd == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(c.cwd, p)
}

// validate applies airlock's refusals to the merged configuration.
func (c *Config) validate(fileLayers map[string]map[string]Value) error {
	if v, ok := c.values["strict-ssl"]; ok && isFalse(v.Value) {
		return &ConfigError{Source: v.Source, Key: "strict-ssl", Detail: "strict-ssl=" + v.Value, Err: ErrStrictSSLOff}
	}
	reg := c.Registry()
	if err := checkRegistryURL(reg); err != nil {
		v, _ := c.values["registry"]
		return &ConfigError{Source: v.Source, Key: "registry", Detail: redactURL(reg), Err: err}
	}
	nerfed := nerfDart(reg)
	for _, name := range []string{"project", "user", "global"} {
		layer := fileLayers[name]
		if layer == nil {
			continue
		}
		set := func(k string) bool { v, ok := layer[k]; return ok && truthy(v.Value) }
		for _, k := range []string{"_authtoken", "-authtoken", "_auth", "_authToken", "username", "_password"} {
			if !set(k) {
				continue
			}
			err := unscopedAuthError(layer[k].Source, k, nerfed)
			if (k == "username" && !set("_password")) || (k == "_password" && !set("username")) {
				err.Detail = fmt.Sprintf("npm no longer allows %q without a registry; delete it, or set %s:username and %s:_password", k, nerfed, nerfed)
			}
			return err
		}
	}
	return nil
}

// isFalse mirrors nopt's Boolean coercion: "false", "null" and numeric zero
// are false.
func isFalse(s string) bool {
	if s == "false" || s == "null" {
		return true
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f == 0
}

var envRefRE = regexp.MustCompile(`\$\{([^${}?]+)\}`)

// collectWarnings notes ${VAR} references left unexpanded because VAR is
// unset: npm then uses the literal text, which for a token means a 401.
func (c *Config) collectWarnings(lookup func(string) (string, bool)) {
	for _, k := range c.Keys() {
		v := c.values[k]
		vals := append([]string{v.Value}, v.List...)
		seen := map[string]bool{}
		for _, s := range vals {
			for _, m := range envRefRE.FindAllStringSubmatch(s, -1) {
				if _, set := lookup(m[1]); set || seen[m[1]] {
					continue
				}
				seen[m[1]] = true
				c.warnings = append(c.warnings, fmt.Sprintf(
					"%s: %s refers to ${%s}, which is not set; npm uses the text %q as it is (set the variable, or write ${%s?} to mean empty)",
					v.Source, k, m[1], "${"+m[1]+"}", m[1]))
			}
		}
	}
}

// Format prints the configuration with credentials redacted, under every
// verb (%v, %+v, %#v, %s, %q).
func (c Config) Format(f fmt.State, verb rune) {
	var b strings.Builder
	b.WriteString("npmrc.Config{")
	for i, k := range c.Keys() {
		if i > 0 {
			b.WriteString(", ")
		}
		v := c.values[k]
		fmt.Fprintf(&b, "%s=%q (%s)", k, v.Redacted(), v.Source)
	}
	b.WriteString("}")
	if verb == 'q' {
		fmt.Fprint(f, strconv.Quote(b.String()))
		return
	}
	fmt.Fprint(f, b.String())
}

func (c Config) String() string   { return fmt.Sprintf("%v", c) }
func (c Config) GoString() string { return fmt.Sprintf("%#v", c) }
