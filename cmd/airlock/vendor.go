package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/fetch/vendor"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

const fetchSynopsis = "[--dir D] [npm ci's flags] (package-lock.json, pnpm-lock.yaml, bun.lock or yarn.lock) | --lock pylock.toml|uv.lock | -r requirements.txt [flags]"

// fetchCmd runs `airlock fetch` (fill the cache for a lockfile, install
// nothing) and `airlock vendor DIR` (also write every archive into DIR
// with a manifest) through the install commands' own pipelines: the same
// lockfile selection, the same policy checks, the same verified fetches.
func fetchCmd(ctx context.Context, command string, args []string, stdout, stderr io.Writer) int {
	var nf npmCIFlags
	var pf pipFlags
	synopsis := fetchSynopsis
	if command == "vendor" {
		synopsis = "DIR " + fetchSynopsis + "\n       airlock vendor --check DIR"
	}
	fs := newFlagSet(command, synopsis, stderr)
	nf.register(fs)
	pf.register(fs, false)
	var check bool
	var dir string
	if command == "vendor" {
		fs.BoolVar(&check, "check", false, "only compare DIR with its manifest: list changed, missing and extra files (exit 1 if any)")
		// The directory may come first, as in the synopsis.
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			dir, args = args[0], args[1:]
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rest := fs.Args()
	if command == "vendor" && dir == "" && len(rest) > 0 {
		// Flags may follow the directory too (--check DIR --json).
		dir = rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return exitUsage
		}
		rest = fs.Args()
	}
	nf.parsed(fs)
	switch {
	case len(rest) > 0:
		fmt.Fprintf(stderr, "airlock %s: unexpected argument %q\nUsage: airlock %s %s\n", command, rest[0], command, synopsis)
		return exitUsage
	case command == "vendor" && dir == "":
		fmt.Fprintf(stderr, "airlock vendor: which directory? Usage: airlock vendor %s\n", synopsis)
		return exitUsage
	case len(nf.allowScripts) > 0:
		fmt.Fprintf(stderr, "airlock %s: --allow-scripts runs scripts after an install; %s installs nothing\n", command, command)
		return exitUsage
	}
	pf.offline, pf.jsonOut, pf.quiet, pf.configFile = nf.offline, nf.jsonOut, nf.quiet, nf.configFile
	rep := newReporter(stdout, stderr, nf.jsonOut, nf.quiet)
	var err error
	if check {
		err = vendorCheck(dir, rep)
	} else {
		err = runFetch(ctx, command, dir, &nf, &pf, rep)
	}
	code := exitCode(ctx, err)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("interrupted by %v; the cache and %s keep only verified archives", context.Cause(ctx), orCache(dir))
		}
		rep.fail(err, code)
		rep.audit.add(auditlog.Event{Kind: command, Result: "failed", Detail: fmt.Sprintf("exit %d: %v", code, err)})
	}
	rep.audit.flush()
	return code
}

func orCache(dir string) string {
	if dir == "" {
		return "the cache"
	}
	return dir
}

// archive is one lockfile archive to fetch (and vendor).
type archive struct {
	pkg lock.Package
	// get fetches it to consume and returns the package as verified (its
	// Integrity is the locked digest the bytes matched).
	get   func(ctx context.Context, consume func(io.Reader) error) (lock.Package, fetch.Result, error)
	entry vendor.Entry
}

