package main

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// shape is one distribution's size, from shapes.go.
type shape struct {
	name, version string
	files         int   // outside .dist-info
	bytes         int64 // their total size
	soBytes       int64 // of which in extension modules
	scripts       int   // console scripts
	medium        bool
}

// filesPerDir is how many modules a generated package directory holds
// before the next one is started (real packages keep 5 to 30).
const filesPerDir = 12

// synthWheel generates the wheel of s: a package synth_<name> whose
// modules add up to s's file count and size, its extension modules
// pseudo-binary and the rest pseudo-Python source, which deflate
// compresses about as well as real code (3x). Equal shapes give equal
// bytes. A shape with extension modules gets a py3-none-manylinux tag for
// this machine's CPU, so that it lands in platlib like a binary wheel.
func synthWheel(s shape) (filename string, data []byte, err error) {
	h := fnv.New64a()
	h.Write([]byte(s.name + "==" + s.version))
	rng := rand.New(rand.NewPCG(h.Sum64(), 1))
	module := "synth_" + strings.ToLower(strings.NewReplacer("-", "_", ".", "_").Replace(s.name))

	nSo := 0
	if s.soBytes > 0 {
		nSo = min(int(1+s.soBytes/(4<<20)), max(s.files, 1))
	}
	nText := max(s.files-nSo, 0)
	files := map[string]string{}
	for i, size := range split(rng, s.soBytes, nSo) {
		files[fmt.Sprintf("%s/_ext%d.abi3.so", module, i)] = pick(rng, binaryCorpus(), size)
	}
	for i, size := range split(rng, s.bytes-s.soBytes, nText) {
		files[modulePath(module, i)] = pick(rng, textCorpus(), size)
	}
	scripts := map[string]string{}
	for i := range s.scripts {
		scripts[fmt.Sprintf("synth-%s-%d", strings.ReplaceAll(module[len("synth_"):], "_", "-"), i)] = module + ":main"
	}
	spec := testregistry.WheelSpec{Name: "synth-" + s.name, Version: s.version, Files: files, ConsoleScripts: scripts}
	if nSo > 0 {
		spec.Tag = "py3-none-" + platformTag()
	}
	return testregistry.MakeWheel(spec)
}

// modulePath names the i-th text file: __init__.py first in each
// directory, directories filled filesPerDir at a time and nested two deep
// (synth_x/p0, synth_x/p0/s1, ...) as real packages are.
func modulePath(module string, i int) string {
	d, k := i/filesPerDir, i%filesPerDir
	dir := module
	if d > 0 {
		dir = fmt.Sprintf("%s/p%d", module, (d-1)/8)
		if (d-1)%8 > 0 {
			dir += fmt.Sprintf("/s%d", (d-1)%8)
		}
	}
	if k == 0 {
		return dir + "/__init__.py"
	}
	return fmt.Sprintf("%s/m%02d.py", dir, k)
}

// split divides total into n sizes drawn from a log-normal distribution
// (most modules small, a few large, as in real packages), each at least 1.
func split(rng *rand.Rand, total int64, n int) []int64 {
	if n == 0 {
		return nil
	}
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = math.Exp(1.2 * rng.NormFloat64())
		sum += w[i]
	}
	sizes := make([]int64, n)
	var used int64
	for i := range sizes {
		sizes[i] = max(1, int64(float64(total)*w[i]/sum))
		used += sizes[i]
	}
	sizes[0] = max(1, sizes[0]+total-used) // exact total
	return sizes
}

// pick returns size bytes of corpus from a random offset, wrapping round.
func pick(rng *rand.Rand, corpus string, size int64) string {
	var b strings.Builder
	b.Grow(int(size))
	off := rng.IntN(len(corpus))
	for int64(b.Len()) < size {
		chunk := corpus[off:]
		if rest := size - int64(b.Len()); int64(len(chunk)) > rest {
			chunk = chunk[:rest]
		}
		b.WriteString(chunk)
		off = 0
	}
	return b.String()
}

// corpusSize is more than deflate's 32 KiB window needs to find no repeats
// within a file, and cheap to generate.
const corpusSize = 1 << 20

var (
	textOnce, binOnce sync.Once
	text, bin         string
)

// textCorpus is pseudo-Python: indented lines of keywords, identifiers
// made of common syllables, literals and punctuation, with Zipf-like word
// frequencies.
func textCorpus() string {
	textOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		syll := []string{"get", "set", "data", "name", "value", "item", "key", "node", "path", "file", "read", "write", "config", "error", "type", "list", "dict", "parse", "load", "dump", "request", "response", "client", "session", "handler", "result", "index", "buffer", "token", "schema", "field", "model", "cache", "stream", "_", "s", "x", "id"}
		words := []string{"def", "return", "if", "else:", "for", "in", "import", "from", "class", "self", "None", "True", "False", "not", "and", "or", "raise", "try:", "except", "with", "as", "=", "==", "(", ")", ":", ",", ".", "[", "]", "+", "0", "1", "\"\"\"", "#"}
		for len(words) < 600 {
			w := syll[rng.IntN(len(syll))]
			for range rng.IntN(3) {
				w += "_" + syll[rng.IntN(len(syll))]
			}
			words = append(words, w)
		}
		var b strings.Builder
		b.Grow(corpusSize + 200)
		for b.Len() < corpusSize {
			b.WriteString(strings.Repeat("    ", rng.IntN(4)))
			for n := 2 + rng.IntN(9); n > 0; n-- {
				// Squaring a uniform draw favours the first words.
				f := rng.Float64()
				b.WriteString(words[int(f*f*float64(len(words)))])
				if n > 1 {
					b.WriteByte(' ')
				}
			}
			if rng.IntN(5) == 0 {
				fmt.Fprintf(&b, "  # %x", rng.Uint32())
			}
			b.WriteByte('\n')
		}
		text = b.String()
	})
	return text
}

// binaryCorpus is like machine code and its tables: random bytes with runs
// of zeros and of repeated short patterns (deflate: about 2x).
func binaryCorpus() string {
	binOnce.Do(func() {
		rng := rand.New(rand.NewPCG(3, 4))
		b := make([]byte, 0, corpusSize+4096)
		for len(b) < corpusSize {
			n := 16 + rng.IntN(512)
			switch rng.IntN(3) {
			case 0:
				for range n {
					b = append(b, byte(rng.Uint32()))
				}
			case 1:
				b = append(b, make([]byte, n)...)
			default:
				pat := []byte{byte(rng.Uint32()), byte(rng.Uint32()), 0, 0}
				for range n / 4 {
					b = append(b, pat...)
				}
			}
		}
		bin = string(b[:corpusSize])
	})
	return bin
}

// platformTag is the manylinux platform tag of this machine's CPU.
func platformTag() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "ppc64le": "ppc64le", "s390x": "s390x"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return "manylinux_2_17_" + arch
}

// synthSet generates the wheels of shapes in parallel.
func synthSet(list []shape) ([]wheelFile, error) {
	out := make([]wheelFile, len(list))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, s := range list {
		g.Go(func() error {
			filename, data, err := synthWheel(s)
			if err != nil {
				return fmt.Errorf("generating %s: %w", s.name, err)
			}
			out[i] = wheelFile{project: "synth-" + s.name, version: s.version, filename: filename, data: data, synthetic: true}
			return nil
		})
	}
	return out, g.Wait()
}
