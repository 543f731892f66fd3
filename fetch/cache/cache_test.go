package cache

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha512"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

// blob returns deterministic pseudo-random bytes and their sha512 digest,
// computed with crypto/sha512 directly rather than through verify.
func blob(seed uint64, n int) ([]byte, verify.Digest) {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	sum := sha512.Sum512(b)
	return b, verify.Digest{Algorithm: "sha512", Sum: sum[:]}
}

func openCache(t testing.TB) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func put(t testing.TB, c *Cache, d verify.Digest, data []byte) {
	t.Helper()
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func blobFile(c *Cache, d verify.Digest) string {
	h := d.Hex()
	return filepath.Join(c.Dir(), "blobs", d.Algorithm, h[:2], h)
}

// readAll reads a blob the way a consumer would and returns what it saw and
// the final verdict.
func readAll(c *Cache, d verify.Digest) ([]byte, error) {
	r, err := c.Get(d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// entries lists every non-directory below the cache root, for debris checks.
func entries(t *testing.T, c *Cache) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(c.Dir(), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(c.Dir(), p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestRoundTrip(t *testing.T) {
	c := openCache(t)
	for _, size := range []int{0, 1, 4095, 1 << 20} {
		data, d := blob(uint64(size), size)
		if _, err := c.Get(d); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get before Put: %v, want ErrNotFound", err)
		}
		w, err := c.Put(d)
		if err != nil {
			t.Fatal(err)
		}
		// Several writes of uneven size, as a network stream delivers them.
		for rest := data; len(rest) > 0; {
			n := min(len(rest), 1000)
			if _, err := w.Write(rest[:n]); err != nil {
				t.Fatal(err)
			}
			rest = rest[n:]
		}
		if _, err := c.Get(d); !errors.Is(err, ErrNotFound) {
			t.Fatalf("size %d: uncommitted blob is visible: %v", size, err)
		}
		if err := w.Commit(); err != nil {
			t.Fatalf("size %d: Commit: %v", size, err)
		}
		w.Abort() // no-op after Commit

		got, err := readAll(c, d)
		if err != nil {
			t.Fatalf("size %d: reading back: %v", size, err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: read back %d different bytes", size, len(got))
		}
		fi, err := os.Lstat(blobFile(c, d))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != blobPerm {
			t.Errorf("blob mode %v, want %v", fi.Mode(), fs.FileMode(blobPerm))
		}
	}
	for _, e := range entries(t, c) {
		if strings.Contains(e, TempPrefix) {
			t.Errorf("temporary file left behind: %s", e)
		}
	}
	fi, err := os.Stat(c.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != rootPerm {
		t.Errorf("new cache root mode %v, want %v", fi.Mode().Perm(), fs.FileMode(rootPerm))
	}
}

func TestSHA1Blob(t *testing.T) {
	c := openCache(t)
	data := []byte("abc")
	sum := sha1.Sum(data)
	d := verify.Digest{Algorithm: "sha1", Sum: sum[:]}
	put(t, c, d, data)
	if !strings.HasSuffix(blobFile(c, d), filepath.Join("blobs", "sha1", "a9", "a9993e364706816aba3e25717850c26c9cd0d89d")) {
		t.Fatalf("unexpected layout %s", blobFile(c, d))
	}
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read %q, %v", got, err)
	}
}

// corrupt replaces the blob file's contents, keeping it a regular file.
func corrupt(t *testing.T, path string, data []byte) {
	t.Helper()
	os.Remove(path)
	if err := os.WriteFile(path, data, 0o444); err != nil {
		t.Fatal(err)
	}
}

// wantCorrupt checks that err reports the blob as corrupt with the given
// actual digest, and that the blob is gone.
func wantCorrupt(t *testing.T, c *Cache, d verify.Digest, err error, got []byte) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || !errors.Is(err, verify.ErrIntegrity) {
		t.Fatalf("err = %v, want a *CorruptError matching ErrCorrupt and verify.ErrIntegrity", err)
	}
	sum := sha512.Sum512(got)
	if ce.Want.String() != d.String() || !bytes.Equal(ce.Got.Sum, sum[:]) || ce.Path != blobFile(c, d) || !ce.Removed {
		t.Fatalf("CorruptError %+v: want Want=%s Got=sha512 of the bytes Path=%s Removed", ce, d, blobFile(c, d))
	}
	if _, err := os.Lstat(blobFile(c, d)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("corrupt blob still present: %v", err)
	}
	if _, err := c.Get(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after removal: %v, want ErrNotFound", err)
	}
}

func TestEverySingleByteFlipDetected(t *testing.T) {
	c := openCache(t)
	data, d := blob(1, 1500)
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= byte(1 << (i % 8))
		put(t, c, d, data)
		corrupt(t, blobFile(c, d), bad)
		_, err := readAll(c, d)
		wantCorrupt(t, c, d, err, bad)
	}
}

func TestTruncationAndGrowth(t *testing.T) {
	c := openCache(t)
	data, d := blob(2, 5000)
	for _, bad := range [][]byte{
		{},
		data[:1],
		data[:len(data)/2],
		data[:len(data)-1],
		append(bytes.Clone(data), 0),
	} {
		put(t, c, d, data)
		corrupt(t, blobFile(c, d), bad)
		_, err := readAll(c, d)
		// The last case is a grown file: Get sees the larger size, so the
		// extra byte goes through the hash too.
		wantCorrupt(t, c, d, err, bad)
	}
}

func TestReplacedByAnotherValidBlob(t *testing.T) {
	c := openCache(t)
	data, d := blob(3, 3000)
	other, od := blob(4, 3000)
	put(t, c, d, data)
	put(t, c, od, other)
	// A valid blob of another package copied under d's name, as an attacker
	// with write access to the cache might do.
	corrupt(t, blobFile(c, d), other)
	_, err := readAll(c, d)
	wantCorrupt(t, c, d, err, other)
	var ce *CorruptError
	errors.As(err, &ce)
	if ce.Got.String() != od.String() {
		t.Errorf("Got = %s, want the other blob's digest %s", ce.Got, od)
	}
	if got, err := readAll(c, od); err != nil || !bytes.Equal(got, other) {
		t.Errorf("the other blob was harmed: %v", err)
	}
}

func TestPartialReadThenVerify(t *testing.T) {
	c := openCache(t)
	data, d := blob(5, 100000)
	put(t, c, d, data)

	r, err := c.Get(d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(data)) {
		t.Errorf("Size() = %d", r.Size())
	}
	buf := make([]byte, 10)
	io.ReadFull(r, buf)
	if err := r.Verify(); err != nil {
		t.Errorf("Verify after a partial read of a good blob: %v", err)
	}
	r.Close()

	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1 // beyond what the consumer reads
	corrupt(t, blobFile(c, d), bad)
	r, err = c.Get(d)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(r, buf)
	err = r.Verify()
	r.Close()
	wantCorrupt(t, c, d, err, bad)
}

func TestNotARegularFile(t *testing.T) {
	data, d := blob(6, 100)
	tests := []struct {
		name    string
		plant   func(t *testing.T, path string)
		removed bool
	}{
		{"symlink to a valid copy", func(t *testing.T, path string) {
			elsewhere := filepath.Join(t.TempDir(), "target")
			os.WriteFile(elsewhere, data, 0o644)
			if err := os.Symlink(elsewhere, path); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"dangling symlink", func(t *testing.T, path string) {
			if err := os.Symlink("/nonexistent/airlock", path); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"fifo", func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o644); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"empty directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"directory with contents", func(t *testing.T, path string) {
			os.Mkdir(path, 0o755)
			if err := os.WriteFile(filepath.Join(path, "x"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openCache(t)
			put(t, c, d, data)
			path := blobFile(c, d)
			os.Remove(path)
			tt.plant(t, path)
			r, err := c.Get(d)
			if err == nil {
				r.Close()
				t.Fatal("Get succeeded on a non-regular file")
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.Removed != tt.removed {
				t.Fatalf("err = %#v, want a *CorruptError with Removed=%v", err, tt.removed)
			}
			if !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), path) {
				t.Errorf("message %q does not say what and where", err)
			}
			if tt.removed {
				if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("planted entry not removed: %v", err)
				}
				put(t, c, d, data) // and the path is usable again
				if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
					t.Errorf("after refetch: %v", err)
				}
			}
		})
	}
}

func TestSymlinkedDirectoryNotFollowed(t *testing.T) {
	c := openCache(t)
	data, d := blob(7, 100)
	prefixDir := filepath.Dir(blobFile(c, d))
	outside := t.TempDir()
	// A valid blob outside the cache, reachable only through a planted
	// symlink in place of the blobs/sha512/<xx> directory.
	os.WriteFile(filepath.Join(outside, d.Hex()), data, 0o444)
	os.MkdirAll(filepath.Dir(prefixDir), 0o755)
	if err := os.Symlink(outside, prefixDir); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(d); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get through a symlinked directory: %v, want ErrNotFound", err)
	}
	put(t, c, d, data)
	fi, err := os.Lstat(prefixDir)
	if err != nil || !fi.IsDir() {
		t.Fatalf("Put did not replace the symlink with a directory: %v %v", fi, err)
	}
	if names, _ := os.ReadDir(outside); len(names) != 1 {
		t.Errorf("Put wrote outside the cache: %v", names)
	}
}

func TestCommitMismatchLeavesNothing(t *testing.T) {
	c := openCache(t)
	data, d := blob(8, 2000)
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data[:len(data)-1])
	err = w.Commit()
	var me *verify.MismatchError
	if !errors.Is(err, verify.ErrIntegrity) || !errors.As(err, &me) {
		t.Fatalf("Commit of short data = %v, want a verify.MismatchError", err)
	}
	if !strings.Contains(err.Error(), blobFile(c, d)) {
		t.Errorf("message %q does not name the blob", err)
	}
	if e := entries(t, c); len(e) != 0 {
		t.Errorf("debris after a failed commit: %v", e)
	}
	if _, err := w.Write(data); err == nil {
		t.Error("Write after Commit succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	c := openCache(t)
	data, d := blob(9, 2000)
	w, err := c.Put(d)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if e := entries(t, c); len(e) != 1 || !strings.Contains(e[0], TempPrefix) {
		t.Fatalf("while writing: %v, want one temporary file", e)
	}
	w.Abort()
	w.Abort()
	if e := entries(t, c); len(e) != 0 {
		t.Errorf("debris after Abort: %v", e)
	}
}

func TestCommitOverGoodAndCorruptBlob(t *testing.T) {
	c := openCache(t)
	data, d := blob(10, 2000)
	put(t, c, d, data)
	put(t, c, d, data) // a second writer of the same blob
	corrupt(t, blobFile(c, d), []byte("junk"))
	put(t, c, d, data) // a refetch replaces a corrupt blob atomically
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%v", err)
	}
}

func TestInvalidDigest(t *testing.T) {
	c := openCache(t)
	for _, d := range []verify.Digest{
		{},
		{Algorithm: "../../x", Sum: make([]byte, 64)},
		{Algorithm: "sha512", Sum: make([]byte, 3)},
	} {
		if _, err := c.Get(d); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%+v) = %v, want a digest error", d, err)
		}
		if _, err := c.Put(d); err == nil {
			t.Errorf("Put(%+v) succeeded", d)
		}
	}
	if e := entries(t, c); len(e) != 0 {
		t.Errorf("invalid digests created files: %v", e)
	}
}