func runFetch(ctx context.Context, command, dir string, nf *npmCIFlags, pf *pipFlags, rep *reporter) error {
	began := time.Now()
	decisions := recordDecisions(rep)
	var (
		archives []archive
		fetcher  *fetch.Fetcher
		jobs     int
		eco      string
	)
	if pf.requirements != "" || pf.lockFile != "" {
		eco = "pip"
		pp, err := planPip(ctx, pf, false, rep)
		if err != nil {
			return err
		}
		fetcher, jobs = pp.fetcher, pp.cfg.Concurrency
		defer finishRemoteCache(fetcher, rep)
		for _, w := range pp.wheels {
			archives = append(archives, archive{
				pkg: w.pkg,
				get: func(ctx context.Context, c func(io.Reader) error) (lock.Package, fetch.Result, error) {
					return fetchWheel(ctx, fetcher, w, c)
				},
				entry: vendor.Entry{Ecosystem: "pypi", Name: w.dist.Name, Version: w.dist.Version, Paths: []string{w.pkg.Path}, Filename: w.pkg.Path, URL: w.pkg.Resolved},
			})
		}
	} else {
		plan, err := loadJSPlan(ctx, nf, rep)
		if err != nil {
			return err
		}
		eco = string(plan.lock.kind)
		if err := plan.check(ctx, nf.offline, rep); err != nil {
			return err
		}
		fetcher, err = newFetcher(plan.cfg, plan.rc, nf.offline, func(msg string) { rep.warn(event{Message: msg}) })
		if err != nil {
			return err
		}
		defer finishRemoteCache(fetcher, rep)
		jobs = plan.cfg.Concurrency
		for _, p := range plan.install {
			if p.Source != lock.SourceRegistry {
				continue // links, workspaces and bundled entries come with the project
			}
			// checkNpmPolicy has vetted the URL; Fetch computes it again.
			u, _ := plan.rc.TarballURL(p.Name, p.Version, p.Resolved)
			archives = append(archives, archive{
				pkg: p,
				get: func(ctx context.Context, c func(io.Reader) error) (lock.Package, fetch.Result, error) {
					res, err := plan.fetchArchive(ctx, fetcher, p, c)
					return p, res, err
				},
				entry: vendor.Entry{Ecosystem: "npm", Name: p.Name, Version: p.Version, Paths: []string{p.Path}, Filename: urlBase(u), URL: u},
			})
		}
	}

	var w *vendor.Writer
	if command == "vendor" {
		var err error
		if w, err = vendor.Begin(dir); err != nil {
			return withCode(exitUsage, err)
		}
		defer w.Abort()
	}
	rep.start(command, len(archives))
	var stats installStats
	var kept int
	if err := fetchArchives(ctx, archives, jobs, w, decisions, &stats, &kept, rep); err != nil {
		return err
	}
	e := event{
		Packages:   len(archives),
		FromCache:  int(stats.fromCache.Load()),
		Downloaded: int(stats.downloaded.Load()),
		Refetched:  int(stats.refetched.Load()),
		Bytes:      stats.bytes.Load(),
		Seconds:    time.Since(began).Seconds(),
	}
	took := time.Since(began).Round(10 * time.Millisecond)
	lines := []string{fmt.Sprintf("fetched %d %s archives (%s verified: %d downloaded, %d from cache) in %s",
		e.Packages, eco, humanBytes(e.Bytes), e.Downloaded, e.FromCache, took)}
	if command == "vendor" {
		ch, err := w.Commit()
		if err != nil {
			return withCode(exitUsage, err)
		}
		// The event's counts are those of the vendor directory; fetched
		// counts only the archives it did not already hold.
		e.Added, e.Kept, e.Removed = len(ch.Added), len(ch.Kept), len(ch.Removed)
		lines = []string{fmt.Sprintf("vendored %d %s archives into %s: %d added, %d kept, %d removed (%s verified: %d downloaded, %d from cache, %d already there) in %s",
			len(ch.Added)+len(ch.Kept), eco, dir, len(ch.Added), len(ch.Kept), len(ch.Removed), humanBytes(e.Bytes), e.Downloaded, e.FromCache, kept, took)}
	} else {
		lines[0] += "; nothing was installed"
	}
	if e.Refetched > 0 {
		lines = append(lines, fmt.Sprintf("replaced %d corrupt cache entries (see the warnings above)", e.Refetched))
	}
	rep.done(e, lines)
	return nil
}

