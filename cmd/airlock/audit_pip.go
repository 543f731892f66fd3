package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/install/wheel"
	"github.com/airlock-dev/airlock/internal/pyinterp"
	"github.com/airlock-dev/airlock/internal/safefile"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/verify"
	"github.com/airlock-dev/airlock/verify/advisory"
)

// pyAudit is what airlock audit checks in a Python project: the
// distributions a lock pins (lock, lockName) and those installed in an
// interpreter's environment (python).
type pyAudit struct {
	lock     *lockpypi.Lock
	lockName string
	python   string
}

// wantsPython reports whether the flags ask for a Python audit.
func (f *auditFlags) wantsPython() bool {
	return f.requirements != "" || f.lockFile != "" || f.python != ""
}

// pythonAuditTarget chooses what to audit in projectDir when no
// JavaScript lockfile is there: with -r, --lock or --python those; else
// the Python lockfile airlock install would install (pylock.toml or
// uv.lock; with both it refuses to guess, as airlock install does); else
// the active virtual environment, or the project's .venv, as pip-audit
// audits the environment it runs in. ok is false when there is nothing
// Python to audit.
func pythonAuditTarget(f *auditFlags, projectDir string) (t pyAudit, ok bool, err error) {
	if f.requirements != "" && f.lockFile != "" {
		return t, false, withCode(exitUsage, errors.New("-r and --lock are alternatives; give one of them"))
	}
	lockFile := f.lockFile
	if !f.wantsPython() {
		var found []string
		for _, n := range pythonLocks {
			if st, err := os.Stat(filepath.Join(projectDir, n)); err == nil && st.Mode().IsRegular() {
				found = append(found, n)
			}
		}
		switch len(found) {
		case 0:
		case 1:
			lockFile = filepath.Join(projectDir, found[0])
		default:
			return t, false, withCode(exitUsage, fmt.Errorf("%s has both %s; airlock will not guess which one is current: run `airlock audit --lock %s` or `airlock audit --lock %s`",
				projectDir, strings.Join(found, " and "), filepath.Join(projectDir, found[0]), filepath.Join(projectDir, found[1])))
		}
	}
	t.python = f.python
	if strings.ContainsRune(t.python, os.PathSeparator) {
		// As for pip install: the interpreter is run from elsewhere.
		if t.python, err = filepath.Abs(t.python); err != nil {
			return t, false, withCode(exitUsage, err)
		}
	}
	if t.python == "" && lockFile == "" && f.requirements == "" {
		if venv := os.Getenv("VIRTUAL_ENV"); venv != "" {
			t.python = filepath.Join(venv, "bin", "python")
		} else if p := filepath.Join(projectDir, ".venv", "bin", "python"); fileExists(p) {
			t.python = p
		}
	}
	if lockFile != "" || f.requirements != "" {
		if t.lock, t.lockName, err = readPythonLock(&pipFlags{requirements: f.requirements, lockFile: lockFile}); err != nil {
			return t, false, err
		}
	}
	return t, t.lock != nil || t.python != "", nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// auditPython is airlock audit for a Python project: every distribution
// the lock pins (for every platform, extra and group: the lock is what
// may be installed anywhere) and every one installed in the environment
// is matched against the imported OSV database's PyPI records by PEP 440
// version, and reported as AL101 (a known vulnerability) or AL102 (a
// malicious package) findings, as for npm packages. Findings are placed
// at the lockfile line or entry, or at the installed METADATA.
//
// Without PyPI records in the database nothing could be checked, and an
// audit that printed "0 findings" would mislead: it is an error naming
// the command that imports them. The static analyzers and plugins look
// at npm packages only.
func auditPython(ctx context.Context, f *auditFlags, projectDir string, t pyAudit) ([]analyze.Finding, []string, error) {
	if len(f.plugins) > 0 {
		return nil, nil, withCode(exitUsage, errors.New("--plugin analyzes installed npm packages; a Python audit reports known vulnerabilities and malicious packages (AL101, AL102) only"))
	}
	cfg, err := config.Load("", projectDir, os.Getenv)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	dir := filepath.Join(cacheRoot(cfg), advisoriesDir)
	db, err := advisory.Load(dir)
	if err != nil && !errors.Is(err, advisory.ErrNoDB) {
		return nil, nil, withCode(exitUsage, err)
	}
	if db == nil || !db.Has(advisory.PyPI) {
		return nil, nil, withCode(exitUsage, fmt.Errorf("no OSV database for PyPI has been imported (%s has no PyPI records), so airlock audit cannot check Python packages: run `airlock db update --from https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip` (or a downloaded copy) first",
			filepath.Join(dir, advisory.DBFile)))
	}
	var (
		subjects []pySubject
		notes    []string
		what     []string
	)
	if t.lock != nil {
		s, skipped := lockSubjects(t.lock, t.lockName, projectDir)
		subjects = append(subjects, s...)
		notes = append(notes, skipped...)
		what = append(what, fmt.Sprintf("%d locked in %s", len(s), relTo(projectDir, t.lockName)))
	}
	if t.python != "" {
		s, skipped, err := installedSubjects(ctx, t.python, projectDir)
		if err != nil {
			return nil, nil, err
		}
		subjects = append(subjects, s...)
		notes = append(notes, skipped...)
		what = append(what, fmt.Sprintf("%d installed for %s", len(s), relTo(projectDir, t.python)))
	}
	pol := cfg.PolicyFor(config.Python).WithNames(lockpypi.NormalizeName)
	var (
		findings []analyze.Finding
		ignored  []string
	)
	for _, s := range subjects {
		for _, a := range db.Lookup(advisory.PyPI, s.Name, s.Version) {
			if line := ignoredLine(pol, s.Subject, a); line != "" {
				ignored = append(ignored, line)
				continue
			}
			// PyPI's records are PYSEC ids; people search for the CVE
			// or GHSA id, as pip-audit --aliases shows them.
			noURL := a
			noURL.URL = ""
			fd := advisoryFinding(s.Subject, noURL)
			fd.InstallPath, fd.File, fd.Line = s.installPath, s.file, s.line
			if len(a.Aliases) > 0 {
				fd.Message += " (also " + strings.Join(a.Aliases, ", ") + ")"
			}
			if a.URL != "" {
				fd.Message += " " + a.URL
			}
			findings = append(findings, fd)
		}
	}
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Location() != b.Location() {
			return a.Location() < b.Location()
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Rule < b.Rule
	})
	lines := []string{fmt.Sprintf("audited %d Python distributions (%s) against %d PyPI OSV records imported %s from %s",
		len(subjects), strings.Join(what, "; "), db.Records[advisory.PyPI], db.Imported.Format("2006-01-02"), db.Sources[advisory.PyPI])}
	for _, n := range notes {
		lines = append(lines, "not audited: "+n)
	}
	return findings, append(lines, ignored...), nil
}

