// Package pypi reads Python lockfiles — requirements files in pip's
// hash-checking mode, pylock.toml (PEP 751) and uv.lock — and decides, for
// one target interpreter, which distributions apply and which wheel of each
// to install.
//
// It is pure: parsers read the bytes they are given (ParseRequirements reads
// included files only through its callback), and selection works on an
// Environment the caller obtained from internal/pyinterp.
//
// # Flow
//
//	lk, err := pypi.ParseRequirements("requirements.txt", os.ReadFile) // or ParsePylock / ParseUVLock
//	dists, err := lk.Select(env)        // markers, requires-python, extras, groups
//	for _, d := range dists {
//	    w, err := pypi.SelectWheel(d.Name, d.Wheels, env) // or index files for requirements
//	    integrity := pypi.Integrity(w.Hashes)             // "sha256-<base64>" for fetch/verify
//	}
//
// Lock.Select is the one entry point for "what goes on disk": for
// requirements and pylock.toml it evaluates each Dist's Marker; for uv.lock it
// walks the dependency graph from the project root, following only edges
// whose markers hold, with the extras and groups chosen in UVOptions.
//
// # Requirements files (pip's --require-hashes mode)
//
// Every requirement must be pinned with == (or ===) to an exact version and
// carry at least one --hash; several --hash options per line are allowed and
// any matching file is accepted, as in pip. Lines may be continued with a
// trailing backslash; "#" starts a comment at the start of a line or after
// whitespace. Supported options: -r/--requirement (relative to the including
// file; cycles are refused), -c/--constraint (see below), -i/--index-url,
// --extra-index-url, --no-index, and per-requirement --hash. Refused, with an
// error naming file and line:
//
//   - unpinned requirements (>=, ~=, !=, ==1.*, no version) (ErrUnpinned);
//   - a requirement without --hash (ErrNoHash), or a --hash that is not
//     "<algo>:<hex>" of a known algorithm (ErrBadHash);
//   - editable (-e), VCS (git+...), local-path and direct-URL requirements
//     ("name @ https://..."), even with a #sha256= fragment: airlock
//     installs registry wheels only and never builds (ErrUnsupported);
//   - --find-links, -f, and every other pip option: an option airlock would
//     ignore silently could change what pip would install (ErrUnknownOption);
//   - the same project required twice with different versions, hashes
//     merged otherwise as pip merges them (ErrConflict);
//   - include cycles and includes deeper than MaxIncludeDepth (ErrInclude).
//
// Constraints files (-c) restrict versions without requesting anything: a
// constrained name that is also required must be pinned to the same version;
// a constraint on a name nobody requires is ignored, as pip ignores it.
// Constraint lines follow the same pinning rules; their hashes, if any, are
// intersected with the requirement's like pip 23 does.
//
// # pylock.toml (PEP 751)
//
// lock-version "1.0" is read (a newer 1.x is read with the spec's
// forward-compatibility rule: unknown keys are ignored; 2.x is refused).
// Packages with vcs, directory or archive sources are refused (they would
// need a build or cannot be verified) (ErrUnsupported); an sdist is recorded
// but never selected. The top-level environments, requires-python, extras,
// dependency-groups and default-groups are honoured by Select, and the
// "extras" / "dependency_groups" marker variables evaluate against
// Environment.Extras and Environment.DependencyGroups.
//
// # uv.lock
//
// version 1 is read. Packages from the registry are installed; the root
// project (source editable/virtual at ".") and other workspace members are
// not installed but walked for their dependencies; git, path, directory and
// url sources reached by the walk are refused (ErrUnsupported).
//
// # Markers, versions, tags
//
// ParseMarker implements PEP 508 markers (every variable, and/or, parentheses,
// in/not in, PEP 440 comparison when both sides are versions, string
// comparison otherwise, extra names normalised). ParseVersion and
// ParseSpecifiers implement PEP 440. SysTags reproduces the order of
// packaging.tags.sys_tags (packaging 24) from interpreter facts; SelectWheel
// picks the wheel whose best tag comes first in that order, ties broken like
// pip by build tag and then filename. Sdists are never selected: building
// one runs its code.
package pypi
