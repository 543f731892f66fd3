package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadProjectFileResolvesRelativePaths(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), "ca_file = \"certs/ca.pem\"\nconcurrency = 8\n")
	c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "certs/ca.pem"); c.CAFile != want {
		t.Errorf("CAFile = %q, want %q", c.CAFile, want)
	}
	if c.Concurrency != 8 || c.Sources["concurrency"] != filepath.Join(dir, FileName) {
		t.Errorf("concurrency = %d from %q", c.Concurrency, c.Sources["concurrency"])
	}
}

func TestLoadPrecedence(t *testing.T) {
	project, xdg := t.TempDir(), t.TempDir()
	write(t, filepath.Join(xdg, "airlock", FileName), "cache_dir = \"/from/xdg\"\n")
	e := map[string]string{"XDG_CONFIG_HOME": xdg}

	c, err := Load("", project, env(e))
	if err != nil {
		t.Fatal(err)
	}
	if c.CacheDir != "/from/xdg" {
		t.Errorf("without a project file the user file applies; CacheDir = %q", c.CacheDir)
	}

	write(t, filepath.Join(project, FileName), "cache_dir = \"/from/project\"\n")
	if c, err = Load("", project, env(e)); err != nil {
		t.Fatal(err)
	}
	if c.CacheDir != "/from/project" {
		t.Errorf("project file wins over the user file; CacheDir = %q", c.CacheDir)
	}

	e["AIRLOCK_CACHE"] = "/from/env"
	if c, err = Load("", project, env(e)); err != nil {
		t.Fatal(err)
	}
	if c.CacheDir != "/from/env" || c.Sources["cache_dir"] != "env AIRLOCK_CACHE" {
		t.Errorf("env wins; CacheDir = %q from %q", c.CacheDir, c.Sources["cache_dir"])
	}

	explicit := filepath.Join(t.TempDir(), "other.toml")
	write(t, explicit, "concurrency = 3\n")
	if c, err = Load(explicit, project, env(map[string]string{})); err != nil {
		t.Fatal(err)
	}
	if c.Concurrency != 3 || c.CacheDir != "" {
		t.Errorf("--config replaces the search; got %+v", c)
	}
}

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, env, want string }{
		"unknown key":       {body: "ca_flie = \"x\"\n", want: "unknown setting ca_flie"},
		"unknown table key": {body: "[network]\ninsecure = true\n", want: "unknown setting network"},
		"bad toml":          {body: "ca_file = \n", want: "reading"},
		"zero concurrency":  {body: "concurrency = 0\n", want: "at least 1"},
		"bad env":           {env: "many", want: "AIRLOCK_CONCURRENCY"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.body != "" {
				write(t, filepath.Join(dir, FileName), tc.body)
			}
			_, err := Load("", dir, env(map[string]string{"AIRLOCK_CONCURRENCY": tc.env, "HOME": dir}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml"), t.TempDir(), env(nil)); err == nil {
		t.Error("a missing --config file must be an error")
	}
}
