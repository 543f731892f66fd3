package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/safefile"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// newFetcher builds the verified fetch pipeline from airlock.toml and .npmrc.
// warn receives what is wrong with the cache directory but does not stop
// an install.
func newFetcher(cfg *config.Config, rc *npmrc.Config, offline bool, warn func(string)) (*fetch.Fetcher, error) {
	c, err := openCache(cfg, offline, warn)
	if err != nil {
		return nil, err
	}
	f := &fetch.Fetcher{Cache: c, Offline: offline, Locator: rc, Store: openStore(cfg, c, warn), RelockHint: rc.RelockHint}
	if offline {
		return f, nil
	}
	cl, err := newClient(cfg, rc)
	if err != nil {
		return nil, err
	}
	f.Getter = cl
	if err := attachRemoteCache(f, cfg, warn); err != nil {
		return nil, err
	}
	return f, nil
}

// openCache opens the verified cache every ecosystem shares: cache_dir in
// airlock.toml, else $AIRLOCK_CACHE, else $XDG_CACHE_HOME/airlock. Online,
// an unusable cache is reported to warn and nil is returned.
func openCache(cfg *config.Config, offline bool, warn func(string)) (*cache.Cache, error) {
	dir := cfg.CacheDir
	if dir == "" {
		dir = cache.DefaultDir(os.Getenv)
	}
	if dir == "" {
		return nil, withCode(exitUsage, fmt.Errorf("no cache directory: set AIRLOCK_CACHE, XDG_CACHE_HOME or HOME"))
	}
	c, err := cache.Open(dir)
	switch {
	case err != nil && offline:
		return nil, withCode(exitUsage, fmt.Errorf("opening the cache: %w", err))
	case err != nil:
		// Every download is verified on its way in with or without a
		// cache: an unusable one costs speed, not safety.
		warn(fmt.Sprintf("%v\ninstalling without a cache", err))
		c = nil
	default:
		for _, w := range c.Warnings() {
			warn(w)
		}
		// Removes the temporary files of downloads whose process died (it
		// no longer holds their lock); live ones are left alone.
		_, _ = c.RemoveStaleTemps(cache.StaleTempAge)
	}
	return c, nil
}

// clients holds one client per configuration for the life of the process:
// the registry metadata, advisory and download clients of one command then
// share one connection pool: one TLS handshake per registry, not one per
// client.
var clients struct {
	sync.Mutex
	byConfig map[clientConfig]*sharedClient
}

type clientConfig struct {
	cfg *config.Config
	rc  *npmrc.Config
}

type sharedClient struct {
	once sync.Once
	cl   *client.Client
	err  error
}

// newClient returns the strict HTTPS client for cfg and rc, built once per
// pair (see clients). Extra CAs are added to the system roots (which
// already honour SSL_CERT_FILE) from airlock.toml's ca_file, .npmrc's
// cafile/ca and NODE_EXTRA_CA_CERTS.
func newClient(cfg *config.Config, rc *npmrc.Config) (*client.Client, error) {
	clients.Lock()
	if clients.byConfig == nil {
		clients.byConfig = map[clientConfig]*sharedClient{}
	}
	key := clientConfig{cfg, rc}
	sc := clients.byConfig[key]
	if sc == nil {
		sc = &sharedClient{}
		clients.byConfig[key] = sc
	}
	clients.Unlock()
	sc.once.Do(func() { sc.cl, sc.err = buildClient(cfg, rc) })
	return sc.cl, sc.err
}

func buildClient(cfg *config.Config, rc *npmrc.Config) (*client.Client, error) {
	var cas []client.CABundle
	addFile := func(path, source string) error {
		b, err := client.ReadCAFile(path, source)
		if err != nil {
			return withCode(exitUsage, err)
		}
		cas = append(cas, b)
		return nil
	}
	if cfg.CAFile != "" {
		if err := addFile(cfg.CAFile, "ca_file in "+cfg.Sources["ca_file"]); err != nil {
			return nil, err
		}
	}
	if ca, ok := rc.CA(); ok {
		if ca.File != "" {
			if err := addFile(ca.File, "cafile in "+ca.Source); err != nil {
				return nil, err
			}
		} else {
			// A trust anchor must be a file someone put in place on
			// purpose, not text that any npmrc layer or npm_config_ca
			// variable can inject.
			return nil, withCode(exitUsage, fmt.Errorf("ca= in %s gives a certificate inline; airlock trusts extra CAs only from files: save the certificate to a file and set cafile=/path/to/ca.pem in .npmrc (or ca_file in airlock.toml)", ca.Source))
		}
	}
	if p := os.Getenv("NODE_EXTRA_CA_CERTS"); p != "" {
		if err := addFile(p, "NODE_EXTRA_CA_CERTS"); err != nil {
			return nil, err
		}
	}
	certs := map[string]tls.Certificate{}
	for _, cc := range rc.ClientCerts() {
		cert, err := tls.LoadX509KeyPair(cc.CertFile, cc.KeyFile)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("client certificate for %s (%s): %w", cc.Prefix, cc.Source, err))
		}
		certs[cc.Host] = cert
	}
	proxy, err := rc.Proxy()
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	opts := client.Options{
		ExtraCAs:    cas,
		Auth:        rc.AuthFor,
		UserAgent:   "airlock/" + version,
		Proxy:       proxy.Func(),
		ClientCerts: certs,
	}
	if err := npmFetchSettings(rc, &opts); err != nil {
		return nil, err
	}
	cl, err := client.New(opts)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return cl, nil
}

