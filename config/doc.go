// Package config loads airlock.toml and the AIRLOCK_* environment overrides.
//
// Unknown keys are errors, relative paths are resolved against the file that
// named them, and every effective setting remembers where it came from.
package config