// pySubject is a distribution to match, with where a finding about it
// points: a lockfile and line, or an installed .dist-info's METADATA.
type pySubject struct {
	verify.Subject
	installPath, file string
	line              int
}

// sourceLine splits a requirements entry's Source ("reqs/base.txt:12").
var sourceLine = regexp.MustCompile(`^(.+):([0-9]+)$`)

// lockSubjects lists the lock's index distributions. Entries that do not
// come from an index (uv's own project and workspace members, VCS,
// directory and archive sources) are named in skipped: the PyPI database
// describes PyPI's projects, not a local one of the same name.
func lockSubjects(lk *lockpypi.Lock, lockName, projectDir string) (subjects []pySubject, skipped []string) {
	for _, d := range lk.Dists {
		if d.Version == "" || (lk.Format != "requirements" && d.Index == "" && len(d.Wheels) == 0 && d.Sdist == nil) {
			skipped = append(skipped, fmt.Sprintf("%s (%s): not from a package index", d.Name, d.Source))
			continue
		}
		s := pySubject{Subject: verify.Subject{Name: d.NormalizedName(), Version: d.Version, Path: d.Source, Source: "registry", Registry: d.Index}, file: relTo(projectDir, lockName)}
		if m := sourceLine.FindStringSubmatch(d.Source); m != nil && lk.Format == "requirements" {
			s.file = relTo(projectDir, m[1])
			s.line, _ = strconv.Atoi(m[2])
		}
		subjects = append(subjects, s)
	}
	return subjects, skipped
}

