package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// No test reads the machine's /etc/uv/uv.toml or /etc/xdg, nor a
	// .yarnrc.yml or uv.toml above its temporary directory: every
	// t.TempDir is made under dir, where the upward searches stop.
	dir, err := os.MkdirTemp("", "airlock-config-etc")
	if err != nil {
		panic(err)
	}
	etcDir = filepath.Join(dir, "etc")
	searchRoot = dir
	os.Setenv("TMPDIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// layered is a machine: files under one root (a home, a project, an /etc),
// the environment naming them ($ROOT expands to the root).
type layered struct {
	files   map[string]string
	project string // relative to the root; "proj" when empty
	env     map[string]string
}

func (l layered) load(t *testing.T) (*Config, error) {
	t.Helper()
	root := t.TempDir()
	for name, body := range l.files {
		write(t, filepath.Join(root, name), body)
	}
	env := map[string]string{"HOME": filepath.Join(root, "home")}
	for k, v := range l.env {
		env[k] = strings.ReplaceAll(v, "$ROOT", root)
	}
	oldEtc, oldRoot := etcDir, searchRoot
	etcDir, searchRoot = filepath.Join(root, "etc"), root
	t.Cleanup(func() { etcDir, searchRoot = oldEtc, oldRoot })
	project := l.project
	if project == "" {
		project = "proj"
	}
	dir := filepath.Join(root, project)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return Load("", dir, func(k string) string { return env[k] })
}

// TestBunfigGlobal: bun reads $XDG_CONFIG_HOME/.bunfig.toml (else
// ~/.bunfig.toml) and the project's bunfig.toml over it, key by key.
// layerCase is one layered configuration and the cooldown it gives pkg.
type layerCase struct {
	name    string
	l       layered
	pkg     string
	want    time.Duration
	from    string // suffix of the source
	replace string // a note that a setting was replaced
}

// runLayerCases checks each case's cooldown for eco and the notes, and
// that none of it reaches the other ecosystem.
func runLayerCases(t *testing.T, tests []layerCase, eco, other Ecosystem) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.l.load(t)
			if err != nil {
				t.Fatal(err)
			}
			got, from := ageOf(c, eco, tt.pkg)
			if got != tt.want || !strings.HasSuffix(from, tt.from) {
				t.Errorf("%s: %v from %q, want %v from ...%q", tt.pkg, got, from, tt.want, tt.from)
			}
			if notes := strings.Join(c.Native.Notes, "\n"); !strings.Contains(notes, tt.replace) || tt.replace == "" && notes != "" {
				t.Errorf("notes = %q, want %q", notes, tt.replace)
			}
			if o, _ := ageOf(c, other, tt.pkg); o != 0 {
				t.Errorf("the cooldown applied to the other ecosystem too: %v", o)
			}
		})
	}
}

