package yarnberry

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// MaxLockfileSize bounds the yarn.lock airlock reads (the largest real
// lockfiles are a few MB).
const MaxLockfileSize = 64 << 20

// Errors callers can branch on with errors.Is.
var (
	// ErrLockfile: the bytes are not a yarn berry lockfile airlock reads.
	ErrLockfile = errors.New("not a yarn berry lockfile")
	// ErrUnsupported: the lockfile is valid, but resolves a package in a
	// way airlock does not install (patches, git, remote archives, exec).
	ErrUnsupported = errors.New("unsupported by airlock")
	// ErrBuiltinPatch: yarn installs a package with one of its builtin
	// compat patches, whose checksum airlock cannot rebuild (see
	// UnpatchedGraph). It wraps ErrUnsupported.
	ErrBuiltinPatch = fmt.Errorf("%w: yarn builtin compat patch", ErrUnsupported)
)

// Supported lockfile versions: yarn 2 wrote 4, yarn 3 wrote 6, yarn 4
// writes 8 (4.0) and 10 (4.14 and later skipped 9 in releases we know).
var supportedVersions = map[int]bool{4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true}

// Lockfile is a parsed yarn.lock.
type Lockfile struct {
	Version  int
	CacheKey string
	// Entries are the packages in file order.
	Entries []*Entry

	byDescriptor map[string]*Entry
	byLocator    map[string]*Entry
	// builtinPatch maps a descriptor to the entry of yarn's builtin
	// compat patch of it ("resolve@patch:resolve@npm%3A^1.19.0#optional!builtin<compat/resolve>"):
	// yarn's compat plugin rewrites every dependency on such a
	// descriptor to the patch, while the dependent's entry still lists
	// the plain descriptor.
	builtinPatch map[string]*Entry
}

// Locator names one resolved package: Name is its ident ("@s/n"),
// Reference its resolution ("npm:1.0.0", "workspace:packages/a").
type Locator struct {
	Name, Reference string
}

func (l Locator) String() string { return l.Name + "@" + l.Reference }

// Dep is one dependency as the lockfile writes it: the name it is
// required under and its range ("npm:^1.0.0", "workspace:^",
// "npm:other@^2" for an alias).
type Dep struct {
	Name, Range string
}

// Descriptor is the descriptor the dependency resolves through.
func (d Dep) Descriptor() string { return d.Name + "@" + d.Range }

// Entry is one package of the lockfile.
type Entry struct {
	// Descriptors are the entry's keys.
	Descriptors []string
	Locator     Locator
	Version     string
	// Dependencies are the dependencies in file order (yarn sorts them).
	Dependencies []Dep
	// PeerDependencies are the peer dependencies (ranges, unresolved) in
	// file order; PeerOptional names those peerDependenciesMeta marks
	// optional.
	PeerDependencies []Dep
	PeerOptional     map[string]bool
	// Optional names the dependencies dependenciesMeta marks optional.
	Optional map[string]bool
	// Bin maps command names to paths inside the package.
	Bin map[string]string
	// Checksum is as written ("10c0/<hex>" or bare hex); empty for
	// workspaces, links and packages yarn never fetched (conditions that
	// did not match the machine that wrote the lockfile).
	Checksum string
	// Conditions is the platform expression ("os=darwin & cpu=arm64").
	Conditions   string
	LanguageName string
	// LinkType is "hard" (a package yarn copies) or "soft" (workspaces
	// and links, which are symlinked).
	LinkType string
	// Line is where the entry starts.
	Line int
}

// Kind says how a resolution is obtained.
type Kind int

const (
	KindNpm Kind = iota
	KindWorkspace
	KindLink  // link: and portal:, a symlink to a directory
	KindPatch // patch: (yarn's builtin compat patches or the user's)
	KindOther // file:, git, http(s) archives, exec:
)

// Kind classifies the entry's resolution.
func (e *Entry) Kind() Kind {
	ref := e.Locator.Reference
	switch {
	case strings.HasPrefix(ref, "npm:"):
		return KindNpm
	case strings.HasPrefix(ref, "workspace:"):
		return KindWorkspace
	case strings.HasPrefix(ref, "link:"), strings.HasPrefix(ref, "portal:"):
		return KindLink
	case strings.HasPrefix(ref, "patch:"):
		return KindPatch
	}
	return KindOther
}

