package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

const realKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="

func TestLoadPolicy(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), `
[policy]
require_signatures = true
min_release_age = "7d"
deny = ["left-pad@<2", "@evil/*", "Py_Lib@==1.2.3", "py-lib@>=1.0,<1.2", "py-lib@!=1.5"]
weak_hashes = "deny"

[policy.packages."@corp/*"]
min_release_age = "0"
allow_sources = ["registry", "git"]

[[registry]]
url = "https://npm.corp.example/npm"
mirror_of = "https://registry.npmjs.org"
keys = [{ keyid = "SHA256:k", key = "`+realKey+`", expires = "2030-01-01T00:00:00Z" }]
`)
	c, err := Load("", dir, env(map[string]string{"HOME": dir}))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Policy
	if p.Base.RequireSignatures == nil || !*p.Base.RequireSignatures || *p.Base.MinReleaseAge != 7*24*time.Hour || p.Base.WeakHashes != "deny" {
		t.Errorf("base = %+v", p.Base)
	}
	// PEP 440 ranges (Python projects) are accepted beside npm's.
	if len(p.Deny) != 5 || p.Deny[0].Range != "<2" || p.Deny[1].Pattern != "@evil/*" || p.Deny[2].Range != "==1.2.3" || p.Deny[3].Range != ">=1.0,<1.2" {
		t.Errorf("deny = %+v", p.Deny)
	}
	if e := p.For("@corp/x"); e.MinReleaseAge != 0 || len(e.AllowSources) != 2 {
		t.Errorf("@corp/x = %+v", e)
	}
	r, ok := c.RegistryFor("https://npm.corp.example/npm/")
	if !ok || r.MirrorOf != "https://registry.npmjs.org/" || !r.OriginCheck || len(r.Keys) != 1 || r.Keys[0].Expires.Year() != 2030 {
		t.Errorf("registry = %+v, %v", r, ok)
	}
}

func TestLoadPolicyErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"unknown policy key":    {"[policy]\nrequire_signature = true\n", "unknown setting policy.require_signature"},
		"unknown override key":  {"[policy.packages.x]\nmin_age = \"1d\"\n", "unknown setting policy.packages.x.min_age"},
		"bad age":               {"[policy]\nmin_release_age = \"7 days\"\n", "min_release_age"},
		"bad weak_hashes":       {"[policy]\nweak_hashes = \"ignore\"\n", "weak_hashes"},
		"bad source":            {"[policy]\nallow_sources = [\"ftp\"]\n", "unknown source \"ftp\""},
		"bad deny range":        {"[policy]\ndeny = [\"x@not a range!\"]\n", "version range"},
		"http registry":         {"[[registry]]\nurl = \"http://r.example/\"\n", "https://"},
		"bad key":               {"[[registry]]\nurl = \"https://r.example/\"\nkeys = [{keyid = \"k\", key = \"AAAA\"}]\n", "not a public key"},
		"empty keys":            {"[[registry]]\nurl = \"https://r.example/\"\nkeys = []\n", "pins no key"},
		"origin without mirror": {"[[registry]]\nurl = \"https://r.example/\"\norigin_check = true\n", "needs mirror_of"},
		"unknown registry key":  {"[[registry]]\nurl = \"https://r.example/\"\nmirror = \"x\"\n", "unknown setting registry.mirror"},
		"duplicate registry":    {"[[registry]]\nurl = \"https://r.example\"\n[[registry]]\nurl = \"https://r.example/\"\n", "twice"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, FileName), tc.body)
			_, err := Load("", dir, env(map[string]string{"HOME": dir}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestKeyPinsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyPinsFile)
	pins, err := LoadKeyPins(path)
	if err != nil || len(pins) != 0 {
		t.Fatalf("missing file: %v, %v", pins, err)
	}
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	k1, err := verify.NewRegistryKey("SHA256:a", base64.StdEncoding.EncodeToString(der), "")
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := verify.NewRegistryKey("SHA256:b", realKey, "2025-01-29T00:00:00.000Z")
	in := map[string]KeyPin{"https://r.example/": {URL: "https://r.example/", Pinned: time.Now(), Keys: []verify.RegistryKey{k1, k2}}}
	if err := SaveKeyPins(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := LoadKeyPins(path)
	if err != nil {
		t.Fatal(err)
	}
	got := out["https://r.example/"]
	if len(got.Keys) != 2 || !got.Keys[0].Equal(k1) || !got.Keys[1].Equal(k2) {
		t.Fatalf("round trip: %+v", got)
	}
	write(t, path, "[[registry]]\nurl = \"https://r.example/\"\nextra = 1\n")
	if _, err := LoadKeyPins(path); err == nil || !strings.Contains(err.Error(), "unknown setting") {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestPolicyEnv(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, FileName), "[policy]\nrequire_signatures = true\n")
	c, err := Load("", dir, env(map[string]string{"HOME": dir, "AIRLOCK_REQUIRE_SIGNATURES": "false", "AIRLOCK_MIN_RELEASE_AGE": "36h"}))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.Policy.Base.RequireSignatures; b == nil || *b || *c.Policy.Base.MinReleaseAge != 36*time.Hour {
		t.Errorf("env overrides not applied: %+v", c.Policy.Base)
	}
	if c.Sources["policy.require_signatures"] != "env AIRLOCK_REQUIRE_SIGNATURES" {
		t.Errorf("Sources = %v", c.Sources)
	}
	for k, v := range map[string]string{"AIRLOCK_REQUIRE_SIGNATURES": "no", "AIRLOCK_MIN_RELEASE_AGE": "soon"} {
		if _, err := Load("", dir, env(map[string]string{"HOME": dir, k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v", k, v, err)
		}
	}
}

func TestTrustRules(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, "airlock.toml")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := write(`[policy]
require_provenance = true
provenance_repos = ["https://github.com/acme/*"]
advisories = { fail = "critical", warn = "moderate", ignore = ["GHSA-aaaa-bbbb-cccc"], bulk = false }

[policy.packages."left-pad"]
require_provenance = false
advisories = { fail = "never", ignore = ["CVE-2020-1"] }
`)
	c, err := Load(p, dir, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e := c.Policy.For("left-pad")
	if *e.RequireProvenance || e.AdvisoryFail != "never" || e.AdvisoryWarn != "moderate" ||
		strings.Join(e.IgnoreAdvisories, ",") != "GHSA-aaaa-bbbb-cccc,CVE-2020-1" || strings.Join(e.ProvenanceRepos, ",") != "https://github.com/acme/*" {
		t.Errorf("left-pad: %+v", e)
	}
	if b := c.Policy.AdvisoryBulk; b == nil || *b {
		t.Errorf("bulk = %v", b)
	}
	if e := c.Policy.For("other"); !*e.RequireProvenance || e.AdvisoryFail != "critical" {
		t.Errorf("other: %+v", e)
	}
	for bad, want := range map[string]string{
		"[policy]\nadvisories = { fail = \"severe\" }\n":         "want low, moderate",
		"[policy]\nadvisories = { ignore = [\"MAL-2022-6\"] }\n": "cannot be ignored",
		"[policy.packages.x]\nadvisories = { bulk = true }\n":    "only in [policy]",
		"[policy]\nadvisories = { fial = \"high\" }\n":           "unknown setting",
		"[policy]\nprovenance_repos = [\"\"]\n":                  "empty pattern",
		"[policy]\nrequire_provenance = \"yes\"\n":               "",
	} {
		_, err := Load(write(bad), dir, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", bad, err, want)
		}
	}
}
