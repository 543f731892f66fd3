package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/verify"
)

// Native is what the project's own package-manager configuration says
// about release-age cooldowns and install scripts (README "Honour what
// projects already wrote"). airlock.toml wins where both speak: a
// min_release_age in airlock.toml's [policy] (or AIRLOCK_MIN_RELEASE_AGE)
// replaces every native cooldown, and an explicit [scripts] allow (even
// an empty one) replaces every native script allowance. A project that
// told its tools to run no script at all (.npmrc ignore-scripts,
// pnpm-workspace.yaml ignoreScripts) gets no native script allowance
// (Config.IgnoreNativeScripts); airlock.toml's own allow still applies.
//
// Among the native sources nothing is dropped: each tool's statement is
// honoured, so the cooldown for a package is the longest any source asks
// of it (a source's exclusions only lift that source's cooldown).
type Native struct {
	// JSAges are the JavaScript cooldowns read from files; .npmrc's are
	// added per install (NpmrcAges) since .npmrc has user and global
	// layers and environment overrides that fetch/npmrc resolves.
	JSAges []NativeAge
	// PythonAges are uv's exclude-newer cutoffs.
	PythonAges []NativeAge
	// Scripts are the install-script decisions, allowances and refusals.
	Scripts []NativeScript
	// Read lists the files that were read (and held something airlock
	// honours or reports).
	Read []string
	// Notes are settings airlock read but does not honour, and why.
	Notes []string
	// IgnoreScripts, when set, says where a native file told its tool to
	// run no install script at all (pnpm-workspace.yaml ignoreScripts:
	// true): the native allowances are then withdrawn
	// (Config.IgnoreNativeScripts). .npmrc's ignore-scripts is applied per
	// install, as .npmrc has layers fetch/npmrc resolves.
	IgnoreScripts string

	// packageManager is package.json's packageManager, which says whether
	// yarn's built-in cooldown applies (loadYarnrcs).
	packageManager string
}

// NativeAge is one release-age cooldown written in a native tool's
// configuration.
type NativeAge struct {
	// Tool is "npm", "pnpm", "bun", "yarn" or "uv".
	Tool string
	// Age is the cooldown. For a cutoff (uv's exclude-newer timestamp)
	// it is zero and Cutoff is set.
	Age time.Duration
	// Cutoff, when set, refuses releases published after it (uv's
	// exclude-newer = TIMESTAMP): a cooldown of now − Cutoff.
	Cutoff time.Time
	// From says where and how it was written, with the unit:
	// "pnpm-workspace.yaml:3 minimumReleaseAge: 1440 (minutes)".
	From string
	// Default marks pnpm 11's built-in cooldown, which applies only when
	// no pnpm setting says otherwise.
	Default bool
	// Packages are per-package exemptions (Age 0) or cooldowns.
	Packages []PackageAge
}

// PackageAge is a per-package exemption or cooldown of a NativeAge.
type PackageAge struct {
	Pattern string // a name or a glob with *
	Age     time.Duration
	Cutoff  time.Time
	From    string
}

// NativeScript is one install-script decision from native configuration.
type NativeScript struct {
	Rule verify.DenyRule
	// Allow is false for an explicit refusal (pnpm's allowBuilds false or
	// neverBuiltDependencies, allowScripts false), which removes the
	// package from every native allowance.
	Allow bool
	From  string
}

// maxNativeFile caps each native file read; they are a few KB.
const maxNativeFile = 4 << 20

// pnpm11DefaultAge is pnpm 11's built-in minimumReleaseAge (1440 minutes;
// pnpm11/config/reader/src/index.ts).
const pnpm11DefaultAge = 24 * time.Hour

