package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/airlock-dev/airlock/internal/safefile"
)

// bun and uv read more than the project directory's own file: bun a global
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
	for _, name := range sortedKeys(packages) {
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
		if parent == dir {
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
