package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/internal/safefile"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/verify"
	"github.com/airlock-dev/airlock/verify/provenance"
)

// sigstoreDir is where `airlock trust update` keeps the refreshed Sigstore
// trusted root (and TUF's metadata), under the cache root.
const sigstoreDir = "sigstore"

// cacheRoot is the cache directory airlock.toml, AIRLOCK_CACHE or the
// default names.
func cacheRoot(cfg *config.Config) string {
	if cfg.CacheDir != "" {
		return cfg.CacheDir
	}
	return cache.DefaultDir(os.Getenv)
}

// provenanceChecker verifies the provenance attestations policy asks for,
// loading the trusted root once per command.
type provenanceChecker struct {
	dir  string // the cache's sigstore directory
	once sync.Once
	v    *provenance.Verifier
	from string
	err  error
}

func (c *provenanceChecker) verifier() (*provenance.Verifier, string, error) {
	c.once.Do(func() {
		tr, from, err := provenance.LoadTrustedRoot(os.Getenv("AIRLOCK_TRUSTED_ROOT"), c.dir)
		if err != nil {
			c.err = withCode(exitUsage, err)
			return
		}
		c.v, c.from = provenance.NewVerifier(tr), from
	})
	return c.v, c.from, c.err
}

// facts gathers what policy needs about s's provenance from its packument
// entry vm: the attestation (fetched from the registry and verified
// against the tarball's sha512 from the lockfile) and earlier versions
// that had one. A failure to verify is a fact for policy to explain, not
// an error; only a broken trusted root is.
func (c *provenanceChecker) facts(ctx context.Context, store *fetch.MetaStore, s verify.Subject, vm fetch.VersionMeta) (*verify.ProvenanceFacts, error) {
	f := &verify.ProvenanceFacts{Listed: vm.Provenance && vm.AttestationsURL != "", URL: vm.URL}
	for _, v := range vm.ProvenanceVersions {
		if v != s.Version && locknpm.Satisfies(v, "<"+s.Version) && (f.EarlierWith == "" || locknpm.Satisfies(f.EarlierWith, "<"+v)) {
			f.EarlierWith = v
		}
	}
	if !f.Listed {
		return f, nil
	}
	v, from, err := c.verifier()
	if err != nil {
		return nil, err
	}
	f.URL, f.TrustedRoot = vm.AttestationsURL, from
	fail := func(problem, msg string) (*verify.ProvenanceFacts, error) {
		f.Problem, f.Error = problem, msg
		return f, nil
	}
	doc, err := store.Attestations(ctx, s.Registry, vm.AttestationsURL)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return fail("unavailable", err.Error())
	}
	as, err := provenance.ParseAttestations(doc)
	if err != nil {
		return fail(string(provenance.ProblemMalformed), err.Error())
	}
	a, ok := provenance.Provenance(as)
	if !ok {
		return fail(string(provenance.ProblemMalformed), "the attestations document has no SLSA provenance although the packument lists one")
	}
	var sha512 []byte
	if in, err := verify.ParseSRI(s.Integrity); err == nil {
		for _, d := range in {
			if d.Algorithm == "sha512" {
				sha512 = d.Sum
				break
			}
		}
	}
	r, err := v.VerifyBundle(a.Bundle, s.Name, s.Version, sha512)
	if err != nil {
		var pe *provenance.Error
		if errors.As(err, &pe) {
			return fail(string(pe.Problem), pe.Error())
		}
		return fail(string(provenance.ProblemSignature), err.Error())
	}
	f.Verified = &verify.ProvenanceResult{SourceRepository: r.SourceRepository, Commit: r.Commit, Ref: r.Ref,
		Workflow: r.Workflow, Builder: r.Builder, Issuer: r.Issuer, PredicateType: r.PredicateType, LogIndex: r.LogIndex}
	return f, nil
}

// trustCmd is `airlock trust update [--from FILE]`: refresh the Sigstore
// trusted root provenance is verified against.
func trustCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "update" {
		fmt.Fprintf(stderr, "airlock trust: only 'update' is supported (got %q)\n\nUsage: airlock trust update [--from trusted_root.json] [--tuf-url URL]\n", argOrNothing(args))
		return exitUsage
	}
	fs := newFlagSet("trust update", "[flags]", stderr)
	from := fs.String("from", "", "install this Sigstore trusted_root.json `file` instead of fetching it through TUF (for machines without access to tuf-repo-cdn.sigstore.dev)")
	mirror := fs.String("tuf-url", "", "Sigstore TUF repository `URL` (default https://tuf-repo-cdn.sigstore.dev)")
	cfgPath := fs.String("config", "", "airlock.toml `file` (default: the project's, then $XDG_CONFIG_HOME/airlock)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath, ".", os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitUsage
	}
	dir := filepath.Join(cacheRoot(cfg), sigstoreDir)
	var data []byte
	source := *from
	if *from != "" {
		data, err = safefile.Read(*from, 1<<20)
		if err != nil {
			fmt.Fprintf(stderr, "airlock trust update: %v\n", err)
			return exitUsage
		}
	} else {
		source = "Sigstore TUF repository"
		if *mirror != "" {
			source += " " + *mirror
		}
		data, err = provenance.FetchTrustedRoot(*mirror, filepath.Join(dir, "tuf"))
		if err != nil {
			fmt.Fprintf(stderr, "airlock trust update: %v\nThe built-in trusted root stays in use. Without access to the TUF repository, download trusted_root.json on a connected machine (for example with `cosign trusted-root create` or from the sigstore/root-signing repository's targets) and run `airlock trust update --from trusted_root.json`.\n", err)
			return exitNetwork
		}
	}
	if err := provenance.InstallTrustedRoot(dir, data); err != nil {
		fmt.Fprintf(stderr, "airlock trust update: %s: %v; nothing was changed\n", source, err)
		return exitVerify
	}
	fmt.Fprintf(stdout, "installed the Sigstore trusted root from %s as %s\n", source, filepath.Join(dir, provenance.TrustedRootFile))
	return exitOK
}
