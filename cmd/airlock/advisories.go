package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/airlock-dev/airlock/verify"
	"github.com/airlock-dev/airlock/verify/advisory"
)

// advisoriesDir holds the imported OSV database and cached bulk answers,
// under the cache root.
const advisoriesDir = "advisories"

// maxBulkResponse caps the registry's bulk advisory answer.
const maxBulkResponse = 64 << 20

// advisorySources is what advisories can be matched against for one
// command: the imported OSV database and each registry's bulk answer.
type advisorySources struct {
	db   *advisory.DB
	bulk map[string]map[string][]advisory.BulkAdvisory // registry → answer
	// bulkFrom names each registry's answer for explanations.
	bulkFrom map[string]string
	// notes are "not available" decisions (info) to report.
	notes []verify.Decision
}

// gatherAdvisories loads the OSV database (if one was imported) and asks
// each registry's bulk advisory endpoint about subjects (unless disabled
// or offline, when the last stored answer is used). Neither is required:
// what is missing is reported as "not available", never as "no
// advisories". Only a damaged database is an error.
func gatherAdvisories(ctx context.Context, cfg *config.Config, rc *npmrc.Config, offline bool, subjects []verify.Subject) (*advisorySources, error) {
	dir := filepath.Join(cacheRoot(cfg), advisoriesDir)
	src := &advisorySources{bulk: map[string]map[string][]advisory.BulkAdvisory{}, bulkFrom: map[string]string{}}
	db, err := advisory.Load(dir)
	switch {
	case errors.Is(err, advisory.ErrNoDB):
	case err != nil:
		return nil, withCode(exitUsage, err)
	default:
		src.db = db
	}
	byRegistry := map[string]map[string][]string{}
	for _, s := range subjects {
		if s.Source != "registry" || s.Registry == "" {
			continue
		}
		if byRegistry[s.Registry] == nil {
			byRegistry[s.Registry] = map[string][]string{}
		}
		byRegistry[s.Registry][s.Name] = append(byRegistry[s.Registry][s.Name], s.Version)
	}
	useBulk := cfg.Policy.AdvisoryBulk == nil || *cfg.Policy.AdvisoryBulk
	var cl *client.Client
	registries := make([]string, 0, len(byRegistry))
	for r := range byRegistry {
		registries = append(registries, r)
	}
	sort.Strings(registries)
	for _, reg := range registries {
		if !useBulk {
			break
		}
		body := advisory.BulkRequest(byRegistry[reg])
		u := strings.TrimSuffix(reg, "/") + "/" + advisory.BulkPath
		sum := sha256.Sum256(append([]byte(u+"\n"), body...))
		stored := filepath.Join(dir, "bulk", hex.EncodeToString(sum[:])+".json")
		var answer []byte
		var postErr error
		from := "POST " + client.Redact(u)
		if !offline {
			if cl == nil {
				if cl, err = newClient(cfg, rc); err != nil {
					return nil, err
				}
			}
			answer, postErr = cl.Post(ctx, u, http.Header{"Content-Type": {"application/json"}, "Accept": {"application/json"}}, body, maxBulkResponse)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if postErr == nil {
				storeFile(stored, answer)
			}
		}
		if answer == nil {
			if old, rerr := safefile.Read(stored, maxBulkResponse); rerr == nil {
				answer, from = old, from+" (the answer stored by an earlier online run)"
				// Still in use offline: cache gc keeps it.
				cache.TouchUsed(stored)
			}
		}
		if answer == nil {
			why := "--offline and no stored answer"
			if postErr != nil {
				why = postErr.Error()
			}
			src.notes = append(src.notes, verify.Decision{Rule: "advisories", Verdict: verify.Info,
				Message:  fmt.Sprintf("the registry's bulk advisories are not available for %s: %s", reg, why),
				Evidence: "POST " + client.Redact(u),
				Override: "import an OSV database with `airlock db update --from FILE|URL` for offline matching; set advisories = { bulk = false } in [policy] to stop asking"})
			continue
		}
		doc, perr := advisory.ParseBulk(answer)
		if perr != nil {
			return nil, withCode(exitNetwork, fmt.Errorf("%s: %w", from, perr))
		}
		src.bulk[reg], src.bulkFrom[reg] = doc, from
	}
	if src.db == nil || !src.db.Has(advisory.NPM) {
		src.notes = append(src.notes, verify.Decision{Rule: "advisories", Verdict: verify.Info,
			Message:  "no OSV database for npm has been imported; malicious-package (MAL-*) and vulnerability matching uses only the registry's bulk advisories",
			Evidence: filepath.Join(dir, advisory.DBFile) + " has no npm records",
			Override: "run `airlock db update --from https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip` (or a downloaded copy) to import it"})
	}
	return src, nil
}

