package config

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/internal/safefile"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// yarn, bun and uv read more than the project directory's own file: yarn
// every .yarnrc.yml up the directory tree and the home one, bun a global
// bunfig under the user's home, uv the nearest uv.toml or pyproject.toml
// [tool.uv] up the directory tree, a user uv.toml and a system one. Each
// merges its layers key by key, the nearer layer winning; airlock reads the
// same files in the same order, so a cooldown a developer set for all their
// projects applies, and a project's own setting replaces it as it would in
// the tool. Settings a nearer layer replaced are listed in Native.Notes.

// etcDir is the system configuration root: uv's /etc/uv/uv.toml and the
// default $XDG_CONFIG_DIRS (/etc/xdg). A variable so tests never read the
// machine's own files.
var etcDir = "/etc"

// searchRoot is the last directory the upward searches (yarn's .yarnrc.yml
// files, uv's project configuration) read; "" is the filesystem root. A
// variable so tests never read the directories above their own.
var searchRoot = ""

// readLayer reads one configuration file; ok is false when it does not
// exist (or a path component is not a directory, as when HOME is a file).
// Any other failure is an error: a cooldown that may be written there
// must not be silently dropped.
func readLayer(path string) (data []byte, ok bool, err error) {
	data, err = safefile.Read(path, maxNativeFile)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w (airlock reads it for release-age cooldowns and install-script allowances: make it readable)", path, err)
	}
	return data, true, nil
}

// nativeFileErr wraps an error in a native file's contents.
func nativeFileErr(path string, err error) error {
	return fmt.Errorf("%s: %w (airlock reads it for release-age cooldowns and install-script allowances; see README \"Honour what projects already wrote\")", path, err)
}

// replaced notes a setting a nearer layer replaced.
func (n *Native) replaced(lower, winner, how string) {
	n.Notes = append(n.Notes, fmt.Sprintf("%s: not applied; %s takes precedence (%s)", lower, winner, how))
}

// bunGlobalConfig is bun's global bunfig: $XDG_CONFIG_HOME/.bunfig.toml,
// else $HOME/.bunfig.toml (bun src/cli/Arguments.zig getHomeConfigPath;
// the file sits directly in XDG_CONFIG_HOME, not in a bun folder).
func bunGlobalConfig(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, ".bunfig.toml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".bunfig.toml")
	}
	return ""
}

type bunfigFile struct {
	Install struct {
		MinimumReleaseAge         *float64  `toml:"minimumReleaseAge"`
		MinimumReleaseAgeExcludes *[]string `toml:"minimumReleaseAgeExcludes"`
	} `toml:"install"`
}

// loadBunfigs reads bun's global bunfig and then the project's bunfig.toml
// (bun reads it from the directory it runs in, never a parent). bun
// parses the global file first and the project's over it, so each key the
// project sets replaces the global one: minimumReleaseAge and
// minimumReleaseAgeExcludes independently, the list as a whole.
func (n *Native) loadBunfigs(projectDir string, getenv func(string) string) error {
	type layer struct{ path, label string }
	var layers []layer
	if g := bunGlobalConfig(getenv); g != "" {
		layers = append(layers, layer{g, g})
	}
	layers = append(layers, layer{filepath.Join(projectDir, "bunfig.toml"), "bunfig.toml"})
	const how = "bun reads the project's bunfig.toml over the global one, key by key"
	var (
		secs              float64
		ageFrom, exclFrom string
		excludes          []string
	)
	for _, l := range layers {
		data, ok, err := readLayer(l.path)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var f bunfigFile
		if _, err := toml.Decode(string(data), &f); err != nil {
			return nativeFileErr(l.path, err)
		}
		in := f.Install
		if in.MinimumReleaseAge != nil {
			s := *in.MinimumReleaseAge
			if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
				return nativeFileErr(l.path, fmt.Errorf("[install] minimumReleaseAge = %v: want a non-negative number of seconds", s))
			}
			from := fmt.Sprintf("%s [install] minimumReleaseAge = %s (seconds)", l.label, strconv.FormatFloat(s, 'f', -1, 64))
			if ageFrom != "" {
				n.replaced(ageFrom, from, how)
			}
			secs, ageFrom = s, from
		}
		if in.MinimumReleaseAgeExcludes != nil {
			from := l.label + " [install] minimumReleaseAgeExcludes"
			if exclFrom != "" {
				n.replaced(exclFrom, from, how)
			}
			excludes, exclFrom = *in.MinimumReleaseAgeExcludes, from
		}
		if in.MinimumReleaseAge != nil || in.MinimumReleaseAgeExcludes != nil {
			n.Read = append(n.Read, l.path)
		}
	}
	if ageFrom == "" {
		return nil
	}
	a := NativeAge{Tool: "bun", Age: scale(secs, time.Second), From: ageFrom}
	for _, e := range excludes {
		n.addExclusion(&a, e, exclFrom)
	}
	n.JSAges = append(n.JSAges, a)
	return nil
}

