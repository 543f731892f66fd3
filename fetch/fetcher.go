package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/store"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

const (
	// DefaultMaxBytes caps one archive download. The npm registry's largest
	// tarballs are a few hundred MB; cmd/go caps a module zip at 500 MiB.
	DefaultMaxBytes = 1 << 30

	// networkAttempts bounds downloads of one package whose digest did not
	// match: the first try and one more (as pacote retries once), so a
	// flaky proxy is survived and a malicious registry is never looped on.
	networkAttempts = 2
)

// Getter performs an HTTP GET and returns only 200 responses; fetch/client's
// *Client is one. Anything else is an error (a *client.StatusError there).
type Getter interface {
	Get(ctx context.Context, url string, h http.Header) (*http.Response, error)
}

// Locator turns a package into its archive URL, honouring the lockfile's
// resolved URL and the registry configuration; fetch/npmrc's *Config is one.
type Locator interface {
	TarballURL(name, version, resolved string) (string, error)
}

// DigestLocator is a Locator that finds an archive by the lockfile's
// digest of it rather than by name (a vendor directory, fetch/vendor's
// *Source); the Fetcher prefers it when its Locator is one.
type DigestLocator interface {
	LocateDigest(pkg lock.Package, want verify.Digest) (string, error)
}

// Fetcher obtains verified package archives. Cache may be nil (every fetch
// downloads); Getter and Locator may be nil when Offline. A Fetcher is safe
// for concurrent use and must not be copied after first use.
type Fetcher struct {
	Getter  Getter
	Locator Locator
	Cache   *cache.Cache
	// Offline forbids the network: a package must come from the cache.
	Offline bool
	// MaxBytes caps one download; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Remote, if set, is a shared cache tried after the local cache and
	// before the registry (never offline); see RemoteCache.
	Remote RemoteCache
	// Store, if set, is the extracted store beside Cache (fetch/store).
	// Fetch does not use it: installers place packages from it, and fill
	// it from archives Fetch verified.
	Store *store.Store
	// RelockHint is the command that rewrites the lockfile being fetched
	// ("pnpm install --lockfile-only", "uv lock"), which integrity errors
	// tell the user to run; "" means verify.DefaultRelockHint (npm's).
	RelockHint string

	inflight keyedLock
}

// Result says where a fetched archive came from.
type Result struct {
	// FromCache is set when the bytes consume saw came from the cache.
	FromCache bool
	// URL is where the archive was downloaded from; empty for a cache hit.
	// It may carry secrets (signed CDN URLs): show client.Redact(URL).
	URL string
	// Bytes is the archive's size.
	Bytes int64
	// Digest is the lockfile digest the bytes matched.
	Digest verify.Digest
	// Refetched is set when the cached blob was corrupt and was replaced by
	// a fresh download; Corrupt says what was wrong with it. Show both to
	// the user: someone or something altered the cache.
	Refetched bool
	Corrupt   *cache.CorruptError
	// Mismatched is the first download's mismatch when it was retried. On
	// success it deserves a warning: the registry or a proxy served bad
	// bytes once.
	Mismatched *IntegrityError
	// CacheErr is why the cache could not serve or keep these bytes (a
	// full disk, a read-only or foreign cache directory, an unreadable
	// blob) when the fetch went ahead without it. The bytes consume saw were
	// verified all the same; show it as a warning.
	CacheErr error
	// Broken is the first download's failure when the connection broke off
	// mid-body and a second download was made.
	Broken error
	// FromRemote is set when the bytes came from the remote cache (URL says
	// where). RemoteBad is the remote's archive that did not match the
	// lockfile and was bypassed: warn, someone altered the shared cache.
	// RemoteErr is why the remote cache could not serve (a warning).
	FromRemote bool
	RemoteBad  *IntegrityError
	RemoteErr  error
}

