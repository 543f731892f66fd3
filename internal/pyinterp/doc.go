// Package pyinterp learns what airlock needs about a target Python
// interpreter by running it once with a fixed script, and computes from the
// answer the wheel tags (packaging.tags' algorithm, in lock/pypi) and the
// install scheme pip would use.
//
// Query runs `python -I -c <script>` in the temporary directory with an
// environment holding only PATH. -I (isolated mode) ignores every PYTHON*
// variable, the user site directory and the current directory, so nothing
// planted in the project, in PYTHONPATH or in PYTHONSTARTUP is imported
// (TestQueryIgnoresEnvironment plants them). -S is deliberately NOT used:
// the site module is what applies a venv's pyvenv.cfg to sys.prefix, so
// under -S a venv's python reports the base interpreter's prefix and
// site-packages (checked on CPython 3.8 and 3.12), and Debian's
// posix_local scheme (/usr/local) is what pip uses with site loaded. The
// cost: site-packages .pth files of the chosen interpreter run at start-up,
// exactly as they do when pip itself runs there.
//
// The script imports only the standard library and reports: the
// implementation and version, sys.prefix/base_prefix (venv detection), the
// sysconfig paths of the scheme pip's _infer_prefix picks
// (sysconfig.get_preferred_scheme("prefix") where it exists), the PEP 508
// marker values as packaging's default_environment() computes them, the
// config variables packaging's ABI rules read (SOABI, EXT_SUFFIX, Py_DEBUG,
// Py_GIL_DISABLED, WITH_PYMALLOC, py_version_nodot), sysconfig.get_platform(),
// the pointer size, the glibc version (os.confstr("CS_GNU_LIBC_VERSION"), no
// ctypes) and platform.mac_ver(). The interpreter binary's ELF header
// (armhf, i386, PT_INTERP) is read in Go, and a musl loader is run without
// arguments to print its version, as packaging does.
//
// The tag order is packaging 24's (vendored by pip 24.1 and later); pip 23
// vendors packaging 21.3, whose list lacks cpXY-none-any, and
// TagFacts.Packaging21 reproduces it. TestSysTagsMatchPackaging checks the
// resulting list, tag for tag, against packaging.tags.sys_tags() run in
// every interpreter on the test machine (CPython 3.7 to 3.13, both
// packaging versions); TestQueryPaths checks the scheme against pip's
// get_scheme for a venv and for Debian's system python. Not reproduced:
// packaging's re-run of the interpreter on macOS when platform.mac_ver()
// reports the 10.16 compatibility version, and the optional _manylinux
// override module (importing it would run code).
//
// Interpreters other than CPython 3 and PyPy 3 are refused
// (ErrUnsupportedInterpreter); SchemeForTarget gives pip's --target layout.
package pyinterp
