// Package pypi finds Python wheels on package indexes: it reads pip's
// configuration (which indexes, which CA, which client certificate), asks an
// index's simple API for a project's files, and tells fetch.Fetcher where to
// download a wheel from.
//
// Rules it keeps:
//
//   - The simple API is asked for PEP 691 JSON
//     (application/vnd.pypi.simple.v1+json) and accepts PEP 503 HTML when
//     the index offers only that; the response's Content-Type decides which
//     parser reads it. Relative file URLs are resolved against the page's
//     final URL (or its <base href>). Project names go into the URL in PEP
//     503 normalized form (/simple/<normalized>/).
//   - Only https:// index URLs are used. pip's trusted-host is refused: it
//     turns certificate checks off for a host, which airlock never does.
//   - Credentials in an index URL (https://user:token@host/simple) are taken
//     out of the URL and sent, as HTTP Basic authorization, only to that
//     index's origin (scheme, host and port). Files on another host, such as
//     files.pythonhosted.org behind pypi.org, get none. Failing that, the
//     ~/.netrc (or $NETRC) "machine" entry for a URL's host is used, as
//     pip's HTTP library uses it; its "default" entry and a netrc that
//     others can read are not.
//   - Hashes an index lists are hints, never trusted: the digest verified is
//     the lockfile's. An index hash only picks which of several locked
//     hashes a file is expected to have.
//   - Index pages are remembered on disk (PageCache) so that --offline can
//     select wheels without the network; a remembered page is never a source
//     of integrity either.
//   - Provenance objects (PEP 740) are fetched only from the listing index's
//     own host, over https, at most MaxProvenanceBytes, and remembered
//     (ProvenanceCache) under their URL, the file's name and its locked
//     sha256, so that --offline can check require_provenance. Nothing here
//     trusts them: the caller verifies each one, cached or fresh, on every
//     use.
//
// Configuration is read as pip reads it (LoadConfig): pip.conf files,
// PIP_* variables, then the command line and the requirement file's own
// --index-url lines, each overriding the one before.
package pypi
