package npm

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/lock/npm/internal/semver"
)

// Platform is what npm matches a package's os, cpu and libc fields against,
// in npm's spellings: OS is node's process.platform ("linux", "darwin",
// "win32"), CPU its process.arch ("x64", "arm64", "ia32"), Libc "glibc",
// "musl" or "" (npm knows a libc only on Linux).
type Platform struct{ OS, CPU, Libc string }

func (p Platform) String() string {
	s := p.OS + "/" + p.CPU
	if p.Libc != "" {
		s += "/" + p.Libc
	}
	return s
}

// HostPlatform maps the running program's GOOS and GOARCH to npm's names.
// It leaves Libc empty: finding it reads the file system (DetectLibc).
func HostPlatform() Platform {
	return Platform{OS: npmOS(runtime.GOOS), CPU: npmCPU(runtime.GOARCH)}
}

func npmOS(goos string) string {
	switch goos {
	case "windows":
		return "win32"
	case "solaris", "illumos":
		return "sunos"
	}
	return goos // linux, darwin, freebsd, openbsd, netbsd, aix, android
}

func npmCPU(goarch string) string {
	switch goarch {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "ppc64le":
		return "ppc64" // node reports little-endian POWER as ppc64 too
	case "mipsle":
		return "mipsel"
	}
	return goarch // arm64, arm, s390x, riscv64, loong64, ppc64, mips
}

// platformMismatch is npm-install-checks' checkPlatform: nil when the
// package may be installed on p, else what does not match.
func platformMismatch(pkg *lock.Package, p Platform) error {
	var bad []string
	if pkg.OS != nil && !checkList(p.OS, pkg.OS) {
		bad = append(bad, fmt.Sprintf("os %s does not match %s", strings.Join(pkg.OS, ","), p.OS))
	}
	if pkg.CPU != nil && !checkList(p.CPU, pkg.CPU) {
		bad = append(bad, fmt.Sprintf("cpu %s does not match %s", strings.Join(pkg.CPU, ","), p.CPU))
	}
	// npm: a libc requirement fails outright where no libc is known.
	if pkg.Libc != nil && (p.Libc == "" || !checkList(p.Libc, pkg.Libc)) {
		have := p.Libc
		if have == "" {
			have = "no known libc"
		}
		bad = append(bad, fmt.Sprintf("libc %s does not match %s", strings.Join(pkg.Libc, ","), have))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(bad, "; "))
}

// checkList: the value must equal none of the "!"-negated entries and one of
// the plain entries if there are any; ["any"] allows everything.
func checkList(value string, list []string) bool {
	if len(list) == 1 && list[0] == "any" {
		return true
	}
	negated, match := 0, false
	for _, e := range list {
		if t, neg := strings.CutPrefix(e, "!"); neg {
			negated++
			if value == t {
				return false
			}
		} else if value == e {
			match = true
		}
	}
	return match || negated == len(list)
}

// engineMismatch is npm-install-checks' checkEngine: the node and npm
// versions must satisfy engines.node and engines.npm, prereleases included.
// An empty version is not checked, as in npm.
func engineMismatch(pkg *lock.Package, nodeVersion, npmVersion string) error {
	var bad []string
	o := semver.Options{IncludePrerelease: true}
	if want := pkg.Engines["node"]; nodeVersion != "" && want != "" && !semver.Satisfies(nodeVersion, want, o) {
		bad = append(bad, fmt.Sprintf("engines.node %q is not satisfied by node %s", want, nodeVersion))
	}
	if want := pkg.Engines["npm"]; npmVersion != "" && want != "" && !semver.Satisfies(npmVersion, want, o) {
		bad = append(bad, fmt.Sprintf("engines.npm %q is not satisfied by npm %s", want, npmVersion))
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(bad, "; "))
}