// Fetch obtains pkg's archive and streams it to consume, which reads it (for
// example, extracts it into a fresh directory). consume may be nil, to fill
// the cache only.
//
// consume may be called more than once: again after a corrupt cache blob
// (online only), and again after a download whose digest mismatched or whose
// connection broke off mid-body (one new download at most). Each
// call must start from scratch, and whatever consume builds may be kept only
// if Fetch returns nil: consume reads bytes before their digest is known.
// After consume returns, Fetch reads what it left unread (up to MaxBytes)
// through the hash before deciding. A digest mismatch takes precedence over
// consume's error, which is otherwise returned unchanged.
//
// Only lock.SourceRegistry packages are fetched; others are ErrNotRegistry.
func (f *Fetcher) Fetch(ctx context.Context, pkg lock.Package, consume func(io.Reader) error) (Result, error) {
	id := pkg.Name + "@" + pkg.Version
	if pkg.Source != lock.SourceRegistry {
		return Result{}, fmt.Errorf("fetch: %s (%s) is a %s package, which is not downloaded: %w", id, pkg.Path, pkg.Source, ErrNotRegistry)
	}
	integ, err := verify.ParseSRI(pkg.Integrity)
	if err != nil {
		return Result{}, &BadIntegrityError{Package: id, Path: pkg.Path, Integrity: pkg.Integrity, Err: err, RelockHint: f.RelockHint}
	}
	want := integ.Strongest()
	if consume == nil {
		consume = func(io.Reader) error { return nil }
	}

	unlock, err := f.inflight.lock(ctx, want.String())
	if err != nil {
		return Result{}, fmt.Errorf("fetching %s: %w", id, err)
	}
	defer unlock()

	res := Result{Digest: want}
	if f.Cache != nil {
		hit, corrupt, err := f.fromCache(ctx, id, want, consume, &res)
		if !hit && err == nil && corrupt == nil {
			// Another airlock may be storing this very blob: wait for it
			// rather than download it twice.
			waited, werr := f.Cache.AwaitWriter(ctx, want)
			if werr != nil {
				return res, fmt.Errorf("fetching %s: %w", id, werr)
			}
			if waited {
				hit, corrupt, err = f.fromCache(ctx, id, want, consume, &res)
			}
		}
		if !hit && err == nil && corrupt == nil && !f.Offline {
			// Still missing: claim the fetch, so that processes that
			// missed it at the same instant wait for one download.
			release, _, cerr := f.Cache.Claim(ctx, want)
			if cerr != nil {
				return res, fmt.Errorf("fetching %s: %w", id, cerr)
			}
			defer release()
			// Look again even when the claim was free at once: its last
			// holder may have stored the blob after the look above.
			hit, corrupt, err = f.fromCache(ctx, id, want, consume, &res)
		}
		if hit {
			return res, err
		}
		if err != nil {
			if f.Offline {
				return res, err
			}
			// An unreadable cache is no reason to fail an install the
			// network can serve; the caller warns.
			res.CacheErr = err
		}
		res.Corrupt = corrupt
	}
	if f.Offline {
		return res, &NotCachedError{Package: id, Want: want, Corrupt: res.Corrupt}
	}
	if f.Remote != nil {
		if done, err := f.fromRemote(ctx, id, want, consume, &res); done {
			res.Refetched = err == nil && res.Corrupt != nil
			return res, err
		}
	}
	if f.Getter == nil || f.Locator == nil {
		return res, fmt.Errorf("fetch: %s is not cached and the Fetcher has no network configured", id)
	}
	if dl, ok := f.Locator.(DigestLocator); ok {
		res.URL, err = dl.LocateDigest(pkg, want)
	} else {
		res.URL, err = f.Locator.TarballURL(pkg.Name, pkg.Version, pkg.Resolved)
	}
	if err != nil {
		return res, fmt.Errorf("locating %s: %w", id, err)
	}
	err = f.downloadVerified(ctx, id, want, consume, &res)
	if err != nil && pkg.Resolved == "" && isNotFound(err) {
		// The conventional URL was a guess; the registry's metadata knows.
		alt, lerr := f.tarballFromPackument(ctx, pkg)
		if lerr != nil {
			return res, fmt.Errorf("%w\n(looking up the tarball's real address: %v)", err, lerr)
		}
		if alt != res.URL {
			res.URL = alt
			err = f.downloadVerified(ctx, id, want, consume, &res)
		}
	}
	if err == nil && res.Corrupt != nil {
		res.Refetched = true
	}
	if err == nil {
		f.offerRemote(want, &res)
	}
	return res, err
}

// downloadVerified downloads res.URL, once more if the digest mismatched or
// the connection broke off mid-body, never more: a flaky network or proxy
// is survived, a hostile server is not looped on.
func (f *Fetcher) downloadVerified(ctx context.Context, id string, want verify.Digest, consume func(io.Reader) error, res *Result) error {
	for attempt := 1; ; attempt++ {
		var err error
		res.Bytes, err = f.download(ctx, id, res.URL, want, consume, res)
		if err == nil || attempt >= networkAttempts || ctx.Err() != nil {
			if err != nil && attempt > 1 && brokenStream(err) {
				err = fmt.Errorf("%w\n(downloaded %d times; it broke off each time)", err, attempt)
			}
			return err
		}
		var ie *IntegrityError
		switch {
		case errors.As(err, &ie):
			res.Mismatched = ie
		case brokenStream(err):
			res.Broken = err
		default:
			return err
		}
	}
}

// brokenStream reports a download that broke off for reasons a new request
// may not meet: a reset connection or stream, a body cut short.
func brokenStream(err error) bool {
	return errors.Is(err, client.ErrBrokenBody) || errors.Is(err, client.ErrShortBody)
}

