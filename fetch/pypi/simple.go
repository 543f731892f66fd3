package pypi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/airlock-dev/airlock/fetch/client"
)

// MaxPageBytes caps one simple-API page. PyPI's largest project pages
// (thousands of nightly wheels) are tens of MB.
const MaxPageBytes = 128 << 20

// Accept is the header pip sends: PEP 691 JSON first, PEP 503 HTML as the
// fallback an older index answers with.
const Accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"

const (
	contentJSON     = "application/vnd.pypi.simple.v1+json"
	contentHTMLv1   = "application/vnd.pypi.simple.v1+html"
	contentHTMLText = "text/html"
)

// ErrBadPage is matched by every error about an index page that cannot be read.
var ErrBadPage = errors.New("unreadable index page")

// Getter performs an HTTP GET and returns only 200 responses, as
// fetch.Getter; fetch/client's *Client is one.
type Getter interface {
	Get(ctx context.Context, url string, h http.Header) (*http.Response, error)
}

// File is one file an index lists for a project. Nothing in it is trusted
// for integrity: Hashes only help pick which locked hash a file should have.
type File struct {
	Filename string `json:"filename"`
	// URL is absolute, without the #fragment.
	URL string `json:"url"`
	// Hashes maps a lowercase algorithm name to lowercase hex, as the
	// index claims them.
	Hashes         map[string]string `json:"hashes,omitempty"`
	RequiresPython string            `json:"requires_python,omitempty"`
	// Yanked is set for files withdrawn by their publisher (PEP 592);
	// YankedReason may say why.
	Yanked       bool   `json:"yanked,omitempty"`
	YankedReason string `json:"yanked_reason,omitempty"`
	// HasMetadata is set when the index serves the wheel's METADATA
	// separately (PEP 658/714), at URL + ".metadata".
	HasMetadata bool `json:"has_metadata,omitempty"`
	// MetadataHashes are the hashes the index declares for that
	// METADATA file (lowercase algorithm → lowercase hex); the resolver
	// reads a separately served METADATA only when it can check one.
	MetadataHashes map[string]string `json:"metadata_hashes,omitempty"`
	// UploadTime is PEP 700's upload-time (RFC 3339 as the index wrote
	// it), or "" when the index does not say (PEP 503 HTML never does).
	UploadTime string `json:"upload_time,omitempty"`
	// Size is PEP 700's size in bytes, 0 when not given.
	Size int64 `json:"size,omitempty"`
	// Provenance is the URL of the file's PEP 740 provenance object
	// (absolute, without #fragment), or "" when the index lists none.
	Provenance string `json:"provenance,omitempty"`
	// Index is the index the file was listed by (redacted URL).
	Index string `json:"index"`
}

// Page is one project's file list from one index.
type Page struct {
	// URL is the page's final URL (after redirects), without credentials.
	URL   string `json:"url"`
	Files []File `json:"files"`
}

// GetPage asks index for name's files. A 404 (the index does not know the
// project) is an empty page, as it is to pip.
func GetPage(ctx context.Context, g Getter, ix Index, name string) (*Page, error) {
	pageURL := ix.ProjectURL(name)
	resp, err := g.Get(ctx, pageURL, http.Header{"Accept": {Accept}})
	if err != nil {
		var se *client.StatusError
		if errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone) {
			return &Page{URL: pageURL}, nil
		}
		return nil, fmt.Errorf("asking %s for %s: %w", ix, name, err)
	}
	defer resp.Body.Close()
	final := pageURL
	if resp.Request != nil && resp.Request.URL != nil {
		final = resp.Request.URL.String()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPageBytes+1))
	if err != nil {
		return nil, fmt.Errorf("asking %s for %s: %w", ix, name, err)
	}
	if len(data) > MaxPageBytes {
		return nil, fmt.Errorf("asking %s for %s: %w: the page is larger than %d bytes", ix, name, ErrBadPage, MaxPageBytes)
	}
	page, err := ParsePage(data, resp.Header.Get("Content-Type"), final)
	if err != nil {
		return nil, fmt.Errorf("asking %s for %s: %w", ix, name, err)
	}
	for i := range page.Files {
		page.Files[i].Index = ix.String()
	}
	return page, nil
}

