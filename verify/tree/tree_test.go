package tree

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// build makes a tree from a spec: "path" -> "content" (file), "path*" ->
// executable, "path@" -> symlink to content, "path/" -> directory.
func build(t *testing.T, spec map[string]string) string {
	t.Helper()
	base := t.TempDir()
	for p, v := range spec {
		switch {
		case strings.HasSuffix(p, "/"):
			must(t, os.MkdirAll(filepath.Join(base, p), 0o755))
		case strings.HasSuffix(p, "@"):
			full := filepath.Join(base, strings.TrimSuffix(p, "@"))
			must(t, os.MkdirAll(filepath.Dir(full), 0o755))
			must(t, os.Symlink(v, full))
		default:
			mode := os.FileMode(0o644)
			if strings.HasSuffix(p, "*") {
				p, mode = strings.TrimSuffix(p, "*"), 0o755
			}
			full := filepath.Join(base, p)
			must(t, os.MkdirAll(filepath.Dir(full), 0o755))
			must(t, os.WriteFile(full, []byte(v), mode))
			must(t, os.Chmod(full, mode))
		}
	}
	return base
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func scan(t *testing.T, base string, roots ...string) *Manifest {
	t.Helper()
	m, err := Scan(base, roots, 4)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestManifestFormat(t *testing.T) {
	base := build(t, map[string]string{
		"node_modules/a/index.js":   "hi",
		"node_modules/a/cli.js*":    "#!/usr/bin/env node",
		"node_modules/.bin/a@":      "../a/cli.js",
		"node_modules/b/has space":  "",
		"node_modules/b/100%.txt":   "x",
		"node_modules/empty/":       "",
		"outside/not-in-the-tree":   "x",
		"node_modules/a/lib/x.json": "{}",
	})
	var buf bytes.Buffer
	m := scan(t, base, "node_modules")
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	sum := func(s string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(s))) }
	want := strings.Join([]string{
		"d - node_modules",
		"d - node_modules/.bin",
		"l " + sum("../a/cli.js") + " node_modules/.bin/a",
		"d - node_modules/a",
		"x " + sum("#!/usr/bin/env node") + " node_modules/a/cli.js",
		"f " + sum("hi") + " node_modules/a/index.js",
		"d - node_modules/a/lib",
		"f " + sum("{}") + " node_modules/a/lib/x.json",
		"d - node_modules/b",
		"f " + sum("x") + " node_modules/b/100%25.txt",
		"f " + sum("") + " node_modules/b/has%20space",
		"d - node_modules/empty",
	}, "\n") + "\n"
	if buf.String() != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", buf.String(), want)
	}
	h := sha256.Sum256([]byte(want))
	if got, want := m.Digest(), fmt.Sprintf("airlock-tree-v1:sha256:%x", h); got != want {
		t.Errorf("Digest() = %s, want %s", got, want)
	}
}

// The digest must not depend on the umask, timestamps, or where the tree
// lives, and must change with any content, mode or link change.
func TestDigestStableAndSensitive(t *testing.T) {
	spec := map[string]string{
		"node_modules/a/index.js": "hi",
		"node_modules/a/cli.js*":  "run",
		"node_modules/.bin/a@":    "../a/cli.js",
	}
	one := scan(t, build(t, spec), "node_modules")
	two := build(t, spec)
	must(t, os.Chmod(filepath.Join(two, "node_modules/a/index.js"), 0o600))
	must(t, os.Chmod(filepath.Join(two, "node_modules/a/cli.js"), 0o700))
	must(t, os.Chtimes(filepath.Join(two, "node_modules/a/index.js"), time0, time0))
	if a, b := one.Digest(), scan(t, two, "node_modules").Digest(); a != b {
		t.Errorf("same files, different umask and mtime: %s != %s", a, b)
	}
	changes := []struct {
		name   string
		mutate func(base string)
		change Change
	}{
		{"content", func(b string) { os.WriteFile(filepath.Join(b, "node_modules/a/index.js"), []byte("ho"), 0o644) }, Modified},
		{"exec bit", func(b string) { os.Chmod(filepath.Join(b, "node_modules/a/index.js"), 0o755) }, ModeChanged},
		{"link target", func(b string) {
			os.Remove(filepath.Join(b, "node_modules/.bin/a"))
			os.Symlink("../a/index.js", filepath.Join(b, "node_modules/.bin/a"))
		}, Modified},
		{"file to symlink", func(b string) {
			os.Remove(filepath.Join(b, "node_modules/a/index.js"))
			os.Symlink("cli.js", filepath.Join(b, "node_modules/a/index.js"))
		}, TypeChanged},
		{"removed", func(b string) { os.Remove(filepath.Join(b, "node_modules/a/index.js")) }, Removed},
		{"added", func(b string) { os.WriteFile(filepath.Join(b, "node_modules/a/new.js"), nil, 0o644) }, Added},
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			base := build(t, spec)
			c.mutate(base)
			got := scan(t, base, "node_modules")
			if got.Digest() == one.Digest() {
				t.Fatal("digest did not change")
			}
			diffs := Compare(one, got)
			if len(diffs) != 1 || diffs[0].Change != c.change {
				t.Fatalf("Compare = %v, want one %q", diffs, c.change)
			}
			if diffs[0].String() == "" {
				t.Error("empty description")
			}
		})
	}
}

