package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/lockdiff"
	"github.com/airlock-dev/airlock/internal/safefile"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
	"github.com/airlock-dev/airlock/lock/pypi"
	lockberry "github.com/airlock-dev/airlock/lock/yarnberry"
	"github.com/airlock-dev/airlock/verify"
)

// maxDiffPackument caps one full packument read for registry facts (the
// largest real ones, with thousands of versions, are tens of MB).
const maxDiffPackument = 128 << 20

// diffReport is `airlock diff --json`.
type diffReport struct {
	Old     string            `json:"old"`
	New     string            `json:"new"`
	Summary lockdiff.Summary  `json:"summary"`
	Changes []lockdiff.Change `json:"changes"`
	// RegistryChecked says whether registry facts were looked up
	// (not with --offline, and only for npm registry packages).
	RegistryChecked bool     `json:"registry_checked"`
	Warnings        []string `json:"warnings,omitempty"`
}

// lockDiffCmd is `airlock diff OLD NEW` and `airlock diff --git REF [LOCKFILE]`.
func lockDiffCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("diff", "OLD NEW | --git REF [LOCKFILE]", stderr)
	gitRef := fs.String("git", "", "compare the lockfile as committed at this git `ref` with the working tree")
	dir := fs.String("dir", ".", "project `directory` (its lockfile for --git; its .npmrc and airlock.toml for registry facts)")
	jsonOut := fs.Bool("json", false, "print one JSON document instead of text")
	offline := fs.Bool("offline", false, "do not ask the registry for release times, publishers and provenance")
	configFile := fs.String("config", "", "airlock.toml to use instead of the project's or the user's")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	rep := newReporter(stdout, stderr, false, true)
	var oldName, newName string
	var oldData, newData []byte
	var err error
	switch {
	case *gitRef != "" && fs.NArg() <= 1:
		newName = fs.Arg(0)
		if newName == "" {
			if newName, err = findLockfile(*dir); err != nil {
				rep.fail(err, exitUsage)
				return exitUsage
			}
		} else if !filepath.IsAbs(newName) {
			newName = filepath.Join(*dir, newName)
		}
		oldName = *gitRef + ":" + filepath.Base(newName)
		if newData, err = readLockfileBytes(newName); err == nil {
			oldData, err = gitShow(ctx, filepath.Dir(newName), *gitRef, filepath.Base(newName))
		}
	case *gitRef == "" && fs.NArg() == 2:
		oldName, newName = fs.Arg(0), fs.Arg(1)
		if oldData, err = readLockfileBytes(oldName); err == nil {
			newData, err = readLockfileBytes(newName)
		}
	default:
		fmt.Fprintf(stderr, "usage: airlock diff OLD NEW | airlock diff --git REF [LOCKFILE]\n")
		return exitUsage
	}
	if err != nil {
		rep.fail(withCode(exitUsage, err), exitUsage)
		return exitUsage
	}
	err = runLockDiff(ctx, lockDiffInput{oldName: oldName, newName: newName, oldData: oldData, newData: newData,
		dir: *dir, configFile: *configFile, offline: *offline, jsonOut: *jsonOut}, stdout, stderr)
	code := exitCode(ctx, err)
	if err != nil {
		rep.fail(err, code)
	}
	return code
}

type lockDiffInput struct {
	oldName, newName string
	oldData, newData []byte
	dir, configFile  string
	offline, jsonOut bool
}

// findLockfile is the lockfile of the project in dir: the JavaScript one
// findJSLock chooses, else pylock.toml or uv.lock.
func findLockfile(dir string) (string, error) {
	l, err := findJSLock(dir)
	if err == nil {
		return filepath.Join(dir, l.name), nil
	}
	var none errNoJSLock
	if !errors.As(err, &none) {
		return "", err
	}
	for _, n := range []string{"pylock.toml", "uv.lock"} {
		if st, err := os.Stat(filepath.Join(dir, n)); err == nil && st.Mode().IsRegular() {
			return filepath.Join(dir, n), nil
		}
	}
	return "", withCode(exitUsage, fmt.Errorf("no lockfile (package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, bun.lock, yarn.lock, pylock.toml, uv.lock) in %s: name the one to compare", dir))
}

func readLockfileBytes(name string) ([]byte, error) {
	data, err := safefile.Read(name, locknpm.MaxLockfileSize)
	if err != nil {
		return nil, fmt.Errorf("reading lockfile: %w", err)
	}
	return data, nil
}

