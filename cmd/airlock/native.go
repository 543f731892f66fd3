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
