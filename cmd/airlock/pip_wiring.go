package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/install/wheel"
	"github.com/airlock-dev/airlock/internal/pyinterp"
	"github.com/airlock-dev/airlock/lock"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

// loadPipConfig reads pip's configuration for the target interpreter (its
// prefix holds the "site" pip.conf) and applies the command line and the
// requirements file's own index options, as pip layers them.
func loadPipConfig(f *pipFlags, it *pyinterp.Interpreter, lk *lockpypi.Lock, lockName string) (*fetchpypi.Config, error) {
	home, _ := os.UserHomeDir()
	if h := os.Getenv("HOME"); h != "" {
		home = h
	}
	pc, err := fetchpypi.LoadConfig(fetchpypi.LoadOptions{
		Getenv:     os.Getenv,
		Home:       home,
		SitePrefix: it.Prefix,
		Flags: fetchpypi.Flags{
			IndexURL:       f.indexURL,
			ExtraIndexURLs: f.extraIndexURLs.values,
			NoIndex:        f.noIndex,
			TrustedHosts:   f.trustedHosts.values,
			Cert:           f.cert,
			ClientCert:     f.clientCert,
		},
	})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if lk.IndexURL != "" || len(lk.ExtraIndexURLs) > 0 || lk.NoIndex {
		if err := pc.ApplyRequirementFile(lk.IndexURL, lk.ExtraIndexURLs, lk.NoIndex, lockName); err != nil {
			return nil, withCode(exitUsage, err)
		}
	}
	return pc, nil
}

// newPipFetcher builds the verified fetch pipeline for wheels: the shared
// cache, the strict client with pip's CA, client certificate and index
// credentials, and the index finder.
func newPipFetcher(cfg *config.Config, pc *fetchpypi.Config, offline bool, rep *reporter) (*fetch.Fetcher, *fetchpypi.Finder, error) {
	c, err := openCache(cfg, offline, func(w string) { rep.warn(event{Message: w}) })
	if err != nil {
		return nil, nil, err
	}
	f := &fetch.Fetcher{Cache: c, Offline: offline, Locator: fetchpypi.Locator{}}
	finder := &fetchpypi.Finder{Config: pc, Offline: offline}
	if c != nil {
		finder.Pages = fetchpypi.OpenPageCache(c.Dir())
		finder.Provenances = fetchpypi.OpenProvenanceCache(c.Dir())
	}
	if offline {
		return f, finder, nil
	}
	cl, err := newPipClient(cfg, pc)
	if err != nil {
		return nil, nil, err
	}
	f.Getter, finder.Getter = cl, cl
	if err := attachRemoteCache(f, cfg, func(w string) { rep.warn(event{Message: w}) }); err != nil {
		return nil, nil, err
	}
	return f, finder, nil
}

// newPipClient builds the strict HTTPS client for pip's indexes: extra CAs
// from airlock.toml's ca_file and pip's cert (added to the system roots,
// which honour SSL_CERT_FILE), pip's client-cert presented to the index
// hosts only, and the index URLs' credentials sent to their origins only.
func newPipClient(cfg *config.Config, pc *fetchpypi.Config) (*client.Client, error) {
	var cas []client.CABundle
	if cfg.CAFile != "" {
		b, err := client.ReadCAFile(cfg.CAFile, "ca_file in "+cfg.Sources["ca_file"])
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		cas = append(cas, b)
	}
	if pc.Cert.Value != "" {
		b, err := client.ReadCAFile(pc.Cert.Value, "cert in "+pc.Cert.Source)
		if err != nil {
			return nil, withCode(exitUsage, err)
		}
		cas = append(cas, b)
	}
	certs := map[string]tls.Certificate{}
	if pc.ClientCert.Value != "" {
		// pip's client-cert is one PEM file holding the key and the
		// certificate.
		cert, err := tls.LoadX509KeyPair(pc.ClientCert.Value, pc.ClientCert.Value)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("client-cert %s (%s): %w; pip's client-cert is one PEM file holding the certificate and its private key", pc.ClientCert.Value, pc.ClientCert.Source, err))
		}
		for _, h := range pc.IndexHosts() {
			certs[h] = cert
		}
	}
	cl, err := client.New(client.Options{
		ExtraCAs:    cas,
		Auth:        pc.AuthFor,
		UserAgent:   "airlock/" + version,
		ClientCerts: certs,
	})
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return cl, nil
}

