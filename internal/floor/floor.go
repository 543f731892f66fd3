// Package floor measures the floor under airlock's install times on this
// machine: the work no verified install of a lockfile can skip, timed
// alone, without the installer around it. It reads an airlock cache that a
// cold and a warm install of the lockfile filled (blobs/ and store/), and
// reports wall and CPU time for:
//
//   - SHA-512 of every cached archive (the integrity check of a cold install,
//     and of a warm one without the extracted store);
//   - inflating every archive (a cold install's decompression);
//   - creating and writing every file of the packages (a cold install's
//     extraction, without the inflating);
//   - linking every store file into an empty tree, and re-hashing every
//     linked file (open, fstat, read, SHA-256, close): a warm install from
//     the store, which airlock re-verifies on every placement.
//
// Each step runs on as many goroutines as an install has cores.
// internal/bench prints it after each project; docs/benchmarks.md compares
// these floors with bun's whole install.
package floor

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// Measure prints the floor of the lockfile whose installs filled cacheDir
// to w, building its scratch trees in workdir (which must be on the
// cache's file system for hard links). It returns ErrNoStore when the cache
// has no store entries yet (a single warm install builds them).
func Measure(w io.Writer, cacheDir, workdir string) error {
	workers := runtime.GOMAXPROCS(0)
	blobs, _, blobBytes, err := regularFiles(filepath.Join(cacheDir, "blobs", "sha512"), nil)
	if err != nil {
		return err
	}
	var dirs []string
	storeRoot := filepath.Join(cacheDir, "store", "v1")
	files, sizes, fileBytes, err := regularFiles(storeRoot, &dirs)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "cache %s: %d archives (%.1f MB); store: %d files (%.1f MB) in %d directories; %d workers\n\n",
		cacheDir, len(blobs), mb(blobBytes), len(files), mb(fileBytes), len(dirs), workers)
	fmt.Fprintf(w, "%-44s %10s %10s %12s\n", "step", "wall", "CPU", "rate (wall)")

	var inflated atomic.Int64
	steps := []struct {
		name  string
		bytes func() int64
		do    func() error
	}{
		{"read + SHA-512 of every archive", func() int64 { return blobBytes }, func() error {
			return each(workers, len(blobs), func(i int) error { return hashFile(blobs[i], sha512.New()) })
		}},
		{"read + inflate every archive", func() int64 { return inflated.Load() }, func() error {
			inflated.Store(0)
			return each(workers, len(blobs), func(i int) error {
				n, err := inflate(blobs[i])
				inflated.Add(n)
				return err
			})
		}},
	}
	for _, s := range steps {
		wall, cpu, err := timed(s.do)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		report(w, s.name, wall, cpu, s.bytes())
	}
	fmt.Fprintf(w, "  (inflated: %.1f MB of tar)\n", mb(inflated.Load()))

	tree, err := os.MkdirTemp(workdir, "floorbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tree)
	wall, cpu, err := timed(func() error {
		for _, d := range dirs {
			if err := os.Mkdir(filepath.Join(tree, d), 0o755); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	report(w, fmt.Sprintf("mkdir %d directories", len(dirs)), wall, cpu, 0)
	byDir := groupByDir(files, sizes)
	link := func(d dirFiles) error {
		src, err := unix.Open(filepath.Join(storeRoot, d.dir), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(src)
		dst, err := unix.Open(filepath.Join(tree, d.dir), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(dst)
		for _, name := range d.names {
			if err := unix.Linkat(src, name, dst, name, 0); err != nil {
				return fmt.Errorf("link %s/%s: %w", d.dir, name, err)
			}
		}
		return nil
	}
	wall, cpu, err = timed(func() error { return each(workers, len(byDir), func(i int) error { return link(byDir[i]) }) })
	if err != nil {
		return err
	}
	report(w, fmt.Sprintf("link %d files (linkat, per-directory fds)", len(files)), wall, cpu, 0)
	rehash := func(d dirFiles, read bool) error {
		dfd, err := unix.Open(filepath.Join(tree, d.dir), unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(dfd)
		buf := make([]byte, 128<<10)
		h := sha256.New()
		for _, name := range d.names {
			fd, err := unix.Openat(dfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				unix.Close(fd)
				return err
			}
			if read {
				h.Reset()
				for n := int64(0); n < st.Size; {
					m, err := unix.Read(fd, buf)
					if err != nil || m == 0 {
						break
					}
					h.Write(buf[:m])
					n += int64(m)
				}
				h.Sum(nil)
			}
			unix.Close(fd)
		}
		return nil
	}
	// What a cold install's extraction writes: every file created and
	// filled with its size in bytes (from memory: no reading or inflating
	// is counted).
	copyTree := tree + "-copy"
	defer os.RemoveAll(copyTree)
	zeros := make([]byte, 1<<20)
	create := func(d dirFiles) error {
		dst := filepath.Join(copyTree, d.dir)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		dfd, err := unix.Open(dst, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(dfd)
		for i, name := range d.names {
			fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
			if err != nil {
				return err
			}
			for left := d.sizes[i]; left > 0; {
				n, err := unix.Write(fd, zeros[:min(left, int64(len(zeros)))])
				if err != nil {
					unix.Close(fd)
					return err
				}
				left -= int64(n)
			}
			unix.Close(fd)
		}
		return nil
	}
	wall, cpu, err = timed(func() error { return each(workers, len(byDir), func(i int) error { return create(byDir[i]) }) })
	if err != nil {
		return err
	}
	report(w, "create + write every file (a cold install)", wall, cpu, fileBytes)
	wall, cpu, err = timed(func() error { return each(workers, len(byDir), func(i int) error { return rehash(byDir[i], false) }) })
	if err != nil {
		return err
	}
	report(w, "open + fstat + close every linked file", wall, cpu, 0)
	wall, cpu, err = timed(func() error { return each(workers, len(byDir), func(i int) error { return rehash(byDir[i], true) }) })
	if err != nil {
		return err
	}
	report(w, "re-hash every linked file (+ read, SHA-256)", wall, cpu, fileBytes)
	return nil
}

func mb(n int64) float64 { return float64(n) / 1e6 }

func report(w io.Writer, name string, wall, cpu time.Duration, bytes int64) {
	rate := ""
	if bytes > 0 && wall > 0 {
		rate = fmt.Sprintf("%.0f MB/s", mb(bytes)/wall.Seconds())
	}
	fmt.Fprintf(w, "%-44s %10s %10s %12s\n", name, wall.Round(time.Millisecond), cpu.Round(time.Millisecond), rate)
}

// regularFiles lists the regular files under root (relative paths, in
// lexical order), skipping store manifests, with their sizes and total; dirs, if set, receives
// every directory below root.
func regularFiles(root string, dirs *[]string) ([]string, []int64, int64, error) {
	var files []string
	var sizes []int64
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir() && rel != ".":
			if dirs != nil {
				*dirs = append(*dirs, rel)
			}
		case d.Type().IsRegular() && d.Name() != "manifest" && !strings.HasSuffix(d.Name(), ".lock"):
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
			sizes = append(sizes, info.Size())
			if dirs == nil {
				files = append(files, p)
			} else {
				files = append(files, rel)
			}
		}
		return nil
	})
	// WalkDir walks in lexical order: each directory's files are together.
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("%w under %s", ErrNoStore, root)
	}
	return files, sizes, total, err
}

// ErrNoStore says the cache holds no archives or store entries to measure.
var ErrNoStore = errors.New("no files: a cold and two warm airlock installs fill the cache and its store")

type dirFiles struct {
	dir   string
	names []string
	sizes []int64
}

func groupByDir(files []string, sizes []int64) []dirFiles {
	var out []dirFiles
	for i, f := range files {
		dir, name := filepath.Dir(f), filepath.Base(f)
		if len(out) == 0 || out[len(out)-1].dir != dir {
			out = append(out, dirFiles{dir: dir})
		}
		d := &out[len(out)-1]
		d.names = append(d.names, name)
		d.sizes = append(d.sizes, sizes[i])
	}
	return out
}

func hashFile(path string, h io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

func inflate(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return io.Copy(io.Discard, zr)
}

// each runs do(0..n-1), at most workers at a time, and returns the first
// error.
func each(workers, n int, do func(int) error) error {
	var g errgroup.Group
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error { return do(i) })
	}
	return g.Wait()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func timed(do func() error) (wall, cpu time.Duration, err error) {
	runtime.GC()
	t, c := time.Now(), cpuTime()
	err = do()
	return time.Since(t), cpuTime() - c, err
}
