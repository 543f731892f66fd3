package pypi

// Tag is one compatibility tag (PEP 425): interpreter, ABI, platform.
type Tag struct{ Interpreter, ABI, Platform string }

func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// TagFacts are the interpreter facts packaging.tags.sys_tags reads.
// internal/pyinterp fills them from one run of the target interpreter.
type TagFacts struct {
	// Implementation is the short interpreter name: "cp" for CPython,
	// "pp" for PyPy (sys.implementation.name via packaging's table).
	Implementation string
	// PythonVersion is sys.version_info[:2], e.g. {3, 12}.
	PythonVersion [2]int
	// ABIs are the interpreter's own ABI tags, most specific first,
	// without "abi3" and "none" (SysTags adds those): for CPython 3.12
	// ["cp312"], for a debug build ["cp312d"], for PyPy ["pypy310_pp73"].
	ABIs []string
	// Platforms are the platform tags, most specific first, as
	// packaging's platform_tags() returns them (see LinuxPlatforms).
	Platforms []string
	// InterpreterTag overrides the generic interpreter tag for non-CPython
	// implementations ("pp310" for PyPy 3.10); "" derives it.
	InterpreterTag string
}

// SysTags returns the tags packaging.tags.sys_tags() would return for an
// interpreter with these facts, in the same order (packaging 24.1).
func SysTags(f TagFacts) []Tag { return nil }

// LinuxPlatforms returns packaging's platform tags for a Linux machine:
// arch is the wheel architecture ("x86_64", "aarch64", "i686", ...); glibc
// is the C library version for manylinux tags ({2, 36}; {0, 0} when the
// interpreter is not linked against glibc); musl likewise for musllinux.
// The list ends with "linux_<arch>".
func LinuxPlatforms(arch string, glibc, musl [2]int) []string { return nil }
