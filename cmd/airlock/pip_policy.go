package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/config"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
	"github.com/airlock-dev/airlock/verify/advisory"
)

// pipPolicy applies airlock.toml's [policy] to what a Python lock installs,
// as checkPolicy does for npm, in two steps so that nothing is downloaded
// before policy allows it:
//
//   - dists, before any index or wheel request: deny (PEP 440 ranges) and
//     known vulnerabilities and malicious packages (the imported OSV
//     database's PyPI records);
//   - wheels, once each distribution's wheel is chosen (which asks the
//     indexes only for requirements files): min_release_age over that
//     wheel's upload-time, as the lock records it (pylock.toml, uv.lock) or
//     the index lists it (PEP 700).
//
// Every decision is a --json "decision" event and an audit log entry;
// refusals end the command listing each one's rule, evidence and override.
// Names are compared in PEP 503 form, in deny and [policy.packages] too.
//
// require_provenance is checked over PEP 740 attestations once the wheels
// are chosen (checkProvenance, pip_provenance.go). Registry signatures and
// mirror origin checks are npm registry features with no PyPI counterpart
// in airlock, and allow_sources has nothing to decide: lock/pypi refuses
// VCS, directory and archive entries whatever policy says, so every file
// installed is a wheel pinned by hash.
type pipPolicy struct {
	pol *verify.Policy
	cfg *config.Config
	rep *reporter
	now time.Time
}

func newPipPolicy(cfg *config.Config, rep *reporter) *pipPolicy {
	return &pipPolicy{pol: cfg.Policy, cfg: cfg, rep: rep, now: time.Now()}
}

// planWheelsChecked chooses every distribution's wheel (planWheels) under
// [policy]: the lock's rules before any index request, release age once
// the wheels are chosen, all before anything is downloaded. airlock verify
// (f.noPolicy) only compares trees.
func (pp *pipPlan) planWheelsChecked(ctx context.Context, f *pipFlags, dists []lockpypi.Dist, finder wheelFinder, rep *reporter) error {
	pc := newPipPolicy(pp.cfg, rep)
	if !f.noPolicy {
		// Installed distributions a resolution keeps are held to the
		// same rules as new ones (deny, advisories): the environment
		// is what airlock vouches for. min_release_age is not applied
		// to them: they are not fetched, and they were in the
		// environment before this install.
		if err := pc.checkDists(append(slices.Clip(dists), pp.kept...)); err != nil {
			if slices.ContainsFunc(pp.kept, func(d lockpypi.Dist) bool { return strings.Contains(err.Error(), "\t"+d.Source+": ") }) {
				err = fmt.Errorf("%w\n(installed packages that airlock pip install keeps are checked like new ones: name a version that passes, NAME>=VERSION, or upgrade what is installed with -U --upgrade-strategy eager)", err)
			}
			return err
		}
		pc.warnKeptUnattested(pp.kept)
	}
	var err error
	if pp.wheels, err = planWheels(ctx, dists, pp.it, finder, pp.cfg.Concurrency, rep); err != nil {
		return err
	}
	if f.noPolicy {
		return nil
	}
	if err := pc.checkWheels(ctx, pp.wheels, finder, f.from != "", pp.resolved != nil); err != nil {
		return err
	}
	return pc.checkProvenance(ctx, pp.wheels, finder, f.from != "")
}

// warnKeptUnattested says, for each installed distribution a resolution
// keeps while require_provenance applies to it, that its provenance was
// not checked: provenance is verified for what is fetched, and nothing is
// fetched for a kept package (--force-reinstall fetches and verifies it).
func (pc *pipPolicy) warnKeptUnattested(kept []lockpypi.Dist) {
	for _, d := range kept {
		s := pipSubject(d)
		if rp := pc.pol.For(s.Name).RequireProvenance; rp == nil || !*rp {
			continue
		}
		reportDecisions(pc.rep, []verify.Decision{{Rule: "provenance", Verdict: verify.Warn, Name: s.Name, Version: s.Version, Path: s.Path,
			Message:  fmt.Sprintf("%s==%s is kept as installed, so its provenance was not checked: require_provenance is verified for what is fetched", d.Name, d.Version),
			Override: "airlock pip install --force-reinstall fetches, verifies and reinstalls it"}})
	}
}

// pipSubject is how policy sees a distribution. Path names the lock entry
// ("requirements.txt:3", "pylock.toml packages[0] (lib 1.0)") so that a
// refusal points at the line to change.
func pipSubject(d lockpypi.Dist) verify.Subject {
	path := d.Source
	if path == "" || strings.HasPrefix(path, "resolved from ") {
		path = d.Name + "==" + d.Version
	}
	return verify.Subject{Name: d.NormalizedName(), Version: d.Version, Path: path, Source: "registry", Registry: d.Index}
}

