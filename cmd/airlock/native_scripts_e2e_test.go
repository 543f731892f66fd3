package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/sandbox"
	"github.com/airlock-dev/airlock/verify"
)

// TestNativeAllowedScriptsRunSandboxed: a package the project's own
// package-manager configuration allows (bun's trustedDependencies, pnpm's
// onlyBuiltDependencies) has its script run by airlock npm ci, in the
// sandbox, where it builds in its own directory; an explicit empty
// [scripts] allow in airlock.toml keeps it off.
func TestNativeAllowedScriptsRunSandboxed(t *testing.T) {
	if err := sandbox.Probe().Err(); err != nil {
		t.Skipf("no sandbox here: %v", err)
	}
	if _, err := nativeNpm(); err != nil {
		t.Skip(err)
	}
	reg := testregistry.New(t)
	build := "node -e " + shellQuote(`require('fs').writeFileSync('built.txt', 'ok')`)
	for _, tt := range []struct {
		name, file, body, toml string
		built                  bool
	}{
		{"trusted", "package.json", `{"name":"app","version":"1.0.0","dependencies":{"@airlock-fixture/native-trusted":"1.0.0"},"trustedDependencies":["@airlock-fixture/native-trusted"]}`, "", true},
		{"only-built", "pnpm-workspace.yaml", "onlyBuiltDependencies:\n  - '@airlock-fixture/native-only-built'\n", "", true},
		{"opted-out", "package.json", `{"name":"app","version":"1.0.0","dependencies":{"@airlock-fixture/native-opted-out":"1.0.0"},"trustedDependencies":["@airlock-fixture/native-opted-out"]}`, "[scripts]\nallow = []\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "@airlock-fixture/native-" + tt.name
			dir := scriptProject(t, reg, name, build, tt.toml)
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out := runAirlock(t, "npm", "ci", "--dir", dir)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			_, err := os.Stat(filepath.Join(dir, "node_modules", name, "built.txt"))
			if built := err == nil; built != tt.built {
				t.Errorf("built = %v, want %v\n%s", built, tt.built, out)
			}
			if tt.built && !strings.Contains(out, "ran the install scripts of "+name+"@1.0.0 in the sandbox") {
				t.Errorf("the run is not reported:\n%s", out)
			}
		})
	}
}

// TestNativeAllowHint: where the sandbox is missing, the refusal names
// the native setting that allowed the script and how to opt out.
func TestNativeAllowHint(t *testing.T) {
	rule, err := verify.ParseDeny("esbuild", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := config.Scripts{Allow: []verify.DenyRule{rule}, NativeAllow: []config.NativeScript{{Rule: rule, Allow: true, From: "pnpm-workspace.yaml:2 onlyBuiltDependencies"}}}
	run := []scriptPackage{{name: "esbuild", version: "0.25.0"}, {name: "sharp", version: "0.33.5"}}
	hint := nativeAllowHint(s, run)
	if !strings.Contains(hint, "esbuild@0.25.0: allowed by pnpm-workspace.yaml:2 onlyBuiltDependencies") || !strings.Contains(hint, "[scripts] allow = []") || strings.Contains(hint, "sharp") {
		t.Errorf("hint = %q", hint)
	}
	if h := nativeAllowHint(config.Scripts{Allow: []verify.DenyRule{rule}}, run); h != "" {
		t.Errorf("an airlock.toml allowance got a native hint: %q", h)
	}
}
