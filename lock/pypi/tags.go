package pypi

import (
	"fmt"
	"strings"
)

// Tag is one compatibility tag (PEP 425): interpreter, ABI, platform, all
// lower-case as packaging.tags.Tag stores them.
type Tag struct{ Interpreter, ABI, Platform string }

func (t Tag) String() string { return t.Interpreter + "-" + t.ABI + "-" + t.Platform }

// ParseTag expands one tag triple, possibly a compressed tag set
// ("py2.py3-none-any"), into its tags in the order written. Errors match
// ErrBadWheelName.
func ParseTag(s string) ([]Tag, error) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%w: tag %q is not interpreter-abi-platform", ErrBadWheelName, s)
	}
	var out []Tag
	for _, i := range strings.Split(strings.ToLower(parts[0]), ".") {
		for _, a := range strings.Split(strings.ToLower(parts[1]), ".") {
			for _, p := range strings.Split(strings.ToLower(parts[2]), ".") {
				if i == "" || a == "" || p == "" {
					return nil, fmt.Errorf("%w: tag %q has an empty part", ErrBadWheelName, s)
				}
				t := Tag{i, a, p}
				if !containsTag(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

func containsTag(tags []Tag, t Tag) bool {
	for _, u := range tags {
		if u == t {
			return true
		}
	}
	return false
}

// TagFacts are the interpreter facts packaging.tags.sys_tags reads.
// internal/pyinterp fills them from one run of the target interpreter.
type TagFacts struct {
	// Implementation is packaging's interpreter_name(): "cp" for CPython,
	// "pp" for PyPy (sys.implementation.name through its short-name table).
	Implementation string
	// PythonVersion is sys.version_info[:2], e.g. {3, 12}.
	PythonVersion [2]int
	// InterpreterVersion is packaging's interpreter_version(): the
	// py_version_nodot config variable, or "312" built from PythonVersion
	// when empty.
	InterpreterVersion string
	// ABIs are the interpreter's own ABI tags, most specific first, as
	// packaging's _cpython_abis (CPython: ["cp312"], a debug build
	// ["cp312d", "cp312"], free-threaded ["cp313t"]) or _generic_abi
	// (PyPy: ["pypy310_pp73"]) compute them; see CPythonABIs and
	// GenericABIs. SysTags adds "abi3" and "none" itself.
	ABIs []string
	// Platforms are the platform tags, most specific first, as packaging's
	// platform_tags() computes them (see LinuxPlatforms, MacPlatforms).
	Platforms []string
	// Packaging21 reproduces packaging 21.3 (vendored by pip 23), whose
	// sys_tags did not list cpXY-none-any for CPython. The default follows
	// packaging 24, which pip 24.1 and later vendor.
	Packaging21 bool
}

// SysTags returns the tags packaging.tags.sys_tags() (packaging 24.1)
// would return for an interpreter with these facts, in the same order,
// without duplicates.
func SysTags(f TagFacts) []Tag {
	var tags []Tag
	iv := f.InterpreterVersion
	if iv == "" {
		iv = nodot(f.PythonVersion[0], f.PythonVersion[1])
	}
	var interp string
	if f.Implementation == "cp" {
		tags = CPythonTags(f.PythonVersion, f.ABIs, f.Platforms)
		if !f.Packaging21 {
			interp = "cp" + iv
		}
	} else {
		tags = GenericTags(f.Implementation+iv, f.ABIs, f.Platforms)
		if f.Implementation == "pp" {
			interp = "pp3"
		}
	}
	tags = append(tags, CompatibleTags(f.PythonVersion, interp, f.Platforms)...)
	return dedupTags(tags)
}

// dedupTags keeps each tag's first position: pip builds a priority map from
// sys_tags() keeping the first index, so later repeats never matter.
func dedupTags(tags []Tag) []Tag {
	seen := make(map[Tag]bool, len(tags))
	out := tags[:0]
	for _, t := range tags {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func nodot(major, minor int) string { return fmt.Sprintf("%d%d", major, minor) }

// CPythonTags is packaging.tags.cpython_tags(python_version, abis,
// platforms): cpXY-<abi>-<platform> for each given ABI, then abi3 (unless
// free-threaded), then none, then cp3(Y-1)..cp32 with abi3.
func CPythonTags(pyVersion [2]int, abis, platforms []string) []Tag {
	interp := "cp" + nodot(pyVersion[0], pyVersion[1])
	var own []string
	for _, a := range abis {
		if a != "abi3" && a != "none" {
			own = append(own, strings.ToLower(a))
		}
	}
	var tags []Tag
	for _, a := range own {
		for _, p := range platforms {
			tags = append(tags, Tag{interp, a, strings.ToLower(p)})
		}
	}
	threaded := false
	if len(own) > 0 && strings.HasPrefix(own[0], "cp") {
		flags := strings.TrimLeft(own[0][2:], "0123456789")
		threaded = strings.Contains(flags, "t")
	}
	useABI3 := (pyVersion[0] > 3 || (pyVersion[0] == 3 && pyVersion[1] >= 2)) && !threaded
	if useABI3 {
		for _, p := range platforms {
			tags = append(tags, Tag{interp, "abi3", strings.ToLower(p)})
		}
	}
	for _, p := range platforms {
		tags = append(tags, Tag{interp, "none", strings.ToLower(p)})
	}
	if useABI3 {
		for minor := pyVersion[1] - 1; minor > 1; minor-- {
			for _, p := range platforms {
				tags = append(tags, Tag{"cp" + nodot(pyVersion[0], minor), "abi3", strings.ToLower(p)})
			}
		}
	}
	return tags
}

// GenericTags is packaging.tags.generic_tags(interpreter, abis, platforms):
// every ABI (then "none" if not given) on every platform.
func GenericTags(interpreter string, abis, platforms []string) []Tag {
	abis = append([]string(nil), abis...)
	if !containsString(abis, "none") {
		abis = append(abis, "none")
	}
	var tags []Tag
	for _, a := range abis {
		for _, p := range platforms {
			tags = append(tags, Tag{strings.ToLower(interpreter), strings.ToLower(a), strings.ToLower(p)})
		}
	}
	return tags
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CompatibleTags is packaging.tags.compatible_tags(python_version,
// interpreter, platforms): pure-Python tags, py3X down to py30 on each
// platform, then <interpreter>-none-any, then py3X..py30 on "any".
func CompatibleTags(pyVersion [2]int, interpreter string, platforms []string) []Tag {
	var versions []string
	versions = append(versions, "py"+nodot(pyVersion[0], pyVersion[1]), fmt.Sprintf("py%d", pyVersion[0]))
	for minor := pyVersion[1] - 1; minor >= 0; minor-- {
		versions = append(versions, "py"+nodot(pyVersion[0], minor))
	}
	var tags []Tag
	for _, v := range versions {
		for _, p := range platforms {
			tags = append(tags, Tag{v, "none", strings.ToLower(p)})
		}
	}
	if interpreter != "" {
		tags = append(tags, Tag{interpreter, "none", "any"})
	}
	for _, v := range versions {
		tags = append(tags, Tag{v, "none", "any"})
	}
	return tags
}

// CPythonABIs is packaging's _cpython_abis for CPython pyVersion given the
// config variables Py_DEBUG, Py_GIL_DISABLED and (before 3.8)
// WITH_PYMALLOC; a nil pointer is an unset variable, for which debug is
// inferred from hasRefcount (sys.gettotalrefcount exists) and pymalloc is
// assumed, as packaging does.
func CPythonABIs(pyVersion [2]int, pyDebug, gilDisabled, withPymalloc *bool, hasRefcount bool) []string {
	version := nodot(pyVersion[0], pyVersion[1])
	debug, threading, pymalloc := "", "", ""
	if (pyDebug != nil && *pyDebug) || (pyDebug == nil && hasRefcount) {
		debug = "d"
	}
	atLeast := func(minor int) bool {
		return pyVersion[0] > 3 || (pyVersion[0] == 3 && pyVersion[1] >= minor)
	}
	if atLeast(13) && gilDisabled != nil && *gilDisabled {
		threading = "t"
	}
	var abis []string
	if !atLeast(8) {
		if withPymalloc == nil || *withPymalloc {
			pymalloc = "m"
		}
	} else if debug != "" {
		abis = append(abis, "cp"+version+threading)
	}
	return append([]string{"cp" + version + threading + debug + pymalloc}, abis...)
}

// GenericABIs is packaging's _generic_abi: the ABI tag read from the
// EXT_SUFFIX config variable (".pypy310-pp73-x86_64-linux-gnu.so" →
// "pypy310_pp73"). It returns nil when EXT_SUFFIX names no ABI; the caller
// then uses CPythonABIs, as packaging does for a two-part suffix.
func GenericABIs(extSuffix string) ([]string, error) {
	if !strings.HasPrefix(extSuffix, ".") {
		return nil, fmt.Errorf("invalid EXT_SUFFIX %q", extSuffix)
	}
	parts := strings.Split(extSuffix, ".")
	if len(parts) < 3 {
		return nil, nil
	}
	soabi := parts[1]
	var abi string
	switch {
	case strings.HasPrefix(soabi, "cpython"):
		f := strings.Split(soabi, "-")
		if len(f) < 2 {
			return nil, fmt.Errorf("invalid EXT_SUFFIX %q", extSuffix)
		}
		abi = "cp" + f[1]
	case strings.HasPrefix(soabi, "cp"):
		abi = strings.Split(soabi, "-")[0]
	case strings.HasPrefix(soabi, "pypy"):
		f := strings.Split(soabi, "-")
		abi = strings.Join(f[:min(2, len(f))], "-")
	case strings.HasPrefix(soabi, "graalpy"):
		f := strings.Split(soabi, "-")
		abi = strings.Join(f[:min(3, len(f))], "-")
	case soabi != "":
		abi = soabi
	default:
		return []string{}, nil
	}
	return []string{normalizeTagString(abi)}, nil
}

// normalizeTagString is packaging's _normalize_string.
func normalizeTagString(s string) string {
	return strings.NewReplacer(".", "_", "-", "_", " ", "_").Replace(s)
}

// lastGlibcMinor is packaging's _LAST_GLIBC_MINOR: the last minor version
// of each glibc major before the current one (a defaultdict of 50).
const lastGlibcMinor = 50

// LinuxPlatforms is packaging's _linux_platforms (packaging 24.1) given the
// facts it reads: platform is sysconfig.get_platform() ("linux-x86_64");
// is32bit is a 32-bit interpreter (struct.calcsize("P") == 4); abiOK is
// _have_compatible_abi's answer for the interpreter binary (armhf for
// armv7l, i386 ELF for i686; see ManylinuxABICompatible); glibc is the C
// library version ({-1, -1} when not glibc); musl the musl version ({0, 0}
// when not musl). A platform that is not linux_* is returned alone.
func LinuxPlatforms(platform string, is32bit bool, abiOK bool, glibc, musl [2]int) []string {
	linux := normalizeTagString(platform)
	if !strings.HasPrefix(linux, "linux_") {
		return []string{linux}
	}
	if is32bit {
		switch linux {
		case "linux_x86_64":
			linux = "linux_i686"
		case "linux_aarch64":
			linux = "linux_armv8l"
		}
	}
	arch := strings.TrimPrefix(linux, "linux_")
	archs := []string{arch}
	if arch == "armv8l" {
		archs = []string{"armv8l", "armv7l"}
	}
	var out []string
	if abiOK && glibc[0] > 0 {
		out = append(out, manylinuxTags(archs, glibc)...)
	}
	if musl[0] > 0 {
		for _, a := range archs {
			for minor := musl[1]; minor >= 0; minor-- {
				out = append(out, fmt.Sprintf("musllinux_%d_%d_%s", musl[0], minor, a))
			}
		}
	}
	for _, a := range archs {
		out = append(out, "linux_"+a)
	}
	return out
}

// ManylinuxABICompatible is packaging's _have_compatible_abi without the
// ELF checks, which the caller supplies: armhf reports an ARM EABI5
// hard-float binary, i386 a 32-bit little-endian x86 binary.
func ManylinuxABICompatible(archs []string, armhf, i386 bool) bool {
	if containsString(archs, "armv7l") {
		return armhf
	}
	if containsString(archs, "i686") {
		return i386
	}
	for _, a := range archs {
		switch a {
		case "x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64":
			return true
		}
	}
	return false
}

// LinuxArchs returns the architectures _linux_platforms derives from the
// platform string, for ManylinuxABICompatible.
func LinuxArchs(platform string, is32bit bool) []string {
	linux := normalizeTagString(platform)
	if is32bit {
		switch linux {
		case "linux_x86_64":
			linux = "linux_i686"
		case "linux_aarch64":
			linux = "linux_armv8l"
		}
	}
	arch := strings.TrimPrefix(linux, "linux_")
	if arch == "armv8l" {
		return []string{"armv8l", "armv7l"}
	}
	return []string{arch}
}

var legacyManylinux = map[[2]int]string{{2, 17}: "manylinux2014", {2, 12}: "manylinux2010", {2, 5}: "manylinux1"}

// manylinuxTags is _manylinux.platform_tags with _is_compatible reduced to
// its glibc comparison (the optional _manylinux override module is not
// consulted: importing it would run code).
func manylinuxTags(archs []string, glibc [2]int) []string {
	tooOld := [2]int{2, 16}
	if containsString(archs, "x86_64") || containsString(archs, "i686") {
		tooOld = [2]int{2, 4}
	}
	maxList := [][2]int{glibc}
	for major := glibc[0] - 1; major > 1; major-- {
		maxList = append(maxList, [2]int{major, lastGlibcMinor})
	}
	var out []string
	for _, arch := range archs {
		for _, gmax := range maxList {
			minMinor := -1
			if gmax[0] == tooOld[0] {
				minMinor = tooOld[1]
			}
			for minor := gmax[1]; minor > minMinor; minor-- {
				v := [2]int{gmax[0], minor}
				// Every version here is <= glibc, so _is_compatible holds.
				out = append(out, fmt.Sprintf("manylinux_%d_%d_%s", v[0], v[1], arch))
				if legacy, ok := legacyManylinux[v]; ok {
					out = append(out, legacy+"_"+arch)
				}
			}
		}
	}
	return out
}

// MacPlatforms is packaging's mac_platforms(version, arch): version is
// the macOS version (platform.mac_ver(), major and minor) and arch the
// interpreter's architecture after _mac_arch ("arm64", "x86_64", "i386").
func MacPlatforms(version [2]int, arch string) []string {
	var out []string
	emit := func(major, minor int, formats []string) {
		for _, f := range formats {
			out = append(out, fmt.Sprintf("macosx_%d_%d_%s", major, minor, f))
		}
	}
	less := func(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }
	if !less(version, [2]int{10, 0}) && less(version, [2]int{11, 0}) {
		for minor := version[1]; minor >= 0; minor-- {
			emit(10, minor, macBinaryFormats([2]int{10, minor}, arch))
		}
	}
	if !less(version, [2]int{11, 0}) {
		for major := version[0]; major > 10; major-- {
			emit(major, 0, macBinaryFormats([2]int{major, 0}, arch))
		}
		for minor := 16; minor > 3; minor-- {
			if arch == "x86_64" {
				emit(10, minor, macBinaryFormats([2]int{10, minor}, arch))
			} else {
				emit(10, minor, []string{"universal2"})
			}
		}
	}
	return out
}

func macBinaryFormats(v [2]int, arch string) []string {
	less := func(a, b [2]int) bool { return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]) }
	formats := []string{arch}
	switch arch {
	case "x86_64":
		if less(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat64", "fat32")
	case "i386":
		if less(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat32", "fat")
	case "ppc64":
		if less([2]int{10, 5}, v) || less(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "fat64")
	case "ppc":
		if less([2]int{10, 6}, v) {
			return nil
		}
		formats = append(formats, "fat32", "fat")
	}
	if arch == "arm64" || arch == "x86_64" {
		formats = append(formats, "universal2")
	}
	switch arch {
	case "x86_64", "i386", "ppc64", "ppc", "intel":
		formats = append(formats, "universal")
	}
	return formats
}
