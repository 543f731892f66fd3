package fetch

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// fakeGetter serves canned bodies per URL. A URL's successive requests get
// successive entries of its list; the last one repeats.
type fakeGetter struct {
	mu          sync.Mutex
	bodies      map[string][][]byte
	calls       map[string]int
	err         error // returned by every Get when set
	chunk       int   // bytes per Read; 0 means all at once
	stall       bool  // after the first chunk, block until ctx is done
	open        int   // bodies not yet closed
	inFlight    int
	maxInFlight int
}

func newGetter() *fakeGetter {
	return &fakeGetter{bodies: map[string][][]byte{}, calls: map[string]int{}}
}

func (g *fakeGetter) serve(url string, bodies ...[]byte) { g.bodies[url] = bodies }

func (g *fakeGetter) Get(ctx context.Context, url string, h http.Header) (*http.Response, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls[url]++
	if g.err != nil {
		return nil, g.err
	}
	list, ok := g.bodies[url]
	if !ok {
		return nil, &client.StatusError{URL: url, Code: 404}
	}
	data := list[min(g.calls[url], len(list))-1]
	g.open++
	g.inFlight++
	g.maxInFlight = max(g.maxInFlight, g.inFlight)
	return &http.Response{
		StatusCode:    200,
		Status:        "200 OK",
		ContentLength: -1,
		Body:          &fakeBody{ctx: ctx, g: g, data: data},
	}, nil
}

func (g *fakeGetter) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, c := range g.calls {
		n += c
	}
	return n
}

type fakeBody struct {
	ctx    context.Context
	g      *fakeGetter
	data   []byte
	pos    int
	closed bool
}

func (b *fakeBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.pos > 0 && b.g.stall {
		<-b.ctx.Done()
		return 0, b.ctx.Err()
	}
	if b.pos == len(b.data) {
		return 0, io.EOF
	}
	if c := b.g.chunk; c > 0 && len(p) > c {
		p = p[:c]
	}
	n := copy(p, b.data[b.pos:])
	b.pos += n
	return n, nil
}

func (b *fakeBody) Close() error {
	b.g.mu.Lock()
	defer b.g.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.g.open--
		b.g.inFlight--
	}
	return nil
}

// fakeLocator follows the lockfile's resolved URL or derives npm's.
type fakeLocator struct{ err error }

func (l fakeLocator) TarballURL(name, version, resolved string) (string, error) {
	if l.err != nil {
		return "", l.err
	}
	if resolved != "" {
		return resolved, nil
	}
	return "https://registry.test/" + name + "/-/" + name + "-" + version + ".tgz", nil
}

func urlOf(name, version string) string {
	u, _ := fakeLocator{}.TarballURL(name, version, "")
	return u
}

// archive returns deterministic bytes and a registry package whose
// integrity is their sha512, computed with crypto/sha512 directly.
func archive(name string, n int) ([]byte, lock.Package) {
	h := fnv.New64a()
	io.WriteString(h, name)
	r := rand.New(rand.NewPCG(h.Sum64(), uint64(n)))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	sum := sha512.Sum512(data)
	return data, lock.Package{
		Ecosystem: lock.NPM,
		Name:      name,
		Version:   "1.2.3",
		Path:      "node_modules/" + name,
		Source:    lock.SourceRegistry,
		Integrity: "sha512-" + base64.StdEncoding.EncodeToString(sum[:]),
	}
}

func newFetcher(t testing.TB) (*Fetcher, *fakeGetter) {
	t.Helper()
	c, err := cache.Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	g := newGetter()
	return &Fetcher{Getter: g, Locator: fakeLocator{}, Cache: c}, g
}

// collect is a consume that records each call's bytes.
type collect struct {
	calls [][]byte
	err   error // returned after reading
	limit int   // read at most this many bytes; 0 means all
}

func (c *collect) consume(r io.Reader) error {
	if c.limit > 0 {
		r = io.LimitReader(r, int64(c.limit))
	}
	b, err := io.ReadAll(r)
	c.calls = append(c.calls, b)
	if err != nil {
		return err
	}
	return c.err
}

