package main

import (
	"testing"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/npmrc"
)

// TestNewClientShared: the metadata, advisory and download clients of one
// command are one client (one connection pool, one TLS handshake per
// registry); another configuration gets its own.
func TestNewClientShared(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOME=" + dir}
	rc, err := npmrc.Load(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{}
	a, err := newClient(cfg, rc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := newClient(cfg, rc)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("two clients for one configuration")
	}
	rc2, err := npmrc.Load(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := newClient(cfg, rc2); err != nil || c == a {
		t.Errorf("another .npmrc configuration shares the client (err %v)", err)
	}
	if c, err := newClient(&config.Config{}, rc); err != nil || c == a {
		t.Errorf("another airlock.toml configuration shares the client (err %v)", err)
	}
}
