package main

import (
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/verify"
)

// npmrcAges are the release-age cooldowns .npmrc states (npm's
// min-release-age in days, pnpm's minimum-release-age in minutes), from
// whichever layer fetch/npmrc resolved them: project, user, global or
// npm_config_* variables.
func npmrcAges(rc *npmrc.Config) ([]config.NativeAge, error) {
	if rc == nil {
		return nil, nil
	}
	get := func(key string) (config.NpmrcSetting, bool) {
		v, ok := rc.Get(key)
		return config.NpmrcSetting{Value: v.Value, Source: v.Source}, ok
	}
	ages, err := config.NpmrcAges(get, rc.GetAll)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return ages, nil
}

// jsPolicy is the policy a JavaScript install evaluates: airlock.toml's,
// with the cooldowns of package.json, pnpm-workspace.yaml, bunfig.toml,
// .yarnrc.yml and .npmrc where airlock.toml sets none.
func jsPolicy(cfg *config.Config, rc *npmrc.Config) (*verify.Policy, error) {
	ages, err := npmrcAges(rc)
	if err != nil {
		return nil, err
	}
	return cfg.PolicyFor(config.JS, ages...), nil
}

// ignoreNativeScripts withdraws the project's native script allowances
// (package.json trustedDependencies, pnpm's onlyBuiltDependencies, ...)
// when its npm configuration, from whichever layer fetch/npmrc resolved it
// (npm_config_ignore_scripts, the project's, the user's or the global
// .npmrc), says ignore-scripts: the project told its tools to run no
// script, and npm, pnpm and yarn 1 then run none whatever those lists say.
func ignoreNativeScripts(cfg *config.Config, rc *npmrc.Config) {
	if rc == nil {
		return
	}
	v, ok := rc.Get("ignore-scripts")
	if !ok {
		return
	}
	if by, on := config.NpmrcIgnoresScripts(config.NpmrcSetting{Value: v.Value, Source: v.Source}); on {
		cfg.IgnoreNativeScripts(by)
	}
}

// withdrawnHint names the installed packages with scripts that a native
// setting would have allowed but ignore-scripts withdrew, and how to run
// them anyway; "" when there are none.
func withdrawnHint(s config.Scripts, pkgs []scriptPackage) string {
	var b strings.Builder
	n := 0
	for _, p := range pkgs {
		if from := s.NativeOffFrom(p.name, p.version); from != "" {
			fmt.Fprintf(&b, "\n\t%s: allowed by %s", p.id(), from)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("not running the install scripts of %d package(s) that the project's native settings allow: %s tells its package managers to run no install script, so those allowances do not apply:%s\nto run them in airlock's sandbox anyway, list them in airlock.toml [scripts] allow (or pass --allow-scripts)", n, s.NativeOffBy, b.String())
}

// nativeAllowHint explains, for packages whose scripts the project's
// native configuration allowed (not airlock.toml), where that was and how
// to install without running them: an explicit [scripts] allow in
// airlock.toml replaces the native allowances.
func nativeAllowHint(s config.Scripts, run []scriptPackage) string {
	var b strings.Builder
	for _, p := range run {
		if from := s.NativeAllowFrom(p.name, p.version); from != "" {
			fmt.Fprintf(&b, "\n\t%s: allowed by %s", p.id(), from)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + "\nairlock honours those settings by running the scripts in its sandbox only. To install without running them, write the allow list airlock should use in airlock.toml, e.g. [scripts] allow = [] (an explicit list replaces the native ones); or run on a machine where the sandbox works"
}
