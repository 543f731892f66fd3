package config

import (
	"fmt"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/verify"
)

// Scripts is [scripts]: which packages' install scripts airlock runs, in the
// sandbox, after the tree is in place. Entries use deny's syntax: a name, a
// glob ("@scope/*") or NAME@RANGE ("sharp@^0.33").
type Scripts struct {
	// Allow lists the packages whose scripts run; nothing else's do.
	Allow []verify.DenyRule
	// Network lists allowed packages that may use the network (prebuilt
	// binary downloads); the rest run with none.
	Network []verify.DenyRule
	// Optional lists allowed packages whose script may fail without
	// failing the install (a warning instead).
	Optional []verify.DenyRule
	// Reviewed lists allowed packages whose static-analysis errors a person
	// has looked at: their scripts run despite them.
	Reviewed []verify.DenyRule
	// Timeout bounds one package's scripts; 0 means the sandbox default.
	Timeout time.Duration
	// NativeAllow are the entries of Allow that came from the project's
	// native configuration (package.json trustedDependencies, pnpm's
	// onlyBuiltDependencies, ...), with where each was written.
	NativeAllow []NativeScript
	// NativeOff are the native allowances not applied because the
	// project told its tools to run no script at all (IgnoreNativeScripts),
	// and NativeOffBy says where: ".npmrc ignore-scripts=true".
	NativeOff   []NativeScript
	NativeOffBy string
}

type scriptsFile struct {
	Allow    []string `toml:"allow"`
	Network  []string `toml:"network"`
	Optional []string `toml:"optional"`
	Reviewed []string `toml:"reviewed"`
	Timeout  string   `toml:"timeout"`
}

// ParseScriptSpecs parses --allow-scripts values and [scripts] lists.
func ParseScriptSpecs(what string, specs []string) ([]verify.DenyRule, error) {
	var rules []verify.DenyRule
	for _, s := range specs {
		r, err := verify.ParseDeny(s, npm.ParseRange)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// MatchScript reports whether the package name@version is named by rules.
func MatchScript(rules []verify.DenyRule, name, version string) bool {
	for _, r := range rules {
		if verify.MatchName(r.Pattern, name) && (r.Range == "" || npm.Satisfies(version, r.Range)) {
			return true
		}
	}
	return false
}

func (c *Config) readScripts(path string, md toml.MetaData, f scriptsFile) error {
	var err error
	if c.Scripts.Allow, err = ParseScriptSpecs(path+": [scripts] allow", f.Allow); err != nil {
		return err
	}
	if c.Scripts.Network, err = ParseScriptSpecs(path+": [scripts] network", f.Network); err != nil {
		return err
	}
	if c.Scripts.Optional, err = ParseScriptSpecs(path+": [scripts] optional", f.Optional); err != nil {
		return err
	}
	if c.Scripts.Reviewed, err = ParseScriptSpecs(path+": [scripts] reviewed", f.Reviewed); err != nil {
		return err
	}
	if md.IsDefined("scripts", "timeout") {
		d, err := time.ParseDuration(f.Timeout)
		if err != nil || d <= 0 {
			return fmt.Errorf("%s: [scripts] timeout = %q: want a duration such as \"10m\"", path, f.Timeout)
		}
		c.Scripts.Timeout = d
	}
	if md.IsDefined("scripts") {
		c.Sources["scripts"] = path
	}
	if md.IsDefined("scripts", "allow") {
		// An explicit allow, even [], replaces native allowances.
		c.Sources["scripts.allow"] = path
	}
	return nil
}
