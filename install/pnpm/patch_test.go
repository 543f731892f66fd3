package pnpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestApplyPatch checks the applier on small packages: what pnpm's
// applier would write, and what airlock refuses (fuzz, escapes, symlinks,
// binary patches, bad counts).
func TestApplyPatch(t *testing.T) {
	const file = "a\nb\nc\n"
	for _, tc := range []struct {
		name    string
		patch   string
		want    map[string]string // path → content after ("" for removed)
		wantErr string
	}{
		{
			name:  "change",
			patch: "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
			want:  map[string]string{"f.js": "a\nB\nc\n"},
		},
		{
			name:  "no newline at end",
			patch: "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -2,2 +2,2 @@\n b\n-c\n+C\n\\ No newline at end of file\n",
			want:  map[string]string{"f.js": "a\nb\nC"},
		},
		{
			name:  "new and deleted",
			patch: "diff --git a/f.js b/f.js\ndeleted file mode 100644\n--- a/f.js\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-a\n-b\n-c\ndiff --git a/d/n.js b/d/n.js\nnew file mode 100755\n--- /dev/null\n+++ b/d/n.js\n@@ -0,0 +1,2 @@\n+x\n+y\n",
			want:  map[string]string{"f.js": "", "d/n.js": "x\ny\n"},
		},
		{
			name:    "needs fuzz",
			patch:   "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -2,2 +2,2 @@\n a\n-b\n+B\n",
			wantErr: "does not match line 2 exactly",
		},
		{
			name:    "trailing space differs",
			patch:   "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -1,2 +1,2 @@\n a \n-b\n+B\n",
			wantErr: "does not match",
		},
		{
			name:    "escapes",
			patch:   "diff --git a/../x.js b/../x.js\nnew file mode 100644\n--- /dev/null\n+++ b/../x.js\n@@ -0,0 +1 @@\n+x\n",
			wantErr: "leaves the package",
		},
		{
			name:    "absolute",
			patch:   "diff --git a//etc/x b//etc/x\nnew file mode 100644\n@@ -0,0 +1 @@\n+x\n",
			wantErr: "leaves the package",
		},
		{
			name:    "symlink",
			patch:   "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n",
			wantErr: "regular files only",
		},
		{
			name:    "binary",
			patch:   "diff --git a/f.js b/f.js\nindex 1..2 100644\nGIT binary patch\nliteral 3\nKcmZ>\n",
			wantErr: "binary patch",
		},
		{
			name:    "counts",
			patch:   "diff --git a/f.js b/f.js\n--- a/f.js\n+++ b/f.js\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n",
			wantErr: "line counts",
		},
		{
			name:    "new file exists",
			patch:   "diff --git a/f.js b/f.js\nnew file mode 100644\n--- /dev/null\n+++ b/f.js\n@@ -0,0 +1 @@\n+x\n",
			wantErr: "already exists",
		},
		{
			name:    "through a symlink",
			patch:   "diff --git a/link/f.js b/link/f.js\n--- a/link/f.js\n+++ b/link/f.js\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n",
			wantErr: "",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outside := t.TempDir()
			os.WriteFile(filepath.Join(outside, "f.js"), []byte(file), 0o644)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f.js"), []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Symlink(outside, filepath.Join(dir, "link"))
			err := applyPatch(dir, tc.patch, 0o022)
			if tc.name == "through a symlink" {
				// os.Root refuses to follow the link out of dir.
				if err == nil {
					t.Fatal("patched a file through a symlink leaving the package")
				}
				if b, _ := os.ReadFile(filepath.Join(outside, "f.js")); string(b) != file {
					t.Errorf("the file outside was changed: %q", b)
				}
				return
			}
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrPatch) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("applyPatch = %v, want ErrPatch with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for p, want := range tc.want {
				b, err := os.ReadFile(filepath.Join(dir, p))
				if want == "" {
					if err == nil {
						t.Errorf("%s still exists", p)
					}
					continue
				}
				if err != nil || string(b) != want {
					t.Errorf("%s = %q (%v), want %q", p, b, err, want)
				}
			}
			if fi, err := os.Stat(filepath.Join(dir, "d/n.js")); err == nil && fi.Mode().Perm() != 0o755 {
				t.Errorf("new file mode %v, want 0755", fi.Mode().Perm())
			}
		})
	}
}

// TestApplyPatchKeepsHardLinks: a patched file that is a hard link (a
// shared store's copy) is replaced, so the other link keeps its bytes.
func TestApplyPatchKeepsHardLinks(t *testing.T) {
	store, dir := t.TempDir(), t.TempDir()
	orig := filepath.Join(store, "f.js")
	if err := os.WriteFile(orig, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(orig, filepath.Join(dir, "f.js")); err != nil {
		t.Skip(err)
	}
	patch := "diff --git a/f.js b/f.js\nold mode 100644\nnew mode 100755\n--- a/f.js\n+++ b/f.js\n@@ -1,2 +1,2 @@\n a\n-b\n+B\n"
	if err := applyPatch(dir, patch, 0o022); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(orig); string(b) != "a\nb\n" {
		t.Errorf("the store's copy changed: %q", b)
	}
	if fi, _ := os.Stat(orig); fi.Mode().Perm() != 0o644 {
		t.Errorf("the store's copy's mode changed: %v", fi.Mode())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "f.js"))
	fi, _ := os.Stat(filepath.Join(dir, "f.js"))
	if string(b) != "a\nB\n" || fi.Mode().Perm() != 0o755 {
		t.Errorf("patched file %q mode %v", b, fi.Mode())
	}
}
