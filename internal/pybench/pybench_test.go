package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/benchrun"
	"github.com/airlock-dev/airlock/internal/pyhost"
)

func TestMain(m *testing.M) {
	benchrun.Main()
	os.Exit(m.Run())
}

// TestDriver runs the benchmark once, one run of each scenario, on the
// tiny set with the host's pip only, so that the driver (sets, index,
// environments, checks, table) cannot rot between `make bench` runs.
// BenchmarkSmoke adds airlock, which needs a build of it (too slow for
// every `go test`).
func TestDriver(t *testing.T) {
	t.Parallel()
	pyhost.Python(t)
	out := smoke(t, "/nonexistent/airlock", "pip-no-compile", "uv")
	for _, want := range []string{
		"set tiny: 4 wheels, one real and three SYNTHETIC",
		"airlock speed-up (median)",
		"\npip-no-compile  cold ", "\npip-no-compile  warm ",
		"load average (1 min) before the runs ",
		// Cold installs fetch 4 pages and 4 files, warm ones the pages
		// (pip keeps files PyPI marks immutable in its HTTP cache).
		"index requests per install (median): pip-no-compile 8 cold, 4 warm;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if _, err := exec.LookPath("uv"); err != nil && !strings.Contains(out, "uv: not timed: no uv on PATH") {
		t.Error("output does not say why uv was not timed")
	}
}

// BenchmarkSmoke is TestDriver with a freshly built airlock as well:
//
//	go test -run '^$' -bench Smoke -benchtime 1x ./internal/pybench
func BenchmarkSmoke(b *testing.B) {
	pyhost.Python(b)
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("no go command to build airlock with")
	}
	bin := filepath.Join(b.TempDir(), "airlock")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	if out, err := exec.Command(goTool, append(args, "github.com/airlock-dev/airlock/cmd/airlock")...).CombinedOutput(); err != nil {
		b.Fatalf("building airlock: %v\n%s", err, out)
	}
	b.Logf("built airlock in %v", time.Since(start).Round(time.Millisecond))
	for range b.N {
		out := smoke(b, bin, "airlock", "pip-no-compile")
		for _, want := range []string{
			"\nairlock         cold ", "\nairlock         warm ",
			"index requests per install (median): airlock 8 cold, 4 warm; pip-no-compile 8 cold, 4 warm;",
		} {
			if !strings.Contains(out, want) {
				b.Errorf("output lacks %q", want)
			}
		}
	}
}

// smoke runs the driver on the tiny set, one run per scenario.
func smoke(t testing.TB, airlock string, tools ...string) string {
	t.Helper()
	var out strings.Builder
	err := run(options{airlock: airlock, sets: []string{"tiny"}, wheelsDir: "../../testdata/python/bench", runs: 1,
		tools: tools, python: "python3", workdir: t.TempDir()}, &out)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestSynthWheelMatchesShape checks that a generated wheel has its
// shape's file count, sizes and tag, compresses like code, and is the same
// every time.
func TestSynthWheelMatchesShape(t *testing.T) {
	for _, s := range []shape{
		{name: "pure", version: "1.0", files: 40, bytes: 300_000, scripts: 2},
		{name: "binary", version: "2.0.post1", files: 9, bytes: 600_000, soBytes: 500_000},
		{name: "one", version: "0.1", files: 1, bytes: 1},
	} {
		name, data, err := synthWheel(s)
		if err != nil {
			t.Fatal(err)
		}
		_, again, _ := synthWheel(s)
		if !bytes.Equal(data, again) {
			t.Errorf("%s: two wheels of one shape differ", s.name)
		}
		wantTag := "py3-none-any"
		if s.soBytes > 0 {
			wantTag = "py3-none-" + platformTag()
		}
		if !strings.HasSuffix(name, "-"+wantTag+".whl") || !strings.HasPrefix(name, "synth_"+s.name+"-"+s.version+"-") {
			t.Errorf("%s: file name %s", s.name, name)
		}
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		var files int
		var size, so, textSize, textPacked int64
		var entryPoints string
		for _, f := range zr.File {
			if strings.Contains(f.Name, ".dist-info/") {
				if strings.HasSuffix(f.Name, "entry_points.txt") {
					rc, _ := f.Open()
					b, _ := io.ReadAll(rc)
					entryPoints = string(b)
				}
				continue
			}
			files++
			size += int64(f.UncompressedSize64)
			if strings.HasSuffix(f.Name, ".so") {
				so += int64(f.UncompressedSize64)
			} else {
				textSize += int64(f.UncompressedSize64)
				textPacked += int64(f.CompressedSize64)
			}
		}
		if files != s.files || size != s.bytes || so != s.soBytes {
			t.Errorf("%s: %d files, %d bytes (%d in .so); want %d, %d (%d)", s.name, files, size, so, s.files, s.bytes, s.soBytes)
		}
		if n := strings.Count(entryPoints, " = synth_"); n != s.scripts {
			t.Errorf("%s: %d console scripts, want %d:\n%s", s.name, n, s.scripts, entryPoints)
		}
		if textSize > 100_000 {
			// Real Python source deflates to a third or a quarter.
			if r := float64(textSize) / float64(textPacked); r < 2.5 || r > 5 {
				t.Errorf("%s: text compresses %.1fx; real code does 3-4x", s.name, r)
			}
		}
	}
}

// TestCorpusCompression keeps the binary corpus about as compressible as
// machine code (2x or so), not random (1x) nor trivial.
func TestCorpusCompression(t *testing.T) {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write([]byte(binaryCorpus()))
	w.Close()
	if r := float64(len(binaryCorpus())) / float64(buf.Len()); r < 1.5 || r > 4 {
		t.Errorf("binary corpus compresses %.1fx", r)
	}
}
