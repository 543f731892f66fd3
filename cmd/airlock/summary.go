package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	installnpm "github.com/airlock-dev/airlock/install/npm"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/sandbox/analyze"
)

// summarize turns an install into the final event and the human lines.
func summarize(sel *locknpm.Selection, res *installnpm.Result, st *installStats, took time.Duration) (event, []string) {
	var scripts []string
	for _, p := range sel.Install {
		if p.HasInstallScript && p.Source != lock.SourceLink {
			scripts = append(scripts, p.Name+"@"+p.Version)
		}
	}
	sort.Strings(scripts)
	e := st.event(res.Packages+res.Bundled, res.Links, res.Bins, len(sel.Skipped), scripts, took)
	lines := addedLines(e, "", took)
	if e.Skipped > 0 {
		lines = append(lines, fmt.Sprintf("skipped %d packages (omitted, extraneous or not for this platform; --json lists them)", e.Skipped))
	}
	lines = append(lines, scriptLines(scripts, "airlock runs only the scripts you allow, sandboxed: review the package, then list it in airlock.toml's [scripts] allow or pass --allow-scripts=NAME")...)
	return e, lines
}

// lockWait is an installer's OnLockWait (its LockWait is 30 seconds): a
// warning that another airlock (holder, its process id if known) is
// installing into where, and that this one waits.
func (rep *reporter) lockWait(where string) func(holder string) {
	return func(holder string) {
		if holder != "" {
			holder = " (process " + holder + ")"
		}
		rep.warn(event{Message: "waiting up to 30s for another airlock installing into " + where + holder})
	}
}

// warnUncached reports, once the installer is done, how many archives in
// all went uncached: only the first was reported in full, as a full disk
// would repeat it for every one.
func (s *installStats) warnUncached(rep *reporter) {
	if n := s.uncached.Load(); n > 1 {
		rep.warn(event{Message: fmt.Sprintf("%d archives in all were installed but not cached (see the first warning above)", n)})
	}
}

// event is the final event of an install: what the installer laid out
// and what the fetches cost.
func (s *installStats) event(packages, links, bins, skipped int, scripts []string, took time.Duration) event {
	return event{
		Packages:       packages,
		FromCache:      int(s.fromCache.Load()),
		Downloaded:     int(s.downloaded.Load()),
		Refetched:      int(s.refetched.Load()),
		Vendored:       int(s.vendored.Load()),
		Bytes:          s.bytes.Load(),
		Links:          links,
		Bins:           bins,
		Skipped:        skipped,
		Seconds:        took.Seconds(),
		InstallScripts: scripts,
	}
}

// addedLines open every install's summary: the packages added and the
// bytes verified (archives, when set, says how many archives they came
// from: yarn 1 copies one archive to several places), then the cache
// entries replaced and the archives read from a vendor directory.
func addedLines(e event, archives string, took time.Duration) []string {
	lines := []string{fmt.Sprintf("added %d packages (%s%s verified: %d downloaded, %d from cache) in %s",
		e.Packages, archives, humanBytes(e.Bytes), e.Downloaded, e.FromCache, took.Round(10*time.Millisecond))}
	if e.Refetched > 0 {
		lines = append(lines, fmt.Sprintf("replaced %d corrupt cache entries (see the warnings above)", e.Refetched))
	}
	return append(lines, vendoredLine(e.Vendored)...)
}

// scriptLines name the packages whose install scripts airlock did not
// run and, in hint, how to run them with the package manager at hand.
func scriptLines(scripts []string, hint string) []string {
	if len(scripts) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d packages declare install scripts, which airlock did not run: %s", len(scripts), strings.Join(scripts, ", ")), "  " + hint}
}

// finishInstall reports an install's summary and records it in the audit log.
func (rep *reporter) finishInstall(command string, e event, lines []string) {
	rep.done(e, lines)
	rep.audit.add(auditlog.Event{Kind: "install", Result: "ok", Detail: command + ": " + strings.Join(lines, "; ")})
}

// warnFindings reports the static analysis findings worth a warning and
// returns them all, in install-path order, for the script runner.
func (s *installStats) warnFindings(rep *reporter) []analyze.Finding {
	findings := s.sortedFindings()
	for _, fd := range findings {
		if fd.Severity.AtLeast(analyze.Warning) {
			rep.warn(event{Name: fd.Package, Version: fd.Version, Path: fd.Location(), Message: "static analysis: " + fd.String()})
		}
	}
	return findings
}

// markScripts returns pkgs with HasInstallScript set for each
// name@version in scripts: yarn.lock and pnpm-lock.yaml seldom say which
// packages have scripts, so their installers read each package.json.
func markScripts(pkgs []lock.Package, scripts []string) []lock.Package {
	has := map[string]bool{}
	for _, id := range scripts {
		has[id] = true
	}
	out := make([]lock.Package, len(pkgs))
	for i, p := range pkgs {
		p.HasInstallScript = p.HasInstallScript || has[p.Name+"@"+p.Version]
		out[i] = p
	}
	return out
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
