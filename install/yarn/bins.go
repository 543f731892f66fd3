package yarn

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode"

	"github.com/airlock-dev/airlock/install"
)

// linkBins is the bin-link part of PackageLinker.copyModules (yarn 1.22,
// src/package-linker.js), one link at a time as yarn does
// (linkBinConcurrency = 1):
//
//   - for each installed package, in location order, the bins of its
//     dependencies (and resolved peers) go into <location>/node_modules/.bin,
//     each pointing at the copy of the dependency nearest that directory;
//   - then the root node_modules/.bin gets the bins of one copy of every
//     package name (the first location in order, or the one the root
//     depends on directly), transitive packages first so that the root's
//     direct dependencies win a name both declare.
//
// Each link is a relative symlink replacing whatever had that name, and
// its target is chmod'ed to exactly 0o755. A bin whose target does not
// exist is skipped, as yarn skips it.
func (b *builder) linkBins(flat []placed) error {
	links, err := planBins(b.g, flat, func(loc string) (bool, error) {
		sp, staged, err := b.stagedPath(loc)
		if err != nil {
			return false, err
		}
		r := b.projRoot
		if staged {
			r = b.stage
		} else {
			sp = loc
		}
		_, err = r.Stat(sp)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		return err
	}
	fixes := map[string]bool{}
	for _, l := range links {
		dir, ok, err := b.stagedPath(l.dir)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s is outside every node_modules airlock replaces", l.dir)
		}
		if err := b.stage.MkdirAll(dir, dirMode); err != nil {
			return fmt.Errorf("creating %s: %w", l.dir, err)
		}
		if l.name == "" {
			continue
		}
		b.res.Bins++
		dest := path.Join(dir, l.name)
		if _, err := b.stage.Lstat(dest); err == nil {
			if err := b.stage.RemoveAll(dest); err != nil {
				return fmt.Errorf("replacing %s/%s: %w", l.dir, l.name, err)
			}
		}
		if err := b.stage.Symlink(install.RelPath(l.dir, l.target), dest); err != nil {
			return fmt.Errorf("linking %s/%s: %w", l.dir, l.name, err)
		}
		target, staged, err := b.stagedPath(l.target)
		if err != nil {
			return err
		}
		if !staged {
			// A workspace's own file: changed only after the swap.
			if !fixes[l.target] {
				fixes[l.target] = true
				b.projectFixes = append(b.projectFixes, l.target)
			}
			continue
		}
		fi, err := b.stage.Stat(target)
		if err != nil {
			return fmt.Errorf("bin %s/%s: %w", l.dir, l.name, err)
		}
		// linkBin's chmod(dest, '755') follows the link to the target.
		if err := b.chmodBin(target, fi); err != nil {
			return fmt.Errorf("bin %s/%s: %w", l.dir, l.name, err)
		}
	}
	return nil
}

// binLink is one symlink: dir/name pointing at the file target (all
// project locations); without a name, only the directory dir is made.
type binLink struct{ dir, name, target string }

