package install

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestMover(t *testing.T) {
	s, err := Begin(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	root := s.Root()
	for _, d := range []string{"scratch/1", "scratch/2", "scratch/3", "nm/a/nm", "elsewhere"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mv := s.NewMover()
	defer mv.Close()
	if err := mv.Rename("scratch/1", "nm/b"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "nm/b")); err != nil {
		t.Fatalf("moved directory missing: %v", err)
	}
	// nm/a/nm is opened for this move; nm/a is then replaced, and a move
	// into nm/a/nm must land in the new nm/a, not the removed one.
	if err := mv.Rename("scratch/2", "nm/a/nm/c"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "nm/a")); err != nil {
		t.Fatal(err)
	}
	mv.Forget("nm/a")
	if err := os.MkdirAll(filepath.Join(root, "nm/a/nm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := mv.Rename("scratch/3", "nm/a/nm/d"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "nm/a/nm/d")); err != nil {
		t.Fatalf("after Forget, the move went elsewhere: %v", err)
	}
	// A symlink on the way is refused, not followed out of the root.
	if err := os.Symlink(filepath.Join(root, "elsewhere"), filepath.Join(root, "nm/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "scratch/4"), 0o755); err != nil {
		t.Fatal(err)
	}
	err = mv.Rename("scratch/4", "nm/link/e")
	if !errors.Is(err, unix.ELOOP) {
		t.Errorf("rename through a symlink: %v, want ELOOP", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "elsewhere/e")); err == nil {
		t.Error("the rename followed the symlink")
	}
}
