package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/cache"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/fetch/store"
	"github.com/airlock-dev/airlock/verify"
)

const cacheUsage = `usage: airlock cache path
       airlock cache verify [--json]                 re-hash every blob and extracted store entry, check the metadata caches; remove (and list) what fails, and debris
       airlock cache gc --older-than 30d [--json]    remove blobs, store entries and cached metadata unused for that long`

func cacheCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, cacheUsage)
		return exitUsage
	}
	fs := newFlagSet("cache "+args[0], "[flags]", stderr)
	jsonOut := fs.Bool("json", false, "print one JSON event per line instead of text")
	configFile := fs.String("config", "", "airlock.toml to use instead of the project's or the user's")
	var olderThan string
	if args[0] == "gc" {
		fs.StringVar(&olderThan, "older-than", "", "remove blobs no install has used for this `age` (30d, 12h; required)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock cache %s: unexpected argument %q\n%s\n", args[0], fs.Arg(0), cacheUsage)
		return exitUsage
	}
	cwd, _ := os.Getwd()
	cfg, err := config.Load(*configFile, cwd, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitUsage
	}
	dir := cfg.CacheDir
	if dir == "" {
		dir = cache.DefaultDir(os.Getenv)
	}
	switch args[0] {
	case "path":
		fmt.Fprintln(stdout, dir)
		return exitOK
	case "verify", "gc":
	default:
		fmt.Fprintf(stderr, "airlock cache: unknown subcommand %q\n%s\n", args[0], cacheUsage)
		return exitUsage
	}
	rep := newReporter(stdout, stderr, *jsonOut, false)
	var age time.Duration
	if args[0] == "gc" {
		if olderThan == "" {
			rep.fail(errors.New("airlock cache gc needs --older-than AGE (for example 30d): blobs no install has read for that long are removed"), exitUsage)
			return exitUsage
		}
		if age, err = verify.ParseAge(olderThan); err != nil || age <= 0 {
			if err == nil {
				err = errors.New("must be more than 0")
			}
			rep.fail(fmt.Errorf("--older-than %s: %v", olderThan, err), exitUsage)
			return exitUsage
		}
	}
	c, err := cache.Open(dir)
	if err != nil {
		rep.fail(err, exitUsage)
		return exitUsage
	}
	defer c.Close()
	report := func(a cache.Action) {
		e := event{Path: a.Path, Reason: a.Reason, Bytes: a.Bytes}
		if a.Err != nil {
			e.Message = a.Err.Error()
			rep.warn(event{Path: a.Path, Reason: a.Reason, Message: fmt.Sprintf("%s: %s, but %v", a.Path, a.Reason, a.Err)})
			return
		}
		rep.removed(e, fmt.Sprintf("removed %s (%s)", a.Path, a.Reason))
	}
	var sum cache.Summary
	if args[0] == "verify" {
		rep.start("cache verify", 0)
		sum, err = c.VerifyAll(ctx, report)
	} else {
		rep.start("cache gc", 0)
		sum, err = c.GC(ctx, age, report)
	}
	if err != nil {
		code := exitCode(ctx, withCode(exitUsage, err))
		rep.fail(err, code)
		return code
	}
	// The extracted store beside the blobs (cmd/airlock/store.go).
	ssum, storeLine, err := maintainStore(ctx, cfg, c, age, func(a store.Action) { report(cache.Action(a)) })
	if err != nil {
		code := exitCode(ctx, withCode(exitUsage, err))
		rep.fail(fmt.Errorf("extracted store: %w", err), code)
		return code
	}
	// The metadata caches beside them: each file is capped, their number
	// is not, so gc ages them out and verify removes what is malformed.
	msum, err := maintainSideCaches(ctx, c.Dir(), age, report)
	if err != nil {
		code := exitCode(ctx, withCode(exitUsage, err))
		rep.fail(err, code)
		return code
	}
	e := event{Packages: sum.Blobs, Bytes: sum.Bytes, Removed: sum.Removed, RemovedBytes: sum.RemovedBytes}
	var line string
	if args[0] == "verify" {
		line = fmt.Sprintf("verified %d blobs (%s) in %s: removed %d entries (%s)", sum.Blobs, humanBytes(sum.Bytes), c.Dir(), sum.Removed, humanBytes(sum.RemovedBytes))
	} else {
		line = fmt.Sprintf("kept %d of %d blobs in %s: removed %d unused for %s (%s freed)", sum.Blobs-sum.Removed, sum.Blobs, c.Dir(), sum.Removed, olderThan, humanBytes(sum.RemovedBytes))
	}
	lines := []string{line}
	if storeLine != "" {
		lines = append(lines, storeLine)
	}
	if msum.Blobs+msum.Removed > 0 {
		if args[0] == "verify" {
			lines = append(lines, fmt.Sprintf("checked %d cached index pages, provenance objects and advisory answers (%s): removed %d entries", msum.Blobs, humanBytes(msum.Bytes), msum.Removed))
		} else {
			lines = append(lines, fmt.Sprintf("kept %d of %d cached index pages, provenance objects and advisory answers: removed %d unused for %s (%s freed)", msum.Blobs-msum.Removed, msum.Blobs, msum.Removed, olderThan, humanBytes(msum.RemovedBytes)))
		}
	}
	rep.done(e, lines)
	sum.Failed += ssum.Failed + msum.Failed
	if sum.Failed > 0 {
		rep.fail(fmt.Errorf("%d entries could not be removed (see the warnings above)", sum.Failed), exitVerify)
		return exitVerify
	}
	return exitOK
}

// maintainSideCaches runs cache gc (olderThan > 0) or cache verify over the
// flat metadata caches under the cache root: PyPI index pages
// (fetch/pypi.PageCache), PEP 740 provenance objects
// (fetch/pypi.ProvenanceCache) and the registries' bulk advisory answers
// (advisories.go). The imported OSV database beside the bulk answers is
// not a cache entry and is never looked at.
func maintainSideCaches(ctx context.Context, root string, olderThan time.Duration, report func(cache.Action)) (cache.Summary, error) {
	sides := []struct {
		dir string
		max int64
	}{
		{filepath.Join(root, "pypi-simple"), fetchpypi.MaxPageBytes},
		{filepath.Join(root, "pypi-provenance"), fetchpypi.MaxProvenanceBytes},
		{filepath.Join(root, advisoriesDir, "bulk"), maxBulkResponse},
	}
	var total cache.Summary
	for _, sd := range sides {
		var sum cache.Summary
		var err error
		if olderThan > 0 {
			sum, err = cache.GCDir(ctx, sd.dir, olderThan, report)
		} else {
			sum, err = cache.VerifyDir(ctx, sd.dir, sd.max, report)
		}
		total.Blobs += sum.Blobs
		total.Bytes += sum.Bytes
		total.Removed += sum.Removed
		total.RemovedBytes += sum.RemovedBytes
		total.Failed += sum.Failed
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