// wheelFinder lists a project's files: the indexes (*fetchpypi.Finder, as
// pipFinder) or a vendor directory (vendorFinder).
type wheelFinder interface {
	Files(ctx context.Context, name string) ([]fetchpypi.File, error)
	// Where names what was asked, and Fix what to check when a file is
	// not there.
	Where() string
	Fix() string
}

// pipFinder asks the configured indexes.
type pipFinder struct{ *fetchpypi.Finder }

func (f pipFinder) Where() string {
	var where []string
	for _, ix := range f.Config.Indexes {
		where = append(where, ix.String())
	}
	return strings.Join(where, ", ")
}

func (pipFinder) Fix() string {
	return "check the version, and the index configuration (--index-url, pip.conf, PIP_INDEX_URL)"
}

// plannedWheel is the wheel chosen for one distribution, ready to fetch.
type plannedWheel struct {
	dist lockpypi.Dist
	pkg  lock.Package
	// alternates are further locked hashes the file may have, tried in
	// turn when the index listed no hash and the first did not match.
	alternates []verify.Digest
	// uploaded is the wheel's upload-time (RFC 3339) as the lock records
	// it or, when it records none, as the index listing it says (PEP
	// 700); uploadedOn is that index, "" for the lock's. For
	// min_release_age.
	uploaded, uploadedOn string
}

