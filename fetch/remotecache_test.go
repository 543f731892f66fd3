package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/remote"
	"github.com/airlock-dev/airlock/internal/testcas"
	"github.com/airlock-dev/airlock/verify"
)

func newRemote(t *testing.T, srv *testcas.Server, timeout time.Duration) *remote.Client {
	t.Helper()
	rc, err := remote.New(remote.Options{
		URL:      srv.URL,
		Token:    "team-token",
		ExtraCAs: []client.CABundle{{Source: "test", PEM: srv.CAPEM()}},
		Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil },
		Timeout:  timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func flushRemote(t *testing.T, rc *remote.Client) remote.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return rc.Flush(ctx)
}

// seedRemote fills srv through a first machine's fetch of data.
func seedRemote(t *testing.T, srv *testcas.Server, data []byte, pkgURL string, fetchPkg func(*Fetcher)) {
	t.Helper()
	f, g := newFetcher(t)
	g.serve(pkgURL, data)
	rc := newRemote(t, srv, 2*time.Second)
	f.Remote = rc
	fetchPkg(f)
	if st := flushRemote(t, rc); st.Uploaded != 1 {
		t.Fatalf("seeding: %+v", st)
	}
}

func TestRemoteHitVerified(t *testing.T) {
	srv := testcas.New(t)
	data, pkg := archive("shared", 5000)
	seedRemote(t, srv, data, urlOf(pkg.Name, pkg.Version), func(f *Fetcher) {
		if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
			t.Fatal(err)
		}
	})

	f, g := newFetcher(t)
	rc := newRemote(t, srv, 2*time.Second)
	f.Remote = rc
	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FromRemote || res.FromCache || g.total() != 0 {
		t.Errorf("result %+v, registry requests %d: want a remote hit", res, g.total())
	}
	if len(c.calls) != 1 || !bytes.Equal(c.calls[0], data) {
		t.Error("consume did not get the archive")
	}
	// The local cache kept the bytes: the next fetch asks no one.
	before := len(srv.Requests())
	res, err = f.Fetch(context.Background(), pkg, nil)
	if err != nil || !res.FromCache || len(srv.Requests()) != before {
		t.Errorf("second fetch: %+v, %v; remote requests %d -> %d", res, err, before, len(srv.Requests()))
	}
	if st := flushRemote(t, rc); st.Hits != 1 || st.Uploaded != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRemoteServesWrongBytes(t *testing.T) {
	srv := testcas.New(t)
	data, pkg := archive("poisoned", 5000)
	seedRemote(t, srv, data, urlOf(pkg.Name, pkg.Version), func(f *Fetcher) {
		if _, err := f.Fetch(context.Background(), pkg, nil); err != nil {
			t.Fatal(err)
		}
	})
	// Someone with write access to the shared cache swaps the archive.
	evil := bytes.Repeat([]byte("evil"), 1000)
	sum := sha256.Sum256(data)
	casKey := "cas/" + verify.Digest{Algorithm: "sha256", Sum: sum[:]}.Hex()
	srv.Set(casKey, evil)

	f, g := newFetcher(t)
	g.serve(urlOf(pkg.Name, pkg.Version), data)
	rc := newRemote(t, srv, 2*time.Second)
	f.Remote = rc
	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if res.RemoteBad == nil || res.FromRemote || !errors.Is(res.RemoteBad, verify.ErrIntegrity) {
		t.Fatalf("result %+v: want the remote's archive reported and bypassed", res)
	}
	if !strings.Contains(res.RemoteBad.Error(), srv.URL) {
		t.Errorf("report does not say where the bad bytes came from: %v", res.RemoteBad)
	}
	if g.total() != 1 || len(c.calls) != 2 || !bytes.Equal(c.calls[1], data) {
		t.Errorf("registry requests %d, consume calls %d: want the registry's bytes installed", g.total(), len(c.calls))
	}
	r, err := f.Cache.Get(wantDigest(t, pkg))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(); err != nil {
		t.Errorf("local cache: %v", err)
	}
	r.Close()
	st := flushRemote(t, rc)
	if st.Rejected != 1 || st.Hits != 0 || st.Uploaded != 1 {
		t.Errorf("stats %+v", st)
	}
	if b, _ := srv.Blob(casKey); !bytes.Equal(b, data) {
		t.Error("the poisoned blob was not replaced by the verified archive")
	}
}

func TestRemoteDownOrSlow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*testcas.Server)
	}{
		{"slow", func(s *testcas.Server) { s.Delay(5 * time.Second) }},
		{"5xx", func(s *testcas.Server) { s.Fail(http.StatusBadGateway) }},
		{"closed", func(s *testcas.Server) { s.Close() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testcas.New(t)
			tc.setup(srv)
			f, g := newFetcher(t)
			rc := newRemote(t, srv, 300*time.Millisecond)
			f.Remote = rc
			var pkgs [3]struct {
				data []byte
				err  error
			}
			start := time.Now()
			var warned int
			for i := range pkgs {
				data, pkg := archive("p"+string(rune('a'+i)), 1000)
				g.serve(urlOf(pkg.Name, pkg.Version), data)
				res, err := f.Fetch(context.Background(), pkg, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.RemoteErr != nil {
					warned++
				}
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("three fetches took %s", d)
			}
			if warned != 1 || g.total() != 3 {
				t.Errorf("warnings %d (want 1), registry requests %d (want 3)", warned, g.total())
			}
		})
	}
}

func TestRemoteGetsNothingUnverified(t *testing.T) {
	srv := testcas.New(t)
	_, pkg := archive("tampered", 3000)
	f, g := newFetcher(t)
	g.serve(urlOf(pkg.Name, pkg.Version), bytes.Repeat([]byte{1}, 3000))
	rc := newRemote(t, srv, 2*time.Second)
	f.Remote = rc
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, verify.ErrIntegrity) {
		t.Fatalf("err = %v", err)
	}
	flushRemote(t, rc)
	if n := srv.Count(http.MethodPut, "/"); n != 0 || len(srv.Keys()) != 0 {
		t.Errorf("%d PUTs, keys %v after a mismatching download", n, srv.Keys())
	}
}

func TestRemoteNotUsedOffline(t *testing.T) {
	srv := testcas.New(t)
	_, pkg := archive("offline", 100)
	f, _ := newFetcher(t)
	f.Offline = true
	f.Remote = newRemote(t, srv, time.Second)
	if _, err := f.Fetch(context.Background(), pkg, nil); !errors.Is(err, ErrNotCached) {
		t.Errorf("err = %v", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("offline fetch asked the remote cache %d times", n)
	}
}
