// Package yarnberry reads the yarn.lock that yarn berry (yarn 2 and later)
// writes, and the platform conditions and workspace graph it records.
//
// A berry lockfile is YAML (read with lock/pnpm's strict YAML subset
// reader): __metadata holds the lockfile version and the cache key, and
// every other key lists the descriptors ("lodash@npm:^4.17.0") that
// resolved to one package, whose resolution is a locator
// ("lodash@npm:4.17.21"). Packages record their dependencies as
// descriptors, their peer dependencies as ranges, their bins, platform
// conditions and the checksum of the zip yarn keeps in its cache (see
// install/yarnberry/berryzip).
//
// Parse is strict: unknown fields, a descriptor listed twice, a
// dependency no entry resolves, a malformed locator or checksum, and a
// lockfile version other than the ones yarn 2 to 4 write are errors with
// the line they are on. Resolutions airlock cannot install safely (patch:,
// git, remote tarballs, exec:) are read, and refused by Graph when an
// install reaches them.
package yarnberry