func cacheFiles(t *testing.T, f *Fetcher) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(f.Cache.Dir(), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func wantDigest(t *testing.T, pkg lock.Package) verify.Digest {
	t.Helper()
	integ, err := verify.ParseSRI(pkg.Integrity)
	if err != nil {
		t.Fatal(err)
	}
	return integ.Strongest()
}

func TestMissThenHit(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 50000)
	g.serve(urlOf("foo", "1.2.3"), data)
	g.chunk = 777

	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if res.FromCache || res.URL != urlOf("foo", "1.2.3") || res.Bytes != int64(len(data)) || res.Refetched || res.Corrupt != nil {
		t.Errorf("first fetch: %+v", res)
	}
	if res.Digest.String() != pkg.Integrity {
		t.Errorf("Digest = %s, want %s", res.Digest, pkg.Integrity)
	}
	if len(c.calls) != 1 || !bytes.Equal(c.calls[0], data) {
		t.Fatal("consume did not see the archive")
	}
	if files := cacheFiles(t, f); len(files) != 1 || filepath.Base(files[0]) != wantDigest(t, pkg).Hex() {
		t.Fatalf("cache holds %v, want just the blob", files)
	}

	res, err = f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FromCache || res.URL != "" || res.Bytes != int64(len(data)) {
		t.Errorf("second fetch: %+v", res)
	}
	if len(c.calls) != 2 || !bytes.Equal(c.calls[1], data) {
		t.Fatal("consume did not see the cached archive")
	}
	if n := g.total(); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
	if g.open != 0 {
		t.Errorf("%d response bodies left open", g.open)
	}
}

func TestRealTarball(t *testing.T) {
	tgz, err := os.ReadFile("testdata/is-number-7.0.0.tgz")
	if err != nil {
		t.Fatal(err)
	}
	const resolved = "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz"
	pkg := lock.Package{
		Ecosystem: lock.NPM, Name: "is-number", Version: "7.0.0", Path: "node_modules/is-number",
		Source: lock.SourceRegistry, Resolved: resolved,
		Integrity: "sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==",
	}
	f, g := newFetcher(t)
	g.serve(resolved, tgz)

	// A consumer like the real one: gunzip and walk the tar, stopping at
	// the end-of-archive marker and leaving the gzip trailer unread.
	var names []string
	listTar := func(r io.Reader) error {
		names = nil
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		zr.Multistream(false)
		tr := tar.NewReader(zr)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			names = append(names, h.Name)
		}
	}
	for _, wantCache := range []bool{false, true} {
		res, err := f.Fetch(context.Background(), pkg, listTar)
		if err != nil {
			t.Fatal(err)
		}
		if res.FromCache != wantCache || res.Bytes != int64(len(tgz)) {
			t.Errorf("%+v", res)
		}
		if !strings.Contains(strings.Join(names, " "), "package/package.json") {
			t.Errorf("tar entries %v", names)
		}
	}
}

func TestCorruptCacheOnlineRefetches(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 10000)
	g.serve(urlOf("foo", "1.2.3"), data)
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		t.Fatal(err)
	}
	blob := cacheFiles(t, f)[0]
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0x10
	os.Remove(blob)
	os.WriteFile(blob, bad, 0o444)

	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refetched || res.FromCache || res.Corrupt == nil || res.Corrupt.Path != blob {
		t.Fatalf("result %+v, want a refetch reporting the corrupt blob", res)
	}
	sum := sha512.Sum512(bad)
	if !bytes.Equal(res.Corrupt.Got.Sum, sum[:]) || res.Corrupt.Want.String() != pkg.Integrity {
		t.Errorf("Corrupt reports want %s got %s", res.Corrupt.Want, res.Corrupt.Got)
	}
	if len(c.calls) != 2 || !bytes.Equal(c.calls[0], bad) || !bytes.Equal(c.calls[1], data) {
		t.Fatalf("consume calls: %d; want the corrupt bytes, then the good ones", len(c.calls))
	}
	if got, _ := os.ReadFile(blob); !bytes.Equal(got, data) {
		t.Error("the cache was not repaired")
	}
}