func TestBunfigGlobal(t *testing.T) {
	const global3d = "[install]\nminimumReleaseAge = 259200\nminimumReleaseAgeExcludes = [\"webpack\"]\n"
	tests := []layerCase{
		{"global in HOME", layered{files: map[string]string{"home/.bunfig.toml": global3d}}, "lodash", 3 * day,
			"home/.bunfig.toml [install] minimumReleaseAge = 259200 (seconds)", ""},
		{"global exclusion", layered{files: map[string]string{"home/.bunfig.toml": global3d}}, "webpack", 0,
			"home/.bunfig.toml [install] minimumReleaseAgeExcludes", ""},
		{"XDG_CONFIG_HOME replaces HOME", layered{
			files: map[string]string{"home/.bunfig.toml": global3d, "xdg/.bunfig.toml": "[install]\nminimumReleaseAge = 3600\n"},
			env:   map[string]string{"XDG_CONFIG_HOME": "$ROOT/xdg"}}, "lodash", time.Hour,
			"xdg/.bunfig.toml [install] minimumReleaseAge = 3600 (seconds)", ""},
		{"not in a bun folder under XDG_CONFIG_HOME", layered{
			files: map[string]string{"home/.bunfig.toml": global3d, "xdg/bun/bunfig.toml": "[install]\nminimumReleaseAge = 3600\n"},
			env:   map[string]string{"XDG_CONFIG_HOME": "$ROOT/xdg"}}, "lodash", 0, "", ""},
		{"the project's age wins", layered{files: map[string]string{"home/.bunfig.toml": global3d, "proj/bunfig.toml": "[install]\nminimumReleaseAge = 7200\n"}}, "lodash", 2 * time.Hour,
			"bunfig.toml [install] minimumReleaseAge = 7200 (seconds)", "home/.bunfig.toml [install] minimumReleaseAge = 259200 (seconds): not applied; bunfig.toml [install] minimumReleaseAge = 7200 (seconds) takes precedence"},
		{"the global exclusions stay when the project sets only the age", layered{files: map[string]string{"home/.bunfig.toml": global3d, "proj/bunfig.toml": "[install]\nminimumReleaseAge = 7200\n"}}, "webpack", 0,
			"home/.bunfig.toml [install] minimumReleaseAgeExcludes", "minimumReleaseAge = 259200 (seconds): not applied"},
		{"the project's exclusions replace the global list", layered{files: map[string]string{"home/.bunfig.toml": global3d, "proj/bunfig.toml": "[install]\nminimumReleaseAgeExcludes = [\"react\"]\n"}}, "webpack", 3 * day,
			"home/.bunfig.toml [install] minimumReleaseAge = 259200 (seconds)", "home/.bunfig.toml [install] minimumReleaseAgeExcludes: not applied; bunfig.toml [install] minimumReleaseAgeExcludes takes precedence"},
		{"the project's 0 turns the global one off", layered{files: map[string]string{"home/.bunfig.toml": global3d, "proj/bunfig.toml": "[install]\nminimumReleaseAge = 0\n"}}, "lodash", 0,
			"bunfig.toml [install] minimumReleaseAge = 0 (seconds)", "not applied"},
		{"a bunfig.toml in a parent is not bun's", layered{files: map[string]string{"bunfig.toml": global3d}}, "lodash", 0, "", ""},
	}
	runLayerCases(t, tests, JS, Python)
}