// availability reports a "not available" note as a --json decision event.
// Unlike a decision it is not written to the audit log: it says what could
// not be checked on this machine, the same on every run, and would bury
// the log's decisions and fetches.
func (r *reporter) availability(d verify.Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json == nil {
		return
	}
	_ = r.json.Encode(decisionEvent{Event: "decision", Rule: d.Rule, Verdict: string(d.Verdict), Message: d.Message, Evidence: d.Evidence, Override: d.Override})
}

// lookup returns every advisory affecting s, from both sources, without
// duplicates (the same GHSA id from the database and the registry).
func (a *advisorySources) lookup(s verify.Subject) []verify.Advisory {
	var out []verify.Advisory
	seen := map[string]bool{}
	add := func(as []verify.Advisory) {
		for _, x := range as {
			if !seen[x.ID] {
				seen[x.ID] = true
				out = append(out, x)
			}
		}
	}
	if a.db != nil {
		add(a.db.Lookup(advisory.NPM, s.Name, s.Version))
	}
	if doc, ok := a.bulk[s.Registry]; ok {
		add(advisory.BulkLookup(doc, s.Name, s.Version, a.bulkFrom[s.Registry]))
	}
	return out
}

// checkAdvisories is the install policy's advisory step: every subject's
// advisories through [policy]'s thresholds. It returns the refusals.
func checkAdvisories(ctx context.Context, in policyInput, subjects []verify.Subject) ([]verify.Decision, error) {
	src, err := gatherAdvisories(ctx, in.cfg, in.rc, in.offline, subjects)
	if err != nil {
		return nil, err
	}
	for _, d := range src.notes {
		in.rep.availability(d)
	}
	var denied []verify.Decision
	for _, s := range subjects {
		if s.Source != "registry" {
			continue
		}
		denied = append(denied, reportDecisions(in.rep, in.cfg.Policy.Advisories(s, src.lookup(s)))...)
	}
	return denied, nil
}

// Rule ids of advisory findings (sandbox/analyze registers them).
const (
	ruleVulnerable = "AL101"
	ruleMalicious  = "AL102"
)

// advisoryFindings reports the known vulnerabilities and malicious
// packages among pkgs as analysis findings, for `airlock audit`: MAL-*
// reports and critical/high vulnerabilities are errors, moderate ones
// warnings, low ones notes.
func advisoryFindings(ctx context.Context, cfg *config.Config, rc *npmrc.Config, offline bool, pkgs []lock.Package) ([]analyze.Finding, []string, error) {
	var subjects []verify.Subject
	for _, p := range pkgs {
		if s, ok := policySubject(p, rc); ok && s.Source == "registry" {
			subjects = append(subjects, s)
		}
	}
	src, err := gatherAdvisories(ctx, cfg, rc, offline, subjects)
	if err != nil {
		return nil, nil, err
	}
	pol := cfg.PolicyFor(config.JS)
	var (
		out     []analyze.Finding
		ignored []string
	)
	for _, s := range subjects {
		for _, a := range src.lookup(s) {
			if line := ignoredLine(pol, s, a); line != "" {
				ignored = append(ignored, line)
				continue
			}
			out = append(out, advisoryFinding(s, a))
		}
	}
	return out, ignored, nil
}

// ignoredLine says why advisory a about s is left out of a report, when
// the policy for s.Name (normalized as the policy's names are) ignores it:
// a reviewed exception, as an install honours it.
func ignoredLine(pol *verify.Policy, s verify.Subject, a verify.Advisory) string {
	ig, from := pol.IgnoredAdvisory(s.Name, a)
	if ig == "" {
		return ""
	}
	return fmt.Sprintf("%s@%s: %s not reported: advisories.ignore contains %q (%s)", s.Name, s.Version, a.ID, ig, from)
}

// advisoryFinding is one advisory about s as an audit finding, at s.Path:
// a MAL-* report (AL102) and a critical or high vulnerability (AL101) are
// errors, a moderate or unrated one a warning, a low one a note.
func advisoryFinding(s verify.Subject, a verify.Advisory) analyze.Finding {
	f := analyze.Finding{Rule: ruleVulnerable, Package: s.Name, Version: s.Version, InstallPath: s.Path, Tool: "airlock"}
	switch {
	case a.Malware:
		f.Rule, f.Severity = ruleMalicious, analyze.Error
		f.Message = fmt.Sprintf("%s is a known malicious package (%s): %s; %s", s.Name, a.ID, a.Summary, a.Source)
	default:
		f.Severity = analyze.Note
		switch a.Severity {
		case advisory.Critical, advisory.High:
			f.Severity = analyze.Error
		case advisory.Moderate, advisory.Unknown:
			f.Severity = analyze.Warning
		}
		f.Message = fmt.Sprintf("%s (%s) %s; %s", a.ID, a.Severity, a.Summary, a.Matched)
		if len(a.Fixed) > 0 {
			f.Message += "; fixed in " + strings.Join(a.Fixed, ", ")
		}
	}
	if a.URL != "" {
		f.Message += " " + a.URL
	}
	return f
}

