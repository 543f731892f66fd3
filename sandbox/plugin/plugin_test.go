package plugin

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/sandbox/analyze"
)

// buildPlugin compiles testdata/plugins/<name> for wasip1 with the go
// command running this test.
func buildPlugin(t *testing.T, name string) string {
	t.Helper()
	goCmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		t.Skipf("no go command to build the plugin: %v", err)
	}
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.Command(goCmd, "build", "-o", out, "./testdata/plugins/"+name)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	return out
}

func pkgDir(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for p, body := range files {
		full := filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(body), 0o644)
	}
	return dir
}

func TestExamplePluginFindings(t *testing.T) {
	ctx := context.Background()
	p, err := Load(ctx, buildPlugin(t, "netcalls"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	dir := pkgDir(t, map[string]string{
		"package.json":  `{"name":"phoner","version":"1.0.0"}`,
		"index.js":      "module.exports = 1\n",
		"lib/report.js": "const a = 1;\nconst https = require('https');\n",
		"lib/data.json": `{"require('net')": 1}`,
	})
	fs, err := p.Analyze(ctx, analyze.Input{Dir: dir, Name: "phoner", Version: "1.0.0", InstallPath: "node_modules/phoner"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 {
		t.Fatalf("findings = %v", fs)
	}
	f := fs[0]
	if f.Rule != "AL008" || f.Tool != "netcalls" || f.File != "lib/report.js" || f.Line != 2 || f.Severity != analyze.Note || !strings.Contains(f.Message, "NET001") {
		t.Errorf("finding = %+v", f)
	}
	// The same compiled plugin runs again on another package.
	clean := pkgDir(t, map[string]string{"index.js": "module.exports = 2\n"})
	if fs, err := p.Analyze(ctx, analyze.Input{Dir: clean, Name: "clean", Version: "1.0.0"}); err != nil || len(fs) != 0 {
		t.Errorf("clean package: %v, %v", fs, err)
	}
}

func TestHostilePluginsAreStopped(t *testing.T) {
	ctx := context.Background()
	wasm := buildPlugin(t, "hostile")
	p, err := Load(ctx, wasm, Limits{MemoryPages: 1024, Timeout: 2 * time.Second, MaxOutput: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "passwd"), []byte("root:x:0:0"), 0o644)
	dir := pkgDir(t, map[string]string{"index.js": "x"})
	os.Symlink(outside, filepath.Join(dir, "link"))

	for _, c := range []struct{ name, want string }{
		{"loop", "time limit"},
		{"alloc", ""},
		{"flood", "more than 65536 bytes"},
		{"garbage", "not the findings JSON"},
		{"badpath", "outside the package"},
		{"crash", "exit code 4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := p.Analyze(ctx, analyze.Input{Dir: dir, Name: c.name, Version: "1.0.0"})
			if !errors.Is(err, ErrPlugin) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrPlugin mentioning %q", err, c.want)
			}
			// 15x the 2 s limit, so that load cannot fail it: the bound
			// only catches a limit that no longer stops the plugin.
			if d := time.Since(start); d > 30*time.Second {
				t.Errorf("took %v", d)
			}
			if c.name == "crash" && !strings.Contains(err.Error(), "something went wrong") {
				t.Errorf("stderr not reported: %v", err)
			}
		})
	}
	t.Run("escape", func(t *testing.T) {
		fs, err := p.Analyze(ctx, analyze.Input{Dir: dir, Name: "escape", Version: "1.0.0"})
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].Severity != analyze.Note {
			t.Fatalf("the plugin read outside its view: %+v", fs)
		}
	})
}

func TestLoadRefusesNonCommands(t *testing.T) {
	ctx := context.Background()
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(bad, []byte("\x00asm\x01\x00\x00\x00"), 0o644) // a valid empty module: no _start
	if _, err := Load(ctx, bad, Limits{}); !errors.Is(err, ErrPlugin) {
		t.Errorf("empty module: %v", err)
	}
	os.WriteFile(bad, []byte("not wasm"), 0o644)
	if _, err := Load(ctx, bad, Limits{}); !errors.Is(err, ErrPlugin) {
		t.Errorf("garbage: %v", err)
	}
}
