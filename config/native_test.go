package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

// loadIn loads the configuration of a project holding files.
func loadIn(t *testing.T, files map[string]string) *Config {
	t.Helper()
	c, err := loadInErr(t, files)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func loadInErr(t *testing.T, files map[string]string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		write(t, filepath.Join(dir, name), body)
	}
	return Load("", dir, env(map[string]string{"HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}))
}

// ageOf is the min_release_age the effective policy gives name.
func ageOf(c *Config, eco Ecosystem, name string, extra ...NativeAge) (time.Duration, string) {
	e := c.PolicyFor(eco, extra...).For(name)
	return e.MinReleaseAge, e.From["min_release_age"]
}

// TestNativeUnits: every tool counts its cooldown in its own unit.
func TestNativeUnits(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  time.Duration
		from  string
	}{
		{"pnpm-workspace.yaml minutes", map[string]string{"pnpm-workspace.yaml": "packages:\n  - '.'\nminimumReleaseAge: 1440\n"}, day, "pnpm-workspace.yaml:3 minimumReleaseAge: 1440 (minutes)"},
		{"bunfig.toml seconds", map[string]string{"bunfig.toml": "[install]\nminimumReleaseAge = 259200\n"}, 3 * day, "bunfig.toml [install] minimumReleaseAge = 259200 (seconds)"},
		{"yarnrc bare number is minutes", map[string]string{".yarnrc.yml": "nodeLinker: node-modules\nnpmMinimalAgeGate: 2880\n"}, 2 * day, ".yarnrc.yml:2 npmMinimalAgeGate: 2880 (minutes)"},
		{"yarnrc with a unit", map[string]string{".yarnrc.yml": "npmMinimalAgeGate: 3d\n"}, 3 * day, ".yarnrc.yml:1 npmMinimalAgeGate: 3d (d)"},
		{"yarnrc hours", map[string]string{".yarnrc.yml": "npmMinimalAgeGate: \"12h\"\n"}, 12 * time.Hour, ""},
		{"yarnrc fraction without a leading digit", map[string]string{".yarnrc.yml": "npmMinimalAgeGate: .5d\n"}, 12 * time.Hour, ".yarnrc.yml:1 npmMinimalAgeGate: .5d (d)"},
		{"pnpm 11 default", map[string]string{"package.json": `{"packageManager": "pnpm@11.1.0+sha512.abc"}`}, day, "pnpm 11's default"},
		{"pnpm 10 has no default", map[string]string{"package.json": `{"packageManager": "pnpm@10.34.9"}`}, 0, ""},
		{"pnpm 11 default yields to an explicit 0", map[string]string{"package.json": `{"packageManager": "pnpm@11.0.0"}`, "pnpm-workspace.yaml": "minimumReleaseAge: 0\n"}, 0, "pnpm-workspace.yaml:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadIn(t, tt.files)
			got, from := ageOf(c, JS, "left-pad")
			if got != tt.want || !strings.HasPrefix(from, tt.from) {
				t.Errorf("min_release_age = %v from %q, want %v from %q...", got, from, tt.want, tt.from)
			}
			if py, _ := ageOf(c, Python, "left-pad"); py != 0 {
				t.Errorf("a JavaScript tool's cooldown applied to Python: %v", py)
			}
		})
	}
}

func TestNpmrcAgesUnits(t *testing.T) {
	vals := map[string]NpmrcSetting{
		"min-release-age":             {Value: "3", Source: "/p/.npmrc"},
		"minimum-release-age":         {Value: "90", Source: "/home/u/.npmrc"},
		"minimum-release-age-exclude": {Value: "webpack", Source: "/home/u/.npmrc"},
	}
	get := func(k string) (NpmrcSetting, bool) { v, ok := vals[k]; return v, ok }
	getAll := func(k string) []string {
		if v, ok := vals[k]; ok {
			return []string{v.Value}
		}
		return nil
	}
	ages, err := NpmrcAges(get, getAll)
	if err != nil {
		t.Fatal(err)
	}
	if len(ages) != 2 || ages[0].Age != 3*day || ages[0].Tool != "npm" || ages[1].Age != 90*time.Minute || ages[1].Tool != "pnpm" {
		t.Fatalf("ages = %+v; want npm 3 days (min-release-age is days) and pnpm 90 minutes", ages)
	}
	if ages[0].From != "/p/.npmrc min-release-age=3 (days)" || len(ages[1].Packages) != 1 || ages[1].Packages[0].Pattern != "webpack" {
		t.Errorf("ages = %+v", ages)
	}
	vals["min-release-age"] = NpmrcSetting{Value: "a week", Source: "/p/.npmrc"}
	if _, err := NpmrcAges(get, getAll); err == nil || !strings.Contains(err.Error(), "days") {
		t.Errorf("a malformed min-release-age: err = %v", err)
	}
}

// TestNativeStrictest: each source is honoured; an exclusion lifts only
// its own source's cooldown.
func TestNativeStrictest(t *testing.T) {
	c := loadIn(t, map[string]string{
		"pnpm-workspace.yaml": "minimumReleaseAge: 1440\nminimumReleaseAgeExclude:\n  - webpack\n  - '@corp/*'\n  - nx@21.6.5\n",
		"bunfig.toml":         "[install]\nminimumReleaseAge = 7200\nminimumReleaseAgeExcludes = [\"webpack\"]\n",
	})
	for _, tt := range []struct {
		name string
		want time.Duration
		from string
	}{
		{"lodash", day, "pnpm-workspace.yaml:1 minimumReleaseAge"},
		{"webpack", 0, "pnpm-workspace.yaml:3 minimumReleaseAgeExclude; bunfig.toml [install] minimumReleaseAgeExcludes"},
		{"@corp/x", 2 * time.Hour, "bunfig.toml [install] minimumReleaseAge"},
		{"nx", day, "pnpm-workspace.yaml:1"},
	} {
		got, from := ageOf(c, JS, tt.name)
		if got != tt.want || !strings.HasPrefix(from, tt.from) {
			t.Errorf("%s: %v from %q, want %v from %q", tt.name, got, from, tt.want, tt.from)
		}
	}
	if len(c.Native.Notes) != 1 || !strings.Contains(c.Native.Notes[0], `"nx@21.6.5" exempts particular versions`) {
		t.Errorf("notes = %q", c.Native.Notes)
	}
	// .npmrc's cooldown joins in per install.
	if got, from := ageOf(c, JS, "lodash", NativeAge{Tool: "npm", Age: 3 * day, From: ".npmrc min-release-age=3 (days)"}); got != 3*day || from != ".npmrc min-release-age=3 (days)" {
		t.Errorf("with .npmrc: %v from %q", got, from)
	}
}

// TestNativePrecedence: airlock.toml wins where both speak.
func TestNativePrecedence(t *testing.T) {
	native := map[string]string{"pnpm-workspace.yaml": "minimumReleaseAge: 10080\nminimumReleaseAgeExclude: [webpack]\n"}

	files := map[string]string{FileName: "[policy]\nmin_release_age = \"1d\"\n"}
	for k, v := range native {
		files[k] = v
	}
	c := loadIn(t, files)
	for _, name := range []string{"lodash", "webpack"} {
		if got, from := ageOf(c, JS, name); got != day || from != "[policy]" {
			t.Errorf("%s: airlock.toml's min_release_age must replace the native ones: %v from %q", name, got, from)
		}
	}
	if ages, by := c.NativeAges(JS); ages != nil || !strings.HasSuffix(by, "airlock.toml [policy]") {
		t.Errorf("NativeAges = %v, %q", ages, by)
	}

	// A per-package airlock.toml rule beats the native cooldown for that
	// package; the rest keep it.
	files[FileName] = "[policy.packages.\"lodash\"]\nmin_release_age = \"0\"\n[policy.packages.\"webpack\"]\nmin_release_age = \"2d\"\n"
	c = loadIn(t, files)
	if got, from := ageOf(c, JS, "lodash"); got != 0 || from != `[policy.packages."lodash"]` {
		t.Errorf("lodash: %v from %q", got, from)
	}
	if got, _ := ageOf(c, JS, "webpack"); got != 2*day {
		t.Errorf("webpack: %v, want airlock.toml's 2d over pnpm's exclusion", got)
	}
	if got, _ := ageOf(c, JS, "react"); got != 7*day {
		t.Errorf("react: %v, want pnpm's 7 days", got)
	}

	// The environment replaces the native cooldowns too.
	dir := t.TempDir()
	write(t, filepath.Join(dir, "pnpm-workspace.yaml"), native["pnpm-workspace.yaml"])
	c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_MIN_RELEASE_AGE": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ageOf(c, JS, "react"); got != 0 {
		t.Errorf("AIRLOCK_MIN_RELEASE_AGE=0 must replace native cooldowns: %v", got)
	}
}

