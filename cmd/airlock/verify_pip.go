package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/internal/pyinterp"
	vtree "github.com/airlock-dev/airlock/verify/tree"
)

// runVerifyPip is `airlock verify -r FILE | --lock FILE`: the environment's
// files that the lock's wheels install, compared with those wheels laid out
// by pip install's own code in a scratch copy of the environment's layout,
// from the cache alone.
//
// An environment holds more than the lock installs (the interpreter,
// activation scripts, pip itself), so only what the expected install owns
// is compared: each top-level name it puts into site-packages (package
// directories, modules, .dist-info directories), checked whole, and each
// file it puts into the other scheme directories (scripts). __pycache__
// directories are left out: Python writes them when it imports a module.
func runVerifyPip(ctx context.Context, pf *pipFlags, stdout io.Writer, rep *reporter) error {
	pf.offline, pf.noPolicy = true, true
	pp, err := planPip(ctx, pf, true, rep)
	if err != nil {
		// Offline, a network failure can only be something missing
		// from the cache (a wheel, or an index page the plan needs).
		if errors.Is(err, fetch.ErrNotCached) || exitCode(ctx, err) == exitNetwork {
			return withCode(exitUsage, fmt.Errorf("%w\nairlock verify builds the expected tree from the cache only: run `airlock fetch` (or `airlock pip install`) online first", err))
		}
		return err
	}
	if pp.vendor != nil {
		defer pp.vendor.Close()
	}
	scheme, err := resolveScheme(pp.scheme)
	if err != nil {
		return withCode(exitUsage, err)
	}
	base, err := schemeRoot(scheme)
	if err != nil {
		return withCode(exitUsage, err)
	}
	scratch, err := os.MkdirTemp("", "airlock-verify-")
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("making a scratch directory for the expected tree: %w", err))
	}
	defer os.RemoveAll(scratch)
	moved, err := moveScheme(scheme, base, scratch)
	if err != nil {
		return withCode(exitUsage, err)
	}
	// The scratch copy has the directories the environment has, no more:
	// the installer creates what is missing in both the same way.
	real := []string{scheme.Purelib, scheme.Platlib, scheme.Scripts, scheme.Data, scheme.Headers}
	for i, d := range []string{moved.Purelib, moved.Platlib, moved.Scripts, moved.Data, moved.Headers} {
		if fi, err := os.Stat(real[i]); err != nil || !fi.IsDir() {
			continue
		}
		if err := os.MkdirAll(d, 0o777); err != nil {
			return withCode(exitUsage, err)
		}
	}
	quiet := newReporter(io.Discard, io.Discard, false, true)
	var stats installStats
	if _, _, err := pp.installWheels(ctx, moved, &stats, quiet); err != nil {
		var nc *fetch.NotCachedError
		if errors.As(err, &nc) {
			return withCode(exitUsage, fmt.Errorf("%s (%s) is not in the cache, and airlock verify builds the expected tree from the cache only: run `airlock fetch` (or `airlock pip install`) online first", nc.Package, nc.Want))
		}
		return fmt.Errorf("laying out the expected tree: %w", err)
	}

	roots, err := pipRoots(scratch, base, scheme)
	if err != nil {
		return withCode(exitUsage, err)
	}
	workers := pp.cfg.Concurrency
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	want, err := vtree.Scan(scratch, roots, workers)
	if err != nil {
		return err
	}
	got, err := vtree.Scan(base, roots, workers)
	if err != nil {
		return withCode(exitVerify, err)
	}
	siteRoots := map[string]bool{}
	for _, d := range []string{scheme.Purelib, scheme.Platlib} {
		if rel, err := filepath.Rel(base, d); err == nil {
			siteRoots[filepath.ToSlash(rel)] = true
		}
	}
	owned := ownedBy(want, siteRoots)
	got = keep(got, owned)
	want = keep(want, owned)
	diffs := vtree.Compare(want, got)
	return reportTree(stdout, pf.jsonOut, rep, diffs, got, want, "the environment")
}

// resolveScheme follows symlinks in the scheme's directories once (a
// Fedora venv's lib64 -> lib), as the installer does.
func resolveScheme(s pyinterp.Scheme) (pyinterp.Scheme, error) {
	out := s
	for _, p := range []*string{&out.Purelib, &out.Platlib, &out.Scripts, &out.Data, &out.Headers} {
		if *p == "" {
			continue
		}
		if r, err := filepath.EvalSymlinks(*p); err == nil {
			*p = r
		} else if !errors.Is(err, os.ErrNotExist) {
			return s, err
		}
	}
	return out, nil
}

