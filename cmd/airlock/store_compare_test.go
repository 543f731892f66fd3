package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/airlock-dev/airlock/internal/npmref"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/treecmp"
)

// TestStoreIdenticalToNpmCI is TestIdenticalToNpmCI for trees laid out from
// the extracted store: the first install downloads, the second builds the
// store entries from the cached archives, the third places every package
// from the store (hard links, copies for bin targets and packages with
// install scripts), and a fourth with store = "copy". Every tree must match
// npm ci's file for file, modes included.
func TestStoreIdenticalToNpmCI(t *testing.T) {
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not on PATH; the comparison needs the real npm")
	}
	reg := testregistry.New(t)
	for _, tc := range []struct {
		project string
		opts    treecmp.Options
		// copied: every package has install scripts, so nothing is linked.
		copied bool
	}{
		{project: "basic"},
		{project: "bundled"},
		{project: "scripts", copied: true},
		{project: "layout"},
		{project: "workspaces", opts: treecmp.Options{Roots: []string{"node_modules", "packages"}}},
	} {
		t.Run(tc.project, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join(projectsDir, tc.project)
			want := npmref.CI(t, src, reg)
			got := npmref.Stage(t, src, reg).Dir
			home := t.TempDir()
			env := []string{"HOME=" + home, "AIRLOCK_CACHE=" + filepath.Join(home, "cache"), "XDG_STATE_HOME=" + filepath.Join(home, "state")}
			for i, store := range []string{"link", "link", "link", "copy"} {
				cmd := airlockCmd(t, got, "npm", "ci")
				cmd.Env = append(cmd.Env, append(env, "AIRLOCK_STORE="+store)...)
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("install %d (store %s): %v\n%s", i+1, store, err, out)
				}
				linked := countLinked(t, got)
				switch {
				case i == 2 && !tc.copied && linked == 0:
					t.Errorf("install 3: no file is hard-linked from the store")
				case (i == 3 || tc.copied) && linked != 0:
					t.Errorf("install %d (store %s): %d files share an inode", i+1, store, linked)
				}
				diffs, err := treecmp.Compare(want, got, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(diffs) > 0 {
					t.Errorf("install %d (store %s): airlock's tree differs from npm ci's (want = npm, got = airlock):\n%s", i+1, store, treecmp.Report(diffs))
				}
			}
			assertNoScriptsRan(t, got)
		})
	}
}

// countLinked counts the regular files under dir/node_modules with more
// than one link.
func countLinked(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	_ = filepath.WalkDir(filepath.Join(dir, "node_modules"), func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err == nil && fi.Sys().(*syscall.Stat_t).Nlink > 1 {
			n++
		}
		return nil
	})
	return n
}
