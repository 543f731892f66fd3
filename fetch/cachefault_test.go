package fetch

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/internal/testfs"
)

func fetcherOn(t *testing.T, dir string) (*Fetcher, *fakeGetter) {
	t.Helper()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	g := newGetter()
	return &Fetcher{Getter: g, Locator: fakeLocator{}, Cache: c}, g
}

// A cache on a full disk costs a warning, not the install: the download is
// verified on its way to consume either way, and the cache keeps no partial
// blob and no temporary file.
func TestCacheDiskFull(t *testing.T) {
	f, g := fetcherOn(t, testfs.Tmpfs(t, 64<<10, 0o700))
	big, pkg := archive("big", 256<<10)
	g.serve(urlOf("big", "1.2.3"), big)
	g.chunk = 4096

	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatalf("Fetch with a full cache disk: %v", err)
	}
	if len(c.calls) != 1 || !bytes.Equal(c.calls[0], big) {
		t.Fatal("consume did not see the whole archive")
	}
	if !errors.Is(res.CacheErr, syscall.ENOSPC) {
		t.Errorf("CacheErr = %v, want ENOSPC", res.CacheErr)
	}
	if files := cacheFiles(t, f); len(files) != 0 {
		t.Errorf("a full disk left %v in the cache", files)
	}

	small, spkg := archive("small", 4000)
	g.serve(urlOf("small", "1.2.3"), small)
	if res, err := f.Fetch(context.Background(), spkg, nil); err != nil || res.CacheErr != nil {
		t.Fatalf("a blob that fits: %+v, %v", res, err)
	}
	if files := cacheFiles(t, f); len(files) != 1 {
		t.Errorf("cache holds %v, want the small blob", files)
	}
}

// A read-only cache serves what it holds; new downloads go uncached, with a
// warning; offline, what it lacks is a clear error.
func TestCacheReadOnly(t *testing.T) {
	mnt := testfs.Tmpfs(t, 1<<20, 0o700)
	dir := filepath.Join(mnt, "cache")
	f, g := fetcherOn(t, dir)
	have, hpkg := archive("have", 5000)
	g.serve(urlOf("have", "1.2.3"), have)
	if _, err := f.Fetch(context.Background(), hpkg, nil); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", mnt, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
	f, g = fetcherOn(t, dir)
	if len(f.Cache.Warnings()) == 0 {
		t.Error("no warning about the read-only cache")
	}
	res, err := f.Fetch(context.Background(), hpkg, nil)
	if err != nil || !res.FromCache {
		t.Fatalf("cached blob from a read-only cache: %+v, %v", res, err)
	}
	lack, lpkg := archive("lack", 5000)
	g.serve(urlOf("lack", "1.2.3"), lack)
	var c collect
	res, err = f.Fetch(context.Background(), lpkg, c.consume)
	if err != nil || !errors.Is(res.CacheErr, unix.EROFS) || !bytes.Equal(c.calls[0], lack) {
		t.Fatalf("download with a read-only cache: %+v, %v; want success with CacheErr EROFS", res, err)
	}
	f.Offline = true
	if _, err := f.Fetch(context.Background(), lpkg, nil); !errors.Is(err, ErrNotCached) {
		t.Errorf("offline miss on a read-only cache = %v, want ErrNotCached", err)
	}
}
