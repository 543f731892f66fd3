package cache

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func sideFile(t *testing.T, dir, name, body string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
	return p
}

func hexName(c byte) string { return strings.Repeat(string(c), 64) + ".json" }

func removedNames(as []Action) []string {
	var out []string
	for _, a := range as {
		if a.Err != nil {
			out = append(out, "FAILED "+filepath.Base(a.Path))
			continue
		}
		out = append(out, filepath.Base(a.Path))
	}
	sort.Strings(out)
	return out
}

func TestGCDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pypi-simple")
	os.Mkdir(dir, 0o700)
	day := 24 * time.Hour
	sideFile(t, dir, hexName('a'), `{}`, 40*day) // old: removed
	sideFile(t, dir, hexName('b'), `{}`, 2*day)  // recent: kept
	// A symlink to an old file outside: neither it nor its target goes.
	outside := sideFile(t, root, "outside.json", `{}`, 40*day)
	os.Symlink(outside, filepath.Join(dir, hexName('c')))
	// A directory and a temp file, both old: left to VerifyDir.
	os.Mkdir(filepath.Join(dir, hexName('d')), 0o700)
	sideFile(t, dir, TempPrefix+"123", `{`, 40*day)

	var got []Action
	sum, err := GCDir(context.Background(), dir, 30*day, func(a Action) { got = append(got, a) })
	if err != nil {
		t.Fatal(err)
	}
	if names := removedNames(got); len(names) != 1 || names[0] != hexName('a') {
		t.Fatalf("removed %v, want only the old entry", names)
	}
	if sum.Blobs != 2 || sum.Removed != 1 || sum.RemovedBytes != 2 {
		t.Errorf("summary %+v", sum)
	}
	for _, keep := range []string{hexName('b'), hexName('c'), hexName('d'), TempPrefix + "123"} {
		if _, err := os.Lstat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("symlink target outside the directory: %v", err)
	}

	// The directory itself may not be a symlink: refused, nothing removed.
	link := filepath.Join(root, "linked")
	os.Symlink(dir, link)
	if _, err := GCDir(context.Background(), link, time.Nanosecond, nil); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("GCDir through a symlinked directory: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, hexName('b'))); err != nil {
		t.Errorf("GCDir through a symlink removed an entry: %v", err)
	}
	// A missing directory is an empty one.
	if sum, err := GCDir(context.Background(), filepath.Join(root, "none"), day, nil); err != nil || sum.Blobs != 0 {
		t.Errorf("missing dir: %+v, %v", sum, err)
	}
}

func TestVerifyDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "pypi-provenance")
	os.Mkdir(dir, 0o700)
	day := 24 * time.Hour
	sideFile(t, dir, hexName('a'), `{"ok":true}`, 40*day) // valid, however old
	sideFile(t, dir, hexName('b'), `{"a":`, 0)            // not JSON
	sideFile(t, dir, hexName('c'), `"`+strings.Repeat("x", 30)+`"`, 0)
	sideFile(t, dir, "planted.sh", `{}`, 0)
	outside := sideFile(t, root, "outside.json", `{}`, 0)
	os.Symlink(outside, filepath.Join(dir, hexName('d')))
	os.Mkdir(filepath.Join(dir, hexName('e')), 0o700)
	sideFile(t, filepath.Join(dir, hexName('e')), "x", `{}`, 0)
	sideFile(t, dir, TempPrefix+"live", `{`, time.Minute)    // a live writer's: kept
	sideFile(t, dir, TempPrefix+"dead", `{`, 2*StaleTempAge) // idle: removed
	os.Mkdir(filepath.Join(dir, TempPrefix+"dir"), 0o700)    // never ours: kept

	var got []Action
	sum, err := VerifyDir(context.Background(), dir, 16, func(a Action) { got = append(got, a) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{TempPrefix + "dead", hexName('b'), hexName('c'), hexName('d'), hexName('e'), "planted.sh"}
	sort.Strings(want)
	if names := removedNames(got); strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("removed %v\nwant    %v", names, want)
	}
	reasons := map[string]string{}
	for _, a := range got {
		reasons[filepath.Base(a.Path)] = a.Reason
	}
	for name, reason := range map[string]string{
		hexName('b'): "not JSON", hexName('c'): "over the 16-byte limit", hexName('d'): "not a regular file",
		hexName('e'): "not a regular file", "planted.sh": "not a cache entry name", TempPrefix + "dead": "temporary file idle",
	} {
		if !strings.Contains(reasons[name], reason) {
			t.Errorf("%s: reason %q, want %q", name, reasons[name], reason)
		}
	}
	if sum.Removed != len(want) || sum.Blobs != 2 {
		t.Errorf("summary %+v", sum)
	}
	for _, keep := range []string{hexName('a'), TempPrefix + "live", TempPrefix + "dir"} {
		if _, err := os.Lstat(filepath.Join(dir, keep)); err != nil {
			t.Errorf("%s: %v", keep, err)
		}
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("symlink target outside the directory: %v", err)
	}
	// Verifying is not a use.
	if st, _ := os.Stat(filepath.Join(dir, hexName('a'))); time.Since(st.ModTime()) < 30*day {
		t.Errorf("VerifyDir recorded a use")
	}
}

func TestTouchUsed(t *testing.T) {
	root := t.TempDir()
	day := 24 * time.Hour
	old := sideFile(t, root, hexName('a'), `{}`, 40*day)
	TouchUsed(old)
	if st, _ := os.Stat(old); time.Since(st.ModTime()) > time.Hour {
		t.Errorf("TouchUsed left mtime %v", st.ModTime())
	}
	// At most daily.
	hoursAgo := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	os.Chtimes(old, hoursAgo, hoursAgo)
	TouchUsed(old)
	if st, _ := os.Stat(old); !st.ModTime().Equal(hoursAgo) {
		t.Errorf("a use within UseGranularity rewrote the mtime")
	}
	// Never through a symlink.
	target := sideFile(t, root, "target", `{}`, 40*day)
	link := filepath.Join(root, "link")
	os.Symlink(target, link)
	TouchUsed(link)
	if st, _ := os.Stat(target); time.Since(st.ModTime()) < 30*day {
		t.Errorf("TouchUsed followed a symlink")
	}
}
