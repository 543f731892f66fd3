package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/sandbox/plugin"
)

// auditFlags are airlock audit's flags.
type auditFlags struct {
	dir     string
	jsonOut bool
	sarif   string
	plugins stringList
	failOn  string
	// Python (audit_pip.go): a requirements file or lock, and an
	// environment's interpreter.
	requirements, lockFile, python string
}

type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// audit analyzes the installed node_modules: every package the lockfile
// (package-lock.json or pnpm-lock.yaml) records that is on disk, with the
// built-in analyzers and any plugins. In a Python project (or with -r,
// --lock or --python) it matches the locked and installed distributions
// against the imported OSV database instead (auditPython).
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f auditFlags
	fs := newFlagSet("audit", "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory`")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON finding per line")
	fs.StringVar(&f.sarif, "sarif", "", "write SARIF 2.1.0 to `file` (- for stdout), for GitHub code scanning")
	fs.Var(&f.plugins, "plugin", "run this WASI analyzer `plugin.wasm` too (repeatable)")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at least this `severity`: note, warning, error or never")
	fs.StringVar(&f.requirements, "r", "", "Python: audit this hash-pinned requirements `file` instead of the project's lockfile")
	fs.StringVar(&f.requirements, "requirement", "", "same as -r")
	fs.StringVar(&f.lockFile, "lock", "", "Python: audit this `pylock.toml` or uv.lock")
	fs.StringVar(&f.python, "python", "", "Python: audit what this `interpreter`'s environment has installed (with -r or --lock: as well)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, false)
	findings, notes, err := runAudit(ctx, &f)
	if err != nil {
		code := exitCode(ctx, err)
		rep.fail(err, code)
		return code
	}
	if f.sarif != "" {
		w := stdout
		if f.sarif != "-" {
			file, err := os.Create(f.sarif)
			if err != nil {
				rep.fail(err, exitUsage)
				return exitUsage
			}
			defer file.Close()
			w = file
		}
		if err := analyze.WriteSARIF(w, findings, version); err != nil {
			rep.fail(err, exitUsage)
			return exitUsage
		}
	}
	failOn, _ := analyze.ParseSeverity(f.failOn)
	failing := 0
	for _, fd := range findings {
		if fd.Severity.AtLeast(failOn) {
			failing++
		}
		if f.sarif == "-" {
			continue
		}
		rep.finding(fd)
	}
	if f.sarif != "-" {
		for _, n := range notes {
			rep.note(event{Message: n}) // --json only; text prints them with the summary
		}
		rep.done(event{Packages: countPackages(findings)}, append(notes, auditSummary(findings, failing, f.failOn)))
	}
	if failing > 0 {
		return exitVerify
	}
	return exitOK
}

// runAudit returns the findings and, for a Python audit, lines saying
// what was audited and what could not be.
func runAudit(ctx context.Context, f *auditFlags) ([]analyze.Finding, []string, error) {
	if _, err := analyze.ParseSeverity(f.failOn); err != nil {
		return nil, nil, withCode(exitUsage, fmt.Errorf("--fail-on: %w", err))
	}
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	var locked []lock.Package
	if !f.wantsPython() {
		_, locked, err = lockedJSPackages(projectDir)
	}
	var noJS errNoJSLock
	if f.wantsPython() || errors.As(err, &noJS) {
		t, ok, perr := pythonAuditTarget(f, projectDir)
		switch {
		case perr != nil:
			return nil, nil, perr
		case ok:
			return auditPython(ctx, f, projectDir, t)
		}
		err = withCode(exitUsage, fmt.Errorf("%w; for a Python project: pylock.toml or uv.lock, or -r requirements.txt, --lock FILE or --python .venv/bin/python (the active virtual environment or the project's .venv is audited when there is no lockfile)", err))
	}
	if err != nil {
		return nil, nil, err
	}
	return auditJS(ctx, f, projectDir, locked)
}

// auditJS analyzes the installed packages of a JavaScript lockfile; the
// lines say which advisories policy left out.
func auditJS(ctx context.Context, f *auditFlags, projectDir string, locked []lock.Package) ([]analyze.Finding, []string, error) {
	var plugins []*plugin.Plugin
	for _, path := range f.plugins {
		p, err := plugin.Load(ctx, path, plugin.Limits{})
		if err != nil {
			return nil, nil, withCode(exitUsage, err)
		}
		defer p.Close(context.Background())
		plugins = append(plugins, p)
	}
	var findings []analyze.Finding
	for _, pkg := range locked {
		if pkg.Source != lock.SourceRegistry && pkg.Source != lock.SourceBundled {
			continue
		}
		dir := filepath.Join(projectDir, filepath.FromSlash(pkg.Path))
		if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
			continue // not installed here (omitted, other platform)
		}
		in := analyze.Input{Dir: dir, Name: pkg.Name, Version: pkg.Version, InstallPath: pkg.Path}
		fs, err := analyze.Npm(in)
		if err != nil {
			return nil, nil, err
		}
		findings = append(findings, fs...)
		for _, p := range plugins {
			fs, err := p.Analyze(ctx, in)
			if err != nil {
				// A broken plugin is a finding about the plugin, not a
				// reason to stop auditing.
				findings = append(findings, analyze.Finding{Rule: "AL008", Severity: analyze.Warning, Package: pkg.Name, Version: pkg.Version, InstallPath: pkg.Path, Message: err.Error(), Tool: p.Name})
				continue
			}
			findings = append(findings, fs...)
		}
	}
	adv, ignored, err := auditAdvisories(ctx, projectDir, locked) // known vulnerabilities and malware (advisories.go)
	if err != nil {
		return nil, nil, err
	}
	findings = append(findings, adv...)
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.InstallPath != b.InstallPath {
			return a.InstallPath < b.InstallPath
		}
		return a.Rule < b.Rule
	})
	return findings, ignored, nil
}

// countPackages counts the packages with findings: by install path, and
// by name and version for findings about a lockfile entry (Python locks),
// which all have none.
func countPackages(fs []analyze.Finding) int {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.InstallPath+"\x00"+f.Package+"@"+f.Version] = true
	}
	return len(seen)
}

func auditSummary(fs []analyze.Finding, failing int, failOn string) string {
	by := map[analyze.Severity]int{}
	for _, f := range fs {
		by[f.Severity]++
	}
	s := fmt.Sprintf("%d findings in %d packages: %d errors, %d warnings, %d notes", len(fs), countPackages(fs), by[analyze.Error], by[analyze.Warning], by[analyze.Note])
	if failing > 0 {
		s += fmt.Sprintf("; %d at or above --fail-on=%s", failing, failOn)
	}
	return s
}