func TestCorruptCacheOffline(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 10000)
	g.serve(urlOf("foo", "1.2.3"), data)
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		t.Fatal(err)
	}
	blob := cacheFiles(t, f)[0]
	os.Remove(blob)
	os.WriteFile(blob, data[:100], 0o444)

	f.Offline = true
	var c collect
	_, err := f.Fetch(context.Background(), pkg, c.consume)
	var nc *NotCachedError
	if !errors.As(err, &nc) || !errors.Is(err, ErrNotCached) || !errors.Is(err, cache.ErrCorrupt) || nc.Corrupt == nil {
		t.Fatalf("err = %v, want a *NotCachedError carrying the corrupt blob", err)
	}
	for _, s := range []string{"foo@1.2.3", "corrupt", pkg.Integrity, "the same command once without --offline"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	if len(c.calls) != 1 || g.total() != 1 {
		t.Errorf("consume called %d times, %d downloads; want 1 and 1", len(c.calls), g.total())
	}
	if files := cacheFiles(t, f); len(files) != 0 {
		t.Errorf("corrupt blob kept: %v", files)
	}
}

func TestOfflineMiss(t *testing.T) {
	f, g := newFetcher(t)
	_, pkg := archive("foo", 100)
	f.Offline = true
	_, err := f.Fetch(context.Background(), pkg, nil)
	want := "foo@1.2.3 is not in the cache (" + pkg.Integrity + ") and --offline forbids the network; run the same command once without --offline, while online, to fill the cache"
	if !errors.Is(err, ErrNotCached) || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	if g.total() != 0 {
		t.Error("offline fetch used the network")
	}
}

func TestNetworkMismatch(t *testing.T) {
	data, pkg := archive("foo", 20000)
	evil := bytes.Clone(data)
	evil[0] ^= 1
	tests := []struct {
		name      string
		bodies    [][]byte
		wantErr   bool
		wantCalls int
	}{
		{"mismatch twice", [][]byte{evil}, true, 2},
		{"mismatch, then good", [][]byte{evil, data}, false, 2},
		{"truncated twice", [][]byte{data[:len(data)-1]}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, g := newFetcher(t)
			url := urlOf("foo", "1.2.3")
			g.serve(url, tt.bodies...)
			var c collect
			res, err := f.Fetch(context.Background(), pkg, c.consume)
			if g.calls[url] != tt.wantCalls || len(c.calls) != tt.wantCalls {
				t.Errorf("%d downloads, %d consume calls; want %d", g.calls[url], len(c.calls), tt.wantCalls)
			}
			if res.Mismatched == nil || res.Mismatched.URL != url {
				t.Errorf("Result.Mismatched = %v, want the first attempt's mismatch", res.Mismatched)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				if len(cacheFiles(t, f)) != 1 {
					t.Error("good retry not cached")
				}
				return
			}
			var ie *IntegrityError
			if !errors.As(err, &ie) || !errors.Is(err, verify.ErrIntegrity) {
				t.Fatalf("err = %v, want an *IntegrityError", err)
			}
			sum := sha512.Sum512(tt.bodies[len(tt.bodies)-1])
			if ie.Package != "foo@1.2.3" || ie.URL != url || ie.Want.String() != pkg.Integrity || !bytes.Equal(ie.Got.Sum, sum[:]) {
				t.Errorf("IntegrityError %+v", ie)
			}
			for _, s := range []string{"verifying foo@1.2.3: integrity mismatch", "lockfile:   " + pkg.Integrity, "downloaded: " + ie.Got.String(), "from:       " + url, "SECURITY ERROR", "npm install --package-lock-only"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q:\n%s", s, err)
				}
			}
			if files := cacheFiles(t, f); len(files) != 0 {
				t.Errorf("mismatching bytes left in the cache: %v", files)
			}
		})
	}
}

var errConsume = errors.New("consume failed")

