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
//	dists, err := lk.Select(env)        // markers, requires-python, extras, groups, conflicts
//	for _, d := range dists {
//	    // pylock.toml and uv.lock list the wheels; for a requirements file
//	    // the index lists them: keep files with d.VersionMatches(version).
//	    w, err := pypi.SelectWheel(d.Name, d.Wheels, env)
//	    integrity := pypi.Integrity(w.Hashes) // or d.Hashes for requirements
//	}
//
// Lock.Select is the one entry point for "what goes on disk": for
// requirements files and pylock.toml it evaluates each Dist's Marker; for
// uv.lock it walks the dependency graph from the project root, following
// the edges whose markers hold, with the extras and groups chosen in
// UVOptions. Entries that cannot be installed (a VCS source, say) are
// refused only when Select picks them, so a lock written for several
// platforms installs wherever its selected entries are fine.
//
// # Requirements files (pip's --require-hashes mode)
//
// Lines are read as pip 23's req_file reads them: Python's splitlines, a
// trailing backslash joins the next line, "#" starts a comment at the start
// of a line or after whitespace, blank lines are skipped, the requirement
// is every space-separated token before the first one starting with "-",
// and the options after it are split like a shell would. ${VAR} references
// are expanded only by ParseRequirementsEnv, and only in -i and
// --extra-index-url values (pip expands them anywhere; airlock keeps secrets
// out of every other place an error message could quote). Errors quote the
// offending line only for files under the top-level file's directory, and
// cut long lines: an include of ~/.aws/credentials or /proc/self/environ
// must not print them into CI logs.
//
// Every requirement must be pinned with == (or === for arbitrary equality,
// see Dist.Arbitrary) to one version and carry at least one
// --hash=<sha256|sha384|sha512>:<hex>; several per line are allowed and a
// file matching any of them is accepted, as in pip. Supported options:
// -r/--requirement (relative to the including file; cycles and nesting
// beyond MaxIncludeDepth are refused), -c/--constraint, -i/--index-url,
// --extra-index-url, --no-index, and the moot --require-hashes, --pre,
// --prefer-binary, --only-binary. Refused, with an error naming file and
// line:
//
//   - unpinned requirements: >=, ~=, !=, ranges, no version, and ==1.*
//     (pip's is_pinned accepts a wildcard ==; a wildcard names no single
//     file, so airlock does not) (ErrUnpinned);
//   - a requirement without --hash (ErrNoHash), or a --hash of another
//     algorithm or a malformed digest (ErrBadHash);
//   - editable (-e), VCS (git+...), local-path, archive-file and direct-URL
//     requirements ("name @ https://..."), even with a #sha256= fragment
//     that pip would accept: airlock installs registry wheels looked up on
//     the index and never builds (ErrUnsupported);
//   - --find-links, --no-binary, --trusted-host (it turns TLS checks off),
//     --global-option and --config-settings (ErrUnsupported), and every
//     other option, including abbreviations optparse would expand and
//     file-wide options placed after a requirement, which pip silently
//     ignores (ErrUnknownOption);
//   - a --hash on a line without a requirement (pip warns and ignores it;
//     it is usually a missing backslash) (ErrSyntax);
//   - two pins of one project with different versions that apply in the
//     same environment (at parse time when their markers are equal, in
//     Select otherwise) (ErrConflict); pins of the same version merge,
//     their hash sets intersected as pip's resolver intersects them;
//   - -r/-c of a URL, and files that cannot be read (ErrInclude).
//
// Constraints files (-c) are supported as pip's resolver applies them:
// constraint lines need no pin and no hash, may not have extras or be URLs,
// are ignored when their marker does not hold or nothing requires the
// project, must admit the pinned version (ErrConflict otherwise), and their
// hashes, when given, are intersected with the requirement's. airlock
// installs exactly the requirements listed: it does not resolve
// dependencies, so a file pip-compile --generate-hashes wrote is complete,
// and a hand-written one is the user's responsibility, as with pip
// --no-deps.
//
// # pylock.toml (PEP 751)
//
// lock-version 1.x is read; a newer major version is refused
// (ErrUnsupportedVersion) and unknown keys are ignored, as the spec asks.
// Packages with vcs, directory or archive sources are refused when
// selected (they would need a build, or are not wheels) (ErrUnsupported);
// an sdist is recorded but never selected. Every file needs a sha256,
// sha384 or sha512 hash (others are ignored) (ErrNoHash). A wheel whose
// filename names another project or version is refused (ErrInvalidEntry).
// Select honours requires-python (the lock's and each package's),
// environments, and the "extras" / "dependency_groups" marker variables,
// which evaluate against Environment.Extras and Environment.DependencyGroups
// (default-groups when nil); requested extras and groups must be listed in
// the lock (ErrUnknownGroup), and two entries of one project may not both
// apply (ErrConflict).
//
// # uv.lock
//
// version 1 (any revision) is read. Select walks from the project root
// (the package whose source is editable, virtual or directory "."), the
// member chosen by UVOptions.Package, every member (AllPackages, or a
// workspace root that is not a project, whose [manifest] requirements and
// dependency-groups become a root of their own). Groups and extras follow
// uv sync: default groups (["dev"] unless UVOptions.DefaultGroups says
// otherwise), --group, --only-group, --no-group, --no-dev, --all-groups,
// --extra, --all-extras; an unknown extra or group is ErrUnknownGroup.
// Dependency edges name a package by name, and by version and source when
// the name is ambiguous (forks). uv's conflict markers ("extra ==
// 'extra-7-project-cpu'", "group-...", "project-...") are evaluated against
// the set of activated extras, groups and projects, an edge that activates
// an extra counting that extra as active, and a selection activating two
// items of one declared conflict set is refused as uv refuses it
// (ErrConflict). Workspace members are walked, never installed (airlock
// does not build the project: uv sync --no-install-workspace). git, url,
// path, non-member directory and local-registry (find-links) packages are
// refused when reached (ErrUnsupported), and so are wheels locked without a
// hash (ErrNoHash). TestUVScenarios replays uv's own lock-and-sync tests
// and matches uv's installed set on every run that uses registry packages.
//
// # Requirements by name, and writing pylock.toml
//
// ParseRequirement reads one PEP 508 requirement by name (METADATA's
// Requires-Dist, a command line, a requirements.in line); resolve/pypi
// resolves them. WritePylock writes a resolved Lock as PEP 751 in the
// shape pip lock writes (lock-version 1.0, environments, created-by,
// [[packages]] with their [[packages.wheels]] name, upload-time, url, size
// and hashes), refusing wheels without a URL or hash; ParsePylock reads it
// back.
//
// # Markers, versions, tags
//
// ParseMarker implements the PEP 508 grammar packaging 24 accepts, with
// PEP 751's set variables; Evaluate follows packaging's _eval_op (PEP 440
// comparison when the right side makes a valid specifier and the left is a
// version; Python string comparison otherwise, where packaging 24 raises
// InvalidVersion but PEP 508 says to fall back). ParseVersion,
// ParseSpecifier and Specifier.Contains follow packaging's Version and
// Specifier (contains with prereleases=True). SysTags reproduces
// packaging.tags.sys_tags() (packaging 24; TagFacts.Packaging21 for the
// 21.3 that pip 23 vendors) from interpreter facts, and ParseWheelFilename
// packaging's parse_wheel_filename, stricter only in refusing empty and
// non-ASCII names and empty tag parts. SelectWheel picks the wheel whose
// best tag comes first, ties broken like pip by build tag and then by file
// name. Sdists are never selected: building one runs its code. The
// testdata fixtures for all of this were generated by the real packaging
// library (testdata/*/gen_*.py).
package pypi
