package main

import (
	"path/filepath"

	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/verify"
)

// The commands that rewrite each lockfile, which errors about a lockfile's
// integrity tell the user to run (fetch.Fetcher, verify.Policy and
// npmrc.Config carry them as RelockHint). Each one writes the lockfile
// without running package scripts where its tool can.
const (
	relockNpm  = verify.DefaultRelockHint // npm install --package-lock-only
	relockPnpm = "pnpm install --lockfile-only"
	relockBun  = "bun install --lockfile-only"
	// yarn 1 has no lockfile-only mode: it installs, so scripts are
	// turned off. Since 1.12 it adds sha512 to entries it already has
	// (sha1-only ones from before 1.10, or none) only with the integrity
	// migration on; its config reads yarn_* variables, in lower case
	// because it looks each one up by its lower-cased name.
	relockYarn  = "yarn_unsafe_disable_integrity_migration=false yarn install --ignore-scripts"
	relockBerry = "yarn install --mode=update-lockfile"

	relockUV           = "uv lock"
	relockPylock       = "airlock pip lock"
	relockRequirements = "pip-compile --generate-hashes"
)

// relockPython is the command that rewrites the Python lock the pip flags
// name: uv.lock and pylock.toml by their writers, a hash-pinned
// requirements file by pip-tools; requirements resolved from names
// become a lock with airlock pip lock.
func relockPython(f *pipFlags) string {
	switch {
	case f.requirements != "":
		return relockRequirements
	case filepath.Base(f.lockFile) == "uv.lock":
		return relockUV
	}
	return relockPylock
}

// relockOf is the re-lock command for the project rc was loaded for.
func relockOf(rc *npmrc.Config) string {
	if rc == nil || rc.RelockHint == "" {
		return relockNpm
	}
	return rc.RelockHint
}
