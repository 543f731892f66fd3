package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestScriptsSection(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte(`
audit_log = "logs/audit.jsonl"
[scripts]
allow = ["esbuild", "@img/*", "sharp@^0.33"]
network = ["sharp"]
optional = ["fsevents"]
timeout = "90s"
`), 0o644)
	c, err := Load("", dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	s := c.Scripts
	if len(s.Allow) != 3 || s.Timeout != 90*time.Second || len(s.Network) != 1 || len(s.Optional) != 1 {
		t.Fatalf("scripts = %+v", s)
	}
	if c.AuditLog != filepath.Join(dir, "logs/audit.jsonl") {
		t.Errorf("audit_log = %q", c.AuditLog)
	}
	for _, m := range []struct {
		name, version string
		want          bool
	}{
		{"esbuild", "0.24.0", true},
		{"@img/sharp-linux-x64", "0.33.5", true},
		{"sharp", "0.33.5", true},
		{"sharp", "0.32.0", false},
		{"left-pad", "1.0.0", false},
	} {
		if got := MatchScript(s.Allow, m.name, m.version); got != m.want {
			t.Errorf("MatchScript(%s@%s) = %v, want %v", m.name, m.version, got, m.want)
		}
	}
}

func TestScriptsSectionErrors(t *testing.T) {
	for _, bad := range []string{
		"[scripts]\nallow = [\"\"]",
		"[scripts]\nallow = [\"sharp@not a range!\"]",
		"[scripts]\ntimeout = \"forever\"",
		"[scripts]\nrun_everything = true",
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), []byte(bad), 0o644)
		if _, err := Load("", dir, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), FileName) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestPthFilesPolicy(t *testing.T) {
	for body, want := range map[string]bool{"": false, "[policy]\npth_files = \"warn\"\n": false, "[policy]\npth_files = \"deny\"\n": true} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, FileName), []byte(body), 0o644)
		c, err := Load("", dir, func(string) string { return "" })
		if err != nil || c.DenyPth != want {
			t.Errorf("%q: DenyPth = %v, %v", body, c.DenyPth, err)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), []byte("[policy]\npth_files = \"maybe\"\n"), 0o644)
	if _, err := Load("", dir, func(string) string { return "" }); err == nil {
		t.Error("pth_files = maybe accepted")
	}
}