// checkDists evaluates the rules the lock alone answers, with the local
// advisory database: deny and advisories.
func (pc *pipPolicy) checkDists(dists []lockpypi.Dist) error {
	var denied []verify.Decision
	subjects := make([]verify.Subject, 0, len(dists))
	for _, d := range dists {
		s := pipSubject(d)
		ds := pc.pol.Denied(s, lockpypi.DenyRangeMatches)
		denied = append(denied, reportDecisions(pc.rep, ds)...)
		if len(ds) == 0 {
			subjects = append(subjects, s)
		}
	}
	if len(denied) > 0 {
		return policyError(denied, nil)
	}
	pc.unchecked(subjects)
	adv, err := pc.advisories(subjects)
	if err != nil {
		return err
	}
	if len(adv) > 0 {
		return policyError(adv, nil)
	}
	return nil
}

// unchecked warns, once, when require_signatures is on for Python
// packages: a Python index has no registry signatures to verify, and a
// setting that silently did nothing would mislead. Refusing instead would
// break every Python install of a project that turned it on for npm.
func (pc *pipPolicy) unchecked(subjects []verify.Subject) {
	var names []string
	where := ""
	for _, s := range subjects {
		e := pc.pol.For(s.Name)
		if on := e.RequireSignatures; on != nil && *on {
			names = append(names, s.Name)
			where = e.From["require_signatures"]
		}
	}
	if len(names) == 0 {
		return
	}
	count := len(names)
	if count > 5 {
		names = append(names[:5], fmt.Sprintf("and %d more", count-5))
	}
	reportDecisions(pc.rep, []verify.Decision{{Rule: "signatures", Verdict: verify.Warn,
		Message:  fmt.Sprintf("require_signatures = true (%s) is not checked for %d Python package(s) (%s): airlock verifies registry signatures for npm registries only; a wheel is trusted through its locked hash (and, with require_provenance, its PEP 740 attestations)", where, count, strings.Join(names, ", ")),
		Evidence: "Python indexes publish no npm-style registry signatures",
		Override: `set require_signatures = false in [policy.packages."NAME"] for these packages to silence this`}})
}

// advisories matches subjects against the imported OSV database's PyPI
// records (PEP 440 ranges). Without them nothing is matched and a "not
// available" note says so: PyPI has no bulk advisory endpoint like npm's.
func (pc *pipPolicy) advisories(subjects []verify.Subject) ([]verify.Decision, error) {
	dir := filepath.Join(cacheRoot(pc.cfg), advisoriesDir)
	db, err := advisory.Load(dir)
	switch {
	case errors.Is(err, advisory.ErrNoDB):
	case err != nil:
		return nil, withCode(exitUsage, err)
	}
	if db == nil || !db.Has(advisory.PyPI) {
		pc.rep.availability(verify.Decision{Rule: "advisories", Verdict: verify.Info,
			Message:  "no OSV database for PyPI has been imported; known vulnerabilities and malicious packages (MAL-*) of Python packages are not checked",
			Evidence: filepath.Join(dir, advisory.DBFile) + " has no PyPI records",
			Override: "run `airlock db update --from https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip` (or a downloaded copy) to import it"})
		return nil, nil
	}
	var denied []verify.Decision
	for _, s := range subjects {
		denied = append(denied, reportDecisions(pc.rep, pc.pol.Advisories(s, db.Lookup(advisory.PyPI, s.Name, s.Version)))...)
	}
	return denied, nil
}

// checkWheels applies min_release_age to every chosen wheel. The time is
// the lock's upload-time, else the index's listing of the file (already
// read for requirements files; asked now for a lock that records a URL but
// no time). A wheel whose time nobody gives is refused while a cooldown
// applies.
//
// With --from (vendored), only the times the lock records are checked:
// the vendor directory has no index listing, and airlock vendor applied
// the same policy when it wrote the directory (as npm ci --from skips
// registry metadata).
func (pc *pipPolicy) checkWheels(ctx context.Context, wheels []plannedWheel, finder wheelFinder, vendored, resolved bool) error {
	var denied []verify.Decision
	skipped := 0
	for _, w := range wheels {
		s := pipSubject(w.dist)
		if pc.pol.For(s.Name).MinReleaseAge <= 0 {
			continue
		}
		on := w.uploadedOn
		if resolved {
			on = w.dist.Index // the resolver's times are the index's
		}
		if vendored && (w.uploaded == "" || w.uploadedOn != "") {
			// The time would come from the vendor manifest's listing,
			// which has none.
			skipped++
			continue
		}
		rt, err := pc.releaseTime(ctx, w, on, finder)
		if err != nil {
			return err
		}
		denied = append(denied, reportDecisions(pc.rep, pc.pol.ReleaseAge(s, rt, pc.now))...)
	}
	if skipped > 0 {
		pc.rep.availability(verify.Decision{Rule: "min_release_age", Verdict: verify.Info,
			Message:  fmt.Sprintf("min_release_age is not checked for %d wheel(s) installed from the vendor directory: the lock records no upload-time for them", skipped),
			Evidence: "the vendor directory lists no upload times; airlock vendor applied the policy when it wrote it",
			Override: "use a lock that records upload-time (pylock.toml from `airlock pip lock` or `pip lock`, or uv.lock) to check it here too"})
	}
	if len(denied) > 0 {
		return policyError(denied, nil)
	}
	return nil
}