func TestConsumeErrorVersusMismatch(t *testing.T) {
	data, pkg := archive("foo", 30000)
	evil := bytes.Clone(data)
	evil[len(evil)-1] ^= 1 // in the part consume does not read
	tests := []struct {
		name      string
		body      []byte
		consume   collect
		wantErr   error
		wantCache bool
	}{
		{"consume fails, bytes good", data, collect{err: errConsume, limit: 100}, errConsume, true},
		{"consume fails, bytes bad", evil, collect{err: errConsume, limit: 100}, verify.ErrIntegrity, false},
		{"consume stops early, bytes good", data, collect{limit: 100}, nil, true},
		{"consume stops early, bytes bad past that", evil, collect{limit: 100}, verify.ErrIntegrity, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, g := newFetcher(t)
			g.serve(urlOf("foo", "1.2.3"), tt.body)
			res, err := f.Fetch(context.Background(), pkg, tt.consume.consume)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if errors.Is(tt.wantErr, verify.ErrIntegrity) && errors.Is(err, errConsume) {
				t.Error("consume's error reported instead of the mismatch")
			}
			if res.Bytes != int64(len(tt.body)) {
				t.Errorf("Bytes = %d: the remainder was not drained", res.Bytes)
			}
			files := cacheFiles(t, f)
			if tt.wantCache != (len(files) == 1) || len(files) > 1 {
				t.Errorf("cache holds %v, want blob cached = %v", files, tt.wantCache)
			}
			if tt.wantCache && len(files) == 1 {
				// The cached copy is whole even though consume read 100 bytes.
				if got, _ := os.ReadFile(files[0]); !bytes.Equal(got, data) {
					t.Error("cached blob is not the whole archive")
				}
			}
		})
	}
}

func TestConsumeErrorFromCache(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 3000)
	g.serve(urlOf("foo", "1.2.3"), data)
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		t.Fatal(err)
	}
	c := collect{err: errConsume, limit: 10}
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if !errors.Is(err, errConsume) || !res.FromCache {
		t.Fatalf("err = %v, res = %+v; want consume's error from a cache hit", err, res)
	}
	if len(cacheFiles(t, f)) != 1 {
		t.Error("a good blob was removed because consume failed")
	}
}

func TestCancelMidStream(t *testing.T) {
	for _, stall := range []bool{false, true} {
		t.Run(fmt.Sprintf("stall=%v", stall), func(t *testing.T) {
			f, g := newFetcher(t)
			data, pkg := archive("foo", 100000)
			g.serve(urlOf("foo", "1.2.3"), data)
			g.chunk = 1000
			g.stall = stall
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			consume := func(r io.Reader) error {
				buf := make([]byte, 1000)
				if _, err := io.ReadFull(r, buf); err != nil {
					return err
				}
				// The user presses Ctrl-C mid-download.
				cancel()
				_, err := io.Copy(io.Discard, r)
				return err
			}
			_, err := f.Fetch(ctx, pkg, consume)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if files := cacheFiles(t, f); len(files) != 0 {
				t.Errorf("debris after cancel: %v", files)
			}
			if g.open != 0 {
				t.Errorf("%d response bodies left open", g.open)
			}
		})
	}
}

func TestTooLarge(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 5000)
	g.serve(urlOf("foo", "1.2.3"), data)
	f.MaxBytes = 4999
	_, err := f.Fetch(context.Background(), pkg, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if files := cacheFiles(t, f); len(files) != 0 {
		t.Errorf("oversized download cached: %v", files)
	}
	f.MaxBytes = 5000
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		t.Errorf("at exactly the limit: %v", err)
	}
}