// yarn 2+ reads .yarnrc.yml ($YARN_RC_FILENAME when set) in the directory
// it runs in and in every parent up to the filesystem root, and
// ~/.yarnrc.yml, always by that name (yarn-core Configuration.find,
// findRcFiles, findFolderRcFile). The home file counts as the farthest,
// unless it is in the chain already. yarn merges them with resolveRcFiles
// (configUtils): a setting comes from the nearest file that sets it, but a
// list is the concatenation of every file's list, farthest first, stopping
// at a list marked onConflict: reset (kept) or hardReset (dropped, with
// every farther one); a file whose top level says onConflict: reset hides
// every file farther than it. YARN_* variables are applied before the
// files and win outright: yarn keeps the first source of a setting unless
// the setting is declared to concatenate, and these two are not.
const (
	yarnEnvGate        = "YARN_NPM_MINIMAL_AGE_GATE"
	yarnEnvPreapproved = "YARN_NPM_PREAPPROVED_PACKAGES"
	yarnEnvRcFilename  = "YARN_RC_FILENAME"
	yarnHomeRcFilename = ".yarnrc.yml"
)

// yarnDefaultGate is the npmMinimalAgeGate yarn 4.15 and later apply when
// no file or variable sets one (plugin-npm: "1d"; "0m" in 4.10 to 4.14).
const yarnDefaultGate = 24 * time.Hour

const (
	yarnHowFiles = "yarn reads the nearest .yarnrc.yml that sets it: the project's over its parent directories' over the home one"
	yarnHowList  = "yarn concatenates npmPreapprovedPackages across .yarnrc.yml files, nearest first, and stops at a list marked onConflict: reset or hardReset, at a value that is not a list, or at a file marked onConflict: reset"
	yarnHowEnv   = "yarn's environment variables override its .yarnrc.yml files"
)

// yarnrc is one .yarnrc.yml yarn reads.
type yarnrc struct {
	path, label string
	settings    *lockpnpm.YAMLNode // nil for an empty file
	onConflict  string             // the file's top-level onConflict
}

// readYarnrc reads one .yarnrc.yml; ok is false when there is none. yarn
// refuses a file that is not YAML or not a mapping, so airlock does too.
func readYarnrc(path, label string) (*yarnrc, bool, error) {
	data, ok, err := readLayer(path)
	if err != nil || !ok {
		return nil, false, err
	}
	doc, err := parseYarnrcYAML(data)
	if err != nil {
		return nil, false, nativeFileErr(path, err)
	}
	f := &yarnrc{path: path, label: label}
	switch doc.Kind {
	case lockpnpm.YAMLNull:
		return f, true, nil
	case lockpnpm.YAMLMap:
	default:
		return nil, false, nativeFileErr(path, errors.New("not a mapping of settings (yarn refuses it too)"))
	}
	f.settings = doc
	if oc := doc.Get("onConflict"); oc != nil && oc.Kind == lockpnpm.YAMLScalar {
		f.onConflict = oc.Value
		if v := doc.Get("value"); v != nil {
			// {onConflict, value}: the settings are under value.
			if v.Kind != lockpnpm.YAMLMap {
				return nil, false, nativeFileErr(path, fmt.Errorf("value (line %d): want the mapping of settings that onConflict applies to", v.Line))
			}
			f.settings = v
		}
	}
	return f, true, nil
}

// yarnKeys are the top-level keys airlock reads in a .yarnrc.yml.
var yarnKeys = []string{"npmMinimalAgeGate", "npmPreapprovedPackages", "onConflict", "value"}

