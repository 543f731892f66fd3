package fetch

import (
	"context"
	"errors"
	"testing"
)

// TestAttestationsOnlyFromTheRegistry: a packument that points its
// attestations at another host (or at plain http) is not followed; no
// request is made (the MetaStore has no client to make one).
func TestAttestationsOnlyFromTheRegistry(t *testing.T) {
	m := &MetaStore{}
	for _, u := range []string{
		"https://evil.example/-/npm/v1/attestations/ms@2.1.3",
		"http://registry.example/-/npm/v1/attestations/ms@2.1.3",
		"https://registry.example.evil/-/npm/v1/attestations/ms@2.1.3",
		"::not a url",
	} {
		_, err := m.Attestations(context.Background(), "https://registry.example/", u)
		if !errors.Is(err, ErrPackument) {
			t.Errorf("%s: got %v, want a refusal", u, err)
		}
	}
	// On the registry: asked (and here fails for want of a client).
	_, err := m.Attestations(context.Background(), "https://registry.example/", "https://registry.example/-/npm/v1/attestations/ms@2.1.3")
	if err == nil || errors.Is(err, ErrPackument) {
		t.Errorf("same host: got %v", err)
	}
}
