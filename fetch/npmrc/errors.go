package npmrc

import (
	"errors"
	"fmt"
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