// NpmVersion is the version of an npm: resolution, and the tarball URL
// yarn recorded when the registry's was not the conventional one
// (npm:1.0.0::__archiveUrl=<escaped URL>).
func (e *Entry) NpmVersion() (version, archiveURL string, err error) {
	ref, ok := strings.CutPrefix(e.Locator.Reference, "npm:")
	if !ok {
		return "", "", fmt.Errorf("%s is not an npm resolution", e.Locator)
	}
	version, params, hasParams := strings.Cut(ref, "::")
	if hasParams {
		q, err := url.ParseQuery(params)
		if err != nil {
			return "", "", fmt.Errorf("line %d: %w: resolution %s has unreadable parameters: %v", e.Line, ErrLockfile, e.Locator, err)
		}
		for k := range q {
			if k != "__archiveUrl" {
				return "", "", fmt.Errorf("line %d: %w: resolution %s has parameter %q, which airlock does not know", e.Line, ErrUnsupported, e.Locator, k)
			}
		}
		archiveURL = q.Get("__archiveUrl")
	}
	if version == "" || strings.ContainsAny(version, "/\\ ") {
		return "", "", fmt.Errorf("line %d: %w: resolution %s has no usable version", e.Line, ErrLockfile, e.Locator)
	}
	return version, archiveURL, nil
}

// Peers are the names of the peer dependencies as yarn sees them after
// normalizing the package (Configuration.normalizePackage): those of
// peerDependencies; each peerDependenciesMeta name not among them (an
// implicit peer dependency on "*"); and for each of those outside the
// @types scope, an optional peer dependency on its @types package
// (@types/x for x, @types/s__x for @s/x) unless the package already
// depends on it or names it. Sorted by descriptor, as yarn sorts them.
func (e *Entry) Peers() []string {
	set := map[string]bool{}
	var out []string
	add := func(n string) {
		if !set[n] {
			set[n] = true
			out = append(out, n)
		}
	}
	for _, p := range e.PeerDependencies {
		add(p.Name)
	}
	for n := range e.PeerOptional {
		add(n)
	}
	deps := map[string]bool{}
	for _, d := range e.Dependencies {
		deps[d.Name] = true
	}
	for _, n := range append([]string(nil), out...) {
		if strings.HasPrefix(n, "@types/") {
			continue
		}
		typesName := n
		if scope, name, ok := strings.Cut(n, "/"); ok {
			typesName = strings.TrimPrefix(scope, "@") + "__" + name
		}
		t := "@types/" + typesName
		if !set[t] && !e.PeerOptional[t] && !deps[t] {
			add(t)
		}
	}
	// Descriptors sort as "name@range"; names are unique, so "name@".
	sort.Slice(out, func(i, j int) bool { return out[i]+"@" < out[j]+"@" })
	return out
}

// IsBuiltinPatch reports whether the entry is one of yarn's builtin
// compat patches ("...#optional!builtin<compat/resolve>...").
func (e *Entry) IsBuiltinPatch() bool {
	return e.Kind() == KindPatch && strings.Contains(e.Locator.Reference, "#optional!builtin<")
}

// WorkspacePath is the project-relative directory of a workspace
// resolution ("." for the root).
func (e *Entry) WorkspacePath() string {
	p, _ := strings.CutPrefix(e.Locator.Reference, "workspace:")
	return p
}

// Lookup returns the entry a descriptor resolves to.
func (lf *Lockfile) Lookup(descriptor string) *Entry { return lf.byDescriptor[descriptor] }

// Resolve returns the entry a dependency resolves to as yarn resolves it:
// through yarn's builtin compat patch of the descriptor when the lockfile
// has one, else the descriptor's own entry.
func (lf *Lockfile) Resolve(d Dep) *Entry {
	if e := lf.builtinPatch[d.Descriptor()]; e != nil {
		return e
	}
	return lf.byDescriptor[d.Descriptor()]
}

