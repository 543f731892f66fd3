// Package remote is a small client for a shared cache of package archives
// that speaks the plain HTTP protocol of Bazel remote caches, so any server
// for it works: bazel-remote, nginx with WebDAV PUT, an object store behind a
// gateway.
//
// The protocol has two namespaces under the cache's base URL:
//
//	GET/PUT/HEAD <base>/cas/<sha256-hex>   a blob, keyed by its own sha256
//	GET/PUT/HEAD <base>/ac/<sha256-hex>    an "action result" under any key
//
// Lockfiles give sha512 (npm) or sha256 (pip) digests. A sha256 lockfile
// digest is the blob's CAS key. Any other is looked up in two steps: the AC
// entry keyed by sha256("airlock archive v1\x00" + the digest in SRI form)
// holds an ActionResult protobuf (the shape bazel-remote validates) naming
// one output file, whose digest is the archive's sha256 and size; the
// archive is then read from /cas/. The prefix keeps airlock's keys apart
// from Bazel's own actions in a cache both use.
//
// Rules the client keeps:
//
//   - Nothing the remote returns is trusted. Get hands back unverified bytes;
//     the caller (fetch.Fetcher) checks them against the lockfile's digest,
//     reports and discards a mismatch, and fetches from the registry.
//   - Only verified blobs are uploaded: Offer reads them back from the local
//     cache, whose reader re-hashes every byte and fails the upload when they
//     do not match. The CAS blob is written before the AC entry that points
//     at it.
//   - Uploads are best effort, run in the background with at most
//     UploadJobs at once and at most MaxQueued waiting (more are dropped and
//     counted), and are abandoned when Flush's context ends. They never
//     fail an install.
//   - A slow or broken remote costs one short timeout: the first transport
//     error, timeout, 5xx or refused credential marks the remote down for
//     the rest of the process, reported once; later lookups are misses.
//   - Only https:// base URLs, TLS 1.2 or newer, the system roots plus the
//     extra CAs the registry client trusts. Redirects are not followed, so
//     the bearer token and client certificate only ever reach the remote's
//     own host. The token comes from an environment variable, never from a
//     file.
package remote
