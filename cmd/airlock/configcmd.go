package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/npmrc"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	"github.com/airlock-dev/airlock/verify"
)

const configUsage = `usage: airlock config explain [--dir DIR] [--config FILE] [--json]
       print every effective setting and the file, line or variable it came from`

// explainedSetting is one effective setting and where it came from.
type explainedSetting struct {
	Section string `json:"section"`
	Name    string `json:"name"`
	Value   string `json:"value"`
	From    string `json:"from"`
}

// explanation is `airlock config explain --json`.
type explanation struct {
	Project    string             `json:"project"`
	ConfigFile string             `json:"config_file,omitempty"`
	Settings   []explainedSetting `json:"settings"`
	NativeRead []string           `json:"native_files,omitempty"`
	NpmrcFiles []npmrc.Layer      `json:"npmrc_layers"`
	PipFiles   []string           `json:"pip_files,omitempty"`
	Notes      []string           `json:"notes,omitempty"`
}

func configCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "explain" {
		fmt.Fprintln(stderr, configUsage)
		return exitUsage
	}
	fs := newFlagSet("config explain", "[flags]", stderr)
	dir := fs.String("dir", ".", "the project `directory` to explain")
	configFile := fs.String("config", "", "airlock.toml to use instead of the project's or the user's")
	jsonOut := fs.Bool("json", false, "print one JSON object instead of text")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock config explain: unexpected argument %q\n%s\n", fs.Arg(0), configUsage)
		return exitUsage
	}
	ex, err := explainConfig(*dir, *configFile)
	if err != nil {
		fmt.Fprintf(stderr, "airlock: %v\n", err)
		return exitCode(context.Background(), err)
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ex); err != nil {
			return exitUsage
		}
		return exitOK
	}
	printExplanation(stdout, ex)
	return exitOK
}

