package pnpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPatchedDependencies reads the lockfile real pnpm 10.34.9 wrote for
// testdata/pnpm/patched: the patch's hash is the file's, the snapshot
// names it, and its directory carries it as pnpm's does.
func TestPatchedDependencies(t *testing.T) {
	lf := readFixture(t, "patched")
	const hash = "d53d20bbdce14d9d62074af8f2d7ba8bd229318ceaeb507c87a14485e3eda1cb"
	p, ok := lf.Patches[hash]
	if !ok || p.Key != "is-odd@3.0.1" || p.Path != "patches/is-odd@3.0.1.patch" {
		t.Fatalf("Patches = %+v", lf.Patches)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", "patched", p.Path))
	if err != nil {
		t.Fatal(err)
	}
	if got := PatchHash(data, hash); got != hash {
		t.Errorf("PatchHash = %s, want %s", got, hash)
	}
	// CRLF line ends hash as LF (pnpm's readNormalizedFile).
	if got := PatchHash([]byte(strings.ReplaceAll(string(data), "\n", "\r\n")), hash); got != hash {
		t.Errorf("PatchHash of the CRLF file = %s", got)
	}
	// pnpm 9.15.9 recorded the same file as base32 MD5 (patched9).
	if got := PatchHash(data, "ccmfmhqs5o7lad54itlkchfdm4"); got != "ccmfmhqs5o7lad54itlkchfdm4" {
		t.Errorf("pnpm 9 PatchHash = %s", got)
	}
	sel, err := lf.Select(Options{Platform: linux})
	if err != nil {
		t.Fatal(err)
	}
	n := sel.Nodes["is-odd@3.0.1(patch_hash="+hash+")"]
	if n == nil || n.Entry.PatchHash != hash || n.Dir != "node_modules/.pnpm/is-odd@3.0.1_patch_hash="+hash+"/node_modules/is-odd" {
		t.Errorf("patched node = %+v", n)
	}

	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", "patched", "pnpm-lock.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		want           error
	}{
		{"unknown hash", "    hash: " + hash, "    hash: " + strings.Repeat("0", 64), ErrMissingEntry},
		{"path escapes", "path: patches/is-odd@3.0.1.patch", "path: ../outside.patch", ErrUnsafePath},
		{"absolute path", "path: patches/is-odd@3.0.1.patch", "path: /etc/passwd", ErrUnsafePath},
		{"path in node_modules", "path: patches/is-odd@3.0.1.patch", "path: node_modules/x.patch", ErrUnsafePath},
		{"short hash", hash, "0123456789abcdef", ErrUnsupportedSource},
	} {
		_, err := Parse([]byte(strings.ReplaceAll(string(src), tc.old, tc.new)))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Parse = %v, want %v", tc.name, err, tc.want)
		}
	}
}
