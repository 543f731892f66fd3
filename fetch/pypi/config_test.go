package pypi

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConf writes a pip.conf under root.
func writeConf(t *testing.T, root, rel, text string) string {
	t.Helper()
	p := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func indexURLs(c *Config) []string {
	var out []string
	for _, ix := range c.Indexes {
		out = append(out, ix.URL)
	}
	return out
}

func TestLoadConfigLayers(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, "home")
	venv := filepath.Join(root, "venv")
	xdgDirs := filepath.Join(root, "xdg")
	writeConf(t, xdgDirs, "pip/pip.conf", "[global]\nindex-url = https://global.example/simple\ncert = /global-ca.pem\n")
	writeConf(t, home, ".pip/pip.conf", "[global]\nindex-url = https://legacy-user.example/simple\n")
	writeConf(t, home, ".config/pip/pip.conf", "[global]\nindex_url = https://user.example/simple\nextra-index-url =\n    https://extra1.example/simple\n    https://extra2.example/simple\n# comment\n")
	writeConf(t, venv, "pip.conf", "[install]\nclient-cert: /venv-client.pem\n")

	env := map[string]string{"XDG_CONFIG_DIRS": xdgDirs}
	c, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Home: home, SitePrefix: venv})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(indexURLs(c), " "), "https://user.example/simple/ https://extra1.example/simple/ https://extra2.example/simple/"; got != want {
		t.Errorf("indexes = %s, want %s", got, want)
	}
	if c.Cert.Value != "/global-ca.pem" || !strings.Contains(c.Cert.Source, "[global] cert") {
		t.Errorf("cert = %+v", c.Cert)
	}
	if c.ClientCert.Value != "/venv-client.pem" || !strings.Contains(c.ClientCert.Source, filepath.Join(venv, "pip.conf")) {
		t.Errorf("client-cert = %+v", c.ClientCert)
	}

	// [install] beats [global] even from an earlier file.
	writeConf(t, xdgDirs, "pip/pip.conf", "[install]\nindex-url = https://global-install.example/simple\n")
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Home: home, SitePrefix: venv})
	if err != nil {
		t.Fatal(err)
	}
	if c.Indexes[0].URL != "https://global-install.example/simple/" {
		t.Errorf("[install] in the global file should win over [global] in the user file, got %s", c.Indexes[0].URL)
	}

	// PIP_CONFIG_FILE that exists: user files skipped, it wins over site.
	envFile := writeConf(t, root, "env.conf", "[global]\nindex-url = https://envfile.example/simple\n")
	env["PIP_CONFIG_FILE"] = envFile
	writeConf(t, xdgDirs, "pip/pip.conf", "")
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Home: home, SitePrefix: venv})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(indexURLs(c), " "); got != "https://envfile.example/simple/" {
		t.Errorf("with PIP_CONFIG_FILE: %s (user extras must be skipped)", got)
	}

	// Variables beat files, flags beat variables, --extra-index-url adds.
	env["PIP_INDEX_URL"] = "https://env.example/simple"
	env["PIP_EXTRA_INDEX_URL"] = "https://envextra.example/a https://envextra.example/b"
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Home: home, SitePrefix: venv,
		Flags: Flags{ExtraIndexURLs: []string{"https://flagextra.example/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(indexURLs(c), " "), "https://env.example/simple/ https://envextra.example/a/ https://envextra.example/b/ https://flagextra.example/simple/"; got != want {
		t.Errorf("indexes = %s\nwant %s", got, want)
	}
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Flags: Flags{IndexURL: "https://flag.example/simple/"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Indexes[0].URL != "https://flag.example/simple/" || c.Indexes[0].Source != "--index-url" {
		t.Errorf("--index-url: %+v", c.Indexes[0])
	}

	// PIP_CONFIG_FILE=/dev/null reads no file at all.
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull, "XDG_CONFIG_DIRS": xdgDirs}), Home: home, SitePrefix: venv})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 0 || c.Indexes[0].URL != DefaultIndexURL {
		t.Errorf("PIP_CONFIG_FILE=/dev/null read %v, indexes %v", c.Files, indexURLs(c))
	}
}

func TestLoadConfigRefusals(t *testing.T) {
	root := t.TempDir()
	cases := []struct {
		name  string
		conf  string
		env   map[string]string
		flags Flags
		want  error
		text  string
	}{
		{name: "trusted-host in file", conf: "[global]\ntrusted-host = idx.example\n", want: ErrTrustedHost, text: "certificate checks"},
		{name: "trusted-host env", env: map[string]string{"PIP_TRUSTED_HOST": "idx.example"}, want: ErrTrustedHost},
		{name: "trusted-host flag", flags: Flags{TrustedHosts: []string{"idx.example"}}, want: ErrTrustedHost},
		{name: "http index", conf: "[global]\nindex-url = http://idx.example/simple\n", want: ErrInsecureIndex, text: "https"},
		{name: "http extra env", env: map[string]string{"PIP_EXTRA_INDEX_URL": "http://x.example/simple"}, want: ErrInsecureIndex},
		{name: "relative index", flags: Flags{IndexURL: "simple/"}, want: ErrBadIndexURL},
		{name: "bad bool", env: map[string]string{"PIP_NO_INDEX": "maybe"}, text: "boolean"},
		{name: "token redacted", conf: "[global]\nindex-url = http://user:s3cret@idx.example/simple\n", want: ErrInsecureIndex},
		{name: "no section", conf: "index-url = https://x.example/\n", text: "before any [section]"},
		{name: "duplicate key", conf: "[global]\nindex-url = https://a.example/\nindex-url = https://b.example/\n", text: "appears twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range tc.env {
				env[k] = v
			}
			if tc.conf != "" {
				env["PIP_CONFIG_FILE"] = writeConf(t, root, tc.name+".conf", tc.conf)
			}
			_, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(env), Flags: tc.flags})
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v, want it to mention %q", err, tc.text)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the credential: %v", err)
			}
		})
	}
}