// fetchArchives fetches every archive, jobs at a time, once per digest.
// With w, each is also written into the vendor directory (or kept there,
// re-verified, when it already holds it) and listed in its manifest.
func fetchArchives(ctx context.Context, archives []archive, jobs int, w *vendor.Writer, decisions *decisionLog, stats *installStats, kept *int, rep *reporter) error {
	if jobs <= 0 {
		jobs = fetch.DefaultJobs
	}
	// Archives sharing a locked digest (one npm package at several paths)
	// are fetched once.
	var order []string
	groups := map[string][]archive{}
	for _, a := range archives {
		integ, err := verify.ParseSRI(a.pkg.Integrity)
		if err != nil {
			return withCode(exitVerify, fmt.Errorf("%s@%s (%s): %w", a.pkg.Name, a.pkg.Version, a.pkg.Path, err))
		}
		k := integ.Strongest().String()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	for _, k := range order {
		group := groups[k]
		g.Go(func() error {
			return fetchGroup(gctx, group, w, decisions, stats, kept, &mu, rep)
		})
	}
	return g.Wait()
}

func fetchGroup(ctx context.Context, group []archive, w *vendor.Writer, decisions *decisionLog, stats *installStats, kept *int, mu *sync.Mutex, rep *reporter) error {
	first := group[0]
	want, _ := verify.ParseSRI(first.pkg.Integrity)
	if w != nil && w.Has(want.Strongest()) {
		mu.Lock()
		*kept++
		mu.Unlock()
		rep.packageDone(event{Name: first.pkg.Name, Version: first.pkg.Version, Path: first.pkg.Path, Source: "vendor"})
		return addEntries(w, group, want.Strongest(), 0, decisions)
	}
	var bw *vendor.BlobWriter
	var consume func(io.Reader) error
	if w != nil {
		var err error
		if bw, err = w.Blob(); err != nil {
			return withCode(exitUsage, err)
		}
		defer bw.Abort()
		consume = func(r io.Reader) error {
			// Fetch may deliver the archive again (a corrupt cache blob,
			// a retried download): each attempt starts afresh.
			if err := bw.Reset(); err != nil {
				return err
			}
			_, err := io.Copy(bw, r)
			return err
		}
	}
	pkg, res, err := first.get(ctx, consume)
	if res.Corrupt != nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Want: res.Corrupt.Want.String(), Got: res.Corrupt.Got.String(),
			Message: corruptNote(pkg, res.Corrupt, err, false)})
		if res.Refetched {
			stats.refetched.Add(1)
		}
	}
	if res.CacheErr != nil && err == nil && stats.uncached.Add(1) == 1 {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("%v\nthe archive was verified, but the cache could not keep it", res.CacheErr)})
	}
	if res.Mismatched != nil && err == nil {
		rep.warn(event{Name: pkg.Name, Version: pkg.Version, Message: fmt.Sprintf("the first download of %s %s did not match the lockfile and was discarded; a second download matched:\n%v", pkg.Name, pkg.Version, res.Mismatched)})
	}
	if err != nil {
		if errors.Is(err, fetch.ErrNotCached) {
			err = fmt.Errorf("%w\n(--offline: run the same command once while online)", err)
		}
		return err
	}
	got, err := verify.ParseSRI(pkg.Integrity)
	if err != nil {
		return err
	}
	if bw != nil {
		if _, err := bw.Commit(got.Strongest()); err != nil {
			return withCode(exitUsage, err)
		}
	}
	source := "network"
	if res.FromCache {
		source = "cache"
		stats.fromCache.Add(1)
	} else {
		stats.downloaded.Add(1)
	}
	stats.bytes.Add(res.Bytes)
	rep.packageDone(event{Name: pkg.Name, Version: pkg.Version, Path: pkg.Path, Source: source, URL: client.Redact(res.URL), Bytes: res.Bytes})
	if w == nil {
		return nil
	}
	return addEntries(w, group, got.Strongest(), res.Bytes, decisions)
}

// addEntries lists the archives of group in the manifest under blob, the
// locked digest their bytes matched. Every digest the lockfile gives for
// the file is recorded, the blob's first.
func addEntries(w *vendor.Writer, group []archive, blob verify.Digest, size int64, decisions *decisionLog) error {
	for _, a := range group {
		e := a.entry
		e.Size = size
		e.Digests = []string{blob.String()}
		if a.pkg.Ecosystem != lock.PyPI {
			// npm's integrity lists digests of this one file; a Python
			// lock's several hashes may be of different files.
			integ, _ := verify.ParseSRI(a.pkg.Integrity)
			for _, d := range integ {
				if d.String() != blob.String() {
					e.Digests = append(e.Digests, d.String())
				}
			}
		}
		e.Decisions = decisions.about(e.Name, e.Version)
		if err := w.Add(e); err != nil {
			return err
		}
	}
	return nil
}

// urlBase is the file name at the end of a URL's path.
func urlBase(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return path.Base(u.Path)
}

// decisionLog keeps the policy decisions about each package, for the
// vendor manifest.
type decisionLog struct {
	mu sync.Mutex
	by map[string][]vendor.Decision
}

