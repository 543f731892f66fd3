package npmrc

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a caller can branch on with errors.Is. A *ConfigError wraps one of
// them with the file (or variable) and key it concerns.
var (
	// ErrStrictSSLOff: strict-ssl=false is configured.
	ErrStrictSSLOff = errors.New("airlock never disables certificate checks; " +
		"if your registry uses a private CA, set cafile=/path/to/ca.pem in .npmrc or ca_file in airlock.toml, " +
		"and remove strict-ssl=false")
	// ErrInsecureURL: a registry or tarball URL is not https://.
	ErrInsecureURL = errors.New("airlock only downloads over https://; change the URL to https:// " +
		"(every public registry and mirror serves https)")
	// ErrBadURL: a registry or tarball URL does not parse or is not absolute.
	ErrBadURL = errors.New("not an absolute https:// URL")
	// ErrCredentialsInURL: a registry URL carries user:password@.
	ErrCredentialsInURL = errors.New("credentials in a registry URL are not used; " +
		"remove them from the URL and set //host/:_auth or //host/:_authToken instead")
	// ErrUnscopedAuth: a credential key that npm 9+ refuses unless it is
	// scoped to a registry ("//host/:_authToken").
	ErrUnscopedAuth = errors.New("credential not scoped to a registry")
	// ErrNotRegistry: a tarball URL on a host (or path) that is not a
	// configured registry. The lockfile or the registry metadata chose
	// where to download from; airlock downloads only from registries the
	// configuration names. *HostError says which host and how to allow it.
	ErrNotRegistry = errors.New("not a configured registry")
	// ErrBadPackage: a package name or version cannot form a registry URL.
	ErrBadPackage = errors.New("invalid package name or version")
	// ErrTooLarge: a config file exceeds MaxFileSize.
	ErrTooLarge = errors.New("config file too large")
)

// ConfigError is a refused or malformed setting. Its message names where the
// setting came from and never contains a credential.
type ConfigError struct {
	Source string // file path or "env npm_config_x"; empty for a lockfile value
	Key    string // the configuration key, or "" for a whole file
	Detail string // what was found, already redacted
	Err    error  // one of the Err* values above
}

func (e *ConfigError) Error() string {
	msg := ""
	if e.Source != "" {
		msg = e.Source + ": "
	}
	if e.Key != "" {
		msg += e.Key + ": "
	}
	if e.Detail != "" {
		msg += e.Detail + ": "
	}
	return msg + e.Err.Error()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// HostError is a tarball URL outside every configured registry. It matches
// ErrNotRegistry and names the host and the .npmrc line that would allow it.
type HostError struct {
	Package string // name@version
	URL     string // redacted
	Host    string // host[:port] of URL
	// Registries lists the configured registries, for the message.
	Registries []string
	// SameHost: a registry is on Host, but URL is outside its path.
	SameHost bool
	// RelockHint is the command that rewrites the lockfile (Config's);
	// "" means npm's. .npmrc serves pnpm, yarn 1 and bun projects too.
	RelockHint string
}

func (e *HostError) Error() string {
	relock := e.RelockHint
	if relock == "" {
		relock = defaultRelockHint
	}
	if e.SameHost {
		return fmt.Sprintf("%s: tarball URL %s is on a registry's host but outside its path (configured: %s); "+
			"airlock downloads only from below the registries .npmrc names: regenerate the lockfile against your registry "+
			"with `%s`, or configure that path as a registry in .npmrc",
			e.Package, e.URL, strings.Join(e.Registries, ", "), relock)
	}
	return fmt.Sprintf("%s: tarball URL %s is on %s, which is not a configured registry (configured: %s); "+
		"airlock downloads only from registries .npmrc names. If %s is a registry you trust, add "+
		"\"registry=https://%s/\" (or \"@scope:registry=https://%s/\" for one scope) to the project's .npmrc; "+
		"otherwise regenerate the lockfile against your registry with `%s`",
		e.Package, e.URL, e.Host, strings.Join(e.Registries, ", "), e.Host, e.Host, e.Host, relock)
}

func (e *HostError) Is(target error) bool { return target == ErrNotRegistry }

// defaultRelockHint is npm's re-lock command (verify.DefaultRelockHint,
// which this package does not import).
const defaultRelockHint = "npm install --package-lock-only"

func unscopedAuthError(source, key, nerfedRegistry string) *ConfigError {
	var detail string
	switch key {
	case "_authtoken", "-authtoken":
		detail = fmt.Sprintf("npm no longer allows %q here; delete it and set %s:_authToken instead", key, nerfedRegistry)
	default:
		detail = fmt.Sprintf("npm requires it to be renamed to %s:%s (run `npm config fix`)", nerfedRegistry, key)
	}
	return &ConfigError{Source: source, Key: key, Detail: detail, Err: ErrUnscopedAuth}
}
