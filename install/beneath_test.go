package install

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bothResolvers runs f with openat2 and with the component walk that
// replaces it on kernels without openat2.
func bothResolvers(t *testing.T, f func(t *testing.T)) {
	for _, walk := range []bool{false, true} {
		name := "openat2"
		if walk {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			old := forceWalk
			forceWalk = walk
			defer func() { forceWalk = old }()
			f(t)
		})
	}
}

// A repository can commit a symlink where a workspace is expected; a
// lockfile entry then makes "<ws>/node_modules" a target. No swap may ever
// happen through it, wherever it points, and then nothing changes at all.
func TestTargetThroughSymlinkRefused(t *testing.T) {
	cases := []struct {
		name   string
		target string
		// plant creates the symlink in project and returns the directory
		// whose node_modules must stay untouched.
		plant func(t *testing.T, project string) string
	}{
		{"symlink to outside", "ws/node_modules", func(t *testing.T, project string) string {
			outside := t.TempDir()
			must(t, os.Symlink(outside, filepath.Join(project, "ws")))
			return outside
		}},
		{"symlink to the parent", "ws/node_modules", func(t *testing.T, project string) string {
			must(t, os.Symlink("..", filepath.Join(project, "ws")))
			return filepath.Dir(project)
		}},
		{"symlinked grandparent", "a/b/node_modules", func(t *testing.T, project string) string {
			outside := t.TempDir()
			must(t, os.MkdirAll(filepath.Join(outside, "b"), 0o777))
			must(t, os.Symlink(outside, filepath.Join(project, "a")))
			return filepath.Join(outside, "b")
		}},
		{"symlink within the project", "ws/node_modules", func(t *testing.T, project string) string {
			must(t, os.Mkdir(filepath.Join(project, "real"), 0o777))
			must(t, os.Symlink("real", filepath.Join(project, "ws")))
			return filepath.Join(project, "real")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bothResolvers(t, func(t *testing.T) {
				project := filepath.Join(t.TempDir(), "proj")
				must(t, os.Mkdir(project, 0o777))
				writeTree(t, project, map[string]string{"node_modules/old/x": "old"})
				victim := tc.plant(t, project)
				writeTree(t, victim, map[string]string{"node_modules/keep/x": "not ours"})

				s, err := Begin(context.Background(), project, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Abort()
				for _, target := range []string{"node_modules", tc.target} {
					d, err := s.Dir(target)
					if err != nil {
						t.Fatal(err)
					}
					writeTree(t, d, map[string]string{"evil/x": "attacker's"})
				}
				_, err = s.Commit()
				if !errors.Is(err, ErrSymlinkInPath) {
					t.Fatalf("Commit = %v, want ErrSymlinkInPath", err)
				}
				link := strings.SplitN(tc.target, "/", 2)[0]
				if !strings.Contains(err.Error(), link+" is a symlink") {
					t.Errorf("error %q does not name the symlink %s", err, link)
				}
				equalTrees(t, readTree(t, filepath.Join(victim, "node_modules")), map[string]string{"keep/x": "not ours"})
				equalTrees(t, readTree(t, filepath.Join(project, "node_modules")), map[string]string{"old/x": "old"})
			})
		})
	}
}

func TestLstatNeverFollows(t *testing.T) {
	bothResolvers(t, func(t *testing.T) {
		project, outside := t.TempDir(), t.TempDir()
		writeTree(t, outside, map[string]string{"node_modules/x": "x"})
		writeTree(t, project, map[string]string{"real/node_modules/x": "x", "file": "f"})
		must(t, os.Symlink(outside, filepath.Join(project, "ws")))
		s, err := Begin(context.Background(), project, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Abort()

		if fi, err := s.Lstat("ws"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("Lstat(ws) = %v, %v; want the symlink itself", fi, err)
		}
		if fi, err := s.Lstat("real/node_modules"); err != nil || !fi.IsDir() {
			t.Errorf("Lstat(real/node_modules) = %v, %v; want a directory", fi, err)
		}
		if _, err := s.Lstat("ws/node_modules"); !errors.Is(err, ErrSymlinkInPath) {
			t.Errorf("Lstat(ws/node_modules) = %v, want ErrSymlinkInPath", err)
		}
		if _, err := s.Lstat("real/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(real/missing) = %v, want fs.ErrNotExist", err)
		}
		if _, err := s.Lstat("file/x"); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lstat(file/x) = %v, want a not-a-directory error", err)
		}
		for _, bad := range []string{"", ".", "..", "../x", "/etc", "a/../b", "a//b"} {
			if _, err := s.Lstat(bad); !errors.Is(err, ErrBadTarget) {
				t.Errorf("Lstat(%q) = %v, want ErrBadTarget", bad, err)
			}
		}
	})
}