// gitShow reads name as committed at ref, from the repository dir is in.
// Only --git needs git; a missing git or an unknown ref is a usage error.
func gitShow(ctx context.Context, dir, ref, name string) ([]byte, error) {
	if strings.HasPrefix(ref, "-") {
		return nil, fmt.Errorf("--git %q: a ref cannot start with '-'", ref)
	}
	cmd := exec.CommandContext(ctx, "git", "show", ref+":./"+name)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("--git needs git on PATH: %w", err)
		}
		return nil, fmt.Errorf("git show %s:./%s in %s: %v: %s", ref, name, dir, err, strings.TrimSpace(errb.String()))
	}
	if out.Len() > locknpm.MaxLockfileSize {
		return nil, fmt.Errorf("%s at %s is over the lockfile size limit", name, ref)
	}
	return out.Bytes(), nil
}

// parseAnyLock turns a lockfile's bytes into packages, choosing the format
// by file name: pylock*.toml and uv.lock are Python locks, *pnpm-lock.yaml
// (or a YAML document that starts as pnpm's do) pnpm's, bun.lock bun's,
// yarn.lock yarn's (1 or 2+, by its content), anything else an npm
// lockfile. For a pnpm lockfile it also returns the patches by
// package key (pnpmDiffPackages).
func parseAnyLock(name string, data []byte) ([]lock.Package, lock.Ecosystem, map[string]string, error) {
	base := filepath.Base(name)
	if i := strings.LastIndexByte(base, ':'); i >= 0 { // REF:file
		base = base[i+1:]
	}
	var pl *pypi.Lock
	var err error
	switch {
	case strings.HasSuffix(base, bunLockfile):
		pkgs, err := bunDiffPackages(data)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", name, err)
		}
		return pkgs, lock.NPM, nil, nil
	case strings.HasSuffix(base, yarnLockfile) || lockberry.IsBerry(data) || bytes.Contains(data[:min(len(data), 512)], []byte("# yarn lockfile v1")):
		parse := yarnClassicDiffPackages
		if lockberry.IsBerry(data) {
			parse = berryDiffPackages
		}
		pkgs, err := parse(data)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", name, err)
		}
		return pkgs, lock.NPM, nil, nil
	case strings.HasSuffix(base, pnpmLockfile) || bytes.HasPrefix(data, []byte("lockfileVersion:")):
		lf, err := lockpnpm.Parse(data)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", name, err)
		}
		pkgs, patches := pnpmDiffPackages(lf)
		return pkgs, lock.NPM, patches, nil
	case base == "uv.lock":
		pl, err = pypi.ParseUVLock(data, pypi.UVOptions{})
	case strings.HasPrefix(base, "pylock") && strings.HasSuffix(base, ".toml"):
		pl, err = pypi.ParsePylock(data)
	default:
		lf, err := locknpm.Parse(data)
		if err != nil {
			return nil, "", nil, fmt.Errorf("%s: %w", name, err)
		}
		return lf.Packages, lock.NPM, nil, nil
	}
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", name, err)
	}
	var pkgs []lock.Package
	for _, d := range pl.Dists {
		var hashes []pypi.Hash
		hashes = append(hashes, d.Hashes...)
		for _, w := range d.Wheels {
			hashes = append(hashes, w.Hashes...)
		}
		if d.Sdist != nil {
			hashes = append(hashes, d.Sdist.Hashes...)
		}
		p := lock.Package{Ecosystem: lock.PyPI, Name: d.Name, Version: d.Version, Integrity: pypi.Integrity(hashes)}
		if len(d.Wheels) > 0 && d.Wheels[0].URL != "" {
			p.Resolved = d.Wheels[0].URL
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, lock.PyPI, nil, nil
}

func runLockDiff(ctx context.Context, in lockDiffInput, stdout, stderr io.Writer) error {
	oldPkgs, oldEco, oldPatches, err := parseAnyLock(in.oldName, in.oldData)
	if err != nil {
		return withCode(exitUsage, err)
	}
	newPkgs, newEco, newPatches, err := parseAnyLock(in.newName, in.newData)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if oldEco != newEco {
		return withCode(exitUsage, fmt.Errorf("%s is a %s lock and %s a %s lock: compare lockfiles of one ecosystem", in.oldName, oldEco, in.newName, newEco))
	}
	report := diffReport{Old: in.oldName, New: in.newName, Changes: lockdiff.Diff(oldPkgs, newPkgs)}
	report.Changes = addPatchChanges(report.Changes, oldPatches, newPatches, oldPkgs, newPkgs)
	if report.Changes == nil {
		report.Changes = []lockdiff.Change{}
	}
	if newEco == lock.NPM {
		dir, err := filepath.Abs(in.dir)
		if err != nil {
			return withCode(exitUsage, err)
		}
		cfg, err := config.Load(in.configFile, dir, os.Getenv)
		if err != nil {
			return withCode(exitUsage, err)
		}
		rc, err := npmrc.Load(dir, os.Environ())
		if err != nil {
			return withCode(exitUsage, err)
		}
		if !in.offline {
			warnings, err := addRegistryFacts(ctx, cfg, rc, report.Changes)
			if err != nil {
				return err
			}
			report.RegistryChecked, report.Warnings = true, warnings
		}
		notes, err := addDiffAdvisories(ctx, cfg, rc, in.offline, report.Changes)
		if err != nil {
			return err
		}
		report.Warnings = append(report.Warnings, notes...)
	}
	report.Summary = lockdiff.Summarize(report.Changes)
	if in.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	for _, w := range report.Warnings {
		fmt.Fprintf(stderr, "airlock: warning: %s\n", w)
	}
	fmt.Fprintf(stdout, "%s -> %s\n", in.oldName, in.newName)
	return lockdiff.WriteText(stdout, report.Changes)
}

// addRegistryFacts asks each added or changed registry package's registry
// for its full packument and fills in Change.Registry. A package the
// registry cannot tell about gets a warning, not a failure: the rest of the
// diff is still worth reading.
func addRegistryFacts(ctx context.Context, cfg *config.Config, rc *npmrc.Config, changes []lockdiff.Change) ([]string, error) {
	store, err := newMetaStore(cfg, rc, false)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	var warnings []string
	warn := make([]string, len(changes))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(defaultMetaConcurrency)
	for i := range changes {
		c := &changes[i]
		if c.New == nil || c.New.Source != lock.SourceRegistry.String() {
			continue
		}
		if c.Kind == lockdiff.Changed && c.Old.Version == c.New.Version && c.Old.Name == c.New.Name && !c.Suspicious() {
			continue // nothing new was published
		}
		g.Go(func() error {
			oldVersion := ""
			if c.Old != nil && c.Old.Name == c.New.Name && c.Old.Version != c.New.Version {
				oldVersion = c.Old.Version
			}
			u := fetch.PackumentURLAt(rc.RegistryFor(c.New.Name), c.New.Name)
			body, _, err := store.Get(gctx, u, "application/json", maxDiffPackument)
			if err == nil {
				c.Registry, err = lockdiff.Packument(body, oldVersion, c.New.Version, now)
			}
			if err != nil {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				warn[i] = fmt.Sprintf("%s@%s: no registry facts: %v", c.New.Name, c.New.Version, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range changes {
		flagRegistryScript(&changes[i])
	}
	for _, w := range warn {
		if w != "" {
			warnings = append(warnings, w)
		}
	}
	sort.Strings(warnings)
	return warnings, nil
}

// flagRegistryScript flags a change whose new version's registry manifest
// declares install scripts that the lockfile does not show (yarn
// lockfiles never record them) and that the old version did not have.
func flagRegistryScript(c *lockdiff.Change) {
	if c.Registry == nil || !c.Registry.InstallScript || c.New.HasInstallScript || slices.Contains(c.Flags, lockdiff.NewInstallScript) {
		return
	}
	if c.Old != nil && c.Old.Name == c.New.Name && (c.Old.HasInstallScript || c.Old.Version == c.New.Version || c.Registry.OldInstallScript) {
		return
	}
	c.Flags = append(c.Flags, lockdiff.NewInstallScript)
	c.Notes = append(c.Notes, "the registry's manifest of this version declares install scripts (the lockfile does not record them)")
}

// addDiffAdvisories matches each added or changed registry package's new
// and old versions against the advisories the install policy uses (the
// imported OSV database and the registry's bulk endpoint; offline, the
// stored answer) and returns what could not be consulted, so that "no
// advisories" is never claimed where none were available.
func addDiffAdvisories(ctx context.Context, cfg *config.Config, rc *npmrc.Config, offline bool, changes []lockdiff.Change) ([]string, error) {
	subject := func(e *lockdiff.Entry) verify.Subject {
		return verify.Subject{Name: e.Name, Version: e.Version, Source: "registry", Registry: rc.RegistryFor(e.Name)}
	}
	var subjects []verify.Subject
	for _, c := range changes {
		if c.New == nil || c.New.Source != lock.SourceRegistry.String() {
			continue
		}
		subjects = append(subjects, subject(c.New))
		if c.Old != nil && c.Old.Source == lock.SourceRegistry.String() {
			subjects = append(subjects, subject(c.Old))
		}
	}
	if len(subjects) == 0 {
		return nil, nil
	}
	src, err := gatherAdvisories(ctx, cfg, rc, offline, subjects)
	if err != nil {
		return nil, err
	}
	conv := func(as []verify.Advisory) []lockdiff.Advisory {
		var out []lockdiff.Advisory
		for _, a := range as {
			out = append(out, lockdiff.Advisory{ID: a.ID, Severity: a.Severity, Summary: a.Summary, Malware: a.Malware, URL: a.URL})
		}
		return out
	}
	for i := range changes {
		c := &changes[i]
		if c.New == nil || c.New.Source != lock.SourceRegistry.String() {
			continue
		}
		var old []lockdiff.Advisory
		if c.Old != nil && c.Old.Source == lock.SourceRegistry.String() {
			old = conv(src.lookup(subject(c.Old)))
		}
		c.AddAdvisories(conv(src.lookup(subject(c.New))), old)
	}
	var notes []string
	for _, d := range src.notes {
		notes = append(notes, "advisories: "+d.String())
	}
	return notes, nil
}

// pnpmDiffPackages lists a pnpm lockfile's packages for airlock diff. pnpm
// has no install paths to match packages by, so a package is keyed by its
// name when the lockfile holds one version of it (an upgrade is then a
// change from one version to the other) and by name@version when it holds
// several. Peer-dependency variants of one version are one package.
func pnpmDiffPackages(lf *lockpnpm.Lockfile) ([]lock.Package, map[string]string) {
	patches := map[string]string{}
	versions := map[string]map[string]bool{}
	byKey := map[string]*lockpnpm.Entry{}
	for _, e := range lf.Entries {
		if versions[e.Name] == nil {
			versions[e.Name] = map[string]bool{}
		}
		versions[e.Name][e.Version] = true
		// Variants differ only in peers; one that is not optional
		// makes the package required.
		if prev := byKey[e.Key]; prev == nil || prev.Optional && !e.Optional {
			byKey[e.Key] = e
		}
	}
	var pkgs []lock.Package
	for _, e := range byKey {
		key := e.Name
		if len(versions[e.Name]) > 1 {
			key = e.Key
		}
		pkgs = append(pkgs, e.Package(key))
		if pt, ok := lf.Patches[e.PatchHash]; ok {
			patches[key] = pt.Path + " (hash " + pt.Hash + ")"
		}
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return pkgs, patches
}

// patchChanged flags a pnpm package whose patchedDependencies patch was
// added, removed or changed: new code in the installed tree that the
// package's version and integrity do not show.
const patchChanged lockdiff.Flag = "patch-changed"

// addPatchChanges notes patch changes (pnpm lockfiles: key → patch) on
// the changes, adding a change for a package only its patch changed.
func addPatchChanges(changes []lockdiff.Change, oldPatches, newPatches map[string]string, oldPkgs, newPkgs []lock.Package) []lockdiff.Change {
	if len(oldPatches) == 0 && len(newPatches) == 0 {
		return changes
	}
	entry := func(p lock.Package) *lockdiff.Entry {
		return &lockdiff.Entry{Name: p.Name, Version: p.Version, Source: p.Source.String(), Resolved: p.Resolved, Integrity: p.Integrity,
			HasInstallScript: p.HasInstallScript, Optional: p.Optional}
	}
	oldBy, newBy := map[string]lock.Package{}, map[string]lock.Package{}
	for _, p := range oldPkgs {
		oldBy[p.Path] = p
	}
	for _, p := range newPkgs {
		newBy[p.Path] = p
	}
	index := map[string]int{}
	for i, c := range changes {
		index[c.Key] = i
	}
	for _, key := range slices.Sorted(maps.Keys(newBy)) {
		was, now := oldPatches[key], newPatches[key]
		if was == now {
			continue
		}
		note := "patched with " + now
		switch {
		case now == "":
			note = "no longer patched (was " + was + ")"
		case was != "":
			note = "patch changed: " + was + " -> " + now
		}
		i, ok := index[key]
		if !ok {
			o, had := oldBy[key]
			if !had {
				continue // added: the patch is part of what is new
			}
			changes = append(changes, lockdiff.Change{Kind: lockdiff.Changed, Key: key, Old: entry(o), New: entry(newBy[key])})
			i = len(changes) - 1
		}
		changes[i].Flags = append(changes[i].Flags, patchChanged)
		changes[i].Notes = append(changes[i].Notes, note)
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Key < changes[j].Key })
	return changes
}