// LoadNative reads the native configuration of projectDir: package.json and
// pnpm-workspace.yaml in it; yarn's .yarnrc.yml files in it, in every
// parent directory and in the home directory; bunfig.toml in it over bun's
// global bunfig; and uv's configuration as uv finds it, up the directory
// tree and at user and system level (loadYarnrcs, loadBunfigs, loadUV:
// nativelayers.go). getenv supplies HOME, XDG_CONFIG_HOME and the YARN_*
// and UV_* variables the tools read. A missing
// file is not an error; a file that exists but cannot be read as its tool
// reads it is, because a cooldown or a script decision the project wrote
// must not be silently dropped.
func LoadNative(projectDir string, getenv func(string) string) (*Native, error) {
	n := &Native{}
	if projectDir == "" {
		return n, nil
	}
	readers := []struct {
		name string
		read func(*Native, string, []byte) error
	}{
		{"package.json", (*Native).readPackageJSON},
		{"pnpm-workspace.yaml", (*Native).readPnpmWorkspace},
	}
	for _, r := range readers {
		path := filepath.Join(projectDir, r.name)
		data, ok, err := readLayer(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		count := func() int {
			return len(n.JSAges) + len(n.PythonAges) + len(n.Scripts) + len(n.Notes) + len(n.IgnoreScripts)
		}
		before := count()
		if err := r.read(n, path, data); err != nil {
			return nil, nativeFileErr(path, err)
		}
		if count() > before {
			n.Read = append(n.Read, path)
		}
	}
	if err := n.loadYarnrcs(projectDir, getenv); err != nil {
		return nil, err
	}
	if err := n.loadBunfigs(projectDir, getenv); err != nil {
		return nil, err
	}
	if err := n.loadUV(projectDir, getenv); err != nil {
		return nil, err
	}
	// pnpm 11's default cooldown yields to any pnpm setting, zero included.
	explicitPnpm := false
	for _, a := range n.JSAges {
		explicitPnpm = explicitPnpm || (a.Tool == "pnpm" && !a.Default)
	}
	if explicitPnpm {
		n.JSAges = dropDefaults(n.JSAges)
	}
	return n, nil
}

// dropDefaults drops pnpm 11's default cooldown, which any pnpm setting
// replaces. yarn's default is settled among yarn's own layers
// (loadYarnrcs), so no other tool's setting drops it.
func dropDefaults(ages []NativeAge) []NativeAge {
	var out []NativeAge
	for _, a := range ages {
		if !a.Default || a.Tool != "pnpm" {
			out = append(out, a)
		}
	}
	return out
}

// packageJSON holds the package.json fields airlock honours.
type packageJSON struct {
	PackageManager      string                     `json:"packageManager"`
	TrustedDependencies []string                   `json:"trustedDependencies"`
	AllowScripts        map[string]json.RawMessage `json:"allowScripts"`
	Pnpm                struct {
		OnlyBuiltDependencies    []string                   `json:"onlyBuiltDependencies"`
		NeverBuiltDependencies   []string                   `json:"neverBuiltDependencies"`
		IgnoredBuiltDependencies []string                   `json:"ignoredBuiltDependencies"`
		AllowBuilds              map[string]json.RawMessage `json:"allowBuilds"`
	} `json:"pnpm"`
	Lavamoat struct {
		AllowScripts map[string]bool `json:"allowScripts"`
	} `json:"lavamoat"`
}

func (n *Native) readPackageJSON(path string, data []byte) error {
	var p packageJSON
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("not valid package.json: %v", err)
	}
	base := filepath.Base(path)
	n.packageManager = p.PackageManager
	// bun: the explicit list only. bun's built-in list of packages it
	// trusts by default is its own judgement, not the project's.
	for _, name := range p.TrustedDependencies {
		n.addScript(name, true, base+" trustedDependencies")
	}
	for _, spec := range p.Pnpm.OnlyBuiltDependencies {
		n.addScript(spec, true, base+" pnpm.onlyBuiltDependencies")
	}
	for _, spec := range p.Pnpm.NeverBuiltDependencies {
		n.addScript(spec, false, base+" pnpm.neverBuiltDependencies")
	}
	for _, spec := range p.Pnpm.IgnoredBuiltDependencies {
		n.addScript(spec, false, base+" pnpm.ignoredBuiltDependencies")
	}
	if err := n.readAllowBuilds(p.Pnpm.AllowBuilds, base+" pnpm.allowBuilds"); err != nil {
		return err
	}
	n.readAllowScripts(p.AllowScripts, base+" allowScripts")
	// LavaMoat allow-scripts keys are dependency paths ("a>b>esbuild");
	// airlock's allowances are per package, so the last package is
	// allowed wherever it is installed.
	for _, key := range slices.Sorted(maps.Keys(p.Lavamoat.AllowScripts)) {
		if key == "$root$" {
			continue
		}
		name := key[strings.LastIndex(key, ">")+1:]
		n.addScript(name, p.Lavamoat.AllowScripts[key], base+" lavamoat.allowScripts "+strconv.Quote(key))
	}
	if major, ok := pnpmMajor(p.PackageManager); ok && major >= 11 {
		n.JSAges = append(n.JSAges, NativeAge{Tool: "pnpm", Age: pnpm11DefaultAge, Default: true,
			From: fmt.Sprintf("pnpm 11's default minimumReleaseAge (1440 minutes), as %s packageManager is %q", base, p.PackageManager)})
	}
	return nil
}

