package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

// Ecosystem selects the native cooldowns a policy takes: JavaScript
// tools' for npm, pnpm, yarn and bun installs, uv's for Python.
type Ecosystem int

const (
	JS Ecosystem = iota
	Python
)

// PolicyFor is the policy an install of eco evaluates: airlock.toml's
// [policy] (with AIRLOCK_* overrides), plus, when neither sets
// min_release_age in [policy], the cooldowns the project's native
// configuration states (Native, and extra: .npmrc's, from NpmrcAges).
// Native cooldowns become per-package rules labelled with where they were
// written; airlock.toml's [policy.packages] still win for the packages
// they name.
func (c *Config) PolicyFor(eco Ecosystem, extra ...NativeAge) *verify.Policy {
	ages, _ := c.NativeAges(eco, extra...)
	if len(ages) == 0 {
		return c.Policy
	}
	now := time.Now()
	if c.now != nil {
		now = c.now()
	}
	q := *c.Policy
	q.Overrides = append(nativeOverrides(ages, now), c.Policy.Overrides...)
	return &q
}

// NativeAges lists the native cooldowns that apply to eco, and, when
// airlock.toml or the environment sets min_release_age and so replaces
// them, where it did (the ages are then nil).
func (c *Config) NativeAges(eco Ecosystem, extra ...NativeAge) ([]NativeAge, string) {
	var ages []NativeAge
	if c.Native != nil {
		switch eco {
		case JS:
			ages = append(ages, c.Native.JSAges...)
		case Python:
			ages = append(ages, c.Native.PythonAges...)
		}
	}
	ages = append(ages, extra...)
	for _, a := range extra {
		if a.Tool == "pnpm" && !a.Default {
			ages = dropDefaults(ages)
			break
		}
	}
	if len(ages) == 0 {
		return nil, ""
	}
	if c.Policy != nil && c.Policy.Base.MinReleaseAge != nil {
		from := c.Sources["policy.min_release_age"]
		if from == "" {
			from = c.Policy.Source + " [policy]"
		}
		return nil, from
	}
	return ages, ""
}

// cooldown is a NativeAge's or PackageAge's cooldown at now.
func cooldown(age time.Duration, cutoff time.Time, now time.Time) time.Duration {
	if cutoff.IsZero() {
		return age
	}
	if d := now.Sub(cutoff); d > 0 {
		// A release at the cutoff itself is allowed: uv excludes only
		// what was uploaded after it.
		return d
	}
	return 0
}

// nativeOverrides turns native cooldowns into policy overrides. Each
// source's statement is honoured: a package's cooldown is the longest any
// source asks of it, where a source asks its own exemption or
// per-package cooldown of the packages its patterns name and its base
// cooldown of the rest. The base is an override of "*", which airlock.toml's
// own [policy.packages] (more specific, or equally specific and later)
// overrule.
func nativeOverrides(ages []NativeAge, now time.Time) []verify.Override {
	baseAge, baseFrom := time.Duration(-1), ""
	for _, a := range ages {
		if d := cooldown(a.Age, a.Cutoff, now); d > baseAge {
			baseAge, baseFrom = d, a.From
		}
	}
	out := []verify.Override{{Pattern: "*", Rules: verify.Rules{MinReleaseAge: &baseAge}, From: baseFrom}}

	var patterns []string
	seen := map[string]bool{}
	for _, a := range ages {
		for _, p := range a.Packages {
			if !seen[p.Pattern] {
				seen[p.Pattern] = true
				patterns = append(patterns, p.Pattern)
			}
		}
	}
	sort.Strings(patterns)
	for _, pat := range patterns {
		age, from := time.Duration(-1), ""
		var exempt []string
		for _, a := range ages {
			d, f := a.cooldownFor(pat, now)
			if d == 0 {
				exempt = append(exempt, f)
			}
			if d > age {
				age, from = d, f
			}
		}
		if age == 0 {
			from = strings.Join(exempt, "; ")
		}
		out = append(out, verify.Override{Pattern: pat, Rules: verify.Rules{MinReleaseAge: &age}, From: from})
	}
	return out
}

// cooldownFor is what source a asks of the packages pattern names: its
// most specific per-package entry matching them, else its base cooldown.
func (a NativeAge) cooldownFor(pattern string, now time.Time) (time.Duration, string) {
	best := -1
	for i, p := range a.Packages {
		// A pattern names the packages a glob of a's matches: "@corp/*"
		// matches the pattern "@corp/x" and, literally, "@corp/*" itself.
		if verify.MatchName(p.Pattern, pattern) && (best < 0 || len(p.Pattern) > len(a.Packages[best].Pattern)) {
			best = i
		}
	}
	if best >= 0 {
		p := a.Packages[best]
		return cooldown(p.Age, p.Cutoff, now), p.From
	}
	return cooldown(a.Age, a.Cutoff, now), a.From
}

