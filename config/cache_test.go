package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCacheTable(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), `
[cache]
dir = "c"
remote = "https://cache.example.com/npm"
token_env = "AIRLOCK_REMOTE_CACHE_TOKEN"
cert_file = "tls/client.pem"
key_file = "tls/client-key.pem"
timeout = "2s"
upload = false
`)
	c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	want := RemoteCache{URL: "https://cache.example.com/npm", TokenEnv: "AIRLOCK_REMOTE_CACHE_TOKEN",
		CertFile: filepath.Join(dir, "tls/client.pem"), KeyFile: filepath.Join(dir, "tls/client-key.pem"),
		Timeout: 2 * time.Second, ReadOnly: true}
	if c.RemoteCache != want {
		t.Errorf("RemoteCache = %+v, want %+v", c.RemoteCache, want)
	}
	if c.CacheDir != filepath.Join(dir, "c") {
		t.Errorf("CacheDir = %q", c.CacheDir)
	}

	c, err = Load("", dir, env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_REMOTE_CACHE": "off"}))
	if err != nil || c.RemoteCache.URL != "" || c.Sources["cache.remote"] != "env AIRLOCK_REMOTE_CACHE" {
		t.Errorf("AIRLOCK_REMOTE_CACHE=off: %+v, %v", c.RemoteCache, err)
	}
	c, err = Load("", dir, env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_REMOTE_CACHE": "https://other.example"}))
	if err != nil || c.RemoteCache.URL != "https://other.example" || c.RemoteCache.TokenEnv == "" {
		t.Errorf("AIRLOCK_REMOTE_CACHE=URL: %+v, %v", c.RemoteCache, err)
	}
}

func TestCacheTableRefusals(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"[cache]\nremote = \"https://c.example\"\ntoken = \"abc\"\n", "never holds a secret"},
		{"[cache]\nremote = \"http://c.example\"\n", "only https://"},
		{"[cache]\nremote = \"https://u:p@c.example\"\n", "credentials"},
		{"[cache]\ntoken_env = \"X\"\n", "without remote"},
		{"[cache]\nremote = \"https://c.example\"\ntoken_env = \"npm_abcdef-123\"\n", "not an environment variable name"},
		{"[cache]\nremote = \"https://c.example\"\ncert_file = \"a.pem\"\n", "go together"},
		{"[cache]\nremote = \"https://c.example\"\ntimeout = \"2h\"\n", "at most"},
		{"cache_dir = \"a\"\n[cache]\ndir = \"b\"\n", "both set"},
		{"[cache]\nremote = \"https://c.example\"\nsize = 3\n", "unknown setting cache.size"},
	} {
		dir := t.TempDir()
		write(t, filepath.Join(dir, FileName), tc.body)
		_, err := Load("", dir, env(map[string]string{"HOME": t.TempDir()}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.body, err, tc.want)
		}
	}
	_, err := Load("", t.TempDir(), env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_REMOTE_CACHE": "http://x"}))
	if err == nil {
		t.Error("AIRLOCK_REMOTE_CACHE=http://x accepted")
	}
}

func TestCacheDirStillTopLevel(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), "cache_dir = \"old\"\n")
	c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir()}))
	if err != nil || c.CacheDir != filepath.Join(dir, "old") || c.RemoteCache.URL != "" {
		t.Errorf("%q, %+v, %v", c.CacheDir, c.RemoteCache, err)
	}
}

func TestCacheStore(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), "[cache]\nstore = \"copy\"\nstore_key = \"keys/store.key\"\n")
	c, err := Load("", dir, env(map[string]string{"HOME": t.TempDir()}))
	if err != nil || c.Store != StoreCopy || c.StoreKey != filepath.Join(dir, "keys/store.key") {
		t.Fatalf("store = %q, store_key = %q, %v", c.Store, c.StoreKey, err)
	}
	c, err = Load("", dir, env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_STORE": "off", "AIRLOCK_STORE_KEY": "/k"}))
	if err != nil || c.Store != StoreOff || c.StoreKey != "/k" || c.Sources["cache.store"] != "env AIRLOCK_STORE" {
		t.Errorf("env: store = %q, store_key = %q, %v", c.Store, c.StoreKey, err)
	}
	if c, err := Load("", t.TempDir(), env(map[string]string{"HOME": t.TempDir()})); err != nil || c.Store != "" {
		t.Errorf("default: store = %q, %v", c.Store, err)
	}
	for _, body := range []string{"[cache]\nstore = \"hardlink\"\n", "[cache]\nstore_key = \"\"\n"} {
		d := t.TempDir()
		write(t, filepath.Join(d, FileName), body)
		if _, err := Load("", d, env(map[string]string{"HOME": t.TempDir()})); err == nil {
			t.Errorf("%q accepted", body)
		}
	}
	if _, err := Load("", t.TempDir(), env(map[string]string{"HOME": t.TempDir(), "AIRLOCK_STORE": "yes"})); err == nil {
		t.Error("AIRLOCK_STORE=yes accepted")
	}
}