func TestRefusedInputs(t *testing.T) {
	_, good := archive("foo", 10)
	withIntegrity := func(s string) lock.Package { p := good; p.Integrity = s; return p }
	git := good
	git.Source = lock.SourceGit
	tests := []struct {
		name    string
		pkg     lock.Package
		is      error
		mention []string
	}{
		{"no integrity", withIntegrity(""), verify.ErrBadIntegrity, []string{"foo@1.2.3", "node_modules/foo", "no integrity", "npm install --package-lock-only"}},
		{"malformed integrity", withIntegrity("sha512-nope"), verify.ErrBadIntegrity, []string{"foo@1.2.3", "sha512-nope", "npm install --package-lock-only"}},
		{"only unknown algorithms", withIntegrity("md5-XrY7u+Ae7tCTyyK7j1rNww=="), verify.ErrBadIntegrity, []string{"unusable"}},
		{"git source", git, ErrNotRegistry, []string{"foo@1.2.3", "git"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, g := newFetcher(t)
			called := false
			_, err := f.Fetch(context.Background(), tt.pkg, func(io.Reader) error { called = true; return nil })
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			for _, s := range tt.mention {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
			if called || g.total() != 0 {
				t.Error("refused input reached consume or the network")
			}
		})
	}
}

func TestGetterAndLocatorErrors(t *testing.T) {
	_, pkg := archive("foo", 10)
	f, g := newFetcher(t)
	_, err := f.Fetch(context.Background(), pkg, nil)
	var se *client.StatusError
	if !errors.As(err, &se) || se.Code != 404 {
		t.Fatalf("err = %v, want the Getter's typed error", err)
	}
	if !strings.Contains(err.Error(), "foo@1.2.3") || !strings.Contains(err.Error(), urlOf("foo", "1.2.3")) {
		t.Errorf("message %q does not name package and URL", err)
	}

	errLocate := errors.New("no registry for scope")
	f.Locator = fakeLocator{err: errLocate}
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, errLocate) || !strings.Contains(err.Error(), "foo@1.2.3") {
		t.Errorf("err = %v, want the Locator's error naming the package", err)
	}
	if g.total() != 1 {
		t.Errorf("%d downloads", g.total())
	}
}

func TestWeakAndNoCache(t *testing.T) {
	data := []byte("legacy package")
	sum := sha1.Sum(data)
	pkg := lock.Package{Name: "old", Version: "0.1.0", Source: lock.SourceRegistry,
		Integrity: "sha1-" + base64.StdEncoding.EncodeToString(sum[:])}
	g := newGetter()
	g.serve(urlOf("old", "0.1.0"), data)
	f := &Fetcher{Getter: g, Locator: fakeLocator{}}
	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil || res.Digest.Algorithm != "sha1" || !bytes.Equal(c.calls[0], data) {
		t.Fatalf("sha1-only, no cache: %+v, %v", res, err)
	}
	g.serve(urlOf("old", "0.1.0"), []byte("tampered"))
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, verify.ErrIntegrity) {
		t.Fatalf("without a cache a mismatch must still fail: %v", err)
	}
	f.Offline = true
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, ErrNotCached) {
		t.Fatalf("offline without a cache: %v", err)
	}
}

