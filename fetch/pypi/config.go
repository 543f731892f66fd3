package pypi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// MaxConfigFileSize bounds a pip.conf; real ones are a few hundred bytes.
const MaxConfigFileSize = 1 << 20

// Setting is one effective value and where it came from.
type Setting struct {
	Value  string
	Source string
}

// Config is the effective index configuration of one pip install.
type Config struct {
	// Indexes are asked in order: the primary index (unless no-index),
	// then the extra indexes. Like pip, airlock looks at every index's
	// files; the lockfile's hashes decide which bytes are acceptable.
	Indexes []Index
	// NoIndex is set when no-index is on; Indexes is then empty.
	NoIndex       bool
	NoIndexSource string
	// Cert names a CA bundle (pip's cert); airlock trusts it in addition
	// to the system roots.
	Cert Setting
	// ClientCert names a PEM file holding a client certificate and its key
	// (pip's client-cert); airlock presents it to the index hosts only.
	ClientCert Setting
	// Files lists the pip.conf files that were read, in the order read.
	Files []string
	// Warnings are settings pip would use that airlock ignores.
	Warnings []string

	indexURL  Setting
	extraURLs []Setting
	netrc     []netrcEntry
}

// Flags are the pip options given on airlock's command line; empty fields
// were not given.
type Flags struct {
	IndexURL       string
	ExtraIndexURLs []string
	NoIndex        bool
	TrustedHosts   []string
	Cert           string
	ClientCert     string
}

// LoadOptions says where LoadConfig looks.
type LoadOptions struct {
	// Getenv reads the environment (os.Getenv in the command).
	Getenv func(string) string
	// Home is the user's home directory; "" skips the user files.
	Home string
	// SitePrefix is the target interpreter's sys.prefix (the venv), whose
	// pip.conf pip reads as the "site" file; "" skips it.
	SitePrefix string
	// SystemDir replaces "/etc" (the global files' directory) in tests.
	SystemDir string
	Flags     Flags
}