// TestUVLayers: uv's project configuration (found up the tree), user and
// system uv.toml merge project over user over system, key by key.
func TestUVLayers(t *testing.T) {
	const user7d = "exclude-newer = \"7 days\"\n[exclude-newer-package]\nrequests = false\nFoo_Bar = \"1 day\"\n"
	tests := []layerCase{
		{"user uv.toml", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d}}, "idna", 7 * day,
			"home/.config/uv/uv.toml exclude-newer = \"7 days\"", ""},
		{"user exemption", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d}}, "requests", 0,
			"home/.config/uv/uv.toml exclude-newer-package requests = false", ""},
		{"absolute XDG_CONFIG_HOME", layered{
			files: map[string]string{"home/.config/uv/uv.toml": user7d, "xdg/uv/uv.toml": "exclude-newer = \"1 day\"\n"},
			env:   map[string]string{"XDG_CONFIG_HOME": "$ROOT/xdg"}}, "idna", day, "xdg/uv/uv.toml exclude-newer = \"1 day\"", ""},
		{"a relative XDG_CONFIG_HOME is ignored, as in uv", layered{
			files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/xdg/uv/uv.toml": "exclude-newer = \"1 day\"\n"},
			env:   map[string]string{"XDG_CONFIG_HOME": "xdg"}}, "idna", 7 * day, "home/.config/uv/uv.toml exclude-newer = \"7 days\"", ""},
		{"system /etc/uv/uv.toml", layered{files: map[string]string{"etc/uv/uv.toml": "exclude-newer = \"2 days\"\n"}}, "idna", 2 * day,
			"etc/uv/uv.toml exclude-newer = \"2 days\"", ""},
		{"XDG_CONFIG_DIRS before /etc/uv", layered{
			files: map[string]string{"etc/uv/uv.toml": "exclude-newer = \"2 days\"\n", "sys2/uv/uv.toml": "exclude-newer = \"3 days\"\n"},
			env:   map[string]string{"XDG_CONFIG_DIRS": "$ROOT/sys1:$ROOT/sys2"}}, "idna", 3 * day, "sys2/uv/uv.toml exclude-newer = \"3 days\"", ""},
		{"/etc/xdg is the default XDG_CONFIG_DIRS", layered{
			files: map[string]string{"etc/uv/uv.toml": "exclude-newer = \"2 days\"\n", "etc/xdg/uv/uv.toml": "exclude-newer = \"3 days\"\n"}}, "idna", 3 * day, "etc/xdg/uv/uv.toml exclude-newer = \"3 days\"", ""},
		{"UV_NO_SYSTEM_CONFIG", layered{files: map[string]string{"etc/uv/uv.toml": "exclude-newer = \"2 days\"\n"},
			env: map[string]string{"UV_NO_SYSTEM_CONFIG": "1"}}, "idna", 0, "", ""},
		{"user over system", layered{files: map[string]string{"etc/uv/uv.toml": "exclude-newer = \"2 days\"\n", "home/.config/uv/uv.toml": user7d}}, "idna", 7 * day,
			"home/.config/uv/uv.toml exclude-newer = \"7 days\"", "etc/uv/uv.toml exclude-newer = \"2 days\": not applied; " /* the winner follows */},
		{"project over user", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/uv.toml": "exclude-newer = \"1 day\"\n"}}, "idna", day,
			"uv.toml exclude-newer = \"1 day\"", "uv.toml exclude-newer = \"7 days\": not applied; uv.toml exclude-newer = \"1 day\" takes precedence"},
		{"the user's exemption stays when the project sets exclude-newer", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/pyproject.toml": "[tool.uv]\nexclude-newer = \"3 days\"\n"}}, "requests", 0,
			"home/.config/uv/uv.toml exclude-newer-package requests = false", "uv.toml exclude-newer = \"7 days\": not applied"},
		{"a package's setting merges by normalized name", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/uv.toml": "[exclude-newer-package]\nfoo-bar = \"2 days\"\n"}}, "foo-bar", 2 * day,
			"uv.toml exclude-newer-package foo-bar = \"2 days\"", "exclude-newer-package Foo_Bar = \"1 day\": not applied; uv.toml exclude-newer-package foo-bar = \"2 days\" takes precedence"},
		{"the project's false turns the user's cooldown off", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/uv.toml": "exclude-newer = false\n"}}, "idna", 0,
			"uv.toml exclude-newer = false", "not applied; uv.toml exclude-newer = false takes precedence"},
		{"a parent's uv.toml", layered{project: "ws/proj", files: map[string]string{"ws/uv.toml": "exclude-newer = \"4 days\"\n", "ws/proj/pyproject.toml": "[project]\nname = \"x\"\n"}}, "idna", 4 * day,
			"ws/uv.toml exclude-newer = \"4 days\"", ""},
		{"a pyproject.toml with [tool.uv] stops the search", layered{project: "ws/proj", files: map[string]string{"ws/uv.toml": "exclude-newer = \"4 days\"\n", "ws/proj/pyproject.toml": "[tool.uv]\npackage = false\n"}}, "idna", 0, "", ""},
		{"only the nearest project file", layered{project: "ws/proj", files: map[string]string{"ws/uv.toml": "exclude-newer = \"4 days\"\n", "ws/proj/uv.toml": "exclude-newer = \"1 day\"\n"}}, "idna", day, "uv.toml exclude-newer = \"1 day\"", ""},
		{"uv.toml masks pyproject.toml's [tool.uv]", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"1 day\"\n", "proj/pyproject.toml": "[tool.uv]\nexclude-newer = \"9 days\"\n"}}, "idna", day,
			"uv.toml exclude-newer = \"1 day\"", "pyproject.toml [tool.uv]: exclude-newer settings not applied; uv.toml beside it takes precedence"},
		{"UV_CONFIG_FILE replaces every file", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/uv.toml": "exclude-newer = \"1 day\"\n", "ci.toml": "exclude-newer = \"5 days\"\n"},
			env: map[string]string{"UV_CONFIG_FILE": "$ROOT/ci.toml"}}, "requests", 5 * day, "ci.toml (UV_CONFIG_FILE) exclude-newer = \"5 days\"", ""},
		{"UV_NO_CONFIG", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d, "proj/uv.toml": "exclude-newer = \"1 day\"\n"},
			env: map[string]string{"UV_NO_CONFIG": "true"}}, "idna", 0, "", "env UV_NO_CONFIG=true"},
		{"UV_NO_CONFIG=0 reads them", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"1 day\"\n"},
			env: map[string]string{"UV_NO_CONFIG": "0"}}, "idna", day, "uv.toml exclude-newer = \"1 day\"", ""},
		{"UV_EXCLUDE_NEWER over the files", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d},
			env: map[string]string{"UV_EXCLUDE_NEWER": "P2D"}}, "idna", 2 * day, "env UV_EXCLUDE_NEWER=P2D", "exclude-newer = \"7 days\": not applied; env UV_EXCLUDE_NEWER=P2D takes precedence"},
		{"UV_EXCLUDE_NEWER keeps the files' exemptions", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d},
			env: map[string]string{"UV_EXCLUDE_NEWER": "P2D"}}, "requests", 0, "exclude-newer-package requests = false", "not applied; env UV_EXCLUDE_NEWER=P2D"},
		{"UV_EXCLUDE_NEWER=false", layered{files: map[string]string{"home/.config/uv/uv.toml": user7d},
			env: map[string]string{"UV_EXCLUDE_NEWER": "false"}}, "idna", 0, "env UV_EXCLUDE_NEWER=false", "not applied"},
		{"[pip] is honoured too: the stricter view wins", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"1 day\"\n[pip]\nexclude-newer = \"9 days\"\n"}}, "idna", 9 * day,
			"uv.toml [pip] exclude-newer = \"9 days\"", ""},
		{"[tool.uv.pip] alone", layered{files: map[string]string{"proj/pyproject.toml": "[tool.uv.pip]\nexclude-newer = \"2 days\"\n"}}, "idna", 2 * day,
			"pyproject.toml [tool.uv.pip] exclude-newer = \"2 days\"", ""},
		{"[pip] merges project over user", layered{files: map[string]string{"home/.config/uv/uv.toml": "[pip]\nexclude-newer = \"5 days\"\n", "proj/uv.toml": "[pip]\nexclude-newer = \"1 day\"\n"}}, "idna", day,
			"uv.toml [pip] exclude-newer = \"1 day\"", "uv.toml [pip] exclude-newer = \"5 days\": not applied; uv.toml [pip] exclude-newer = \"1 day\" takes precedence"},
		{"[pip] false leaves uv sync's cooldown", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"7 days\"\n[pip]\nexclude-newer = false\n"}}, "idna", 7 * day,
			"uv.toml exclude-newer = \"7 days\"", ""},
		{"[pip] exemption, the top-level cooldown still applies", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"7 days\"\n[pip.exclude-newer-package]\nidna = false\n"}}, "idna", 7 * day,
			"uv.toml exclude-newer = \"7 days\"", ""},
		{"UV_EXCLUDE_NEWER over [pip]", layered{files: map[string]string{"proj/uv.toml": "exclude-newer = \"1 day\"\n[pip]\nexclude-newer = \"9 days\"\n"},
			env: map[string]string{"UV_EXCLUDE_NEWER": "PT1H"}}, "idna", time.Hour, "env UV_EXCLUDE_NEWER=PT1H", "uv.toml [pip] exclude-newer = \"9 days\": not applied; env UV_EXCLUDE_NEWER=PT1H"},
		{"UV_EXCLUDE_NEWER alone", layered{env: map[string]string{"UV_EXCLUDE_NEWER": "3 days"}}, "idna", 3 * day, "env UV_EXCLUDE_NEWER=3 days", ""},
	}
	runLayerCases(t, tests, Python, JS)
}

