package npmrc

import (
	"errors"
	"strings"
	"testing"
)

// TestHostileTarballURL: lockfile text (names, versions, resolved URLs) must
// never choose where airlock downloads from. Every case is refused with the
// error a caller can branch on and words that tell the user what to fix;
// TarballURL runs before any request, so a refusal means nothing was
// fetched.
func TestHostileTarballURL(t *testing.T) {
	mirror := map[string]string{"registry": "https://mirror.example/npm/"}
	for _, tc := range []struct {
		name              string
		settings          map[string]string
		pkg, ver, resolve string
		want              error
		words             []string
	}{
		// Versions that would reshape the derived URL.
		{"version with path", nil, "a", "1.0.0/../../x", "", ErrBadPackage, []string{"version of a", `"1.0.0/../../x"`}},
		{"version with query", nil, "a", "1.0.0?a", "", ErrBadPackage, []string{`"1.0.0?a"`}},
		{"version with fragment", nil, "a", "1.0.0#x", "", ErrBadPackage, []string{`"1.0.0#x"`}},
		{"version percent-encoded dotdot", nil, "a", "%2e%2e", "", ErrBadPackage, []string{`"%2e%2e"`}},
		{"version dotdot", nil, "a", "..", "", ErrBadPackage, []string{`".."`}},
		{"version dist-tag", nil, "a", "latest", "", ErrBadPackage, []string{`"latest"`}},
		{"version two parts", nil, "a", "1.0", "", ErrBadPackage, []string{`"1.0"`}},
		{"version leading zero", nil, "a", "01.0.0", "", ErrBadPackage, []string{`"01.0.0"`}},
		{"version with space", nil, "a", "1.0.0 ", "", ErrBadPackage, []string{`"1.0.0 "`}},
		{"version with backslash", nil, "a", `1.0.0\..\x`, "", ErrBadPackage, nil},
		{"name percent-encoded", nil, "%2e%2e", "1.0.0", "", ErrBadPackage, []string{"package name"}},
		{"name with scope dotdot", nil, "@../x", "1.0.0", "", ErrBadPackage, []string{"package name"}},

		// Tarball URLs on hosts that are not configured registries.
		{"other host", nil, "a", "1.0.0", "https://evil.example/a/-/a-1.0.0.tgz", ErrNotRegistry,
			[]string{"evil.example", "not a configured registry", `"registry=https://evil.example/"`, "npm install --package-lock-only"}},
		{"lookalike host", nil, "a", "1.0.0", "https://registry.npmjs.org.evil.com/a/-/a-1.0.0.tgz", ErrNotRegistry,
			[]string{"registry.npmjs.org.evil.com"}},
		{"lookalike prefix host", nil, "a", "1.0.0", "https://evilregistry.npmjs.org/a/-/a-1.0.0.tgz", ErrNotRegistry, nil},
		{"registry host, other port", mirror, "a", "1.0.0", "https://mirror.example:8443/npm/a/-/a-1.0.0.tgz", ErrNotRegistry,
			[]string{"mirror.example:8443"}},
		{"registry host, outside its path", mirror, "a", "1.0.0", "https://mirror.example/other/a/-/a-1.0.0.tgz", ErrNotRegistry,
			[]string{"outside its path", "https://mirror.example/npm/"}},
		{"userinfo hides the host", nil, "a", "1.0.0", "https://registry.npmjs.org@evil.example/a/-/a-1.0.0.tgz", ErrCredentialsInURL, nil},
		{"userinfo with password", nil, "a", "1.0.0", "https://user:pass@registry.npmjs.org/a/-/a-1.0.0.tgz", ErrCredentialsInURL, []string{"REDACTED"}},
		{"http on another host", nil, "a", "1.0.0", "http://evil.example/a/-/a-1.0.0.tgz", ErrInsecureURL, []string{"https://"}},
		{"http registry itself", map[string]string{"registry": "http://mirror.example/"}, "a", "1.0.0", "", ErrInsecureURL, nil},
		{"file scheme", nil, "a", "1.0.0", "file:../a-1.0.0.tgz", ErrBadURL, nil},
		{"file URL", nil, "a", "1.0.0", "file:///etc/passwd", ErrBadURL, nil},
		{"data scheme", nil, "a", "1.0.0", "data:application/gzip;base64,H4sI", ErrBadURL, nil},
		{"protocol-relative", nil, "a", "1.0.0", "//evil.example/a/-/a-1.0.0.tgz", ErrBadURL, nil},
		{"dotdot in path", nil, "a", "1.0.0", "https://registry.npmjs.org/a/-/../../b/-/b-1.0.0.tgz", ErrBadURL, []string{`".."`}},
		{"encoded dotdot in path", nil, "a", "1.0.0", "https://registry.npmjs.org/a/-/%2E%2e/b-1.0.0.tgz", ErrBadURL, nil},
		{"dotdot leaving a registry path", mirror, "a", "1.0.0", "https://mirror.example/npm/../admin/a.tgz", ErrBadURL, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := configOf(t, tc.settings).TarballURL(tc.pkg, tc.ver, tc.resolve)
			if !errors.Is(err, tc.want) {
				t.Fatalf("TarballURL = %q, %v; want %v", got, err, tc.want)
			}
			if got != "" {
				t.Errorf("returned URL %q with the error", got)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "pass@") {
				t.Errorf("error %q shows a password", err)
			}
		})
	}

	// The same URLs are no registry URLs for policy either.
	c := configOf(t, mirror)
	for _, u := range []string{"https://mirror.example/npm/../admin/a.tgz", "https://u:p@mirror.example/npm/a/-/a-1.0.0.tgz", "https://mirror.example.evil.com/npm/a.tgz"} {
		if c.IsRegistryURL(u) {
			t.Errorf("IsRegistryURL(%q) = true", u)
		}
	}
}

