package testregistry

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/verify"
)

func getJSON(t *testing.T, r *Registry, path string, v any) int {
	t.Helper()
	resp, err := r.Client().Get(r.URL() + path[1:])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// TestSignerSignsLikeNpm checks the signer's output with verify, the code
// airlock uses, in the registry's real formats.
func TestSignerSignsLikeNpm(t *testing.T) {
	s, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	r := New(t, WithSigner(s))
	var raw json.RawMessage
	if code := getJSON(t, r, "/-/npm/v1/keys", &raw); code != 200 {
		t.Fatalf("keys: HTTP %d", code)
	}
	keys, err := verify.ParseKeys(raw)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	type doc struct {
		Versions map[string]struct {
			Dist struct {
				Integrity  string
				Signatures []verify.Signature
			}
		}
		Time map[string]string
	}
	check := func(published time.Time) error {
		var d doc
		getJSON(t, r, "/ms", &d)
		v := d.Versions["2.1.3"]
		return func() error {
			_, err := verify.VerifyRegistrySignatures(keys, "ms", "2.1.3", v.Dist.Integrity, v.Dist.Signatures, published)
			return err
		}()
	}
	if err := check(DefaultTime); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	for _, how := range []string{"bad", "unknown-key", "unsigned"} {
		if err := s.Tamper("ms@2.1.3", how); err != nil {
			t.Fatal(err)
		}
		if err := check(DefaultTime); err == nil {
			t.Errorf("%s: verified", how)
		}
	}
	s.Tamper("ms@2.1.3", "off")

	// Rotation: the old key expires; a version published before keeps a
	// valid old-key signature, one published after gets the new key.
	expiry := DefaultTime.Add(24 * time.Hour)
	if err := s.Rotate(expiry); err != nil {
		t.Fatal(err)
	}
	getJSON(t, r, "/-/npm/v1/keys", &raw)
	if keys, err = verify.ParseKeys(raw); err != nil || len(keys) != 2 || keys[0].Expires != expiry {
		t.Fatalf("rotated keys: %v, %v", keys, err)
	}
	if err := check(DefaultTime); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	late := expiry.Add(time.Hour)
	s.SetTime("ms@2.1.3", late)
	var d doc
	getJSON(t, r, "/ms", &d)
	if d.Time["2.1.3"] != "2020-01-02T01:00:00.000Z" {
		t.Fatalf("time = %q", d.Time["2.1.3"])
	}
	if err := check(late); err != nil {
		t.Fatalf("after expiry, new key: %v", err)
	}
	s.Tamper("ms@2.1.3", "expired-key")
	if err := check(late); err == nil {
		t.Fatal("an expired key's signature on a later version verified")
	}

	s.SetEnabled(false)
	if code := getJSON(t, r, "/-/npm/v1/keys", &raw); code != 404 {
		t.Fatalf("disabled signer: keys HTTP %d", code)
	}
}