// downloadError names the package, and the URL unless err already does
// (fetch/client's errors do), so the message says it once.
func downloadError(id, shown string, err error) error {
	if strings.Contains(err.Error(), shown) {
		return fmt.Errorf("downloading %s: %w", id, err)
	}
	return fmt.Errorf("downloading %s from %s: %w", id, shown, err)
}

// fromCache streams want's cached blob to consume. It returns hit when the
// fetch is settled by the cache (err is then consume's error, or nil); a
// corrupt blob is removed and returned, for the caller to refetch. An error
// without hit means the cache could not be read (the caller may download
// instead, and consume starts over).
func (f *Fetcher) fromCache(ctx context.Context, id string, want verify.Digest, consume func(io.Reader) error, res *Result) (hit bool, corrupt *cache.CorruptError, err error) {
	r, err := f.Cache.Get(want)
	switch {
	case errors.Is(err, cache.ErrNotFound):
		return false, nil, nil
	case errors.As(err, &corrupt):
		return false, corrupt, nil
	case err != nil:
		return false, nil, fmt.Errorf("reading %s from the cache: %w", id, err)
	}
	defer r.Close()

	cr := &ctxReader{ctx: ctx, r: r}
	cerr := consume(cr)
	if cr.err != nil {
		return true, nil, fmt.Errorf("fetching %s: %w", id, cr.err)
	}
	verr := r.Verify()
	switch {
	case errors.As(verr, &corrupt):
		return false, corrupt, nil
	case verr != nil:
		return false, nil, fmt.Errorf("reading %s from the cache: %w", id, verr)
	}
	res.FromCache = true
	res.Bytes = r.Size()
	return true, nil, cerr
}

// download streams one GET of url to consume, teeing into the cache, and
// commits the cached copy only if the digest matched. It returns the number
// of bytes downloaded. A cache that cannot take the bytes (a full disk, a
// read-only directory) does not fail the download: the bytes are verified
// on their way to consume either way; res.CacheErr says what went wrong.
func (f *Fetcher) download(ctx context.Context, id, url string, want verify.Digest, consume func(io.Reader) error, res *Result) (int64, error) {
	max := f.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	// The cache's temporary file is made before the request, so that
	// another airlock missing the same blob sees the download from its
	// start (Cache.AwaitWriter) and waits for it instead of repeating it.
	var w *cache.Writer
	if f.Cache != nil {
		var err error
		if w, err = f.Cache.Put(want); err != nil {
			res.CacheErr = fmt.Errorf("not caching %s: %w", id, err)
			w = nil
		} else {
			defer w.Abort()
		}
	}
	resp, err := f.Getter.Get(ctx, url, nil)
	// Signed CDN URLs carry secrets in the query: errors show the redacted form.
	shown := client.Redact(url)
	if err != nil {
		return 0, downloadError(id, shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The Getter contract rules this out; refuse rather than hash an
		// error page.
		return 0, fmt.Errorf("downloading %s from %s: unexpected status %s", id, shown, resp.Status)
	}
	if resp.ContentLength > max {
		return 0, fmt.Errorf("downloading %s from %s: %w: Content-Length %d is over the %d-byte limit", id, shown, ErrTooLarge, resp.ContentLength, max)
	}

	src := &source{ctx: ctx, r: resp.Body, chk: verify.NewChecker(want), max: max}
	var (
		r io.Reader = src
		t *tee
	)
	if w != nil {
		t = &tee{r: src, w: w}
		r = t
	}

	cerr := consume(r)
	// Hash what consume left unread, through the tee so that the cached
	// copy is whole (once the cache failed the tee only passes bytes on).
	if t != nil {
		io.Copy(io.Discard, t)
	}
	io.Copy(io.Discard, src)

	n := src.chk.N()
	if src.err != nil {
		// No verdict on a broken stream: report the break (a cancelled
		// context stays matchable with errors.Is).
		return n, downloadError(id, shown, src.err)
	}
	if err := src.chk.Check(); err != nil {
		var me *verify.MismatchError
		if errors.As(err, &me) {
			ie := &IntegrityError{Package: id, URL: shown, Want: me.Want, Got: me.Got,
				ContentType: resp.Header.Get("Content-Type"), Decoded: resp.Uncompressed, RelockHint: f.RelockHint}
			if !resp.Uncompressed {
				ie.ContentEncoding = resp.Header.Get("Content-Encoding")
			}
			return n, ie
		}
		return n, fmt.Errorf("verifying %s: %w", id, err)
	}
	switch {
	case t != nil && t.err != nil:
		res.CacheErr = fmt.Errorf("not caching %s: %w", id, t.err)
	case w != nil:
		// Verified bytes are worth keeping even when consume failed: the
		// retry the user is about to run will not download them again.
		if err := w.Commit(); err != nil {
			res.CacheErr = fmt.Errorf("not caching %s: %w", id, err)
		}
	}
	return n, cerr
}
