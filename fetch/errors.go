package fetch

import (
	"errors"
	"fmt"
	"strings"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/verify"
)

var (
	// ErrNotCached is matched by the *NotCachedError of an offline fetch.
	ErrNotCached = errors.New("not in the cache")
	// ErrNotRegistry is matched when Fetch is given a package that is not
	// downloaded from a registry (links, workspaces, bundled, git, ...).
	ErrNotRegistry = errors.New("not a registry package")
	// ErrTooLarge is matched when a download exceeds the Fetcher's MaxBytes.
	ErrTooLarge = errors.New("archive too large")
)

// IntegrityError reports a download whose bytes differ from what the
// lockfile recorded. It matches verify.ErrIntegrity.
type IntegrityError struct {
	Package   string // name@version
	URL       string // redacted (client.Redact)
	Want, Got verify.Digest
	// ContentType is the response's Content-Type: "text/html" says a
	// proxy, captive portal or registry answered with a page, not an archive.
	ContentType string
	// Decoded is set when the server declared Content-Encoding: gzip and
	// the decoded bytes were hashed (as npm hashes them).
	Decoded bool
	// ContentEncoding is an encoding the server declared that was not
	// undone (airlock asks only for gzip), so the encoded bytes were hashed.
	ContentEncoding string
	// RelockHint is the command that rewrites the lockfile (Fetcher's);
	// "" means verify.DefaultRelockHint.
	RelockHint string
}

func (e *IntegrityError) Error() string {
	// Worded after cmd/go's go.sum mismatch: what, both digests, where from,
	// then why it matters and what to do.
	var b strings.Builder
	fmt.Fprintf(&b, "verifying %s: integrity mismatch\n\tlockfile:   %s\n\tdownloaded: %s\n\tfrom:       %s\n",
		e.Package, e.Want, e.Got, e.URL)
	if e.ContentType != "" {
		fmt.Fprintf(&b, "\tserved as:  %s\n", e.ContentType)
	}
	switch {
	case isPage(e.ContentType):
		b.WriteString(`
The server answered with a web page, not a package archive: typically an
error or login page from a proxy, a captive portal or the registry. Check
the registry URL and your network or proxy, then run the command again.
Nothing from it was cached.`)
		return b.String()
	case e.Decoded:
		b.WriteString(`	encoding:   the server declared Content-Encoding: gzip; the decoded bytes were hashed

A server that labels an already gzipped .tgz as Content-Encoding: gzip
makes every client (npm too) see the inner tar instead of the archive: if
the server is yours, stop declaring that encoding for .tgz files.
`)
	case e.ContentEncoding != "":
		fmt.Fprintf(&b, "\tencoding:   the server declared Content-Encoding: %s, which airlock did not ask for\n", e.ContentEncoding)
	}
	b.WriteString(`
SECURITY ERROR
The registry served bytes that differ from what the lockfile recorded.
The package may have been replaced on the registry, or an attacker or a
broken proxy may have altered the download. Nothing from it was cached.
If you expected this package to change, regenerate the lockfile on a
trusted machine (`)
	b.WriteString(relockHint(e.RelockHint))
	b.WriteString(") and review the diff.")
	return b.String()
}

// relockHint is the re-lock command an error names: the caller's, else
// npm's.
func relockHint(h string) string {
	if h == "" {
		return verify.DefaultRelockHint
	}
	return h
}

// isPage reports a Content-Type no package archive is served with.
func isPage(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "text/html" || mt == "application/xhtml+xml"
}

func (e *IntegrityError) Is(target error) bool { return target == verify.ErrIntegrity }

// NotCachedError reports a package that an offline fetch could not take from
// the cache, either because it was never fetched or because its blob was
// corrupt (Corrupt, already removed).
type NotCachedError struct {
	Package string // name@version
	Want    verify.Digest
	Corrupt *cache.CorruptError
}

func (e *NotCachedError) Error() string {
	if e.Corrupt != nil {
		// The CorruptError says what was wrong (bad bytes or not a file)
		// and whether it could be removed.
		return fmt.Sprintf("the cached copy of %s is unusable: %v; --offline forbids downloading it again; run the same command once without --offline, while online, to fill the cache",
			e.Package, e.Corrupt)
	}
	return fmt.Sprintf("%s is not in the cache (%s) and --offline forbids the network; run the same command once without --offline, while online, to fill the cache", e.Package, e.Want)
}

func (e *NotCachedError) Is(target error) bool { return target == ErrNotCached }

// Unwrap exposes the corrupt blob, so errors.Is(err, cache.ErrCorrupt) holds.
func (e *NotCachedError) Unwrap() error {
	if e.Corrupt == nil {
		return nil
	}
	return e.Corrupt
}

// BadIntegrityError reports a lockfile entry whose integrity is missing or
// unusable, so that nothing can be verified. It matches verify.ErrBadIntegrity.
type BadIntegrityError struct {
	Package   string // name@version
	Path      string // install path as the lockfile keys it
	Integrity string // as recorded, possibly empty
	Err       error  // the *verify.ParseError
	// RelockHint is the command that rewrites the lockfile (Fetcher's);
	// "" means verify.DefaultRelockHint.
	RelockHint string
}

func (e *BadIntegrityError) Error() string {
	fix := "regenerate the lockfile's integrity with `" + relockHint(e.RelockHint) + "` and review the diff"
	if e.Integrity == "" {
		return fmt.Sprintf("%s (%s): the lockfile records no integrity, so airlock cannot verify it; %s", e.Package, e.Path, fix)
	}
	return fmt.Sprintf("%s (%s): the lockfile's integrity is unusable: %v; %s", e.Package, e.Path, e.Err, fix)
}

func (e *BadIntegrityError) Unwrap() error { return e.Err }
