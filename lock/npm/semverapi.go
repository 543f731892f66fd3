package npm

import "github.com/airlock-dev/airlock/lock/npm/internal/semver"

// ParseRange reports whether rng is a node-semver range npm would accept
// in strict mode, so configuration (airlock.toml's deny = ["pkg@<2"]) can
// be checked when it is read rather than silently matching nothing.
func ParseRange(rng string) error {
	_, err := semver.ParseRange(rng, semver.Options{})
	return err
}

// Satisfies reports whether version is in the node-semver range rng,
// strictly (no loose parsing) but with prereleases included: a policy rule
// such as deny "pkg@<2" must also catch 1.9.0-beta, which npm's default
// range matching would let through. An unparsable version or range
// satisfies nothing.
func Satisfies(version, rng string) bool {
	return semver.Satisfies(version, rng, semver.Options{IncludePrerelease: true})
}