// planBins lists the links in the order yarn makes them; a later link
// replaces an earlier one of the same name. exists says whether a bin
// target is there (yarn skips the ones that are not).
func planBins(g *graph, flat []placed, exists func(loc string) (bool, error)) ([]binLink, error) {
	var links []binLink
	// self is linkSelfDependencies: r's bins, from its copy at pkgLoc,
	// into binLoc/.bin.
	self := func(r *ref, pkgLoc, binLoc string, override bool) error {
		names := make([]string, 0, len(r.bin))
		for n := range r.bin {
			names = append(names, n)
		}
		sort.Strings(names)
		if len(names) == 0 {
			// fs.mkdirp(targetBinLoc) comes first, bins or not.
			links = append(links, binLink{dir: binLoc + "/.bin"})
		}
		for _, n := range names {
			src := path.Join(pkgLoc, r.bin[n])
			ok, err := exists(src)
			if err != nil {
				return fmt.Errorf("bin %s of %s: %w", n, pkgLoc, err)
			}
			if ok || override {
				links = append(links, binLink{dir: binLoc + "/.bin", name: n, target: src})
			}
		}
		return nil
	}
	// realpath of a location: a workspace's symlink leads to its
	// directory; every other location is real.
	real := func(loc string) string {
		for _, p := range flat {
			if w := p.info.ref.ws; w != nil && p.loc == loc {
				return w.Dir
			}
		}
		return loc
	}
	// _buildTreeHash: locations by hoister key.
	byKey := map[string]string{}
	for _, p := range flat {
		byKey[p.info.key] = p.loc
	}
	// linkBinDependencies of every installed package.
	for _, p := range flat {
		binLoc := p.loc + "/node_modules"
		realBinLoc := real(p.loc) + "/node_modules"
		for _, dp := range p.info.ref.deps {
			dep := g.resolve(dp)
			if len(dep.locations) == 0 || len(dep.bin) == 0 {
				continue
			}
			loc, dist := nearest(dep, binLoc)
			if realBinLoc != binLoc {
				if l, d := nearest(dep, realBinLoc); d >= 0 && (dist < 0 || d < dist) {
					loc, dist = l, d
				}
			}
			if dist < 0 {
				return nil, fmt.Errorf("no copy of %s to link in %s", dep.name, binLoc)
			}
			if err := self(dep, real(loc), realBinLoc, false); err != nil {
				return nil, err
			}
		}
		if p.info.isNohoist {
			// getParentBinLoc: a nohoist package's bins also go into its
			// parent's node_modules/.bin, linked even when the target is
			// missing (yarn's chmod then fails, and so does airlock).
			parent := p.info.parts[:len(p.info.parts)-1]
			ploc, ok := byKey[implode(parent)]
			if !ok {
				return nil, fmt.Errorf("failed to get parent '%s' binLoc (yarn fails here too)", implode(parent))
			}
			if err := self(p.info.ref, real(p.loc), real(ploc)+"/node_modules", true); err != nil {
				return nil, err
			}
		}
	}
	// determineTopLevelBinLinkOrder: one copy per name, the first in
	// order unless the root depends on one directly; transitive ones
	// first, so direct dependencies win a shared bin name. nohoist
	// packages are not linked at the top.
	type top struct {
		loc string
		r   *ref
	}
	var order []string
	tops := map[string]top{}
	direct := map[string]bool{}
	for _, p := range flat {
		if p.info.isNohoist {
			continue
		}
		name := p.info.ref.name
		_, seen := tops[name]
		if !seen {
			order = append(order, name)
		}
		if p.info.isDirectRequire || !seen {
			tops[name] = top{p.loc, p.info.ref}
			direct[name] = p.info.isDirectRequire
		}
	}
	var transient, directs []top
	for _, n := range order {
		if direct[n] {
			directs = append(directs, tops[n])
		} else {
			transient = append(transient, tops[n])
		}
	}
	for _, t := range append(transient, directs...) {
		if len(t.r.bin) == 0 {
			continue
		}
		if err := self(t.r, real(t.loc), "node_modules", false); err != nil {
			return nil, err
		}
	}
	return links, nil
}

// nearest is findNearestInstalledVersionOfPackage: the location of r
// reached by walking up from binLoc the fewest steps, and the steps (-1
// when none is).
func nearest(r *ref, binLoc string) (string, int) {
	best, bestDist := "", -1
	for _, loc := range r.locations {
		cur, dist := binLoc, 0
		for path.Join(cur, r.name) != loc && path.Join(cur, "node_modules", r.name) != loc {
			if cur == "." {
				dist = -1
				break
			}
			cur = path.Dir(cur)
			dist++
		}
		if dist >= 0 && (bestDist < 0 || dist < bestDist) {
			best, bestDist = loc, dist
		}
	}
	return best, bestDist
}

// chmodBin gives a bin target mode 0o755. A regular file is first
// replaced by a copy of itself, so that a file the extraction shares with
// another tree (a hard link into airlock's extracted store) is never
// changed in place.
func (b *builder) chmodBin(rel string, fi fs.FileInfo) error {
	if fi.Mode().Perm() == binMode || !fi.Mode().IsRegular() {
		return b.stage.Chmod(rel, binMode|fi.Mode()&fs.ModeDir)
	}
	data, err := b.stage.ReadFile(rel)
	if err != nil {
		return err
	}
	tmp := rel + ".airlock-bin"
	if err := b.stage.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	if err := b.stage.Chmod(tmp, binMode); err != nil {
		return err
	}
	return b.stage.Rename(tmp, rel)
}

// punctuation is the order of ASCII punctuation in the root collation
// (CLDR/ICU) that String.prototype.localeCompare uses; all of it sorts
// before digits, and digits before letters.
const punctuation = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"

// localeLess approximates JavaScript's a.localeCompare(b) < 0 for package
// locations, the order yarn sorts its flat tree in: punctuation, then
// digits, then letters ignoring case at first; lower case before upper
// case on a tie; byte order last.
func localeLess(a, b string) bool {
	weight := func(r rune) int {
		if i := strings.IndexRune(punctuation, r); i >= 0 {
			return i
		}
		switch {
		case '0' <= r && r <= '9':
			return 100 + int(r-'0')
		case unicode.IsLetter(r):
			return 200 + int(unicode.ToLower(r))
		}
		return 100000 + int(r)
	}
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if wa, wb := weight(ra[i]), weight(rb[i]); wa != wb {
			return wa < wb
		}
	}
	if len(ra) != len(rb) {
		return len(ra) < len(rb)
	}
	for i := range ra {
		if ra[i] != rb[i] {
			return unicode.IsLower(ra[i]) && !unicode.IsLower(rb[i]) || ra[i] < rb[i] && unicode.IsLower(ra[i]) == unicode.IsLower(rb[i])
		}
	}
	return false
}
