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

// TestSmoke runs the benchmark once, one run of each scenario, on the tiny
// set, with a freshly built airlock and the host's pip, so that the driver
// cannot rot between `make bench` runs.
func TestSmoke(t *testing.T) {
	t.Parallel()
	pyhost.Python(t)
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build airlock with")
	}
	bin := filepath.Join(t.TempDir(), "airlock")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	start := time.Now()
	if out, err := exec.Command(goTool, append(args, "github.com/airlock-dev/airlock/cmd/airlock")...).CombinedOutput(); err != nil {
		t.Fatalf("building airlock: %v\n%s", err, out)
	}
	t.Logf("built airlock in %v", time.Since(start).Round(time.Millisecond))

	var out strings.Builder
	err = run(options{airlock: bin, sets: []string{"tiny"}, wheelsDir: "../../testdata/python/bench", runs: 1,
		tools: []string{"airlock", "pip-no-compile", "uv"}, python: "python3", workdir: t.TempDir()}, &out)
	t.Logf("output:\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"set tiny: 4 wheels, one real and three SYNTHETIC",
		"airlock speed-up (median)",
		"\nairlock         cold ", "\npip-no-compile  cold ", "\nairlock         warm ", "\npip-no-compile  warm ",
		// Cold installs fetch 4 pages and 4 files, warm ones the pages.
		"index requests per install (median): airlock 8 cold, 4 warm; pip-no-compile 8 cold, 4 warm;",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if _, err := exec.LookPath("uv"); err != nil && !strings.Contains(out.String(), "uv: not timed: no uv on PATH") {
		t.Error("output does not say why uv was not timed")
	}
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