// schemeRoot is the directory every scheme path is beneath.
func schemeRoot(s pyinterp.Scheme) (string, error) {
	common := s.Purelib
	for _, d := range []string{s.Platlib, s.Scripts, s.Data, s.Headers} {
		if d == "" {
			continue
		}
		for common != d && !strings.HasPrefix(d, common+string(filepath.Separator)) {
			parent := filepath.Dir(common)
			if parent == common {
				return "", fmt.Errorf("the environment's directories share no parent but /")
			}
			common = parent
		}
	}
	return common, nil
}

// moveScheme puts s's directories at the same places beneath scratch as
// they are beneath base, so relative paths (RECORD's ../../../bin/x) match.
func moveScheme(s pyinterp.Scheme, base, scratch string) (pyinterp.Scheme, error) {
	out := s
	for _, p := range []*string{&out.Purelib, &out.Platlib, &out.Scripts, &out.Data, &out.Headers} {
		if *p == "" {
			continue
		}
		rel, err := filepath.Rel(base, *p)
		if err != nil || strings.HasPrefix(rel, "..") {
			return s, fmt.Errorf("%s is not beneath %s", *p, base)
		}
		*p = filepath.Join(scratch, rel)
	}
	return out, nil
}

// pipRoots are the scheme directories (relative to base) the expected
// install wrote into.
func pipRoots(scratch, base string, s pyinterp.Scheme) ([]string, error) {
	seen := map[string]bool{}
	var roots []string
	for _, d := range []string{s.Purelib, s.Platlib, s.Scripts, s.Headers} {
		if d == "" {
			continue
		}
		rel, err := filepath.Rel(base, d)
		if err != nil {
			return nil, err
		}
		rel = filepath.ToSlash(rel)
		if rel == "." || seen[rel] {
			continue
		}
		seen[rel] = true
		roots = append(roots, rel)
	}
	sort.Strings(roots)
	// A root inside another (headers beneath data, say) would list its
	// entries twice.
	var out []string
	for _, r := range roots {
		if len(out) > 0 && strings.HasPrefix(r, out[len(out)-1]+"/") {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// ownedBy returns a predicate for the paths the expected install owns:
// beneath a site-packages root, every path under a top-level name the
// expected tree has; elsewhere, exactly the expected paths (and their
// directories). __pycache__ directories are never owned.
func ownedBy(want *vtree.Manifest, siteRoots map[string]bool) func(string) bool {
	top := map[string]bool{}
	exact := map[string]bool{}
	for _, e := range want.Entries {
		exact[e.Path] = true
		for root := range siteRoots {
			if rest, ok := strings.CutPrefix(e.Path, root+"/"); ok {
				name, _, _ := strings.Cut(rest, "/")
				top[root+"/"+name] = true
			}
		}
	}
	return func(p string) bool {
		if strings.Contains("/"+p+"/", "/__pycache__/") {
			return false
		}
		if exact[p] {
			return true
		}
		for t := range top {
			if strings.HasPrefix(p, t+"/") {
				return true
			}
		}
		return false
	}
}

func keep(m *vtree.Manifest, owned func(string) bool) *vtree.Manifest {
	out := &vtree.Manifest{}
	for _, e := range m.Entries {
		if owned(e.Path) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// reportTree prints the digest and the differences (text or JSON events)
// and returns the verification failure, if any.
func reportTree(stdout io.Writer, jsonOut bool, rep *reporter, diffs []vtree.Difference, got, want *vtree.Manifest, what string) error {
	digest, expected := got.Digest(), want.Digest()
	if jsonOut {
		enc := json.NewEncoder(stdout)
		for _, d := range diffs {
			_ = enc.Encode(verifyEvent{Event: "difference", Path: d.Path, Change: string(d.Change), Detail: d.String()})
		}
		_ = enc.Encode(verifyEvent{Event: "tree", Digest: digest, Expected: expected, Entries: len(got.Entries), Diffs: len(diffs)})
	} else {
		fmt.Fprintf(stdout, "tree digest: %s\n", digest)
		for i, d := range diffs {
			if i == maxShownDifferences {
				fmt.Fprintf(stdout, "... and %d more (--json lists every one)\n", len(diffs)-i)
				break
			}
			fmt.Fprintln(stdout, d.String())
		}
	}
	if len(diffs) == 0 {
		rep.audit.add(auditEvent("verify", "ok", "tree digest "+digest))
		return nil
	}
	rep.audit.add(auditEvent("verify", "failed", fmt.Sprintf("tree digest %s, expected %s: %d difference(s)", digest, expected, len(diffs))))
	return withCode(exitVerify, fmt.Errorf("%w: %s differs from what the lockfile's archives produce: %d difference(s); expected tree digest %s\nreinstall to put back what the lockfile says (and review how the tree was changed)", errTreeDiffers, what, len(diffs), expected))
}