// PatchSource returns the entry a patch: resolution applies to
// ("resolve@patch:resolve@npm%3A1.22.14#..." patches "resolve@npm:1.22.14"),
// or nil.
func (lf *Lockfile) PatchSource(e *Entry) *Entry {
	src, ok := strings.CutPrefix(e.Locator.Reference, "patch:")
	if !ok {
		return nil
	}
	src, _, _ = strings.Cut(src, "#")
	dec, err := url.PathUnescape(src)
	if err != nil {
		return nil
	}
	name, ref, ok := ParseIdent(dec)
	if !ok || name != e.Locator.Name {
		return nil
	}
	return lf.byLocator[Locator{Name: name, Reference: ref}.String()]
}

// builtinPatchSource reads the descriptor a builtin compat patch applies
// to from a patch descriptor, or "" if d is not one.
func builtinPatchSource(d string) string {
	name, rng, ok := ParseIdent(d)
	if !ok {
		return ""
	}
	src, ok := strings.CutPrefix(rng, "patch:")
	if !ok {
		return ""
	}
	src, selector, ok := strings.Cut(src, "#")
	if !ok || !strings.HasPrefix(selector, "optional!builtin<") {
		return ""
	}
	dec, err := url.PathUnescape(src)
	if err != nil {
		return ""
	}
	if n, _, ok := ParseIdent(dec); !ok || n != name {
		return ""
	}
	return dec
}

// ByLocator returns the entry of a resolution.
func (lf *Lockfile) ByLocator(l Locator) *Entry { return lf.byLocator[l.String()] }

// Workspaces are the workspace entries, the root (".") first, then by path.
func (lf *Lockfile) Workspaces() []*Entry {
	var ws []*Entry
	for _, e := range lf.Entries {
		if e.Kind() == KindWorkspace {
			ws = append(ws, e)
		}
	}
	sort.SliceStable(ws, func(i, j int) bool {
		a, b := ws[i].WorkspacePath(), ws[j].WorkspacePath()
		if (a == ".") != (b == ".") {
			return a == "."
		}
		return a < b
	})
	return ws
}

// IsBerry reports whether data looks like a berry lockfile (it has the
// __metadata key yarn classic never writes), so a caller can route it.
func IsBerry(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimRight(line, "\r") == "__metadata:" {
			return true
		}
	}
	return false
}

func lerr(line int, format string, args ...any) error {
	return fmt.Errorf("yarn.lock line %d: %w: %s", line, ErrLockfile, fmt.Sprintf(format, args...))
}

// ParseIdent splits a descriptor or locator ("@s/n@npm:1") into the ident
// and the range or reference.
func ParseIdent(s string) (name, rest string, ok bool) {
	from := 0
	if strings.HasPrefix(s, "@") {
		slash := strings.IndexByte(s, '/')
		if slash < 2 {
			return "", "", false
		}
		from = slash + 1
	}
	at := strings.IndexByte(s[from:], '@')
	if at <= 0 {
		return "", "", false
	}
	name, rest = s[:from+at], s[from+at+1:]
	if !validIdent(name) || rest == "" {
		return "", "", false
	}
	return name, rest, true
}

// validIdent accepts npm package names as yarn parses them: an optional
// @scope/ and a name, neither holding "/", "@", whitespace or control
// characters, and never "." or "..".
func validIdent(name string) bool {
	scope, base, scoped := strings.Cut(name, "/")
	if scoped {
		if !strings.HasPrefix(scope, "@") {
			return false
		}
		scope = scope[1:]
		if !validPart(scope) {
			return false
		}
	} else {
		base = name
	}
	return validPart(base)
}

func validPart(s string) bool {
	if s == "" || s == "." || s == ".." || len(s) > 214 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '/' || r == '\\' || r == '@' || r == ':' {
			return false
		}
	}
	return true
}

