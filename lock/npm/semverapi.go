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
// strictly (no loose parsing, prereleases only where the range names one),
// the way `npm install pkg@rng` chooses versions. Policy rules use it; an
// unparsable version or range satisfies nothing.
func Satisfies(version, rng string) bool {
	return semver.Satisfies(version, rng, semver.Options{})
}
