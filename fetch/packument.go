package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

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
	var doc struct {
		Versions map[string]struct {
			Dist struct {
				Tarball string `json:"tarball"`
			} `json:"dist"`
		} `json:"versions"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPackumentBytes)).Decode(&doc); err != nil {
		return "", fmt.Errorf("reading %s's registry metadata from %s: %w", pkg.Name, client.Redact(u), err)
	}
	tarball := doc.Versions[pkg.Version].Dist.Tarball
	switch {
	case tarball == "":
		return "", fmt.Errorf("%s's registry metadata at %s lists no tarball for version %s", pkg.Name, client.Redact(u), pkg.Version)
	case !pl.IsRegistryURL(tarball):
		return "", fmt.Errorf("%s's registry metadata points its %s tarball at %s, which is not under a configured registry; refusing to download from there", pkg.Name, pkg.Version, client.Redact(tarball))
	}
	return tarball, nil
}