// LoadConfig reads pip's configuration as pip 23 does
// (pip/_internal/configuration.py), lowest priority first:
//
//   - global files: $XDG_CONFIG_DIRS/pip/pip.conf (default /etc/xdg), then
//     /etc/pip.conf;
//   - user files: ~/.pip/pip.conf, then $XDG_CONFIG_HOME/pip/pip.conf
//     (default ~/.config), skipped when PIP_CONFIG_FILE names a file that
//     exists;
//   - the site file: <sys.prefix>/pip.conf of the target interpreter;
//   - PIP_CONFIG_FILE; if it is /dev/null no file at all is read;
//   - PIP_* variables (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_NO_INDEX,
//     PIP_CERT, PIP_CLIENT_CERT, PIP_TRUSTED_HOST);
//   - the command line.
//
// Within the files an [install] value overrides a [global] one whatever
// file each came from, as pip orders them. A later layer replaces an
// earlier value, lists included; --extra-index-url on the command line adds
// to the configured list, as pip's append option does. Unknown keys are
// ignored, as pip ignores them. trusted-host anywhere is refused
// (ErrTrustedHost); http:// indexes are refused (ErrInsecureIndex).
func LoadConfig(opts LoadOptions) (*Config, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	c := &Config{}
	// merged holds "section.key" → setting across files, later files
	// overriding earlier ones, as pip's Configuration does.
	merged := map[string]Setting{}
	load := func(path string) error {
		data, err := safefile.Read(path, MaxConfigFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading pip configuration: %w", err)
		}
		sections, err := parseINI(data)
		if err != nil {
			return fmt.Errorf("pip configuration %s: %w", path, err)
		}
		c.Files = append(c.Files, path)
		for sec, kv := range sections {
			for k, v := range kv {
				k = normalizeKey(k)
				merged[sec+"."+k] = Setting{Value: v, Source: fmt.Sprintf("%s [%s] %s", path, sec, k)}
			}
		}
		return nil
	}

	envFile := getenv("PIP_CONFIG_FILE")
	if envFile != os.DevNull {
		xdgDirs := getenv("XDG_CONFIG_DIRS")
		if xdgDirs == "" {
			xdgDirs = filepath.Join(orDefault(opts.SystemDir, "/etc"), "xdg")
		}
		var files []string
		for _, d := range filepath.SplitList(xdgDirs) {
			if d != "" {
				files = append(files, filepath.Join(d, "pip", "pip.conf"))
			}
		}
		files = append(files, filepath.Join(orDefault(opts.SystemDir, "/etc"), "pip.conf"))
		envFileExists := false
		if envFile != "" {
			if _, err := os.Stat(envFile); err == nil {
				envFileExists = true
			}
		}
		if opts.Home != "" && !envFileExists {
			files = append(files, filepath.Join(opts.Home, ".pip", "pip.conf"))
			xdgHome := getenv("XDG_CONFIG_HOME")
			if xdgHome == "" {
				xdgHome = filepath.Join(opts.Home, ".config")
			}
			files = append(files, filepath.Join(xdgHome, "pip", "pip.conf"))
		}
		if opts.SitePrefix != "" {
			files = append(files, filepath.Join(opts.SitePrefix, "pip.conf"))
		}
		if envFile != "" {
			files = append(files, envFile)
		}
		for _, f := range files {
			if err := load(f); err != nil {
				return nil, err
			}
		}
	}

	// effective is [global] overridden by [install]; PIP_* variables and
	// flags come on top below.
	effective := map[string]Setting{}
	for _, sec := range []string{"global", "install"} {
		for k, s := range merged {
			if name, ok := strings.CutPrefix(k, sec+"."); ok {
				effective[name] = s
			}
		}
	}
	for _, key := range []string{"index-url", "extra-index-url", "no-index", "cert", "client-cert", "trusted-host", "find-links", "proxy"} {
		v := "PIP_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
		if val := getenv(v); val != "" {
			effective[key] = Setting{Value: val, Source: "env " + v}
		}
	}

	f := opts.Flags
	if f.IndexURL != "" {
		effective["index-url"] = Setting{Value: f.IndexURL, Source: "--index-url"}
	}
	if f.Cert != "" {
		effective["cert"] = Setting{Value: f.Cert, Source: "--cert"}
	}
	if f.ClientCert != "" {
		effective["client-cert"] = Setting{Value: f.ClientCert, Source: "--client-cert"}
	}
	if len(f.TrustedHosts) > 0 {
		effective["trusted-host"] = Setting{Value: strings.Join(f.TrustedHosts, " "), Source: "--trusted-host"}
	}

	ignored := map[string]string{
		"find-links": "airlock takes wheels only from the lockfile's URLs and the configured indexes, checked against the lockfile's hashes",
		"proxy":      "airlock takes its proxy from HTTPS_PROXY and NO_PROXY",
	}
	for _, key := range []string{"find-links", "proxy"} {
		if s, ok := effective[key]; ok && strings.TrimSpace(s.Value) != "" {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s (%s) is ignored: %s", key, s.Source, ignored[key]))
		}
	}
	if th, ok := effective["trusted-host"]; ok && strings.TrimSpace(th.Value) != "" {
		return nil, &ConfigError{Source: th.Source, Value: th.Value, Err: ErrTrustedHost}
	}
	if s, ok := effective["no-index"]; ok {
		on, err := parseBool(s.Value)
		if err != nil {
			return nil, &ConfigError{Source: s.Source, Value: s.Value, Err: err}
		}
		c.NoIndex, c.NoIndexSource = on, s.Source
	}
	if f.NoIndex {
		c.NoIndex, c.NoIndexSource = true, "--no-index"
	}
	netrc, warnings, err := loadNetrc(getenv, opts.Home)
	if err != nil {
		return nil, err
	}
	c.netrc = netrc
	c.Warnings = append(c.Warnings, warnings...)
	c.Cert = effective["cert"]
	c.ClientCert = effective["client-cert"]

	c.indexURL = Setting{Value: DefaultIndexURL, Source: "pip's default index"}
	if s, ok := effective["index-url"]; ok {
		c.indexURL = s
	}
	if s, ok := effective["extra-index-url"]; ok {
		for _, u := range strings.Fields(s.Value) {
			c.extraURLs = append(c.extraURLs, Setting{Value: u, Source: s.Source})
		}
	}
	for _, u := range f.ExtraIndexURLs {
		c.extraURLs = append(c.extraURLs, Setting{Value: u, Source: "--extra-index-url"})
	}
	return c, c.build()
}

