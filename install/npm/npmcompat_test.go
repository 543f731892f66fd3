package npm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// This test is the check of truth: a small registry served from this
// process (loopback only), real npm 11 running `npm install` then
// `npm ci --ignore-scripts` against it, and Install run on the same lockfile
// with a pacote-like extractor; the two trees must be identical (types,
// modes, symlink targets, contents, hidden lockfile bytes). It skips when
// npm is not installed.

// synthPkg is one published version.
type synthPkg struct {
	name, version string
	manifest      map[string]any    // extra package.json fields
	files         map[string]string // besides package.json
}

var synthPkgs = []synthPkg{
	{name: "a-b", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"tool": "dash.js"}}, files: map[string]string{"dash.js": "#!/usr/bin/env node\n"}},
	{name: "a_b", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"tool": "under.js"}}, files: map[string]string{"under.js": "#!/usr/bin/env node\n"}},
	{name: "dep", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"dep": "bin/dep.js"}}, files: map[string]string{"bin/dep.js": "one"}},
	{name: "dep", version: "2.0.0", manifest: map[string]any{"bin": map[string]any{"dep": "bin/dep.js"}, "license": map[string]any{"type": "MIT"}}, files: map[string]string{"bin/dep.js": "two"}},
	{name: "olddep-user", version: "1.0.0", manifest: map[string]any{"dependencies": map[string]any{"dep": "^1.0.0"}}},
	{name: "@s/scoped", version: "1.0.0", manifest: map[string]any{"bin": "./s.js", "engines": map[string]any{"node": ">=1"}}, files: map[string]string{"s.js": "s"}},
	{name: "crlf", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"crlf": "crlf.js"}, "deprecated": "use lf"}, files: map[string]string{"crlf.js": "#!/usr/bin/env node\r\n// \xff\xe2\x82 bad utf-8\r\nconsole.log(1)\r\n"}},
	{name: "ghost", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"ghost": "missing.js"}}},
	{name: "zz-ghost", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"ghost": "real.js"}}, files: map[string]string{"real.js": "r"}},
	{name: "sneaky", version: "1.0.0", manifest: map[string]any{"bin": map[string]any{"../sneaky": "../../outside.js", "sub/cmd": "./cmd.js"}}, files: map[string]string{"outside.js": "o", "cmd.js": "c"}},
	{name: "bundler", version: "1.0.0", manifest: map[string]any{"dependencies": map[string]any{"inner": "1.0.0"}, "bundleDependencies": []any{"inner"}},
		files: map[string]string{"index.js": "b", "node_modules/inner/package.json": `{"name":"inner","version":"1.0.0","bin":{"inner":"inner.js"}}`, "node_modules/inner/inner.js": "i"}},
	{name: "devonly", version: "1.0.0", manifest: map[string]any{"dependencies": map[string]any{"shared": "1.0.0"}}},
	{name: "optdep", version: "1.0.0", manifest: map[string]any{"dependencies": map[string]any{"shared": "1.0.0"}}},
	{name: "shared", version: "1.0.0", manifest: map[string]any{"funding": map[string]any{"url": "https://example.org/fund"}}},
	{name: "darwin-only", version: "1.0.0", manifest: map[string]any{"os": []any{"darwin"}}},
	{name: "peerhost", version: "1.0.0", manifest: map[string]any{"peerDependencies": map[string]any{"peerdep": "^1.0.0"}}},
	{name: "peerdep", version: "1.0.0"},
	{name: "scripted", version: "1.0.0", manifest: map[string]any{"scripts": map[string]any{"postinstall": "exit 1"}}},
	{name: "col.a", version: "1.0.0"}, {name: "col-a", version: "1.0.0"}, {name: "col_a", version: "1.0.0"}, {name: "cola", version: "1.0.0"},
}