// Parse reads a berry yarn.lock.
func Parse(data []byte) (*Lockfile, error) {
	if len(data) > MaxLockfileSize {
		return nil, fmt.Errorf("%w: over %d bytes", ErrLockfile, MaxLockfileSize)
	}
	doc, err := lockpnpm.ParseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("yarn.lock: %w: %v", ErrLockfile, err)
	}
	if doc.Kind != lockpnpm.YAMLMap {
		return nil, fmt.Errorf("yarn.lock: %w: not a mapping of packages (a yarn classic lockfile? use `airlock yarn install`)", ErrLockfile)
	}
	meta := doc.Get("__metadata")
	if meta == nil || meta.Kind != lockpnpm.YAMLMap {
		return nil, fmt.Errorf("yarn.lock: %w: no __metadata mapping", ErrLockfile)
	}
	lf := &Lockfile{byDescriptor: map[string]*Entry{}, byLocator: map[string]*Entry{}, builtinPatch: map[string]*Entry{}}
	for _, k := range meta.Keys {
		v := meta.Fields[k]
		if v.Kind != lockpnpm.YAMLScalar {
			return nil, lerr(v.Line, "__metadata.%s is not a scalar", k)
		}
		switch k {
		case "version":
			n, err := strconv.Atoi(v.Value)
			if err != nil || !supportedVersions[n] {
				return nil, lerr(v.Line, "lockfile version %q is not one yarn 2 to 4 writes (4 to 10); rewrite it with yarn 4: `yarn install`", v.Value)
			}
			lf.Version = n
		case "cacheKey":
			lf.CacheKey = v.Value
		default:
			return nil, lerr(v.Line, "unknown __metadata field %q", k)
		}
	}
	if lf.Version == 0 {
		return nil, lerr(meta.Line, "__metadata has no version")
	}
	for _, key := range doc.Keys {
		if key == "__metadata" {
			continue
		}
		node := doc.Fields[key]
		e, err := parseEntry(key, node)
		if err != nil {
			return nil, err
		}
		loc := e.Locator.String()
		if prev := lf.byLocator[loc]; prev != nil {
			return nil, lerr(e.Line, "resolution %s is also the entry of line %d", loc, prev.Line)
		}
		lf.byLocator[loc] = e
		for _, d := range e.Descriptors {
			if prev := lf.byDescriptor[d]; prev != nil {
				return nil, lerr(e.Line, "descriptor %q is also a key of line %d", d, prev.Line)
			}
			lf.byDescriptor[d] = e
			if src := builtinPatchSource(d); src != "" {
				lf.builtinPatch[src] = e
			}
		}
		lf.Entries = append(lf.Entries, e)
	}
	// Every dependency must resolve: yarn --immutable would refuse a
	// lockfile that misses one, and so does airlock, before any download.
	for _, e := range lf.Entries {
		for _, d := range e.Dependencies {
			if lf.byDescriptor[d.Descriptor()] == nil {
				return nil, lerr(e.Line, "%s depends on %s, which no entry resolves; the lockfile is incomplete: run `yarn install`", e.Locator, d.Descriptor())
			}
		}
	}
	return lf, nil
}

var knownFields = map[string]bool{
	"version": true, "resolution": true, "dependencies": true, "peerDependencies": true,
	"dependenciesMeta": true, "peerDependenciesMeta": true, "bin": true, "checksum": true,
	"conditions": true, "languageName": true, "linkType": true,
}

