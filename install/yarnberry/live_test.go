//go:build live

package yarnberry

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install/yarnberry/berryzip"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
	"github.com/airlock-dev/airlock/lock/yarnberry"
)

// installYarn4 installs yarn 4 (npm install --prefix) and returns a
// command running it with node.
func installYarn4(t *testing.T) func(dir string, args ...string) {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH; it installs yarn")
	}
	prefix := t.TempDir()
	if out, err := exec.Command(npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", "@yarnpkg/cli-dist@4").CombinedOutput(); err != nil {
		t.Fatalf("npm install @yarnpkg/cli-dist@4: %v\n%s", err, out)
	}
	yarnJS := filepath.Join(prefix, "node_modules", "@yarnpkg", "cli-dist", "bin", "yarn.js")
	home := t.TempDir()
	return func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("node", append([]string{yarnJS}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "HOME="+home, "YARN_ENABLE_TELEMETRY=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("yarn %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// checkCacheZips rebuilds every zip in yarn's project cache from its
// tarball (tarball returns it) and compares the bytes.
func checkCacheZips(t *testing.T, dir string, lf *yarnberry.Lockfile, tarball func(e *yarnberry.Entry) []byte) {
	t.Helper()
	checked := 0
	for _, e := range lf.Entries {
		if e.Kind() != yarnberry.KindNpm || e.Checksum == "" {
			continue
		}
		c, err := berryzip.ParseChecksum(e.Checksum, lf.CacheKey)
		if err != nil {
			t.Fatal(err)
		}
		matches, _ := filepath.Glob(filepath.Join(dir, ".yarn", "cache", "*-"+c.Hex[:10]+".zip"))
		if len(matches) != 1 {
			continue
		}
		zip, err := os.ReadFile(matches[0])
		if err != nil {
			t.Fatal(err)
		}
		if h := sha512.Sum512(zip); hex.EncodeToString(h[:]) != c.Hex {
			t.Fatalf("%s: yarn's zip does not hash to its own checksum", matches[0])
		}
		a, err := berryzip.Convert(bytes.NewReader(tarball(e)), e.Locator.Name, berryzip.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", e.Locator, err)
		}
		var got bytes.Buffer
		if _, err := a.WriteTo(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), zip) {
			t.Errorf("%s: rebuilt zip differs from yarn's %s", e.Locator, matches[0])
		}
		checked++
	}
	t.Logf("%d cache zips rebuilt byte for byte", checked)
	if checked == 0 {
		t.Fatal("no cache zip checked")
	}
}

// TestLiveYarn4 runs real yarn 4 on the fixtures: the layout fixture
// against the test registry (its cache zips rebuilt from the registry's
// tarballs, its tree compared with airlock's file by file), the others
// against registry.npmjs.org (their trees compared with the committed
// yarn-tree.txt, the cache zips of hoist and peers rebuilt from the registry's
// tarballs). Run by make test-live; needs the network.
func TestLiveYarn4(t *testing.T) {
	yarn := installYarn4(t)
	t.Run("layout", func(t *testing.T) {
		reg := testregistry.New(t)
		dir := t.TempDir()
		stageLayout(t, dir)
		rc := "nodeLinker: node-modules\nenableScripts: false\nenableGlobalCache: false\nnpmRegistryServer: \"" + strings.TrimSuffix(reg.URL(), "/") + "\"\nhttpsCaFilePath: " + reg.CAFile() + "\n"
		if err := os.WriteFile(filepath.Join(dir, ".yarnrc.yml"), []byte(rc), 0o644); err != nil {
			t.Fatal(err)
		}
		yarn(dir, "install", "--immutable")
		dirs := []string{".", "packages/app", "packages/lib"}
		want := fileListing(t, dir, dirs)
		if d := treecmp.DiffListings(committed(t, "layout", "yarn-files.txt"), want); d != "" {
			t.Errorf("yarn-files.txt is not what this yarn makes (- file, + yarn):\n%s", d)
		}
		lf := parseFixture(t, "layout")
		checkCacheZips(t, dir, lf, func(e *yarnberry.Entry) []byte {
			b, err := os.ReadFile(filepath.Join(tarballsDir, tarballFile(e)))
			if err != nil {
				t.Fatal(err)
			}
			return b
		})
		for _, d := range dirs {
			if err := os.RemoveAll(filepath.Join(dir, d, "node_modules")); err != nil {
				t.Fatal(err)
			}
		}
		g, err := lf.Graph(linux)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Install(context.Background(), Options{ProjectDir: dir, Graph: g, Extract: verifiedExtract(t, lf, "")}); err != nil {
			t.Fatal(err)
		}
		if d := treecmp.DiffListings(want, fileListing(t, dir, dirs)); d != "" {
			t.Errorf("airlock's tree differs from yarn's (- yarn, + airlock):\n%s", d)
		}
	})
	for _, name := range []string{"hoist", "bins", "platform", "workspace", "peers", "large"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(fixturesDir, name)
			var dirs []string
			err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || strings.HasSuffix(p, ".txt") {
					return err
				}
				rel, _ := filepath.Rel(src, p)
				if d.Name() == "package.json" {
					dirs = append(dirs, filepath.ToSlash(filepath.Dir(rel)))
				}
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, rel), b, 0o755)
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ".yarnrc.yml"), []byte("nodeLinker: node-modules\nenableScripts: false\nenableGlobalCache: false\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			yarn(dir, "install", "--immutable")
			if d := treecmp.DiffListings(committed(t, name, "yarn-tree.txt"), listing(t, dir, dirs)); d != "" {
				t.Errorf("yarn-tree.txt is not what this yarn makes (- file, + yarn):\n%s", d)
			}
			state, err := os.ReadFile(filepath.Join(dir, stateFile))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(fixturesDir, name, "yarn-state.yml"))
			if errors.Is(err, fs.ErrNotExist) {
				return
			} else if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(state, want) {
				t.Errorf("yarn-state.yml is not what this yarn writes:\n%s", treecmp.DiffListings(strings.Split(string(want), "\n"), strings.Split(string(state), "\n")))
			}
			if name != "hoist" && name != "peers" {
				return
			}
			checkCacheZips(t, dir, parseFixture(t, name), func(e *yarnberry.Entry) []byte {
				base := e.Locator.Name
				if i := strings.LastIndexByte(base, '/'); i >= 0 {
					base = base[i+1:]
				}
				resp, err := http.Get("https://registry.npmjs.org/" + e.Locator.Name + "/-/" + base + "-" + e.Version + ".tgz")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, err := io.ReadAll(resp.Body)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("%s: %v %d", e.Locator, err, resp.StatusCode)
				}
				return b
			})
		})
	}
}
