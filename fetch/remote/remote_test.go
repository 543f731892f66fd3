package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/testcas"
	"github.com/airlock-dev/airlock/verify"
)

func sha512Of(b []byte) verify.Digest {
	s := sha512.Sum512(b)
	return verify.Digest{Algorithm: "sha512", Sum: s[:]}
}

func sha256Of(b []byte) verify.Digest {
	s := sha256.Sum256(b)
	return verify.Digest{Algorithm: "sha256", Sum: s[:]}
}

func newClient(t *testing.T, srv *testcas.Server, edit func(*Options)) *Client {
	t.Helper()
	opts := Options{
		URL:      srv.URL + "/pool",
		ExtraCAs: []client.CABundle{{Source: "test", PEM: srv.CAPEM()}},
		Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil },
		Timeout:  2 * time.Second,
	}
	if edit != nil {
		edit(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// opener serves data as a verified local copy would.
func opener(data []byte) func() (io.ReadCloser, int64, error) {
	return func() (io.ReadCloser, int64, error) {
		return io.NopCloser(bytes.NewReader(data)), int64(len(data)), nil
	}
}

func flush(t *testing.T, c *Client) Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Flush(ctx)
}

func TestActionResultRoundTrip(t *testing.T) {
	ref := blobRef{SHA256: strings.Repeat("ab", 32), Size: 1 << 40}
	b := encodeActionResult(ref)
	got, err := decodeActionResult(b)
	if err != nil || got != ref {
		t.Fatalf("decode(encode(%v)) = %v, %v", ref, got, err)
	}
	// bazel-remote adds execution_metadata (field 9) with the worker's
	// address; an exit code (4, varint) and fixed-size fields are skipped.
	meta := appendLen(nil, 1, []byte("10.0.0.7"))
	extra := append(append([]byte{4<<3 | wireVarint, 0}, appendLen(nil, 9, meta)...), 7<<3|wireI32, 1, 2, 3, 4)
	if got, err := decodeActionResult(append(extra, b...)); err != nil || got != ref {
		t.Fatalf("with server metadata: %v, %v", got, err)
	}
	for name, bad := range map[string][]byte{
		"empty":      nil,
		"text":       []byte(strings.Repeat("ab", 32)),
		"truncated":  b[:len(b)-3],
		"other path": appendLen(nil, fieldOutputFiles, appendLen(appendLen(nil, fieldPath, []byte("x")), fieldDigest, nil)),
		"upper hex":  encodeActionResult(blobRef{SHA256: strings.Repeat("AB", 32), Size: 1}),
		"short hash": encodeActionResult(blobRef{SHA256: "abcd", Size: 1}),
		"group":      {1<<3 | 3},
	} {
		if _, err := decodeActionResult(bad); !errors.Is(err, errBadAC) {
			t.Errorf("%s: err = %v, want errBadAC", name, err)
		}
	}
}

func TestRoundTripSHA512(t *testing.T) {
	srv := testcas.New(t)
	srv.Token = "s3cret"
	data := []byte("an npm tarball")
	want := sha512Of(data)
	c := newClient(t, srv, func(o *Options) { o.Token = "s3cret" })

	body, _, err := c.Get(context.Background(), want)
	if body != nil || err != nil {
		t.Fatalf("empty cache: Get = %v, %v; want a miss", body, err)
	}
	c.Offer(want, opener(data))
	st := flush(t, c)
	if st.Uploaded != 1 || st.Failed != 0 || st.UploadErr != nil {
		t.Fatalf("stats %+v, want one upload", st)
	}
	cas := sha256Of(data).Hex()
	if b, ok := srv.Blob("cas/" + cas); !ok || !bytes.Equal(b, data) {
		t.Fatalf("CAS holds %q, %v", b, ok)
	}
	// The CAS blob is written before the AC entry that points at it.
	var order []string
	for _, r := range srv.Requests() {
		if r.Authorization != "Bearer s3cret" {
			t.Errorf("%s %s without the token", r.Method, r.Path)
		}
		order = append(order, r.Method+" "+r.Path[:strings.LastIndex(r.Path, "/")])
	}
	wantOrder := "GET /pool/ac,HEAD /pool/cas,PUT /pool/cas,PUT /pool/ac"
	if got := strings.Join(order, ","); got != wantOrder {
		t.Errorf("requests %s, want %s", got, wantOrder)
	}

	c2 := newClient(t, srv, func(o *Options) { o.Token = "s3cret" })
	body, u, err := c2.Get(context.Background(), want)
	if err != nil || body == nil {
		t.Fatalf("Get after upload = %v, %v", body, err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(got, data) || !strings.HasSuffix(u, "/pool/cas/"+cas) {
		t.Errorf("Get = %q from %s", got, u)
	}
	// Offering what the remote holds sends no archive again.
	c2.Offer(want, opener(data))
	if st := flush(t, c2); st.Present != 1 || st.Uploaded != 0 || st.Hits != 1 {
		t.Errorf("second run stats %+v", st)
	}
}

func TestSHA256NeedsNoAC(t *testing.T) {
	srv := testcas.New(t)
	data := []byte("a wheel")
	want := sha256Of(data)
	c := newClient(t, srv, nil)
	c.Offer(want, opener(data))
	flush(t, c)
	if keys := srv.Keys(); len(keys) != 1 || keys[0] != "cas/"+want.Hex() {
		t.Fatalf("stored %v, want only the CAS blob", keys)
	}
	body, _, err := newClient(t, srv, nil).Get(context.Background(), want)
	if err != nil || body == nil {
		t.Fatalf("Get = %v, %v", body, err)
	}
	body.Close()
}

func TestUploadOfUnverifiableLocalCopyStoresNothing(t *testing.T) {
	srv := testcas.New(t)
	data := []byte("verified once, altered since")
	want := sha512Of(data)
	c := newClient(t, srv, nil)
	broken := errors.New("cache: blob no longer matches")
	c.Offer(want, func() (io.ReadCloser, int64, error) {
		return io.NopCloser(io.MultiReader(bytes.NewReader(data[:5]), errReader{broken})), int64(len(data)), nil
	})
	st := flush(t, c)
	if st.Failed != 1 || st.UploadErr != nil {
		t.Errorf("stats %+v: a local failure counts, but does not stop uploads", st)
	}
	if keys := srv.Keys(); len(keys) != 0 {
		t.Errorf("remote holds %v after an unverifiable upload", keys)
	}
	if n := srv.Count(http.MethodPut, "/"); n != 0 {
		t.Errorf("%d PUTs answered", n)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestSlowRemoteIsSkippedOnce(t *testing.T) {
	srv := testcas.New(t)
	srv.Delay(3 * time.Second)
	c := newClient(t, srv, func(o *Options) { o.Timeout = 200 * time.Millisecond })
	start := time.Now()
	_, _, err := c.Get(context.Background(), sha512Of([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "not using the remote cache") {
		t.Fatalf("slow remote: err = %v", err)
	}
	body, _, err := c.Get(context.Background(), sha512Of([]byte("y")))
	if body != nil || err != nil {
		t.Fatalf("after it was marked down: %v, %v; want a quiet miss", body, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two lookups took %s", d)
	}
	c.Offer(sha512Of([]byte("y")), opener([]byte("y")))
	if st := flush(t, c); st.Dropped != 1 || st.Err == nil {
		t.Errorf("stats %+v: uploads to a down remote are dropped, Err says why", st)
	}
}

func TestStalledBody(t *testing.T) {
	data := []byte("half of it")
	want := sha256Of(data)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write(data[:4])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL, Timeout: 200 * time.Millisecond, Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		ExtraCAs: []client.CABundle{{Source: "test", PEM: pemOf(srv)}}})
	if err != nil {
		t.Fatal(err)
	}
	body, _, err := c.Get(context.Background(), want)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, err = io.ReadAll(body)
	var down *DownError
	if !errors.Is(err, errStalled) || !errors.As(err, &down) {
		t.Errorf("stalled body: %v; want the DownError that gives up on the remote", err)
	}
	if !c.down.Load() {
		t.Error("a stalled remote is not marked down")
	}
}

func TestRefusedCredentialsAndRedirects(t *testing.T) {
	srv := testcas.New(t)
	srv.Token = "right"
	c := newClient(t, srv, func(o *Options) { o.Token = "wrong" })
	_, _, err := c.Get(context.Background(), sha512Of([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Errorf("401: %v", err)
	}

	other := testcas.New(t)
	redir := httptest.NewTLSServer(http.RedirectHandler(other.URL+"/cas/"+strings.Repeat("0", 64), http.StatusFound))
	defer redir.Close()
	c, err = New(Options{URL: redir.URL, Token: "tok", Proxy: func(*http.Request) (*url.URL, error) { return nil, nil },
		ExtraCAs: []client.CABundle{{Source: "test", PEM: pemOf(redir)}, {Source: "other", PEM: other.CAPEM()}}})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Get(context.Background(), sha256Of([]byte("x")))
	if err == nil || !strings.Contains(err.Error(), "does not follow") {
		t.Errorf("redirect: %v", err)
	}
	if n := len(other.Requests()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestBadACEntryIsReplaced(t *testing.T) {
	srv := testcas.New(t)
	data := []byte("tarball")
	want := sha512Of(data)
	srv.Set("ac/"+acKey(want), []byte("garbage"))
	c := newClient(t, srv, nil)
	_, _, err := c.Get(context.Background(), want)
	if !errors.Is(err, errBadAC) {
		t.Fatalf("garbage AC: %v", err)
	}
	if c.down.Load() {
		t.Error("a bad entry marked the whole remote down")
	}
	c.Offer(want, opener(data))
	st := flush(t, c)
	if st.Rejected != 1 || st.Uploaded != 1 {
		t.Errorf("stats %+v", st)
	}
	ac, _ := srv.Blob("ac/" + acKey(want))
	if ref, err := decodeActionResult(ac); err != nil || ref.SHA256 != sha256Of(data).Hex() {
		t.Errorf("AC not rewritten: %v, %v", ref, err)
	}
}

func TestRejectedBlobIsOverwritten(t *testing.T) {
	srv := testcas.New(t)
	data := []byte("the real archive")
	want := sha256Of(data)
	srv.Set("cas/"+want.Hex(), []byte("poison"))
	c := newClient(t, srv, nil)
	body, _, _ := c.Get(context.Background(), want)
	body.Close()
	c.Reject(want, errors.New("mismatch"))
	c.Offer(want, opener(data))
	flush(t, c)
	if b, _ := srv.Blob("cas/" + want.Hex()); !bytes.Equal(b, data) {
		t.Errorf("CAS still holds %q", b)
	}
	if n := srv.Count(http.MethodHead, "/cas/"); n != 0 {
		t.Errorf("%d HEADs: a rejected blob is replaced without asking", n)
	}
}

func TestReadOnlyAndQueueBound(t *testing.T) {
	srv := testcas.New(t)
	c := newClient(t, srv, func(o *Options) { o.ReadOnly = true })
	c.Offer(sha256Of([]byte("a")), opener([]byte("a")))
	flush(t, c)
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("read-only client sent %d requests", n)
	}

	srv.Delay(300 * time.Millisecond)
	c = newClient(t, srv, func(o *Options) { o.UploadJobs = 1; o.MaxQueued = 2 })
	start := time.Now()
	for i := range 10 {
		b := []byte{byte(i)}
		c.Offer(sha256Of(b), opener(b))
	}
	// Blocking on uploads would take at least 8 x 300 ms with one upload
	// job and two queue slots; anything well below that proves Offer does
	// not wait, however loaded the machine.
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Offer blocked for %s", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	st := c.Flush(ctx)
	if st.Dropped < 7 || st.Abandoned == 0 {
		t.Errorf("stats %+v: want most offers dropped, the rest abandoned at the deadline", st)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, u := range []string{"http://cache.example", "https://user:pw@cache.example", "https://", "https://c.example/?k=v", "::"} {
		if _, err := New(Options{URL: u}); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func pemOf(s *httptest.Server) []byte {
	return (&testcas.Server{Server: s}).CAPEM()
}

// FuzzDecodeActionResult: whatever a remote returns as an AC entry, decoding
// neither panics nor accepts a reference that is not a lowercase sha256.
func FuzzDecodeActionResult(f *testing.F) {
	f.Add(encodeActionResult(blobRef{SHA256: strings.Repeat("0f", 32), Size: 42}))
	f.Add([]byte{2<<3 | wireLen, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ref, err := decodeActionResult(b)
		if err != nil {
			return
		}
		if len(ref.SHA256) != 64 || !isLowerHex(ref.SHA256) || ref.Size < 0 {
			t.Fatalf("accepted %+v", ref)
		}
		if again, err := decodeActionResult(encodeActionResult(ref)); err != nil || again != ref {
			t.Fatalf("round trip of %+v: %+v, %v", ref, again, err)
		}
	})
}
