package install

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestExtractAll: every call gets an empty directory of its own, no more
// than limit run at once, and the directories come back as Root-relative
// paths in call order, ready for PlaceAll, which makes the parents and
// places outer packages before nested ones.
func TestExtractAll(t *testing.T) {
	project := t.TempDir()
	s, err := Begin(context.Background(), project, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	const n, limit = 12, 3
	var running, most atomic.Int32
	abs := make([]string, n)
	dirs, err := s.ExtractAll(context.Background(), n, limit, func(ctx context.Context, i int, dir string) error {
		now := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) != 0 {
			return fmt.Errorf("call %d: directory %s not new and empty: %v %v", i, dir, ents, err)
		}
		abs[i] = dir
		time.Sleep(2 * time.Millisecond)
		return os.WriteFile(filepath.Join(dir, "package.json"), []byte(fmt.Sprint(i)), 0o666)
	})
	if err != nil {
		t.Fatal(err)
	}
	if most.Load() > limit {
		t.Errorf("%d extractions ran at once; limit %d", most.Load(), limit)
	}
	if len(dirs) != n {
		t.Fatalf("ExtractAll returned %d directories, want %d", len(dirs), n)
	}
	seen := map[string]bool{}
	for i, d := range dirs {
		if seen[d] || strings.Contains(d, "..") || filepath.Join(s.Root(), filepath.FromSlash(d)) != abs[i] {
			t.Errorf("dirs[%d] = %q: not call %d's own directory %s", i, d, i, abs[i])
		}
		seen[d] = true
	}

	nm, err := s.RootDir("node_modules")
	if err != nil {
		t.Fatal(err)
	}
	moves := []Move{
		{From: dirs[0], To: nm + "/a", Loc: "node_modules/a"},
		{From: dirs[1], To: nm + "/a/node_modules/@s/b", Loc: "node_modules/a/node_modules/@s/b"},
		{From: dirs[2], To: nm + "/.store/c/node_modules/c", Loc: "node_modules/.store/c/node_modules/c"},
	}
	if err := s.PlaceAll(moves); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, filepath.Join(s.Root(), filepath.FromSlash(nm)))
	equalTrees(t, got, map[string]string{
		"a/package.json":                       "0",
		"a/node_modules/@s/b/package.json":     "1",
		".store/c/node_modules/c/package.json": "2",
	})
	// A place already taken is an error naming the package's location.
	err = s.PlaceAll([]Move{{From: dirs[3], To: nm + "/a", Loc: "node_modules/a"}})
	if err == nil || !strings.Contains(err.Error(), "placing node_modules/a") {
		t.Errorf("PlaceAll onto a placed package = %v; want an error placing node_modules/a", err)
	}
}

// TestExtractAllStops: the first failure is ExtractAll's error, and a
// cancelled context ends it with the context's cause; no call starts after
// either.
func TestExtractAllStops(t *testing.T) {
	s, err := Begin(context.Background(), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Abort()
	boom := errors.New("archive corrupt")
	var calls atomic.Int32
	_, err = s.ExtractAll(context.Background(), 50, 1, func(ctx context.Context, i int, dir string) error {
		calls.Add(1)
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Errorf("ExtractAll = %v; want the failing call's error", err)
	}
	if c := calls.Load(); c > 4 {
		t.Errorf("%d calls after the third failed with limit 1", c)
	}

	stop := errors.New("interrupted")
	ctx, cancel := context.WithCancelCause(context.Background())
	calls.Store(0)
	_, err = s.ExtractAll(ctx, 50, 1, func(ctx context.Context, i int, dir string) error {
		calls.Add(1)
		if i == 1 {
			cancel(stop)
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("ExtractAll after cancel = %v; want the cause %v", err, stop)
	}
	if c := calls.Load(); c > 3 {
		t.Errorf("%d calls after the context was cancelled at the second", c)
	}
}