func TestFetchAll(t *testing.T) {
	f, g := newFetcher(t)
	var pkgs []lock.Package
	want := map[string][]byte{}
	for i := range 40 {
		data, pkg := archive(fmt.Sprintf("p%02d", i), 1000+i)
		g.serve(urlOf(pkg.Name, pkg.Version), data)
		want[pkg.Path] = data
		pkgs = append(pkgs, pkg)
		if i%10 == 0 {
			// The same archive at a nested install path, as npm lockfiles
			// list duplicates.
			dup := pkg
			dup.Path = "node_modules/x/" + pkg.Path
			want[dup.Path] = data
			pkgs = append(pkgs, dup)
		}
	}
	g.chunk = 100
	var mu sync.Mutex
	got := map[string][]byte{}
	var done []string
	err := f.FetchAll(context.Background(), pkgs, 4, func(p lock.Package, r io.Reader) error {
		b, err := io.ReadAll(r)
		mu.Lock()
		got[p.Path] = b
		mu.Unlock()
		return err
	}, func(p lock.Package, r Result) {
		done = append(done, p.Path) // unsynchronised on purpose: done calls are serial
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != len(pkgs) || len(got) != len(pkgs) {
		t.Fatalf("done %d, consumed %d, want %d", len(done), len(got), len(pkgs))
	}
	for path, data := range want {
		if !bytes.Equal(got[path], data) {
			t.Errorf("%s: wrong bytes", path)
		}
	}
	if n := g.total(); n != 40 {
		t.Errorf("%d downloads for 40 distinct archives", n)
	}
	if g.maxInFlight > 4 {
		t.Errorf("%d downloads in flight, limit 4", g.maxInFlight)
	}
}

func TestFetchAllStopsAtFirstFailure(t *testing.T) {
	f, g := newFetcher(t)
	var pkgs []lock.Package
	for i := range 30 {
		data, pkg := archive(fmt.Sprintf("q%02d", i), 5000)
		if i == 3 {
			data = []byte("tampered")
		}
		g.serve(urlOf(pkg.Name, pkg.Version), data)
		pkgs = append(pkgs, pkg)
	}
	g.chunk = 10
	err := f.FetchAll(context.Background(), pkgs, 2, nil, nil)
	var ie *IntegrityError
	if !errors.As(err, &ie) || ie.Package != "q03@1.2.3" {
		t.Fatalf("err = %v, want q03's integrity error", err)
	}
	if g.total() >= 30 {
		t.Errorf("%d downloads: fetching did not stop", g.total())
	}
	if g.open != 0 {
		t.Errorf("%d response bodies still open after FetchAll returned", g.open)
	}
	for _, p := range cacheFiles(t, f) {
		if strings.Contains(p, cache.TempPrefix) {
			t.Errorf("debris: %s", p)
		}
	}
}

func TestFetchAllCancelWhileWaitingForDuplicate(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("dup", 5000)
	g.serve(urlOf("dup", "1.2.3"), data)
	g.chunk = 100
	g.stall = true // the first fetch hangs until cancelled
	dup := pkg
	dup.Path = "node_modules/a/node_modules/dup"
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	var once sync.Once
	errc := make(chan error, 1)
	go func() {
		errc <- f.FetchAll(ctx, []lock.Package{pkg, dup}, 2, func(p lock.Package, r io.Reader) error {
			once.Do(func() { close(started) })
			_, err := io.Copy(io.Discard, r)
			return err
		}, nil)
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(f.inflight.m) != 0 {
		t.Errorf("in-flight table not emptied: %v", f.inflight.m)
	}
}

func BenchmarkFetchNetwork(b *testing.B) {
	data, pkg := archive("bench", 8<<20)
	f, g := newFetcher(b)
	g.serve(urlOf("bench", "1.2.3"), data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
			b.Fatal(err)
		}
		name := blobName(b, pkg)
		os.Remove(filepath.Join(f.Cache.Dir(), "blobs", "sha512", name[:2], name))
	}
}

func BenchmarkFetchCacheHit(b *testing.B) {
	data, pkg := archive("bench", 8<<20)
	f, g := newFetcher(b)
	g.serve(urlOf("bench", "1.2.3"), data)
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		res, err := f.Fetch(context.Background(), pkg, func(r io.Reader) error {
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil || !res.FromCache {
			b.Fatal(err)
		}
	}
}

// blobName returns pkg's blob file name (hex of the sha512).
func blobName(b *testing.B, pkg lock.Package) string {
	integ, err := verify.ParseSRI(pkg.Integrity)
	if err != nil {
		b.Fatal(err)
	}
	return integ.Strongest().Hex()
}

func TestCancelDuringCacheRead(t *testing.T) {
	f, g := newFetcher(t)
	data, pkg := archive("foo", 100000)
	g.serve(urlOf("foo", "1.2.3"), data)
	if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := f.Fetch(ctx, pkg, func(r io.Reader) error {
		io.ReadFull(r, make([]byte, 10))
		cancel()
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if files := cacheFiles(t, f); len(files) != 1 {
		t.Errorf("cache holds %v: an interrupted read must neither drop nor add anything", files)
	}
	if g.total() != 1 {
		t.Errorf("%d downloads: a cancelled cache read must not fall back to the network", g.total())
	}
}
