package cache

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestVerifyAllRemovesWhatFails(t *testing.T) {
	c := openCache(t)
	for seed := uint64(1); seed <= 3; seed++ {
		data, d := blob(seed, 4096)
		put(t, c, d, data)
	}
	_, d1 := blob(1, 4096)
	dir1, name1, _ := blobPath(d1)
	flipped := c.path(dir1, name1)
	os.Chmod(flipped, 0o644)
	f, _ := os.OpenFile(flipped, os.O_RDWR, 0)
	f.WriteAt([]byte{0xff}, 100)
	f.Close()

	planted := filepath.Join(c.Dir(), "blobs", "sha512", name1[:2], "planted.sh")
	os.WriteFile(planted, []byte("#!/bin/sh\n"), 0o755)
	wrongPrefix := filepath.Join(c.Dir(), "blobs", "sha512", "zz")
	os.MkdirAll(wrongPrefix, 0o755)
	unknownAlgo := filepath.Join(c.Dir(), "blobs", "md5")
	os.MkdirAll(unknownAlgo, 0o755)
	// A temporary file no process holds: a dead download's debris.
	debris := filepath.Join(c.Dir(), "blobs", "sha512", name1[:2], TempPrefix+"dead")
	os.WriteFile(debris, []byte("half"), 0o600)
	// A live writer's temporary file must stay.
	data4, d4 := blob(4, 10)
	live, err := c.Put(d4)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()

	var removed []string
	sum, err := c.VerifyAll(context.Background(), func(a Action) {
		if a.Err != nil {
			t.Errorf("%s: %v", a.Path, a.Err)
		}
		removed = append(removed, a.Path+" "+a.Reason)
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(removed)
	if sum.Blobs != 3 || sum.Removed != 5 {
		t.Errorf("summary %+v, removed:\n%s", sum, strings.Join(removed, "\n"))
	}
	for _, p := range []string{flipped, planted, wrongPrefix, unknownAlgo, debris} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there", p)
		}
	}
	joined := strings.Join(removed, "\n")
	if !strings.Contains(joined, flipped+" corrupt: want sha512-") {
		t.Errorf("flipped blob not reported as corrupt:\n%s", joined)
	}
	for seed := uint64(2); seed <= 3; seed++ {
		_, d := blob(seed, 4096)
		r, err := c.Get(d)
		if err != nil {
			t.Fatalf("good blob %d removed: %v", seed, err)
		}
		r.Close()
	}
	if w, err := live.Write(data4); err != nil || w != 10 {
		t.Fatal(err)
	}
	if err := live.Commit(); err != nil {
		t.Errorf("live writer lost its file: %v", err)
	}
}

func TestGCByLastUse(t *testing.T) {
	c := openCache(t)
	old, dOld := blob(1, 100)
	recent, dRecent := blob(2, 100)
	used, dUsed := blob(3, 100)
	put(t, c, dOld, old)
	put(t, c, dRecent, recent)
	put(t, c, dUsed, used)
	path := func(seed uint64) string {
		_, d := blob(seed, 100)
		dir, name, _ := blobPath(d)
		return c.path(dir, name)
	}
	long := time.Now().Add(-40 * 24 * time.Hour)
	os.Chtimes(path(1), long, long)
	os.Chtimes(path(3), long, long)
	// A verified read records the use of blob 3.
	r, err := c.Get(dUsed)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, r)
	if err := r.Verify(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if st, _ := os.Stat(path(3)); time.Since(st.ModTime()) > time.Hour {
		t.Fatalf("verified read did not record use: mtime %v", st.ModTime())
	}
	// VerifyAll is not a use.
	os.Chtimes(path(3), long, long)
	if _, err := c.VerifyAll(context.Background(), func(Action) {}); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path(3)); time.Since(st.ModTime()) < time.Hour {
		t.Fatalf("VerifyAll recorded a use")
	}
	r, _ = c.Get(dUsed)
	r.Verify()
	r.Close()

	var removed []string
	sum, err := c.GC(context.Background(), 30*24*time.Hour, func(a Action) { removed = append(removed, a.Path) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Blobs != 3 || sum.Removed != 1 || len(removed) != 1 || removed[0] != path(1) {
		t.Fatalf("summary %+v removed %v", sum, removed)
	}
	for seed, want := range map[uint64]bool{1: false, 2: true, 3: true} {
		_, err := os.Stat(path(seed))
		if (err == nil) != want {
			t.Errorf("blob %d: exists=%v, want %v", seed, err == nil, want)
		}
	}
}

func TestRecordUseAtMostDaily(t *testing.T) {
	c := openCache(t)
	data, d := blob(1, 100)
	put(t, c, d, data)
	dir, name, _ := blobPath(d)
	p := c.path(dir, name)
	hoursAgo := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	os.Chtimes(p, hoursAgo, hoursAgo)
	r, _ := c.Get(d)
	r.Verify()
	r.Close()
	if st, _ := os.Stat(p); !st.ModTime().Equal(hoursAgo) {
		t.Errorf("a use within UseGranularity rewrote the mtime: %v -> %v", hoursAgo, st.ModTime())
	}
}

// MarkUsed records a use without a read (an install from the extracted
// store), at most daily, and Has sees the blob without reading it.
func TestMarkUsedAndHas(t *testing.T) {
	c := openCache(t)
	data, d := blob(1, 100)
	_, missing := blob(2, 100)
	put(t, c, d, data)
	if !c.Has(d) || c.Has(missing) {
		t.Errorf("Has(stored) = %v, Has(missing) = %v", c.Has(d), c.Has(missing))
	}
	c.MarkUsed(missing) // no blob: nothing happens
	dir, name, _ := blobPath(d)
	p := c.path(dir, name)
	hoursAgo := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	os.Chtimes(p, hoursAgo, hoursAgo)
	c.MarkUsed(d)
	if st, _ := os.Stat(p); !st.ModTime().Equal(hoursAgo) {
		t.Errorf("a use within UseGranularity rewrote the mtime: %v -> %v", hoursAgo, st.ModTime())
	}
	long := time.Now().Add(-40 * 24 * time.Hour)
	os.Chtimes(p, long, long)
	c.MarkUsed(d)
	if st, _ := os.Stat(p); time.Since(st.ModTime()) > time.Hour {
		t.Errorf("MarkUsed did not record the use: mtime %v", st.ModTime())
	}
}
