package cache

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/internal/testfs"
)

func TestDiskFullDuringWrite(t *testing.T) {
	c, err := Open(filepath.Join(testfs.Tmpfs(t, 64<<10, 0o700), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data, d := blob(20, 256<<10)
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Write(data)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "free some disk space") || !strings.Contains(err.Error(), blobFile(c, d)) {
		t.Fatalf("Write on a full disk = %v, want ENOSPC naming the blob and the fix", err)
	}
	w.Abort()
	if e := entries(t, c); len(e) != 0 {
		t.Errorf("a failed write left %v", e)
	}
	// The space is free again: a small blob fits.
	small, sd := blob(21, 1000)
	put(t, c, sd, small)
	if got, err := readAll(c, sd); err != nil || !bytes.Equal(got, small) {
		t.Errorf("after the full disk: %v", err)
	}
}

func TestReadOnlyCache(t *testing.T) {
	mnt := testfs.Tmpfs(t, 1<<20, 0o700)
	dir := filepath.Join(mnt, "cache")
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, d := blob(22, 5000)
	put(t, c, d, data)
	c.Close()
	testfs.Remount(t, mnt, unix.MS_RDONLY)

	c, err = Open(dir)
	if err != nil {
		t.Fatalf("Open of a read-only cache: %v", err)
	}
	defer c.Close()
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "not writable") || !strings.Contains(w, "read-only file system") {
		t.Errorf("Warnings() = %q, want one saying the cache is read-only", w)
	}
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("reading from a read-only cache: %v", err)
	}
	other, od := blob(23, 5000)
	_ = other
	if _, err := c.Put(od); !errors.Is(err, unix.EROFS) || !strings.Contains(err.Error(), "AIRLOCK_CACHE") {
		t.Errorf("Put into a read-only cache = %v, want EROFS and the fix", err)
	}

	// A corrupt blob on a read-only cache is reported, and says it stays.
	remountRW(t, mnt)
	corrupt(t, blobFile(c, d), []byte("junk"))
	testfs.Remount(t, mnt, unix.MS_RDONLY)
	_, err = readAll(c, d)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Removed || !strings.Contains(err.Error(), "delete it by hand") {
		t.Errorf("corrupt blob on a read-only cache: %v, want a CorruptError that was not removed", err)
	}

	// A read-only cache that never had a blobs directory opens too.
	empty := testfs.Tmpfs(t, 1<<20, 0o700)
	testfs.Remount(t, empty, unix.MS_RDONLY)
	c2, err := Open(empty)
	if err != nil {
		t.Fatalf("Open of an empty read-only cache: %v", err)
	}
	defer c2.Close()
	if _, err := c2.Get(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get from an empty read-only cache = %v, want ErrNotFound", err)
	}
	if len(c2.Warnings()) == 0 {
		t.Error("no warning for an empty read-only cache")
	}
}

func remountRW(t *testing.T, dir string) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT, ""); err != nil {
		t.Fatal(err)
	}
}

func TestOwnershipWarnings(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the cache to another user")
	}
	tests := []struct {
		name  string
		setup func(dir string) error
		want  string // "" = no warning
	}{
		{"private", func(string) error { return nil }, ""},
		{"world-writable root", func(dir string) error { return os.Chmod(dir, 0o777) }, "writable by other users (mode 0777)"},
		{"group-writable blobs", func(dir string) error { return os.Chmod(filepath.Join(dir, "blobs"), 0o775) }, "writable by other users (mode 0775)"},
		{"sticky world-writable root", func(dir string) error { return syscall.Chmod(dir, 0o1777) }, ""},
		{"another user's root", func(dir string) error { return os.Chown(dir, 65534, 65534) }, "belongs to uid 65534"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "cache")
			c, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
			if err := tt.setup(dir); err != nil {
				t.Fatal(err)
			}
			c, err = Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got := strings.Join(c.Warnings(), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("Warnings() = %q, want %q", got, tt.want)
			}
		})
	}
}

// A hard link planted at a blob path is judged by its bytes like any blob:
// the cache never makes hard links, but a snapshot tool (cp -al) may, and
// every read is re-hashed as it streams. A mismatching one is removed from
// the cache without touching its other name.
func TestHardLinkPlanted(t *testing.T) {
	data, d := blob(24, 3000)
	c := openCache(t)
	put(t, c, d, data)
	outside := filepath.Join(t.TempDir(), "outside")

	os.WriteFile(outside, data, 0o644)
	os.Remove(blobFile(c, d))
	if err := os.Link(outside, blobFile(c, d)); err != nil {
		t.Fatal(err)
	}
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("hard link with the right bytes: %v", err)
	}

	bad := bytes.Clone(data)
	bad[100] ^= 1
	os.Remove(blobFile(c, d))
	os.Remove(outside)
	os.WriteFile(outside, bad, 0o644)
	if err := os.Link(outside, blobFile(c, d)); err != nil {
		t.Fatal(err)
	}
	_, err := readAll(c, d)
	wantCorrupt(t, c, d, err, bad)
	if b, err := os.ReadFile(outside); err != nil || !bytes.Equal(b, bad) {
		t.Errorf("the link's other name was harmed: %v", err)
	}
}