// ParsePage reads a simple-API project page served with contentType from
// pageURL: PEP 691 JSON, or PEP 503 HTML (text/html or the v1+html type).
// Relative file URLs are resolved against pageURL, or the HTML's <base>.
func ParsePage(data []byte, contentType, pageURL string) (*Page, error) {
	base, err := url.Parse(pageURL)
	if err != nil {
		return nil, fmt.Errorf("%w: page URL %q: %v", ErrBadPage, client.Redact(pageURL), err)
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	var files []File
	switch strings.ToLower(mt) {
	case contentJSON:
		files, err = parseJSON(data, base)
	case contentHTMLv1, contentHTMLText:
		files, err = parseHTML(data, base)
	default:
		return nil, fmt.Errorf("%w: %s answered with Content-Type %q, neither PEP 691 JSON (%s) nor PEP 503 HTML; is this a simple-API index URL (usually ending in /simple/)?",
			ErrBadPage, client.Redact(pageURL), contentType, contentJSON)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", client.Redact(pageURL), err)
	}
	base.User = nil
	return &Page{URL: base.String(), Files: files}, nil
}

// jsonPage is PEP 691's project detail document.
type jsonPage struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Files []struct {
		Filename         string            `json:"filename"`
		URL              string            `json:"url"`
		Hashes           map[string]string `json:"hashes"`
		RequiresPython   *string           `json:"requires-python"`
		Yanked           json.RawMessage   `json:"yanked"`
		DistInfoMetadata json.RawMessage   `json:"dist-info-metadata"`
		CoreMetadata     json.RawMessage   `json:"core-metadata"`
		UploadTime       string            `json:"upload-time"`
		Size             int64             `json:"size"`
		Provenance       *string           `json:"provenance"`
	} `json:"files"`
}

func parseJSON(data []byte, base *url.URL) ([]File, error) {
	var doc jsonPage
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: PEP 691 JSON: %v", ErrBadPage, err)
	}
	if err := checkAPIVersion(doc.Meta.APIVersion); err != nil {
		return nil, err
	}
	files := make([]File, 0, len(doc.Files))
	for _, f := range doc.Files {
		u, err := resolveFileURL(base, f.URL)
		if err != nil {
			return nil, err
		}
		file := File{Filename: f.Filename, URL: u, Hashes: lowerHashes(f.Hashes)}
		if f.RequiresPython != nil {
			file.RequiresPython = *f.RequiresPython
		}
		// "yanked" is false, true or a reason string (PEP 691).
		var reason string
		var yanked bool
		switch {
		case json.Unmarshal(f.Yanked, &yanked) == nil:
			file.Yanked = yanked
		case json.Unmarshal(f.Yanked, &reason) == nil:
			file.Yanked, file.YankedReason = true, reason
		}
		file.HasMetadata = truthyMetadata(f.CoreMetadata) || truthyMetadata(f.DistInfoMetadata)
		// PEP 714: core-metadata is the name; dist-info-metadata the
		// older spelling, read when the new one is absent.
		file.MetadataHashes = metadataHashes(f.CoreMetadata)
		if f.CoreMetadata == nil {
			file.MetadataHashes = metadataHashes(f.DistInfoMetadata)
		}
		file.UploadTime = f.UploadTime
		if f.Size > 0 {
			file.Size = f.Size
		}
		// PEP 740: null or the provenance object's URL.
		if f.Provenance != nil && *f.Provenance != "" {
			if file.Provenance, err = resolveFileURL(base, *f.Provenance); err != nil {
				return nil, err
			}
		}
		if err := checkFilename(file); err != nil {
			return nil, err
		}
		files = append(files, file)
	}
	return files, nil
}

// truthyMetadata reads PEP 691's core-metadata: false, true or a hashes
// object (absent means false).
func truthyMetadata(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var m map[string]string
	return json.Unmarshal(raw, &m) == nil && m != nil
}

// metadataHashes reads the hashes object of PEP 691's core-metadata
// ({"sha256": "<hex>"}); true, false or absent give none.
func metadataHashes(raw json.RawMessage) map[string]string {
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return lowerHashes(m)
}

// checkAPIVersion refuses a major version other than 1 (PEP 629: clients
// must fail on an unknown major version and may warn on a newer minor).
func checkAPIVersion(v string) error {
	if v == "" {
		return nil
	}
	major, _, _ := strings.Cut(v, ".")
	if major != "1" {
		return fmt.Errorf("%w: the index speaks simple-API version %s; airlock knows version 1", ErrBadPage, v)
	}
	return nil
}

// resolveFileURL makes a file URL absolute against the page and drops its
// fragment (PEP 503 keeps the hash there; parseHTML has read it already).
func resolveFileURL(base *url.URL, raw string) (string, error) {
	ref, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || raw == "" {
		return "", fmt.Errorf("%w: file URL %q does not parse", ErrBadPage, client.Redact(raw))
	}
	u := base.ResolveReference(ref)
	u.Fragment, u.RawFragment = "", ""
	// A relative URL inherits no credentials: base has none (the index's
	// were taken out), and an absolute one with user@ is refused later by
	// the client.
	return u.String(), nil
}

// checkFilename refuses a file whose name could not be a file name.
func checkFilename(f File) error {
	if f.Filename == "" || strings.ContainsAny(f.Filename, "/\\\x00") || f.Filename == "." || f.Filename == ".." {
		return fmt.Errorf("%w: file name %q", ErrBadPage, f.Filename)
	}
	return nil
}

func lowerHashes(h map[string]string) map[string]string {
	if len(h) == 0 {
		return nil
	}
	out := make(map[string]string, len(h))
	for k, v := range h {
		// An empty value says nothing; it must not look like a hash
		// that disagrees with the lock.
		if v != "" {
			out[strings.ToLower(k)] = strings.ToLower(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// filenameFromURL is PEP 503's file name: the URL path's last segment.
func filenameFromURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return path.Base(p.Path)
}
