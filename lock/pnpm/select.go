package pnpm

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// DefaultVirtualStoreDirMaxLength is pnpm's virtual-store-dir-max-length
// on Linux and macOS: longer .pnpm directory names are cut and hashed.
const DefaultVirtualStoreDirMaxLength = 120

// Platform is what os, cpu and libc fields are matched against, in node's
// spellings (process.platform, process.arch; libc "glibc", "musl" or "").
type Platform struct{ OS, CPU, Libc string }

// Architectures is pnpm's supportedArchitectures setting: the os, cpu and
// libc values packages are installed for. A nil list means ["current"],
// and "current" stands for the Platform's value.
type Architectures struct{ OS, CPU, Libc []string }

// Options say what to install from a lockfile.
type Options struct {
	// NoDev and NoOptional are pnpm's --prod and --no-optional; NoProd
	// leaves out dependencies (pnpm's --dev, which sets NoOptional too).
	NoDev, NoOptional, NoProd bool
	Platform                  Platform
	// Supported is supportedArchitectures; nil means the Platform only.
	Supported *Architectures
	// NodeVersion is what engines.node is checked against (pnpm's
	// node-version setting, else the node on PATH); "" skips the check,
	// as airlock cannot tell which node will run the packages.
	NodeVersion string
	// EngineStrict makes a required package whose platform or engines do
	// not match an error instead of a warning, as pnpm's engine-strict.
	EngineStrict bool
	// Major is the pnpm major version the layout imitates (9 or 10; 0
	// means 10). They hash over-long .pnpm directory names differently.
	Major int
	// VirtualStoreDirMaxLength is pnpm's virtual-store-dir-max-length;
	// 0 means DefaultVirtualStoreDirMaxLength.
	VirtualStoreDirMaxLength int
}

// Node is one installed package of the virtual store.
type Node struct {
	Entry *Entry
	// Dir is the package's directory relative to the project root:
	// node_modules/.pnpm/<dir name>/node_modules/<name>.
	Dir string
	// Children are the installed dependencies, linked as siblings of the
	// package in node_modules/.pnpm/<dir name>/node_modules, in lockfile
	// order (dependencies, then optionalDependencies).
	Children []Dep
	// OptionalAliases are the children that are optional dependencies.
	OptionalAliases map[string]bool
	Dev             bool
}

// Skipped is a package left out, and why.
type Skipped struct {
	Package lock.Package
	Reason  string
}

// Warning is a problem that does not stop the install.
type Warning struct {
	Package lock.Package
	Message string
}

// Selection is what Select decided.
type Selection struct {
	// Install lists the packages to extract, one per virtual store
	// directory, sorted by Path.
	Install []lock.Package
	// Nodes by snapshot key (only installed ones).
	Nodes map[string]*Node
	// Importers, in lockfile order, with only the direct dependencies
	// that are installed.
	Importers []*Importer
	Skipped   []Skipped
	Warnings  []Warning
}

