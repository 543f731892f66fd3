package npmrc

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// world is a fake machine: a home, a project, a node install (for the
// global prefix) and npm's own directory (for the builtin npmrc).
type world struct {
	root, home, project, prefix string
	env                         []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	root := t.TempDir()
	w := &world{root: root, home: filepath.Join(root, "home"), project: filepath.Join(root, "proj"), prefix: filepath.Join(root, "node")}
	for _, d := range []string{w.home, w.project, filepath.Join(w.prefix, "bin"), filepath.Join(w.prefix, "etc"),
		filepath.Join(w.prefix, "lib/node_modules/npm/bin"), filepath.Join(root, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// PATH holds symlinks, as with most node installs: the prefix comes
	// from the resolved node binary.
	mustWrite(t, filepath.Join(w.prefix, "bin/node"), "#!/bin/false\n", 0o755)
	mustWrite(t, filepath.Join(w.prefix, "lib/node_modules/npm/bin/npm-cli.js"), "", 0o755)
	for name, target := range map[string]string{"node": "node/bin/node", "npm": "node/lib/node_modules/npm/bin/npm-cli.js"} {
		if err := os.Symlink(filepath.Join(root, target), filepath.Join(root, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	w.env = []string{"HOME=" + w.home, "PATH=relative/dir:" + filepath.Join(root, "bin")}
	return w
}

func mustWrite(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

func (w *world) write(t *testing.T, rel, data string) string {
	p := filepath.Join(w.root, rel)
	mustWrite(t, p, data, 0o644)
	return p
}

func (w *world) load(t *testing.T, extraEnv ...string) *Config {
	t.Helper()
	c, err := Load(w.project, append(slices.Clone(w.env), extraEnv...))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func expect(t *testing.T, c *Config, key, value, source string) {
	t.Helper()
	v, ok := c.Get(key)
	if !ok || v.Value != value || (source != "" && v.Source != source) {
		t.Errorf("Get(%q) = %q from %q (set %v), want %q from %q", key, v.Value, v.Source, ok, value, source)
	}
}

// The layering cases mirror what npm 11.19 printed for `npm config get`
// with the same files (see the package report): env > project > user >
// global > builtin.
func TestLoadLayers(t *testing.T) {
	w := newWorld(t)
	builtin := w.write(t, "node/lib/node_modules/npm/npmrc", "a=builtin\nb=builtin\nc=builtin\nd=builtin\ne=builtin\n")
	global := w.write(t, "node/etc/npmrc", "b=global\nc=global\nd=global\ne=global\n")
	user := w.write(t, "home/.npmrc", "c=user\nd=user\ne=user\n")
	project := w.write(t, "proj/.npmrc", "d=project\ne=project\nlist[]=x\nlist[]=y\n")
	c := w.load(t, "npm_config_e=env", "NPM_CONFIG_FETCH_RETRIES=7", "npm_config_empty=", "Npm_Config_Mixed_Case=1",
		"NPM_CONFIG__AUTH_X=k", "npm_config_//reg.example/:_authToken=tok")
	expect(t, c, "a", "builtin", builtin)
	expect(t, c, "b", "global", global)
	expect(t, c, "c", "user", user)
	expect(t, c, "d", "project", project)
	expect(t, c, "e", "env", "env npm_config_e")
	expect(t, c, "fetch-retries", "7", "env NPM_CONFIG_FETCH_RETRIES")
	expect(t, c, "mixed-case", "1", "")
	expect(t, c, "_auth-x", "k", "")
	expect(t, c, "//reg.example/:_authToken", "tok", "")
	if _, ok := c.Get("empty"); ok {
		t.Error("an empty npm_config_ variable must be ignored, as npm does")
	}
	if got := c.GetAll("list"); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("GetAll(list) = %q", got)
	}
	var names []string
	for _, l := range c.Layers() {
		if l.Loaded {
			names = append(names, l.Name)
		}
	}
	if !slices.Equal(names, []string{"env", "project", "user", "global", "builtin"}) {
		t.Errorf("loaded layers = %q", names)
	}
}

func TestLoadFileLocations(t *testing.T) {
	t.Run("project userconfig moves the user file, its globalconfig the global file", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "home/.npmrc", "registry=https://user.example/\n")
		alt := w.write(t, "alt/u", "registry=https://alt-user.example/\nglobalconfig="+filepath.Join(w.root, "alt/g")+"\n")
		w.write(t, "alt/g", "fetch-retries=9\n")
		w.write(t, "node/etc/npmrc", "fetch-retries=7\n")
		w.write(t, "proj/.npmrc", "userconfig="+alt+"\n")
		c := w.load(t)
		expect(t, c, "registry", "https://alt-user.example/", alt)
		expect(t, c, "fetch-retries", "9", filepath.Join(w.root, "alt/g"))
	})
	t.Run("PREFIX and npm_config_prefix choose the global file", func(t *testing.T) {
		w := newWorld(t)
		w.write(t, "node/etc/npmrc", "fetch-retries=1\n")
		pfx := w.write(t, "pfx/etc/npmrc", "fetch-retries=7\n")
		expect(t, w.load(t, "PREFIX="+filepath.Join(w.root, "pfx")), "fetch-retries", "7", pfx)
		expect(t, w.load(t, "npm_config_prefix="+filepath.Join(w.root, "pfx")), "fetch-retries", "7", pfx)
		expect(t, w.load(t), "fetch-retries", "1", filepath.Join(w.prefix, "etc/npmrc"))
	})
	t.Run("NPM_CONFIG_USERCONFIG and NPM_CONFIG_GLOBALCONFIG", func(t *testing.T) {
		w := newWorld(t)
		u := w.write(t, "x/user", "a=1\n")
		g := w.write(t, "x/global", "b=2\n")
		c := w.load(t, "NPM_CONFIG_USERCONFIG="+u, "NPM_CONFIG_GLOBALCONFIG="+g)
		expect(t, c, "a", "1", u)
		expect(t, c, "b", "2", g)
	})
	t.Run("tilde in userconfig is the home directory", func(t *testing.T) {
		w := newWorld(t)
		u := w.write(t, "home/other.npmrc", "a=1\n")
		expect(t, w.load(t, "npm_config_userconfig=~/other.npmrc"), "a", "1", u)
	})
	t.Run("project file that is the user file is read once", func(t *testing.T) {
		w := newWorld(t)
		w.project = w.home
		w.write(t, "home/.npmrc", "a=1\n")
		c := w.load(t)
		for _, l := range c.Layers() {
			if l.Name == "project" && (l.Loaded || !strings.Contains(l.Note, "same as")) {
				t.Errorf("project layer = %+v", l)
			}
		}
		expect(t, c, "a", "1", filepath.Join(w.home, ".npmrc"))
	})
	t.Run("no node on PATH: no global file", func(t *testing.T) {
		w := newWorld(t)
		w.env = []string{"HOME=" + w.home, "PATH=/nonexistent"}
		c := w.load(t)
		if c.Registry() != DefaultRegistry {
			t.Errorf("Registry() = %q", c.Registry())
		}
	})
	t.Run("a node or npm under node_modules/.bin on PATH is ignored", func(t *testing.T) {
		// npm run and CI setups put node_modules/.bin first on PATH; a
		// package shipping "node" and "npm" bins with an etc/npmrc and an
		// npmrc beside them must not configure (or be run by) airlock.
		w := newWorld(t)
		w.write(t, "node/etc/npmrc", "fetch-retries=1\n")
		evil := filepath.Join(w.project, "node_modules/evil")
		mustWrite(t, filepath.Join(evil, "bin/node"), "#!/bin/false\n", 0o755)
		mustWrite(t, filepath.Join(evil, "bin/npm-cli.js"), "", 0o755)
		mustWrite(t, filepath.Join(evil, "etc/npmrc"), "registry=https://evil.example/\n", 0o644)
		mustWrite(t, filepath.Join(evil, "npmrc"), "registry=https://evil.example/\n", 0o644)
		bin := filepath.Join(w.project, "node_modules/.bin")
		for name, target := range map[string]string{"node": "../evil/bin/node", "npm": "../evil/bin/npm-cli.js"} {
			mustWrite(t, filepath.Join(bin, "x"), "", 0o644)
			if err := os.Symlink(target, filepath.Join(bin, name)); err != nil {
				t.Fatal(err)
			}
		}
		w.env = []string{"HOME=" + w.home, "PATH=" + bin + ":" + filepath.Join(w.root, "bin")}
		c := w.load(t)
		expect(t, c, "fetch-retries", "1", filepath.Join(w.prefix, "etc/npmrc"))
		if c.Registry() != DefaultRegistry {
			t.Errorf("Registry() = %q, configured by a package's npmrc", c.Registry())
		}
		if got, want := LookPath("node", w.env[1][len("PATH="):]), filepath.Join(w.prefix, "bin/node"); got != want {
			t.Errorf("LookPath(node) = %q, want %q", got, want)
		}
	})
	t.Run("unreadable file is an error naming it", func(t *testing.T) {
		w := newWorld(t)
		if err := os.Mkdir(filepath.Join(w.project, ".npmrc"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Load(w.project, w.env)
		if err == nil || !strings.Contains(err.Error(), filepath.Join(w.project, ".npmrc")) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestLoadRefusals(t *testing.T) {
	tests := []struct {
		name    string
		file    string // project .npmrc
		env     []string
		wantErr error
		wantMsg []string
	}{
		{"strict-ssl=false", "strict-ssl=false\n", nil, ErrStrictSSLOff, []string{"proj/.npmrc", "strict-ssl", "cafile=/path/to/ca.pem", "ca_file in airlock.toml"}},
		{"strict-ssl=0 from env", "", []string{"NPM_CONFIG_STRICT_SSL=0"}, ErrStrictSSLOff, []string{"env NPM_CONFIG_STRICT_SSL"}},
		{"http registry", "registry=http://registry.example.com/\n", nil, ErrInsecureURL, []string{"registry", "http://registry.example.com/", "https://"}},
		{"registry with password", "registry=https://u:secret@r.example/\n", nil, ErrCredentialsInURL, []string{"//host/:_auth"}},
		{"registry not a URL", "registry=registry.example.com\n", nil, ErrBadURL, []string{"registry"}},
		{"unscoped _authToken", "_authToken=secret\n", nil, ErrUnscopedAuth, []string{"//registry.npmjs.org/:_authToken", "proj/.npmrc"}},
		{"unscoped _auth, nerfed to the configured registry", "registry=https://r.example/npm/\n_auth=secret\n", nil, ErrUnscopedAuth, []string{"//r.example/npm/:_auth"}},
		{"lowercase _authtoken", "_authtoken=secret\n", nil, ErrUnscopedAuth, []string{"delete"}},
		{"username without _password", "username=u\n", nil, ErrUnscopedAuth, []string{"delete"}},
		{"username with _password", "username=u\n_password=secret\n", nil, ErrUnscopedAuth, []string{"renamed", "//registry.npmjs.org/:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.file != "" {
				w.write(t, "proj/.npmrc", tt.file)
			}
			_, err := Load(w.project, append(w.env, tt.env...))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks a credential: %q", err)
			}
		})
	}
	// npm only refuses unscoped credentials in files; from the environment
	// they are ignored, and so are settings that turn checks on.
	w := newWorld(t)
	w.write(t, "proj/.npmrc", "strict-ssl=true\n")
	c := w.load(t, "npm_config__auth=abc")
	if h, ok := c.AuthFor("https://registry.npmjs.org/x"); ok {
		t.Errorf("unscoped _auth from env was used: %q", h)
	}
}

func TestLoadWarnsAboutUnsetVariables(t *testing.T) {
	w := newWorld(t)
	w.write(t, "proj/.npmrc", "//r.example/:_authToken=${NPM_TOKEN}\nopt=${MAYBE?}\nset=${HOME}\n")
	c := w.load(t)
	warnings := c.Warnings()
	if len(warnings) != 1 || !strings.Contains(warnings[0], "${NPM_TOKEN}") || !strings.Contains(warnings[0], "proj/.npmrc") {
		t.Errorf("Warnings() = %q, want one about ${NPM_TOKEN}", warnings)
	}
	expect(t, c, "//r.example/:_authToken", "${NPM_TOKEN}", "")
	c = w.load(t, "NPM_TOKEN=abc")
	expect(t, c, "//r.example/:_authToken", "abc", "")
	if len(c.Warnings()) != 0 {
		t.Errorf("Warnings() = %q with NPM_TOKEN set", c.Warnings())
	}
}