// explainConfig loads the configuration an install in dir would use, the
// same way (config.Load, npmrc.Load, PolicyFor), and lists it.
func explainConfig(dir, configFile string) (*explanation, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load(configFile, abs, os.Getenv)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	rc, err := npmrc.Load(abs, os.Environ())
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	ignoreNativeScripts(cfg, rc)
	ex := &explanation{Project: abs, ConfigFile: cfg.File, NpmrcFiles: rc.Layers(), NativeRead: cfg.Native.Read}
	add := func(section, name, value, from string) {
		ex.Settings = append(ex.Settings, explainedSetting{Section: section, Name: name, Value: value, From: from})
	}
	fromOr := func(key, def string) string {
		if s := cfg.Sources[key]; s != "" {
			return s
		}
		return def
	}

	// Registries and credentials (.npmrc; never a token's value).
	reg, _ := rc.Get("registry")
	add("registries", "registry", redactedURL(rc.Registry()), orDefault(reg.Source, "npm's default"))
	for _, k := range rc.Keys() {
		v, _ := rc.Get(k)
		switch {
		case strings.HasPrefix(k, "@") && strings.HasSuffix(k, ":registry"):
			add("registries", k, v.Redacted(), v.Source)
		case authKey.MatchString(k):
			add("registries", k, "(set; value not shown)", v.Source)
		}
	}
	for _, r := range cfg.Registries {
		desc := []string{}
		if len(r.Keys) > 0 {
			desc = append(desc, fmt.Sprintf("%d pinned key(s)", len(r.Keys)))
		}
		if r.MirrorOf != "" {
			desc = append(desc, "mirror of "+r.MirrorOf)
		}
		add("registries", "[[registry]] "+r.URL, strings.Join(desc, ", "), r.Source)
	}
	home, _ := os.UserHomeDir()
	if h := os.Getenv("HOME"); h != "" {
		home = h
	}
	if pc, err := fetchpypi.LoadConfig(fetchpypi.LoadOptions{Getenv: os.Getenv, Home: home}); err != nil {
		ex.Notes = append(ex.Notes, "pip configuration: "+err.Error())
	} else {
		ex.PipFiles = pc.Files
		for _, ix := range pc.Indexes {
			v := ix.String()
			if ix.HasAuth() {
				v += " (credentials set; not shown)"
			}
			add("registries", "python index", v, orDefault(ix.Source, "pip's default"))
		}
		if pc.NoIndex {
			add("registries", "python no-index", "true", pc.NoIndexSource)
		}
		if pc.Cert.Value != "" {
			add("tls", "pip cert", pc.Cert.Value, pc.Cert.Source)
		}
	}

	// TLS: every extra trust anchor the client would add.
	if cfg.CAFile != "" {
		add("tls", "ca_file", cfg.CAFile, cfg.Sources["ca_file"])
	}
	if ca, ok := rc.CA(); ok {
		v := ca.File
		if v == "" {
			v = "(inline certificates; airlock refuses them: use cafile=)"
		}
		add("tls", "npmrc cafile", v, ca.Source)
	}
	for _, name := range []string{"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v := os.Getenv(name); v != "" {
			add("tls", name, v, "env "+name)
		}
	}
	for _, cc := range rc.ClientCerts() {
		add("tls", "client certificate "+cc.Prefix, cc.CertFile, cc.Source)
	}

	// Cache and logs.
	cacheDir := cfg.CacheDir
	if cacheDir == "" {
		cacheDir = cache.DefaultDir(os.Getenv)
	}
	add("cache", "dir", cacheDir, fromOr("cache_dir", "default ($XDG_CACHE_HOME/airlock, else ~/.cache/airlock)"))
	add("cache", "store", orDefault(cfg.Store, config.StoreLink), fromOr("cache.store", "default"))
	if cfg.RemoteCache.URL != "" {
		v := cfg.RemoteCache.URL
		if t := cfg.RemoteCache.TokenEnv; t != "" {
			state := "not set"
			if os.Getenv(t) != "" {
				state = "set"
			}
			v += fmt.Sprintf(" (token from $%s: %s)", t, state)
		}
		add("cache", "remote", v, cfg.Sources["cache.remote"])
	}
	if cfg.Concurrency > 0 {
		add("cache", "concurrency", fmt.Sprint(cfg.Concurrency), cfg.Sources["concurrency"])
	}
	add("cache", "audit_log", orDefault(auditLogPath(cfg, os.Getenv), "off"), fromOr("audit_log", "default ($XDG_STATE_HOME/airlock/audit.jsonl)"))

	// Policy, per ecosystem: the native cooldowns join in here.
	if err := explainPolicy(ex, cfg, rc, add); err != nil {
		return nil, err
	}
	explainScripts(ex, cfg, rc, add)
	add("yarn", "builtin_patches", orDefault(cfg.Yarn.BuiltinPatches, config.BuiltinPatchesRefuse), fromOr("yarn.builtin_patches", "default"))
	ex.Notes = append(ex.Notes, cfg.Native.Notes...)
	ex.Notes = append(ex.Notes, rc.Warnings()...)
	return ex, nil
}

// authKey matches .npmrc credential keys, whose values are never shown.
var authKey = regexp.MustCompile(`(^|:)(_authToken|_auth|_password|username|-authtoken|_authtoken)$`)

func redactedURL(u string) string {
	v := npmrc.Value{Value: u}
	return v.Redacted()
}

