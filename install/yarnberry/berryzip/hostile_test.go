package berryzip

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tgzOf writes a gzipped tar of the headers (regular files get
// data bytes each).
func tgzOf(t *testing.T, n int, header func(i int) *tar.Header, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for i := 0; i < n; i++ {
		h := header(i)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(data)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	gz.Close()
	return buf.Bytes()
}

// TestHostileTarballs: what a package's author controls cannot make the
// rebuild slow or unbounded.
func TestHostileTarballs(t *testing.T) {
	t.Run("deep path", func(t *testing.T) {
		// Creating each level's directory cost the path's length: this
		// 160 kB pax name took half a minute, a 1 MB one an hour.
		tgz := tgzOf(t, 1, func(int) *tar.Header {
			return &tar.Header{Name: "package/" + strings.Repeat("a/", 80000) + "f", Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}
		}, []byte("x"))
		start := time.Now()
		if _, err := Convert(bytes.NewReader(tgz), "p", Limits{}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "longer than 4096 bytes") {
			t.Errorf("err = %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		// Just under the bound is fine.
		name := "package/" + strings.Repeat("a/", (MaxPathLength-len("node_modules/p/")-1)/2) + "f"
		tgz = tgzOf(t, 1, func(int) *tar.Header {
			return &tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}
		}, []byte("x"))
		if _, err := Convert(bytes.NewReader(tgz), "p", Limits{}); err != nil {
			t.Errorf("a path of %d bytes: %v", len(name), err)
		}
	})
	t.Run("65k entries", func(t *testing.T) {
		// 65,000 files in 100 directories: 65,102 zip entries with
		// node_modules/ and node_modules/p/, which a plain zip holds.
		tgz := tgzOf(t, 65000, func(i int) *tar.Header {
			return &tar.Header{Name: fmt.Sprintf("package/d%d/f%d", i%100, i), Typeflag: tar.TypeReg, Mode: 0o644}
		}, []byte("x"))
		a, err := Convert(bytes.NewReader(tgz), "p", Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := a.WriteTo(&out); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil || len(zr.File) != 65102 {
			t.Fatalf("read back: %v", err)
		}
		// 436 more files pass 65,535 entries.
		tgz = tgzOf(t, 65436, func(i int) *tar.Header {
			return &tar.Header{Name: fmt.Sprintf("package/d%d/f%d", i%100, i), Typeflag: tar.TypeReg, Mode: 0o644}
		}, []byte("x"))
		if _, err := Convert(bytes.NewReader(tgz), "p", Limits{}); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 65535 entries") {
			t.Errorf("65,538 entries: err = %v", err)
		}
	})
	t.Run("header bomb", func(t *testing.T) {
		// Entries that add nothing to the zip (the tarball's top
		// directory, "..", a file written again) cost no zip entries;
		// the decompressed stream is bounded instead. 300 pax headers of
		// 1 MB each gzip to a few hundred kB.
		tgz := tgzOf(t, 300, func(int) *tar.Header {
			return &tar.Header{Name: "package/f", Typeflag: tar.TypeReg, Mode: 0o644, PAXRecords: map[string]string{"comment": strings.Repeat("x", 1<<20-64)}}
		}, nil)
		_, err := Convert(bytes.NewReader(tgz), "p", Limits{MaxBytes: 1 << 20})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompress") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("ratio bomb", func(t *testing.T) {
		// 200 MiB of zeros gzip to about 200 kB: under MaxBytes, but the
		// whole package would be held in memory. Refused past
		// unpack.RatioGrace, as node-tar and unpack refuse it.
		zeros := make([]byte, 200<<20)
		var buf bytes.Buffer
		gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(gz)
		tw.WriteHeader(&tar.Header{Name: "package/zeros", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(zeros))})
		tw.Write(zeros)
		tw.Close()
		gz.Close()
		_, err := Convert(bytes.NewReader(buf.Bytes()), "p", Limits{})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "decompression bomb") {
			t.Errorf("err = %v", err)
		}
		// A small package of zeros stays within the grace and converts.
		tgz := tgzOf(t, 1, func(int) *tar.Header {
			return &tar.Header{Name: "package/zeros", Typeflag: tar.TypeReg, Mode: 0o644}
		}, zeros[:4<<20])
		if _, err := Convert(bytes.NewReader(tgz), "p", Limits{}); err != nil {
			t.Errorf("4 MiB of zeros: %v", err)
		}
	})
}
