package fetch_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/testregistry"
)

func metaStore(t *testing.T, reg *testregistry.Registry, dir string) *fetch.MetaStore {
	t.Helper()
	ca, err := client.ReadCAFile(reg.CAFile(), "test")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Options{
		ExtraCAs:     []client.CABundle{ca},
		Proxy:        func(*http.Request) (*url.URL, error) { return nil, nil },
		RetryWaitMin: time.Millisecond, RetryWaitMax: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.CloseIdleConnections)
	return &fetch.MetaStore{Getter: cl, Dir: dir}
}

// Registry metadata is cached with its ETag: the second request is
// conditional and answered 304, and --offline reads the stored copy.
func TestMetaStoreConditionalAndOffline(t *testing.T) {
	s, err := testregistry.NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.SetTime("ms@2.1.3", published)
	reg := testregistry.New(t, testregistry.WithSigner(s))
	dir := t.TempDir()
	m := metaStore(t, reg, dir)
	ctx := context.Background()

	vm, err := m.VersionMetadata(ctx, reg.URL(), "ms", "2.1.3", true)
	if err != nil {
		t.Fatal(err)
	}
	if !vm.Found || vm.Integrity == "" || len(vm.Signatures) != 1 || !vm.Published.Equal(published) {
		t.Fatalf("VersionMetadata = %+v", vm)
	}
	// The abbreviated document has no time: the full one was asked too.
	var accepts []string
	for _, r := range reg.Requests() {
		if r.Path == "/ms" {
			accepts = append(accepts, r.Header.Get("Accept"))
		}
	}
	if len(accepts) != 2 || accepts[1] != "application/json" {
		t.Fatalf("packument requests with Accept %q", accepts)
	}

	reg.ResetRequests()
	if _, err := m.VersionMetadata(ctx, reg.URL(), "ms", "2.1.3", false); err != nil {
		t.Fatal(err)
	}
	reqs := reg.Requests()
	if len(reqs) != 1 || reqs[0].Status != http.StatusNotModified || reqs[0].Header.Get("If-None-Match") == "" {
		t.Fatalf("second request not conditional: %+v", reqs)
	}

	keys, published2, err := m.RegistryKeys(ctx, reg.URL())
	if err != nil || !published2 || len(keys) != 1 {
		t.Fatalf("RegistryKeys = %v, %v, %v", keys, published2, err)
	}

	reg.ResetRequests()
	off := &fetch.MetaStore{Dir: dir, Offline: true}
	if vm, err := off.VersionMetadata(ctx, reg.URL(), "ms", "2.1.3", true); err != nil || !vm.Published.Equal(published) {
		t.Fatalf("offline: %+v, %v", vm, err)
	}
	if len(reg.Requests()) != 0 {
		t.Fatal("offline reached the network")
	}
	if _, err := off.VersionMetadata(ctx, reg.URL(), "semver", "7.7.2", false); !errors.Is(err, fetch.ErrNoMetadata) {
		t.Fatalf("offline miss: %v", err)
	}
	// Nothing stored: every request is plain.
	if m2 := metaStore(t, reg, ""); m2 != nil {
		if _, err := m2.VersionMetadata(ctx, reg.URL(), "ms", "2.1.3", false); err != nil {
			t.Fatal(err)
		}
	}
}

// A registry without the keys route publishes no keys; that is not an
// error, but a keys document airlock cannot use is.
func TestRegistryKeysAbsentOrBad(t *testing.T) {
	reg := testregistry.New(t)
	m := metaStore(t, reg, t.TempDir())
	keys, published, err := m.RegistryKeys(context.Background(), reg.URL())
	if err != nil || published || keys != nil {
		t.Fatalf("no keys route: %v, %v, %v", keys, published, err)
	}
	bad := testregistry.New(t, testregistry.WithMiddleware(testregistry.Replace("/-/npm/v1/keys", []byte(`{"keys":[{"keyid":"x","keytype":"rsa","key":"AAAA"}]}`))))
	if _, _, err := metaStore(t, bad, "").RegistryKeys(context.Background(), bad.URL()); err == nil {
		t.Fatal("an unusable keys document was accepted")
	}
}