// planWheels chooses the wheel of every distribution: from the lock's
// wheels, or from the indexes' file lists (requirements files). It asks the
// indexes in parallel and reports every refusal at once, before anything is
// downloaded or changed.
func planWheels(ctx context.Context, dists []lockpypi.Dist, it *pyinterp.Interpreter, finder wheelFinder, jobs int, rep *reporter) ([]plannedWheel, error) {
	if jobs <= 0 {
		jobs = fetch.DefaultJobs
	}
	plan := make([]plannedWheel, len(dists))
	problems := make([]string, len(dists))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for i, d := range dists {
		g.Go(func() error {
			p, problem, err := planOne(gctx, d, it, finder, rep)
			if err != nil {
				return err
			}
			plan[i], problems[i] = p, problem
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, classifyPipLookupError(err)
	}
	var refused []string
	for _, p := range problems {
		if p != "" {
			refused = append(refused, p)
		}
	}
	if len(refused) > 0 {
		return nil, withCode(exitVerify, fmt.Errorf("refusing %d distribution(s):\n\t%s", len(refused), strings.Join(refused, "\n\t")))
	}
	return plan, nil
}

// planOne chooses d's wheel. A refusal the user must act on is returned as
// problem; err is for failures that end the install at once (network).
func planOne(ctx context.Context, d lockpypi.Dist, it *pyinterp.Interpreter, finder wheelFinder, rep *reporter) (plannedWheel, string, error) {
	id := d.Name + "==" + d.Version
	if len(d.Wheels) > 0 {
		var lookedUp *fetchpypi.File // the index's listing of the file, when asked
		art, err := lockpypi.SelectWheel(d.Name, d.Wheels, it.Env)
		if err != nil {
			return plannedWheel{}, selectProblem(id, d, err), nil
		}
		if art.URL == "" {
			if art.Path != "" {
				return plannedWheel{}, fmt.Sprintf("%s: the lock names a local file (%s) for %s; airlock installs wheels from URLs and indexes only", id, art.Path, art.Filename), nil
			}
			files, err := finder.Files(ctx, d.Name)
			if err != nil {
				return plannedWheel{}, "", err
			}
			var named []fetchpypi.File
			for _, f := range files {
				if f.Filename == art.Filename {
					named = append(named, f)
				}
			}
			cands, rejected := fetchpypi.Candidates(named, hashesOf(art.Hashes))
			if len(cands) == 0 {
				return plannedWheel{}, missingProblem(id, art.Filename, rejected), nil
			}
			art.URL = cands[0].File.URL
			warnYanked(d, cands[0].File, rep)
			lookedUp = &cands[0].File
		}
		p, problem, err := newPlanned(d, art.Filename, art.URL, art.Hashes)
		p.uploaded = art.UploadTime
		if p.uploaded == "" && lookedUp != nil {
			p.uploaded, p.uploadedOn = lookedUp.UploadTime, lookedUp.Index
		}
		return p, problem, err
	}

	if len(d.Hashes) == 0 {
		if d.Sdist != nil {
			return plannedWheel{}, sdistProblem(id, []string{d.Sdist.Filename}), nil
		}
		return plannedWheel{}, fmt.Sprintf("%s: the lock records no wheel and no hash for it; airlock installs only files it can check against a locked hash", id), nil
	}
	files, err := finder.Files(ctx, d.Name)
	if err != nil {
		return plannedWheel{}, "", err
	}
	var wheels []fetchpypi.File
	var sdists, otherPython []string
	for _, f := range files {
		if !requiresPythonHolds(f.RequiresPython, it.Version) {
			// pip skips such files too (PEP 503 data-requires-python).
			otherPython = append(otherPython, fmt.Sprintf("%s (Requires-Python %s)", f.Filename, f.RequiresPython))
			continue
		}
		switch {
		case strings.HasSuffix(strings.ToLower(f.Filename), ".whl"):
			wn, err := lockpypi.ParseWheelFilename(f.Filename)
			if err == nil && lockpypi.NormalizeName(wn.Name) == d.NormalizedName() && sameVersion(wn.Version, d.Version) {
				wheels = append(wheels, f)
			}
		case isSdistOf(f.Filename, d):
			sdists = append(sdists, f.Filename)
		}
	}
	if len(wheels) == 0 {
		if len(sdists) > 0 {
			return plannedWheel{}, sdistProblem(id, sdists), nil
		}
		if len(otherPython) > 0 {
			return plannedWheel{}, fmt.Sprintf("%s: every file of this version requires another Python than %s (%s): %s", id, it.Version, it.Executable, strings.Join(otherPython, ", ")), nil
		}
		return plannedWheel{}, fmt.Sprintf("%s: no file for this version on %s; %s", id, finder.Where(), finder.Fix()), nil
	}
	cands, rejected := fetchpypi.Candidates(wheels, hashesOf(d.Hashes))
	if len(cands) == 0 {
		return plannedWheel{}, missingProblem(id, "", rejected), nil
	}
	arts := make([]lockpypi.Artifact, len(cands))
	for i, c := range cands {
		arts[i] = lockpypi.Artifact{Filename: c.File.Filename, URL: c.File.URL, Hashes: lockHashes(c.Hashes)}
	}
	art, err := lockpypi.SelectWheel(d.Name, arts, it.Env)
	if err != nil {
		return plannedWheel{}, selectProblem(id, d, err), nil
	}
	for _, c := range cands {
		if c.File.Filename == art.Filename {
			warnYanked(d, c.File, rep)
			p, problem, err := newPlanned(d, art.Filename, art.URL, art.Hashes)
			p.uploaded, p.uploadedOn = c.File.UploadTime, c.File.Index
			return p, problem, err
		}
	}
	return newPlanned(d, art.Filename, art.URL, art.Hashes)
}

// newPlanned builds the fetch request. The lock's strongest hash is what
// is verified; when several hashes of that strength could be the file's
// (an index that lists none), the others are kept as alternates.
func newPlanned(d lockpypi.Dist, filename, url string, hashes []lockpypi.Hash) (plannedWheel, string, error) {
	// The file's URL (the lock's, or the index's) is checked before
	// anything is downloaded: plain http is refused.
	if _, err := (fetchpypi.Locator{}).TarballURL(d.Name, d.Version, url); err != nil {
		return plannedWheel{}, err.Error(), nil
	}
	integ, err := verify.ParseSRI(lockpypi.Integrity(hashes))
	if err != nil {
		return plannedWheel{}, fmt.Sprintf("%s==%s: %s: no usable hash (%v)", d.Name, d.Version, filename, err), nil
	}
	first := integ.Strongest()
	p := plannedWheel{dist: d, pkg: lock.Package{
		Ecosystem: lock.PyPI, Name: d.Name, Version: d.Version, Path: filename,
		Source: lock.SourceRegistry, Resolved: url, Integrity: first.String(),
	}}
	for _, dg := range integ {
		if dg.Algorithm == first.Algorithm && dg.String() != first.String() {
			p.alternates = append(p.alternates, dg)
		}
	}
	return p, "", nil
}

func hashesOf(hs []lockpypi.Hash) []fetchpypi.Hash {
	out := make([]fetchpypi.Hash, len(hs))
	for i, h := range hs {
		out[i] = fetchpypi.Hash(h)
	}
	return out
}

func lockHashes(hs []fetchpypi.Hash) []lockpypi.Hash {
	out := make([]lockpypi.Hash, len(hs))
	for i, h := range hs {
		out[i] = lockpypi.Hash(h)
	}
	return out
}

func sameVersion(a, b string) bool {
	va, err1 := lockpypi.ParseVersion(a)
	vb, err2 := lockpypi.ParseVersion(b)
	if err1 != nil || err2 != nil {
		return strings.EqualFold(a, b)
	}
	return va.Compare(vb) == 0
}

// isSdistOf reports whether filename is a source archive of d's version
// (<name>-<version>.tar.gz or .zip).
func isSdistOf(filename string, d lockpypi.Dist) bool {
	lower := strings.ToLower(filename)
	var stem string
	switch {
	case strings.HasSuffix(lower, ".tar.gz"):
		stem = filename[:len(filename)-len(".tar.gz")]
	case strings.HasSuffix(lower, ".zip"):
		stem = filename[:len(filename)-len(".zip")]
	default:
		return false
	}
	i := strings.LastIndex(stem, "-")
	return i > 0 && lockpypi.NormalizeName(stem[:i]) == d.NormalizedName() && sameVersion(stem[i+1:], d.Version)
}

func sdistProblem(id string, sdists []string) string {
	return fmt.Sprintf("%s: only a source distribution is available (%s); building it would run its setup code, which airlock never does: publish a wheel for it to your index, or build one yourself on a trusted machine and lock its hash", id, strings.Join(sdists, ", "))
}

func selectProblem(id string, d lockpypi.Dist, err error) string {
	if errors.Is(err, lockpypi.ErrNoCompatibleWheel) && d.Sdist != nil {
		return fmt.Sprintf("%s: %v\n\t  (the lock also has the source distribution %s, which airlock never builds: building runs its setup code)", id, err, d.Sdist.Filename)
	}
	return fmt.Sprintf("%s: %v", id, err)
}

// missingProblem explains a wheel that no index lists with a locked hash.
func missingProblem(id, filename string, rejected []fetchpypi.Rejected) string {
	if len(rejected) == 0 {
		return fmt.Sprintf("%s: no index lists %s; check the index configuration (--index-url, pip.conf, PIP_INDEX_URL)", id, filename)
	}
	var lines []string
	for _, r := range rejected {
		lines = append(lines, fmt.Sprintf("%s on %s has %s", r.File.Filename, r.File.Index, r.Hash))
	}
	return fmt.Sprintf("%s: integrity mismatch: the index lists files whose hashes are none of the locked ones:\n\t  %s\n\t  SECURITY ERROR: the index may serve other bytes than were locked; if the change is expected, regenerate the hashes on a trusted machine and review the diff", id, strings.Join(lines, "\n\t  "))
}

func warnYanked(d lockpypi.Dist, f fetchpypi.File, rep *reporter) {
	if !f.Yanked {
		return
	}
	reason := ""
	if f.YankedReason != "" {
		reason = ": " + f.YankedReason
	}
	rep.warn(event{Name: d.Name, Version: d.Version, Message: fmt.Sprintf("%s==%s is yanked on %s%s (installed because the lock pins it, as pip does)", d.Name, d.Version, f.Index, reason)})
}

// fetchWheels downloads (or reads from the cache) every planned wheel in
// parallel, spooling each into a private file in the staging area. A file
// is handed on only after Fetch returned nil: its digest matched.
func fetchWheels(ctx context.Context, f *fetch.Fetcher, st *install.Staging, plan []plannedWheel, jobs int, stats *installStats, rep *reporter) ([]wheel.Wheel, error) {
	if jobs <= 0 {
		jobs = fetch.DefaultJobs
	}
	dir, err := st.Scratch()
	if err != nil {
		return nil, classifyInstallError(err)
	}
	wheels := make([]wheel.Wheel, len(plan))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	var mu sync.Mutex
	for i, p := range plan {
		g.Go(func() error {
			path := filepath.Join(dir, fmt.Sprintf("%04d-%s", i, p.pkg.Path))
			if err := fetchOneWheel(gctx, f, p, path, stats, &mu, rep); err != nil {
				return err
			}
			wheels[i] = wheel.Wheel{File: path, Filename: p.pkg.Path, Name: p.dist.Name, Version: p.dist.Version, Requested: p.dist.Requested}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return wheels, nil
}

// fetchWheel fetches p's wheel to consume and returns the package as
// verified: its Integrity is the locked digest the bytes matched.
func fetchWheel(ctx context.Context, f *fetch.Fetcher, p plannedWheel, consume func(io.Reader) error) (lock.Package, fetch.Result, error) {
	pkg := p.pkg
	res, err := f.Fetch(ctx, pkg, consume)
	var ie *fetch.IntegrityError
	if errors.As(err, &ie) {
		// The index gave no hash for the file and several were locked:
		// the bytes may match another of them, which is then the right
		// one to verify against (and to cache under).
		for _, alt := range p.alternates {
			if alt.String() == ie.Got.String() {
				pkg.Integrity = alt.String()
				res, err = f.Fetch(ctx, pkg, consume)
				break
			}
		}
	}
	return pkg, res, err
}

func fetchOneWheel(ctx context.Context, f *fetch.Fetcher, p plannedWheel, path string, stats *installStats, mu *sync.Mutex, rep *reporter) error {
	spool := func(r io.Reader) error {
		// Each attempt starts from an empty file; the staging area is
		// private to this process and removed by Abort.
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, r); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	pkg, res, err := fetchWheel(ctx, f, p, spool)
	recordFetch(rep, pkg, res, err, f.Offline)
	if res.Corrupt != nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Want: res.Corrupt.Want.String(), Got: res.Corrupt.Got.String(),
			Message: corruptNote(pkg, res.Corrupt, err, f.Offline)})
		if res.Refetched {
			stats.refetched.Add(1)
		}
	}
	if res.Mismatched != nil && err == nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("the first download of %s==%s did not match the lock and was discarded; a second download matched:\n%v", pkg.Name, pkg.Version, res.Mismatched)})
	}
	if err != nil {
		// fetch's offline message names npm's command (its integrity
		// errors name the lock's own, planPip's RelockHint).
		if errors.Is(err, fetch.ErrNotCached) {
			err = fmt.Errorf("%w\n(for Python: run the same airlock pip install once while online)", err)
		}
		return err
	}
	source := countSource(res, stats)
	stats.bytes.Add(res.Bytes)
	rep.packageDone(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Source: source, URL: client.Redact(res.URL), Bytes: res.Bytes})
	return nil
}

