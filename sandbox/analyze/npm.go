package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Input is one extracted package to analyze.
type Input struct {
	// Dir is the package's root on disk.
	Dir string
	// Name and Version are what the lockfile says the package is.
	Name, Version string
	// InstallPath is the package's place in the project, for locations.
	InstallPath string
	// ScriptsOnly limits Npm to the manifest and the install scripts (no
	// scan of every file for native executables): cheap enough to run on
	// every install.
	ScriptsOnly bool
}

// Limits of what the analyzers read, so that a hostile package cannot make
// analysis slow: only file headers are read for most files, and install
// hooks up to MaxHookSize.
const (
	MaxHookSize  = 4 << 20
	MaxFiles     = 200_000
	magicBytes   = 64
	maxFindings  = 100 // per rule and package; the rest are summarised
	longLineSize = 5000
)

var installEvents = []string{"preinstall", "install", "postinstall"}

type manifest struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	Scripts map[string]string `json:"scripts"`
	Gypfile bool              `json:"gypfile"`
	OS      json.RawMessage   `json:"os"`
	CPU     json.RawMessage   `json:"cpu"`
}

// Npm analyzes an extracted npm package. Unreadable files are reported as
// errors; a package without package.json gets no manifest checks.
func Npm(in Input) ([]Finding, error) {
	root, err := os.OpenRoot(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("analyze %s@%s: %w", in.Name, in.Version, err)
	}
	defer root.Close()
	var out []Finding
	var m manifest
	hasManifest := false
	if b, err := readCapped(root, "package.json", MaxHookSize); err == nil {
		if json.Unmarshal(b, &m) == nil {
			hasManifest = true
		}
	}
	if hasManifest && ((m.Name != "" && m.Name != in.Name) || (m.Version != "" && in.Version != "" && m.Version != in.Version)) {
		out = append(out, newFinding("AL006", in, "", 0, "package.json says %s@%s, the lockfile %s@%s", m.Name, m.Version, in.Name, in.Version))
	}

	var files []string
	if !in.ScriptsOnly {
		if files, err = listFiles(root); err != nil {
			return nil, fmt.Errorf("analyze %s@%s: %w", in.Name, in.Version, err)
		}
	}
	hasGyp := m.Gypfile
	hasAddon := false
	for _, f := range files {
		hasGyp = hasGyp || f == "binding.gyp"
		hasAddon = hasAddon || strings.HasSuffix(f, ".node")
	}

	// Install scripts and the files they run.
	for _, event := range installEvents {
		script, ok := m.Scripts[event]
		if !ok {
			continue
		}
		out = append(out, scanScript(in, event, script)...)
		for _, file := range hookFiles(script) {
			b, err := readCapped(root, file, MaxHookSize)
			if err != nil {
				continue // not in the package (a global tool, or absent)
			}
			out = append(out, scanHook(in, file, b)...)
		}
	}

	// Native executables.
	native := hasGyp || hasAddon || len(m.OS) > 0 || len(m.CPU) > 0
	var bins []string
	for _, f := range files {
		kind, err := executableKind(root, f)
		if err != nil || kind == "" {
			continue
		}
		bins = append(bins, f)
		if len(bins) > maxFindings {
			continue
		}
		if native {
			out = append(out, newFinding("AL005", in, f, 0, "prebuilt %s executable", kind))
		} else {
			out = append(out, newFinding("AL004", in, f, 0, "%s executable in a package with no os/cpu constraint, binding.gyp or .node addon", kind))
		}
	}
	return out, nil
}

// scanScript checks the text of one install script.
var (
	// fetchPattern: fetching or decoding code to run. evalPattern: inline
	// code, common in genuine packages (core-js: node -e "try{require(
	// './postinstall')}catch(e){}"), so only a warning.
	fetchPattern = regexp.MustCompile(`(?i)\b(curl|wget|Invoke-WebRequest|iwr|Start-BitsTransfer)\b|https?://|\|\s*(ba|z|da)?sh\b|\bbase64\s+(-d|--decode)\b`)
	evalPattern  = regexp.MustCompile(`\bnode\s+(-e|--eval|-p|--print)\b|\beval\b|python[0-9.]*\s+-c\b`)
	credPattern  = regexp.MustCompile(`(?i)\.npmrc|_authToken|NPM_TOKEN|NODE_AUTH_TOKEN|GITHUB_TOKEN|GH_TOKEN|AWS_SECRET|AWS_ACCESS_KEY|\.aws/credentials|\.ssh/|id_rsa|id_ed25519|\.git-credentials|\.docker/config\.json|\.kube/config|\.pypirc`)
)