// mergeNativeScripts adds the native script allowances to [scripts] allow
// unless airlock.toml set allow itself (even to []), which replaces them.
// An explicit refusal in any native source removes that package from
// every native allowance, and pnpm-workspace.yaml's ignoreScripts: true
// withdraws them all (IgnoreNativeScripts).
func (c *Config) mergeNativeScripts() {
	if c.Native == nil {
		return
	}
	c.addNativeAllowances()
	if c.Native.IgnoreScripts != "" {
		c.IgnoreNativeScripts(c.Native.IgnoreScripts)
	}
}

func (c *Config) addNativeAllowances() {
	if _, set := c.Sources["scripts.allow"]; set {
		return
	}
	refused := map[string]string{}
	for _, s := range c.Native.Scripts {
		if !s.Allow {
			refused[s.Rule.Pattern] = s.From
		}
	}
	seen := map[string]bool{}
	for _, s := range c.Native.Scripts {
		if !s.Allow || seen[s.Rule.Spec] {
			continue
		}
		if by, ok := refused[s.Rule.Pattern]; ok {
			c.Native.Notes = append(c.Native.Notes, fmt.Sprintf("%s allows %s, but %s refuses it; its scripts stay off", s.From, s.Rule.Spec, by))
			continue
		}
		seen[s.Rule.Spec] = true
		c.Scripts.Allow = append(c.Scripts.Allow, s.Rule)
		c.Scripts.NativeAllow = append(c.Scripts.NativeAllow, s)
	}
}

// IgnoreNativeScripts withdraws the native script allowances, because
// the project told its package manager to run no script at all (by says
// where: ".npmrc ignore-scripts=true", pnpm-workspace.yaml's
// ignoreScripts). npm, pnpm and bun then run none, whatever
// trustedDependencies, onlyBuiltDependencies, allowBuilds or allowScripts
// say; so airlock runs none of them either. airlock.toml's own [scripts]
// allow and --allow-scripts are airlock's configuration, more specific,
// and still apply. Calling it again adds by to the reasons.
func (c *Config) IgnoreNativeScripts(by string) {
	for _, b := range strings.Split(c.Scripts.NativeOffBy, "; ") {
		if b == by {
			return
		}
	}
	if c.Scripts.NativeOffBy == "" {
		c.Scripts.NativeOffBy = by
	} else {
		c.Scripts.NativeOffBy += "; " + by
	}
	if len(c.Scripts.NativeAllow) == 0 {
		return
	}
	native := map[string]bool{}
	for _, n := range c.Scripts.NativeAllow {
		native[n.Rule.Spec] = true
	}
	var keep []verify.DenyRule
	for _, r := range c.Scripts.Allow {
		if !native[r.Spec] {
			keep = append(keep, r)
		}
	}
	c.Scripts.Allow = keep
	c.Scripts.NativeOff = append(c.Scripts.NativeOff, c.Scripts.NativeAllow...)
	c.Scripts.NativeAllow = nil
}

// NpmrcIgnoresScripts reads .npmrc's ignore-scripts as npm does
// (@npmcli/config parse-field, then nopt's Boolean): an empty value is
// true, "false", "null", "undefined" and numeric zero are false, and any
// other text is true. When it is true it returns where it was set, for
// IgnoreNativeScripts.
func NpmrcIgnoresScripts(v NpmrcSetting) (string, bool) {
	if !NpmBool(v.Value) {
		return "", false
	}
	return fmt.Sprintf("%s ignore-scripts=%s", v.Source, v.Value), true
}

// NpmBool reads an .npmrc value of a true/false setting as npm does (nopt's
// Boolean): empty is true (a bare key), "false", "null" and "undefined"
// are false, numbers are true unless zero, and anything else is true.
func NpmBool(s string) bool {
	switch s {
	case "":
		return true // "--foo is like --foo=true for boolean types"
	case "false", "null", "undefined":
		return false
	}
	if strings.ContainsAny(s, "_") {
		return true // JavaScript's Number() takes no digit separators
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(strings.ToLower(s), "xinp") {
		return f != 0
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil && len(s) > 2 && s[0] == '0' && strings.ContainsAny(s[1:2], "xXoObB") {
		return n != 0
	}
	return true
}

// NativeAllowFrom says which native setting allowed the scripts of
// name@version, or "" when airlock.toml or a flag did (or nothing).
func (s Scripts) NativeAllowFrom(name, version string) string {
	return nativeFrom(s.NativeAllow, name, version)
}

// NativeOffFrom says which native setting would have allowed the scripts
// of name@version had IgnoreNativeScripts not withdrawn it, or "".
func (s Scripts) NativeOffFrom(name, version string) string {
	return nativeFrom(s.NativeOff, name, version)
}

func nativeFrom(list []NativeScript, name, version string) string {
	var from []string
	for _, n := range list {
		if MatchScript([]verify.DenyRule{n.Rule}, name, version) {
			from = append(from, n.From)
		}
	}
	return strings.Join(from, ", ")
}
