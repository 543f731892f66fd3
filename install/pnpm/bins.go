package pnpm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/install"
)

// How pnpm 9 and 10 link bins for an isolated install without scripts
// (@pnpm/link-bins, @pnpm/package-bins, @zkochan/cmd-shim, headless
// linkAllBins and the importers' bin linking):
//
//   - A package's commands come from its package.json: "bin" (a string
//     names the package's own command, scoped names lose the scope; an
//     object maps names to paths), else every file under
//     "directories.bin". A command whose name encodeURIComponent would
//     change (other than "$"), or whose path leaves the package, is
//     skipped.
//   - Every package in node_modules/.pnpm gets <its dir>/node_modules/.bin
//     with the commands of its dependencies that the lockfile marks
//     hasBin.
//   - node_modules/.pnpm/node_modules/.bin gets the commands of the
//     privately hoisted packages with bins.
//   - Each importer's node_modules/.bin gets the commands of its direct
//     dependencies; for the root importer with public hoisting on, those
//     of every package in node_modules (direct ones win name clashes).
//   - Name clashes: a command named like its package wins, then the
//     greater package name, then the greater version.
//   - Each command is a /bin/sh shim (not a symlink) that sets NODE_PATH
//     and runs the target with the program of its "#!" line, mode 0o755;
//     the target itself is chmod 0o755 and its "#!" line loses a "\r".
//     A target that does not exist gets no shim.

// cmd is one command to link.
type cmd struct {
	name string
	// src is the target as pnpm names it (maybe through a symlink), and
	// real its location with symlinks resolved; both project-relative.
	src, real           string
	ownName             bool
	pkgName, pkgVersion string
	direct              bool
}

// manifest is what bin linking reads of a package.json.
type manifest struct {
	Name, Version string
	bin           []binEntry
	binString     bool
	dirBin        string
}

type binEntry struct{ name, path string }