func parseEntry(key string, node *lockpnpm.YAMLNode) (*Entry, error) {
	if node.Kind != lockpnpm.YAMLMap {
		return nil, lerr(node.Line, "entry %q is not a mapping", key)
	}
	// A block mapping's node starts on the line of its first field; its
	// key is on the line before.
	e := &Entry{Line: node.Line - 1}
	for _, d := range strings.Split(key, ", ") {
		if _, _, ok := ParseIdent(d); !ok {
			return nil, lerr(e.Line, "key %q holds %q, which is not a descriptor (name@range)", key, d)
		}
		e.Descriptors = append(e.Descriptors, d)
	}
	scalar := func(k string) (string, error) {
		v := node.Fields[k]
		if v == nil {
			return "", nil
		}
		if v.Kind != lockpnpm.YAMLScalar {
			return "", lerr(v.Line, "%s of %q is not a scalar", k, key)
		}
		return v.Value, nil
	}
	deps := func(k string) ([]Dep, error) {
		v := node.Fields[k]
		if v == nil {
			return nil, nil
		}
		if v.Kind != lockpnpm.YAMLMap {
			return nil, lerr(v.Line, "%s of %q is not a mapping", k, key)
		}
		var out []Dep
		for _, name := range v.Keys {
			r := v.Fields[name]
			if r.Kind != lockpnpm.YAMLScalar || r.Value == "" {
				return nil, lerr(r.Line, "%s.%s of %q is not a range", k, name, key)
			}
			if !validIdent(name) {
				return nil, lerr(r.Line, "%s of %q names %q, which is not a package name", k, key, name)
			}
			out = append(out, Dep{Name: name, Range: r.Value})
		}
		return out, nil
	}
	meta := func(k string) (map[string]bool, error) {
		v := node.Fields[k]
		if v == nil {
			return nil, nil
		}
		if v.Kind != lockpnpm.YAMLMap {
			return nil, lerr(v.Line, "%s of %q is not a mapping", k, key)
		}
		out := map[string]bool{}
		for _, name := range v.Keys {
			m := v.Fields[name]
			if m.Kind != lockpnpm.YAMLMap {
				return nil, lerr(m.Line, "%s.%s of %q is not a mapping", k, name, key)
			}
			for _, f := range m.Keys {
				fv := m.Fields[f]
				if fv.Kind != lockpnpm.YAMLScalar || (fv.Value != "true" && fv.Value != "false") {
					return nil, lerr(fv.Line, "%s.%s.%s of %q is not true or false", k, name, f, key)
				}
				switch f {
				case "optional":
					if fv.Value == "true" {
						out[name] = true
					}
				case "built", "unplugged":
					// Build and unplug settings: airlock runs no builds
					// and has no PnP cache to unplug from.
				default:
					return nil, lerr(fv.Line, "unknown %s field %q", k, f)
				}
			}
		}
		return out, nil
	}
	for _, k := range node.Keys {
		if !knownFields[k] {
			return nil, lerr(node.Fields[k].Line, "entry %q has unknown field %q", key, k)
		}
	}
	var err error
	if e.Version, err = scalar("version"); err != nil {
		return nil, err
	}
	res, err := scalar("resolution")
	if err != nil {
		return nil, err
	}
	name, ref, ok := ParseIdent(res)
	if !ok {
		return nil, lerr(e.Line, "entry %q has resolution %q, which is not a locator (name@reference)", key, res)
	}
	e.Locator = Locator{Name: name, Reference: ref}
	if e.Dependencies, err = deps("dependencies"); err != nil {
		return nil, err
	}
	if e.PeerDependencies, err = deps("peerDependencies"); err != nil {
		return nil, err
	}
	if e.Optional, err = meta("dependenciesMeta"); err != nil {
		return nil, err
	}
	if e.PeerOptional, err = meta("peerDependenciesMeta"); err != nil {
		return nil, err
	}
	if b := node.Fields["bin"]; b != nil {
		if b.Kind != lockpnpm.YAMLMap {
			return nil, lerr(b.Line, "bin of %q is not a mapping", key)
		}
		e.Bin = map[string]string{}
		for _, k := range b.Keys {
			v := b.Fields[k]
			if v.Kind != lockpnpm.YAMLScalar {
				return nil, lerr(v.Line, "bin.%s of %q is not a path", k, key)
			}
			e.Bin[k] = v.Value
		}
	}
	if e.Checksum, err = scalar("checksum"); err != nil {
		return nil, err
	}
	if e.Conditions, err = scalar("conditions"); err != nil {
		return nil, err
	}
	if e.Conditions != "" {
		if _, err := ParseConditions(e.Conditions); err != nil {
			return nil, lerr(e.Line, "conditions of %q: %v", key, err)
		}
	}
	if e.LanguageName, err = scalar("languageName"); err != nil {
		return nil, err
	}
	if e.LinkType, err = scalar("linkType"); err != nil {
		return nil, err
	}
	if e.LinkType != "hard" && e.LinkType != "soft" {
		return nil, lerr(e.Line, "entry %q has linkType %q (want hard or soft)", key, e.LinkType)
	}
	if e.Kind() == KindWorkspace {
		if e.LinkType != "soft" {
			return nil, lerr(e.Line, "workspace %s is not linkType soft", e.Locator)
		}
		p := e.WorkspacePath()
		if p != "." && (p == "" || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "./") || strings.HasSuffix(p, "/") || strings.Contains(p, "\\") || hasDotDot(p)) {
			return nil, lerr(e.Line, "workspace path %q is not a relative path inside the project", p)
		}
	}
	if e.Kind() == KindNpm {
		if _, _, err := e.NpmVersion(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func hasDotDot(p string) bool {
	for _, s := range strings.Split(p, "/") {
		if s == ".." || s == "." || s == "" {
			return true
		}
	}
	return false
}
