package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/fetch"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/verify"
	"github.com/airlock-dev/airlock/verify/provenance"
)

// checkProvenance applies require_provenance to Python wheels (SCVS 4.10):
// for every chosen wheel of a package that requires it, the index's
// listing of that file (with one of the locked hashes) names a PEP 740
// provenance object; it is fetched from the index's host and verified
// against the Sigstore trusted root, tied to the wheel's filename and its
// locked sha256, and the certificates must be the Trusted Publisher it
// lists. Each outcome is a "provenance" decision; refusals end the command
// before anything is downloaded.
//
// Without require_provenance nothing is asked: unlike npm's packument,
// which is read anyway for signatures, a provenance object is one more
// request per wheel. Installs from a vendor directory (--from) are not
// checked here (airlock vendor applied the policy when it wrote it, as
// for min_release_age).
func (pc *pipPolicy) checkProvenance(ctx context.Context, wheels []plannedWheel, finder wheelFinder, vendored bool) error {
	var todo []plannedWheel
	for _, w := range wheels {
		if on := pc.pol.For(pipSubject(w.dist).Name).RequireProvenance; on != nil && *on {
			todo = append(todo, w)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if vendored {
		pc.rep.availability(verify.Decision{Rule: "provenance", Verdict: verify.Info,
			Message:  fmt.Sprintf("require_provenance is not checked for %d wheel(s) installed from the vendor directory", len(todo)),
			Evidence: "the vendor directory keeps no provenance objects; airlock vendor applied the policy when it wrote it",
			Override: "run airlock vendor with require_provenance = true to check it when the directory is written"})
		return nil
	}
	var indexes *fetchpypi.Finder
	if pf, ok := finder.(pipFinder); ok {
		indexes = pf.Finder
	}
	checker := &provenanceChecker{dir: filepath.Join(cacheRoot(pc.cfg), sigstoreDir)}
	facts := make([]verify.PythonProvenanceFacts, len(todo))
	g, gctx := errgroup.WithContext(ctx)
	jobs := pc.cfg.Concurrency
	if jobs <= 0 {
		jobs = fetch.DefaultJobs
	}
	g.SetLimit(jobs)
	for i, w := range todo {
		g.Go(func() (err error) {
			facts[i], err = pythonProvenanceFacts(gctx, w, finder, indexes, checker)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	var denied []verify.Decision
	for i, w := range todo {
		denied = append(denied, reportDecisions(pc.rep, pc.pol.PythonProvenance(pipSubject(w.dist), facts[i]))...)
	}
	if len(denied) > 0 {
		return policyError(denied, nil)
	}
	return nil
}

// pythonProvenanceFacts looks up and verifies w's provenance. What cannot
// be learned, or does not verify, is a fact for policy to explain; only a
// broken trusted root, a cancelled context or an index that cannot be
// read at all is an error. Offline the object comes from the provenance
// cache (filled by online runs) and is verified exactly as a fresh one:
// the cache is not trusted, the signatures are.
func pythonProvenanceFacts(ctx context.Context, w plannedWheel, finder wheelFinder, indexes *fetchpypi.Finder, checker *provenanceChecker) (verify.PythonProvenanceFacts, error) {
	file := w.pkg.Path
	f := verify.PythonProvenanceFacts{File: file}
	files, err := finder.Files(ctx, w.dist.Name)
	switch {
	case errors.Is(err, fetchpypi.ErrNoIndex):
		f.Unknown = fmt.Sprintf("no index may be asked (no-index), and only an index lists the provenance of %s", file)
		return f, nil
	case errors.Is(err, fetchpypi.ErrPageNotCached):
		f.Unknown = fmt.Sprintf("offline, the index page listing %s is not in the cache", file)
		return f, nil
	case err != nil:
		return f, classifyPipLookupError(fmt.Errorf("require_provenance needs the index's listing of %s: %w", file, err))
	}
	// Only a listing of the very bytes the download is verified against
	// may vouch for them: a lock may pin several hashes of one file name,
	// and an index list that name twice.
	var listing *fetchpypi.File
	for i := range files {
		if listsDownload(files[i], w) {
			if listing == nil || (listing.Provenance == "" && files[i].Provenance != "") {
				listing = &files[i]
			}
		}
	}
	if listing == nil {
		f.Unknown = fmt.Sprintf("no index lists %s with the hash its download is verified against (asked %s)", file, finder.Where())
		return f, nil
	}
	f.Index = listing.Index
	if listing.Provenance == "" {
		return f, nil
	}
	f.Listed, f.URL = true, listing.Provenance
	d, _ := downloadDigest(w)
	if d.Algorithm != "sha256" {
		f.Problem, f.Error = string(provenance.ProblemSubject), fmt.Sprintf("%s is verified against a %s, and an attestation names a sha256: it cannot be tied to the locked bytes (pin the sha256 the index lists)", file, d.Algorithm)
		return f, nil
	}
	sha := d.Sum
	v, from, err := checker.verifier()
	if err != nil {
		return f, err
	}
	f.TrustedRoot = from
	if indexes == nil {
		f.Unknown = fmt.Sprintf("the provenance object of %s (%s) cannot be fetched from here", file, listing.Provenance)
		return f, nil
	}
	doc, cached, err := indexes.Provenance(ctx, *listing, hex.EncodeToString(sha))
	switch {
	case errors.Is(err, fetchpypi.ErrProvenanceNotCached):
		f.Unknown = fmt.Sprintf("offline, the provenance object of %s (%s) is not in the cache: run the same command once online to cache it", file, listing.Provenance)
		return f, nil
	case err != nil:
		if ctx.Err() != nil {
			return f, ctx.Err()
		}
		f.Problem, f.Error = "unavailable", err.Error()
		return f, nil
	case cached:
		f.URL += " (the copy an earlier online run cached, verified again now)"
	}
	if bs, err := provenance.ParsePyPIProvenance(doc); err == nil && len(bs) > 0 {
		f.Publisher = describePublisher(bs[0].Publisher)
	}
	r, err := v.VerifyPyPI(doc, file, sha)
	if err != nil {
		var pe *provenance.Error
		if errors.As(err, &pe) {
			f.Problem, f.Error = string(pe.Problem), pe.Error()
		} else {
			f.Problem, f.Error = string(provenance.ProblemSignature), err.Error()
		}
		return f, nil
	}
	f.Verified = &verify.ProvenanceResult{SourceRepository: r.SourceRepository, Commit: r.Commit, Ref: r.Ref,
		Workflow: r.Workflow, Builder: r.Builder, Issuer: r.Issuer, PredicateType: strings.Join(r.PredicateTypes, ", "), LogIndex: r.LogIndex}
	return f, nil
}

// describePublisher names a Trusted Publisher for evidence.
func describePublisher(p provenance.Publisher) string {
	s := p.Kind + " " + p.Repository
	switch {
	case p.Workflow != "":
		s += ", workflow " + p.Workflow
	case p.WorkflowFilepath != "":
		s += ", workflow " + p.WorkflowFilepath
	}
	if p.Environment != "" {
		s += ", environment " + p.Environment
	}
	return s
}