// readFiles names the native files c read as "dir/file", in order.
func readFiles(c *Config) []string {
	var got []string
	for _, p := range c.Native.Read {
		got = append(got, filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p))
	}
	return got
}

// TestNativeLayersRead: explain lists every file a cooldown came from,
// user-level ones included.
func TestNativeLayersRead(t *testing.T) {
	c, err := layered{files: map[string]string{
		"home/.bunfig.toml":       "[install]\nminimumReleaseAge = 60\n",
		"home/.config/uv/uv.toml": "exclude-newer = \"1 day\"\n",
		"proj/uv.toml":            "[exclude-newer-package]\nidna = false\n",
		"proj/bunfig.toml":        "[install]\nlinker = \"isolated\"\n",
	}}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	got := readFiles(c)
	if want := "home/.bunfig.toml proj/uv.toml uv/uv.toml"; strings.Join(got, " ") != want {
		t.Errorf("Read = %q, want %q (a file without a cooldown setting is not listed)", got, want)
	}
}

// TestNativeLayersUnreadable: a user- or system-level file that exists but
// cannot be read as its tool reads it is an error naming it, not "no
// cooldown".
func TestNativeLayersUnreadable(t *testing.T) {
	tests := []struct {
		name string
		l    layered
		want string
	}{
		{"global bunfig malformed", layered{files: map[string]string{"home/.bunfig.toml": "[install]\nminimumReleaseAge = \"3 days\"\n"}}, "home/.bunfig.toml: "},
		{"global bunfig negative", layered{files: map[string]string{"home/.bunfig.toml": "[install]\nminimumReleaseAge = -1\n"}}, "want a non-negative number of seconds"},
		{"global bunfig overridden but malformed", layered{files: map[string]string{"home/.bunfig.toml": "[install\n", "proj/bunfig.toml": "[install]\nminimumReleaseAge = 1\n"}}, "home/.bunfig.toml: "},
		{"global bunfig not a file", layered{files: map[string]string{"home/.bunfig.toml/x": ""}}, "is not a regular file"},
		{"user uv.toml malformed", layered{files: map[string]string{"home/.config/uv/uv.toml": "exclude-newer = \"a while\"\n"}}, "home/.config/uv/uv.toml: "},
		{"user uv.toml true", layered{files: map[string]string{"home/.config/uv/uv.toml": "exclude-newer = true\n"}}, "exclude-newer = true: want false"},
		{"user uv.toml not a file", layered{files: map[string]string{"home/.config/uv/uv.toml/x": ""}}, "is not a regular file"},
		{"system uv.toml malformed", layered{files: map[string]string{"etc/uv/uv.toml": "exclude-newer-package = { idna = 3 }\n"}}, "etc/uv/uv.toml: "},
		{"parent pyproject.toml malformed", layered{project: "ws/proj", files: map[string]string{"ws/pyproject.toml": "[tool.uv\n"}}, "ws/pyproject.toml: "},
		{"UV_CONFIG_FILE missing", layered{env: map[string]string{"UV_CONFIG_FILE": "$ROOT/nope.toml"}}, "UV_CONFIG_FILE=" /* names the variable */},
		{"UV_NO_CONFIG not a boolean", layered{env: map[string]string{"UV_NO_CONFIG": "maybe"}}, `UV_NO_CONFIG="maybe": want true or false`},
		{"UV_EXCLUDE_NEWER malformed", layered{env: map[string]string{"UV_EXCLUDE_NEWER": "1 month"}}, "env UV_EXCLUDE_NEWER: "},
		{"home .yarnrc.yml not YAML", layered{files: map[string]string{"home/.yarnrc.yml": "npmMinimalAgeGate: [3d\n"}}, "home/.yarnrc.yml: airlock reads a strict subset of YAML"},
		{"home .yarnrc.yml duration", layered{files: map[string]string{"home/.yarnrc.yml": "npmMinimalAgeGate: 3 days\n"}}, `home/.yarnrc.yml: line 1: npmMinimalAgeGate = "3 days": want minutes`},
		{"home .yarnrc.yml overridden but malformed", layered{files: map[string]string{"home/.yarnrc.yml": "npmMinimalAgeGate: 3 days\n", "proj/.yarnrc.yml": "npmMinimalAgeGate: 1d\n"}}, "home/.yarnrc.yml: "},
		{"home .yarnrc.yml not a file", layered{files: map[string]string{"home/.yarnrc.yml/x": ""}}, "is not a regular file"},
		{"parent .yarnrc.yml not a mapping", layered{project: "ws/proj", files: map[string]string{"ws/.yarnrc.yml": "- npmMinimalAgeGate\n"}}, "ws/.yarnrc.yml: not a mapping of settings"},
		{"a setting airlock reads in YAML it cannot read", layered{files: map[string]string{"home/.yarnrc.yml": "plugins:\n  - path: a.cjs\n    spec: a\nnpmPreapprovedPackages:\n  - name: b\n    spec: c\n"}}, "home/.yarnrc.yml: airlock reads a strict subset of YAML: not pnpm's YAML: line 5"},
		{"empty npmMinimalAgeGate", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate:\n"}}, "npmMinimalAgeGate (line 1) is empty"},
		{"npmMinimalAgeGate with a variable", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate: ${GATE:-3d}\n"}}, "yarn substitutes ${VARIABLE}"},
		{"npmMinimalAgeGate list", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate: [3d]\n"}}, "not a list or mapping"},
		{"npmMinimalAgeGate hardReset", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate:\n  onConflict: hardReset\n  value: 3d\n"}}, "onConflict: hardReset applies to lists"},
		{"npmPreapprovedPackages item", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate: 1d\nnpmPreapprovedPackages:\n  - {a: b}\n"}}, "npmPreapprovedPackages (line 3): want a package name"},
		{"npmPreapprovedPackages mapping", layered{files: map[string]string{"home/.yarnrc.yml": "npmPreapprovedPackages:\n  a: b\n"}}, "want a list of package names"},
		{"YARN_NPM_MINIMAL_AGE_GATE malformed", layered{env: map[string]string{"YARN_NPM_MINIMAL_AGE_GATE": "3 d"}}, "env YARN_NPM_MINIMAL_AGE_GATE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.l.load(t); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestYarnrcLayers: yarn reads .yarnrc.yml in the project, in every parent
// and in the home directory, nearer over farther for a value, lists
// concatenated, and YARN_* variables over them all.
func TestYarnrcLayers(t *testing.T) {
	const home3d = "npmMinimalAgeGate: 3d\nnpmPreapprovedPackages:\n  - webpack\n"
	tests := []layerCase{
		{"home", layered{files: map[string]string{"home/.yarnrc.yml": home3d}}, "lodash", 3 * day,
			"home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)", ""},
		{"home exemption", layered{files: map[string]string{"home/.yarnrc.yml": home3d}}, "webpack", 0,
			"home/.yarnrc.yml:3 npmPreapprovedPackages", ""},
		{"a parent's", layered{project: "ws/proj", files: map[string]string{"ws/.yarnrc.yml": "npmMinimalAgeGate: 2880\n"}}, "lodash", 2 * day,
			"ws/.yarnrc.yml:1 npmMinimalAgeGate: 2880 (minutes)", ""},
		{"every parent up to the root", layered{project: "a/b/c/proj", files: map[string]string{"a/.yarnrc.yml": "npmMinimalAgeGate: 2h\n"}}, "lodash", 2 * time.Hour,
			"a/.yarnrc.yml:1 npmMinimalAgeGate: 2h (h)", ""},
		{"a parent's over the home one", layered{project: "ws/proj", files: map[string]string{"home/.yarnrc.yml": home3d, "ws/.yarnrc.yml": "npmMinimalAgeGate: 2d\n"}}, "lodash", 2 * day,
			"ws/.yarnrc.yml:1 npmMinimalAgeGate: 2d (d)", "home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d): not applied; "},
		{"the project's over both", layered{project: "ws/proj", files: map[string]string{"home/.yarnrc.yml": home3d, "ws/.yarnrc.yml": "npmMinimalAgeGate: 2d\n", "ws/proj/.yarnrc.yml": "npmMinimalAgeGate: 60\n"}}, "lodash", time.Hour,
			".yarnrc.yml:1 npmMinimalAgeGate: 60 (minutes)", "ws/.yarnrc.yml:1 npmMinimalAgeGate: 2d (d): not applied; .yarnrc.yml:1 npmMinimalAgeGate: 60 (minutes) takes precedence (yarn reads the nearest .yarnrc.yml"},
		{"the project's 0 turns the home one off", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmMinimalAgeGate: 0\n"}}, "lodash", 0,
			".yarnrc.yml:1 npmMinimalAgeGate: 0 (minutes)", "not applied"},
		{"lists concatenate", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmPreapprovedPackages: [react]\n"}}, "webpack", 0,
			"home/.yarnrc.yml:3 npmPreapprovedPackages", ""},
		{"lists concatenate, the nearer", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmPreapprovedPackages: [react]\n"}}, "react", 0,
			".yarnrc.yml:1 npmPreapprovedPackages", ""},
		{"a string list is split at commas", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate: 1d\nnpmPreapprovedPackages: react,webpack\n"}}, "webpack", 0,
			".yarnrc.yml:2 npmPreapprovedPackages", ""},
		{"onConflict: reset keeps the farther lists out", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmPreapprovedPackages:\n  onConflict: reset\n  value:\n    - react\n"}}, "webpack", 3 * day,
			"home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)", "home/.yarnrc.yml:3 npmPreapprovedPackages: not applied; .yarnrc.yml:2 npmPreapprovedPackages takes precedence"},
		{"onConflict: hardReset drops its own list too", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmPreapprovedPackages:\n  onConflict: hardReset\n  value: [react]\n"}}, "react", 3 * day,
			"home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)", "home/.yarnrc.yml:3 npmPreapprovedPackages: not applied; .yarnrc.yml:2 npmPreapprovedPackages onConflict: hardReset takes precedence"},
		{"a file's onConflict: reset hides the farther files", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "onConflict: reset\nnodeLinker: node-modules\n"}}, "lodash", 0,
			"", "home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d): not applied; .yarnrc.yml onConflict: reset"},
		{"a file's onConflict: hardReset hides itself too", layered{project: "ws/proj", files: map[string]string{"home/.yarnrc.yml": home3d,
			"ws/.yarnrc.yml": "onConflict: hardReset\nnpmMinimalAgeGate: 2d\nnpmPreapprovedPackages: [vue]\n", "ws/proj/package.json": `{"packageManager": "yarn@4.18.1"}`}}, "vue", day,
			`yarn 4.15's default npmMinimalAgeGate (1d), as package.json packageManager is "yarn@4.18.1"`, "ws/.yarnrc.yml:2 npmMinimalAgeGate: 2d (d): not applied; " /* ws/.yarnrc.yml onConflict: hardReset */},
		{"yarn 3's plugins list does not stop the read", layered{files: map[string]string{"home/.yarnrc.yml": "plugins:\n  - path: .yarn/plugins/@yarnpkg/plugin-workspace-tools.cjs\n    spec: \"@yarnpkg/plugin-workspace-tools\"\n\nnpmMinimalAgeGate: 3d # the gate\n"}}, "lodash", 3 * day,
			"home/.yarnrc.yml:5 npmMinimalAgeGate: 3d (d)", ""},
		{"the home file in the chain keeps its place", layered{project: "home/proj", files: map[string]string{".yarnrc.yml": "npmMinimalAgeGate: 7d\n", "home/.yarnrc.yml": home3d}}, "lodash", 3 * day,
			"home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)", "npmMinimalAgeGate: 7d (d): not applied"},
		{"YARN_NPM_MINIMAL_AGE_GATE over the files", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "proj/.yarnrc.yml": "npmMinimalAgeGate: 1d\n"},
			env: map[string]string{"YARN_NPM_MINIMAL_AGE_GATE": "12h"}}, "lodash", 12 * time.Hour, "env YARN_NPM_MINIMAL_AGE_GATE=12h (h)",
			".yarnrc.yml:1 npmMinimalAgeGate: 1d (d): not applied; env YARN_NPM_MINIMAL_AGE_GATE=12h (h) takes precedence (yarn's environment variables"},
		{"YARN_NPM_MINIMAL_AGE_GATE keeps the files' exemptions", layered{files: map[string]string{"home/.yarnrc.yml": home3d},
			env: map[string]string{"YARN_NPM_MINIMAL_AGE_GATE": "12h"}}, "webpack", 0, "home/.yarnrc.yml:3 npmPreapprovedPackages", "not applied"},
		{"YARN_NPM_PREAPPROVED_PACKAGES replaces the lists", layered{files: map[string]string{"home/.yarnrc.yml": home3d},
			env: map[string]string{"YARN_NPM_PREAPPROVED_PACKAGES": "react,lodash"}}, "webpack", 3 * day, "home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)",
			"home/.yarnrc.yml:3 npmPreapprovedPackages: not applied; env YARN_NPM_PREAPPROVED_PACKAGES takes precedence"},
		{"YARN_NPM_PREAPPROVED_PACKAGES exempts", layered{files: map[string]string{"home/.yarnrc.yml": home3d},
			env: map[string]string{"YARN_NPM_PREAPPROVED_PACKAGES": "react,lodash"}}, "lodash", 0, "env YARN_NPM_PREAPPROVED_PACKAGES", "not applied"},
		{"YARN_RC_FILENAME renames the project's files", layered{files: map[string]string{"proj/.yarnrc.yml": "npmMinimalAgeGate: 1d\n", "proj/ci.yml": "npmMinimalAgeGate: 5d\n"},
			env: map[string]string{"YARN_RC_FILENAME": "ci.yml"}}, "lodash", 5 * day, "ci.yml:1 npmMinimalAgeGate: 5d (d)", ""},
		{"YARN_RC_FILENAME leaves the home file's name", layered{files: map[string]string{"home/.yarnrc.yml": home3d, "home/ci.yml": "npmMinimalAgeGate: 9d\n"},
			env: map[string]string{"YARN_RC_FILENAME": "ci.yml"}}, "lodash", 3 * day, "home/.yarnrc.yml:1 npmMinimalAgeGate: 3d (d)", ""},
		{"yarn 4.15 waits a day by default", layered{files: map[string]string{"proj/package.json": `{"packageManager": "yarn@4.18.1+sha512.abc"}`}}, "lodash", day,
			`yarn 4.15's default npmMinimalAgeGate (1d), as package.json packageManager is "yarn@4.18.1+sha512.abc"`, ""},
		{"yarn 4.14 does not", layered{files: map[string]string{"proj/package.json": `{"packageManager": "yarn@4.14.1"}`}}, "lodash", 0, "", ""},
		{"the default keeps the files' exemptions", layered{files: map[string]string{"proj/package.json": `{"packageManager": "yarn@4.15.0"}`, "home/.yarnrc.yml": "npmPreapprovedPackages: [webpack]\n"}}, "webpack", 0,
			"home/.yarnrc.yml:1 npmPreapprovedPackages", ""},
		{"a file's 0 replaces the default", layered{files: map[string]string{"proj/package.json": `{"packageManager": "yarn@4.15.0"}`, "home/.yarnrc.yml": "npmMinimalAgeGate: 0\n"}}, "lodash", 0,
			"home/.yarnrc.yml:1 npmMinimalAgeGate: 0 (minutes)", ""},
	}
	runLayerCases(t, tests, JS, Python)
}

// TestYarnrcRead: explain lists each .yarnrc.yml that holds a cooldown
// setting, nearest first, and no other.
func TestYarnrcRead(t *testing.T) {
	c, err := layered{project: "ws/proj", files: map[string]string{
		"home/.yarnrc.yml":    "npmPreapprovedPackages: [webpack]\n",
		"ws/.yarnrc.yml":      "npmMinimalAgeGate: 1d\n",
		"ws/proj/.yarnrc.yml": "nodeLinker: node-modules\n",
	}}.load(t)
	if err != nil {
		t.Fatal(err)
	}
	got := readFiles(c)
	if want := "ws/.yarnrc.yml home/.yarnrc.yml"; strings.Join(got, " ") != want {
		t.Errorf("Read = %q, want %q", got, want)
	}
}
