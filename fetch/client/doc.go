// Package client is airlock's only HTTP client: strict HTTPS GETs with
// bounded retries, per-request credentials, and bodies that cannot end short,
// run forever or stall unnoticed.
//
// Rules it enforces, whatever the caller passes:
//
//   - Only https:// URLs, TLS 1.2 or newer, certificates verified against the
//     system roots plus any ExtraCAs. There is no way to skip verification.
//     HTTP/2 is negotiated when the server offers it; connections are pooled
//     with room for MaxIdleConnsPerHost parallel downloads per host.
//   - Redirects are followed by hand, at most MaxRedirects of them; one to
//     http:// is refused. The Authorization header is removed on every hop
//     and set again only from Options.Auth for that hop's URL: a redirect to
//     another host (GitHub Packages and Artifactory send tarballs to a CDN)
//     is followed without the credential, as npm does. DESIGN.md's "refuse a
//     redirect to another host while carrying credentials" holds because the
//     credential is never carried, not because the redirect is refused.
//   - URLs with user:password@ are refused: credentials come only from Auth.
//   - Connection errors, 5xx (but 501) and 429 are retried with jittered
//     exponential backoff, within MaxAttempts and MaxElapsed; Retry-After is
//     honoured, and a server asking for a longer wait than RetryWaitMax gets
//     an error instead of a retry. Other statuses, certificate and TLS
//     version failures, and unknown hosts are not retried. Cancelling the
//     context stops at once.
//   - A body shorter than its Content-Length, longer than MaxBodySize,
//     silent for IdleReadTimeout or slower than BodyTimeout fails its Read
//     with ErrShortBody, ErrTooLarge or ErrStalled; it is never silently
//     short. A connection or HTTP/2 stream that breaks off mid-body is
//     ErrBrokenBody (a new request may succeed; fetch makes one), and a body
//     declared Content-Encoding: gzip that does not decode is ErrBadEncoding.
//     A gzip Content-Encoding is undone before the caller reads (and before
//     MaxBodySize counts), as npm does, so a compression bomb is capped too.
//
// Errors name the URL with user info and query values redacted (signed CDN
// URLs carry secrets there) and say what to do.
package client