// releaseTime says when w was uploaded and where that was read, asking
// finder when neither the lock nor the plan's index listing says.
func (pc *pipPolicy) releaseTime(ctx context.Context, w plannedWheel, on string, finder wheelFinder) (verify.ReleaseTime, error) {
	file := w.pkg.Path
	switch {
	case w.uploaded != "" && on == "":
		return parsedTime(w.uploaded, fmt.Sprintf("upload-time of %s in %s", file, w.dist.Source))
	case w.uploaded != "":
		return parsedTime(w.uploaded, fmt.Sprintf("upload-time (PEP 700) of %s on %s", file, on))
	case on != "":
		return verify.ReleaseTime{Missing: fmt.Sprintf("the index %s gives no upload-time (PEP 700) for %s", on, file),
			Evidence: "no upload-time for " + file + " on " + on + " (an HTML-only index, PEP 503, never gives one)"}, nil
	}
	files, err := finder.Files(ctx, w.dist.Name)
	switch {
	case errors.Is(err, fetchpypi.ErrNoIndex):
		return verify.ReleaseTime{Missing: fmt.Sprintf("the lock records no upload-time for %s and no index may be asked (no-index)", file),
			Evidence: w.dist.Source + " has no upload-time"}, nil
	case errors.Is(err, fetchpypi.ErrPageNotCached):
		return verify.ReleaseTime{Missing: fmt.Sprintf("the lock records no upload-time for %s and, offline, the index page listing it is not in the cache (run the same command once online to cache it)", file),
			Evidence: fmt.Sprintf("%s has no upload-time; %v", w.dist.Source, err)}, nil
	case err != nil:
		err = fmt.Errorf("min_release_age needs the upload-time of %s, which %s does not record: %w", file, w.dist.Source, err)
		return verify.ReleaseTime{}, classifyPipLookupError(err)
	}
	var listed []string
	for _, f := range files {
		if f.Filename != file {
			continue
		}
		// Only a listing of the bytes the download is verified against
		// dates this file.
		if !listsDownload(f, w) {
			continue
		}
		if f.UploadTime != "" {
			return parsedTime(f.UploadTime, fmt.Sprintf("upload-time (PEP 700) of %s on %s", file, f.Index))
		}
		listed = append(listed, f.Index)
	}
	where := finder.Where()
	if len(listed) > 0 {
		return verify.ReleaseTime{Missing: fmt.Sprintf("the lock records no upload-time for %s and the index gives none (PEP 700)", file),
			Evidence: "no upload-time for " + file + " on " + strings.Join(listed, ", ")}, nil
	}
	return verify.ReleaseTime{Missing: fmt.Sprintf("the lock records no upload-time for %s and no index lists that file with the locked hash", file),
		Evidence: "asked " + where}, nil
}

// downloadDigest is the digest w's download is verified against.
func downloadDigest(w plannedWheel) (verify.Digest, bool) {
	integ, err := verify.ParseSRI(w.pkg.Integrity)
	if err != nil || len(integ) != 1 {
		return verify.Digest{}, false
	}
	return integ[0], true
}

// listsDownload reports whether the index's listing f is of the very bytes
// w's download is verified against: same file name, and its hash for the
// download's algorithm equal to the download's digest. Only such a
// listing's upload-time and provenance speak about what is installed. A
// wheel that may turn out to be any of several locked files (alternates:
// the index listed no hash for it) has no such listing.
func listsDownload(f fetchpypi.File, w plannedWheel) bool {
	if f.Filename != w.pkg.Path || len(w.alternates) > 0 {
		return false
	}
	d, ok := downloadDigest(w)
	if !ok {
		return false
	}
	got, ok := f.Hashes[d.Algorithm]
	return ok && strings.EqualFold(got, d.Hex())
}

// parsedTime reads an RFC 3339 upload-time; one that does not parse is
// no time at all (and refused under a cooldown).
func parsedTime(s, evidence string) (verify.ReleaseTime, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return verify.ReleaseTime{Missing: fmt.Sprintf("its upload-time %q is not an RFC 3339 time", s), Evidence: evidence}, nil
	}
	return verify.ReleaseTime{At: t, Evidence: evidence}, nil
}
