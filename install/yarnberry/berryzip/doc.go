// Package berryzip rebuilds, byte for byte, the zip archive that yarn berry
// (v2 and later) writes into its cache for an npm tarball, so that a yarn.lock
// checksum can be checked against the tarball airlock downloads.
//
// A berry lockfile does not record a digest of the registry's tarball. Its
// checksum ("10c0/<sha512 hex>") is the SHA-512 of the zip yarn made from the
// tarball (tgzUtils.convertToZip in yarnpkg/berry's @yarnpkg/core): every
// regular file, directory and symlink of the tarball, first path component
// replaced by node_modules/<name>, written by libzip with fixed times and
// modes. Convert redoes that conversion and Sum hashes the result; when the
// hash equals the lockfile's, the tarball holds exactly the files yarn
// locked, and airlock installs those files from that very tarball.
//
// Only cache keys whose compression level is 0 (the "c0" suffix, yarn 4's
// default) are reproduced: the zip then stores every file uncompressed, and
// its bytes follow from the tarball's content alone. With compression
// (yarn 2 and 3's default "mixed", or levels 1-9) the checksum covers the
// output of a particular zlib build, which no Go deflater reproduces;
// ParseChecksum refuses those with ErrUnsupportedCacheKey rather than trust
// bytes it cannot check.
//
// The conversion follows yarn exactly, in these respects:
//
//   - entries are those of the tarball (read as node-tar reads it: ustar,
//     pax and GNU long names), in order of first appearance, preceded by
//     every directory that holds them ("node_modules/", then
//     "node_modules/<scope>/", ...), each created once;
//   - an entry whose path is absolute or has a ".." segment, or that names
//     the tarball's top directory itself, is left out, as are hard links and
//     every type other than file, directory and symlink;
//   - a file's mode is 0o644, or 0o755 if the tarball gave it any execute
//     bit; directories are 0o755; symlinks 0o777 (yarn's ZipFS default);
//   - a later entry with the same path as an earlier file replaces its
//     content but keeps its place;
//   - every entry has the DOS time of 1984-06-22 21:50:00 (SAFE_TIME),
//     method "stored", no extra fields, Unix external attributes, "version
//     made by" 6.3 on Unix and "version needed" 1.0 (2.0 for directories),
//     as libzip writes them.
//
// Archives past the plain zip format's limits (a file or the archive over
// 4 GiB, more than 65,535 entries) would need zip64, which Convert refuses.
// It refuses too (ErrTooLarge) a path longer than MaxPathLength, file
// content over Limits.MaxBytes, and a decompressed tarball longer than that
// plus 4 KiB per possible entry.
package berryzip
