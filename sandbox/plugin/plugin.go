package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/airlock-dev/airlock/sandbox/analyze"
)

// ABI is the plugin interface version described in the package doc.
const ABI = 1

// Limits bound one plugin run.
type Limits struct {
	MemoryPages uint32        // 64 KiB pages; 0 means DefaultLimits
	Timeout     time.Duration // per package
	MaxOutput   int64         // bytes of stdout
}

// DefaultLimits: 256 MiB of memory, 10 seconds and 1 MiB of findings per
// package.
var DefaultLimits = Limits{MemoryPages: 4096, Timeout: 10 * time.Second, MaxOutput: 1 << 20}

const maxStderr = 64 << 10

// newRuntimeConfig picks wazero's engine: the compiler (fast plugins). The
// race-enabled test build swaps in the interpreter, because compiling a Go
// WASI module under the race detector takes a minute.
var newRuntimeConfig = wazero.NewRuntimeConfig

// Plugin is a compiled analyzer, ready to run on many packages.
type Plugin struct {
	Name   string
	limits Limits
	rt     wazero.Runtime
	mod    wazero.CompiledModule
}

// ErrPlugin is matched by every error a misbehaving plugin causes.
var ErrPlugin = errors.New("analyzer plugin failed")

// Load compiles the WASI module at path. Close releases it.
func Load(ctx context.Context, path string, lim Limits) (*Plugin, error) {
	if lim.MemoryPages == 0 {
		lim.MemoryPages = DefaultLimits.MemoryPages
	}
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultLimits.Timeout
	}
	if lim.MaxOutput <= 0 {
		lim.MaxOutput = DefaultLimits.MaxOutput
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, newRuntimeConfig().
		WithMemoryLimitPages(lim.MemoryPages).
		WithCloseOnContextDone(true))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin: %w", err)
	}
	mod, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: %w: not a WebAssembly module airlock can run: %v", path, ErrPlugin, err)
	}
	if _, ok := mod.ExportedFunctions()["_start"]; !ok {
		rt.Close(ctx)
		return nil, fmt.Errorf("plugin %s: %w: no _start export; build it as a WASI command (GOOS=wasip1)", path, ErrPlugin)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return &Plugin{Name: name, limits: lim, rt: rt, mod: mod}, nil
}

// Close frees the compiled module.
func (p *Plugin) Close(ctx context.Context) error { return p.rt.Close(ctx) }

type request struct {
	ABI     int        `json:"abi"`
	Package requestPkg `json:"package"`
	Files   []string   `json:"files"`
}

type requestPkg struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	InstallPath string `json:"install_path,omitempty"`
}

type response struct {
	Findings []struct {
		Rule     string `json:"rule"`
		Severity string `json:"severity"`
		File     string `json:"file"`
		Line     int    `json:"line"`
		Message  string `json:"message"`
	} `json:"findings"`
}

// Analyze runs the plugin over one package directory.
func (p *Plugin) Analyze(ctx context.Context, in analyze.Input) ([]analyze.Finding, error) {
	root, err := os.OpenRoot(in.Dir)
	if err != nil {
		return nil, fmt.Errorf("plugin %s: %w", p.Name, err)
	}
	defer root.Close()
	var files []string
	err = fs.WalkDir(root.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("plugin %s: listing %s: %w", p.Name, in.Dir, err)
	}
	sort.Strings(files)
	req, _ := json.Marshal(request{ABI: ABI, Package: requestPkg{in.Name, in.Version, in.InstallPath}, Files: files})

	ctx, cancel := context.WithTimeout(ctx, p.limits.Timeout)
	defer cancel()
	stdout := &cappedBuffer{max: p.limits.MaxOutput}
	stderr := &cappedBuffer{max: maxStderr, truncate: true}
	cfg := wazero.NewModuleConfig().
		WithName("").
		WithArgs(p.Name).
		WithStdin(bytes.NewReader(req)).
		WithStdout(stdout).
		WithStderr(stderr).
		// os.Root's FS cannot be led outside the package by a symlink.
		WithFSConfig(wazero.NewFSConfig().WithFSMount(root.FS(), "/package"))
	mod, err := p.rt.InstantiateModule(ctx, p.mod, cfg)
	if mod != nil {
		mod.Close(context.Background())
	}
	fail := func(why string) error {
		msg := strings.TrimSpace(stderr.String())
		if msg != "" {
			msg = "; it said: " + clip(msg)
		}
		return fmt.Errorf("plugin %s on %s@%s: %w: %s%s", p.Name, in.Name, in.Version, ErrPlugin, why, msg)
	}
	var exit *sys.ExitError
	switch {
	case stdout.over:
		return nil, fail(fmt.Sprintf("wrote more than %d bytes of output", p.limits.MaxOutput))
	case ctx.Err() != nil:
		return nil, fail(fmt.Sprintf("stopped after the %v time limit", p.limits.Timeout))
	case errors.As(err, &exit) && exit.ExitCode() != 0:
		return nil, fail(fmt.Sprintf("exit code %d", exit.ExitCode()))
	case err != nil && !errors.As(err, &exit):
		return nil, fail(err.Error())
	}
	var resp response
	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&resp); err != nil {
		return nil, fail("its output is not the findings JSON: " + err.Error())
	}
	var out []analyze.Finding
	for _, f := range resp.Findings {
		sev := analyze.Severity(f.Severity)
		if sev != analyze.Note && sev != analyze.Warning && sev != analyze.Error {
			return nil, fail(fmt.Sprintf("finding with severity %q (want note, warning or error)", f.Severity))
		}
		if f.File != "" && !fs.ValidPath(f.File) {
			return nil, fail(fmt.Sprintf("finding names file %q outside the package", f.File))
		}
		msg := f.Message
		if f.Rule != "" {
			msg = f.Rule + ": " + msg
		}
		out = append(out, analyze.Finding{Rule: "AL008", Severity: sev, Package: in.Name, Version: in.Version,
			InstallPath: in.InstallPath, File: f.File, Line: max(f.Line, 0), Message: clip(msg), Tool: p.Name})
	}
	return out, nil
}

// cappedBuffer keeps at most max bytes; past that it either drops the rest
// (truncate) or records that the limit was broken and fails the write, which
// makes the guest's write return an error.
type cappedBuffer struct {
	bytes.Buffer
	max      int64
	truncate bool
	over     bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - int64(b.Len())
	if int64(len(p)) <= room {
		return b.Buffer.Write(p)
	}
	if b.truncate {
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	b.over = true
	return 0, io.ErrShortWrite
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:497] + "..."
	}
	return s
}