func TestNoIndexAndRequirementFile(t *testing.T) {
	c, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_NO_INDEX": "yes", "PIP_CONFIG_FILE": os.DevNull})})
	if err != nil {
		t.Fatal(err)
	}
	if !c.NoIndex || len(c.Indexes) != 0 {
		t.Fatalf("PIP_NO_INDEX=yes: %+v", c)
	}
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull}),
		Flags: Flags{IndexURL: "https://cli.example/simple", ExtraIndexURLs: []string{"https://cliextra.example/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	// pip: a requirement file's --index-url replaces the whole list,
	// its --extra-index-url adds.
	if err := c.ApplyRequirementFile("https://req.example/simple", []string{"https://reqextra.example/simple"}, false, "requirements.txt"); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(indexURLs(c), " "), "https://req.example/simple/ https://reqextra.example/simple/"; got != want {
		t.Errorf("indexes = %s, want %s", got, want)
	}
	if err := c.ApplyRequirementFile("", nil, true, "requirements.txt"); err != nil {
		t.Fatal(err)
	}
	if !c.NoIndex || len(c.Indexes) != 0 {
		t.Errorf("--no-index in the file left %v", indexURLs(c))
	}
	if err := c.ApplyRequirementFile("http://insecure.example/", nil, false, "r.txt"); err != nil {
		t.Errorf("with no-index set, index URLs are not used: %v", err)
	}
}

func TestAuthFor(t *testing.T) {
	c, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull}),
		Flags: Flags{IndexURL: "https://user:s3cret@idx.example:8443/simple", ExtraIndexURLs: []string{"https://__token__@other.example/simple/", "https://open.example/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.Indexes[0].URL, "s3cret") || c.Indexes[0].URL != "https://idx.example:8443/simple/" {
		t.Errorf("index URL keeps credentials: %s", c.Indexes[0].URL)
	}
	cases := map[string]string{
		"https://idx.example:8443/simple/pip/":                  "Basic dXNlcjpzM2NyZXQ=", // user:s3cret
		"https://IDX.example:8443/packages/pip-1.whl":           "Basic dXNlcjpzM2NyZXQ=",
		"https://idx.example/simple/pip/":                       "", // another port is another origin
		"https://files.pythonhosted.org/packages/x/pip-1.whl":   "",
		"https://other.example/simple/x/":                       "Basic X190b2tlbl9fOg==", // __token__:
		"https://open.example/simple/x/":                        "",
		"https://idx.example.evil.example:8443/simple/pip/":     "",
		"https://user:s3cret@idx.example.evil:8443/simple/pip/": "",
	}
	for u, want := range cases {
		got, ok := c.AuthFor(u)
		if got != want || ok != (want != "") {
			t.Errorf("AuthFor(%s) = %q, %v; want %q", u, got, ok, want)
		}
	}
}

func TestIniContinuation(t *testing.T) {
	got, err := parseINI([]byte("\ufeff[global]\r\nextra-index-url = https://a.example/\r\n\thttps://b.example/\r\n; comment\r\n[install]\nno-index=1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got["global"]["extra-index-url"] != "https://a.example/\nhttps://b.example/" || got["install"]["no-index"] != "1" {
		t.Errorf("got %q", got)
	}
}

func TestIgnoredSettingsWarn(t *testing.T) {
	c, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{
		"PIP_CONFIG_FILE": os.DevNull, "PIP_FIND_LINKS": "/opt/wheels", "PIP_PROXY": "http://proxy:3128"})})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 2 || !strings.Contains(c.Warnings[0], "env PIP_FIND_LINKS") || !strings.Contains(c.Warnings[1], "HTTPS_PROXY") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}

func TestNetrc(t *testing.T) {
	home := t.TempDir()
	netrc := filepath.Join(home, ".netrc")
	text := "# comment\nmachine idx.example login alice password s3cret\n" +
		"macdef init\ncd /pub\n\nmachine files.example\n  login bob\n  password pw2 account x\ndefault login anon password any\n"
	if err := os.WriteFile(netrc, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull})
	c, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: env, Home: home,
		Flags: Flags{IndexURL: "https://url-user:url-pw@idx.example/simple"}})
	if err != nil {
		t.Fatal(err)
	}
	for u, want := range map[string]string{
		"https://idx.example/simple/x/":      "Basic dXJsLXVzZXI6dXJsLXB3", // the URL's own credentials win
		"https://IDX.example:8443/packages/": "Basic YWxpY2U6czNjcmV0",     // netrc is by host name, any port
		"https://files.example/p/x.whl":      "Basic Ym9iOnB3Mg==",
		"https://elsewhere.example/x":        "", // "default" is never used
	} {
		if got, _ := c.AuthFor(u); got != want {
			t.Errorf("AuthFor(%s) = %q, want %q", u, got, want)
		}
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], `"default"`) {
		t.Errorf("warnings = %q", c.Warnings)
	}

	// Readable by others: not used, with a warning.
	if err := os.Chmod(netrc, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err = LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: env, Home: home})
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := c.AuthFor("https://files.example/p/x.whl"); ok {
		t.Errorf("world-readable netrc used: %q", got)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "chmod 600") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}