// rootPackageJSON is the project; tabs and CRLF check that the hidden
// lockfile follows package.json's formatting.
const rootPackageJSON = "{\r\n\t\"name\": \"compat\",\r\n\t\"version\": \"1.2.3\",\r\n\t\"workspaces\": [\"packages/*\"],\r\n" +
	"\t\"dependencies\": {\"a-b\": \"1.0.0\", \"a_b\": \"1.0.0\", \"dep\": \"2.0.0\", \"olddep-user\": \"1.0.0\", \"@s/scoped\": \"1.0.0\", \"crlf\": \"1.0.0\",\r\n" +
	"\t\t\"ghost\": \"1.0.0\", \"zz-ghost\": \"1.0.0\", \"sneaky\": \"1.0.0\", \"bundler\": \"1.0.0\", \"peerhost\": \"1.0.0\", \"scripted\": \"1.0.0\",\r\n" +
	"\t\t\"col.a\": \"1.0.0\", \"col-a\": \"1.0.0\", \"col_a\": \"1.0.0\", \"cola\": \"1.0.0\"},\r\n" +
	"\t\"devDependencies\": {\"devonly\": \"1.0.0\"},\r\n" +
	"\t\"optionalDependencies\": {\"optdep\": \"1.0.0\", \"darwin-only\": \"1.0.0\"}\r\n}\r\n"

var workspaceFiles = map[string]string{
	"packages/w1/package.json": `{"name":"w1","version":"0.1.0","bin":{"w1":"cli.js","tool":"tool.js"},"dependencies":{"dep":"^1.0.0"}}`,
	"packages/w1/cli.js":       "#!/usr/bin/env node\r\nconsole.log('w1')\r\n",
	"packages/w1/tool.js":      "t",
	"packages/w2/package.json": `{"name":"@s/w2","version":"0.2.0","bin":"./b.js","dependencies":{"w1":"*"},"devDependencies":{"peerdep":"1.0.0"}}`,
	"packages/w2/b.js":         "b",
}

type tarball struct {
	data      []byte
	integrity string
	shasum    string
	bins      map[string]bool // raw bin values from the manifest
}

func makeTarball(t *testing.T, p synthPkg) tarball {
	t.Helper()
	man := map[string]any{"name": p.name, "version": p.version}
	for k, v := range p.manifest {
		man[k] = v
	}
	mj, _ := json.Marshal(man)
	files := map[string]string{"package.json": string(mj)}
	for k, v := range p.files {
		files[k] = v
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range sortedKeys(files) {
		c := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: "package/" + name, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(c))
	}
	tw.Close()
	gz.Close()
	sum := sha512.Sum512(buf.Bytes())
	sh := sha1.Sum(buf.Bytes())
	// pacote's is-package-bin compares the manifest's raw bin values
	// with the entry path: "./s.js" never matches "s.js".
	bins := map[string]bool{}
	switch b := p.manifest["bin"].(type) {
	case string:
		bins[b] = true
	case map[string]any:
		for _, v := range b {
			bins[v.(string)] = true
		}
	}
	return tarball{data: buf.Bytes(), integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]), shasum: hex.EncodeToString(sh[:]), bins: bins}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

// extractLikePacote is a minimal pacote: strip "package/", regular files
// only, mode ((mode|0o666) &^ umask) | 0o600. Bin targets get +x only when
// pacote has the manifest, which in npm ci is when the lockfile entry has
// no "resolved" and pacote fetched the packument to find the tarball.
func extractLikePacote(tb tarball, dir string, umask int, knowsManifest bool) error {
	gz, err := gzip.NewReader(bytes.NewReader(tb.data))
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		_, rel, _ := strings.Cut(h.Name, "/")
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o777); err != nil {
			return err
		}
		mode := os.FileMode((h.Mode|0o666)&^int64(umask)) | 0o600
		if knowsManifest && tb.bins[rel] {
			mode |= 0o111
		}
		data, _ := io.ReadAll(tr)
		if err := os.WriteFile(full, data, mode); err != nil {
			return err
		}
		if err := os.Chmod(full, mode); err != nil {
			return err
		}
	}
}

