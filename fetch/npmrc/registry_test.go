package npmrc

import (
	"errors"
	"strings"
	"testing"
)

func TestRegistryFor(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]string
		pkg      string
		want     string
	}{
		{"default", nil, "lodash", DefaultRegistry},
		{"configured, slash added", map[string]string{"registry": "https://mirror.example/npm"}, "lodash", "https://mirror.example/npm/"},
		{"extra slashes trimmed", map[string]string{"registry": "https://mirror.example/npm///"}, "x", "https://mirror.example/npm/"},
		{"scope registry", map[string]string{"@corp:registry": "https://corp.example"}, "@corp/x", "https://corp.example/"},
		{"other scope uses default", map[string]string{"@corp:registry": "https://corp.example"}, "@other/x", DefaultRegistry},
		{"scope keys are case-sensitive", map[string]string{"@Corp:registry": "https://corp.example"}, "@corp/x", DefaultRegistry},
		// npm-registry-fetch pickRegistry: the scope setting's registry is
		// used for unscoped names too (checked: `npm view lodash` with
		// scope=@x and @x:registry=https://example.invalid/ fails on it).
		{"scope setting", map[string]string{"scope": "corp", "@corp:registry": "https://corp.example/"}, "lodash", "https://corp.example/"},
		{"scope setting with @", map[string]string{"scope": "@corp", "@corp:registry": "https://corp.example/"}, "lodash", "https://corp.example/"},
		{"own scope beats scope setting", map[string]string{"scope": "corp", "@corp:registry": "https://corp.example/", "@x:registry": "https://x.example/"}, "@x/y", "https://x.example/"},
		{"null registry is the default", map[string]string{"registry": "null"}, "x", DefaultRegistry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := configOf(t, tt.settings).RegistryFor(tt.pkg); got != tt.want {
				t.Errorf("RegistryFor(%q) = %q, want %q", tt.pkg, got, tt.want)
			}
		})
	}
}

