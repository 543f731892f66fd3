// Package fetch is the only code that touches the network or the cache.
//
// It owns the strict TLS client, the registry URL and credential rules, the
// retries, the content-addressed cache and the parallel download scheduler.
// Whatever it hands out has matched the lockfile's digest.
//
// This package holds the Fetcher, which turns a lock.Package into verified
// bytes: from the cache when a blob there still matches, else from the
// registry, teeing into the cache as it streams. Its rules:
//
//   - The digest checked is the strongest one in the lockfile's integrity
//     (verify.Integrity.Strongest); the cache is keyed by it.
//   - A consumer sees bytes before they are verified (streaming is the point)
//     and must build its result somewhere disposable; it may keep that result
//     only when Fetch returns nil.
//   - A corrupt cache blob is removed and reported (Result.Corrupt); online it
//     is downloaded again, offline that is an error.
//   - A download whose digest mismatches, or whose connection breaks off
//     mid-body (a reset, a body shorter than its Content-Length), is made
//     once more (pacote retries a mismatch too), never more; a second
//     mismatch is an *IntegrityError and nothing is cached. A body that
//     stalls, runs past the size cap or does not decode is not retried.
//   - Downloads are capped at MaxBytes (DefaultMaxBytes) so a hostile server
//     cannot fill the disk.
//   - Order: the local cache, then (online) the Remote cache if one is set,
//     then the registry. Before fetching a blob the local cache lacks, the
//     Fetcher claims it (cache.Claim), so processes sharing the cache fetch
//     it once. A remote archive is checked like a download; a mismatch is
//     reported (Result.RemoteBad) and the registry serves instead. Verified
//     downloads are offered back to the remote in the background.
//
// The HTTP client and the registry rules live in fetch/client and fetch/npmrc;
// the Fetcher reaches them only through the Getter and Locator interfaces.
package fetch
