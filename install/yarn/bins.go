package yarn

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode"
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
	for _, p := range flat {
		r := p.info.ref
		binLoc := p.loc + "/node_modules"
		for _, dp := range r.deps {
			dep := b.g.resolve(dp)
			if len(dep.locations) == 0 || len(dep.bin) == 0 {
				continue
			}
			loc := nearest(dep, binLoc)
			if loc == "" {
				return fmt.Errorf("no copy of %s to link in %s", dep.name, binLoc)
			}
			if err := b.linkSelf(dep, loc, binLoc); err != nil {
				return err
			}
		}
	}
	type top struct {
		loc string
		r   *ref
	}
	order := []string{}
	links := map[string]top{}
	direct := map[string]bool{}
	for _, p := range flat {
		name := p.info.ref.name
		if _, seen := links[name]; !seen {
			order = append(order, name)
		}
		if p.info.isDirectRequire || !hasKey(links, name) {
			links[name] = top{p.loc, p.info.ref}
			direct[name] = p.info.isDirectRequire
		}
	}
	var transient, directs []top
	for _, n := range order {
		if direct[n] {
			directs = append(directs, links[n])
		} else {
			transient = append(transient, links[n])
		}
	}
	for _, t := range append(transient, directs...) {
		if len(t.r.bin) == 0 {
			continue
		}
		if err := b.linkSelf(t.r, t.loc, "node_modules"); err != nil {
			return err
		}
	}
	return nil
}

func hasKey[V any](m map[string]V, k string) bool { _, ok := m[k]; return ok }

// nearest is findNearestInstalledVersionOfPackage: the location of r
// reached by walking up from binLoc the fewest steps.
func nearest(r *ref, binLoc string) string {
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
	return best
}

// linkSelf is linkSelfDependencies: r's bins, from its copy at pkgLoc,
// into binLoc/.bin.
func (b *builder) linkSelf(r *ref, pkgLoc, binLoc string) error {
	names := make([]string, 0, len(r.bin))
	for n := range r.bin {
		names = append(names, n)
	}
	sort.Strings(names)
	binDir := binLoc + "/.bin"
	for _, n := range names {
		src := path.Join(pkgLoc, r.bin[n])
		fi, err := b.stage.Stat(b.staged(src))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("bin %s of %s: %w", n, pkgLoc, err)
		}
		if err := b.stage.MkdirAll(b.staged(binDir), dirMode); err != nil {
			return fmt.Errorf("creating %s: %w", binDir, err)
		}
		dest := b.staged(binDir + "/" + n)
		if _, err := b.stage.Lstat(dest); err == nil {
			if err := b.stage.RemoveAll(dest); err != nil {
				return fmt.Errorf("replacing %s/%s: %w", binDir, n, err)
			}
		}
		if err := b.stage.Symlink(relPath(binDir, src), dest); err != nil {
			return fmt.Errorf("linking %s/%s: %w", binDir, n, err)
		}
		b.res.Bins++
		// linkBin's chmod(dest, '755') follows the link to the target.
		if err := b.chmodBin(b.staged(src), fi); err != nil {
			return fmt.Errorf("bin %s of %s: %w", n, pkgLoc, err)
		}
	}
	return nil
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

// relPath is Node's path.relative between two project-relative slash
// paths.
func relPath(from, to string) string {
	split := func(p string) []string {
		p = path.Clean(p)
		if p == "." {
			return nil
		}
		return strings.Split(p, "/")
	}
	f, t := split(from), split(to)
	i := 0
	for i < len(f) && i < len(t) && f[i] == t[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(t)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, t[i:]...)
	return strings.Join(parts, "/")
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
