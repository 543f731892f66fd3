package fetch

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/airlock-dev/airlock/fetch/client"
)

// maxAttestationsBytes caps an attestations document (npm's hold two
// Sigstore bundles of about 10 KB each).
const maxAttestationsBytes = 4 << 20

// Attestations fetches a version's attestations document (the packument's
// dist.attestations.url). The URL must be on the registry the packument
// came from: metadata may point anywhere, and an attestation fetched from
// another host would be that host's word (the bundle is still verified,
// but the request itself would leak what is being installed).
func (m *MetaStore) Attestations(ctx context.Context, registry, u string) ([]byte, error) {
	pu, err := url.Parse(u)
	ru, rerr := url.Parse(registry)
	if err != nil || rerr != nil || pu.Scheme != "https" || !strings.EqualFold(pu.Host, ru.Host) {
		return nil, fmt.Errorf("%w: dist.attestations.url %s is not on the registry %s; refusing to fetch it", ErrPackument, client.Redact(u), client.Redact(registry))
	}
	body, _, err := m.Get(ctx, u, "application/json", maxAttestationsBytes)
	if err != nil {
		return nil, fmt.Errorf("provenance attestations: %w", err)
	}
	return body, nil
}