func explainPolicy(ex *explanation, cfg *config.Config, rc *npmrc.Config, add func(section, name, value, from string)) error {
	polFrom := orDefault(cfg.Policy.Source, "airlock.toml")
	base := cfg.Policy.Base
	extra, err := npmrcAges(rc)
	if err != nil {
		return err
	}
	for _, eco := range []struct {
		name  string
		eco   config.Ecosystem
		extra []config.NativeAge
	}{{"javascript", config.JS, extra}, {"python", config.Python, nil}} {
		pol := cfg.PolicyFor(eco.eco, eco.extra...)
		// A name no rule names: the cooldown every package gets unless a
		// per-package rule says otherwise.
		e := pol.For("\x00")
		from := e.From["min_release_age"]
		switch {
		case from == "[policy]":
			from = orDefault(cfg.Sources["policy.min_release_age"], polFrom+" [policy]")
		case from == "":
			from = "default (none)"
		}
		add("policy", "min_release_age ("+eco.name+")", ageString(e.MinReleaseAge), from)
		for _, o := range pol.Overrides {
			if o.From != "" && o.Pattern != "*" && o.Rules.MinReleaseAge != nil {
				add("policy", fmt.Sprintf("min_release_age (%s) for %s", eco.name, o.Pattern), ageString(*o.Rules.MinReleaseAge), o.From)
			}
		}
		applied, by := cfg.NativeAges(eco.eco, eco.extra...)
		for _, a := range applied {
			v := ageString(a.Age)
			if !a.Cutoff.IsZero() {
				v = "published by " + a.Cutoff.UTC().Format(time.RFC3339)
			}
			add("policy", fmt.Sprintf("  stated by %s (%s)", a.Tool, eco.name), v, a.From)
		}
		if by != "" {
			ages := cfg.Native.JSAges
			if eco.eco == config.Python {
				ages = cfg.Native.PythonAges
			} else {
				ages = append(append([]config.NativeAge(nil), ages...), eco.extra...)
			}
			for _, a := range ages {
				ex.Notes = append(ex.Notes, fmt.Sprintf("%s: not applied; min_release_age from %s wins", a.From, by))
			}
		}
	}
	add("policy", "require_signatures", boolSetting(base.RequireSignatures, "auto (where airlock holds the registry's keys)"), policyFrom(cfg, "policy.require_signatures", polFrom, base.RequireSignatures != nil))
	add("policy", "require_provenance", boolSetting(base.RequireProvenance, "auto (verified where the registry lists attestations)"), policyFrom(cfg, "", polFrom, base.RequireProvenance != nil))
	e := cfg.Policy.For("\x00")
	add("policy", "weak_hashes", e.WeakHashes, policyFrom(cfg, "", polFrom, base.WeakHashes != ""))
	add("policy", "allow_sources", strings.Join(e.AllowSources, ", "), policyFrom(cfg, "", polFrom, base.AllowSources != nil))
	add("policy", "advisories", fmt.Sprintf("fail at %s, warn at %s", e.AdvisoryFail, e.AdvisoryWarn), policyFrom(cfg, "", polFrom, base.AdvisoryFail != "" || base.AdvisoryWarn != ""))
	for _, d := range cfg.Policy.Deny {
		add("policy", "deny", d.Spec, polFrom+" [policy] deny")
	}
	for _, o := range cfg.Policy.Overrides {
		add("policy", fmt.Sprintf("[policy.packages.%q]", o.Pattern), describeRules(o.Rules), polFrom)
	}
	if cfg.DenyPth {
		add("policy", "pth_files", "deny", polFrom)
	}
	return nil
}

// policyFrom says where a [policy] setting came from: an environment override
// (key in Sources), the file when set there, else the built-in default.
func policyFrom(cfg *config.Config, key, file string, setInFile bool) string {
	if s := cfg.Sources[key]; key != "" && s != "" {
		return s
	}
	if setInFile {
		return file + " [policy]"
	}
	return "default"
}

func boolSetting(b *bool, auto string) string {
	if b == nil {
		return auto
	}
	return fmt.Sprint(*b)
}

