// Package verify checks bytes and metadata against what the lockfile and the
// policy promise: SRI digests today, signatures, provenance and advisories
// later. It is pure: no network, no files.
package verify
