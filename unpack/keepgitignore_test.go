package unpack

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestKeepGitignore extracts the modes fixture (a .gitignore at the root,
// one beside an earlier .npmignore, one before a later .npmignore) with
// pacote's rename and with KeepGitignore, pnpm's behaviour: every file
// keeps its name and content.
func TestKeepGitignore(t *testing.T) {
	tgz := filepath.Join("..", "internal", "testregistry", "tarballs", "airlock-fixture-modes-1.0.0.tgz")
	list := func(keep bool) string {
		f, err := os.Open(tgz)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		dir := t.TempDir()
		if _, err := NpmTarball(f, dir, NpmOptions{KeepGitignore: keep}); err != nil {
			t.Fatal(err)
		}
		var out []string
		_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() && strings.Contains(d.Name(), "ignore") {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(dir, p)
				out = append(out, filepath.ToSlash(rel)+"="+strings.TrimSpace(string(b)))
			}
			return nil
		})
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	npm, pnpm := list(false), list(true)
	if strings.Contains(npm, ".gitignore=") {
		t.Errorf("pacote's rule kept a .gitignore:\n%s", npm)
	}
	for _, want := range []string{".gitignore=", "sub/.gitignore=", "sub/.npmignore=", "late/.gitignore=", "late/.npmignore="} {
		found := false
		for _, l := range strings.Split(pnpm, "\n") {
			if strings.HasPrefix(l, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("KeepGitignore: no %s in\n%s", want, pnpm)
		}
	}
}