func ageString(d time.Duration) string {
	switch {
	case d == 0:
		return "0 (none)"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

func describeRules(r verify.Rules) string {
	var parts []string
	if r.MinReleaseAge != nil {
		parts = append(parts, "min_release_age "+ageString(*r.MinReleaseAge))
	}
	if r.RequireSignatures != nil {
		parts = append(parts, fmt.Sprintf("require_signatures %v", *r.RequireSignatures))
	}
	if r.RequireProvenance != nil {
		parts = append(parts, fmt.Sprintf("require_provenance %v", *r.RequireProvenance))
	}
	if r.WeakHashes != "" {
		parts = append(parts, "weak_hashes "+r.WeakHashes)
	}
	if r.AllowSources != nil {
		parts = append(parts, "allow_sources "+strings.Join(r.AllowSources, ", "))
	}
	if len(parts) == 0 {
		return "(other settings)"
	}
	return strings.Join(parts, "; ")
}

func explainScripts(ex *explanation, cfg *config.Config, rc *npmrc.Config, add func(section, name, value, from string)) {
	native := map[string]string{}
	for _, n := range cfg.Scripts.NativeAllow {
		native[n.Rule.Spec] = n.From
	}
	for _, r := range cfg.Scripts.Allow {
		from := native[r.Spec]
		if from == "" {
			from = cfg.Sources["scripts.allow"] + " [scripts] allow"
		}
		add("scripts", "allow", r.Spec, from)
	}
	if len(cfg.Scripts.Allow) == 0 {
		from := "default: no install script runs"
		if s := cfg.Sources["scripts.allow"]; s != "" {
			from = s + " [scripts] allow = []"
		}
		add("scripts", "allow", "(none)", from)
	}
	if s := cfg.Sources["scripts.allow"]; s != "" {
		for _, n := range cfg.Native.Scripts {
			if n.Allow {
				ex.Notes = append(ex.Notes, fmt.Sprintf("%s allows %s: not applied; [scripts] allow in %s wins", n.From, n.Rule.Spec, s))
			}
		}
	} else if by := cfg.Scripts.NativeOffBy; by != "" {
		add("scripts", "native allowances", "off: the project's tools run no install script", by)
		for _, n := range cfg.Scripts.NativeOff {
			ex.Notes = append(ex.Notes, fmt.Sprintf("%s allows %s: not applied; %s says to run no install script (list it in airlock.toml [scripts] allow to run it in the sandbox anyway)", n.From, n.Rule.Spec, by))
		}
	}
	for _, l := range []struct {
		name  string
		rules []verify.DenyRule
	}{{"network", cfg.Scripts.Network}, {"optional", cfg.Scripts.Optional}, {"reviewed", cfg.Scripts.Reviewed}} {
		for _, r := range l.rules {
			add("scripts", l.name, r.Spec, cfg.Sources["scripts"])
		}
	}
	if cfg.Scripts.Timeout > 0 {
		add("scripts", "timeout", cfg.Scripts.Timeout.String(), cfg.Sources["scripts"])
	}
	if v, ok := rc.Get("ignore-scripts"); ok {
		what := "native script allowances apply; airlock runs only allowed scripts, in its sandbox"
		if _, on := config.NpmrcIgnoresScripts(config.NpmrcSetting{Value: v.Value}); on {
			what = "no native script allowance applies; airlock.toml [scripts] allow and --allow-scripts still do"
		}
		add("scripts", "npmrc ignore-scripts", fmt.Sprintf("%s (%s)", v.Value, what), v.Source)
	}
}

func printExplanation(w io.Writer, ex *explanation) {
	fmt.Fprintf(w, "project: %s\n", ex.Project)
	fmt.Fprintf(w, "airlock.toml: %s\n", orDefault(ex.ConfigFile, "none found"))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	section := ""
	for _, s := range ex.Settings {
		if s.Section != section {
			section = s.Section
			fmt.Fprintf(tw, "\n%s:\n", section)
		}
		fmt.Fprintf(tw, "  %s\t%s\t<- %s\n", s.Name, s.Value, s.From)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nnpm configuration files (highest priority first):\n")
	for _, l := range ex.NpmrcFiles {
		state := "read"
		if !l.Loaded {
			state = orDefault(l.Note, "not read")
		}
		fmt.Fprintf(w, "  %s: %s (%s)\n", l.Name, orDefault(l.Source, "-"), state)
	}
	if len(ex.NativeRead) > 0 {
		fmt.Fprintf(w, "\nnative settings read from: %s\n", strings.Join(ex.NativeRead, ", "))
	}
	if len(ex.PipFiles) > 0 {
		fmt.Fprintf(w, "pip configuration files: %s\n", strings.Join(ex.PipFiles, ", "))
	}
	if len(ex.Notes) > 0 {
		fmt.Fprintf(w, "\nnotes:\n")
		for _, n := range ex.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
}
