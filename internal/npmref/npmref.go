package npmref

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// Timeout bounds one npm invocation. A local registry answers in
// milliseconds; this is for a wedged npm, not a slow one.
const Timeout = 3 * time.Minute

// userConfig turns off what would reach beyond the test registry or clutter
// the output, and keeps a developer's HTTPS_PROXY (which npm honours) away
// from the loopback registry; none of it changes the installed tree.
const userConfig = `fund=false
audit=false
update-notifier=false
progress=false
noproxy=127.0.0.1,localhost,::1
`

// Project is a staged copy of a fixture project, configured for one test
// registry, on which npm commands can be run.
type Project struct {
	// Dir is the project copy: run npm here, compare trees from here.
	Dir   string
	home  string
	cache string
	npm   string
}

// CI stages a copy of projectDir and runs
// `npm ci --ignore-scripts --no-audit --no-fund` in it, plus args (such as
// "--omit=dev"). It returns the project copy holding the installed tree. A
// failing npm fails the test; npm missing from PATH skips it.
func CI(t testing.TB, projectDir string, reg *testregistry.Registry, args ...string) (treeDir string) {
	t.Helper()
	p := Stage(t, projectDir, reg)
	out, err := p.Run(append([]string{"ci", "--ignore-scripts", "--no-audit", "--no-fund"}, args...)...)
	if err != nil {
		t.Fatalf("npm ci %s in %s: %v\n%s", strings.Join(args, " "), filepath.Base(projectDir), err, out)
	}
	return p.Dir
}

// Stage copies projectDir (without any node_modules) into a temporary
// directory and points its .npmrc at reg. It skips the test when npm is not
// on PATH.
func Stage(t testing.TB, projectDir string, reg *testregistry.Registry) *Project {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH; the npm reference runs need Node.js and npm")
	}
	root := t.TempDir()
	p := &Project{
		Dir:   filepath.Join(root, filepath.Base(projectDir)),
		home:  filepath.Join(root, "home"),
		cache: filepath.Join(root, "cache"),
		npm:   npm,
	}
	if err := copyTree(projectDir, p.Dir); err != nil {
		t.Fatalf("npmref: copying %s: %v", projectDir, err)
	}
	if err := os.MkdirAll(p.home, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.home, "npmrc"), []byte(userConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.home, "global-npmrc"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Appended, so a fixture's own .npmrc settings survive.
	rc, err := os.OpenFile(filepath.Join(p.Dir, ".npmrc"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(rc, "\n"+reg.Npmrc())
	if err := rc.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// Run runs npm with args in the project, isolated as the package doc
// describes, and returns its combined output.
func (p *Project) Run(args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.npm, args...)
	cmd.Dir = p.Dir
	cmd.Env = p.env()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("npm %s: timed out after %v", strings.Join(args, " "), Timeout)
	}
	return out.Bytes(), err
}

func (p *Project) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch lk := strings.ToLower(k); {
		case strings.HasPrefix(lk, "npm_config_"), lk == "home", lk == "no_update_notifier",
			// Trust comes from the registry's cafile alone.
			lk == "node_extra_ca_certs":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"HOME="+p.home,
		"npm_config_userconfig="+filepath.Join(p.home, "npmrc"),
		"npm_config_globalconfig="+filepath.Join(p.home, "global-npmrc"),
		"npm_config_cache="+p.cache,
		"NO_UPDATE_NOTIFIER=1",
	)
}

// copyTree copies regular files, directories and symlinks, keeping
// permission bits, and leaves out node_modules directories.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, info.Mode().Perm())
		}
		return fmt.Errorf("%s: unsupported file type %v", path, d.Type())
	})
}
