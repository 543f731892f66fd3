package pnpm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzApplyPatch: a patchedDependencies patch comes from the repository
// (a pull request can change it) and the file it changes from the
// registry. Applying any patch to any file must not panic, and must
// leave everything outside the package's directory alone.
func FuzzApplyPatch(f *testing.F) {
	for _, p := range []string{"patched", "patched9"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", p, "patches", "is-odd@3.0.1.patch"))
		if err != nil {
			f.Fatal(err)
		}
		// The fixture's index.js hunks, retargeted at f.js.
		f.Add("/*!\n * is-odd\n *\nx\n", strings.ReplaceAll(string(data), "index.js", "f.js"))
	}
	f.Add("a\nb\nc\n", "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n\\ No newline at end of file\n")
	f.Add("a\nb\nc", "diff --git a/f.js b/f.js\n@@ -1,1 +1,1 @@\n-a\n+A\n@@ -3,1 +3,2 @@\n-c\n\\ No newline at end of file\n+C\n+D\n")
	f.Add("a\nb\n", "diff --git a/f.js b/g.js\nrename from f.js\nrename to d/g.js\ndiff --git a/n b/n\nnew file mode 100755\n@@ -0,0 +1 @@\n+x\n")
	f.Fuzz(func(t *testing.T, file, patch string) {
		top := t.TempDir()
		dir := filepath.Join(top, "pkg")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "f.js"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(top, "f.js"), []byte(file), 0o644); err != nil {
			t.Fatal(err)
		}
		_ = applyPatch(dir, patch, 0o022)
		entries, err := os.ReadDir(top)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("the patch wrote beside the package: %v", entries)
		}
		if b, err := os.ReadFile(filepath.Join(top, "f.js")); err != nil || string(b) != file {
			t.Fatalf("the file beside the package changed: %q %v", b, err)
		}
	})
}

// TestPatchHunkOrder: hunks that overlap or go back are refused (they
// indexed out of range).
func TestPatchHunkOrder(t *testing.T) {
	for _, p := range []string{
		"diff --git a/f.js b/f.js\n@@ -3,2 +3,0 @@\n-c\n-d\n@@ -1,1 +1,0 @@\n-a\n",
		"diff --git a/f.js b/f.js\n@@ -1,3 +1,0 @@\n-a\n-b\n-c\n@@ -2,3 +2,0 @@\n-b\n-c\n-d\n",
		"diff --git a/f.js b/f.js\n@@ -2,1 +2,1 @@\n-b\n+B\n@@ -2,1 +2,1 @@\n-b\n+B\n",
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.js"), []byte("a\nb\nc\nd\ne\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := applyPatch(dir, p, 0o022); !errors.Is(err, ErrPatch) || !strings.Contains(err.Error(), "overlaps or precedes") {
			t.Errorf("%q: err = %v", p, err)
		}
	}
}

// spliceReference is patch-package's way of applying the modifications:
// splicing each into the array in turn.
func spliceReference(lines []string, hunks []hunk) []string {
	lines = append([]string{}, lines...)
	offset := 0
	for _, h := range hunks {
		at := h.origStart - 1
		for _, p := range h.parts {
			switch p.kind {
			case ' ':
				at += len(p.lines)
			case '-':
				i := at + offset
				lines = append(lines[:i], lines[i+len(p.lines):]...)
				offset -= len(p.lines)
				at += len(p.lines)
				if p.noNewline {
					lines = append(lines, "")
				}
			case '+':
				i := at + offset
				lines = append(lines[:i], append(append([]string{}, p.lines...), lines[i:]...)...)
				offset += len(p.lines)
				if p.noNewline {
					lines = lines[:len(lines)-1]
				}
			}
		}
	}
	return lines
}

// TestPatchLinear: random patches of ordered hunks give what splicing
// gives, and a patch of 100,000 hunks on a file of 300,000 lines applies
// at once (splicing took the file's length per hunk).
func TestPatchLinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		n := 1 + rng.IntN(30)
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprint("l", i)
		}
		endsNL := rng.IntN(2) == 0
		if endsNL {
			lines = append(lines, "")
		}
		count := len(lines)
		if endsNL {
			count--
		}
		var patch strings.Builder
		patch.WriteString("diff --git a/f.js b/f.js\n")
		var hunks []hunk
		for at := rng.IntN(3); at < count; at += 1 + rng.IntN(4) {
			del := rng.IntN(min(3, count-at) + 1)
			add := rng.IntN(3)
			last := at+del == count && !endsNL
			h := hunk{origStart: at + 1, origLen: del, newLen: add}
			if del == 0 && add == 0 {
				continue
			}
			fmt.Fprintf(&patch, "@@ -%d,%d +1,%d @@\n", at+1, del, add)
			if del > 0 {
				h.parts = append(h.parts, hunkPart{kind: '-', lines: lines[at : at+del], noNewline: last})
				for _, l := range lines[at : at+del] {
					patch.WriteString("-" + l + "\n")
				}
				if last {
					patch.WriteString("\\ No newline at end of file\n")
				}
			}
			if add > 0 {
				var ins []string
				for k := 0; k < add; k++ {
					ins = append(ins, fmt.Sprint("n", at, k))
					patch.WriteString("+" + ins[k] + "\n")
				}
				h.parts = append(h.parts, hunkPart{kind: '+', lines: ins})
			}
			hunks = append(hunks, h)
			at += del
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "f.js"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := applyPatch(dir, patch.String(), 0o022); err != nil {
			t.Fatalf("%v\n%s", err, patch.String())
		}
		got, _ := os.ReadFile(filepath.Join(dir, "f.js"))
		if want := strings.Join(spliceReference(lines, hunks), "\n"); string(got) != want {
			t.Fatalf("patched file %q, splicing gives %q\n%s", got, want, patch.String())
		}
	}

	var file, patch strings.Builder
	for i := 0; i < 300000; i++ {
		fmt.Fprintf(&file, "line %d\n", i)
	}
	patch.WriteString("diff --git a/f.js b/f.js\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&patch, "@@ -%d,1 +%d,1 @@\n-line %d\n+LINE %d\n", 3*i+1, 3*i+1, 3*i, 3*i)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.js"), []byte(file.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := applyPatch(dir, patch.String(), 0o022); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("100,000 hunks took %v", d)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "f.js")); !strings.HasPrefix(string(got), "LINE 0\nline 1\nline 2\nLINE 3\n") {
		t.Errorf("patched file starts %q", got[:40])
	}
}