// parseYarnrcYAML reads a .yarnrc.yml with lock/pnpm's strict YAML reader.
// That reader refuses some of what yarn itself writes in settings airlock
// does not read (yarn 3's plugins, a list of mappings); such a file is read
// again one top-level setting at a time, and a setting the reader refuses
// is an error only when it may be one airlock reads (yarnKeys). Line
// numbers stay those of the file.
func parseYarnrcYAML(data []byte) (*lockpnpm.YAMLNode, error) {
	doc, err := lockpnpm.ParseYAML(data)
	if err == nil {
		return doc, nil
	}
	whole := fmt.Errorf("airlock reads a strict subset of YAML: %w", err)
	lines := strings.SplitAfter(string(data), "\n")
	out := &lockpnpm.YAMLNode{Kind: lockpnpm.YAMLMap, Line: 1, Fields: map[string]*lockpnpm.YAMLNode{}}
	for i := 0; i < len(lines); {
		first := strings.TrimRight(lines[i], "\r\n")
		if first == "" || first[0] == ' ' || first[0] == '\t' || first[0] == '#' {
			i++
			continue
		}
		// A top-level setting: its line and the indented, blank and
		// comment lines under it, after as many empty lines as precede it.
		j := i + 1
		for j < len(lines) {
			l := strings.TrimRight(lines[j], "\r\n")
			if l != "" && l[0] != ' ' && l[0] != '\t' && l[0] != '#' {
				break
			}
			j++
		}
		chunk := strings.Repeat("\n", i) + strings.Join(lines[i:j], "")
		start := i + 1
		i = j
		ours := slices.ContainsFunc(yarnKeys, func(k string) bool { return strings.Contains(first, k) })
		node, err := lockpnpm.ParseYAML([]byte(chunk))
		switch {
		case err != nil && ours:
			return nil, fmt.Errorf("airlock reads a strict subset of YAML: %w", err)
		case err != nil:
			continue // a setting airlock does not read
		case node.Kind != lockpnpm.YAMLMap:
			return nil, fmt.Errorf("line %d: not a mapping of settings (yarn refuses it too)", start)
		}
		for _, k := range node.Keys {
			if _, dup := out.Fields[k]; dup {
				return nil, whole
			}
			out.Keys = append(out.Keys, k)
			out.Fields[k] = node.Fields[k]
		}
	}
	return out, nil
}

// yarnrcs lists the .yarnrc.yml files yarn reads for projectDir in yarn's
// order: the home one, then the filesystem root's down to the project's.
// The project's own file is labelled by its name, the others by path.
func yarnrcs(projectDir string, getenv func(string) string) ([]*yarnrc, error) {
	name := yarnHomeRcFilename
	if v := getenv(yarnEnvRcFilename); v != "" {
		name = v
	}
	dir, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, err
	}
	// yarn walks up from its working directory as the kernel reports it,
	// with symbolic links resolved.
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	stop := searchRoot
	if real, err := filepath.EvalSymlinks(stop); stop != "" && err == nil {
		stop = real
	}
	var chain []*yarnrc // nearest first
	for top := dir; ; {
		label := filepath.Join(dir, name)
		if dir == top {
			label = name
		}
		f, ok, err := readYarnrc(filepath.Join(dir, name), label)
		if err != nil {
			return nil, err
		}
		if ok {
			chain = append(chain, f)
		}
		parent := filepath.Dir(dir)
		if parent == dir || dir == stop {
			break
		}
		dir = parent
	}
	slices.Reverse(chain)
	if h := getenv("HOME"); h != "" {
		p := filepath.Join(h, yarnHomeRcFilename)
		if !slices.ContainsFunc(chain, func(f *yarnrc) bool { return f.path == p }) {
			f, ok, err := readYarnrc(p, p)
			if err != nil {
				return nil, err
			}
			if ok {
				chain = append([]*yarnrc{f}, chain...)
			}
		}
	}
	return chain, nil
}

// yarnKind is a value's kind as resolveRcFiles tells them apart.
type yarnKind int

const (
	yarnUnset yarnKind = iota
	yarnLiteral
	yarnList
	yarnMapping
)

// yarnPart is one file's value of a setting.
type yarnPart struct {
	file       *yarnrc
	from       string // "label:line key"
	v          *lockpnpm.YAMLNode
	onConflict string
}

func (p *yarnPart) kind() yarnKind {
	switch p.v.Kind {
	case lockpnpm.YAMLSeq:
		return yarnList
	case lockpnpm.YAMLMap:
		return yarnMapping
	}
	return yarnLiteral
}

// yarnParts is each file's value of key (nil where the file has none). A
// mapping with an onConflict string is yarn's conflict marker: its value
// is the marker's value, or the rest of the mapping.
func yarnParts(files []*yarnrc, key string) []*yarnPart {
	parts := make([]*yarnPart, len(files))
	for i, f := range files {
		raw := f.settings.Get(key)
		if raw == nil {
			continue
		}
		p := &yarnPart{file: f, from: fmt.Sprintf("%s:%d %s", f.label, raw.Line, key), v: raw}
		if oc := raw.Get("onConflict"); oc != nil && oc.Kind == lockpnpm.YAMLScalar {
			p.onConflict = oc.Value
			p.v = raw.Get("value")
			if p.v == nil {
				p.v = &lockpnpm.YAMLNode{Kind: lockpnpm.YAMLMap, Line: raw.Line}
			}
		}
		parts[i] = p
	}
	return parts
}

