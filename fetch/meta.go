package fetch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/safefile"
)

// metaDir is the cache subdirectory for registry metadata. It lives beside
// blobs/ but is never used for integrity: a metadata entry is only a
// conditional-request validator and an offline fallback, and everything
// read from it is checked (signatures, the lockfile) like a fresh response.
const metaDir = "meta"

// MetaStore fetches registry metadata documents (packuments, signing keys)
// and keeps the last response of each with its ETag and Last-Modified, so
// the next request is conditional and a 304 costs no body. Safe for
// concurrent use: entries are replaced by rename, readers see old or new.
type MetaStore struct {
	Getter Getter
	// Dir is the cache root (the blob cache's Dir()); "" keeps nothing.
	Dir string
	// Offline answers from stored entries only.
	Offline bool
}

// ErrNoMetadata is matched by a Get that found nothing: a 404/410 from the
// registry, or no stored entry when offline.
var ErrNoMetadata = errors.New("no such metadata document")

// metaEntry is one stored response.
type metaEntry struct {
	URL          string    `json:"url"`
	Accept       string    `json:"accept"`
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	Fetched      time.Time `json:"fetched"`
	Body         []byte    `json:"body"`
}

// Get returns the document at u, asking with accept, capped at max bytes.
// It reports whether the bytes came from the store (a 304 or offline).
func (m *MetaStore) Get(ctx context.Context, u, accept string, max int64) (body []byte, stored bool, err error) {
	old := m.load(u, accept, max)
	if m.Offline {
		if old == nil {
			return nil, false, fmt.Errorf("%w: --offline and no cached copy of %s; run once online", ErrNoMetadata, client.Redact(u))
		}
		return old.Body, true, nil
	}
	if m.Getter == nil {
		return nil, false, errors.New("fetch: no HTTP client for registry metadata")
	}
	h := http.Header{}
	if accept != "" {
		h.Set("Accept", accept)
	}
	if old != nil {
		if old.ETag != "" {
			h.Set("If-None-Match", old.ETag)
		}
		if old.LastModified != "" {
			h.Set("If-Modified-Since", old.LastModified)
		}
	}
	resp, err := m.Getter.Get(ctx, u, h)
	if err != nil {
		var se *client.StatusError
		if errors.As(err, &se) {
			switch {
			case se.Code == http.StatusNotModified && old != nil:
				return old.Body, true, nil
			case se.Code == http.StatusNotFound || se.Code == http.StatusGone:
				return nil, false, fmt.Errorf("%w: %v", ErrNoMetadata, err)
			}
		}
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", client.Redact(u), err)
	}
	if int64(len(body)) > max {
		return nil, false, fmt.Errorf("%s: metadata document larger than %d bytes", client.Redact(u), max)
	}
	m.store(&metaEntry{URL: u, Accept: accept, ETag: resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"), Fetched: time.Now().UTC(), Body: body})
	return body, false, nil
}

func (m *MetaStore) path(u, accept string) string {
	sum := sha256.Sum256([]byte(u + "\n" + accept))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(m.Dir, metaDir, h[:2], h+".json")
}

// load returns the stored entry, or nil when there is none or it is
// unusable (a damaged entry is just a miss: the network answer replaces it).
func (m *MetaStore) load(u, accept string, max int64) *metaEntry {
	if m.Dir == "" {
		return nil
	}
	// base64 in JSON grows the body by a third; allow for it.
	data, err := safefile.Read(m.path(u, accept), max/3*4+64<<10)
	if err != nil {
		return nil
	}
	var e metaEntry
	if json.Unmarshal(data, &e) != nil || e.URL != u || e.Accept != accept {
		return nil
	}
	return &e
}

// store writes e atomically. Failing to store costs only the next
// request's 304, so errors are ignored.
func (m *MetaStore) store(e *metaEntry) {
	if m.Dir == "" {
		return
	}
	p := m.path(e.URL, e.Accept)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	data, err := json.Marshal(e)
	if err != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".airlock-tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
	}
}

// joinRegistry appends a registry-relative path to a registry base URL,
// which may itself have a path (https://host/api/npm/repo/).
func joinRegistry(registry, rel string) string {
	return strings.TrimSuffix(registry, "/") + "/" + strings.TrimPrefix(rel, "/")
}