// ApplyRequirementFile applies a requirement file's own options as pip's
// req_file.handle_option_line does: --no-index empties the index list,
// --index-url replaces the primary index and every extra one configured
// elsewhere, --extra-index-url adds to the list. source names the file.
func (c *Config) ApplyRequirementFile(indexURL string, extraIndexURLs []string, noIndex bool, source string) error {
	if noIndex {
		c.NoIndex, c.NoIndexSource = true, source+" --no-index"
	}
	if c.NoIndex {
		return c.build()
	}
	if indexURL != "" {
		c.indexURL = Setting{Value: indexURL, Source: source + " --index-url"}
		c.extraURLs = nil
	}
	for _, u := range extraIndexURLs {
		c.extraURLs = append(c.extraURLs, Setting{Value: u, Source: source + " --extra-index-url"})
	}
	return c.build()
}

// build turns the URL settings into Indexes, refusing unusable ones.
func (c *Config) build() error {
	c.Indexes = nil
	if c.NoIndex {
		return nil
	}
	for _, s := range append([]Setting{c.indexURL}, c.extraURLs...) {
		ix, err := ParseIndexURL(s.Value, s.Source)
		if err != nil {
			return err
		}
		dup := false
		for _, have := range c.Indexes {
			dup = dup || have.URL == ix.URL
		}
		if !dup {
			c.Indexes = append(c.Indexes, ix)
		}
	}
	return nil
}

// AuthFor returns the Authorization header for rawURL: HTTP Basic with the
// credentials of an index whose URL carried them and whose origin (scheme,
// host, port) is rawURL's, else those of the .netrc "machine" entry for
// rawURL's host. It is asked for every request and every redirect
// hop (fetch/client's Options.Auth), so a file on another host, or a
// redirect there, goes without. Among indexes on one origin the one whose
// path is the longest prefix of rawURL's wins.
func (c *Config) AuthFor(rawURL string) (string, bool) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", false
	}
	o := origin(u)
	var best *Index
	for i := range c.Indexes {
		ix := &c.Indexes[i]
		if !ix.hasAuth || ix.origin != o {
			continue
		}
		if best == nil || underPath(u, ix.URL) && len(ix.URL) > len(best.URL) {
			best = ix
		}
	}
	if best != nil {
		return best.authHeader(), true
	}
	// Then ~/.netrc, as pip's HTTP library reads it: the entry for the
	// URL's host name (any port), whichever host that is.
	host := strings.ToLower(u.Hostname())
	for _, e := range c.netrc {
		if e.machine == host && (e.login != "" || e.password != "") {
			return "Basic " + base64.StdEncoding.EncodeToString([]byte(e.login+":"+e.password)), true
		}
	}
	return "", false
}

func underPath(u *url.URL, base string) bool {
	b, err := url.Parse(base)
	return err == nil && strings.HasPrefix(u.EscapedPath(), b.EscapedPath())
}

// IndexHosts are the hosts of the configured indexes, for presenting the
// client certificate to them alone.
func (c *Config) IndexHosts() []string {
	var hosts []string
	seen := map[string]bool{}
	for _, ix := range c.Indexes {
		if h := ix.Host(); !seen[h] {
			seen[h] = true
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// normalizeKey is pip's _normalize_name: lowercase, "_" → "-", a leading
// "--" dropped.
func normalizeKey(k string) string {
	k = strings.ToLower(strings.ReplaceAll(k, "_", "-"))
	return strings.TrimPrefix(k, "--")
}

// parseBool is Python's strtobool, which pip applies to boolean options.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "y", "yes", "t", "true", "on", "1":
		return true, nil
	case "n", "no", "f", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("want a boolean (yes/no, true/false, on/off, 1/0)")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
