package wheel

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"
)

// installedDist is a .dist-info found in purelib or platlib for a
// distribution about to be installed.
type installedDist struct {
	dir      string // the directory holding the .dist-info (its "location")
	distInfo string
	version  string
	paths    []string // what pip's UninstallPathSet would collect, before existence checks
}

// findInstalled lists every .dist-info of name in the lib directories, and
// refuses an .egg-info of it, which has no RECORD to uninstall by.
func findInstalled(sch Scheme, name string, opts *Options) ([]*installedDist, error) {
	want := normalizeName(name)
	var out []*installedDist
	ents, err := libEntries(sch)
	if err != nil {
		return nil, err
	}
	for _, le := range ents {
		dir, n := le.dir, le.Name()
		if base, ok := strings.CutSuffix(n, ".egg-info"); ok {
			// name[-version[-pyX.Y]].egg-info; the name has no "-".
			if first, _, _ := strings.Cut(base, "-"); normalizeName(first) == want {
				return nil, &WheelError{Wheel: n, Err: fmt.Errorf("%w: %s was installed by setup.py (egg-info), which records no files airlock could remove; remove it with pip uninstall %s first", ErrCannotUninstall, filepath.Join(dir, n), name)}
			}
			continue
		}
		// name-version.dist-info; the version has no "-", so an old
		// "foo-bar-1.0" still names foo-bar, never foo.
		dn, dv, ok := splitDistInfo(n, ".dist-info")
		if !ok || normalizeName(dn) != want {
			continue
		}
		d := &installedDist{dir: dir, distInfo: n, version: dv}
		if err := d.collect(sch, opts); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// collect gathers pip's uninstall paths: every RECORD entry, the .pyc and
// .pyo beside each .py and its __pycache__ file for the target's cache
// tag, and the scripts of its console and GUI entry points.
func (d *installedDist) collect(sch Scheme, opts *Options) error {
	info := filepath.Join(d.dir, d.distInfo)
	fail := func(err error) error { return &WheelError{Wheel: d.distInfo, Err: err} }
	data, err := readBounded(filepath.Join(info, "RECORD"), maxRecord)
	if errors.Is(err, fs.ErrNotExist) {
		return fail(fmt.Errorf("%w: %s has no RECORD, so its files are unknown; remove the distribution by hand (or with pip uninstall) and run again", ErrCannotUninstall, info))
	}
	if err != nil {
		return fail(err)
	}
	entries, err := recordPaths(data)
	if err != nil {
		return fail(fmt.Errorf("%w: RECORD: %v", ErrCannotUninstall, err))
	}
	tag := opts.CacheTag
	if tag == "" {
		tag = "cpython-" + strings.ReplaceAll(opts.PythonVersion, ".", "")
	}
	for _, e := range entries {
		p := filepath.Clean(filepath.Join(d.dir, filepath.FromSlash(e)))
		if filepath.IsAbs(filepath.FromSlash(e)) {
			p = filepath.Clean(filepath.FromSlash(e))
		}
		if !insideScheme(sch, p) || isSchemeDir(sch, p) {
			return &WheelError{Wheel: d.distInfo, Path: e, Err: fmt.Errorf("%w: it names %s, outside the environment's directories or a directory of the environment itself; check the installed distribution and remove it by hand", ErrUnsafeRecordPath, p)}
		}
		d.paths = append(d.paths, p)
		if base, ok := strings.CutSuffix(p, ".py"); ok {
			dn, fn := filepath.Split(base)
			d.paths = append(d.paths, base+".pyc", base+".pyo", filepath.Join(dn, "__pycache__", fn+"."+tag+".pyc"))
		}
	}
	if ep, err := readBounded(filepath.Join(info, "entry_points.txt"), maxEntryPoints); err == nil {
		eps, err := parseEntryPoints(ep)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrCannotUninstall, err))
		}
		for _, l := range [][]entryPoint{eps.console, eps.gui} {
			for _, e := range l {
				d.paths = append(d.paths, filepath.Join(sch.Scripts, e.name))
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fail(err)
	}
	return nil
}

// recordPaths reads the paths of an installed RECORD, which other
// installers may have written more loosely than a wheel's (fewer fields).
func recordPaths(data []byte) ([]string, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8")
	}
	var out []string
	for i, line := range pySplitLines(string(data)) {
		if line == "" {
			continue
		}
		f, err := parseCSVLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", i+1, err)
		}
		if f[0] != "" {
			out = append(out, f[0])
		}
	}
	return out, nil
}