// npmFetchSettings applies npm's fetch-timeout, fetch-retries,
// fetch-retry-mintimeout and fetch-retry-maxtimeout when .npmrc or the
// environment sets them; unset, airlock's defaults hold.
func npmFetchSettings(rc *npmrc.Config, opts *client.Options) error {
	number := func(key, unit string) (int, bool, error) {
		v, ok := rc.Get(key)
		if !ok {
			return 0, false, nil
		}
		n, err := strconv.Atoi(v.Value)
		if err != nil || n < 0 {
			return 0, false, withCode(exitUsage, fmt.Errorf("%s=%q in %s: want %s", key, v.Value, v.Source, unit))
		}
		return n, true, nil
	}
	// fetch-timeout bounds a whole request in npm: waiting for the headers,
	// a silent body and the whole body. Zero, "no limit" to npm, keeps
	// airlock's defaults: a download that never ends would hang the install.
	ms, ok, err := number("fetch-timeout", "milliseconds")
	if err != nil {
		return err
	}
	if ok && ms > 0 {
		d := time.Duration(ms) * time.Millisecond
		opts.BodyTimeout = d
		opts.ResponseHeaderTimeout = min(d, client.DefaultResponseHeaderTimeout)
		opts.IdleReadTimeout = min(d, client.DefaultIdleReadTimeout)
	}
	n, ok, err := number("fetch-retries", "a number of retries")
	if err != nil {
		return err
	}
	if ok {
		opts.MaxAttempts = n + 1
	}
	for _, w := range []struct {
		key string
		dst *time.Duration
	}{{"fetch-retry-mintimeout", &opts.RetryWaitMin}, {"fetch-retry-maxtimeout", &opts.RetryWaitMax}} {
		ms, ok, err := number(w.key, "milliseconds")
		if err != nil {
			return err
		}
		if ok {
			// Zero would mean "the default" to client.Options.
			*w.dst = max(time.Duration(ms)*time.Millisecond, time.Millisecond)
		}
	}
	return nil
}

// nodeVersions finds the node and npm versions that engines fields are
// checked against, as npm checks them against the node running it. Without
// node on PATH nothing is checked. Node is found the way npm's config is
// (npmrc.LookPath: never a node_modules/.bin entry, so no package's bin is
// run), and `node --version` runs with an empty environment, so NODE_OPTIONS
// cannot make it load anything.
func nodeVersions() (node, npm string) {
	path := npmrc.LookPath("node", os.Getenv("PATH"))
	if path == "" {
		return "", ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = []string{}
	out, err := cmd.Output()
	if err != nil {
		return "", ""
	}
	node = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	// npm ships inside node's prefix: <prefix>/bin/node, <prefix>/lib/node_modules/npm.
	prefix := filepath.Dir(filepath.Dir(path))
	if b, err := safefile.Read(filepath.Join(prefix, "lib", "node_modules", "npm", "package.json"), maxManifestSize); err == nil {
		var m struct{ Version string }
		if json.Unmarshal(b, &m) == nil {
			npm = m.Version
		}
	}
	return node, npm
}

// hostDefaults fills the platform fields the user left empty with this
// machine's, as the package managers do: os and cpu in npm's names, and
// libc (when the lockfile matches on it; nil otherwise) as npm detects it.
func hostDefaults(os, cpu, libc *string) {
	host := locknpm.HostPlatform()
	if *os == "" {
		*os = host.OS
	}
	if *cpu == "" {
		*cpu = host.CPU
	}
	if libc != nil && *libc == "" {
		*libc = locknpm.DetectLibc()
	}
}