// pnpmMajor reads the major version of packageManager "pnpm@11.1.0+sha512...".
func pnpmMajor(pm string) (int, bool) {
	v, ok := strings.CutPrefix(pm, "pnpm@")
	if !ok {
		return 0, false
	}
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	return n, err == nil
}

// addScript records a script decision; entries airlock cannot read as a
// package name or name@range (pnpm's git and tarball keys) are noted and
// not honoured, which leaves their scripts off.
func (n *Native) addScript(spec string, allow bool, from string) {
	specs, err := ParseScriptSpecs(from, []string{spec})
	if err != nil || strings.ContainsAny(specs[0].Pattern, ":/") && !strings.HasPrefix(specs[0].Pattern, "@") {
		n.Notes = append(n.Notes, fmt.Sprintf("%s: %q is not a package name or name@version airlock can match; not honoured (its scripts stay off)", from, spec))
		return
	}
	n.Scripts = append(n.Scripts, NativeScript{Rule: specs[0], Allow: allow, From: from})
}

// readAllowScripts reads package.json's allowScripts as both tools that
// write it do: npm's (npm approve-scripts) maps "name" or "name@version" to
// true or false; dominykas/allow-scripts maps a name to true, false or a
// semver range of the versions allowed ("*" for all), and its first
// releases nested that map under "install". A value of another shape is
// not honoured (its scripts stay off) and said in a note: a project's
// allowance airlock cannot read must not stop the install.
func (n *Native) readAllowScripts(m map[string]json.RawMessage, from string) {
	for _, key := range slices.Sorted(maps.Keys(m)) {
		raw := bytes.TrimSpace(m[key])
		var r string
		switch {
		case string(raw) == "true" || string(raw) == "false":
			n.addScript(key, string(raw) == "true", from)
		case json.Unmarshal(raw, &r) == nil:
			if r = strings.TrimSpace(r); r == "" || r == "*" {
				n.addScript(key, true, from)
			} else {
				n.addScript(key+"@"+r, true, from)
			}
		case key == "install" && len(raw) > 0 && raw[0] == '{':
			var inner map[string]json.RawMessage
			if json.Unmarshal(raw, &inner) == nil {
				n.readAllowScripts(inner, from+".install")
				continue
			}
			fallthrough
		default:
			n.Notes = append(n.Notes, fmt.Sprintf("%s: %q = %s is not true, false or a version range; not honoured (its scripts stay off)", from, key, raw))
		}
	}
}

// readAllowBuilds reads pnpm's allowBuilds map: true allows, false
// refuses, and pnpm's placeholder string (a build awaiting a decision)
// allows nothing (pnpm11/building/policy createAllowBuildFunction).
func (n *Native) readAllowBuilds(m map[string]json.RawMessage, from string) error {
	for _, key := range slices.Sorted(maps.Keys(m)) {
		switch v := string(bytes.TrimSpace(m[key])); v {
		case "true", "false":
			n.addScript(key, v == "true", from)
		default:
			if !strings.HasPrefix(v, `"`) {
				return fmt.Errorf("%s %q: want true, false or a string, got %s", from, key, v)
			}
		}
	}
	return nil
}

