package bun

import (
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// rootBins lists the commands Select leaves for the root node_modules/.bin
// (packages directly in node_modules), as name -> package path.
func rootBins(sel *Selection) map[string]string {
	out := map[string]string{}
	for _, p := range sel.Install {
		if strings.Count(p.Path, "node_modules/") != 1 || p.Source == lock.SourceWorkspace {
			continue
		}
		for name := range p.Bin {
			out[name] = p.Path
		}
	}
	return out
}

// TestRealVite checks Select against the tree bun 1.4.5 made from a real
// lockfile (vite, @babel/core, eslint, typescript, prettier; public
// registry) on linux/x64/glibc: "162 packages installed", and these root
// bins, esbuild's pointing into @esbuild/linux-x64 (native bin link).
func TestRealVite(t *testing.T) {
	sel, err := readFixture(t, "vite").Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	if len(sel.Install) != 162 || len(sel.Skipped) != 50 {
		t.Errorf("installed %d, skipped %d; bun installed 162", len(sel.Install), len(sel.Skipped))
	}
	bins := rootBins(sel)
	var names []string
	for n := range bins {
		names = append(names, n)
	}
	slices.Sort(names)
	want := "acorn baseline-browser-mapping browserslist esbuild eslint js-yaml jsesc json5 loose-envify nanoid node-which parser prettier rollup semver tsc tsserver update-browserslist-db vite"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("root bins:\n%s\nbun linked:\n%s", got, want)
	}
	if bins["esbuild"] != "node_modules/@esbuild/linux-x64" {
		t.Errorf("esbuild's bin belongs to %s", bins["esbuild"])
	}
	find(t, sel, "node_modules/@typescript-eslint/typescript-estree/node_modules/minimatch/node_modules/brace-expansion")
	// bun install --production: "54 packages installed".
	prod, err := readFixture(t, "vite").Select(Options{Platform: linux, NoDev: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(prod.Install) != 54 {
		t.Errorf("--production installs %d, bun 54", len(prod.Install))
	}
	for _, s := range sel.Skipped {
		if s.Package.Name == "@rollup/rollup-linux-x64-gnu" {
			t.Error("the glibc rollup binary was skipped")
		}
	}
}

// TestRealBundled: npm@10.9.0 bundles its dependencies (68 entries marked
// bundled, none of them fetched, nothing below them installed, none of
// their bins linked), sshpk has directories.bin, request is deprecated. bun
// 1.4.5 installed 50 packages and linked esbuild, npm, npx, sshpk-conv,
// sshpk-sign, sshpk-verify and uuid in node_modules/.bin.
func TestRealBundled(t *testing.T) {
	sel, err := readFixture(t, "bundled").Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	fetched, bundled := 0, 0
	for _, p := range sel.Install {
		switch p.Source {
		case lock.SourceRegistry:
			fetched++
		case lock.SourceBundled:
			bundled++
			if p.Bin != nil {
				t.Errorf("%s: a bundled package's bins are linked", p.Path)
			}
		}
	}
	if fetched != 50 || bundled != 68 {
		t.Errorf("fetched %d, bundled %d; want 50 and 68", fetched, bundled)
	}
	var names []string
	for n := range rootBins(sel) {
		names = append(names, n)
	}
	slices.Sort(names)
	if got := strings.Join(names, " "); got != "esbuild npm npx uuid" {
		t.Errorf("root bins from bin maps: %s", got)
	}
	if sel.BinDirs["node_modules/sshpk"] != "./bin" {
		t.Errorf("BinDirs = %v", sel.BinDirs)
	}
}
