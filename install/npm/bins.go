package npm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/lock"
)

// How npm 11 links bins for `npm ci` (arborist rebuild.js with
// ignore-scripts; bin-links 5; npm-normalize-package-bin 4), mirrored here:
//
//   - Every installed node whose package has a "bin" is linked, bundled
//     ones included; the root and other tops (workspace directories) are
//     not. A workspace's bins are linked through its link
//     (node_modules/a/.. → node_modules/.bin/x -> ../a/cli.js), with the
//     bin map of the link target.
//   - The map is normalized: a string bin is {name: bin}; an array maps
//     basename → path; each key becomes basename(key with "\" and ":" as
//     "/"), and "", "." and ".." are dropped; each value is
//     path.join("/", value).slice(1), so "../../x" becomes "x" and no bin
//     can point outside its package; non-string values are dropped.
//   - The link is <nearest node_modules>/.bin/<key>, a relative symlink to
//     path.relative(dirname(link), <package path>/<value>): "../semver/bin/semver.js",
//     "../@s/n/cli.js", "../a/cli.js" for a workspace link.
//   - Conflicts: bin-links keeps a process-wide set of links it has made
//     and never makes one twice. Non-link nodes are linked first, then
//     links, each sorted by depth then localeCompare of the path, so the
//     first package in that order owns the name — even when its target
//     file is missing, in which case no link is made at all.
//   - A missing target file is skipped silently. Whatever else is at the
//     link path (a file from a tarball) is replaced.
//   - The target of each link made is chmod'ed to 0o777 &^ umask (the
//     exact mode, not OR'ed), through links too, so a workspace's source
//     file changes mode, and if its first 2048 bytes hold a "#!" line
//     ending in "\r\n" that one "\r" is removed (the file is read and
//     rewritten as UTF-8 text, so invalid bytes become U+FFFD). airlock
//     does this to staged files before the swap and to the project's own
//     files (a workspace's) only after it, through an os.Root of the
//     project: a failed install leaves them alone, and a workspace file
//     that is a symlink out of the project is not changed (a warning).
//   - Man pages are linked only for global installs: never here.

// binEntry is one normalized bin: a command name and a path inside the
// package.
type binEntry struct {
	name, target string
}

// normalizeBins is npm-normalize-package-bin applied to a package's "bin"
// value; pkgName names a string bin.
func normalizeBins(bin *jsValue, pkgName string) []binEntry {
	if !bin.truthy() {
		return nil
	}
	var pairs []jsMember
	switch bin.kind {
	case jsString:
		if pkgName == "" {
			return nil
		}
		pairs = []jsMember{{pkgName, bin}}
	case jsArray:
		obj := &jsValue{kind: jsObject}
		for _, e := range bin.arr {
			if e.kind == jsString {
				obj.set(nodeBasename(e.s), e)
			}
		}
		pairs = obj.obj
	case jsObject:
		pairs = bin.obj
	default:
		return nil
	}
	// Enumerate like a JavaScript object: integer-like keys first.
	pairs = jsOrder(pairs)
	clean := &jsValue{kind: jsObject}
	for _, m := range pairs {
		base := nodeBasename(strings.NewReplacer("\\", "/", ":", "/").Replace(m.key))
		base = strings.TrimPrefix(nodeJoinRoot(base), "/")
		if m.val.kind != jsString || base == "" {
			continue
		}
		target := strings.TrimPrefix(nodeJoinRoot(strings.ReplaceAll(m.val.s, "\\", "/")), "/")
		if target == "" {
			continue
		}
		clean.set(base, jsStr(target))
	}
	out := make([]binEntry, 0, len(clean.obj))
	for _, m := range jsOrder(clean.obj) {
		out = append(out, binEntry{m.key, m.val.s})
	}
	return out
}

// jsOrder returns members in JavaScript property order: array indices
// ascending, then the rest as inserted.
func jsOrder(ms []jsMember) []jsMember {
	var ints, rest []jsMember
	for _, m := range ms {
		if _, ok := arrayIndex(m.key); ok {
			ints = append(ints, m)
		} else {
			rest = append(rest, m)
		}
	}
	sort.SliceStable(ints, func(i, j int) bool {
		a, _ := arrayIndex(ints[i].key)
		b, _ := arrayIndex(ints[j].key)
		return a < b
	})
	return append(ints, rest...)
}

// nodeBasename is Node's path.posix.basename: trailing slashes ignored.
func nodeBasename(p string) string {
	p = strings.TrimRight(p, "/")
	if p == "" {
		return ""
	}
	return p[strings.LastIndex(p, "/")+1:]
}

