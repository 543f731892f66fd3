package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// RemoteCache is [cache]'s shared remote cache (fetch/remote).
type RemoteCache struct {
	// URL is the cache's https:// base URL; "" means none.
	URL string
	// TokenEnv names the environment variable holding a bearer token.
	// airlock.toml never holds the token itself: it is checked in.
	TokenEnv string
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile, KeyFile string
	// Timeout bounds each wait for the remote; 0 means the default.
	Timeout time.Duration
	// ReadOnly is upload = false: read, never write.
	ReadOnly bool
}

// MaxRemoteTimeout caps [cache] timeout: a remote cache slower than this
// is slower than the registry it stands in front of.
const MaxRemoteTimeout = time.Minute

// cacheFile mirrors [cache].
type cacheFile struct {
	Dir      string `toml:"dir"`
	Remote   string `toml:"remote"`
	TokenEnv string `toml:"token_env"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	Timeout  string `toml:"timeout"`
	Upload   *bool  `toml:"upload"`
	Store    string `toml:"store"`
	StoreKey string `toml:"store_key"`
	// Token is read only to refuse it with a better message than
	// "unknown setting".
	Token string `toml:"token"`
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *Config) readCache(path, dir string, md toml.MetaData, f cacheFile) error {
	if md.IsDefined("cache", "token") {
		return fmt.Errorf("%s: [cache] token: airlock.toml is checked in, so it never holds a secret; put the token in an environment variable and name it with token_env = \"AIRLOCK_REMOTE_CACHE_TOKEN\"", path)
	}
	if md.IsDefined("cache", "dir") {
		if md.IsDefined("cache_dir") {
			return fmt.Errorf("%s: cache_dir and [cache] dir both set; keep one", path)
		}
		c.CacheDir = resolve(dir, f.Dir)
		c.Sources["cache_dir"] = path
	}
	if md.IsDefined("cache", "store") {
		if err := checkStoreMode(f.Store); err != nil {
			return fmt.Errorf("%s: [cache] store: %w", path, err)
		}
		c.Store = f.Store
		c.Sources["cache.store"] = path
	}
	if md.IsDefined("cache", "store_key") {
		if f.StoreKey == "" {
			return fmt.Errorf("%s: [cache] store_key is empty; name the key file (the default is $XDG_STATE_HOME/airlock/store.key)", path)
		}
		c.StoreKey = resolve(dir, f.StoreKey)
		c.Sources["cache.store_key"] = path
	}
	remoteOnly := []string{"token_env", "cert_file", "key_file", "timeout", "upload"}
	if !md.IsDefined("cache", "remote") {
		for _, k := range remoteOnly {
			if md.IsDefined("cache", k) {
				return fmt.Errorf("%s: [cache] %s is set without remote = \"https://...\"", path, k)
			}
		}
		return nil
	}
	if err := checkRemoteURL(f.Remote); err != nil {
		return fmt.Errorf("%s: [cache] remote: %w", path, err)
	}
	r := RemoteCache{URL: f.Remote, TokenEnv: f.TokenEnv}
	if r.TokenEnv != "" && !envName.MatchString(r.TokenEnv) {
		return fmt.Errorf("%s: [cache] token_env = %q is not an environment variable name; it names the variable that holds the token (never the token itself)", path, r.TokenEnv)
	}
	if (f.CertFile == "") != (f.KeyFile == "") {
		return fmt.Errorf("%s: [cache] cert_file and key_file go together; set both or neither", path)
	}
	if f.CertFile != "" {
		r.CertFile, r.KeyFile = resolve(dir, f.CertFile), resolve(dir, f.KeyFile)
	}
	if md.IsDefined("cache", "timeout") {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil || d <= 0 || d > MaxRemoteTimeout {
			return fmt.Errorf("%s: [cache] timeout = %q: want a duration such as \"5s\", above 0 and at most %s", path, f.Timeout, MaxRemoteTimeout)
		}
		r.Timeout = d
	}
	r.ReadOnly = f.Upload != nil && !*f.Upload
	c.RemoteCache = r
	c.Sources["cache.remote"] = path
	return nil
}

// Store modes: how installs place packages from the extracted store
// (fetch/store) beside the cache.
const (
	StoreLink = "link" // hard links, copies for files installs change (the default)
	StoreCopy = "copy" // reflink or copy: no inode shared with the store
	StoreOff  = "off"  // no store: inflate every archive on every install
)

func checkStoreMode(v string) error {
	switch v {
	case StoreLink, StoreCopy, StoreOff:
		return nil
	}
	return fmt.Errorf("%q: want \"link\" (hard links; the default), \"copy\" (reflinks or copies) or \"off\"", v)
}

func checkRemoteURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", raw)
	case !strings.EqualFold(u.Scheme, "https"):
		return fmt.Errorf("%q: only https:// URLs are allowed", raw)
	case u.Host == "":
		return fmt.Errorf("%q has no host", raw)
	case u.User != nil:
		return fmt.Errorf("the URL holds credentials; use token_env or cert_file/key_file")
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: no query or fragment; give the base URL the cache serves /cas/ and /ac/ under", raw)
	}
	return nil
}

// applyCacheEnv applies AIRLOCK_REMOTE_CACHE: a URL replaces [cache]
// remote (keeping its other settings), "off" turns the remote cache off.
func (c *Config) applyCacheEnv(getenv func(string) string) error {
	if v := getenv("AIRLOCK_STORE"); v != "" {
		if err := checkStoreMode(v); err != nil {
			return fmt.Errorf("AIRLOCK_STORE: %w", err)
		}
		c.Store = v
		c.Sources["cache.store"] = "env AIRLOCK_STORE"
	}
	if v := getenv("AIRLOCK_STORE_KEY"); v != "" {
		c.StoreKey = v
		c.Sources["cache.store_key"] = "env AIRLOCK_STORE_KEY"
	}
	v := getenv("AIRLOCK_REMOTE_CACHE")
	switch v {
	case "":
		return nil
	case "off":
		c.RemoteCache = RemoteCache{}
	default:
		if err := checkRemoteURL(v); err != nil {
			return fmt.Errorf("AIRLOCK_REMOTE_CACHE: %w (or \"off\")", err)
		}
		c.RemoteCache.URL = v
	}
	c.Sources["cache.remote"] = "env AIRLOCK_REMOTE_CACHE"
	return nil
}
