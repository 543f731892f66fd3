package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/lock"
)

// maxPackumentBytes caps a registry metadata document. The abbreviated
// documents of the npm registry's largest packages are tens of MB.
const maxPackumentBytes = 128 << 20

// PackumentLocator is a Locator that can also name a package's metadata
// document and tell registry URLs from others; fetch/npmrc's *Config is one.
// With it, Fetch recovers when a lockfile without "resolved" names a package
// whose registry keeps tarballs somewhere other than the conventional
// {registry}/{name}/-/{name}-{version}.tgz: it asks the metadata for
// dist.tarball, as npm always does. airlock asks only then, saving a
// round trip per package on registries that follow the convention.
type PackumentLocator interface {
	Locator
	PackumentURL(name string) (string, error)
	IsRegistryURL(u string) bool
}

// abbreviatedMetadata is the Accept header npm sends for install metadata.
const abbreviatedMetadata = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"

// isNotFound reports whether err is the registry saying the URL does not
// exist (as opposed to refusing, failing or being unreachable).
func isNotFound(err error) bool {
	var se *client.StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusGone)
}

// tarballFromPackument looks up pkg's dist.tarball in its registry metadata.
// The URL must be under a configured registry: metadata may point anywhere,
// and the lockfile's integrity, which still applies, does not make an
// unknown host trustworthy to contact.
func (f *Fetcher) tarballFromPackument(ctx context.Context, pkg lock.Package) (string, error) {
	pl, ok := f.Locator.(PackumentLocator)
	if !ok {
		return "", errors.New("the registry configuration cannot name metadata documents")
	}
	u, err := pl.PackumentURL(pkg.Name)
	if err != nil {
		return "", err
	}
	resp, err := f.Getter.Get(ctx, u, http.Header{"Accept": {abbreviatedMetadata}})
	if err != nil {
		return "", fmt.Errorf("reading %s's registry metadata: %w", pkg.Name, err)
	}
	defer resp.Body.Close()
	tarball, err := tarballOf(io.LimitReader(resp.Body, maxPackumentBytes+1), pkg.Name, pkg.Version)
	if err != nil {
		return "", fmt.Errorf("%s's registry metadata at %s: %w", pkg.Name, client.Redact(u), err)
	}
	if !pl.IsRegistryURL(tarball) {
		host := "its host"
		if tu, err := url.Parse(tarball); err == nil && tu.Host != "" {
			host = tu.Host
		}
		return "", fmt.Errorf("%w: %s's registry metadata points its %s tarball at %s, which is not under a configured registry; refusing to download from there (if %s is a registry you trust, name it in .npmrc: registry=https://%s/ or @scope:registry=https://%s/)",
			ErrNotRegistryURL, pkg.Name, pkg.Version, client.Redact(tarball), host, host, host)
	}
	return tarball, nil
}

// Errors of packument decoding, for errors.Is.
var (
	// ErrPackument: the metadata document is not one npm would use for
	// this package (not JSON, another package's, over the size limit).
	ErrPackument = errors.New("unusable registry metadata")
	// ErrNotRegistryURL: the metadata points a tarball outside every
	// configured registry.
	ErrNotRegistryURL = errors.New("tarball not under a configured registry")
)

// tarballOf reads dist.tarball of name@version from a packument (full or
// abbreviated). The document must be for name: a registry, a mirror or a
// cache that answers with another package's metadata would otherwise choose
// the URL. Keys are matched exactly, as JavaScript reads them (encoding/json
// alone would let "NAME" or "Versions" stand in for them).
func tarballOf(r io.Reader, name, version string) (string, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return "", err
	}
	if len(data) > maxPackumentBytes {
		return "", fmt.Errorf("%w: over the %d-byte limit", ErrPackument, maxPackumentBytes)
	}
	doc, err := jsonObject(data, "the document")
	if err != nil {
		return "", err
	}
	var docName string
	if err := jsonString(doc["name"], "name", &docName); err != nil {
		return "", err
	}
	if docName != name {
		return "", fmt.Errorf("%w: the document is for package %q, not %q; the registry (or a proxy or cache in between) answered with another package's metadata", ErrPackument, docName, name)
	}
	versions, err := jsonObject(doc["versions"], "versions")
	if err != nil {
		return "", err
	}
	v, err := jsonObject(versions[version], "versions["+version+"]")
	if err != nil {
		return "", err
	}
	dist, err := jsonObject(v["dist"], "versions["+version+"].dist")
	if err != nil {
		return "", err
	}
	var tarball string
	if err := jsonString(dist["tarball"], "versions["+version+"].dist.tarball", &tarball); err != nil {
		return "", err
	}
	if tarball == "" {
		return "", fmt.Errorf("lists no tarball for version %s", version)
	}
	return tarball, nil
}

// jsonObject decodes a JSON object; absent or null is an empty object.
func jsonObject(raw json.RawMessage, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if len(raw) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object: %v", ErrPackument, what, err)
	}
	return m, nil
}

// jsonString decodes a JSON string; absent or null leaves dst empty.
func jsonString(raw json.RawMessage, what string, dst *string) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("%w: %s is not a string", ErrPackument, what)
	}
	return nil
}