func TestCompareListsEveryFileBeneathAddedDir(t *testing.T) {
	want := scan(t, build(t, map[string]string{"node_modules/a/x": "1"}), "node_modules")
	got := scan(t, build(t, map[string]string{"node_modules/a/x": "1", "node_modules/b/y": "2", "node_modules/b/z": "3"}), "node_modules")
	var paths []string
	for _, d := range Compare(want, got) {
		if d.Change != Added {
			t.Errorf("%v", d)
		}
		paths = append(paths, d.Path)
	}
	if strings.Join(paths, " ") != "node_modules/b node_modules/b/y node_modules/b/z" {
		t.Errorf("added = %v", paths)
	}
}

func TestSeveralRootsAndAbsentRoot(t *testing.T) {
	base := build(t, map[string]string{
		"node_modules/a/x":            "1",
		"packages/w/node_modules/b/y": "2",
		"packages/w/src.js":           "not in the tree",
	})
	m := scan(t, base, "node_modules", "packages/w/node_modules", "packages/absent/node_modules")
	var paths []string
	for _, e := range m.Entries {
		paths = append(paths, e.Path)
	}
	want := "node_modules node_modules/a node_modules/a/x packages/w/node_modules packages/w/node_modules/b packages/w/node_modules/b/y"
	if strings.Join(paths, " ") != want {
		t.Errorf("paths = %v", paths)
	}
	if _, err := Scan(base, []string{"node_modules", "node_modules/a"}, 1); err == nil {
		t.Error("overlapping roots accepted")
	}
	for _, bad := range []string{"../x", "/etc", ".", ""} {
		if _, err := Scan(base, []string{bad}, 1); err == nil {
			t.Errorf("root %q accepted", bad)
		}
	}
}

func TestNeverFollowsSymlinks(t *testing.T) {
	outside := build(t, map[string]string{"secret": "s"})
	base := build(t, map[string]string{"node_modules/a/x": "1"})
	must(t, os.Symlink(outside, filepath.Join(base, "node_modules/escape")))
	m := scan(t, base, "node_modules")
	for _, e := range m.Entries {
		if strings.Contains(e.Path, "secret") {
			t.Fatalf("followed a symlink: %s", e.Path)
		}
	}
	// A root that is itself a symlink is an entry, not followed either.
	base2 := t.TempDir()
	must(t, os.Symlink(filepath.Join(base, "node_modules"), filepath.Join(base2, "node_modules")))
	m2 := scan(t, base2, "node_modules")
	if len(m2.Entries) != 1 || m2.Entries[0].Kind != Symlink {
		t.Fatalf("root symlink: %+v", m2.Entries)
	}
	// A symlinked directory on the way to a root is refused by os.Root.
	base3 := t.TempDir()
	must(t, os.Symlink(base, filepath.Join(base3, "packages")))
	if _, err := Scan(base3, []string{"packages/node_modules"}, 1); err == nil {
		t.Error("root beneath a symlink was scanned")
	}
}

func TestSpecialFileRefused(t *testing.T) {
	base := build(t, map[string]string{"node_modules/a/x": "1"})
	if err := syscall.Mkfifo(filepath.Join(base, "node_modules/a/fifo"), 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	if _, err := Scan(base, []string{"node_modules"}, 1); !errors.Is(err, ErrSpecialFile) {
		t.Fatalf("err = %v, want ErrSpecialFile", err)
	}
}

func TestEscapePath(t *testing.T) {
	for in, want := range map[string]string{
		"a/b.js":  "a/b.js",
		"a b":     "a%20b",
		"50%":     "50%25",
		"x\ny":    "x%0Ay",
		"del\x7f": "del%7F",
		"ünïcode": "ünïcode",
	} {
		if got := EscapePath(in); got != want {
			t.Errorf("EscapePath(%q) = %q, want %q", in, got, want)
		}
	}
}

var time0 = time.Unix(0, 0)
