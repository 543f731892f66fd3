// Package pypi resolves Python requirements to one pinned set of wheels
// for one target interpreter, from a package index's simple API, the way
// pip's resolver (resolvelib) does: newest compatible version first,
// backtracking on a conflict, and an error naming the requirements that
// conflict when no set satisfies them all.
//
// The search is depth-first over nodes (projects, and project[extra]):
// exact pins first, then projects before their extras, each in the order
// first required. A dead end is blamed on the pins of the nodes whose
// requirements caused it, and the search jumps back over nodes outside the
// blame (conflict-directed backjumping, as resolvelib 1.x backjumps).
// Like resolvelib's, this assumes that more requirements on a project
// never admit more versions; the two exceptions, a yanked release an
// added == pin would admit (handled: such dead ends blame every choice)
// and a pre-release an added specifier would admit (not handled, as in
// pip), are rare. Options.MaxRounds bounds the work.
//
// What it considers, per project (Resolve's Options say for which
// interpreter and under which policy):
//
//   - Wheels only. A version whose only files are source distributions is
//     skipped (building one runs its code); a project with no usable wheel
//     at all fails with an error naming the sdists.
//   - Wheels whose tags the interpreter supports (lock/pypi.SelectWheel)
//     and whose index-declared Requires-Python (PEP 503 / 691) and METADATA
//     Requires-Python hold.
//   - Yanked files (PEP 592) only when a requirement pins the version with
//     == or ===; picking one is a warning.
//   - Pre-releases only when a specifier names one, or when no final
//     release fits (packaging's SpecifierSet.filter).
//   - Policy (verify.Policy, airlock.toml [policy]) before anything is
//     downloaded: a version matched by a deny rule, or a file uploaded
//     (PEP 700 upload-time) less than min_release_age ago, is skipped, as
//     uv's --exclude-newer skips it; with min_release_age set, a file
//     whose index gives no upload-time is skipped too. A top-level
//     requirement pinned with == to a version policy refuses is an error
//     saying why (ErrPolicy), not a silent downgrade.
//
// Dependencies come from each candidate wheel's METADATA (Requires-Dist,
// with markers evaluated for the interpreter and the extra being
// resolved), which the Index reads from the index's PEP 658 metadata file
// (checked against the hash the index declares for it) or from the wheel
// itself (checked against the index's sha256). Extras are resolved as pip
// does: "name[extra]" is a node of its own whose candidates pin "name" to
// the same version.
//
// Distributions already installed in the target environment
// (Options.Installed) are candidates as pip's already-installed ones are:
// one whose version every requirement admits and policy's deny list does
// not match is tried first, before the index is read (pip install without
// -U: "Requirement already satisfied"), or with -U (UpgradeRequested) for
// dependencies only, the top-level projects trying the index's newest
// releases with the installed version in its place among them; eager
// (UpgradeEager) tries everything newest first. A kept distribution's
// dependencies are its installed METADATA's, and the index's Requires-
// Python, yanking and min_release_age do not apply to it: nothing of it
// is fetched. Pin.Installed marks it.
//
// The result pins every wheel with the index's sha256, which airlock then
// verifies on download like any lockfile's hash: trust in the index is
// taken at resolution time, once, and recorded (airlock pip lock writes
// it to a pylock.toml for review).
package pypi
