package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/fetch/npmrc"
)

// TestPnpmSettings checks which .npmrc and pnpm-workspace.yaml settings
// shape the layout, which one wins, and which are refused.
func TestPnpmSettings(t *testing.T) {
	for _, tc := range []struct {
		name, npmrc, workspace string
		private, public        []string
		maxLength              int
		err                    string
	}{
		{name: "defaults"},
		{name: "npmrc patterns", npmrc: "hoist-pattern[]=*types*\nhoist-pattern[]=*eslint*\npublic-hoist-pattern[]=react\n", private: []string{"*types*", "*eslint*"}, public: []string{"react"}},
		{name: "hoist=false", npmrc: "hoist=false\n", private: []string{}},
		{name: "shamefully-hoist", npmrc: "shamefully-hoist=true\n", public: []string{"*"}},
		{name: "workspace wins", npmrc: "public-hoist-pattern[]=react\n", workspace: "packages:\n  - 'packages/*'\npublicHoistPattern:\n  - '*vue*'\nhoistPattern: []\n", private: []string{}, public: []string{"*vue*"}},
		{name: "workspace shamefullyHoist", workspace: "shamefullyHoist: true\nvirtualStoreDirMaxLength: 60\n", public: []string{"*"}, maxLength: 60},
		{name: "hoisted linker", workspace: "nodeLinker: hoisted\n", err: "node-linker=hoisted (nodeLinker) is not supported: airlock lays out pnpm's default isolated node_modules"},
		{name: "npmrc linker", npmrc: "node-linker=pnp\n", err: "node-linker=pnp (nodeLinker) is not supported"},
		{name: "virtual store dir", npmrc: "virtual-store-dir=.pnpm-store\n", err: "virtual-store-dir=.pnpm-store is not supported"},
		{name: "global virtual store", workspace: "enableGlobalVirtualStore: true\n", err: "enable-global-virtual-store=true is not supported"},
		{name: "bad max length", npmrc: "virtual-store-dir-max-length=x\n", err: "not a usable length"},
		{name: "hostile workspace yaml", workspace: "packages: &a\n  - x\n", err: "anchors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.npmrc != "" {
				if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(tc.npmrc), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.workspace != "" {
				if err := os.WriteFile(filepath.Join(dir, "pnpm-workspace.yaml"), []byte(tc.workspace), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			empty := filepath.Join(dir, "empty")
			if err := os.WriteFile(empty, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			rc, err := npmrc.Load(dir, []string{"HOME=" + dir, "NPM_CONFIG_GLOBALCONFIG=" + empty})
			if err != nil {
				t.Fatal(err)
			}
			p := &pnpmProject{}
			err = p.readSettings(dir, rc)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("readSettings = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.hoisting.Private, tc.private) || !reflect.DeepEqual(p.hoisting.Public, tc.public) || p.maxLength != tc.maxLength {
				t.Errorf("hoisting = %#v / %#v, max %d; want %#v / %#v, %d", p.hoisting.Private, p.hoisting.Public, p.maxLength, tc.private, tc.public, tc.maxLength)
			}
		})
	}
}

func TestPnpmMajor(t *testing.T) {
	for in, want := range map[string]int{"": 10, "pnpm@9.15.9": 9, "pnpm@9.15.9+sha512.abc": 9, "pnpm@10.1.0": 10, "npm@10.0.0": 10, "pnpm@8.0.0": 10} {
		if got := pnpmMajor(in); got != want {
			t.Errorf("pnpmMajor(%q) = %d, want %d", in, got, want)
		}
	}
}