// TestHostileAuthLookups: a token configured for one host and path never
// goes to a lookalike host, another port, a sibling path, or through a
// path trick back out of its prefix.
func TestHostileAuthLookups(t *testing.T) {
	c := configOf(t, map[string]string{
		"registry":                                "https://registry.npmjs.org/",
		"//registry.npmjs.org/:_authToken":        "NPMJS",
		"@corp:registry":                          "https://corp.example/api/npm/team/",
		"//corp.example/api/npm/team/:_authToken": "TEAM",
	})
	for _, tc := range []struct {
		url, want string
	}{
		{"https://registry.npmjs.org/a/-/a-1.0.0.tgz", "Bearer NPMJS"},
		{"https://REGISTRY.npmjs.org:443/a", "Bearer NPMJS"},
		{"https://registry.npmjs.org.evil.com/a", ""},
		{"https://registry.npmjs.org@evil.com/a", ""},
		{"https://evil.com/registry.npmjs.org/a", ""},
		{"https://evil.com/?registry.npmjs.org", ""},
		{"https://registry.npmjs.org:8443/a", ""},
		{"http://registry.npmjs.org/a", ""},
		{"https://xregistry.npmjs.org/a", ""},
		{"https://corp.example/api/npm/team/@corp/x/-/x-1.0.0.tgz", "Bearer TEAM"},
		// Sibling paths on the registry's host get the token only the way
		// npm gives it: via the same-host registry fallback (rule 2 of
		// AuthFor), never a token configured for another host.
		{"https://corp.example/api/npm/teamx/x.tgz", "Bearer TEAM"},
		{"https://corp.example.evil.com/api/npm/team/x.tgz", ""},
		{"https://corp.example:444/api/npm/team/x.tgz", ""},
	} {
		got, _ := c.AuthFor(tc.url)
		if got != tc.want {
			t.Errorf("AuthFor(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}

	// Path-prefix tricks with only a path-scoped token (no registry on the
	// host, so no same-host fallback): the token stays in its prefix.
	scoped := configOf(t, map[string]string{"//corp.example/api/npm/team/:_authToken": "TEAM"})
	for _, tc := range []struct {
		url, want string
	}{
		{"https://corp.example/api/npm/team/x.tgz", "Bearer TEAM"},
		{"https://corp.example/api/npm/teamx/x.tgz", ""},
		{"https://corp.example/api/npm/other/x.tgz", ""},
		{"https://corp.example/api/npm/team/../other/x.tgz", ""},
		{"https://corp.example/api/npm/team/%2e%2e/other/x.tgz", ""},
		{"https://corp.example/api/npm/team%2f..%2fother/x.tgz", ""},
		{"https://corp.example/API/npm/team/x.tgz", ""},
		{"https://corp.example/api/npm/other/../team/x.tgz", "Bearer TEAM"}, // resolves into the prefix, as WHATWG URL does for npm
	} {
		got, _ := scoped.AuthFor(tc.url)
		if got != tc.want {
			t.Errorf("path-scoped AuthFor(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

// TestHostileNpmrcFiles: .npmrc files as they arrive from Windows editors,
// templates and attackers.
func TestHostileNpmrcFiles(t *testing.T) {
	t.Run("http registry", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "registry=http://registry.npmjs.org/\n")
		_, err := Load(w.project, w.env)
		if !errors.Is(err, ErrInsecureURL) || !strings.Contains(err.Error(), ".npmrc") || !strings.Contains(err.Error(), "registry") {
			t.Fatalf("Load = %v, want ErrInsecureURL naming the file and key", err)
		}
	})
	t.Run("credentials in registry URL", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "registry=https://user:s3cret@registry.example/\n")
		_, err := Load(w.project, w.env)
		if !errors.Is(err, ErrCredentialsInURL) || strings.Contains(err.Error(), "s3cret") {
			t.Fatalf("Load = %v, want ErrCredentialsInURL without the password", err)
		}
	})
	t.Run("CRLF line endings", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "registry=https://mirror.example/\r\n//mirror.example/:_authToken=TOKEN\r\n")
		c := w.load(t)
		if got, _ := c.AuthFor("https://mirror.example/a.tgz"); got != "Bearer TOKEN" {
			t.Errorf("AuthFor = %q; a CR must not stay in the token", got)
		}
		if c.Registry() != "https://mirror.example/" {
			t.Errorf("Registry = %q", c.Registry())
		}
	})
	t.Run("byte-order mark", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "\ufeffregistry=https://mirror.example/\n")
		if c := w.load(t); c.Registry() != "https://mirror.example/" {
			t.Errorf("Registry = %q; the BOM must not become part of the first key", c.Registry())
		}
	})
	t.Run("unset variable in a token", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n")
		c := w.load(t)
		warned := false
		for _, m := range c.Warnings() {
			warned = warned || strings.Contains(m, "${NPM_TOKEN}") && strings.Contains(m, "not set")
		}
		if !warned {
			t.Errorf("no warning about the unset ${NPM_TOKEN}: %q", c.Warnings())
		}
		// npm sends the literal text; so does airlock, to its own host only.
		if got, _ := c.AuthFor("https://registry.npmjs.org/a"); got != "Bearer ${NPM_TOKEN}" {
			t.Errorf("AuthFor = %q", got)
		}
		if got, ok := c.AuthFor("https://evil.example/a"); ok {
			t.Errorf("token %q sent to another host", got)
		}
	})
	t.Run("optional unset variable is empty", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN?}\n")
		if got, ok := w.load(t).AuthFor("https://registry.npmjs.org/a"); ok {
			t.Errorf("AuthFor = %q; an empty token is no credential", got)
		}
	})
	t.Run("variable expanding to another host's registry", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "proj/.npmrc", "registry=${REG}\n")
		_, err := Load(w.project, append(w.env, "REG=http://evil.example/"))
		if !errors.Is(err, ErrInsecureURL) {
			t.Fatalf("Load = %v, want ErrInsecureURL for an http registry from the environment", err)
		}
	})
}
