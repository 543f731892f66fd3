// Package pyinterp learns what airlock needs about a target Python
// interpreter by running it once with a fixed script, and computes from
// the answer the wheel tags and install scheme, without importing anything
// the environment could plant.
//
// Query runs `python -I -c <script>` with an environment holding only
// PATH, LANG=C.UTF-8 and PYTHONIOENCODING=utf-8. -I (isolated mode) ignores
// PYTHON* variables, the user site directory and the current directory on
// sys.path, so nothing planted in the project or in PYTHONPATH is imported.
// -S is NOT used: without the site module, sys.prefix and the sysconfig
// scheme are still right for a venv (pyvenv.cfg is read by the interpreter
// itself), but Debian/Ubuntu's patched site/sysconfig choose the
// "posix_local" (/usr/local) scheme only when site is loaded, and pip itself
// runs with site loaded: paths must be the ones pip would install into. The
// script imports only the standard library (sys, sysconfig, os, platform,
// json); site-packages .pth files still run at start-up in a non-isolated
// venv as they do for pip, which is the interpreter the user chose to trust.
//
// The script reports: implementation name and version, sys.version_info,
// sysconfig paths (purelib, platlib, scripts, data, include) for the
// default scheme, prefix and base_prefix (venv detection), the PEP 508
// marker values, SOABI, EXT_SUFFIX, Py_DEBUG, Py_GIL_DISABLED,
// sysconfig.get_platform(), the glibc version (os.confstr
// "CS_GNU_LIBC_VERSION"), and the musl version (read from the dynamic
// loader's banner as packaging does, in Go, from the interpreter's
// PT_INTERP). Tags are then computed in Go by pypi.SysTags.
//
// Interpreters other than CPython 3 and PyPy 3 are refused
// (ErrUnsupportedInterpreter): airlock reproduces packaging's tag rules only
// for those two.
package pyinterp
