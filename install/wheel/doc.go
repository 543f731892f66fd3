// Package wheel installs verified wheels into a Python environment exactly as
// `pip install --no-deps --no-compile` would lay them out, without running any
// code, and atomically replaces the versions installed before.
//
// # Use
//
// The caller fetches and verifies each wheel against the lock, spools it to a
// file, and calls [Stage] with a [install.Staging] whose project directory
// holds every [Scheme] directory and lies on the same filesystem: the
// project when the environment is inside it (".venv"), otherwise [Root] of
// the scheme (a venv's prefix, which then gets airlock's .airlock/ lock and
// staging directory; Python and pip ignore it). Nothing in the environment
// changes until the caller commits the Staging. [Install] does Begin, Stage
// and Commit in one call. Stage always lays out every wheel given, even a
// version that is already installed (pip would say "already satisfied"):
// the result is the same tree, and a damaged installation is repaired.
// A caller that keeps what already satisfies a requirement, as pip does,
// reads what is installed with [Installed] and leaves those out.
//
// # What is checked (each refusal wraps one of the package's errors)
//
//   - The archive is extracted with unpack.Zip into the staging area, which
//     refuses unsafe paths, links, special files, bombs and duplicates.
//   - Exactly one top-level *.dist-info directory, whose name and version
//     match the wheel's Name and Version (PEP 503 names, PEP 440 versions,
//     both normalised) ([ErrDistInfo]); METADATA's Name and Version agree
//     ([ErrMetadata]).
//   - WHEEL has Wheel-Version 1.x and a Root-Is-Purelib of true or false
//     ([ErrWheelFile]).
//   - RECORD is read as pip reads it (Python's csv after str.splitlines);
//     characters Python would treat as line breaks inside a line, unclosed
//     quotes, rows of other than three fields and blank rows are refused
//     ([ErrRecordSyntax]). Every file in the archive is listed with a sha256
//     (or sha384/sha512) digest and, when given, a size that match what was
//     extracted ([ErrRecordMismatch]); RECORD itself and the signature files
//     RECORD.jws and RECORD.p7s may be unlisted or listed without a digest.
//     A listed file absent from the archive ([ErrRecordExtra]), a file
//     missing from RECORD ([ErrRecordMissing]), a path that is absolute or
//     leaves the wheel ([ErrUnsafeRecordPath]), an md5 or sha1 digest
//     ([ErrWeakHash]) and two rows for one path that disagree
//     ([ErrRecordSyntax]) are refused.
//   - A top-level directory whose name ends in ".data" (pip's test) holds only
//     <key>/<path> with key one of purelib, platlib, scripts, headers, data
//     ([ErrDataKey]).
//   - Two files of one wheel that would be installed at the same path (a root
//     file and a .data/purelib file, say) are refused ([ErrConflict]); pip
//     lets the later one win. So is a file that would replace a scheme
//     directory (.data/data/bin), a file where a directory is or the
//     reverse, any install or removal through a symlink inside the
//     environment, a file replacing a symlink (wheels hold none, so it is the
//     environment's own, like bin/python3 -> python), and a console script or
//     data file replacing the environment's interpreter or activation
//     scripts (python*, activate*, Activate.ps1 in the scripts directory)
//     ([ErrConflict]); pip would overwrite all of these. Two wheels installing the same file (a
//     sloppy shared "tests/__init__.py") are accepted as pip accepts them,
//     the later wheel's copy kept, with a warning in [Result.Warnings].
//   - console_scripts and gui_scripts names must be plain file names made of
//     letters, digits and "_.+-" (never "." or ".."), and values
//     "module[.sub]:callable[.attr] [extras]" ([ErrEntryPoint]); pip's
//     distlib would pick a suffix of a stranger name.
//   - A .pth file at the top of purelib or platlib is listed in
//     [DistResult.Pth]: Python runs its import lines at every start-up.
//     Options.DenyPth refuses such wheels ([ErrPth]).
//   - The previous installation's RECORD may not name a path outside the
//     scheme directories, or a scheme directory itself
//     ([ErrUnsafeRecordPath]); pip skips such paths, airlock stops and says
//     which distribution to remove by hand.
//
// # Layout (pip 23's rules)
//
// Root-Is-Purelib chooses purelib or platlib for the archive's root;
// .data/<key>/ goes to the scheme directory of that key (headers to
// Scheme.Headers/<Wheel.Name>, as pip appends the name). A .data/scripts file
// whose first line starts with "#!python" gets that line replaced by
// "#!<Options.Python>\n" (pip's fix_script, which neither quotes nor
// shortens the path); its mode comes from the archive, as in pip 23, so a
// script the archive does not mark executable stays so. A .data/scripts file
// named like an entry point (EP, EP.exe, EP-script.py, EP.pya: a setuptools
// wrapper) is skipped, its RECORD row kept as the archive wrote it.
// console_scripts and gui_scripts get distlib's wrapper script (pip's
// template text, "#!<python>" or, when the path has a space or the line would
// pass 127 bytes, distlib's form that starts under /bin/sh and re-executes
// the interpreter), mode (0o666&^umask)|0o555. pip's own "pip" and
// "easy_install" entries become pip, pipX, pipX.Y and easy_install,
// easy_install-X.Y for Options.PythonVersion, other versioned ones dropped
// (pip's ENSUREPIP_OPTIONS variations are not imitated). Archive files get 0o666&^umask, or (0o777&^umask)|0o111 when the
// archive marks them executable; new directories 0o777&^umask. INSTALLER
// ("airlock\n"), REQUESTED (empty, for requested dists) and direct_url.json
// (only when Wheel.DirectURL is set) are written with 0o666&^umask, and
// RECORD is rewritten as pip rewrites it: archive rows with installed paths
// relative to the root's lib directory (scripts as ../../../bin/x), new
// digests for rewritten scripts, rows for generated files, the RECORD row with
// empty digest and size, rows sorted, CRLF line ends and Python's csv quoting.
//
// airlock does not byte-compile (pip without --no-compile does): compiling
// means starting the target interpreter, which runs every .pth file already in
// site-packages, and .pyc files are written by Python on first import anyway.
// RECORD therefore lists no .pyc files, exactly as with pip --no-compile.
//
// # Uninstalling
//
// Wheels are handled in the order given, each as pip handles a requirement:
// uninstall the previous version, then install. Every <name>-<version>.dist-info
// in purelib and platlib whose normalised name matches is uninstalled as
// pip 23's UninstallPathSet does: the existing paths among every file its
// RECORD lists, the .pyc and .pyo beside each .py and its
// __pycache__/<name>.<Options.CacheTag>.pyc, and the scripts of its
// entry_points.txt; a directory all of whose files are in that set goes
// whole (compress_for_rename), any other file goes alone and takes its
// parent directories with it while they are left empty (os.removedirs,
// stopping at the scheme directories; pip would go on). A distribution
// without a RECORD, or installed as .egg-info, is refused with
// [ErrCannotUninstall]. Unlike pip, a dangling symlink named in RECORD is
// removed too.
//
// # Atomicity
//
// Everything is built in the staging area before anything in the environment
// changes. Each changed top-level entry of a scheme directory (a package
// directory, a module file, a .dist-info directory, a script in bin/; or the
// highest missing ancestor of a new file) is one target of the Staging: its
// new content is the old entry cloned with hard links (so files of other
// distributions sharing a namespace directory stay), minus the uninstalled
// files, plus the new ones. Commit swaps each target with one
// renameat2(RENAME_EXCHANGE) (or moves a removed entry into the staging area)
// under the project lock, undoing earlier swaps if a later one fails and
// holding SIGINT/SIGTERM/SIGHUP meanwhile. So a failure or Ctrl-C at any point
// leaves the previous environment as it was. Not atomic: the targets are
// swapped one after another, so SIGKILL or power loss during Commit can leave
// some entries new and some old (each entry is wholly one or the other);
// running the install again repairs it, because it uninstalls every matching
// .dist-info it finds. Another program writing the environment at the same
// time (pip itself) is not locked out. Cloning costs one hard link per file
// of each touched entry; a namespace directory shared by many
// distributions is cloned whole.
package wheel