func TestUVExcludeNewer(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		files map[string]string
		name  string
		want  time.Duration
	}{
		{map[string]string{"uv.toml": "exclude-newer = \"2026-11-19T00:00:00Z\"\n"}, "requests", 7 * day},
		{map[string]string{"uv.toml": "exclude-newer = \"2026-11-25\"\n"}, "requests", day},
		{map[string]string{"uv.toml": "exclude-newer = \"2027-01-01T00:00:00Z\"\n"}, "requests", 0},
		{map[string]string{"pyproject.toml": "[project]\nname = \"x\"\n[tool.uv]\nexclude-newer = \"1 week\"\n"}, "requests", 7 * day},
		{map[string]string{"pyproject.toml": "[tool.uv]\nexclude-newer = \"2 days 12 hours\"\n"}, "requests", 60 * time.Hour},
		{map[string]string{"uv.toml": "exclude-newer = \"P3D\"\n"}, "requests", 3 * day},
		{map[string]string{"uv.toml": "exclude-newer = \"7 days\"\n[exclude-newer-package]\nrequests = false\nurllib3 = \"1 day\"\n"}, "requests", 0},
		{map[string]string{"uv.toml": "exclude-newer = \"7 days\"\n[exclude-newer-package]\nrequests = false\nurllib3 = \"1 day\"\n"}, "urllib3", day},
		{map[string]string{"uv.toml": "exclude-newer = \"7 days\"\n[exclude-newer-package]\nrequests = false\n"}, "idna", 7 * day},
	}
	for _, tt := range tests {
		c := loadIn(t, tt.files)
		c.now = func() time.Time { return now }
		if got, _ := ageOf(c, Python, tt.name); got != tt.want {
			t.Errorf("%v %s: %v, want %v", tt.files, tt.name, got, tt.want)
		}
		if got, _ := ageOf(c, JS, tt.name); got != 0 {
			t.Errorf("uv's cooldown applied to JavaScript: %v", got)
		}
	}
	for _, bad := range []string{"1 month", "yesterday", "-3 days", ""} {
		if _, err := loadInErr(t, map[string]string{"uv.toml": "exclude-newer = \"" + bad + "\"\n"}); err == nil {
			t.Errorf("exclude-newer = %q accepted", bad)
		}
	}
}