// storeFile writes data to p atomically; failing costs only the offline
// fallback, so errors are ignored.
func storeFile(p string, data []byte) {
	if os.MkdirAll(filepath.Dir(p), 0o755) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".airlock-tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), p) != nil {
		os.Remove(f.Name())
	}
}

// maxExportBytes caps a downloaded OSV export.
const maxExportBytes = 1 << 30

// dbCmd is `airlock db update --from FILE|URL`: import an OSV ecosystem
// export (osv.dev's per-ecosystem all.zip) into the cache.
func dbCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "update" {
		fmt.Fprintf(stderr, "airlock db: only 'update' is supported (got %q)\n\nUsage: airlock db update --from FILE|URL\n", argOrNothing(args))
		return exitUsage
	}
	fs := newFlagSet("db update", "--from FILE|URL", stderr)
	from := fs.String("from", "", "OSV export: a zip `file` or https URL, such as https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip")
	cfgPath := fs.String("config", "", "airlock.toml `file`")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "airlock db update: give the export with --from FILE|URL (osv.dev publishes one zip per ecosystem, e.g. https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip and .../PyPI/all.zip)")
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath, ".", os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitUsage
	}
	dir := filepath.Join(cacheRoot(cfg), advisoriesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "airlock db update: %v\n", err)
		return exitUsage
	}
	path, source := *from, *from
	if strings.HasPrefix(*from, "https://") || strings.HasPrefix(*from, "http://") {
		rc, err := npmrc.Load(".", os.Environ())
		if err != nil {
			fmt.Fprintf(stderr, "airlock: %v\n", err)
			return exitUsage
		}
		tmp, err := download(ctx, cfg, rc, *from, dir)
		if err != nil {
			fmt.Fprintf(stderr, "airlock db update: %v\n", err)
			return exitCode(ctx, withCode(classify(err), err))
		}
		defer os.Remove(tmp)
		path, source = tmp, client.Redact(*from)
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "airlock db update: %v\n", err)
		return exitUsage
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		fmt.Fprintf(stderr, "airlock db update: %s is not a regular file\n", path)
		return exitUsage
	}
	db, stats, err := advisory.Import(f, st.Size(), source, advisory.DefaultLimits)
	if err != nil {
		fmt.Fprintf(stderr, "airlock db update: %v; the previous database (if any) is unchanged\n", err)
		return exitVerify
	}
	if old, err := advisory.Load(dir); err == nil {
		old.Merge(db)
		db = old
	}
	if err := db.Save(dir); err != nil {
		fmt.Fprintf(stderr, "airlock db update: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "imported %d OSV records for %s from %s (%d withdrawn skipped, %d for other ecosystems) into %s\n",
		stats.Records, strings.Join(stats.Ecosystems, ", "), source, stats.Withdrawn, stats.OtherEcosystems, filepath.Join(dir, advisory.DBFile))
	return exitOK
}

// download fetches u with airlock's strict HTTPS client into a temporary
// file in dir.
func download(ctx context.Context, cfg *config.Config, rc *npmrc.Config, u, dir string) (string, error) {
	cl, err := newClient(cfg, rc)
	if err != nil {
		return "", err
	}
	resp, err := cl.Get(ctx, u, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	f, err := os.CreateTemp(dir, ".airlock-download-*")
	if err != nil {
		return "", err
	}
	n, err := io.Copy(f, io.LimitReader(resp.Body, maxExportBytes+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxExportBytes {
		err = fmt.Errorf("%s is larger than %d bytes", client.Redact(u), int64(maxExportBytes))
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// auditAdvisories is airlock audit's advisory pass over the packages of
// projectDir's lockfile that are installed: known vulnerabilities (AL101)
// and malicious packages (AL102), from the imported OSV database and the
// registry's bulk endpoint, with the project's airlock.toml and .npmrc,
// leaving out what [policy] advisories.ignore lists (said in the lines
// returned).
func auditAdvisories(ctx context.Context, projectDir string, pkgs []lock.Package) ([]analyze.Finding, []string, error) {
	cfg, err := config.Load("", projectDir, os.Getenv)
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	rc, err := npmrc.Load(projectDir, os.Environ())
	if err != nil {
		return nil, nil, withCode(exitUsage, err)
	}
	var installed []lock.Package
	for _, p := range pkgs {
		if st, err := os.Lstat(filepath.Join(projectDir, filepath.FromSlash(p.Path))); err == nil && st.IsDir() {
			installed = append(installed, p)
		}
	}
	return advisoryFindings(ctx, cfg, rc, false, installed)
}