// installedSubjects lists what python's environment has installed: every
// .dist-info in its purelib and platlib, as install/wheel.Installed reads
// them, and every .egg-info (setup.py installs, which airlock never makes
// but which are installed code all the same). Distributions whose
// metadata cannot be read are named in skipped.
func installedSubjects(ctx context.Context, python, projectDir string) (subjects []pySubject, skipped []string, err error) {
	it, err := pyinterp.Query(ctx, python)
	if err != nil {
		return nil, nil, withCode(exitUsage, fmt.Errorf("asking %s about itself: %w", python, err))
	}
	dists, skipped, err := wheel.Installed(wheel.Scheme(it.Paths))
	if err != nil {
		return nil, nil, withCode(exitUsage, fmt.Errorf("reading what %s has installed: %w", python, err))
	}
	for _, d := range dists {
		if local := localInstall(filepath.Join(d.Dir, d.DistInfo)); local != "" {
			skipped = append(skipped, fmt.Sprintf("%s %s (%s): %s, not from a package index", d.Name, d.Version, filepath.Join(d.Dir, d.DistInfo), local))
			continue
		}
		subjects = append(subjects, pySubject{
			Subject:     verify.Subject{Name: lockpypi.NormalizeName(d.Name), Version: d.Version, Path: filepath.Join(d.Dir, d.DistInfo), Source: "registry"},
			installPath: filepath.ToSlash(relTo(projectDir, filepath.Join(d.Dir, d.DistInfo))),
			file:        "METADATA",
		})
	}
	eggs, eggSkipped := eggInfoSubjects(it.Paths, projectDir)
	return append(subjects, eggs...), append(skipped, eggSkipped...), nil
}

// maxEggInfo caps an .egg-info's PKG-INFO read.
const maxEggInfo = 16 << 20

// maxDirectURL caps a direct_url.json read.
const maxDirectURL = 1 << 20

// localInstall says whether the distribution at distInfo was installed
// from a local directory (an editable install of the project itself, as
// uv sync makes) or a VCS checkout, as its PEP 610 direct_url.json
// records: PyPI's advisories describe PyPI's project of that name, not
// this code, so it is not matched (pip-audit skips these too). A wheel or
// sdist installed from a URL is still matched: it is a release.
func localInstall(distInfo string) string {
	data, err := safefile.Read(filepath.Join(distInfo, "direct_url.json"), maxDirectURL)
	if err != nil {
		return ""
	}
	var du struct {
		URL     string          `json:"url"`
		DirInfo json.RawMessage `json:"dir_info"`
		VCSInfo json.RawMessage `json:"vcs_info"`
	}
	if json.Unmarshal(data, &du) != nil {
		return ""
	}
	switch {
	case du.DirInfo != nil:
		return "installed from the directory " + client.Redact(du.URL)
	case du.VCSInfo != nil:
		return "installed from the repository " + client.Redact(du.URL)
	}
	return ""
}

// eggInfoSubjects reads the .egg-info distributions (a directory holding
// PKG-INFO, or a single file) in sch's library directories.
func eggInfoSubjects(sch pyinterp.Scheme, projectDir string) (subjects []pySubject, skipped []string) {
	dirs := []string{sch.Purelib}
	if sch.Platlib != sch.Purelib {
		dirs = append(dirs, sch.Platlib)
	}
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue // Installed has read (or reported) these directories
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".egg-info") {
				continue
			}
			p := filepath.Join(dir, e.Name())
			info, file := p, "PKG-INFO"
			if e.IsDir() {
				info = filepath.Join(p, "PKG-INFO")
			} else {
				file = ""
			}
			data, err := safefile.Read(info, maxEggInfo)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("%s: %v", p, err))
				continue
			}
			name, version := metadataNameVersion(data)
			if name == "" || version == "" {
				skipped = append(skipped, fmt.Sprintf("%s: PKG-INFO has no Name or no Version", p))
				continue
			}
			s := pySubject{Subject: verify.Subject{Name: lockpypi.NormalizeName(name), Version: version, Path: p, Source: "registry"},
				installPath: filepath.ToSlash(relTo(projectDir, p)), file: file}
			if file == "" {
				// The .egg-info is itself the metadata file.
				s.installPath, s.file = filepath.ToSlash(relTo(projectDir, dir)), e.Name()
			}
			subjects = append(subjects, s)
		}
	}
	return subjects, skipped
}

// metadataNameVersion reads Name and Version from core metadata headers
// (METADATA, PKG-INFO): the header block ends at the first blank line.
func metadataNameVersion(data []byte) (name, version string) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "name":
			if name == "" {
				name = strings.TrimSpace(v)
			}
		case "version":
			if version == "" {
				version = strings.TrimSpace(v)
			}
		}
	}
	return name, version
}

// relTo is p relative to dir when p is inside it, else p as an absolute
// path: findings point into the project where they can.
func relTo(dir, p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(dir, abs); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return r
	}
	return abs
}