func TestNativeMalformed(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"minutes as text":   {"pnpm-workspace.yaml": "minimumReleaseAge: a day\n"},
		"negative":          {"pnpm-workspace.yaml": "minimumReleaseAge: -5\n"},
		"bun text":          {"bunfig.toml": "[install]\nminimumReleaseAge = \"3d\"\n"},
		"yarn unit":         {".yarnrc.yml": "npmMinimalAgeGate: 3 fortnights\n"},
		"yarn unit spaced":  {".yarnrc.yml": "npmMinimalAgeGate: 3 d\n"},
		"package.json":      {"package.json": `{"trustedDependencies": "esbuild"}`},
		"allowBuilds shape": {"pnpm-workspace.yaml": "allowBuilds:\n  - esbuild\n"},
	} {
		if _, err := loadInErr(t, files); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNativeScripts(t *testing.T) {
	pkg := `{
		"trustedDependencies": ["esbuild"],
		"pnpm": {"onlyBuiltDependencies": ["sharp@0.33.5 || 0.33.4"], "neverBuiltDependencies": ["core-js"]},
		"allowScripts": {"better-sqlite3@11.0.0": true, "canvas": false},
		"lavamoat": {"allowScripts": {"webpack>watchpack>fsevents": true, "$root$": true, "core-js": true}}
	}`
	ws := "allowBuilds:\n  '@parcel/watcher': true\n  canvas: true\n  bcrypt: set this to true or false\n  'git+https://github.com/a/b.git': true\n"
	c := loadIn(t, map[string]string{"package.json": pkg, "pnpm-workspace.yaml": ws})
	allowed := func(name, version string) bool { return MatchScript(c.Scripts.Allow, name, version) }
	for _, tt := range []struct {
		name, version string
		want          bool
		from          string
	}{
		{"esbuild", "0.25.0", true, "package.json trustedDependencies"},
		{"sharp", "0.33.5", true, "package.json pnpm.onlyBuiltDependencies"},
		{"sharp", "0.34.0", false, ""},
		{"better-sqlite3", "11.0.0", true, "package.json allowScripts"},
		{"better-sqlite3", "11.0.1", false, ""},
		{"fsevents", "2.3.3", true, `package.json lavamoat.allowScripts "webpack>watchpack>fsevents"`},
		{"@parcel/watcher", "2.5.1", true, "pnpm-workspace.yaml:2 allowBuilds"},
		{"canvas", "3.0.0", false, ""},  // allowScripts false refuses it
		{"core-js", "3.0.0", false, ""}, // neverBuiltDependencies refuses it
		{"bcrypt", "5.0.0", false, ""},  // pnpm's undecided placeholder
	} {
		if got := allowed(tt.name, tt.version); got != tt.want {
			t.Errorf("%s@%s allowed = %v, want %v", tt.name, tt.version, got, tt.want)
		}
		if from := c.Scripts.NativeAllowFrom(tt.name, tt.version); from != tt.from {
			t.Errorf("%s@%s from %q, want %q", tt.name, tt.version, from, tt.from)
		}
	}
	notes := strings.Join(c.Native.Notes, "\n")
	for _, want := range []string{"git+https://github.com/a/b.git", "allows canvas, but package.json allowScripts refuses it", "allows core-js, but package.json pnpm.neverBuiltDependencies refuses it"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}

	// An explicit [scripts] allow, even empty, replaces them all.
	for _, toml := range []string{"[scripts]\nallow = []\n", "[scripts]\nallow = [\"sharp\"]\n"} {
		c = loadIn(t, map[string]string{"package.json": pkg, FileName: toml})
		if allowed("esbuild", "0.25.0") || len(c.Scripts.NativeAllow) != 0 {
			t.Errorf("%q: native allowances kept: %v", toml, c.Scripts.Allow)
		}
	}
	// Other [scripts] settings alone do not.
	c = loadIn(t, map[string]string{"package.json": pkg, FileName: "[scripts]\nnetwork = [\"esbuild\"]\n"})
	if !allowed("esbuild", "0.25.0") {
		t.Error("[scripts] without allow dropped the native allowances")
	}
}

// TestAllowScriptsShapes: package.json allowScripts as npm writes it
// (name or name@version → true/false) and as dominykas/allow-scripts does
// (name → true, false or a semver range; first releases nested under
// "install"); a value of another shape is a note, never a failed install.
func TestAllowScriptsShapes(t *testing.T) {
	for _, tt := range []struct {
		allowScripts  string
		name, version string
		want          bool
	}{
		{`{"fsevents": "*"}`, "fsevents", "2.3.3", true},
		{`{"webpack-cli": "3.x.x"}`, "webpack-cli", "3.3.12", true},
		{`{"webpack-cli": "3.x.x"}`, "webpack-cli", "4.0.0", false},
		{`{"node-sass": "1.x.x - 2.x.x"}`, "node-sass", "2.1.0", true},
		{`{"node-sass": "1.x.x - 2.x.x"}`, "node-sass", "3.0.0", false},
		{`{"node-sass": false}`, "node-sass", "2.1.0", false},
		{`{"install": {"fsevents": "*", "canvas": true}}`, "canvas", "3.0.0", true},
		{`{"esbuild": 1}`, "esbuild", "0.25.0", false},
		{`{"esbuild": ["*"]}`, "esbuild", "0.25.0", false},
	} {
		c := loadIn(t, map[string]string{"package.json": `{"allowScripts": ` + tt.allowScripts + `}`})
		if got := MatchScript(c.Scripts.Allow, tt.name, tt.version); got != tt.want {
			t.Errorf("%s: %s@%s allowed = %v, want %v", tt.allowScripts, tt.name, tt.version, got, tt.want)
		}
	}
	c := loadIn(t, map[string]string{"package.json": `{"allowScripts": {"esbuild": 1}}`})
	if notes := strings.Join(c.Native.Notes, "\n"); !strings.Contains(notes, `"esbuild" = 1 is not true, false or a version range`) {
		t.Errorf("notes: %s", notes)
	}
}

// TestNpmrcIgnoresScripts: ignore-scripts read as npm reads a Boolean.
func TestNpmrcIgnoresScripts(t *testing.T) {
	for value, want := range map[string]bool{
		"true": true, "": true, "1": true, "yes": true, "on": true, "Infinity": true, "0x0p0": true,
		"false": false, "null": false, "undefined": false, "0": false, "0.0": false, "-0": false, "0x0": false, "0b0": false, "00": false,
	} {
		from, got := NpmrcIgnoresScripts(NpmrcSetting{Value: value, Source: "/p/.npmrc"})
		if got != want {
			t.Errorf("ignore-scripts=%q: %v, want %v", value, got, want)
		}
		if got && from != "/p/.npmrc ignore-scripts="+value {
			t.Errorf("ignore-scripts=%q: from %q", value, from)
		}
	}
}

// TestIgnoreNativeScripts: a project that told its tools to run no script
// gets no native allowance, and airlock.toml's own allow still applies.
func TestIgnoreNativeScripts(t *testing.T) {
	pkg := `{"trustedDependencies": ["esbuild"], "pnpm": {"onlyBuiltDependencies": ["sharp"]}}`
	c := loadIn(t, map[string]string{"package.json": pkg})
	c.IgnoreNativeScripts("/p/.npmrc ignore-scripts=true")
	if len(c.Scripts.Allow) != 0 || len(c.Scripts.NativeAllow) != 0 {
		t.Errorf("native allowances kept: %v", c.Scripts.Allow)
	}
	if from := c.Scripts.NativeOffFrom("esbuild", "0.25.0"); from != "package.json trustedDependencies" {
		t.Errorf("NativeOffFrom(esbuild) = %q", from)
	}
	if c.Scripts.NativeAllowFrom("esbuild", "0.25.0") != "" || c.Scripts.NativeOffFrom("left-pad", "1.0.0") != "" {
		t.Error("withdrawn allowance still reported as allowing, or an unnamed package as withdrawn")
	}
	c.IgnoreNativeScripts("/p/.npmrc ignore-scripts=true")
	c.IgnoreNativeScripts("env npm_config_ignore_scripts")
	if c.Scripts.NativeOffBy != "/p/.npmrc ignore-scripts=true; env npm_config_ignore_scripts" || len(c.Scripts.NativeOff) != 2 {
		t.Errorf("NativeOffBy = %q, NativeOff = %v", c.Scripts.NativeOffBy, c.Scripts.NativeOff)
	}

	// pnpm-workspace.yaml's own ignoreScripts does the same at Load.
	c = loadIn(t, map[string]string{"package.json": pkg, "pnpm-workspace.yaml": "onlyBuiltDependencies: [bcrypt]\nignoreScripts: true\n"})
	if len(c.Scripts.Allow) != 0 || c.Scripts.NativeOffBy != "pnpm-workspace.yaml:2 ignoreScripts: true" || c.Scripts.NativeOffFrom("bcrypt", "5.0.0") == "" {
		t.Errorf("ignoreScripts: true: allow %v, off by %q", c.Scripts.Allow, c.Scripts.NativeOffBy)
	}
	c = loadIn(t, map[string]string{"package.json": pkg, "pnpm-workspace.yaml": "ignoreScripts: false\n"})
	if !MatchScript(c.Scripts.Allow, "esbuild", "0.25.0") || c.Scripts.NativeOffBy != "" {
		t.Errorf("ignoreScripts: false withdrew the allowances: %v, %q", c.Scripts.Allow, c.Scripts.NativeOffBy)
	}
	if _, err := loadInErr(t, map[string]string{"pnpm-workspace.yaml": "ignoreScripts: yes please\n"}); err == nil {
		t.Error("ignoreScripts: yes please accepted")
	}
	// A file with only ignoreScripts is listed as read.
	c = loadIn(t, map[string]string{"pnpm-workspace.yaml": "ignoreScripts: true\n"})
	if len(c.Native.Read) != 1 {
		t.Errorf("Native.Read = %v", c.Native.Read)
	}

	// airlock.toml's explicit allow is airlock's own: it stays.
	c = loadIn(t, map[string]string{"package.json": pkg, FileName: "[scripts]\nallow = [\"sharp\"]\n"})
	c.IgnoreNativeScripts("/p/.npmrc ignore-scripts=true")
	if !MatchScript(c.Scripts.Allow, "sharp", "0.33.5") || MatchScript(c.Scripts.Allow, "esbuild", "0.25.0") {
		t.Errorf("allow = %v, want airlock.toml's sharp only", c.Scripts.Allow)
	}
}
