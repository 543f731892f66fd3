package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestYarnBuiltinPatches: [yarn] builtin_patches, default refuse, and
// AIRLOCK_YARN_BUILTIN_PATCHES over it either way.
func TestYarnBuiltinPatches(t *testing.T) {
	tests := []struct {
		name, toml, env string
		unpatched       bool
		source          string // "" = the default; "file" = the airlock.toml
	}{
		{"default", "", "", false, ""},
		{"file unpatched", "[yarn]\nbuiltin_patches = \"unpatched\"\n", "", true, "file"},
		{"file refuse", "[yarn]\nbuiltin_patches = \"refuse\"\n", "", false, "file"},
		{"env alone", "", "unpatched", true, "env AIRLOCK_YARN_BUILTIN_PATCHES"},
		{"env refuses what the file allows", "[yarn]\nbuiltin_patches = \"unpatched\"\n", "refuse", false, "env AIRLOCK_YARN_BUILTIN_PATCHES"},
		{"env allows what the file refuses", "[yarn]\nbuiltin_patches = \"refuse\"\n", "unpatched", true, "env AIRLOCK_YARN_BUILTIN_PATCHES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.toml != "" {
				write(t, filepath.Join(dir, FileName), tt.toml)
			}
			c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir(), BuiltinPatchesEnv: tt.env}))
			if err != nil {
				t.Fatal(err)
			}
			if c.Yarn.Unpatched() != tt.unpatched {
				t.Errorf("Unpatched() = %v, want %v (builtin_patches %q)", c.Yarn.Unpatched(), tt.unpatched, c.Yarn.BuiltinPatches)
			}
			want := tt.source
			if want == "file" {
				want = filepath.Join(dir, FileName)
			}
			if got := c.Sources["yarn.builtin_patches"]; got != want {
				t.Errorf("source = %q, want %q", got, want)
			}
		})
	}
}

func TestYarnBuiltinPatchesErrors(t *testing.T) {
	for _, body := range []string{
		"[yarn]\nbuiltin_patches = \"patched\"\n",
		"[yarn]\nbuiltin_patches = \"\"\n",
		"[yarn]\nbuiltin_patches = true\n",
		"[yarn]\npatches = \"unpatched\"\n",
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, FileName), body)
		_, err := Load("", dir, env(map[string]string{"HOME": t.TempDir(), "XDG_CONFIG_HOME": t.TempDir()}))
		if err == nil || !strings.Contains(err.Error(), FileName) {
			t.Errorf("%q: err = %v, want an error naming the file", body, err)
		}
	}
	_, err := Load("", t.TempDir(), env(map[string]string{"HOME": t.TempDir(), BuiltinPatchesEnv: "yes"}))
	if err == nil || !strings.Contains(err.Error(), `AIRLOCK_YARN_BUILTIN_PATCHES="yes"`) || !strings.Contains(err.Error(), `"unpatched"`) {
		t.Errorf("AIRLOCK_YARN_BUILTIN_PATCHES=yes: err = %v", err)
	}
}
