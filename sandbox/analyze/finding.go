package analyze

import "fmt"

// Severity is a SARIF result level.
type Severity string

const (
	Note    Severity = "note"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// rank orders severities for thresholds.
func (s Severity) rank() int {
	switch s {
	case Error:
		return 3
	case Warning:
		return 2
	case Note:
		return 1
	}
	return 0
}

// AtLeast reports whether s is as severe as min.
func (s Severity) AtLeast(min Severity) bool { return s.rank() >= min.rank() && min.rank() > 0 }

// ParseSeverity reads a threshold: "note", "warning", "error" or "never".
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Note, Warning, Error:
		return Severity(s), nil
	case "never":
		return "", nil
	}
	return "", fmt.Errorf("severity %q: want note, warning, error or never", s)
}

// Rule describes one kind of finding.
type Rule struct {
	ID      string
	Name    string // camel-case, as SARIF rule names go
	Short   string
	Help    string
	Default Severity
}

// Rules are the built-in analyzers' rules.
var Rules = []Rule{
	{ID: "AL001", Name: "InstallScriptFetchesCode", Default: Error,
		Short: "An install script downloads or evaluates code",
		Help:  "preinstall/install/postinstall runs curl, wget, a URL, `| sh`, `node -e`, eval or a base64 decoder. Code fetched at install time is not covered by the lockfile's hash. Review the script; airlock does not run it unless allowed in [scripts]."},
	{ID: "AL002", Name: "ObfuscatedInstallHook", Default: Error,
		Short: "The file an install script runs is obfuscated",
		Help:  "The JavaScript an install script runs has obfuscator-style identifiers (_0x1234), dense \\x escapes, or eval of decoded strings. Legitimate install hooks are readable; this is how most npm malware hides."},
	{ID: "AL003", Name: "InstallHookReadsCredentials", Default: Error,
		Short: "An install hook refers to credentials",
		Help:  "The install script or the file it runs mentions .npmrc, npm/GitHub/cloud tokens, SSH keys or similar. Install hooks have no reason to read credentials."},
	{ID: "AL004", Name: "UnexpectedNativeExecutable", Default: Warning,
		Short: "A native executable in a package that declares no native build",
		Help:  "The package ships an ELF, PE or Mach-O file but declares no os/cpu constraint, no binding.gyp, no gypfile and no .node addon. Pure-JavaScript packages do not need native executables."},
	{ID: "AL005", Name: "NativeExecutable", Default: Note,
		Short: "The package ships a prebuilt native executable",
		Help:  "Prebuilt binaries (esbuild, swc, sharp) cannot be reviewed as source. This is expected for native packages; it is listed so reviewers know."},
	{ID: "AL006", Name: "ManifestDisagreesWithLock", Default: Warning,
		Short: "package.json's name or version differs from the lockfile",
		Help:  "The archive's integrity matched the lockfile, but its package.json names another package or version: the lock was made from a mislabelled or substituted tarball."},
	{ID: "AL007", Name: "PthFile", Default: Warning,
		Short: "The wheel installs a .pth file",
		Help:  "Lines of a .pth file that start with `import` run at every interpreter start-up. Policy can deny wheels with .pth files."},
	{ID: "AL008", Name: "PluginFinding", Default: Warning,
		Short: "Reported by an analyzer plugin",
		Help:  "A third-party analyzer plugin reported this; see its message."},
	// AL1xx: known advisories (cmd/airlock/advisories.go), matched from
	// the imported OSV database and the registry's bulk endpoint.
	{ID: "AL101", Name: "KnownVulnerability", Default: Warning,
		Short: "The installed version has a known vulnerability",
		Help:  "An OSV or registry advisory lists this version as affected. Critical and high advisories are errors, moderate warnings, low notes. Upgrade to a fixed version, or record a reviewed exception in [policy] advisories = { ignore = [\"ID\"] }."},
	{ID: "AL102", Name: "MaliciousPackage", Default: Error,
		Short: "The installed package is a known malicious package",
		Help:  "A malicious-package report (OSV MAL-*, or a registry advisory for embedded malicious code, CWE-506) lists this version. Remove it, treat machines that installed it as compromised and rotate their credentials. Policy never lets it install."},
}

// RuleByID returns the rule with id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Finding is one thing an analyzer noticed.
type Finding struct {
	Rule     string
	Severity Severity
	Package  string
	Version  string
	// InstallPath is where the package lives in the project
	// ("node_modules/a"), so File can be shown relative to the project.
	InstallPath string
	// File is the file within the package, slash-separated; "" means the
	// package as a whole (its package.json).
	File    string
	Line    int
	Message string
	// Tool is "airlock" or the plugin that reported it.
	Tool string
}

// Location is the finding's file relative to the project.
func (f Finding) Location() string {
	file := f.File
	if file == "" {
		file = "package.json"
	}
	if f.InstallPath == "" {
		return file
	}
	return f.InstallPath + "/" + file
}

func (f Finding) String() string {
	loc := f.Location()
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, f.Line)
	}
	return fmt.Sprintf("%s %s@%s %s [%s]: %s", f.Severity, f.Package, f.Version, loc, f.Rule, f.Message)
}

func newFinding(id string, in Input, file string, line int, format string, args ...any) Finding {
	r, _ := RuleByID(id)
	return Finding{Rule: id, Severity: r.Default, Package: in.Name, Version: in.Version, InstallPath: in.InstallPath,
		File: file, Line: line, Message: fmt.Sprintf(format, args...), Tool: "airlock"}
}