// readManifest parses package.json bytes, keeping the order of "bin".
func readManifest(data []byte) (*manifest, error) {
	var raw struct {
		Name        string          `json:"name"`
		Version     string          `json:"version"`
		Bin         json.RawMessage `json:"bin"`
		Directories struct {
			Bin json.RawMessage `json:"bin"`
		} `json:"directories"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &raw); err != nil {
		return nil, err
	}
	m := &manifest{Name: raw.Name, Version: raw.Version}
	var s string
	if len(raw.Bin) > 0 && json.Unmarshal(raw.Bin, &s) == nil {
		if s != "" {
			m.binString = true
			m.bin = []binEntry{{name: raw.Name, path: s}}
		}
		return m, nil
	}
	if len(raw.Bin) > 0 && raw.Bin[0] == '{' {
		d := json.NewDecoder(bytes.NewReader(raw.Bin))
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			var v any
			if err := d.Decode(&v); err != nil {
				return nil, err
			}
			if vs, ok := v.(string); ok {
				m.bin = append(m.bin, binEntry{name: k.(string), path: vs})
			}
		}
		if len(m.bin) > 0 {
			return m, nil
		}
		m.bin = nil
	}
	if len(m.bin) == 0 && len(raw.Directories.Bin) > 0 {
		var db string
		if json.Unmarshal(raw.Directories.Bin, &db) == nil {
			m.dirBin = db
		}
	}
	return m, nil
}

// uriSafe is true when encodeURIComponent leaves s unchanged.
func uriSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()", c) >= 0) {
			return false
		}
	}
	return true
}

// inside reports whether p is strictly inside dir (is-subdir).
func inside(dir, p string) bool {
	return strings.HasPrefix(p, dir+"/")
}

// commands is getBinsFromPackageManifest for a package whose files are at
// fsDir (to list directories.bin), named srcDir in shims and located at
// realDir.
func (b *builder) commands(m *manifest, srcDir, realDir string) []cmd {
	var out []cmd
	add := func(name, rel string) {
		src := path.Join(srcDir, rel)
		if !inside(srcDir, src) {
			return
		}
		out = append(out, cmd{name: name, src: src, real: path.Join(realDir, rel), pkgName: m.Name, pkgVersion: m.Version, ownName: name == m.Name})
	}
	if len(m.bin) > 0 {
		for _, e := range m.bin {
			name := e.name
			if strings.HasPrefix(name, "@") {
				if i := strings.IndexByte(name, '/'); i >= 0 {
					name = name[i+1:]
				} else {
					name = ""
				}
			}
			if name == "" || name == "." || name == ".." || (!uriSafe(name) && name != "$") {
				continue
			}
			add(name, e.path)
		}
		return out
	}
	if m.dirBin == "" {
		return nil
	}
	dir := path.Join(realDir, m.dirBin)
	if !inside(realDir, dir) {
		return nil
	}
	root, rel := b.rootFor(dir)
	var files []string
	_ = fs.WalkDir(root.FS(), rel, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		// tinyglobby's "**" skips dot files and directories.
		if p != rel && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, strings.TrimPrefix(p, rel+"/"))
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		add(path.Base(f), path.Join(m.dirBin, f))
	}
	return out
}

// modulesDir is pnpm's readModulesDir: the package names in a
// node_modules directory (scoped ones one level down), skipping dot
// entries and plain files, sorted.
func (b *builder) modulesDir(dir string) []string {
	root, rel := b.rootFor(dir)
	entries, err := fs.ReadDir(root.FS(), rel)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || e.Type().IsRegular() {
			continue
		}
		if strings.HasPrefix(e.Name(), "@") {
			sub, err := fs.ReadDir(root.FS(), rel+"/"+e.Name())
			if err != nil {
				continue
			}
			for _, s := range sub {
				if !strings.HasPrefix(s.Name(), ".") && !s.Type().IsRegular() {
					out = append(out, e.Name()+"/"+s.Name())
				}
			}
			continue
		}
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// rootFor returns the root holding the final location loc now (the staging
// area for staged node_modules, else the project) and loc's path in it.
func (b *builder) rootFor(loc string) (*os.Root, string) {
	if sp, ok := b.stagedPath(loc); ok {
		return b.stage, sp
	}
	return b.projRoot, loc
}

// manifestAt reads the package.json of the package whose real location is
// dir; nil when there is none or it is not JSON.
func (b *builder) manifestAt(dir string) *manifest {
	root, rel := b.rootFor(dir)
	data, err := readLimited(root, path.Join(rel, "package.json"), 16<<20)
	if err != nil {
		return nil
	}
	m, err := readManifest(data)
	if err != nil {
		b.warn(fmt.Sprintf("%s/package.json is not valid JSON (%v); its bins are not linked", dir, err))
		return nil
	}
	return m
}

func readLimited(root *os.Root, rel string, limit int64) ([]byte, error) {
	f, err := root.Open(rel)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes", rel, limit)
	}
	return data, nil
}

func (b *builder) warn(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.res.Warnings = append(b.res.Warnings, msg)
}

// compareCmds is link-bins' compareCommandsInConflict.
func compareCmds(a, b cmd) int {
	if a.ownName != b.ownName {
		if a.ownName {
			return 1
		}
		return -1
	}
	if a.pkgName != b.pkgName {
		return strings.Compare(a.pkgName, b.pkgName)
	}
	return compareSemver(a.pkgVersion, b.pkgVersion)
}

// compareSemver orders plain semver versions (pnpm checked them); build
// metadata is ignored and prereleases sort before their release.
func compareSemver(a, b string) int {
	split := func(v string) ([3]int, string) {
		v, _, _ = strings.Cut(v, "+")
		core, pre, _ := strings.Cut(v, "-")
		var n [3]int
		for i, p := range strings.SplitN(core, ".", 3) {
			n[i], _ = strconv.Atoi(p)
		}
		return n, pre
	}
	na, pa := split(a)
	nb, pb := split(b)
	for i := range 3 {
		if na[i] != nb[i] {
			if na[i] < nb[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa == pb:
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	}
	pas, pbs := strings.Split(pa, "."), strings.Split(pb, ".")
	for i := 0; i < len(pas) && i < len(pbs); i++ {
		x, ex := strconv.Atoi(pas[i])
		y, ey := strconv.Atoi(pbs[i])
		switch {
		case ex == nil && ey == nil:
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case ex == nil:
			return -1
		case ey == nil:
			return 1
		default:
			if c := strings.Compare(pas[i], pbs[i]); c != 0 {
				return c
			}
		}
	}
	return len(pas) - len(pbs)
}

// dedupe is link-bins' deduplicateCommands (after preferDirectCmds when
// preferDirect is set).
func dedupe(cmds []cmd, preferDirect bool) []cmd {
	if preferDirect {
		used := map[string]bool{}
		var direct, rest []cmd
		for _, c := range cmds {
			if c.direct {
				direct = append(direct, c)
				used[c.name] = true
			} else {
				rest = append(rest, c)
			}
		}
		cmds = direct
		for _, c := range rest {
			if !used[c.name] {
				cmds = append(cmds, c)
			}
		}
	}
	var order []string
	chosen := map[string]cmd{}
	for _, c := range cmds {
		prev, ok := chosen[c.name]
		if !ok {
			order = append(order, c.name)
			chosen[c.name] = c
			continue
		}
		if compareCmds(prev, c) < 0 {
			chosen[c.name] = c
		}
	}
	out := make([]cmd, 0, len(order))
	for _, n := range order {
		out = append(out, chosen[n])
	}
	return out
}

// linkBins writes every .bin directory (see the comment at the top).
func (b *builder) linkBins(h *hoisted) error {
	sel := b.opts.Selection
	manifests := map[string]*manifest{}
	manifestOf := func(dir string) *manifest {
		if m, ok := manifests[dir]; ok {
			return m
		}
		m := b.manifestAt(dir)
		manifests[dir] = m
		return m
	}
	// Each package's dependencies with bins.
	for _, n := range b.nodesInOrder() {
		var cmds []cmd
		hasLink := false
		for _, c := range n.Children {
			hasLink = hasLink || c.Link != ""
		}
		if hasLink {
			// A child outside the graph (a workspace link): pnpm reads the
			// package's node_modules directory instead, every entry but
			// the package itself, through its symlinks.
			mods := virtualModules(n.Dir)
			targets := map[string]string{}
			for _, c := range n.Children {
				if c.Link != "" {
					targets[c.Alias] = c.Link
				} else if child := sel.Nodes[c.DepPath]; child != nil {
					targets[c.Alias] = child.Dir
				}
			}
			for _, alias := range b.modulesDir(mods) {
				dir, ok := targets[alias]
				if !ok || alias == n.Entry.Name {
					continue
				}
				if m := manifestOf(dir); m != nil {
					cmds = append(cmds, b.commands(m, mods+"/"+alias, dir)...)
				}
			}
		}
		for _, c := range n.Children {
			child := sel.Nodes[c.DepPath]
			if hasLink || child == nil || !child.Entry.HasBin {
				continue
			}
			if m := manifestOf(child.Dir); m != nil {
				cmds = append(cmds, b.commands(m, child.Dir, child.Dir)...)
			}
		}
		if err := b.writeShims(n.Dir+"/node_modules/.bin", dedupe(cmds, false)); err != nil {
			return err
		}
		if n.Entry.HasBundled {
			// Then linkBins over the archive's own node_modules, whose
			// shims replace same-named ones.
			var bundled []cmd
			for _, alias := range b.modulesDir(n.Dir + "/node_modules") {
				dir := n.Dir + "/node_modules/" + alias
				if m := manifestOf(dir); m != nil {
					bundled = append(bundled, b.commands(m, dir, dir)...)
				}
			}
			if err := b.writeShims(n.Dir+"/node_modules/.bin", dedupe(bundled, false)); err != nil {
				return err
			}
		}
	}
	// The privately hoisted packages with bins.
	var cmds []cmd
	for _, alias := range h.privateWithBins {
		at := "node_modules/.pnpm/node_modules/" + alias
		target, ok := h.links[at]
		if !ok {
			continue
		}
		if m := manifestOf(target); m != nil {
			cmds = append(cmds, b.commands(m, at, target)...)
		}
	}
	if err := b.writeShims("node_modules/.pnpm/node_modules/.bin", dedupe(cmds, false)); err != nil {
		return err
	}
	// The importers' direct dependencies.
	for _, imp := range sel.Importers {
		mods := importerModules(imp.ID)
		if _, staged := b.staged[mods]; !staged {
			continue
		}
		var cmds []cmd
		byAlias := imp.ID == "." && len(b.publicPatterns) > 0
		direct := map[string]bool{}
		type dep struct{ alias, dir string }
		var deps []dep
		for _, d := range allDeps(imp) {
			direct[d.Alias] = true
			deps = append(deps, dep{d.Alias, b.depDir(d)})
		}
		if byAlias {
			// linkBins reads node_modules itself: the publicly hoisted
			// packages are there too. Its order is the directory's; the
			// clash rules make the result independent of it.
			for alias := range h.public {
				deps = append(deps, dep{alias, h.links["node_modules/"+alias]})
			}
			sort.SliceStable(deps, func(i, j int) bool { return deps[i].alias < deps[j].alias })
		}
		for _, d := range deps {
			m := manifestOf(d.dir)
			if m == nil {
				continue
			}
			src := d.dir
			if byAlias {
				src = mods + "/" + d.alias
			}
			for _, c := range b.commands(m, src, d.dir) {
				c.direct = direct[d.alias]
				cmds = append(cmds, c)
			}
		}
		if err := b.writeShims(mods+"/.bin", dedupe(cmds, byAlias)); err != nil {
			return err
		}
	}
	return nil
}

// writeShims writes one shim per command into binsDir (a final location
// inside a staged node_modules).
func (b *builder) writeShims(binsDir string, cmds []cmd) error {
	for _, c := range cmds {
		root, rel := b.rootFor(c.real)
		data, err := readLimited(root, rel, 1<<30)
		if err != nil {
			// cmd-shim fails on a missing target (ENOENT, EISDIR) and
			// pnpm only warns.
			b.warn(fmt.Sprintf("%s: bin %q of %s@%s: %s does not exist or is not a file; pnpm links no shim for it either", binsDir, c.name, c.pkgName, c.pkgVersion, c.real))
			continue
		}
		prog, args := scriptRuntime(data, c.real)
		text := shShim(install.RelPath(binsDir, c.src), prog, args, b.nodePath(c.real), b.opts.Major == 9)
		at, ok := b.stagedPath(binsDir + "/" + c.name)
		if !ok {
			return fmt.Errorf("%w: %s is outside every node_modules airlock replaces", ErrBadLocation, binsDir)
		}
		if err := b.stage.MkdirAll(path.Dir(at), dirMode); err != nil {
			return err
		}
		_ = b.stage.Remove(at)
		if err := b.stage.WriteFile(at, []byte(text), 0o666); err != nil {
			return err
		}
		if err := b.stage.Chmod(at, shimMode); err != nil {
			return err
		}
		b.res.Bins++
		if _, staged := b.stagedPath(c.real); staged {
			if err := install.FixBin(b.stage, rel, shimMode, nil); err != nil {
				return fmt.Errorf("making %s executable: %w", c.real, err)
			}
		} else {
			b.projectFixes = append(b.projectFixes, c.real)
		}
	}
	return nil
}

// extraNodePath is pnpm's extend-node-path entry: the hoisted modules.
func (b *builder) extraNodePath() string {
	return b.real + "/node_modules/.pnpm/node_modules"
}

// nodePath is the NODE_PATH a shim for the bin at real location loc sets.
func (b *builder) nodePath(loc string) string {
	dir := path.Dir(loc)
	abs := b.real + "/" + dir
	if _, staged := b.stagedPath(dir); !staged {
		// A workspace package's file: pnpm resolves symlinks in its
		// path. The result is only text in the shim.
		if r, err := filepath.EvalSymlinks(filepath.Join(b.project, filepath.FromSlash(dir))); err == nil {
			abs = filepath.ToSlash(r)
		}
	}
	if len(b.privatePatterns) == 0 {
		// pnpm extends NODE_PATH only with the hoisted modules, and there
		// are none.
		return ""
	}
	extra := b.extraNodePath()
	var paths []string
	if b.opts.Major == 9 {
		// pnpm 9: Module._nodeModulePaths of the bin's directory, up to
		// the first extra path, then the extra path.
		for _, p := range nodeModulePaths(abs) {
			if p == extra {
				break
			}
			paths = append(paths, p)
		}
		paths = append(paths, extra)
	} else {
		paths = binNodePaths(abs)
		if len(paths) == 0 {
			paths = []string{extra}
		} else if !slices.Contains(paths, extra) {
			paths = append(paths, extra)
		}
	}
	return strings.Join(paths, ":")
}

// nodeModulePaths is Node's Module._nodeModulePaths for an absolute path.
func nodeModulePaths(from string) []string {
	if from == "/" {
		return []string{"/node_modules"}
	}
	var out []string
	for p := from; p != "/"; p = path.Dir(p) {
		if path.Base(p) != "node_modules" {
			out = append(out, p+"/node_modules")
		}
	}
	return append(out, "/node_modules")
}

// binNodePaths is pnpm 10's getBinNodePaths: the package's own
// node_modules and the node_modules holding it, found by walking up to the
// first node_modules whose parent is not one.
func binNodePaths(dir string) []string {
	for cur := dir; ; {
		if path.Base(cur) == "node_modules" && path.Base(path.Dir(cur)) != "node_modules" {
			var out []string
			if rel := strings.TrimPrefix(strings.TrimPrefix(dir, cur), "/"); rel != "" {
				segs := strings.Split(rel, "/")
				pkg := cur + "/" + segs[0]
				if strings.HasPrefix(segs[0], "@") && len(segs) > 1 {
					pkg += "/" + segs[1]
				}
				out = append(out, pkg+"/node_modules")
			}
			return append(out, cur)
		}
		parent := path.Dir(cur)
		if parent == cur {
			return nil
		}
		cur = parent
	}
}

// jsSpace is JavaScript's \s.
const jsSpace = `[\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]`

// shebangRe is cmd-shim's shebangExpr with JavaScript's \s and ".".
var shebangRe = regexp.MustCompile(`^#!` + jsSpace + `*(?:/usr/bin/env(?:` + jsSpace + `+-S` + jsSpace + `*)?)?` + jsSpace + `*([^ \t]+)([^\n\r\x{2028}\x{2029}]*)$`)

// lineSplit is JavaScript's /\r*\n/.
var lineSplit = regexp.MustCompile(`\r*\n`)

// scriptRuntime is cmd-shim's searchScriptRuntime: the program and
// arguments of the target's "#!" line, else one chosen by its extension.
func scriptRuntime(data []byte, target string) (prog, args string) {
	text := strings.ToValidUTF8(string(data), "\uFFFD")
	text = strings.TrimFunc(text, isJSSpace)
	first := lineSplit.Split(text, 2)[0]
	if m := shebangRe.FindStringSubmatch(first); m != nil {
		return m[1], m[2]
	}
	switch strings.ToLower(path.Ext(target)) {
	case ".js", ".cjs", ".mjs":
		return "node", ""
	case ".cmd", ".bat":
		return "cmd", "/C"
	case ".ps1":
		return "pwsh", ""
	case ".sh":
		return "sh", ""
	}
	return "", ""
}

// isJSSpace is what String.prototype.trim removes.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// shShim is cmd-shim's generateShShim (pnpm 9 writes the older CYGWIN-only
// case).
func shShim(target, prog, args, nodePath string, v9 bool) string {
	quoted := `"$basedir/` + target + `"`
	var sb strings.Builder
	sb.WriteString("#!/bin/sh\nbasedir=$(dirname \"$(echo \"$0\" | sed -e 's,\\\\,/,g')\")\n\n")
	if v9 {
		sb.WriteString("case `uname` in\n    *CYGWIN*) basedir=`cygpath -w \"$basedir\"`;;\nesac\n\n")
	} else {
		sb.WriteString("case `uname` in\n    *CYGWIN*|*MINGW*|*MSYS*)\n        if command -v cygpath > /dev/null 2>&1; then\n            basedir=`cygpath -w \"$basedir\"`\n        fi\n    ;;\nesac\n\n")
	}
	if nodePath != "" {
		fmt.Fprintf(&sb, "if [ -z \"$NODE_PATH\" ]; then\n  export NODE_PATH=\"%s\"\nelse\n  export NODE_PATH=\"%s:$NODE_PATH\"\nfi\n", nodePath, nodePath)
	}
	if prog == "" {
		fmt.Fprintf(&sb, "%s   \"$@\"\nexit $?\n", quoted)
		return sb.String()
	}
	shProg := strings.ReplaceAll(prog, "\\", "/")
	long := `"$basedir/` + prog + `"`
	fmt.Fprintf(&sb, "if [ -x %s ]; then\n  exec %s %s %s \"$@\"\nelse\n  exec %s %s %s \"$@\"\nfi\n", long, long, args, quoted, shProg, args, quoted)
	return sb.String()
}

// fixProjectBins runs fix-bin on bin targets inside the project (workspace
// packages) after the swap; failures are warnings.
func fixProjectBins(project string, rels []string) []string {
	if len(rels) == 0 {
		return nil
	}
	r, err := os.OpenRoot(project)
	if err != nil {
		return []string{fmt.Sprintf("pnpm install: installed, but the workspace bins could not be made executable: %v", err)}
	}
	defer r.Close()
	var warnings []string
	seen := map[string]bool{}
	for _, rel := range rels {
		if seen[rel] {
			continue
		}
		seen[rel] = true
		if err := install.FixBin(r, rel, shimMode, nil); err != nil {
			warnings = append(warnings, fmt.Sprintf("pnpm install: installed, but bin target %s could not be made executable: %v", rel, err))
		}
	}
	return warnings
}