// summarizePip is the final event and the human lines: npm ci's summary
// shape, and pip's "Successfully installed" line.
func summarizePip(res *wheel.Result, st *installStats, took time.Duration) (event, []string) {
	e := event{
		Packages:   len(res.Dists),
		FromCache:  int(st.fromCache.Load()),
		Downloaded: int(st.downloaded.Load()),
		Refetched:  int(st.refetched.Load()),
		Vendored:   int(st.vendored.Load()),
		Bytes:      st.bytes.Load(),
		Seconds:    took.Seconds(),
	}
	var names []string
	for _, d := range res.Dists {
		names = append(names, d.Name+"-"+d.Version)
		e.Bins += len(d.Scripts)
	}
	sort.Strings(names)
	lines := []string{fmt.Sprintf("installed %d packages (%s verified: %d downloaded, %d from cache) in %s",
		e.Packages, humanBytes(e.Bytes), e.Downloaded, e.FromCache, took.Round(10*time.Millisecond))}
	lines = append(lines, vendoredLine(e.Vendored)...)
	if e.Refetched > 0 {
		lines = append(lines, fmt.Sprintf("replaced %d corrupt cache entries (see the warnings above)", e.Refetched))
	}
	if len(names) > 0 {
		lines = append(lines, "Successfully installed "+strings.Join(names, " "))
	}
	return e, lines
}

