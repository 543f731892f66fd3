package wheel

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// entryPoint is one console_scripts or gui_scripts entry.
type entryPoint struct {
	name, value string
	gui         bool
}

// entryPoints holds a wheel's console and GUI scripts, each in the order of
// first appearance with the last value winning, as a Python dict built
// from entry_points.txt does.
type entryPoints struct {
	console, gui []entryPoint
}

func (e *entryPoints) has(name string) bool {
	for _, l := range [][]entryPoint{e.console, e.gui} {
		for _, ep := range l {
			if ep.name == name {
				return true
			}
		}
	}
	return false
}

func setEntry(list []entryPoint, ep entryPoint) []entryPoint {
	for i := range list {
		if list[i].name == ep.name {
			list[i].value = ep.value
			return list
		}
	}
	return append(list, ep)
}

// Script names must be a plain file name; values distlib's export entry.
var (
	entryName  = regexp.MustCompile(`^[\p{L}\p{N}_.+-]+$`)
	entryValue = regexp.MustCompile(`^([\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*):([\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*)` +
		`(?:\s*\[\s*[\p{L}\p{N}_-]+(?:=[\p{L}\p{N}_]+)?(?:,\s*[\p{L}\p{N}_]+(?:=[\p{L}\p{N}_]+)?)*\s*\])?$`)
)

// parseEntryPoints reads entry_points.txt as importlib.metadata does
// (stripped lines, "#" comments, "[group]" sections, "name = value" split at
// the first "="), keeping console_scripts and gui_scripts. A line without
// "=" in any section makes pip fail, so it is refused here.
func parseEntryPoints(data []byte) (*entryPoints, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: entry_points.txt is not UTF-8", ErrEntryPoint)
	}
	eps := &entryPoints{}
	section, inSection := "", false
	for _, line := range pySplitLines(string(data)) {
		line = pyStrip(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section, inSection = strings.Trim(line, "[]"), true
			continue
		}
		if !inSection {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %q in [%s] has no \"=\"", ErrEntryPoint, line, section)
		}
		name, value = pyStrip(name), pyStrip(value)
		if section != "console_scripts" && section != "gui_scripts" {
			continue
		}
		if !entryName.MatchString(name) || name == "." || name == ".." {
			return nil, fmt.Errorf("%w: [%s] name %q is not a plain script name", ErrEntryPoint, section, name)
		}
		if !entryValue.MatchString(value) {
			return nil, fmt.Errorf("%w: [%s] %s = %q is not module:callable", ErrEntryPoint, section, name, value)
		}
		ep := entryPoint{name: name, value: value, gui: section == "gui_scripts"}
		if ep.gui {
			eps.gui = setEntry(eps.gui, ep)
		} else {
			eps.console = setEntry(eps.console, ep)
		}
	}
	return eps, nil
}

var (
	pipVersioned         = regexp.MustCompile(`^pip(\d+(\.\d+)?)?$`)
	easyInstallVersioned = regexp.MustCompile(`^easy_install(-\d+\.\d+)?$`)
)

// scriptsToGenerate is pip's get_console_script_specs followed by the GUI
// scripts: pip's own "pip" entry becomes pip, pipX and pipX.Y for the target
// interpreter (other versioned pip entries are dropped), "easy_install"
// becomes easy_install and easy_install-X.Y, the rest as declared. pip
// consults ENSUREPIP_OPTIONS here; airlock behaves as pip does without it.
func scriptsToGenerate(eps *entryPoints, pyVersion string) []entryPoint {
	console := append([]entryPoint(nil), eps.console...)
	take := func(name string) (string, bool) {
		for i, ep := range console {
			if ep.name == name {
				console = append(console[:i], console[i+1:]...)
				return ep.value, true
			}
		}
		return "", false
	}
	drop := func(re *regexp.Regexp) {
		kept := console[:0]
		for _, ep := range console {
			if !re.MatchString(ep.name) {
				kept = append(kept, ep)
			}
		}
		console = kept
	}
	major, _, _ := strings.Cut(pyVersion, ".")
	var out []entryPoint
	if v, ok := take("pip"); ok {
		out = append(out, entryPoint{name: "pip", value: v}, entryPoint{name: "pip" + major, value: v},
			entryPoint{name: "pip" + pyVersion, value: v})
		drop(pipVersioned)
	}
	if v, ok := take("easy_install"); ok {
		out = append(out, entryPoint{name: "easy_install", value: v}, entryPoint{name: "easy_install-" + pyVersion, value: v})
		drop(easyInstallVersioned)
	}
	out = append(out, console...)
	return append(out, eps.gui...)
}

// scriptTemplate is distlib's SCRIPT_TEMPLATE, which pip uses for every
// console and GUI script.
const scriptTemplate = `# -*- coding: utf-8 -*-
import re
import sys
from %s import %s
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
    sys.exit(%s())
`

// maxShebang is distlib's limit on Linux (127 bytes with "#!" and the
// newline); past it, or with a space in the path, the kernel cannot run the
// interpreter directly.
const maxShebang = 127

// scriptText is the wrapper distlib writes for an entry point.
func scriptText(python string, ep entryPoint) []byte {
	module, fn, _ := strings.Cut(ep.value, ":")
	fn, _, _ = strings.Cut(fn, "[")
	fn = strings.TrimSpace(fn)
	importName, _, _ := strings.Cut(fn, ".")
	return append(shebang(python), fmt.Sprintf(scriptTemplate, module, importName, fn)...)
}

// shebang is distlib's _get_shebang + _build_shebang for sys.executable on
// Linux: a path with a space is quoted, and a quoted or overlong one is run
// through /bin/sh with a line that sh executes and Python reads as a string.
func shebang(python string) []byte {
	exe := python
	if strings.Contains(exe, " ") {
		if strings.HasPrefix(exe, "/usr/bin/env ") {
			env, rest, _ := strings.Cut(exe, " ")
			if strings.Contains(rest, " ") && !strings.HasPrefix(rest, `"`) {
				exe = env + ` "` + rest + `"`
			}
		} else if !strings.HasPrefix(exe, `"`) {
			exe = `"` + exe + `"`
		}
	}
	if !strings.Contains(exe, " ") && len(exe)+3 <= maxShebang {
		return []byte("#!" + exe + "\n")
	}
	return []byte("#!/bin/sh\n'''exec' " + exe + " \"$0\" \"$@\"\n' '''\n")
}

// isEntryPointWrapper is pip's test for a .data/scripts file that
// setuptools generated for an entry point (EP, EP.exe, EP-script.py,
// EP.pya): pip does not install it, since it writes its own.
func isEntryPointWrapper(base string, eps *entryPoints) bool {
	lower := strings.ToLower(base)
	name := base
	switch {
	case strings.HasSuffix(lower, ".exe"), strings.HasSuffix(lower, ".pya"):
		name = base[:len(base)-4]
	case strings.HasSuffix(lower, "-script.py"):
		name = base[:len(base)-10]
	}
	return eps.has(name)
}

// fixShebang is pip's fix_script: a first line starting with "#!python" is
// replaced by "#!" + python + "\n". It reports whether it changed data.
func fixShebang(data []byte, python string) ([]byte, bool) {
	if !strings.HasPrefix(string(data[:min(len(data), 8)]), "#!python") {
		return data, false
	}
	rest := []byte{}
	if i := strings.IndexByte(string(data), '\n'); i >= 0 {
		rest = data[i+1:]
	}
	return append([]byte("#!"+python+"\n"), rest...), true
}
