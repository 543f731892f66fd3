// Package verify checks bytes and metadata against what the lockfile and the
// policy promise: SRI digests, npm registry signatures (signatures.go) and
// the install policy (policy.go, evaluate.go), whose every Decision names
// its rule, package, evidence and override. Provenance (provenance.go:
// what verify/provenance verified), advisories (advisories.go: what
// verify/advisory matched) and deprecations are decided by the same Policy.
// It is pure: no network, no files.
//
// Digests follow npm's ssri package, with these deliberate differences:
//
//   - Only sha512, sha384, sha256 and sha1 are known. Every other algorithm
//     (md5 included, which ssri would accept) is ignored like an unknown one.
//   - An entry of a known algorithm whose digest is not the standard, padded
//     base64 of exactly the algorithm's size is an error, not a silently
//     ignored entry: ignoring "sha512-<garbage> sha1-<ok>" would downgrade the
//     check to sha1, and ssri could never match such an entry anyway (it
//     compares base64 strings).
//   - When an integrity lists several different digests of its strongest
//     algorithm, only the first is accepted (ssri accepts any of them). A
//     lockfile pins one archive; this can only turn a match into a mismatch.
package verify