// classifyPipLockError picks the exit code of a lockfile problem: entries
// airlock cannot verify or will not install are refusals (1), the rest
// input errors (2).
func classifyPipLockError(err error) error {
	for _, target := range []error{lockpypi.ErrNoHash, lockpypi.ErrUnpinned, lockpypi.ErrUnsupported, lockpypi.ErrEnvironment} {
		if errors.Is(err, target) {
			return withCode(exitVerify, err)
		}
	}
	return withCode(exitUsage, err)
}

// classifyPipLookupError picks the exit code of a failed index lookup.
func classifyPipLookupError(err error) error {
	switch {
	case errors.Is(err, fetchpypi.ErrPageNotCached):
		return withCode(exitNetwork, err)
	case errors.Is(err, fetchpypi.ErrNoIndex), errors.Is(err, fetchpypi.ErrBadPage):
		return withCode(exitUsage, err)
	}
	var se *client.StatusError
	if errors.As(err, &se) && (se.Code == 401 || se.Code == 403) {
		err = fmt.Errorf("%w\n(for a Python index, credentials go in the index URL: --index-url https://USER:TOKEN@host/simple/, or index-url in pip.conf, or PIP_INDEX_URL; airlock sends them to that host only)", err)
	}
	return withCode(classify(err), err)
}

