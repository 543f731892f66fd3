package install

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHasInstallScript(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string
		want  bool
	}{
		{"postinstall", map[string]string{"package.json": `{"scripts":{"postinstall":"node x.js"}}`}, true},
		{"preinstall", map[string]string{"package.json": `{"scripts":{"preinstall":"x"}}`}, true},
		{"install", map[string]string{"package.json": `{"scripts":{"install":"x"}}`}, true},
		{"binding.gyp", map[string]string{"package.json": `{}`, "binding.gyp": "{}"}, true},
		{"other scripts", map[string]string{"package.json": `{"scripts":{"test":"x","prepare":"y"}}`}, false},
		{"empty script", map[string]string{"package.json": `{"scripts":{"install":""}}`}, false},
		{"not a string", map[string]string{"package.json": `{"scripts":{"install":1}}`}, false},
		{"bad json", map[string]string{"package.json": `{"scripts":`}, false},
		{"no package.json", map[string]string{}, false},
	} {
		dir := t.TempDir()
		for name, data := range tt.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if got := HasInstallScript(dir); got != tt.want {
			t.Errorf("%s: HasInstallScript = %v, want %v", tt.name, got, tt.want)
		}
	}
}