func scanScript(in Input, event, script string) []Finding {
	var out []Finding
	if m := fetchPattern.FindString(script); m != "" {
		out = append(out, newFinding("AL001", in, "", 0, "%s script %q uses %q", event, clip(script), m))
	} else if m := evalPattern.FindString(script); m != "" {
		out = append(out, withSeverity(newFinding("AL001", in, "", 0, "%s script %q runs inline code (%q)", event, clip(script), m), Warning))
	}
	if m := credPattern.FindString(script); m != "" {
		out = append(out, newFinding("AL003", in, "", 0, "%s script %q mentions %q", event, clip(script), m))
	}
	return out
}

var (
	obfuscatorIdent = regexp.MustCompile(`\b_0x[0-9a-fA-F]{4,}\b`)
	hexEscape       = regexp.MustCompile(`\\x[0-9a-fA-F]{2}`)
	evalDecoded     = regexp.MustCompile(`\b(eval|Function)\s*\(\s*(atob|Buffer\.from|unescape|decodeURIComponent|String\.fromCharCode)\b`)
)

// scanHook checks a JavaScript file an install script runs.
func scanHook(in Input, file string, b []byte) []Finding {
	var out []Finding
	switch {
	case len(obfuscatorIdent.FindAllIndex(b, 20)) >= 20:
		out = append(out, newFinding("AL002", in, file, lineOf(b, obfuscatorIdent.FindIndex(b)[0]), "obfuscator-style identifiers (%s…)", obfuscatorIdent.Find(b)))
	case evalDecoded.Match(b):
		out = append(out, newFinding("AL002", in, file, lineOf(b, evalDecoded.FindIndex(b)[0]), "evaluates decoded text (%s)", evalDecoded.Find(b)))
	case len(b) > 1000 && len(hexEscape.FindAllIndex(b, -1))*4*10 > len(b):
		out = append(out, newFinding("AL002", in, file, 0, "more than a tenth of the file is \\x escapes"))
	}
	if loc := credPattern.FindIndex(b); loc != nil {
		out = append(out, newFinding("AL003", in, file, lineOf(b, loc[0]), "mentions %q", b[loc[0]:loc[1]]))
	}
	return out
}

// hookFiles lists package files an install script runs with node
// ("node install.js", "node ./scripts/postinstall.mjs").
var nodeFile = regexp.MustCompile(`\bnode\s+(?:--?[\w-]+(?:=\S+)?\s+)*((?:\./)?[\w./@-]+\.(?:c|m)?js)\b`)

func hookFiles(script string) []string {
	var files []string
	for _, m := range nodeFile.FindAllStringSubmatch(script, -1) {
		f := path.Clean(m[1])
		if fs.ValidPath(f) {
			files = append(files, f)
		}
	}
	return files
}

// executableKind returns "ELF", "PE" or "Mach-O" for a native executable or
// library, judged by its first bytes, or "".
func executableKind(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var h [magicBytes]byte
	n, _ := io.ReadFull(f, h[:])
	b := h[:n]
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "ELF", nil
	case bytes.HasPrefix(b, []byte("MZ")) && n >= 0x40:
		// A PE file's DOS header points at "PE\0\0"; plain "MZ" text
		// files are common enough not to trust the two bytes alone.
		off := int64(b[0x3c]) | int64(b[0x3d])<<8 | int64(b[0x3e])<<16 | int64(b[0x3f])<<24
		var sig [4]byte
		if off > 0 && off < 1<<20 {
			if _, err := f.ReadAt(sig[:], off); err == nil && string(sig[:]) == "PE\x00\x00" {
				return "PE", nil
			}
		}
	case len(b) >= 4:
		switch string(b[:4]) {
		case "\xfe\xed\xfa\xce", "\xce\xfa\xed\xfe", "\xfe\xed\xfa\xcf", "\xcf\xfa\xed\xfe":
			return "Mach-O", nil
		case "\xca\xfe\xba\xbe":
			// Also a Java class file; a Mach-O universal binary has a
			// small architecture count where a class has its version.
			if n >= 8 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] > 0 && b[7] < 20 {
				return "Mach-O", nil
			}
		}
	}
	return "", nil
}

// listFiles returns every regular file beneath root, sorted.
func listFiles(root *os.Root) ([]string, error) {
	var files []string
	err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
			if len(files) > MaxFiles {
				return errors.New("too many files to analyze")
			}
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func readCapped(root *os.Root, name string, limit int64) ([]byte, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", name)
	}
	return io.ReadAll(io.LimitReader(f, limit))
}

func lineOf(b []byte, off int) int { return bytes.Count(b[:off], []byte("\n")) + 1 }

func clip(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
