package npm

import "github.com/airlock-dev/airlock/lock"

// SpecSource says where npm would get a dependency specifier's package from
// (the part after "name@" in `npm install name@spec`, or a package.json
// dependency value), classified as npm-package-arg does: a semver range,
// tag or npm: alias is SourceRegistry; a tarball path SourceFile; a
// directory SourceLink; an http(s) URL SourceRemote; a git URL or hosted
// shorthand (github:o/r, o/r) SourceGit. ok is false for a specifier npm
// would reject.
func SpecSource(raw string) (src lock.Source, ok bool) {
	switch parseSpec(raw, "").kind {
	case specRange, specTag, specAlias:
		return lock.SourceRegistry, true
	case specFile:
		return lock.SourceFile, true
	case specDir:
		return lock.SourceLink, true
	case specRemote:
		return lock.SourceRemote, true
	case specGit:
		return lock.SourceGit, true
	}
	return lock.SourceRegistry, false
}