// parseLockForTest turns package-lock.json into what lock/npm will yield:
// every entry but the root, skipping optional ones for another OS.
func parseLockForTest(t *testing.T, data []byte) (map[string]json.RawMessage, []lock.Package) {
	t.Helper()
	var lf struct {
		Packages map[string]json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(data, &lf); err != nil {
		t.Fatal(err)
	}
	var pkgs []lock.Package
	for _, loc := range sortedKeys(lf.Packages) {
		if loc == "" {
			continue
		}
		var e struct {
			Name, Version, Resolved, Integrity string
			Link, InBundle, Optional, Dev      bool
			OS                                 []string
		}
		json.Unmarshal(lf.Packages[loc], &e)
		if e.Optional && len(e.OS) > 0 && !contains(e.OS, "linux") {
			continue
		}
		p := lock.Package{Ecosystem: lock.NPM, Name: e.Name, Version: e.Version, Path: loc, Resolved: e.Resolved, Integrity: e.Integrity}
		if p.Name == "" {
			p.Name = nameFromFolder(loc)
		}
		switch {
		case e.Link:
			p.Source = lock.SourceLink
		case !strings.Contains("/"+loc+"/", "/node_modules/"):
			p.Source = lock.SourceWorkspace
		case e.InBundle:
			p.Source = lock.SourceBundled
		default:
			p.Source = lock.SourceRegistry
		}
		pkgs = append(pkgs, p)
	}
	return lf.Packages, pkgs
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func runNpm(t *testing.T, dir string, env []string, args ...string) {
	t.Helper()
	cmd := exec.Command("npm", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// treeOf dumps everything npm touches: node_modules and packages/.
func treeOf(t *testing.T, project string) map[string]string {
	out := map[string]string{}
	for _, d := range []string{"node_modules", "packages"} {
		for k, v := range dump(t, filepath.Join(project, d)) {
			out[d+"/"+k] = v
		}
	}
	return out
}

func TestMatchesRealNpm(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real npm")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not installed")
	}
	umask := syscall.Umask(0o022)
	syscall.Umask(umask)

	tarballs := map[string]tarball{}
	versions := map[string]map[string]synthPkg{}
	for _, p := range synthPkgs {
		tarballs[p.name+"@"+p.version] = makeTarball(t, p)
		if versions[p.name] == nil {
			versions[p.name] = map[string]synthPkg{}
		}
		versions[p.name][p.version] = p
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := url.PathUnescape(r.URL.EscapedPath())
		p = strings.TrimPrefix(p, "/")
		if name, file, ok := strings.Cut(p, "/-/"); ok {
			for v := range versions[name] {
				if file == path.Base(name)+"-"+v+".tgz" {
					w.Write(tarballs[name+"@"+v].data)
					return
				}
			}
			http.NotFound(w, r)
			return
		}
		vs, ok := versions[p]
		if !ok {
			http.NotFound(w, r)
			return
		}
		doc := map[string]any{"name": p, "dist-tags": map[string]any{}, "versions": map[string]any{}}
		for v, sp := range vs {
			tb := tarballs[p+"@"+v]
			man := map[string]any{"name": p, "version": v, "dist": map[string]any{
				"tarball": srv.URL + "/" + p + "/-/" + path.Base(p) + "-" + v + ".tgz", "integrity": tb.integrity, "shasum": tb.shasum}}
			for k, x := range sp.manifest {
				man[k] = x
			}
			if sp.manifest["scripts"] != nil {
				man["hasInstallScript"] = true
			}
			doc["versions"].(map[string]any)[v] = man
			doc["dist-tags"].(map[string]any)["latest"] = v
		}
		json.NewEncoder(w).Encode(doc)
	}))
	defer srv.Close()

	for _, omit := range []bool{false, true} {
		t.Run(fmt.Sprintf("omit-lockfile-registry-resolved=%v", omit), func(t *testing.T) {
			base := t.TempDir()
			userconfig := filepath.Join(base, "npmrc")
			os.WriteFile(userconfig, nil, 0o644)
			env := append(os.Environ(), "npm_config_userconfig="+userconfig, "npm_config_update_notifier=false")
			flags := []string{"--registry", srv.URL + "/", "--cache", filepath.Join(base, "cache"), "--no-audit", "--no-fund",
				"--ignore-scripts", fmt.Sprintf("--omit-lockfile-registry-resolved=%v", omit)}
			npmDir, ourDir := filepath.Join(base, "npm"), filepath.Join(base, "airlock")
			for _, d := range []string{npmDir, ourDir} {
				files := map[string]string{"package.json": rootPackageJSON, "node_modules/.cache/junk": "x", "packages/w1/node_modules/.junk": "y"}
				for k, v := range workspaceFiles {
					files[k] = v
				}
				for k, v := range files {
					os.MkdirAll(filepath.Join(d, filepath.Dir(k)), 0o755)
					os.WriteFile(filepath.Join(d, k), []byte(v), 0o644)
				}
			}
			runNpm(t, npmDir, env, append([]string{"install", "--package-lock-only"}, flags...)...)
			lockData, err := os.ReadFile(filepath.Join(npmDir, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(ourDir, "package-lock.json"), lockData, 0o644)
			runNpm(t, npmDir, env, append([]string{"ci"}, flags...)...)

			raw, pkgs := parseLockForTest(t, lockData)
			var top struct{ Name, Version string }
			json.Unmarshal(lockData, &top)
			indent, newline := PackageJSONFormat([]byte(rootPackageJSON))
			res, err := Install(context.Background(), Options{
				ProjectDir: ourDir, Packages: pkgs, RawEntries: raw, RootName: top.Name, RootVersion: top.Version,
				LockfileVersion: 3, OmitLockfileRegistryResolved: omit, Indent: indent, Newline: newline,
				Extract: func(ctx context.Context, p lock.Package, dir string) error {
					tb, ok := tarballs[p.Name+"@"+p.Version]
					if !ok {
						return fmt.Errorf("no tarball for %s@%s", p.Name, p.Version)
					}
					return extractLikePacote(tb, dir, umask, p.Resolved == "")
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("result: %+v", res)
			npmTree, ourTree := treeOf(t, npmDir), treeOf(t, ourDir)
			compareDumps(t, ourTree, npmTree)
			if len(res.BinConflicts) == 0 {
				t.Error("fixture should produce bin conflicts")
			}
			checkNpmTrustsHiddenLockfile(t, ourDir)
		})
	}
}

// checkNpmTrustsHiddenLockfile loads our hidden lockfile with npm's own
// arborist Shrinkwrap, which rejects it if any directory is newer than the
// file or an entry is missing from node_modules (assertNoNewer).
func checkNpmTrustsHiddenLockfile(t *testing.T, project string) {
	t.Helper()
	out, err := exec.Command("npm", "root", "-g").Output()
	if err != nil {
		t.Logf("npm root -g: %v; not checking the hidden lockfile with arborist", err)
		return
	}
	sw := filepath.Join(strings.TrimSpace(string(out)), "npm", "node_modules", "@npmcli", "arborist", "lib", "shrinkwrap.js")
	if _, err := os.Stat(sw); err != nil {
		t.Logf("%s not found; not checking the hidden lockfile with arborist", sw)
		return
	}
	script := `const S = require(process.argv[1]);
S.load({ path: process.argv[2], hiddenLockfile: true }).then(s => {
  if (s.loadingError || !s.loadedFromDisk) { console.log('REJECTED', s.loadingError && s.loadingError.message); process.exit(1) }
  console.log('trusted', Object.keys(s.data.packages).length)
})`
	cmd := exec.Command("node", "-e", script, sw, project)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("npm does not trust our hidden lockfile: %v\n%s", err, b)
		return
	}
	t.Logf("arborist: %s", strings.TrimSpace(string(b)))
}
