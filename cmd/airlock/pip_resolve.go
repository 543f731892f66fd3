package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/fetch"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/install/wheel"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/internal/pyinterp"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	resolvepypi "github.com/airlock-dev/airlock/resolve/pypi"
	"github.com/airlock-dev/airlock/verify"
)

// resolveIndex is resolve/pypi's view of the configured indexes: file
// lists from the Finder, METADATA through the verified fetch pipeline (so
// that it is cached, content-addressed, and checked like any archive).
type resolveIndex struct {
	finder  *fetchpypi.Finder
	fetcher *fetch.Fetcher
	// scratch holds wheels downloaded only to read their METADATA; they
	// stay in the cache for the install that follows.
	scratch string
}

// Files takes a project's files from the first index that lists it (the
// extra indexes first, then the primary): resolution trusts the index's
// hashes, so a private index's project must not be taken from a public
// index where anyone can publish its name (dependency confusion).
func (ix *resolveIndex) Files(ctx context.Context, name string) ([]fetchpypi.File, error) {
	return ix.finder.FirstIndexFiles(ctx, name)
}

// Metadata reads f's METADATA from the index's PEP 658 file when the index
// declares its sha256, else from the wheel, verified against the index's
// sha256 for it. An index that declares neither gives nothing airlock can
// check, and is refused.
func (ix *resolveIndex) Metadata(ctx context.Context, name string, f fetchpypi.File) ([]byte, error) {
	if sha := f.MetadataHashes["sha256"]; validSHA256(sha) {
		pkg := lock.Package{Ecosystem: lock.PyPI, Name: name, Version: "metadata", Path: f.Filename + ".metadata",
			Source: lock.SourceRegistry, Resolved: f.URL + ".metadata", Integrity: sriSHA256(sha)}
		var buf bytes.Buffer
		_, err := ix.fetcher.Fetch(ctx, pkg, func(r io.Reader) error {
			buf.Reset()
			n, err := io.Copy(&buf, io.LimitReader(r, resolvepypi.MaxMetadataSize+1))
			if err == nil && n > resolvepypi.MaxMetadataSize {
				return fmt.Errorf("%s.metadata is larger than %d bytes", f.Filename, resolvepypi.MaxMetadataSize)
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	sha := f.Hashes["sha256"]
	if !validSHA256(sha) {
		return nil, fmt.Errorf("%s on %s: the index lists no sha256 for the wheel, so airlock cannot check it (an index should list one, as PEP 503 and 691 ask)", f.Filename, f.Index)
	}
	pkg := lock.Package{Ecosystem: lock.PyPI, Name: name, Version: "metadata", Path: f.Filename,
		Source: lock.SourceRegistry, Resolved: f.URL, Integrity: sriSHA256(sha)}
	tmp, err := os.CreateTemp(ix.scratch, "wheel-*.whl")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	_, err = ix.fetcher.Fetch(ctx, pkg, func(r io.Reader) error {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return err
		}
		if err := tmp.Truncate(0); err != nil {
			return err
		}
		_, err := io.Copy(tmp, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Only now, with the digest matched, are the bytes read as a zip.
	return wheelMetadataFile(tmp, f.Filename)
}

// wheelMetadataFile returns <name>-<version>.dist-info/METADATA from a
// verified wheel: the one top-level .dist-info directory, as pip finds it.
func wheelMetadataFile(file *os.File, filename string) ([]byte, error) {
	fi, err := file.Stat()
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(file, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w: not a zip archive: %v", filename, resolvepypi.ErrMetadata, err)
	}
	var found *zip.File
	for _, zf := range zr.File {
		dir, base := path.Split(zf.Name)
		if base == "METADATA" && strings.HasSuffix(dir, ".dist-info/") && strings.Count(dir, "/") == 1 {
			if found != nil {
				return nil, fmt.Errorf("%s: %w: more than one .dist-info/METADATA", filename, resolvepypi.ErrMetadata)
			}
			found = zf
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%s: %w: no .dist-info/METADATA", filename, resolvepypi.ErrMetadata)
	}
	rc, err := found.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", filename, resolvepypi.ErrMetadata, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, resolvepypi.MaxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", filename, resolvepypi.ErrMetadata, err)
	}
	if len(data) > resolvepypi.MaxMetadataSize {
		return nil, fmt.Errorf("%s: %w: METADATA is larger than %d bytes", filename, resolvepypi.ErrMetadata, resolvepypi.MaxMetadataSize)
	}
	return data, nil
}

func validSHA256(h string) bool {
	b, err := hex.DecodeString(h)
	return err == nil && len(b) == 32
}

func sriSHA256(h string) string {
	b, _ := hex.DecodeString(h)
	return "sha256-" + base64.StdEncoding.EncodeToString(b)
}

// requirementsToResolve are the requirements of airlock pip install NAME...
// or airlock pip lock: the command line's, or a requirements.in's.
type requirementsToResolve struct {
	reqs []lockpypi.Requirement
	// lk carries the file's -i / --extra-index-url lines for
	// loadPipConfig.
	lk *lockpypi.Lock
}

// parseResolveArgs reads the requirements to resolve: each argument is a
// PEP 508 requirement ("requests", "requests[socks]>=2.31",
// "tomli; python_version < '3.11'").
func parseResolveArgs(names []string, inFile string) (*requirementsToResolve, error) {
	out := &requirementsToResolve{lk: &lockpypi.Lock{Format: "resolved"}}
	for _, n := range names {
		r, err := lockpypi.ParseRequirement(n)
		if err != nil {
			return nil, withCode(exitUsage, fmt.Errorf("requirement %q: %w", n, err))
		}
		out.reqs = append(out.reqs, r)
	}
	if inFile != "" {
		if err := readRequirementsIn(inFile, out, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readRequirementsIn reads a requirements.in (what pip-compile and pip lock
// -r read): one PEP 508 requirement per line, "#" comments, trailing
// backslashes joining lines, -r/--requirement includes relative to the
// file, and the index options -i/--index-url and --extra-index-url. Any
// other option, a URL or a path is refused: they are not names an index
// can resolve.
func readRequirementsIn(name string, out *requirementsToResolve, stack []string) error {
	for _, s := range stack {
		if s == name {
			return withCode(exitUsage, fmt.Errorf("%s: -r includes itself (through %s)", name, strings.Join(stack, " -> ")))
		}
	}
	if len(stack) >= lockpypi.MaxIncludeDepth {
		return withCode(exitUsage, fmt.Errorf("%s: -r includes nest deeper than %d", name, lockpypi.MaxIncludeDepth))
	}
	data, err := safefile.Read(name, lockpypi.MaxLockSize)
	if err != nil {
		return withCode(exitUsage, err)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\\\n", "")
	for i, line := range strings.Split(text, "\n") {
		where := fmt.Sprintf("%s:%d", name, i+1)
		if j := strings.Index(line, "#"); j == 0 || (j > 0 && (line[j-1] == ' ' || line[j-1] == '\t')) {
			line = line[:j]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "-") {
			opt, val, _ := strings.Cut(strings.Replace(line, "=", " ", 1), " ")
			val = strings.TrimSpace(val)
			switch opt {
			case "-r", "--requirement":
				inc := val
				if !filepath.IsAbs(inc) {
					inc = filepath.Join(filepath.Dir(name), inc)
				}
				if err := readRequirementsIn(inc, out, append(stack, name)); err != nil {
					return err
				}
			case "-i", "--index-url":
				out.lk.IndexURL = os.ExpandEnv(val)
			case "--extra-index-url":
				out.lk.ExtraIndexURLs = append(out.lk.ExtraIndexURLs, os.ExpandEnv(val))
			default:
				return withCode(exitUsage, fmt.Errorf("%s: option %s is not supported in a file to resolve: only -r, -i/--index-url and --extra-index-url are", where, opt))
			}
			continue
		}
		r, err := lockpypi.ParseRequirement(line)
		if err != nil {
			return withCode(exitUsage, fmt.Errorf("%s: %w", where, err))
		}
		out.reqs = append(out.reqs, r)
	}
	return nil
}

// resolvePip resolves the requirements for the interpreter under the
// configured policy and returns them as a lock: one wheel per
// distribution, pinned by the index's sha256.
func resolvePip(ctx context.Context, rr *requirementsToResolve, pp *pipPlan, finder *fetchpypi.Finder, scratch string, rep *reporter) (*lockpypi.Lock, error) {
	ix := &resolveIndex{finder: finder, fetcher: pp.fetcher, scratch: scratch}
	res, err := resolvepypi.Resolve(ctx, ix, rr.reqs, resolvepypi.Options{
		Env: pp.it.Env, Policy: pp.cfg.Policy, Now: time.Now(), Jobs: pp.cfg.Concurrency,
		Installed: pp.installed, Upgrade: pp.upgrade,
	})
	if err != nil {
		return nil, classifyResolveError(err)
	}
	for _, w := range res.Warnings {
		rep.warn(event{Message: w})
	}
	lk := &lockpypi.Lock{Format: "resolved", Environments: []string{environmentMarker(pp.it)}}
	where := map[string]string{}
	for _, d := range pp.installed {
		where[lockpypi.NormalizeName(d.Name)] = d.Where
	}
	for _, p := range res.Pins {
		if p.Installed {
			// Kept as it is: policy's rules on the lock (deny,
			// advisories) still see it; nothing is fetched.
			pp.kept = append(pp.kept, lockpypi.Dist{Name: p.Name, Version: p.Version, Requested: p.Requested,
				Source: fmt.Sprintf("%s==%s (installed in %s)", p.Name, p.Version, where[lockpypi.NormalizeName(p.Name)])})
			continue
		}
		var hashes []lockpypi.Hash
		for _, algo := range []string{"sha256", "sha384", "sha512"} {
			if h, err := lockpypi.ParseHash(algo + ":" + p.Wheel.Hashes[algo]); err == nil {
				hashes = append(hashes, h)
			}
		}
		if len(hashes) == 0 {
			return nil, withCode(exitVerify, fmt.Errorf("%s %s: %s on %s has no sha256 on the index, so airlock cannot pin it", p.Name, p.Version, p.Wheel.Filename, p.Wheel.Index))
		}
		lk.Dists = append(lk.Dists, lockpypi.Dist{
			Name: p.Name, Version: p.Version, Requested: p.Requested, RequiresPython: p.RequiresPython,
			Index: p.Wheel.Index, Source: "resolved from " + p.Wheel.Index,
			Wheels: []lockpypi.Artifact{{Filename: p.Wheel.Filename, URL: p.Wheel.URL, Hashes: hashes, Size: p.Wheel.Size, UploadTime: p.Wheel.UploadTime}},
		})
	}
	return lk, nil
}

// installedDists reads the distributions installed in scheme for the
// resolver. One whose .dist-info or METADATA cannot be read as pip would
// read it is left out (a --json note says why): resolving then installs
// the project afresh, which replaces it.
func installedDists(scheme pyinterp.Scheme, rep *reporter) ([]resolvepypi.Installed, error) {
	dists, skipped, err := wheel.Installed(wheel.Scheme(scheme))
	if err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("reading what is installed: %w", err))
	}
	var out []resolvepypi.Installed
	for _, d := range dists {
		m, err := resolvepypi.ParseMetadata(d.Metadata)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: %v", filepath.Join(d.Dir, d.DistInfo), err))
			continue
		}
		out = append(out, resolvepypi.Installed{Name: d.Name, Version: d.Version, Metadata: m, Where: d.Dir})
	}
	for _, s := range skipped {
		rep.note(event{Message: "not counted as installed (the install replaces it if its project is resolved): " + s})
	}
	return out, nil
}

// upgradeMode is pip's upgrade strategy: without -U none ("to-satisfy-
// only"); --upgrade-strategy matters only with -U, as in pip.
func upgradeMode(f *pipFlags) resolvepypi.Upgrade {
	switch {
	case !f.upgrade:
		return resolvepypi.UpgradeNone
	case f.upgradeStrategy == "eager":
		return resolvepypi.UpgradeEager
	}
	return resolvepypi.UpgradeRequested
}

// environmentMarker describes the interpreter a resolution was made for,
// as pylock.toml's environments: the lock installs only where it holds.
func environmentMarker(it *pyinterp.Interpreter) string {
	var parts []string
	for _, k := range []string{"implementation_name", "python_version", "sys_platform", "platform_machine"} {
		if v, ok := it.Env.Markers[k]; ok {
			parts = append(parts, fmt.Sprintf("%s == %s", k, quoteMarker(v)))
		}
	}
	return strings.Join(parts, " and ")
}

func quoteMarker(v string) string {
	if strings.Contains(v, `"`) {
		return "'" + v + "'"
	}
	return `"` + v + `"`
}

// classifyResolveError picks the exit code of a failed resolution: a
// refusal (policy, conflict, sdist-only, bad metadata) is 1, a name no
// index knows 2, index trouble as for a lookup.
func classifyResolveError(err error) error {
	switch {
	case errors.Is(err, resolvepypi.ErrPolicy):
		return withCode(exitVerify, fmt.Errorf("refusing by policy; nothing was downloaded or changed: %w", err))
	case errors.Is(err, resolvepypi.ErrConflict), errors.Is(err, resolvepypi.ErrMetadata), errors.Is(err, resolvepypi.ErrTooComplex),
		errors.Is(err, verify.ErrIntegrity):
		return withCode(exitVerify, err)
	case errors.Is(err, resolvepypi.ErrNotFound), errors.Is(err, lockpypi.ErrBadMarker):
		return withCode(exitUsage, err)
	}
	return classifyPipLookupError(err)
}

// resolve runs the resolver with a scratch directory for the wheels it
// reads METADATA from (they stay in the cache for the install).
func (pp *pipPlan) resolve(ctx context.Context, rr *requirementsToResolve, ff *fetchpypi.Finder, rep *reporter) (*lockpypi.Lock, error) {
	scratch, err := os.MkdirTemp("", "airlock-resolve-")
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	defer os.RemoveAll(scratch)
	return resolvePip(ctx, rr, pp, ff, scratch, rep)
}

// parseInterleaved parses flags and positional arguments in any order, as
// pip does ("pip install requests -t dir"); the flag package alone stops
// at the first positional argument.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			// Everything after "--" is positional.
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

const pipLockSynopsis = "[-r requirements.in | NAME[==V|specifier][extras]...] [-o pylock.toml] [flags]"

// registerLock defines airlock pip lock's flags.
func (f *pipFlags) registerLock(fs *flag.FlagSet) {
	fs.StringVar(&f.resolveIn, "r", "", "a requirements.in `file` to resolve (PEP 508 lines, -r includes, -i/--extra-index-url)")
	fs.StringVar(&f.resolveIn, "requirement", "", "same as -r")
	fs.StringVar(&f.output, "o", "pylock.toml", "the pylock.toml `file` to write (pylock.toml or pylock.NAME.toml)")
	fs.StringVar(&f.output, "output", "pylock.toml", "same as -o")
	fs.StringVar(&f.python, "python", "", "the `interpreter` to resolve for (default: $VIRTUAL_ENV/bin/python, else python3)")
	fs.StringVar(&f.indexURL, "index-url", "", "the package index `URL` (overrides pip.conf and PIP_INDEX_URL)")
	fs.StringVar(&f.indexURL, "i", "", "same as --index-url")
	fs.Var(&f.extraIndexURLs, "extra-index-url", "another index `URL` to look at (repeatable)")
	fs.Var(&f.trustedHosts, "trusted-host", "refused: airlock never turns certificate checks off")
	fs.StringVar(&f.cert, "cert", "", "a PEM CA bundle `file` trusted in addition to the system roots")
	fs.StringVar(&f.clientCert, "client-cert", "", "a PEM `file` with a client certificate and its key, presented to the index hosts")
	fs.BoolVar(&f.offline, "offline", false, "use only the cache (index pages and metadata read before)")
	fs.BoolVar(&f.noRemoteCache, "no-remote-cache", false, "do not use airlock.toml's [cache] remote for this run")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON event per line instead of text")
	fs.BoolVar(&f.quiet, "quiet", false, "print only warnings and errors")
	fs.BoolVar(&f.quiet, "q", false, "same as --quiet")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
}

// runPipLock resolves and writes a pylock.toml; nothing is installed.
func runPipLock(ctx context.Context, f *pipFlags, rep *reporter) error {
	began := time.Now()
	if len(f.names) == 0 && f.resolveIn == "" {
		return withCode(exitUsage, errors.New("nothing to lock: name the requirements (airlock pip lock requests 'flask>=3'), or give a requirements.in with -r"))
	}
	base := filepath.Base(f.output)
	if base != "pylock.toml" && !(strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml") && strings.Count(base, ".") == 2) {
		return withCode(exitUsage, fmt.Errorf("-o %s: PEP 751 names lock files pylock.toml or pylock.NAME.toml", f.output))
	}
	pp, err := planPip(ctx, f, false, rep)
	if err != nil {
		return err
	}
	defer finishRemoteCache(pp.fetcher, rep)
	data, err := lockpypi.WritePylock(pp.resolved, "airlock")
	if err != nil {
		return withCode(exitVerify, err)
	}
	if err := writeFileAtomic(f.output, data); err != nil {
		return withCode(exitUsage, err)
	}
	n := len(pp.resolved.Dists)
	var names []string
	for _, d := range pp.resolved.Dists {
		names = append(names, d.Name+"=="+d.Version)
	}
	lines := []string{fmt.Sprintf("locked %d packages into %s (for %s) in %s", n, f.output, pp.resolved.Environments[0], time.Since(began).Round(10*time.Millisecond))}
	if n > 0 {
		lines = append(lines, strings.Join(names, " "))
	}
	rep.done(event{Packages: n, Seconds: time.Since(began).Seconds()}, lines)
	rep.audit.add(auditlog.Event{Kind: "lock", Result: "ok", Detail: "pip lock wrote " + f.output + ": " + strings.Join(names, " ")})
	return nil
}

// writeFileAtomic replaces name with data through a temp file in the same
// directory, so that a reader never sees half a lock.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".airlock-tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}
