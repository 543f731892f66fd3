package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/testcas"
)

// The protocol against a real server: nginx with WebDAV PUT, which stores
// whatever it is given. Skipped where nginx is not installed.
func TestNginxWebDAV(t *testing.T) {
	ng := testcas.StartNginx(t, "nginx-token")
	newNginxClient := func(token string) *Client {
		c, err := New(Options{URL: ng.URL + "/cache", Token: token,
			ExtraCAs: []client.CABundle{{Source: "test", PEM: ng.CAPEM}},
			Proxy:    func(*http.Request) (*url.URL, error) { return nil, nil }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	data := bytes.Repeat([]byte("npm tarball "), 1000)
	want := sha512Of(data)

	c := newNginxClient("nginx-token")
	if body, _, err := c.Get(context.Background(), want); body != nil || err != nil {
		t.Fatalf("empty nginx: %v, %v; want a miss", body, err)
	}
	c.Offer(want, opener(data))
	if st := flush(t, c); st.Uploaded != 1 || st.UploadErr != nil {
		t.Fatalf("upload: %+v", st)
	}
	casFile := filepath.Join(ng.Root, "cache", "cas", sha256Of(data).Hex())
	if b, err := os.ReadFile(casFile); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("nginx stored %d bytes, %v", len(b), err)
	}

	c = newNginxClient("nginx-token")
	body, _, err := c.Get(context.Background(), want)
	if err != nil || body == nil {
		t.Fatalf("Get: %v, %v", body, err)
	}
	got, _ := io.ReadAll(body)
	body.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("nginx served other bytes")
	}
	c.Offer(want, opener(data))
	if st := flush(t, c); st.Present != 1 || st.Uploaded != 0 {
		t.Errorf("second upload: %+v (HEAD should find it)", st)
	}

	// nginx checks nothing: anyone who can write can poison. The client
	// hands the bytes back unverified (fetch.Fetcher rejects them); a
	// Reject makes the next upload overwrite the file.
	if err := os.WriteFile(casFile, []byte("poison"), 0o644); err != nil {
		t.Fatal(err)
	}
	c = newNginxClient("nginx-token")
	body, _, _ = c.Get(context.Background(), want)
	got, _ = io.ReadAll(body)
	body.Close()
	if string(got) != "poison" {
		t.Fatalf("got %q", got)
	}
	c.Reject(want, errors.New("mismatch"))
	c.Offer(want, opener(data))
	flush(t, c)
	if b, _ := os.ReadFile(casFile); !bytes.Equal(b, data) {
		t.Error("the poisoned file was not overwritten")
	}

	// Without the token nginx answers 401: reported once, then misses.
	c = newNginxClient("")
	if _, _, err := c.Get(context.Background(), want); err == nil {
		t.Error("401 from nginx was not reported")
	}
}