// The root is the user's choice (AIRLOCK_CACHE may name a symlink, as a
// project directory may be one); below it nothing is followed.
func TestSymlinkedRootAndDirectories(t *testing.T) {
	data, d := blob(25, 3000)
	t.Run("root", func(t *testing.T) {
		real := filepath.Join(t.TempDir(), "real")
		link := filepath.Join(t.TempDir(), "link")
		os.Mkdir(real, 0o700)
		os.Symlink(real, link)
		c, err := Open(link)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		put(t, c, d, data)
		if _, err := os.Lstat(filepath.Join(real, "blobs", "sha512", d.Hex()[:2], d.Hex())); err != nil {
			t.Fatalf("blob not stored in the link's target: %v", err)
		}
		corrupt(t, blobFile(c, d), []byte("junk"))
		_, err = readAll(c, d)
		wantCorrupt(t, c, d, err, []byte("junk"))
	})
	for _, level := range []string{"blobs", "blobs/sha512"} {
		t.Run(level, func(t *testing.T) {
			c := openCache(t)
			put(t, c, d, data)
			// An attacker's tree holding a valid copy of the blob: even
			// valid bytes are not taken through a symlink, and a store
			// writes nothing there.
			outside := t.TempDir()
			os.WriteFile(filepath.Join(outside, "marker"), nil, 0o644)
			target := filepath.Join(c.Dir(), filepath.FromSlash(level))
			os.RemoveAll(target)
			if err := os.Symlink(outside, target); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Get(d); !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get through a symlinked %s: %v, want ErrNotFound", level, err)
			}
			put(t, c, d, data)
			if fi, err := os.Lstat(target); err != nil || !fi.IsDir() {
				t.Fatalf("Put did not replace the symlinked %s with a directory: %v", level, err)
			}
			if names, _ := os.ReadDir(outside); len(names) != 1 {
				t.Errorf("Put wrote through the symlink: %v", names)
			}
			if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
				t.Errorf("after repair: %v", err)
			}
		})
	}
}

// The bytes, not the mode, are the guarantee: a blob left writable by others
// is still verified on read, and its mode is put back.
func TestWritableBlob(t *testing.T) {
	c := openCache(t)
	data, d := blob(26, 3000)
	put(t, c, d, data)
	path := blobFile(c, d)
	os.Chmod(path, 0o666)
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("writable good blob: %v", err)
	}
	if fi, _ := os.Lstat(path); fi.Mode().Perm() != blobPerm {
		t.Errorf("mode after read %v, want %v", fi.Mode().Perm(), fs.FileMode(blobPerm))
	}
	os.Chmod(path, 0o666)
	bad := bytes.Clone(data)
	bad[0] ^= 1
	os.WriteFile(path, bad, 0o666)
	_, err := readAll(c, d)
	wantCorrupt(t, c, d, err, bad)
}

// A FIFO planted under a temporary name is removed by the sweep without
// being opened (opening a FIFO for reading blocks).
func TestSweepDoesNotOpenFIFO(t *testing.T) {
	c := openCache(t)
	data, d := blob(27, 100)
	put(t, c, d, data)
	fifo := filepath.Join(filepath.Dir(blobFile(c, d)), TempPrefix+"fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.RemoveStaleTemps(StaleTempAge)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RemoveStaleTemps hangs on a FIFO")
	}
	if _, err := os.Lstat(fifo); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("FIFO debris survived: %v", err)
	}
}

func TestAwaitWriter(t *testing.T) {
	ctx := t.Context()
	c := openCache(t)
	data, d := blob(28, 64<<10)

	if waited, err := c.AwaitWriter(ctx, d); waited || err != nil {
		t.Fatalf("no writer: AwaitWriter = %v, %v", waited, err)
	}
	// A dead writer's file (nobody holds its lock) is not waited for.
	w, _ := c.Put(d)
	dead := filepath.Join(filepath.Dir(blobFile(c, d)), TempPrefix+d.Hex()[:16]+"-dead")
	os.WriteFile(dead, []byte("partial"), 0o600)
	w.Abort()
	if waited, err := c.AwaitWriter(ctx, d); waited || err != nil {
		t.Fatalf("dead writer: AwaitWriter = %v, %v", waited, err)
	}

	// A live writer is waited for until it commits; the blob is then there.
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < len(data); i += 8 << 10 {
			w.Write(data[i : i+8<<10])
			time.Sleep(20 * time.Millisecond)
		}
		w.Commit()
	}()
	waited, err := c.AwaitWriter(ctx, d)
	<-done
	if !waited || err != nil {
		t.Fatalf("live writer: AwaitWriter = %v, %v; want a wait", waited, err)
	}
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after the wait: %v", err)
	}

	// A writer that stalls is given up on after WriterIdle.
	defer func(d time.Duration) { WriterIdle = d }(WriterIdle)
	WriterIdle = 200 * time.Millisecond
	_, d2 := blob(29, 100)
	stalled, _ := c.Put(d2)
	defer stalled.Abort()
	start := time.Now()
	if waited, err := c.AwaitWriter(ctx, d2); !waited || err != nil || time.Since(start) > 5*time.Second {
		t.Fatalf("stalled writer: AwaitWriter = %v, %v after %v", waited, err, time.Since(start))
	}
	// And the wait ends with the context.
	WriterIdle = time.Hour
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := c.AwaitWriter(cctx, d2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled wait: %v", err)
	}
	os.Remove(dead)
}