func recordDecisions(rep *reporter) *decisionLog {
	l := &decisionLog{by: map[string][]vendor.Decision{}}
	rep.onDecision = func(d verify.Decision) {
		if d.Name == "" {
			return // about a registry, not a package
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		k := d.Name + "@" + d.Version
		l.by[k] = append(l.by[k], vendor.Decision{Rule: d.Rule, Verdict: string(d.Verdict), Message: d.Message, Evidence: d.Evidence})
	}
	return l
}

func (l *decisionLog) about(name, version string) []vendor.Decision {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.by[name+"@"+version]
}

// vendorProblem is a --json event of airlock vendor --check and of an
// install refused because of its vendor directory.
type vendorProblem struct {
	Event   string `json:"event"` // "vendor_problem"
	Kind    string `json:"kind"`  // changed, missing, extra
	Path    string `json:"path"`
	Package string `json:"package,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// vendorCheck is airlock vendor --check DIR.
func vendorCheck(dir string, rep *reporter) error {
	r, err := vendor.Check(dir)
	if err != nil {
		return withCode(exitUsage, err)
	}
	for _, p := range r.Problems {
		rep.emitJSON(vendorProblem{Event: "vendor_problem", Kind: string(p.Kind), Path: p.Path, Package: p.Package, Detail: p.Detail})
	}
	if err := r.Err(dir); err != nil {
		return withCode(exitVerify, err)
	}
	rep.done(event{Packages: r.Blobs, Bytes: r.Bytes}, []string{fmt.Sprintf("%s matches its manifest: %d archives (%s) verified", dir, r.Blobs, humanBytes(r.Bytes))})
	return nil
}

// openVendor opens a vendor directory to install from (--from), after
// checking every file against the manifest: a changed, missing or extra
// file refuses the install, naming each. The install verifies every
// archive again against the lockfile's digest as it reads it.
func openVendor(dir string) (*vendor.Source, error) {
	r, err := vendor.Check(dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if err := r.Err(dir); err != nil {
		return nil, withCode(exitVerify, err)
	}
	src, err := vendor.Open(dir)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	return src, nil
}

// vendorFinder lists a vendor directory's wheels in place of an index, for
// requirements files, which name no file.
type vendorFinder struct {
	src *vendor.Source
	dir string
}

func (v vendorFinder) Files(ctx context.Context, name string) ([]fetchpypi.File, error) {
	var out []fetchpypi.File
	for _, e := range v.src.Manifest().Packages {
		if e.Ecosystem != "pypi" || lockpypi.NormalizeName(e.Name) != lockpypi.NormalizeName(name) {
			continue
		}
		hashes := map[string]string{}
		for _, s := range e.Digests {
			if integ, err := verify.ParseSRI(s); err == nil && len(integ) == 1 {
				hashes[integ[0].Algorithm] = integ[0].Hex()
			}
		}
		out = append(out, fetchpypi.File{Filename: e.Filename, URL: e.URL, Hashes: hashes, Index: v.Where()})
	}
	return out, nil
}

func (v vendorFinder) Where() string { return "the vendor directory " + v.dir }

func (v vendorFinder) Fix() string {
	return "vendor this lock again: airlock vendor " + v.dir + " with the same -r or --lock"
}

// emitJSON writes v as one --json line; nothing in text mode.
func (r *reporter) emitJSON(v any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json != nil {
		_ = r.json.Encode(v)
	}
}

// useVendor makes the plan install from the vendor directory dir (npm ci
// --from): no cache, no network client, and only the policy rules the
// lockfile answers (the registry metadata others need is not there; it
// was checked when the directory was made, see the manifest's decisions).
func (plan *npmPlan) useVendor(dir string) error {
	src, err := openVendor(dir)
	if err != nil {
		return err
	}
	plan.vendor = src
	return nil
}

// newFetcher returns the plan's fetch pipeline: the vendor directory's, or
// the cache and the network's.
func (plan *npmPlan) newFetcher(offline bool, warn func(string)) (*fetch.Fetcher, error) {
	if plan.vendor != nil {
		return &fetch.Fetcher{Getter: plan.vendor, Locator: plan.vendor}, nil
	}
	return newFetcher(plan.cfg, plan.rc, offline, warn)
}

// decisionHook receives policy decisions (reporter.onDecision).
type decisionHook func(verify.Decision)

// countSource counts where a fetched archive came from and names it for
// the package event: "cache", "vendor" (--from) or "network".
func countSource(res fetch.Result, stats *installStats) string {
	switch {
	case res.FromCache:
		stats.fromCache.Add(1)
		return "cache"
	case strings.HasPrefix(res.URL, vendor.URLScheme):
		stats.vendored.Add(1)
		return "vendor"
	case res.FromRemote:
		// Downloaded, from the shared remote cache, and verified.
		stats.downloaded.Add(1)
		return "remote"
	}
	stats.downloaded.Add(1)
	return "network"
}

// vendoredLine is the summary's note on archives read from a vendor
// directory, if any were.
func vendoredLine(n int) []string {
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d archives came from the vendor directory, each verified against the lockfile; nothing was downloaded", n)}
}
