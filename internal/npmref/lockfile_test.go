package npmref

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// lockfile is the part of package-lock.json v2/v3 these checks need.
type lockfile struct {
	Name            string
	Version         string
	LockfileVersion int
	Packages        map[string]lockEntry
	raw             map[string]any
}

type lockEntry struct {
	Name, Version, Resolved, Integrity string
	Link, InBundle                     bool
	Dev, Optional, DevOptional, Peer   bool
	HasInstallScript                   bool
	OS, CPU, Libc                      []string
	Bin                                map[string]string
}

func readLock(t *testing.T, file string) *lockfile {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var l lockfile
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if err := json.Unmarshal(b, &l.raw); err != nil {
		t.Fatal(err)
	}
	return &l
}

// packageName is the name an entry is published under: its "name" field
// (aliases, workspaces) or the last node_modules segment of its path.
func packageName(key string, e lockEntry) string {
	if e.Name != "" {
		return e.Name
	}
	i := strings.LastIndex(key, "node_modules/")
	return key[i+len("node_modules/"):]
}

// platform is this machine in npm's terms (process.platform, process.arch,
// npm-install-checks' libc).
func platform() (osName, cpu, libc string) {
	osName = map[string]string{"windows": "win32"}[runtime.GOOS]
	if osName == "" {
		osName = runtime.GOOS
	}
	cpu = map[string]string{"amd64": "x64", "386": "ia32"}[runtime.GOARCH]
	if cpu == "" {
		cpu = runtime.GOARCH
	}
	if runtime.GOOS == "linux" {
		libc = "glibc"
		if m, _ := filepath.Glob("/lib/ld-musl-*"); len(m) > 0 {
			libc = "musl"
		}
	}
	return osName, cpu, libc
}

// checkList is npm-install-checks' rule: no negated entry may match, and
// if there are plain entries, one must.
func checkList(value string, list []string) bool {
	if len(list) == 0 || len(list) == 1 && list[0] == "any" {
		return true
	}
	negated, match := 0, false
	for _, e := range list {
		if neg, ok := strings.CutPrefix(e, "!"); ok {
			negated++
			if value == neg {
				return false
			}
		} else if value == e {
			match = true
		}
	}
	return match || negated == len(list)
}

func platformOK(e lockEntry) bool {
	osName, cpu, libc := platform()
	libcOK := checkList(libc, e.Libc)
	if len(e.Libc) > 0 && libc == "" {
		libcOK = false
	}
	return checkList(osName, e.OS) && checkList(cpu, e.CPU) && libcOK
}

// omitted is arborist's Node.shouldOmit for a lockfile entry.
func omitted(e lockEntry, omit map[string]bool) bool {
	return e.Peer && omit["peer"] || e.Dev && omit["dev"] || e.Optional && omit["optional"] ||
		e.DevOptional && omit["dev"] && omit["optional"]
}

// expected splits the lockfile's entries into those npm ci installs and
// those it leaves out: omitted types, optional entries for another
// platform, and everything below a left-out entry.
func (l *lockfile) expected(omit map[string]bool) (installed, skipped map[string]lockEntry) {
	installed, skipped = map[string]lockEntry{}, map[string]lockEntry{}
	for key, e := range l.Packages {
		if key == "" {
			continue
		}
		if omitted(e, omit) || e.Optional && !platformOK(e) {
			skipped[key] = e
		}
	}
	for key, e := range l.Packages {
		if key == "" {
			continue
		}
		if _, ok := skipped[key]; ok {
			continue
		}
		for s := range skipped {
			if strings.HasPrefix(key, s+"/node_modules/") {
				skipped[key] = e
			}
		}
		if _, ok := skipped[key]; !ok {
			installed[key] = e
		}
	}
	return installed, skipped
}

// binDir is the .bin directory serving the package installed at key:
// the one in the node_modules directory that holds it.
func binDir(key string) string {
	i := strings.LastIndex(key, "node_modules/")
	return key[:i] + "node_modules/.bin"
}

// linkTarget is the relative symlink npm makes from dir to target, both
// slash paths relative to the project.
func linkTarget(dir, target string) string {
	rel, err := filepath.Rel(filepath.FromSlash(dir), filepath.FromSlash(target))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return filepath.ToSlash(rel)
}

// umask reads the process umask without changing it (Linux ≥ 4.7), for
// the mode expectations; ok is false where it cannot be read.
func umask() (os.FileMode, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			var m uint32
			for _, c := range strings.TrimSpace(v) {
				m = m*8 + uint32(c-'0')
			}
			return os.FileMode(m), true
		}
	}
	return 0, false
}

func joinKey(key, rel string) string { return path.Join(key, rel) }
