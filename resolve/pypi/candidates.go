package pypi

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
)

// release is one version of a project as the index lists it, with the
// wheel airlock would install for the interpreter, or why none.
type release struct {
	v lockpypi.Version
	s string // normalized version string
	// wheel is the preferred usable wheel; nil when skip says why there
	// is none.
	wheel        *fetchpypi.File
	yanked       bool // every usable wheel is yanked (PEP 592)
	yankedReason string
	// skip is why the index's listing rules the release out; set when
	// the project is read and never changed (readAhead reads it from
	// other goroutines).
	skip   string
	policy bool // skip is policy's (deny, min_release_age)
	// metaSkip is why its METADATA rules it out (Requires-Python); only
	// the search's goroutine touches it.
	metaSkip string

	// installed marks the version installed in the target environment
	// (Options.Installed), which has no wheel: meta is its installed
	// METADATA, where the directory it is in.
	installed bool
	where     string

	meta *Metadata
	// deps are the requirements of the release's nodes (by extra, "" for
	// the project), worked out from meta once; only the search's
	// goroutine touches them.
	deps map[string][]lockpypi.Requirement

	// fetch is the METADATA read, started once (maybe ahead of need, by
	// readAhead) and awaited by deps; nil until started. Guarded by
	// resolver.mu until started.
	fetch *metaFetch
}

type metaFetch struct {
	done chan struct{}
	data []byte
	err  error
}

func (r *release) label(name string) string { return name + " " + r.s }

// reason is why the release cannot be used, or "".
func (r *release) reason() string {
	if r.skip != "" {
		return r.skip
	}
	return r.metaSkip
}

// project is every release of one project, newest first.
type project struct {
	name     string // normalized
	releases []*release
}

// sdistExts are the source archive suffixes PyPI accepts (and older ones
// indexes still list).
var sdistExts = []string{".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar"}

// versionOfFile returns the version a file of project name carries, from
// a wheel's or an sdist's file name; ok is false for files of other
// projects or of no known shape.
func versionOfFile(name, filename string) (v string, wheel, ok bool) {
	if strings.HasSuffix(filename, ".whl") {
		wn, err := lockpypi.ParseWheelFilename(filename)
		if err != nil || lockpypi.NormalizeName(wn.Name) != name {
			return "", false, false
		}
		return wn.Version, true, true
	}
	lower := strings.ToLower(filename)
	for _, ext := range sdistExts {
		if strings.HasSuffix(lower, ext) {
			stem := filename[:len(filename)-len(ext)]
			i := strings.LastIndex(stem, "-")
			if i <= 0 || lockpypi.NormalizeName(stem[:i]) != name {
				return "", false, false
			}
			return stem[i+1:], false, true
		}
	}
	return "", false, false
}

// newProject sorts files into releases and picks each release's wheel.
func (r *resolver) newProject(name string, files []fetchpypi.File) *project {
	type group struct {
		v      lockpypi.Version
		wheels []fetchpypi.File
		sdists []string
	}
	groups := map[string]*group{}
	for _, f := range files {
		vs, isWheel, ok := versionOfFile(name, f.Filename)
		if !ok {
			continue
		}
		v, err := lockpypi.ParseVersion(vs)
		if err != nil {
			continue // pip ignores files with invalid versions too
		}
		key := v.String()
		g := groups[key]
		if g == nil {
			g = &group{v: v}
			groups[key] = g
		}
		if isWheel {
			g.wheels = append(g.wheels, f)
		} else {
			g.sdists = append(g.sdists, f.Filename)
		}
	}
	p := &project{name: name}
	for key, g := range groups {
		rel := &release{v: g.v, s: key}
		r.pickWheel(name, rel, g.wheels, g.sdists)
		p.releases = append(p.releases, rel)
	}
	sort.Slice(p.releases, func(i, j int) bool { return p.releases[i].v.Compare(p.releases[j].v) > 0 })
	return p
}

// pickWheel chooses rel's wheel: the interpreter's most preferred among
// the files that policy, Requires-Python and the tags allow, a non-yanked
// one if there is any.
func (r *resolver) pickWheel(name string, rel *release, wheels []fetchpypi.File, sdists []string) {
	if why := denyReason(r.opts.Policy, name, rel.v); why != "" {
		rel.skip, rel.policy = why, true
		return
	}
	var ok []fetchpypi.File
	var tooNew, otherPython string
	for _, f := range wheels {
		if !requiresPythonHolds(f.RequiresPython, r.python) {
			otherPython = fmt.Sprintf("its wheels require Python %s (the interpreter is %s)", f.RequiresPython, r.pythonString)
			continue
		}
		if why := ageReason(r.opts.Policy, name, f.UploadTime, r.opts.Now); why != "" {
			tooNew = why
			continue
		}
		ok = append(ok, f)
	}
	var fresh, yanked []fetchpypi.File
	for _, f := range ok {
		if f.Yanked {
			yanked = append(yanked, f)
		} else {
			fresh = append(fresh, f)
		}
	}
	var selectErr error
	for _, set := range [][]fetchpypi.File{fresh, yanked} {
		if len(set) == 0 {
			continue
		}
		arts := make([]lockpypi.Artifact, len(set))
		for i, f := range set {
			arts[i] = lockpypi.Artifact{Filename: f.Filename, URL: f.URL}
		}
		art, err := lockpypi.SelectWheel(name, arts, r.opts.Env)
		if err != nil {
			selectErr = err
			continue
		}
		for i := range set {
			if set[i].Filename == art.Filename {
				w := set[i]
				rel.wheel = &w
				rel.yanked, rel.yankedReason = w.Yanked, w.YankedReason
				return
			}
		}
	}
	switch {
	case tooNew != "":
		rel.skip, rel.policy = tooNew, true
	case otherPython != "":
		rel.skip = otherPython
	case selectErr != nil && errors.Is(selectErr, lockpypi.ErrNoCompatibleWheel):
		rel.skip = "no wheel for this interpreter (" + wheelTags(wheels) + ")"
	case len(sdists) > 0:
		rel.skip = fmt.Sprintf("only a source distribution (%s), which airlock never builds: building runs the package's code", strings.Join(sdists, ", "))
	default:
		rel.skip = "no usable file"
	}
}

func wheelTags(files []fetchpypi.File) string {
	var names []string
	for _, f := range files {
		names = append(names, f.Filename)
	}
	if len(names) > 4 {
		names = append(names[:4], fmt.Sprintf("and %d more", len(names)-4))
	}
	return strings.Join(names, ", ")
}

// requiresPythonHolds reports whether spec admits the interpreter's
// version. Like pip, an unparsable value does not exclude.
func requiresPythonHolds(spec string, py lockpypi.Version) bool {
	if strings.TrimSpace(spec) == "" {
		return true
	}
	ss, err := lockpypi.ParseSpecifiers(spec)
	if err != nil {
		return true
	}
	return ss.Contains(py)
}
