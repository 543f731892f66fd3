package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/verify"
)

// FileName is the name airlock looks for in the project and config dirs.
const FileName = "airlock.toml"

// maxFileSize caps airlock.toml; a configuration file is a few KB.
const maxFileSize = 1 << 20

// Config is the effective airlock configuration.
type Config struct {
	// CAFile names a PEM bundle trusted in addition to the system roots.
	CAFile string
	// CacheDir overrides the cache location ($AIRLOCK_CACHE, else
	// $XDG_CACHE_HOME/airlock).
	CacheDir string
	// Concurrency bounds parallel downloads and extractions; 0 means the
	// built-in default.
	Concurrency int
	// RemoteCache is [cache]'s shared remote cache (URL "" when none).
	RemoteCache RemoteCache
	// Store is [cache] store: StoreLink, StoreCopy or StoreOff; "" means
	// the default (StoreLink).
	Store string
	// StoreKey is [cache] store_key: the extracted store's MAC key file;
	// "" means the default (fetch/store.DefaultKeyPath).
	StoreKey string

	// Policy is [policy]; never nil (an empty Policy is the defaults).
	Policy *verify.Policy
	// Registries are the [[registry]] tables.
	Registries []Registry
	// DenyPth is [policy] pth_files = "deny": refuse wheels that install
	// .pth files (Python runs them at every start-up).
	DenyPth bool
	// Scripts is [scripts]: the install scripts allowed to run, sandboxed.
	Scripts Scripts
	// Yarn is [yarn]: settings for yarn 2+ installs.
	Yarn Yarn
	// AuditLog is the hash-chained audit log's path ("" = the default,
	// "off" = no log).
	AuditLog string

	// Sources maps each setting that was set to where it came from
	// (a file path or "env AIRLOCK_X"), for error messages and
	// `airlock config explain`.
	Sources map[string]string
	// File is the airlock.toml that was read, or "" when none exists.
	File string
	// Native is what the project's package-manager configuration says
	// about cooldowns and install scripts (LoadNative); never nil.
	// PolicyFor merges its cooldowns, Load its script allowances.
	Native *Native

	// now is the clock for uv's exclude-newer cutoffs; nil is time.Now.
	now func() time.Time
}

// file mirrors airlock.toml. Keys are snake_case like the documentation.
type file struct {
	CAFile      string `toml:"ca_file"`
	CacheDir    string `toml:"cache_dir"`
	Concurrency int    `toml:"concurrency"`

	AuditLog string `toml:"audit_log"`

	Policy   policyFile     `toml:"policy"`
	Registry []registryFile `toml:"registry"`
	Scripts  scriptsFile    `toml:"scripts"`
	Cache    cacheFile      `toml:"cache"`
	Yarn     yarnFile       `toml:"yarn"`
}

// Load finds and reads the configuration: explicit (from --config) if set,
// else <projectDir>/airlock.toml, else $XDG_CONFIG_HOME/airlock/airlock.toml
// (~/.config when unset). The first file found is used; a missing file is not
// an error. AIRLOCK_* variables in env override the file.
func Load(explicit, projectDir string, getenv func(string) string) (*Config, error) {
	c := &Config{Sources: map[string]string{}, Policy: &verify.Policy{}}
	path, err := find(explicit, projectDir, getenv)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := c.readFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, err
	}
	if c.Native, err = LoadNative(projectDir, getenv); err != nil {
		return nil, err
	}
	c.mergeNativeScripts()
	return c, nil
}

func find(explicit, projectDir string, getenv func(string) string) (string, error) {
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", fmt.Errorf("config file %s: %w", explicit, err)
		}
		return explicit, nil
	}
	candidates := []string{filepath.Join(projectDir, FileName)}
	if dir := configHome(getenv); dir != "" {
		candidates = append(candidates, filepath.Join(dir, "airlock", FileName))
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("config file %s: %w", p, err)
		}
	}
	return "", nil
}

func configHome(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return d
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config")
	}
	return ""
}

func (c *Config) readFile(path string) error {
	data, err := safefile.Read(path, maxFileSize)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	var f file
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return fmt.Errorf("%s: unknown setting %s; see README.md \"Configuration\" for the keys airlock understands", path, strings.Join(keys, ", "))
	}
	c.File = path
	dir := filepath.Dir(path)
	if md.IsDefined("ca_file") {
		c.CAFile = resolve(dir, f.CAFile)
		c.Sources["ca_file"] = path
	}
	if md.IsDefined("cache_dir") {
		c.CacheDir = resolve(dir, f.CacheDir)
		c.Sources["cache_dir"] = path
	}
	if md.IsDefined("concurrency") {
		if f.Concurrency < 1 {
			return fmt.Errorf("%s: concurrency must be at least 1, got %d", path, f.Concurrency)
		}
		c.Concurrency = f.Concurrency
		c.Sources["concurrency"] = path
	}
	if md.IsDefined("audit_log") {
		c.AuditLog = f.AuditLog
		if f.AuditLog != "off" {
			c.AuditLog = resolve(dir, f.AuditLog)
		}
		c.Sources["audit_log"] = path
	}
	if err := c.readCache(path, dir, md, f.Cache); err != nil {
		return err
	}
	if err := c.readScripts(path, md, f.Scripts); err != nil {
		return err
	}
	if err := c.readYarn(path, md, f.Yarn); err != nil {
		return err
	}
	return c.readPolicy(path, md, f.Policy, f.Registry)
}

func (c *Config) applyEnv(getenv func(string) string) error {
	if v := getenv("AIRLOCK_CA_FILE"); v != "" {
		c.CAFile = v
		c.Sources["ca_file"] = "env AIRLOCK_CA_FILE"
	}
	if v := getenv("AIRLOCK_CACHE"); v != "" {
		c.CacheDir = v
		c.Sources["cache_dir"] = "env AIRLOCK_CACHE"
	}
	if v := getenv("AIRLOCK_AUDIT_LOG"); v != "" {
		c.AuditLog = v
		c.Sources["audit_log"] = "env AIRLOCK_AUDIT_LOG"
	}
	if v := getenv("AIRLOCK_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("AIRLOCK_CONCURRENCY=%q: want a whole number of at least 1", v)
		}
		c.Concurrency = n
		c.Sources["concurrency"] = "env AIRLOCK_CONCURRENCY"
	}
	if err := c.applyCacheEnv(getenv); err != nil {
		return err
	}
	if err := c.applyYarnEnv(getenv); err != nil {
		return err
	}
	return c.applyPolicyEnv(getenv)
}

// resolve makes a path from a config file relative to that file's directory,
// so a checked-in airlock.toml works from any working directory.
func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return filepath.Join(dir, p)
}
