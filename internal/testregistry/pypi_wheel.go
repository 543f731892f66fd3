package testregistry

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// WheelSpec describes a wheel MakeWheel builds: a pure-Python package, with
// optional console scripts, in the binary distribution format pip installs.
type WheelSpec struct {
	Name, Version string
	// Tag is the wheel's compatibility tag; "" means "py3-none-any".
	Tag string
	// Files maps archive paths (outside .dist-info) to contents; when nil
	// the wheel holds <module>/__init__.py defining main(), which prints
	// "hello from <name> <version>".
	Files map[string]string
	// ConsoleScripts maps script names to "module:function".
	ConsoleScripts map[string]string
	// Requires are Requires-Dist lines (PEP 508), ProvidesExtra the
	// extras declared, RequiresPython the Requires-Python header: what a
	// resolver reads from METADATA.
	Requires       []string
	ProvidesExtra  []string
	RequiresPython string
}

// wheelNameEscape is the binary distribution format's escaping of a name
// for file names: runs of "-_." become "_".
var wheelNameEscape = regexp.MustCompile(`[-_.]+`)

// MakeWheel builds the wheel spec describes and returns its filename and
// bytes. Its RECORD lists every file with a sha256 and size, as pip's
// installer requires; entry times are fixed so that equal specs give equal
// bytes.
func MakeWheel(spec WheelSpec) (string, []byte, error) {
	if spec.Name == "" || spec.Version == "" {
		return "", nil, fmt.Errorf("testregistry: MakeWheel needs a name and a version")
	}
	tag := spec.Tag
	if tag == "" {
		tag = "py3-none-any"
	}
	escaped := wheelNameEscape.ReplaceAllString(spec.Name, "_")
	module := strings.ToLower(escaped)
	files := spec.Files
	if files == nil {
		files = map[string]string{
			module + "/__init__.py": fmt.Sprintf("def main():\n    print(%q)\n", "hello from "+spec.Name+" "+spec.Version),
		}
	}
	distInfo := escaped + "-" + spec.Version + ".dist-info"
	all := map[string]string{}
	for p, c := range files {
		all[p] = c
	}
	var meta strings.Builder
	fmt.Fprintf(&meta, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: airlock test wheel\n", spec.Name, spec.Version)
	if spec.RequiresPython != "" {
		fmt.Fprintf(&meta, "Requires-Python: %s\n", spec.RequiresPython)
	}
	for _, e := range spec.ProvidesExtra {
		fmt.Fprintf(&meta, "Provides-Extra: %s\n", e)
	}
	for _, r := range spec.Requires {
		fmt.Fprintf(&meta, "Requires-Dist: %s\n", r)
	}
	meta.WriteString("\n")
	all[distInfo+"/METADATA"] = meta.String()
	var tagLines strings.Builder
	py, abiPlat, _ := strings.Cut(tag, "-")
	abi, plat, _ := strings.Cut(abiPlat, "-")
	for _, p := range strings.Split(py, ".") {
		for _, a := range strings.Split(abi, ".") {
			for _, pl := range strings.Split(plat, ".") {
				fmt.Fprintf(&tagLines, "Tag: %s-%s-%s\n", p, a, pl)
			}
		}
	}
	purelib := "true"
	if abi != "none" {
		purelib = "false"
	}
	all[distInfo+"/WHEEL"] = "Wheel-Version: 1.0\nGenerator: airlock-testregistry\nRoot-Is-Purelib: " + purelib + "\n" + tagLines.String()
	if len(spec.ConsoleScripts) > 0 {
		names := make([]string, 0, len(spec.ConsoleScripts))
		for n := range spec.ConsoleScripts {
			names = append(names, n)
		}
		sort.Strings(names)
		ep := "[console_scripts]\n"
		for _, n := range names {
			ep += n + " = " + spec.ConsoleScripts[n] + "\n"
		}
		all[distInfo+"/entry_points.txt"] = ep
	}
	all[distInfo+"/top_level.txt"] = module + "\n"

	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var record strings.Builder
	for _, p := range paths {
		sum := sha256.Sum256([]byte(all[p]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(all[p]))
	}
	record.WriteString(distInfo + "/RECORD,,\n")
	paths = append(paths, distInfo+"/RECORD")
	all[distInfo+"/RECORD"] = record.String()

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	mtime := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range paths {
		h := &zip.FileHeader{Name: p, Method: zip.Deflate, Modified: mtime}
		h.SetMode(0o644)
		if strings.Contains(p, ".data/scripts/") {
			// Wheel builders keep a script's executable bit, and pip
			// installs it with the archive's mode.
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return "", nil, err
		}
		if _, err := w.Write([]byte(all[p])); err != nil {
			return "", nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return "", nil, err
	}
	return escaped + "-" + spec.Version + "-" + tag + ".whl", buf.Bytes(), nil
}