// nodeJoinRoot is Node's path.posix.join("/", p): normalized, never above
// the root, keeping a trailing slash.
func nodeJoinRoot(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// binDir is bin-links' getNodeModules(path) + "/.bin": the node_modules
// directory holding the package, past its scope.
func binDir(loc string) string {
	d := path.Dir(loc)
	if path.Base(d) != "node_modules" {
		d = path.Dir(d)
	}
	return d + "/.bin"
}

// BinConflict says that two packages in one node_modules both declare the
// command Bin; npm links the first in its order (Owner) and skips Loser.
type BinConflict struct {
	Bin           string // project-relative link path, e.g. node_modules/.bin/esparse
	Owner, Loser  string // package locations
	LoserIsLinked bool   // Loser is a link (a workspace), linked after every package
}

// binJob is one node's bins.
type binJob struct {
	loc    string // where the bins point into (the link's location for links)
	isLink bool
	bins   []binEntry
}

// binResult reports what linkBins did.
type binResult struct {
	linked    int
	conflicts []BinConflict
	missing   []string // declared bin targets that do not exist
	// projectFixes are the targets of links made that are files of the
	// project itself (a workspace's, through its link), as paths in it.
	// fix-bin changes them, so it runs on them only after the swap
	// (fixProjectBins): until then the project must stay untouched.
	projectFixes []string
}

// linkBins creates every .bin link in the staged trees, in npm's order,
// and runs fix-bin on the targets that are staged.
func linkBins(fsm *fsMap, jobs []binJob, execMode fs.FileMode) (binResult, error) {
	var res binResult
	sort.SliceStable(jobs, func(i, j int) bool {
		a, b := jobs[i], jobs[j]
		if a.isLink != b.isLink {
			return !a.isLink
		}
		if da, db := depth(a.loc), depth(b.loc); da != db {
			return da < db
		}
		return localeCompare(a.loc, b.loc) < 0
	})
	owner := map[string]binJob{}
	for _, job := range jobs {
		for _, b := range job.bins {
			to := binDir(job.loc) + "/" + b.name
			if o, ok := owner[to]; ok {
				res.conflicts = append(res.conflicts, BinConflict{Bin: to, Owner: o.loc, Loser: job.loc, LoserIsLinked: job.isLink})
				continue
			}
			owner[to] = job
			absFrom := path.Clean(job.loc + "/" + b.target)
			from := install.RelPath(path.Dir(to), absFrom)
			status, err := linkOne(fsm, to, from, absFrom)
			if err != nil {
				return res, fmt.Errorf("linking bin %q of %s: %w", b.name, job.loc, err)
			}
			switch status {
			case binMissing:
				res.missing = append(res.missing, absFrom)
				continue
			case binPresent:
				res.linked++
				continue
			}
			res.linked++
			r, rel, err := fsm.locate(absFrom)
			if err != nil {
				return res, fmt.Errorf("making bin %q of %s executable: %w", b.name, job.loc, err)
			}
			if r == fsm.project {
				res.projectFixes = append(res.projectFixes, rel)
				continue
			}
			if err := install.FixBin(r, rel, execMode, decodeUTF8Lossy); err != nil {
				return res, fmt.Errorf("making bin %q of %s executable: %w", b.name, job.loc, err)
			}
		}
	}
	return res, nil
}

// fixProjectBins runs fix-bin on bin targets in the project (paths in it),
// after the swap, through an os.Root of the project so that nothing outside
// it is changed: a target that is a symlink leading out is refused. The
// install has happened by then, so failures are returned as warnings.
func fixProjectBins(project string, rels []string, execMode fs.FileMode) []string {
	if len(rels) == 0 {
		return nil
	}
	r, err := os.OpenRoot(project)
	if err != nil {
		return []string{fmt.Sprintf("npm install: installed, but bin targets in the project were not made executable: %v", err)}
	}
	defer r.Close()
	var warnings []string
	for _, rel := range rels {
		if err := install.FixBin(r, rel, execMode, decodeUTF8Lossy); err != nil {
			warnings = append(warnings, fmt.Sprintf("npm install: installed, but making the bin target %s executable failed (npm would have): %v", rel, err))
		}
	}
	return warnings
}

// depth is a node's depth in arborist's tree: the number of node_modules
// levels in its location (a top, such as a workspace, is 0).
func depth(loc string) int {
	n := 0
	for _, s := range strings.Split(loc, "/") {
		if s == "node_modules" {
			n++
		}
	}
	return n - 1
}

// linkStatus is what linkOne found or did.
type linkStatus int

const (
	binMade    linkStatus = iota // link created: fix the target up
	binMissing                   // target file missing: no link
	binPresent                   // the same link was already there: leave it
)

// linkOne is bin-links' link-gently: no link when the target is missing;
// whatever else is at the link path is replaced.
func linkOne(fsm *fsMap, to, from, absFrom string) (linkStatus, error) {
	r, rel, err := fsm.locate(absFrom)
	if err != nil {
		return 0, err
	}
	if _, err := r.Lstat(rel); err != nil {
		// link-gently ignores ENOENT and (with a warning) EACCES.
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return binMissing, nil
		}
		return 0, err
	}
	tr, trel, err := fsm.locate(to)
	if err != nil {
		return 0, err
	}
	if fi, err := tr.Lstat(trel); err == nil {
		if fi.Mode()&fs.ModeSymlink != 0 {
			if cur, err := tr.Readlink(trel); err == nil && cur == from {
				return binPresent, nil
			}
		}
		if err := tr.RemoveAll(trel); err != nil {
			return 0, err
		}
	}
	if err := tr.MkdirAll(path.Dir(trel), dirMode); err != nil {
		return 0, err
	}
	if err := tr.Symlink(from, trel); err != nil {
		return 0, err
	}
	return binMade, nil
}

// binsOf returns a node's normalized bins: from its lockfile entry when
// there is one (it keeps npm's order and string/array forms), else from
// the parsed lock.Package.
func binsOf(raw *jsValue, pkg lock.Package, loc string) []binEntry {
	if raw != nil {
		name := raw.get("name").str()
		if name == "" {
			name = nameFromFolder(loc)
		}
		return normalizeBins(raw.get("bin"), name)
	}
	if len(pkg.Bin) == 0 {
		return nil
	}
	obj := &jsValue{kind: jsObject}
	keys := make([]string, 0, len(pkg.Bin))
	for k := range pkg.Bin {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		obj.set(k, jsStr(pkg.Bin[k]))
	}
	return normalizeBins(obj, pkg.Name)
}
