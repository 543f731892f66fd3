// Package testfs gives tests real, small file systems to fill up or make
// read-only, so that "disk full" and "read-only" are the kernel's answers
// rather than simulations.
package testfs

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Tmpfs mounts a tmpfs of size bytes, whose root has mode, on a new
// directory and unmounts it when the test ends. Mounting needs root (as in
// this project's CI); where it is not permitted the test is skipped.
func Tmpfs(t testing.TB, size int64, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=%04o", size, mode.Perm())); err != nil {
		if errors.Is(err, unix.EPERM) {
			t.Skipf("mounting a tmpfs is not permitted (%v): this test needs root to fill a real file system", err)
		}
		t.Fatal(err)
	}
	// Registered after t.TempDir, so it runs before the directory's removal.
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}

// Remount changes the mount flags of a file system Tmpfs made
// (unix.MS_RDONLY to make it read-only, 0 to make it writable again).
func Remount(t testing.TB, dir string, flags uintptr) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|flags, ""); err != nil {
		t.Fatal(err)
	}
}