func (n *Native) readPnpmWorkspace(path string, data []byte) error {
	doc, err := lockpnpm.ParseYAML(data)
	if err != nil {
		return fmt.Errorf("airlock reads a strict subset of YAML: %w", err)
	}
	if doc.Kind == lockpnpm.YAMLNull {
		return nil
	}
	if doc.Kind != lockpnpm.YAMLMap {
		return errors.New("not a mapping of settings")
	}
	base := filepath.Base(path)
	at := func(key string) string { return fmt.Sprintf("%s:%d %s", base, doc.Fields[key].Line, key) }
	if v := doc.Get("minimumReleaseAge"); v != nil {
		minutes, err := nonNegative(v)
		if err != nil {
			return fmt.Errorf("minimumReleaseAge (line %d): %w; pnpm counts it in minutes", v.Line, err)
		}
		a := NativeAge{Tool: "pnpm", Age: scale(minutes, time.Minute), From: fmt.Sprintf("%s: %s (minutes)", at("minimumReleaseAge"), v.Value)}
		excl, err := yamlStrings(doc.Get("minimumReleaseAgeExclude"))
		if err != nil {
			return fmt.Errorf("minimumReleaseAgeExclude: %w", err)
		}
		for _, e := range excl {
			n.addExclusion(&a, e, at("minimumReleaseAgeExclude"))
		}
		n.JSAges = append(n.JSAges, a)
	}
	for key, allow := range map[string]bool{"onlyBuiltDependencies": true, "neverBuiltDependencies": false, "ignoredBuiltDependencies": false} {
		specs, err := yamlStrings(doc.Get(key))
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		for _, s := range specs {
			n.addScript(s, allow, at(key))
		}
	}
	// pnpm's ignoreScripts: no script runs, whatever the allow lists say
	// (pnpm's build step is skipped before allowBuilds is consulted).
	if v := doc.Get("ignoreScripts"); v != nil && v.Kind != lockpnpm.YAMLNull {
		if v.Kind != lockpnpm.YAMLScalar || v.Quoted || (v.Value != "true" && v.Value != "false") {
			return fmt.Errorf("ignoreScripts (line %d): want true or false", v.Line)
		}
		if v.Value == "true" {
			n.IgnoreScripts = at("ignoreScripts") + ": true"
		}
	}
	if v := doc.Get("allowBuilds"); v != nil && v.Kind != lockpnpm.YAMLNull {
		if v.Kind != lockpnpm.YAMLMap {
			return fmt.Errorf("allowBuilds (line %d): want a mapping of packages to true or false", v.Line)
		}
		for _, key := range v.Keys {
			f := v.Fields[key]
			from := fmt.Sprintf("%s:%d allowBuilds", base, f.Line)
			switch {
			case f.Kind == lockpnpm.YAMLScalar && !f.Quoted && (f.Value == "true" || f.Value == "false"):
				n.addScript(key, f.Value == "true", from)
			case f.Kind == lockpnpm.YAMLScalar:
				// pnpm's "set this to true or false" placeholder: no decision.
			default:
				return fmt.Errorf("allowBuilds %q (line %d): want true or false", key, f.Line)
			}
		}
	}
	sortScripts(n.Scripts)
	return nil
}

// sortScripts keeps map-order reads deterministic.
func sortScripts(s []NativeScript) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].From < s[j].From })
}

// addExclusion adds a cooldown exemption. Versioned exclusions
// ("nx@21.6.5") would exempt only those versions; airlock's per-package
// rules are by name, so they are not honoured: the cooldown still applies
// (stricter), and the note says so.
func (n *Native) addExclusion(a *NativeAge, pattern, from string) {
	if i := strings.Index(pattern[min(1, len(pattern)):], "@"); i >= 0 || pattern == "" {
		n.Notes = append(n.Notes, fmt.Sprintf("%s: %q exempts particular versions, which airlock cannot express; the cooldown still applies to that package (exempt it with [policy.packages.\"NAME\"] min_release_age = \"0\" in airlock.toml after review)", from, pattern))
		return
	}
	a.Packages = append(a.Packages, PackageAge{Pattern: pattern, From: from})
}