func TestConcurrentWritersAndReaders(t *testing.T) {
	c := openCache(t)
	data, d := blob(11, 256<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			w, err := c.Put(d)
			if err != nil {
				errs <- err
				return
			}
			defer w.Abort()
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1000+i)
				w.Write(rest[:n])
				rest = rest[n:]
			}
			if err := w.Commit(); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			got, err := readAll(c, d)
			if errors.Is(err, ErrNotFound) {
				return
			}
			if err != nil {
				errs <- fmt.Errorf("concurrent reader: %w", err)
			} else if !bytes.Equal(got, data) {
				errs <- errors.New("concurrent reader saw different bytes")
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if e := entries(t, c); len(e) != 1 {
		t.Errorf("cache holds %v, want exactly the one blob", e)
	}
}

// Two processes share a cache: the test binary re-executes itself as a
// helper (see TestMain) that writes and reads the same blobs.
const (
	helperEnv     = "AIRLOCK_CACHE_TEST_HELPER_DIR"
	helperModeEnv = "AIRLOCK_CACHE_TEST_HELPER_MODE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		if err := helper(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(dir string) error {
	c, err := Open(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	if os.Getenv(helperModeEnv) == "hold" {
		// Start a write and stall in it until killed.
		data, d := blob(99, 64<<10)
		w, err := c.Put(d)
		if err != nil {
			return err
		}
		w.Write(data[:1000])
		fmt.Println("ready")
		time.Sleep(time.Hour)
	}
	for round := range 50 {
		data, d := blob(uint64(round%5), 64<<10)
		w, err := c.Put(d)
		if err != nil {
			return err
		}
		w.Write(data)
		if err := w.Commit(); err != nil {
			return err
		}
		got, err := readAll(c, d)
		if err != nil {
			return fmt.Errorf("round %d: %w", round, err)
		}
		if !bytes.Equal(got, data) {
			return fmt.Errorf("round %d: read different bytes", round)
		}
	}
	return nil
}

func TestTwoProcesses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+dir)
		out := new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if e := entries(t, c); len(e) != 5 {
		t.Errorf("shared cache holds %v, want the 5 blobs and no debris", e)
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	c := openCache(t)
	data, d := blob(12, 100)
	put(t, c, d, data)
	dir := filepath.Dir(blobFile(c, d))

	// A live writer keeps its file however long it has been idle: it holds
	// the file's lock.
	live, _ := c.Put(d)
	live.Write(data)
	defer live.Abort()
	old := time.Now().Add(-2 * StaleTempAge)
	os.Chtimes(live.f.Name(), old, old)
	// A blob's own mtime is irrelevant: only temporary names are touched.
	os.Chtimes(blobFile(c, d), old, old)

	// Debris nobody holds is removed however young: an unlocked file, and
	// anything with the prefix that is not a file. A directory with the
	// prefix is never airlock's to delete.
	dead := filepath.Join(dir, TempPrefix+"dead")
	os.WriteFile(dead, []byte("partial"), 0o600)
	link := filepath.Join(dir, TempPrefix+"link")
	outside := filepath.Join(t.TempDir(), "outside")
	os.WriteFile(outside, []byte("keep"), 0o600)
	os.Symlink(outside, link)
	keepDir := filepath.Join(dir, TempPrefix+"dir")
	os.Mkdir(keepDir, 0o755)

	n, err := c.RemoveStaleTemps(StaleTempAge)
	if err != nil || n != 2 {
		t.Fatalf("RemoveStaleTemps = %d, %v; want 2, nil", n, err)
	}
	for _, p := range []string{dead, link} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survived: %v", p, err)
		}
	}
	for _, p := range []string{live.f.Name(), keepDir, outside} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s removed: %v", p, err)
		}
	}
	if err := live.Commit(); err != nil {
		t.Errorf("live writer: %v", err)
	}
	if got, err := readAll(c, d); err != nil || !bytes.Equal(got, data) {
		t.Errorf("blob harmed by cleanup: %v", err)
	}
}

