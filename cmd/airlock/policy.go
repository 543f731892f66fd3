package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/verify"
)

// defaultMetaConcurrency bounds parallel metadata requests when
// airlock.toml sets no concurrency.
const defaultMetaConcurrency = 16

// policyInput is what the install policy is evaluated over.
type policyInput struct {
	cfg        *config.Config
	rc         *npmrc.Config
	projectDir string
	offline    bool
	// vendored: the archives come from a vendor directory (--from), where
	// no registry metadata is to be had; only the lockfile's rules apply.
	vendored bool
	pkgs     []lock.Package
	rep      *reporter
	now      time.Time
}

// checkPolicy evaluates airlock.toml's [policy] for every package before
// anything is downloaded: first the rules the lockfile alone answers (deny,
// allow_sources, weak_hashes), then, only for what those let through and
// only where a rule needs it, the registry metadata (signatures, the
// lockfile agreeing with the registry, release age, a mirror agreeing with
// its origin). Metadata is not package code: fetching it installs nothing.
// Every decision is an event in --json; refusals end the command with each
// one's rule, evidence and override.
func checkPolicy(ctx context.Context, in policyInput) error {
	pol, err := jsPolicy(in.cfg, in.rc)
	if err != nil {
		return err
	}
	// The policy may be the configuration's own: name the lockfile's
	// re-lock command on a copy.
	named := *pol
	named.RelockHint = relockOf(in.rc)
	pol = &named
	var subjects []verify.Subject
	var denied []verify.Decision
	for _, p := range in.pkgs {
		s, ok := policySubject(p, in.rc)
		if !ok {
			continue
		}
		ds := pol.Static(s, npmDenyMatches)
		denied = append(denied, reportDecisions(in.rep, ds)...)
		if len(ds) == 0 || !anyDeny(ds) {
			subjects = append(subjects, s)
		}
	}
	if len(denied) > 0 {
		return policyError(denied, in.pkgs)
	}
	if in.vendored {
		return nil
	}

	// Known vulnerabilities and malware: refusals are listed with the
	// metadata rules' below, so one run shows everything to fix.
	advDenied, err := checkAdvisories(ctx, in, subjects)
	if err != nil {
		return err
	}
	denied = append(denied, advDenied...)

	store, err := newMetaStore(in.cfg, in.rc, in.offline)
	if err != nil {
		return err
	}
	trusts := map[string]verify.RegistryTrust{}
	var registries []string
	for _, s := range subjects {
		if _, ok := trusts[s.Registry]; !ok && s.Source == "registry" {
			trusts[s.Registry] = verify.RegistryTrust{}
			registries = append(registries, s.Registry)
		}
	}
	sort.Strings(registries)
	for _, r := range registries {
		t, err := registryTrust(ctx, in, store, r)
		if err != nil {
			return err
		}
		trusts[r] = t
	}

	type job struct {
		s     verify.Subject
		needs verify.Needs
		facts verify.Facts
	}
	var jobs []*job
	for _, s := range subjects {
		if n := pol.Needs(s, trusts[s.Registry]); n.Any() {
			jobs = append(jobs, &job{s: s, needs: n})
		}
	}
	prov := &provenanceChecker{dir: filepath.Join(cacheRoot(in.cfg), sigstoreDir)}
	g, gctx := errgroup.WithContext(ctx)
	limit := in.cfg.Concurrency
	if limit <= 0 {
		limit = defaultMetaConcurrency
	}
	g.SetLimit(limit)
	for _, j := range jobs {
		g.Go(func() error {
			vm, err := store.VersionMetadata(gctx, j.s.Registry, j.s.Name, j.s.Version, j.needs.Time)
			if err != nil {
				return metadataError(j.s, err)
			}
			j.facts = verify.Facts{Found: vm.Found, Integrity: vm.Integrity, Shasum: vm.Shasum,
				Signatures: vm.Signatures, Published: vm.Published, URL: vm.URL, Deprecated: vm.Deprecated}
			if j.needs.Provenance && vm.Found {
				if j.facts.Provenance, err = prov.facts(gctx, store, j.s, vm); err != nil {
					return err
				}
			}
			if j.needs.Origin {
				origin := trusts[j.s.Registry].Origin
				ovm, err := store.VersionMetadata(gctx, origin, j.s.Name, j.s.Version, false)
				if err != nil {
					return metadataError(j.s, fmt.Errorf("origin %s: %w", origin, err))
				}
				j.facts.OriginFound, j.facts.OriginIntegrity, j.facts.OriginShasum, j.facts.OriginURL = ovm.Found, ovm.Integrity, ovm.Shasum, ovm.URL
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, j := range jobs {
		denied = append(denied, reportDecisions(in.rep, pol.Metadata(j.s, trusts[j.s.Registry], j.facts, in.now))...)
	}
	if len(denied) > 0 {
		return policyError(denied, in.pkgs)
	}
	return nil
}

// policySubject is how policy sees a lockfile entry; entries that are not
// fetched (bundled, links, workspaces) are not its business.
func policySubject(p lock.Package, rc *npmrc.Config) (verify.Subject, bool) {
	s := verify.Subject{Name: p.Name, Version: p.Version, Path: p.Path, Integrity: p.Integrity, Resolved: showSource(p.Resolved)}
	switch p.Source {
	case lock.SourceRegistry:
		s.Source, s.Registry = "registry", rc.RegistryFor(p.Name)
	case lock.SourceGit:
		s.Source = "git"
	case lock.SourceRemote:
		s.Source = "remote"
	case lock.SourceFile:
		s.Source = "file"
	default:
		return s, false
	}
	return s, true
}

// npmDenyMatches reads a deny entry's range as npm semver. The deny list
// is shared with Python, whose PEP 440 ranges npm may not read
// (">=1.0,<1.4"): such a range denies every version of a package it names,
// as an unreadable rule must not let anything through.
func npmDenyMatches(version, rng string) bool {
	if locknpm.ParseRange(rng) != nil {
		return true
	}
	return locknpm.Satisfies(version, rng)
}

func anyDeny(ds []verify.Decision) bool {
	for _, d := range ds {
		if d.Verdict == verify.Deny {
			return true
		}
	}
	return false
}

// reportDecisions emits every decision as a JSON event, prints warnings,
// and returns the refusals.
func reportDecisions(rep *reporter, ds []verify.Decision) []verify.Decision {
	var denied []verify.Decision
	for _, d := range ds {
		rep.decision(d)
		switch d.Verdict {
		case verify.Warn:
			rep.warn(event{Name: d.Name, Version: d.Version, Path: d.Path, Reason: d.Rule, Message: d.String()})
		case verify.Deny:
			denied = append(denied, d)
		}
	}
	return denied
}

// maxListedRefusals caps the refusals spelled out in text: a registry
// that strips signatures fails every package the same way, and hundreds of
// identical paragraphs would bury the first, which says it all.
const maxListedRefusals = 20

// ErrPolicy is matched by every policy refusal.
var ErrPolicy = errors.New("refused by policy")

// policyError lists every refusal with its rule, evidence and override.
func policyError(denied []verify.Decision, pkgs []lock.Package) error {
	label := map[string]string{}
	for _, p := range pkgs {
		if p.Source != lock.SourceRegistry {
			label[p.Path] = fmt.Sprintf(" (%s %s)", p.Source, showSource(p.Resolved))
		}
	}
	seen := map[string]bool{}
	var b strings.Builder
	for i, d := range denied {
		seen[d.Path] = true
		if i == maxListedRefusals {
			fmt.Fprintf(&b, "\n\t... and %d more refusal(s); --json lists every decision", len(denied)-i)
		}
		if i >= maxListedRefusals {
			continue
		}
		fmt.Fprintf(&b, "\n\t%s%s: %s [%s]", d.Path, label[d.Path], d.Message, d.Rule)
		if d.Evidence != "" {
			fmt.Fprintf(&b, "\n\t\tevidence: %s", d.Evidence)
		}
		if d.Override != "" {
			fmt.Fprintf(&b, "\n\t\tto change this: %s", d.Override)
		}
	}
	return withCode(exitVerify, &policyRefusal{fmt.Sprintf("refusing %d package(s) by policy; nothing was downloaded or changed:%s", len(seen), b.String())})
}

// policyRefusal is the error listing policy's refusals.
type policyRefusal struct{ msg string }

func (e *policyRefusal) Error() string        { return e.msg }
func (e *policyRefusal) Is(target error) bool { return target == ErrPolicy }

func metadataError(s verify.Subject, err error) error {
	err = fmt.Errorf("policy needs %s@%s's registry metadata: %w", s.Name, s.Version, err)
	if errors.Is(err, fetch.ErrNoMetadata) {
		return withCode(exitNetwork, err)
	}
	return withCode(classify(err), err)
}

// newMetaStore builds the registry metadata client beside the blob cache.
func newMetaStore(cfg *config.Config, rc *npmrc.Config, offline bool) (*fetch.MetaStore, error) {
	dir := cfg.CacheDir
	if dir == "" {
		dir = cache.DefaultDir(os.Getenv)
	}
	m := &fetch.MetaStore{Dir: dir, Offline: offline}
	if !offline {
		cl, err := newClient(cfg, rc)
		if err != nil {
			return nil, err
		}
		m.Getter = cl
	}
	return m, nil
}

// pinsMu serializes airlock.keys.toml updates within the process.
var pinsMu sync.Mutex

// registryTrust decides which signing keys airlock trusts for registry,
// in this order: keys pinned in airlock.toml's [[registry]]; the keys built
// in for registry.npmjs.org; keys trusted on first use and pinned in
// airlock.keys.toml (a later keys response that differs is refused); or,
// on first contact, the registry's /-/npm/v1/keys, which is then pinned.
func registryTrust(ctx context.Context, in policyInput, store *fetch.MetaStore, registry string) (verify.RegistryTrust, error) {
	t := verify.RegistryTrust{URL: registry}
	conf, configured := in.cfg.RegistryFor(registry)
	if configured && conf.OriginCheck {
		t.Origin = conf.MirrorOf
	}
	if configured && len(conf.Keys) > 0 {
		t.Keys, t.KeysFrom = conf.Keys, "pinned in "+conf.Source+" [[registry]]"
		return t, nil
	}
	if keys := verify.BuiltinKeys(registry); keys != nil {
		t.Keys, t.KeysFrom = keys, "built into airlock (registry.npmjs.org's /-/npm/v1/keys)"
		return t, nil
	}

	pinPath := filepath.Join(in.projectDir, config.KeyPinsFile)
	pinsMu.Lock()
	defer pinsMu.Unlock()
	pins, err := config.LoadKeyPins(pinPath)
	if err != nil {
		return t, withCode(exitUsage, err)
	}
	pin, pinned := pins[registry]
	if pinned && in.offline {
		t.Keys, t.KeysFrom = pin.Keys, "trusted on first use, pinned in "+pinPath
		return t, nil
	}
	keys, published, err := store.RegistryKeys(ctx, registry)
	if err != nil {
		return t, withCode(classify(err), fmt.Errorf("%s: %w", registry, err))
	}
	if pinned {
		if !sameKeys(keys, pin.Keys) {
			return t, withCode(exitVerify, fmt.Errorf("%w: %s now publishes signing keys [%s], but [%s] were pinned in %s on %s; a registry whose keys change could be an impostor or a compromised registry signing with a new key. If the operator confirms a rotation, delete that registry's entry from %s to pin the new keys",
				verify.ErrSignature, registry, keyIDs(keys), keyIDs(pin.Keys), pinPath, pin.Pinned.Format("2006-01-02"), config.KeyPinsFile))
		}
		t.Keys, t.KeysFrom = pin.Keys, "trusted on first use, pinned in "+pinPath
		return t, nil
	}
	if !published {
		in.rep.decision(verify.Decision{Rule: "signatures", Verdict: verify.Info,
			Message:  fmt.Sprintf("registry signatures are not available for %s: it publishes no signing keys", registry),
			Evidence: "GET " + registry + fetch.KeysPath + " answered no keys",
			Override: "set require_signatures = true in [policy] to refuse registries that do not sign"})
		return t, nil
	}
	pins[registry] = config.KeyPin{URL: registry, Pinned: in.now, Keys: keys}
	if err := config.SaveKeyPins(pinPath, pins); err != nil {
		return t, withCode(exitUsage, err)
	}
	d := verify.Decision{Rule: "signatures", Verdict: verify.Warn,
		Message:  fmt.Sprintf("trusting %s's signing keys on first use and pinning them in %s", registry, pinPath),
		Evidence: "keyids " + keyIDs(keys) + " from GET " + registry + fetch.KeysPath,
		Override: "review and commit " + config.KeyPinsFile + ", or pin the keys yourself in a [[registry]] entry of airlock.toml"}
	reportDecisions(in.rep, []verify.Decision{d})
	t.Keys, t.KeysFrom = keys, "trusted on first use, pinned in "+pinPath
	return t, nil
}

func sameKeys(a, b []verify.RegistryKey) bool {
	if len(a) != len(b) {
		return false
	}
	byID := map[string]verify.RegistryKey{}
	for _, k := range b {
		byID[k.KeyID] = k
	}
	for _, k := range a {
		if o, ok := byID[k.KeyID]; !ok || !o.Equal(k) {
			return false
		}
	}
	return true
}

func keyIDs(keys []verify.RegistryKey) string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.KeyID
		if e := k.ExpiresString(); e != "" {
			ids[i] += " (expires " + e + ")"
		}
	}
	return strings.Join(ids, ", ")
}

// decisionEvent is a policy decision in --json output.
type decisionEvent struct {
	Event    string `json:"event"` // "decision"
	Rule     string `json:"rule"`
	Verdict  string `json:"verdict"` // allow, warn, deny, info
	Name     string `json:"name,omitempty"`
	Version  string `json:"version,omitempty"`
	Path     string `json:"path,omitempty"`
	Message  string `json:"message"`
	Evidence string `json:"evidence,omitempty"`
	Override string `json:"override,omitempty"`
}

// decision emits d as a JSON event; text output shows only warnings and
// refusals (printed by their callers).
func (r *reporter) decision(d verify.Decision) {
	if r.onDecision != nil {
		r.onDecision(d)
	}
	r.audit.add(auditlog.Event{Kind: "policy", Package: d.Name, Version: d.Version, Path: d.Path, Result: string(d.Verdict),
		Detail: d.Rule + ": " + d.String()})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json == nil {
		return
	}
	_ = r.json.Encode(decisionEvent{Event: "decision", Rule: d.Rule, Verdict: string(d.Verdict), Name: d.Name, Version: d.Version,
		Path: d.Path, Message: d.Message, Evidence: d.Evidence, Override: d.Override})
}