func readBounded(name string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
	// writer for ever (anything in site-packages can be one); it changes
	// nothing for a regular file. The file read is the one checked, and
	// no more than limit is read even if it grows meanwhile.
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > limit {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes", name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is not a regular file of at most %d bytes", name, limit)
	}
	return data, nil
}

// insideScheme reports whether p lies strictly inside one of the scheme
// directories.
func insideScheme(sch Scheme, p string) bool {
	for _, r := range []string{sch.Purelib, sch.Platlib, sch.Scripts, sch.Data, sch.Headers} {
		if within(p, r) {
			return true
		}
	}
	return false
}

// isSchemeDir reports whether p is a scheme directory or lies above one.
func isSchemeDir(sch Scheme, p string) bool {
	for _, r := range []string{sch.Purelib, sch.Platlib, sch.Scripts, sch.Data, sch.Headers} {
		if p == r || within(r, p) {
			return true
		}
	}
	return false
}

// uninstall removes d from the build as pip's UninstallPathSet.remove does:
// the paths that exist; a directory all of whose files are among them goes
// whole (compress_for_rename); each single file removed takes its parents
// with it while they are empty (os.removedirs), a whole directory does not.
func (b *builder) uninstall(d *installedDist) error {
	paths := map[string]bool{}
	for _, p := range d.paths {
		if _, err := b.lstat(p); err == nil {
			paths[p] = true
		} else if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrInvalid) && !isNotDir(err) {
			return &WheelError{Wheel: d.distInfo, Path: p, Err: err}
		}
	}
	remaining := map[string]bool{}
	for p := range paths {
		remaining[p] = true
	}
	parentSet := map[string]bool{}
	for p := range paths {
		parentSet[filepath.Dir(p)] = true
	}
	parents := make([]string, 0, len(parentSet))
	for p := range parentSet {
		parents = append(parents, p)
	}
	sort.SliceStable(parents, func(i, j int) bool {
		if len(parents[i]) != len(parents[j]) {
			return len(parents[i]) < len(parents[j])
		}
		return parents[i] < parents[j]
	})
	var wildcards []string
	for _, root := range parents {
		if b.isRoot(root) {
			continue // never a scheme directory itself
		}
		covered := false
		for _, w := range wildcards {
			if strings.HasPrefix(root, w) {
				covered = true
			}
		}
		if covered {
			continue
		}
		files, err := b.walkFiles(root)
		if err != nil {
			return &WheelError{Wheel: d.distInfo, Path: root, Err: err}
		}
		all := true
		for _, f := range files {
			if !remaining[f] {
				all = false
				break
			}
		}
		if all {
			for _, f := range files {
				delete(remaining, f)
			}
			wildcards = append(wildcards, root+string(filepath.Separator))
		}
	}
	set := wildcards
	for p := range remaining {
		set = append(set, p)
	}
	// compact: drop what lies under another entry.
	sort.SliceStable(set, func(i, j int) bool { return len(set[i]) < len(set[j]) })
	var compacted []string
	for _, p := range set {
		skip := false
		for _, s := range compacted {
			base := strings.TrimSuffix(s, string(filepath.Separator))
			if strings.HasPrefix(p, base+string(filepath.Separator)) && p != s {
				skip = true
				break
			}
		}
		if !skip {
			compacted = append(compacted, p)
		}
	}
	sort.Strings(compacted)
	for _, p := range compacted {
		dir, isDir := strings.CutSuffix(p, string(filepath.Separator))
		if err := b.remove(dir); err != nil {
			return &WheelError{Wheel: d.distInfo, Path: dir, Err: err}
		}
		if !isDir {
			b.prune(filepath.Dir(dir))
		}
	}
	return nil
}

// isNotDir: a path below a file does not exist either.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