func yamlStrings(v *lockpnpm.YAMLNode) ([]string, error) {
	if v == nil || v.Kind == lockpnpm.YAMLNull {
		return nil, nil
	}
	if v.Kind != lockpnpm.YAMLSeq {
		return nil, fmt.Errorf("line %d: want a list of package names", v.Line)
	}
	var out []string
	for _, it := range v.Items {
		if it.Kind != lockpnpm.YAMLScalar || it.Value == "" {
			return nil, fmt.Errorf("line %d: want a package name", it.Line)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

// nonNegative reads a YAML scalar as a non-negative number.
func nonNegative(v *lockpnpm.YAMLNode) (float64, error) {
	if v.Kind != lockpnpm.YAMLScalar || v.Quoted {
		return 0, errors.New("want a number")
	}
	return parseAmount(v.Value)
}

func parseAmount(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, fmt.Errorf("%q is not a non-negative number", s)
	}
	return f, nil
}

// maxAge bounds a native cooldown so that scaling cannot overflow; a
// century refuses everything as surely.
const maxAge = 100 * 365 * 24 * time.Hour

func scale(amount float64, unit time.Duration) time.Duration {
	d := amount * float64(unit)
	if d > float64(maxAge) {
		return maxAge
	}
	return time.Duration(d)
}

// yarnDuration is yarn's DURATION setting syntax (yarn-core miscUtils
// parseDuration): a number with an optional unit and nothing between
// them; a bare number is in the setting's unit (minutes for
// npmMinimalAgeGate).
var yarnDuration = regexp.MustCompile(`^(\d*\.?\d+)(ms|s|m|h|d|w)?$`)

var yarnUnits = map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour, "": time.Minute}

// parseYarnGate reads an npmMinimalAgeGate value and names its unit.
func parseYarnGate(v string) (time.Duration, string, error) {
	m := yarnDuration.FindStringSubmatch(v)
	if m == nil {
		return 0, "", fmt.Errorf("npmMinimalAgeGate = %q: want minutes, or a number with a unit (ms, s, m, h, d, w) such as \"3d\"", v)
	}
	amount, _ := strconv.ParseFloat(m[1], 64)
	unit := "minutes"
	if m[2] != "" {
		unit = m[2]
	}
	return scale(amount, yarnUnits[m[2]]), unit, nil
}

// uvFriendly is a "friendly" duration as uv reads it ("7 days", "1 week",
// "24 hours", "2 weeks 3 days"); months and years are refused, as their
// length varies.
var uvFriendly = regexp.MustCompile(`(?i)^\s*(?:(\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)\s*,?\s*)+$`)
var uvFriendlyPart = regexp.MustCompile(`(?i)(\d+)\s*(weeks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)`)

// uvISO is an ISO 8601 duration without months or years ("P7D", "PT12H").
var uvISO = regexp.MustCompile(`^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseUVExcludeNewer reads uv's exclude-newer: an RFC 3339 timestamp
// ("2024-03-25T00:00:00Z"), a date ("2024-03-25", midnight UTC), a
// friendly duration ("7 days") or an ISO 8601 duration ("P7D"). A
// timestamp is a cutoff; a duration a cooldown.
func parseUVExcludeNewer(s string) (time.Duration, time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return 0, t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return 0, t, nil
	}
	if uvFriendly.MatchString(s) {
		var total time.Duration
		for _, m := range uvFriendlyPart.FindAllStringSubmatch(s, -1) {
			v, err := strconv.ParseInt(m[1], 10, 32)
			if err != nil {
				return 0, time.Time{}, fmt.Errorf("%q: number too large", s)
			}
			total += time.Duration(v) * friendlyUnit(strings.ToLower(m[2]))
		}
		return min(total, maxAge), time.Time{}, nil
	}
	if m := uvISO.FindStringSubmatch(s); m != nil && s != "P" && s != "PT" {
		units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
		var total time.Duration
		for i, u := range units {
			if m[i+1] != "" {
				v, err := strconv.ParseInt(m[i+1], 10, 32)
				if err != nil {
					return 0, time.Time{}, fmt.Errorf("%q: number too large", s)
				}
				total += time.Duration(v) * u
			}
		}
		return min(total, maxAge), time.Time{}, nil
	}
	return 0, time.Time{}, fmt.Errorf("%q: want an RFC 3339 timestamp (\"2024-03-25T00:00:00Z\"), a date, or a duration such as \"7 days\" or \"P7D\" (months and years are not accepted)", s)
}

func friendlyUnit(u string) time.Duration {
	switch {
	case strings.HasPrefix(u, "w"):
		return 7 * 24 * time.Hour
	case strings.HasPrefix(u, "d"):
		return 24 * time.Hour
	case strings.HasPrefix(u, "h"):
		return time.Hour
	case strings.HasPrefix(u, "m"):
		return time.Minute
	}
	return time.Second
}

// NpmrcSetting is one .npmrc value as fetch/npmrc resolved it.
type NpmrcSetting struct {
	Value  string
	Source string // file path or "env npm_config_x"
}

// NpmrcAges reads .npmrc's cooldowns: npm's min-release-age (days, npm
// 11.10 and later) and pnpm's minimum-release-age (minutes) with its
// minimum-release-age-exclude list. get returns a key's effective value.
func NpmrcAges(get func(key string) (NpmrcSetting, bool), getAll func(key string) []string) ([]NativeAge, error) {
	var out []NativeAge
	if v, ok := get("min-release-age"); ok && v.Value != "null" && v.Value != "" {
		days, err := parseAmount(v.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: min-release-age=%s: %w; npm counts it in days", v.Source, v.Value, err)
		}
		out = append(out, NativeAge{Tool: "npm", Age: scale(days, 24*time.Hour), From: fmt.Sprintf("%s min-release-age=%s (days)", v.Source, v.Value)})
	}
	if v, ok := get("minimum-release-age"); ok && v.Value != "null" && v.Value != "" {
		minutes, err := parseAmount(v.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: minimum-release-age=%s: %w; pnpm counts it in minutes", v.Source, v.Value, err)
		}
		a := NativeAge{Tool: "pnpm", Age: scale(minutes, time.Minute), From: fmt.Sprintf("%s minimum-release-age=%s (minutes)", v.Source, v.Value)}
		n := &Native{}
		for _, e := range getAll("minimum-release-age-exclude") {
			for _, p := range strings.Split(e, ",") {
				if p = strings.TrimSpace(p); p != "" {
					n.addExclusion(&a, p, v.Source+" minimum-release-age-exclude")
				}
			}
		}
		out = append(out, a)
	}
	return out, nil
}