func TestTarballURL(t *testing.T) {
	mirror := map[string]string{"registry": "https://mirror.example/npm/"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"registry": "https://mirror.example/npm/"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name              string
		settings          map[string]string
		pkg, ver, resolve string
		want              string
		wantErr           error
	}{
		// Derived URLs: the form registry.npmjs.org publishes as
		// dist.tarball (checked: `npm view @types/node@20.0.0 dist.tarball`
		// is https://registry.npmjs.org/@types/node/-/node-20.0.0.tgz).
		{"unscoped", nil, "lodash", "4.17.21", "", "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", nil},
		{"scoped", nil, "@types/node", "20.0.0", "", "https://registry.npmjs.org/@types/node/-/node-20.0.0.tgz", nil},
		{"prerelease", nil, "a", "1.0.0-rc.1+build.5", "", "https://registry.npmjs.org/a/-/a-1.0.0-rc.1+build.5.tgz", nil},
		{"mirror with path", mirror, "lodash", "1.0.0", "", "https://mirror.example/npm/lodash/-/lodash-1.0.0.tgz", nil},
		{"scope registry", map[string]string{"@s:registry": "https://s.example/r"}, "@s/n", "1.0.0", "", "https://s.example/r/@s/n/-/n-1.0.0.tgz", nil},
		{"http scope registry", map[string]string{"@s:registry": "http://s.example/"}, "@s/n", "1.0.0", "", "", ErrInsecureURL},
		{"credentials in scope registry", map[string]string{"@s:registry": "https://u:p@s.example/"}, "@s/n", "1.0.0", "", "", ErrCredentialsInURL},
		{"traversal in name", nil, "../x", "1.0.0", "", "", ErrBadPackage},
		{"too many slashes", nil, "@a/b/c", "1.0.0", "", "", ErrBadPackage},
		{"scope without @", nil, "a/b", "1.0.0", "", "", ErrBadPackage},
		{"empty scope", nil, "@/b", "1.0.0", "", "", ErrBadPackage},
		{"query in name", nil, "a?x=1", "1.0.0", "", "", ErrBadPackage},
		{"slash in version", nil, "a", "1.0.0/../../x", "", "", ErrBadPackage},
		{"empty version", nil, "a", "", "", "", ErrBadPackage},

		// replace-registry-host (arborist reify #registryResolved).
		{"npmjs default keeps npmjs URL when registry is npmjs", nil, "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "https://registry.npmjs.org/a/-/a-1.0.0.tgz", nil},
		{"npmjs default moves to mirror, adding its path", mirror, "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"path already present is not doubled", mirror, "a", "1.0.0",
			"https://registry.npmjs.org/npm/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"http npmjs URL is moved to https mirror", mirror, "a", "1.0.0",
			"http://registry.npmjs.org/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"query kept", mirror, "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz?x=1", "https://mirror.example/npm/a/-/a-1.0.0.tgz?x=1", nil},
		{"other host untouched, so refused", mirror, "a", "1.0.0",
			"https://other.example/a/-/a-1.0.0.tgz", "", ErrNotRegistry},
		{"scoped package moves to the default registry, not its scope's", with(map[string]string{"@s:registry": "https://s.example/"}), "@s/a", "1.0.0",
			"https://registry.npmjs.org/@s/a/-/a-1.0.0.tgz", "https://mirror.example/npm/@s/a/-/a-1.0.0.tgz", nil},
		{"never keeps npmjs, which is not the configured registry", with(map[string]string{"replace-registry-host": "never"}), "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "", ErrNotRegistry},
		{"never keeps the registry's own URL", with(map[string]string{"replace-registry-host": "never"}), "a", "1.0.0",
			"https://mirror.example/npm/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"never keeps http, which is refused", with(map[string]string{"replace-registry-host": "never"}), "a", "1.0.0",
			"http://registry.npmjs.org/a/-/a-1.0.0.tgz", "", ErrInsecureURL},
		{"always", with(map[string]string{"replace-registry-host": "always"}), "a", "1.0.0",
			"https://old.example:8443/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"hostname", with(map[string]string{"replace-registry-host": "old.example"}), "a", "1.0.0",
			"https://old.example/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"hostname does not match npmjs then", with(map[string]string{"replace-registry-host": "old.example"}), "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "", ErrNotRegistry},
		{"URL prefix swapped", with(map[string]string{"replace-registry-host": "https://old.example/artifactory/api/npm"}), "a", "1.0.0",
			"https://old.example/artifactory/api/npm/a/-/a-1.0.0.tgz", "https://mirror.example/npm/a/-/a-1.0.0.tgz", nil},
		{"URL prefix must match whole segments", with(map[string]string{"replace-registry-host": "https://old.example/api"}), "a", "1.0.0",
			"https://old.example/apix/a/-/a-1.0.0.tgz", "", ErrNotRegistry},
		{"port of mirror used", map[string]string{"registry": "https://mirror.example:8443/"}, "a", "1.0.0",
			"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "https://mirror.example:8443/a/-/a-1.0.0.tgz", nil},
		{"http resolved elsewhere refused", nil, "a", "1.0.0", "http://other.example/a.tgz", "", ErrInsecureURL},
		{"git URL is not a tarball", nil, "a", "1.0.0", "git+ssh://git@github.com/a/a.git#abc", "", ErrBadURL},
		{"relative resolved", nil, "a", "1.0.0", "a/-/a-1.0.0.tgz", "", ErrBadURL},
		{"credentials in resolved", nil, "a", "1.0.0", "https://u:p@registry.npmjs.org/a/-/a-1.0.0.tgz", "", ErrCredentialsInURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := configOf(t, tt.settings).TarballURL(tt.pkg, tt.ver, tt.resolve)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("TarballURL = %q, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("TarballURL = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestIsRegistryURL(t *testing.T) {
	c := configOf(t, map[string]string{
		"registry":       "https://mirror.example/npm/",
		"@corp:registry": "https://corp.example:8443/",
	})
	tests := []struct {
		url  string
		want bool
	}{
		{"https://mirror.example/npm/a/-/a-1.0.0.tgz", true},
		{"https://mirror.example/other/a.tgz", false},
		{"https://MIRROR.example:443/npm/a/-/a-1.0.0.tgz", true},
		{"https://corp.example:8443/@corp/a/-/a-1.0.0.tgz", true},
		{"https://corp.example/@corp/a/-/a-1.0.0.tgz", false},
		{"https://registry.npmjs.org/a/-/a-1.0.0.tgz", true}, // replaced by default
		{"http://mirror.example/npm/a/-/a-1.0.0.tgz", false},
		{"https://github.com/a/a/archive/v1.tar.gz", false},
		{"git+https://mirror.example/npm/a.git", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := c.IsRegistryURL(tt.url); got != tt.want {
			t.Errorf("IsRegistryURL(%q) = %v, want %v", tt.url, got, tt.want)
		}
	}
	never := configOf(t, map[string]string{"registry": "https://mirror.example/", "replace-registry-host": "never"})
	if never.IsRegistryURL("https://registry.npmjs.org/a/-/a-1.0.0.tgz") {
		t.Error("with replace-registry-host=never, registry.npmjs.org is not the configured registry")
	}
}

func TestPackumentURL(t *testing.T) {
	c := &Config{values: map[string]Value{
		"registry":      {Value: "https://reg.example/npm/"},
		"@s:registry":   {Value: "https://scoped.example/"},
		"@bad:registry": {Value: "http://plain.example/"},
	}}
	for _, tc := range []struct{ name, want, err string }{
		{name: "left-pad", want: "https://reg.example/npm/left-pad"},
		{name: "@s/pkg", want: "https://scoped.example/@s%2fpkg"},
		{name: "@other/pkg", want: "https://reg.example/npm/@other%2fpkg"},
		{name: "../etc", err: "package name"},
		{name: "@bad/pkg", err: "http"},
	} {
		got, err := c.PackumentURL(tc.name)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("PackumentURL(%q) = %q, %v; want an error mentioning %q", tc.name, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("PackumentURL(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
