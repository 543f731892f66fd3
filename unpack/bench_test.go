package unpack

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkNpmTarball extracts a real small package (semver: 52 files) and
// a synthetic large one shaped like the big packages on the registry (5,000
// files of mostly a few KB, in 200 directories, compressing about 5x), with
// each confinement backend. It reports files/s besides the unpacked MB/s.
//
// The disk usually dominates; to measure airlock's own cost, point TMPDIR at
// a tmpfs (TMPDIR=/dev/shm go test -bench NpmTarball ./unpack).
func BenchmarkNpmTarball(b *testing.B) {
	semver, err := os.ReadFile("testdata/npm/semver-7.6.3.tgz")
	if err != nil {
		b.Fatal(err)
	}
	archives := []struct {
		name string
		tgz  []byte
	}{
		{"semver", semver},
		{"synthetic-5000-files", syntheticPackage(b, 5000, 200)},
	}
	for _, a := range archives {
		for _, backend := range []string{"beneath", "root"} {
			b.Run(a.name+"/"+backend, func(b *testing.B) {
				forceRootTree = backend == "root"
				defer func() { forceRootTree = false }()
				parent := b.TempDir()
				var rep *Report
				b.ResetTimer()
				for i := range b.N {
					b.StopTimer()
					dir := filepath.Join(parent, fmt.Sprint(i))
					if err := os.Mkdir(dir, 0o755); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					rep, err = NpmTarball(bytes.NewReader(a.tgz), dir, NpmOptions{Umask: 0o022})
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					os.RemoveAll(dir)
					b.StartTimer()
				}
				b.SetBytes(rep.Bytes)
				b.ReportMetric(float64(rep.Files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
			})
		}
	}
}

// syntheticPackage builds a deterministic package tarball: JavaScript-like
// text files whose sizes follow the long tail of real packages (most under
// 4 KB, a few of 100 KB and more).
func syntheticPackage(b *testing.B, files, dirs int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("const let function return export import default module require this value props children " +
		"createElement useState useEffect if else for while async await new class extends super null undefined true false")
	var out []goFile
	out = append(out, goReg("package/package.json", pkgJSON))
	for i := range files {
		size := 200 + int(rng.ExpFloat64()*2500)
		if i%500 == 0 {
			size = 100_000 + rng.IntN(400_000)
		}
		var body strings.Builder
		for body.Len() < size {
			body.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				body.WriteString(";\n")
			} else {
				body.WriteByte(' ')
			}
		}
		name := fmt.Sprintf("package/lib/d%03d/sub%d/file%05d.js", i%dirs, i%3, i)
		out = append(out, goFile{tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, body.String()})
	}
	return gz(b, goTar(b, tar.FormatPAX, out...))
}