// Select walks the lockfile from its importers as pnpm's headless install
// does (filterLockfileByImportersAndEngine): devDependencies are left out
// under NoDev, dependencies under NoProd, optional dependencies under
// NoOptional, and an optional package (one whose snapshot says optional:
// true) whose os/cpu/libc do not match the supported architectures, or
// whose engines.node does not match NodeVersion, is skipped with
// everything only it needs.
func (lf *Lockfile) Select(o Options) (*Selection, error) {
	if o.VirtualStoreDirMaxLength == 0 {
		o.VirtualStoreDirMaxLength = DefaultVirtualStoreDirMaxLength
	}
	sel := &Selection{Nodes: map[string]*Node{}}
	skipped := map[string]bool{}
	prodReach := map[string]bool{}
	type item struct {
		depPath string
		dev     bool
	}
	var queue []item
	// Walk prod roots first so that Dev is "reached only from dev".
	if o.NoProd {
		o.NoOptional = true // pnpm's --dev: include.optionalDependencies is false
	}
	for _, imp := range lf.Importers {
		if o.NoProd {
			break
		}
		for _, d := range append(append([]Dep(nil), imp.Dependencies...), optIf(imp.Optional, !o.NoOptional)...) {
			if d.DepPath != "" {
				queue = append(queue, item{d.DepPath, false})
			}
		}
	}
	if !o.NoDev {
		for _, imp := range lf.Importers {
			for _, d := range imp.Dev {
				if d.DepPath != "" {
					queue = append(queue, item{d.DepPath, true})
				}
			}
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if skipped[it.depPath] {
			continue
		}
		if n := sel.Nodes[it.depPath]; n != nil {
			if n.Dev && !it.dev {
				n.Dev = false
				prodReach[it.depPath] = true
				for _, c := range n.Children {
					if c.Link == "" {
						queue = append(queue, item{c.DepPath, false})
					}
				}
			}
			continue
		}
		e := lf.Entries[it.depPath]
		pkg := e.Package(lf.dirOf(e, o))
		// pnpm's packageIsInstallable: the platform first, then engines.
		if why := platformMismatch(e, o.Platform, o.Supported); why != "" {
			if e.Optional {
				skipped[it.depPath] = true
				sel.Skipped = append(sel.Skipped, Skipped{Package: pkg, Reason: "optional dependency not for this platform: " + why})
				continue
			}
			if o.EngineStrict {
				return nil, fmt.Errorf("lock/pnpm: %w: %s@%s needs %s (engine-strict is set)", ErrBadPlatform, e.Name, e.Version, why)
			}
			sel.Warnings = append(sel.Warnings, Warning{Package: pkg, Message: fmt.Sprintf("%s@%s does not support this platform (%s); pnpm installs it anyway and so does airlock", e.Name, e.Version, why)})
		} else if want := e.Engines["node"]; want != "" && o.NodeVersion != "" && !locknpm.Satisfies(o.NodeVersion, want) {
			why := fmt.Sprintf("engines.node %q, this is node %s", want, o.NodeVersion)
			if e.Optional {
				skipped[it.depPath] = true
				sel.Skipped = append(sel.Skipped, Skipped{Package: pkg, Reason: "optional dependency for another node: " + why})
				continue
			}
			if o.EngineStrict {
				return nil, fmt.Errorf("lock/pnpm: %w: %s@%s wants %s (engine-strict is set)", ErrBadEngine, e.Name, e.Version, why)
			}
			sel.Warnings = append(sel.Warnings, Warning{Package: pkg, Message: fmt.Sprintf("unsupported engine: %s@%s wants %s; pnpm installs it anyway and so does airlock", e.Name, e.Version, why)})
		}
		n := &Node{Entry: e, Dir: pkg.Path, Dev: it.dev, OptionalAliases: map[string]bool{}}
		sel.Nodes[it.depPath] = n
		n.Children = append(n.Children, e.Dependencies...)
		if !o.NoOptional {
			for _, d := range e.OptionalDependencies {
				n.OptionalAliases[d.Alias] = true
				n.Children = append(n.Children, d)
			}
		}
		for _, c := range n.Children {
			if c.Link == "" { // a workspace directory, not a package to install
				queue = append(queue, item{c.DepPath, it.dev})
			}
		}
	}
	// Children and direct dependencies that were skipped are not linked.
	for _, n := range sel.Nodes {
		n.Children = keepInstalled(n.Children, sel.Nodes)
	}
	for _, imp := range lf.Importers {
		out := &Importer{ID: imp.ID, Specifiers: imp.Specifiers}
		if !o.NoProd {
			out.Dependencies = keepInstalled(imp.Dependencies, sel.Nodes)
		}
		if !o.NoDev {
			out.Dev = keepInstalled(imp.Dev, sel.Nodes)
		}
		if !o.NoOptional {
			out.Optional = keepInstalled(imp.Optional, sel.Nodes)
		}
		sel.Importers = append(sel.Importers, out)
	}
	for dp, n := range sel.Nodes {
		p := n.Entry.Package(n.Dir)
		p.Dev = n.Dev
		_ = dp
		sel.Install = append(sel.Install, p)
	}
	sort.Slice(sel.Install, func(i, j int) bool { return sel.Install[i].Path < sel.Install[j].Path })
	seen := map[string]string{}
	for _, p := range sel.Install {
		if other, dup := seen[p.Path]; dup {
			return nil, fmt.Errorf("lock/pnpm: %w: %s and %s both map to %s", ErrUnsafePath, other, p.Name+"@"+p.Version, p.Path)
		}
		seen[p.Path] = p.Name + "@" + p.Version
	}
	sort.Slice(sel.Skipped, func(i, j int) bool { return sel.Skipped[i].Package.Path < sel.Skipped[j].Package.Path })
	return sel, nil
}

func optIf(d []Dep, ok bool) []Dep {
	if ok {
		return d
	}
	return nil
}

func keepInstalled(deps []Dep, nodes map[string]*Node) []Dep {
	var out []Dep
	for _, d := range deps {
		if d.Link != "" || nodes[d.DepPath] != nil {
			out = append(out, d)
		}
	}
	return out
}

// Package describes e installed at dir.
func (e *Entry) Package(dir string) lock.Package {
	return lock.Package{
		Ecosystem: lock.NPM,
		Name:      e.Name,
		Version:   e.Version,
		Path:      dir,
		Source:    lock.SourceRegistry,
		Resolved:  e.Tarball,
		Integrity: e.Integrity,
		Optional:  e.Optional,
		OS:        e.OS,
		CPU:       e.CPU,
		Libc:      e.Libc,
		Engines:   e.Engines,
		// pnpm records only that a package has bins; install/pnpm reads
		// them from the package's own package.json, as pnpm does.
		HasInstallScript: e.RequiresBuild,
	}
}

// dirOf is e's directory in the virtual store.
func (lf *Lockfile) dirOf(e *Entry, o Options) string {
	return "node_modules/.pnpm/" + DepPathToFilename(e.DepPath, o.VirtualStoreDirMaxLength, o.Major) + "/node_modules/" + e.Name
}

var (
	unsafeChars10 = regexp.MustCompile(`[\\/:*?"<>|#]`)
	unsafeChars9  = regexp.MustCompile(`[\\/:*?"<>|]`)
	parens        = regexp.MustCompile(`\)\(|\(|\)`)
)

// DepPathToFilename is pnpm's dependency-path.depPathToFilename: the name
// of a snapshot's directory in node_modules/.pnpm. "/" becomes "+", peer
// suffixes become "_"-separated, and a name longer than maxLen or with
// upper-case letters is cut and suffixed with a hash (pnpm 10: 32 hex
// digits of SHA-256; pnpm 9: base32 of MD5).
func DepPathToFilename(depPath string, maxLen, major int) string {
	depPath = strings.TrimPrefix(depPath, "/")
	var f string
	if major == 9 {
		f = unsafeChars9.ReplaceAllString(depPath, "+")
	} else {
		f = unsafeChars10.ReplaceAllString(depPath, "+")
	}
	if strings.Contains(f, "(") {
		f = strings.TrimSuffix(f, ")")
		f = parens.ReplaceAllString(f, "_")
	}
	if len(f) > maxLen || (f != strings.ToLower(f) && !strings.HasPrefix(f, "file+")) {
		if major == 9 {
			sum := md5.Sum([]byte(f))
			h := strings.ToLower(strings.TrimRight(base32.StdEncoding.EncodeToString(sum[:]), "="))
			return cut(f, maxLen-27) + "_" + h
		}
		sum := sha256.Sum256([]byte(f))
		return cut(f, maxLen-33) + "_" + hex.EncodeToString(sum[:])[:32]
	}
	return f
}

func cut(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// platformMismatch is @pnpm/package-is-installable's checkPlatform: ""
// when e may be installed for p and the supported architectures, else
// what does not match. libc is not checked when p's is unknown.
func platformMismatch(e *Entry, p Platform, sup *Architectures) string {
	var a Architectures
	if sup != nil {
		a = *sup
	}
	os, cpu, libc := withCurrent(a.OS, p.OS), withCurrent(a.CPU, p.CPU), withCurrent(a.Libc, p.Libc)
	var bad []string
	if len(e.OS) > 0 && !checkList(os, e.OS) {
		bad = append(bad, fmt.Sprintf("os %v, this is %s", e.OS, strings.Join(os, "/")))
	}
	if len(e.CPU) > 0 && !checkList(cpu, e.CPU) {
		bad = append(bad, fmt.Sprintf("cpu %v, this is %s", e.CPU, strings.Join(cpu, "/")))
	}
	if len(e.Libc) > 0 && p.Libc != "" && !checkList(libc, e.Libc) {
		bad = append(bad, fmt.Sprintf("libc %v, this is %s", e.Libc, strings.Join(libc, "/")))
	}
	return strings.Join(bad, "; ")
}

// withCurrent is checkPlatform's dedupeCurrent: the supported values,
// "current" (and an unset list) standing for the platform's own.
func withCurrent(supported []string, current string) []string {
	if supported == nil {
		return []string{current}
	}
	out := make([]string, len(supported))
	for i, s := range supported {
		if s == "current" {
			s = current
		}
		out[i] = s
	}
	return out
}

// checkList is checkPlatform's checkList: a value matches, or every entry
// is a negation none of the values hits.
func checkList(values []string, list []string) bool {
	if len(list) == 1 && list[0] == "any" {
		return true
	}
	match, negated := false, 0
	for _, value := range values {
		for _, v := range list {
			if strings.HasPrefix(v, "!") {
				if v[1:] == value {
					return false
				}
				negated++
			} else if v == value {
				match = true
			}
		}
	}
	return match || negated == len(list)
}