// wheelRefusals are install/wheel's refusals of a hostile or broken wheel.
var wheelRefusals = []error{
	wheel.ErrDistInfo, wheel.ErrMetadata, wheel.ErrWheelFile, wheel.ErrRecordSyntax,
	wheel.ErrRecordMismatch, wheel.ErrRecordMissing, wheel.ErrRecordExtra,
	wheel.ErrUnsafeRecordPath, wheel.ErrWeakHash, wheel.ErrDataKey, wheel.ErrConflict,
	wheel.ErrEntryPoint, wheel.ErrPth,
}

func classifyPipInstallError(err error) error {
	for _, target := range wheelRefusals {
		if errors.Is(err, target) {
			return withCode(exitVerify, err)
		}
	}
	if errors.Is(err, wheel.ErrCannotUninstall) {
		return withCode(exitUsage, err)
	}
	return classifyInstallError(err)
}

// reportSkipped emits a "skip" event for every distribution of the lock
// that Select left out (its marker does not hold for the interpreter, or
// uv.lock reaches it only through edges that do not apply).
func reportSkipped(all, selected []lockpypi.Dist, rep *reporter) {
	kept := map[string]bool{}
	for _, d := range selected {
		kept[d.NormalizedName()+"=="+d.Version] = true
	}
	for _, d := range all {
		if kept[d.NormalizedName()+"=="+d.Version] {
			continue
		}
		reason := "not needed by this interpreter"
		if d.Marker != "" {
			reason = "marker does not apply: " + d.Marker
		}
		rep.skipped(event{Name: d.Name, Version: d.Version, Reason: reason})
	}
}

// requiresPythonHolds reports whether a file's Requires-Python admits the
// interpreter's version. Like pip, an unparsable value does not exclude.
func requiresPythonHolds(spec, pyVersion string) bool {
	if strings.TrimSpace(spec) == "" {
		return true
	}
	ss, err := lockpypi.ParseSpecifiers(spec)
	if err != nil {
		return true
	}
	v, err := lockpypi.ParseVersion(pyVersion)
	if err != nil {
		return true
	}
	return ss.Contains(v)
}