// yarnMerge is resolveRcFiles for one setting over parts from index from
// on: the parts that make its value, farthest first (one for a literal),
// the kind of the nearest part, and that part.
func yarnMerge(parts []*yarnPart, from int) (got []*yarnPart, kind yarnKind, nearest *yarnPart) {
	for m := len(parts) - 1; m >= from; m-- {
		p := parts[m]
		if p == nil {
			continue
		}
		if nearest == nil {
			nearest, kind = p, p.kind()
		}
		if p.kind() != kind || p.onConflict == "hardReset" {
			break
		}
		if kind == yarnLiteral {
			return []*yarnPart{p}, kind, nearest
		}
		got = append([]*yarnPart{p}, got...)
		if p.onConflict == "reset" {
			break
		}
		if p.onConflict == "extend" && m == from {
			from = 0 // an extend at the edge reaches past a file's reset
		}
	}
	return got, kind, nearest
}

// yarnScalar refuses a value yarn would rewrite before reading it: yarn
// substitutes ${VAR} (from the environment and .env.yarn) and unescapes
// backslashes, which airlock does not reproduce.
func yarnScalar(v string) error {
	if strings.Contains(v, "${") || strings.Contains(v, `\`) {
		return fmt.Errorf("%q: yarn substitutes ${VARIABLE} and backslash escapes in it, which airlock does not; write the value itself", v)
	}
	return nil
}

// gateFrom is how a source of npmMinimalAgeGate is named, with its unit.
func (p *yarnPart) gateFrom() string {
	if p.kind() != yarnLiteral || p.v.Kind != lockpnpm.YAMLScalar {
		return p.from
	}
	_, unit, _ := parseYarnGate(p.v.Value)
	return fmt.Sprintf("%s: %s (%s)", p.from, p.v.Value, unit)
}

// checkGate checks every file's npmMinimalAgeGate, even one a nearer file
// replaces: a value airlock cannot read is an error wherever it is.
func checkGate(p *yarnPart) error {
	if p == nil || p.kind() != yarnLiteral {
		return nil
	}
	if p.v.Kind == lockpnpm.YAMLNull {
		return nativeFileErr(p.file.path, fmt.Errorf("npmMinimalAgeGate (line %d) is empty: yarn refuses null; write a duration such as \"3d\", or 0", p.v.Line))
	}
	if err := yarnScalar(p.v.Value); err != nil {
		return nativeFileErr(p.file.path, fmt.Errorf("npmMinimalAgeGate (line %d): %w", p.v.Line, err))
	}
	if _, _, err := parseYarnGate(p.v.Value); err != nil {
		return nativeFileErr(p.file.path, fmt.Errorf("line %d: %w", p.v.Line, err))
	}
	return nil
}

// yarnPatterns reads one file's npmPreapprovedPackages: a list of names or
// globs, or a string yarn splits at commas.
func yarnPatterns(p *yarnPart) ([]string, error) {
	bad := func(line int, err error) error {
		return nativeFileErr(p.file.path, fmt.Errorf("npmPreapprovedPackages (line %d): %w", line, err))
	}
	switch p.kind() {
	case yarnMapping:
		return nil, bad(p.v.Line, errors.New("want a list of package names or globs"))
	case yarnLiteral:
		if p.v.Kind == lockpnpm.YAMLNull {
			return nil, nil
		}
		if err := yarnScalar(p.v.Value); err != nil {
			return nil, bad(p.v.Line, err)
		}
		return splitYarnList(p.v.Value), nil
	}
	var out []string
	for _, it := range p.v.Items {
		if it.Kind != lockpnpm.YAMLScalar || it.Value == "" {
			return nil, bad(it.Line, errors.New("want a package name or glob"))
		}
		if err := yarnScalar(it.Value); err != nil {
			return nil, bad(it.Line, err)
		}
		out = append(out, it.Value)
	}
	return out, nil
}

// splitYarnList splits a list written as one string, as yarn does: at
// commas, with no trimming (" b" matches no package in yarn either).
func splitYarnList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// yarnDefaultGateFor reports whether packageManager names a yarn that waits
// yarnDefaultGate by default: 4.15 and later.
func yarnDefaultGateFor(pm string) bool {
	v, ok := strings.CutPrefix(pm, "yarn@")
	if !ok {
		return false
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return err1 == nil && err2 == nil && (major > 4 || major == 4 && minor >= 15)
}

// loadYarnrcs reads npmMinimalAgeGate and npmPreapprovedPackages as yarn 2+
// resolves them across its .yarnrc.yml files and YARN_* variables, over
// yarn 4.15's default when package.json's packageManager names such a yarn.
// Values a nearer file or a variable replaced are listed in Notes.
func (n *Native) loadYarnrcs(projectDir string, getenv func(string) string) error {
	files, err := yarnrcs(projectDir, getenv)
	if err != nil {
		return err
	}
	// A file marked onConflict: reset hides the files farther than it; one
	// marked hardReset hides itself too.
	from, cut := 0, ""
	for m := len(files) - 1; m >= 0 && cut == ""; m-- {
		switch files[m].onConflict {
		case "hardReset":
			from, cut = m+1, files[m].label+" onConflict: hardReset"
		case "reset":
			from, cut = m, files[m].label+" onConflict: reset"
		}
	}
	const cutHow = "yarn reads no .yarnrc.yml farther than a file marked onConflict: reset, nor the file marked hardReset"

	// npmMinimalAgeGate: the nearest value, or the variable's.
	gates := yarnParts(files, "npmMinimalAgeGate")
	for _, p := range gates {
		if err := checkGate(p); err != nil {
			return err
		}
	}
	var (
		age      time.Duration
		ageFrom  string
		fallback bool
	)
	got, kind, nearest := yarnMerge(gates, from)
	switch {
	case kind == yarnList || kind == yarnMapping:
		return nativeFileErr(nearest.file.path, fmt.Errorf("npmMinimalAgeGate (line %d): want a duration such as \"3d\", not a list or mapping", nearest.v.Line))
	case kind == yarnLiteral && len(got) == 0:
		return nativeFileErr(nearest.file.path, fmt.Errorf("npmMinimalAgeGate (line %d): onConflict: hardReset applies to lists and mappings; yarn fails on it here", nearest.v.Line))
	case kind == yarnLiteral:
		age, _, _ = parseYarnGate(got[0].v.Value)
		ageFrom = got[0].gateFrom()
	}
	if v := getenv(yarnEnvGate); v != "" {
		if err := yarnScalar(v); err != nil {
			return fmt.Errorf("env %s: %w", yarnEnvGate, err)
		}
		d, unit, err := parseYarnGate(v)
		if err != nil {
			return fmt.Errorf("env %s: %w", yarnEnvGate, err)
		}
		age, ageFrom, got = d, fmt.Sprintf("env %s=%s (%s)", yarnEnvGate, v, unit), nil
	}
	for _, p := range gates {
		switch {
		case p == nil || len(got) == 1 && p == got[0]:
		case ageFrom != "":
			how := yarnHowFiles
			if got == nil {
				how = yarnHowEnv
			}
			n.replaced(p.gateFrom(), ageFrom, how)
		default:
			n.replaced(p.gateFrom(), cut, cutHow)
		}
	}
	if ageFrom == "" && yarnDefaultGateFor(n.packageManager) {
		age, fallback = yarnDefaultGate, true
		ageFrom = fmt.Sprintf("yarn 4.15's default npmMinimalAgeGate (1d), as package.json packageManager is %q", n.packageManager)
	}

	// npmPreapprovedPackages: the lists concatenated, or the variable's.
	type exemption struct{ pattern, from string }
	var exempt []exemption
	lists := yarnParts(files, "npmPreapprovedPackages")
	patterns := map[*yarnPart][]string{}
	for _, p := range lists {
		if p == nil {
			continue
		}
		ps, err := yarnPatterns(p)
		if err != nil {
			return err
		}
		patterns[p] = ps
	}
	got, kind, nearest = yarnMerge(lists, from)
	winner := cut
	if len(got) > 0 {
		winner = got[len(got)-1].from
	} else if nearest != nil {
		winner = nearest.from + " onConflict: hardReset"
	}
	how := yarnHowList
	if v := getenv(yarnEnvPreapproved); v != "" {
		if err := yarnScalar(v); err != nil {
			return fmt.Errorf("env %s: %w", yarnEnvPreapproved, err)
		}
		winner, how, got = "env "+yarnEnvPreapproved, yarnHowEnv, nil
		for _, pat := range splitYarnList(v) {
			exempt = append(exempt, exemption{pat, winner})
		}
	}
	for _, p := range got {
		for _, pat := range patterns[p] {
			exempt = append(exempt, exemption{pat, p.from})
		}
	}
	for _, p := range lists {
		switch {
		case p == nil || slices.Contains(got, p):
		case p.onConflict == "hardReset" && how == yarnHowList:
			n.Notes = append(n.Notes, fmt.Sprintf("%s: not applied; onConflict: hardReset drops this list and every farther one, as in yarn", p.from))
		default:
			n.replaced(p.from, winner, how)
		}
	}

	for i := len(files) - 1; i >= 0; i-- {
		if gates[i] != nil || lists[i] != nil {
			n.Read = append(n.Read, files[i].path)
		}
	}
	if ageFrom == "" {
		return nil
	}
	a := NativeAge{Tool: "yarn", Age: age, From: ageFrom, Default: fallback}
	for _, e := range exempt {
		n.addExclusion(&a, e.pattern, e.from)
	}
	n.JSAges = append(n.JSAges, a)
	return nil
}

// uvSettings are uv's exclude-newer settings, in uv.toml at the top level
// and in pyproject.toml under [tool.uv]; [pip] holds the same two for the
// uv pip commands.
type uvSettings struct {
	ExcludeNewer        toml.Primitive            `toml:"exclude-newer"`
	ExcludeNewerPackage map[string]toml.Primitive `toml:"exclude-newer-package"`
	Pip                 struct {
		ExcludeNewer        toml.Primitive            `toml:"exclude-newer"`
		ExcludeNewerPackage map[string]toml.Primitive `toml:"exclude-newer-package"`
	} `toml:"pip"`
}

// uvValue is one exclude-newer value: off (false) or a cooldown or cutoff.
type uvValue struct {
	name   string // the package, for exclude-newer-package
	off    bool
	age    time.Duration
	cutoff time.Time
	from   string
}

// uvPart is an exclude-newer and its exclude-newer-package entries.
type uvPart struct {
	global   *uvValue
	packages []uvValue
}

func (p uvPart) empty() bool { return p.global == nil && len(p.packages) == 0 }

// uvLayer is what one uv configuration file says: top level and [pip].
type uvLayer struct {
	path     string
	top, pip uvPart
}

func (l *uvLayer) empty() bool { return l.top.empty() && l.pip.empty() }

// readUVFile reads path as a uv.toml, or, when pyproject is set, as a
// pyproject.toml's [tool.uv]; file is how sources name it. ok is false
// when the file does not exist or (a pyproject.toml) has no [tool.uv]
// table: uv then looks further.
func readUVFile(path, file string, pyproject bool) (*uvLayer, bool, error) {
	data, ok, err := readLayer(path)
	if err != nil || !ok {
		return nil, false, err
	}
	var s uvSettings
	var md toml.MetaData
	prefix, top, pip := []string{}, file, file+" [pip]"
	if pyproject {
		var f struct {
			Tool struct {
				UV uvSettings `toml:"uv"`
			} `toml:"tool"`
		}
		md, err = toml.Decode(string(data), &f)
		s, prefix = f.Tool.UV, []string{"tool", "uv"}
		top, pip = file+" [tool.uv]", file+" [tool.uv.pip]"
	} else {
		md, err = toml.Decode(string(data), &s)
	}
	if err != nil {
		return nil, false, nativeFileErr(path, err)
	}
	if pyproject && !md.IsDefined(prefix...) {
		return nil, false, nil
	}
	l := &uvLayer{path: path}
	if l.top, err = readUVPart(md, prefix, s.ExcludeNewer, s.ExcludeNewerPackage, top); err != nil {
		return nil, false, nativeFileErr(path, err)
	}
	if l.pip, err = readUVPart(md, append(prefix, "pip"), s.Pip.ExcludeNewer, s.Pip.ExcludeNewerPackage, pip); err != nil {
		return nil, false, nativeFileErr(path, err)
	}
	return l, true, nil
}

func readUVPart(md toml.MetaData, keys []string, global toml.Primitive, packages map[string]toml.Primitive, where string) (uvPart, error) {
	var p uvPart
	if md.IsDefined(append(keys[:len(keys):len(keys)], "exclude-newer")...) {
		v, err := parseUVValue(md, global, where+" exclude-newer")
		if err != nil {
			return p, err
		}
		p.global = &v
	}
	for _, name := range slices.Sorted(maps.Keys(packages)) {
		v, err := parseUVValue(md, packages[name], fmt.Sprintf("%s exclude-newer-package %s", where, name))
		if err != nil {
			return p, err
		}
		v.name = name
		p.packages = append(p.packages, v)
	}
	return p, nil
}

// parseUVValue reads an exclude-newer value: false (no cutoff), or a
// timestamp, date or duration (parseUVExcludeNewer).
func parseUVValue(md toml.MetaData, p toml.Primitive, from string) (uvValue, error) {
	var b bool
	if err := md.PrimitiveDecode(p, &b); err == nil {
		if b {
			return uvValue{}, fmt.Errorf("%s = true: want false (no cutoff), a timestamp or a duration", from)
		}
		return uvValue{off: true, from: from + " = false"}, nil
	}
	var s string
	if err := md.PrimitiveDecode(p, &s); err != nil {
		return uvValue{}, fmt.Errorf("%s: want false (no cutoff), a timestamp or a duration", from)
	}
	age, cutoff, err := parseUVExcludeNewer(s)
	if err != nil {
		return uvValue{}, fmt.Errorf("%s: %w", from, err)
	}
	return uvValue{age: age, cutoff: cutoff, from: fmt.Sprintf("%s = %q", from, s)}, nil
}

// uvBool reads a uv boolean environment variable as clap's
// BoolishValueParser does; anything else is an error, as in uv.
func uvBool(getenv func(string) string, name string) (bool, error) {
	v := getenv(name)
	switch strings.ToLower(v) {
	case "":
		return false, nil
	case "y", "yes", "t", "true", "on", "1":
		return true, nil
	case "n", "no", "f", "false", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s=%q: want true or false (uv reads it as a boolean)", name, v)
}

// uvUserConfig is uv's user uv.toml: $XDG_CONFIG_HOME/uv/uv.toml when
// XDG_CONFIG_HOME is an absolute path, else ~/.config/uv/uv.toml (uv's
// user_config_dir, the etcetera crate's XDG strategy, on Linux and macOS).
func uvUserConfig(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "uv", "uv.toml")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "uv", "uv.toml")
	}
	return ""
}

// uvSystemConfig is uv's system uv.toml: the first uv/uv.toml that is a
// file under $XDG_CONFIG_DIRS (default /etc/xdg), else /etc/uv/uv.toml
// (uv-dirs system_config_file); "" when there is none.
func uvSystemConfig(getenv func(string) string) string {
	dirs := getenv("XDG_CONFIG_DIRS")
	if dirs == "" {
		dirs = filepath.Join(etcDir, "xdg")
	}
	for _, d := range strings.Split(dirs, ":") {
		if d == "" {
			break // uv takes the list up to the first empty entry
		}
		p := filepath.Join(d, "uv", "uv.toml")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	p := filepath.Join(etcDir, "uv", "uv.toml")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// uvProjectConfig finds uv's project configuration as uv does
// (uv-settings FilesystemOptions::find): in projectDir and then each parent,
// the first uv.toml, or pyproject.toml with a [tool.uv] table (one without
// is passed over). A uv.toml masks the [tool.uv] of the pyproject.toml
// beside it. uv starts at the workspace root, where uv.lock is, which is
// the directory airlock installs; in a workspace member, uv would start
// at the root instead.
func (n *Native) uvProjectConfig(projectDir string) (*uvLayer, error) {
	dir, err := filepath.Abs(projectDir)
	if err != nil {
		return nil, err
	}
	top := dir
	for {
		label := func(name string) string {
			if dir == top {
				return name
			}
			return filepath.Join(dir, name)
		}
		l, ok, err := readUVFile(filepath.Join(dir, "uv.toml"), label("uv.toml"), false)
		if err != nil {
			return nil, err
		}
		if ok {
			// uv only warns about the masked pyproject.toml, even when it
			// cannot parse it.
			if m, ok, err := readUVFile(filepath.Join(dir, "pyproject.toml"), label("pyproject.toml"), true); err == nil && ok && !m.empty() {
				n.Notes = append(n.Notes, fmt.Sprintf("%s [tool.uv]: exclude-newer settings not applied; %s beside it takes precedence (uv reads uv.toml instead of pyproject.toml's [tool.uv])", label("pyproject.toml"), label("uv.toml")))
			}
			return l, nil
		}
		l, ok, err = readUVFile(filepath.Join(dir, "pyproject.toml"), label("pyproject.toml"), true)
		if err != nil {
			return nil, err
		}
		if ok {
			return l, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir || dir == searchRoot {
			return nil, nil
		}
		dir = parent
	}
}

// loadUV reads uv's configuration as uv does and merges it into one
// cooldown: UV_CONFIG_FILE alone when set; else none under UV_NO_CONFIG;
// else the project's (uvProjectConfig), the user's and the system's
// (unless UV_NO_SYSTEM_CONFIG), merged with the project's winning over the
// user's over the system's: exclude-newer from the first that sets it,
// exclude-newer-package per package. UV_EXCLUDE_NEWER replaces
// exclude-newer ("false" turns it off). The [pip] tables make a second
// view, uv pip's; both are honoured.
func (n *Native) loadUV(projectDir string, getenv func(string) string) error {
	var layers []*uvLayer
	if cf := getenv("UV_CONFIG_FILE"); cf != "" {
		label := cf + " (UV_CONFIG_FILE)"
		l, ok, err := readUVFile(cf, label, false)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("UV_CONFIG_FILE=%s: no such file; uv would stop here too: point it at a uv.toml or unset it", cf)
		}
		layers = append(layers, l)
	} else if off, err := uvBool(getenv, "UV_NO_CONFIG"); err != nil {
		return err
	} else if off {
		n.Notes = append(n.Notes, fmt.Sprintf("env UV_NO_CONFIG=%s: uv.toml and pyproject.toml [tool.uv] are not read, as in uv", getenv("UV_NO_CONFIG")))
	} else {
		project, err := n.uvProjectConfig(projectDir)
		if err != nil {
			return err
		}
		layers = append(layers, project)
		if p := uvUserConfig(getenv); p != "" {
			l, _, err := readUVFile(p, p, false)
			if err != nil {
				return err
			}
			layers = append(layers, l)
		}
		noSystem, err := uvBool(getenv, "UV_NO_SYSTEM_CONFIG")
		if err != nil {
			return err
		}
		if p := uvSystemConfig(getenv); p != "" && !noSystem {
			l, _, err := readUVFile(p, p, false)
			if err != nil {
				return err
			}
			layers = append(layers, l)
		}
	}

	const how = "uv merges project over user over system configuration, key by key"
	var tops, pips []uvPart
	for _, l := range layers {
		if l == nil || l.empty() {
			continue
		}
		n.Read = append(n.Read, l.path)
		tops, pips = append(tops, l.top), append(pips, l.pip)
	}
	top := n.mergeUV(tops, how)
	var pip uvPart
	for _, p := range pips {
		if !p.empty() {
			// uv pip takes [pip]'s settings (merged across the files) over
			// the top-level ones (uv settings.rs PipSettings::combine).
			pip = n.mergeUV([]uvPart{n.mergeUV(pips, how), top}, "")
			break
		}
	}
	if v := getenv("UV_EXCLUDE_NEWER"); v != "" {
		from := "env UV_EXCLUDE_NEWER"
		e := uvValue{off: true, from: from + "=false"}
		if v != "false" {
			age, cutoff, err := parseUVExcludeNewer(v)
			if err != nil {
				return fmt.Errorf("%s: %w", from, err)
			}
			e = uvValue{age: age, cutoff: cutoff, from: fmt.Sprintf("%s=%s", from, v)}
		}
		const how = "uv's environment variables override its configuration files"
		if top.global != nil {
			n.replaced(top.global.from, e.from, how)
		}
		if pip.global != nil && pip.global != top.global {
			n.replaced(pip.global.from, e.from, how)
		}
		top.global = &e
		if !pip.empty() {
			pip.global = &e
		}
	}
	n.addUVAge("uv", top)
	if !pip.empty() {
		// airlock pip installs stand for both uv pip install (which reads
		// [pip]) and uv sync (which does not); both statements are
		// honoured, so a package waits the longer of the two.
		n.addUVAge("uv pip", pip)
	}
	return nil
}

// mergeUV merges parts, nearest first, into one: exclude-newer from the
// first that sets it, exclude-newer-package per package (by normalized
// name). When how is set, what a nearer part replaced becomes a note.
func (n *Native) mergeUV(parts []uvPart, how string) uvPart {
	var out uvPart
	seen := map[string]int{}
	for _, p := range parts {
		if p.global != nil {
			if out.global == nil {
				out.global = p.global
			} else if how != "" {
				n.replaced(p.global.from, out.global.from, how)
			}
		}
		for _, v := range p.packages {
			k := pythonName(v.name)
			if i, ok := seen[k]; ok {
				if how != "" {
					n.replaced(v.from, out.packages[i].from, how)
				}
				continue
			}
			seen[k] = len(out.packages)
			out.packages = append(out.packages, v)
		}
	}
	sort.SliceStable(out.packages, func(i, j int) bool { return pythonName(out.packages[i].name) < pythonName(out.packages[j].name) })
	return out
}

// addUVAge adds a merged uv view as a cooldown.
func (n *Native) addUVAge(tool string, p uvPart) {
	if p.empty() {
		return
	}
	a := NativeAge{Tool: tool, From: "uv configuration (no exclude-newer)"}
	if p.global != nil {
		a.Age, a.Cutoff, a.From = p.global.age, p.global.cutoff, p.global.from
	}
	for _, v := range p.packages {
		a.Packages = append(a.Packages, PackageAge{Pattern: v.name, Age: v.age, Cutoff: v.cutoff, From: v.from})
	}
	n.PythonAges = append(n.PythonAges, a)
}

var pythonNameSep = regexp.MustCompile(`[-_.]+`)

// pythonName is a distribution name normalized as PEP 503 says (and uv's
// PackageName): the keys uv merges exclude-newer-package by.
func pythonName(s string) string {
	return pythonNameSep.ReplaceAllString(strings.ToLower(s), "-")
}
