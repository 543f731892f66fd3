package pypi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/airlock-dev/airlock/fetch/client"
)

// MaxProvenanceBytes caps a provenance object (PEP 740). PyPI's hold one
// or two attestations of about 10 KB.
const MaxProvenanceBytes = 4 << 20

// AcceptProvenance is the Accept header of PyPI's Integrity API.
const AcceptProvenance = "application/vnd.pypi.integrity.v1+json, application/json; q=0.9"

// ErrNoProvenance is matched by the error of GetProvenance when the index
// lists a provenance URL but answers 404 there.
var ErrNoProvenance = errors.New("the index serves no provenance object for the file")

// GetProvenance fetches f's provenance object from f.Provenance. The URL
// must be https and on the host of the index that listed f (PyPI serves
// it at /integrity/ beside /simple/): an index page may point anywhere,
// and a request to another host would tell it what is being installed.
// The object is verified by the caller (verify/provenance); nothing here
// trusts it.
func GetProvenance(ctx context.Context, g Getter, f File) ([]byte, error) {
	pu, err := url.Parse(f.Provenance)
	iu, ierr := url.Parse(f.Index)
	if f.Provenance == "" || err != nil || ierr != nil || pu.Scheme != "https" || !strings.EqualFold(pu.Host, iu.Host) {
		return nil, fmt.Errorf("%w: %s lists the provenance of %s at %q, which is not an https URL on the index's host; refusing to fetch it",
			ErrBadPage, client.Redact(f.Index), f.Filename, client.Redact(f.Provenance))
	}
	resp, err := g.Get(ctx, f.Provenance, http.Header{"Accept": {AcceptProvenance}})
	if err != nil {
		var se *client.StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
			return nil, fmt.Errorf("provenance of %s: %w (%s answered %d)", f.Filename, ErrNoProvenance, client.Redact(f.Provenance), se.Code)
		}
		return nil, fmt.Errorf("provenance of %s: %w", f.Filename, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxProvenanceBytes+1))
	if err != nil {
		return nil, fmt.Errorf("provenance of %s: %w", f.Filename, err)
	}
	if len(data) > MaxProvenanceBytes {
		return nil, fmt.Errorf("provenance of %s: %s is larger than %d bytes", f.Filename, client.Redact(f.Provenance), MaxProvenanceBytes)
	}
	return data, nil
}
