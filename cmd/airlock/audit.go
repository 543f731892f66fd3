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
}

type stringList []string

func (s *stringList) String() string     { return fmt.Sprint(*s) }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// audit analyzes the installed node_modules: every package the lockfile
// (package-lock.json or pnpm-lock.yaml) records that is on disk, with the
// built-in analyzers and any plugins.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f auditFlags
	fs := newFlagSet("audit", "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory`")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON finding per line")
	fs.StringVar(&f.sarif, "sarif", "", "write SARIF 2.1.0 to `file` (- for stdout), for GitHub code scanning")
	fs.Var(&f.plugins, "plugin", "run this WASI analyzer `plugin.wasm` too (repeatable)")
	fs.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at least this `severity`: note, warning, error or never")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rep := newReporter(stdout, stderr, f.jsonOut, false)
	findings, err := runAudit(ctx, &f)
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
		rep.done(event{Packages: countPackages(findings)}, []string{auditSummary(findings, failing, f.failOn)})
	}
	if failing > 0 {
		return exitVerify
	}
	return exitOK
}

func runAudit(ctx context.Context, f *auditFlags) ([]analyze.Finding, error) {
	if _, err := analyze.ParseSeverity(f.failOn); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("--fail-on: %w", err))
	}
	projectDir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	_, locked, err := lockedJSPackages(projectDir)
	if err != nil {
		return nil, err
	}
	var plugins []*plugin.Plugin
	for _, path := range f.plugins {
		p, err := plugin.Load(ctx, path, plugin.Limits{})
		if err != nil {
			return nil, withCode(exitUsage, err)
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
			return nil, err
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
	adv, err := auditAdvisories(ctx, projectDir, locked) // known vulnerabilities and malware (advisories.go)
	if err != nil {
		return nil, err
	}
	findings = append(findings, adv...)
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.InstallPath != b.InstallPath {
			return a.InstallPath < b.InstallPath
		}
		return a.Rule < b.Rule
	})
	return findings, nil
}

func countPackages(fs []analyze.Finding) int {
	seen := map[string]bool{}
	for _, f := range fs {
		seen[f.InstallPath] = true
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