// A writer killed with SIGKILL mid-write leaves its temporary file; the
// kernel dropped its lock, so the next sweep removes it at once.
func TestKilledWriterTempRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "shared")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir, helperModeEnv+"=hold")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 6)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("helper did not start writing: %q %v", line, err)
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// While the writer lives its file is kept.
	if n, err := c.RemoveStaleTemps(StaleTempAge); n != 0 || err != nil {
		t.Fatalf("sweep while the writer lives = %d, %v; want 0", n, err)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	var temps []string
	for _, e := range entries(t, c) {
		if strings.Contains(e, TempPrefix) {
			temps = append(temps, e)
		}
	}
	if len(temps) != 1 {
		t.Fatalf("after SIGKILL the cache holds %v, want the one temporary file", temps)
	}
	if n, err := c.RemoveStaleTemps(StaleTempAge); n != 1 || err != nil {
		t.Fatalf("sweep after SIGKILL = %d, %v; want 1", n, err)
	}
	if e := entries(t, c); len(e) != 0 {
		t.Errorf("debris after the sweep: %v", e)
	}
}

// claimTemp loses the race to a sweeper that locked or removed the file
// between its creation and the writer's lock.
func TestClaimTempLosesToSweeper(t *testing.T) {
	dir := t.TempDir()
	dirf, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer dirf.Close()
	dirfd := int(dirf.Fd())
	create := func(name string) *os.File {
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := create("locked")
	defer f.Close()
	sweeper, _ := os.Open(f.Name())
	defer sweeper.Close()
	if err := syscall.Flock(int(sweeper.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	if claimTemp(dirfd, "locked", int(f.Fd())) {
		t.Error("claimed a file a sweeper holds")
	}
	g := create("gone")
	defer g.Close()
	os.Remove(g.Name())
	if claimTemp(dirfd, "gone", int(g.Fd())) {
		t.Error("claimed a file a sweeper already removed")
	}
	h := create("fine")
	defer h.Close()
	if !claimTemp(dirfd, "fine", int(h.Fd())) {
		t.Error("could not claim a fresh file")
	}
}

func TestDefaultDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AIRLOCK_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"},
		{map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/airlock"},
		{map[string]string{"XDG_CACHE_HOME": "rel", "HOME": "/h"}, "/h/.cache/airlock"},
		{map[string]string{"HOME": "/h"}, "/h/.cache/airlock"},
		{map[string]string{}, ""},
	}
	for _, tt := range tests {
		if got := DefaultDir(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("DefaultDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), "AIRLOCK_CACHE") {
		t.Errorf("Open(\"\") = %v, want an error telling the fix", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	if _, err := Open(file); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("Open(file) = %v, want an error naming it", err)
	}
}

func BenchmarkPutCommit(b *testing.B) {
	c := openCache(b)
	data, d := blob(14, 8<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		put(b, c, d, data)
	}
}

func BenchmarkGetRead(b *testing.B) {
	c := openCache(b)
	data, d := blob(15, 8<<20)
	put(b, c, d, data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r, err := c.Get(d)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
