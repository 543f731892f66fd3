// Package sbom writes a CycloneDX 1.6 JSON bill of materials for a locked
// set of packages: one component per installed lockfile entry with its
// purl, the hashes the lockfile pins and its scope, and the dependency
// graph the lockfile records.
//
// The output is deterministic for the same input (components in install
// path order, dependencies sorted, no random serial number), so two runs
// over the same lockfile differ only in the timestamp the caller passes.
package sbom

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// SpecVersion is the CycloneDX version written.
const SpecVersion = "1.6"

// Scopes, as CycloneDX defines them: excluded marks what the project needs
// only to develop or build (npm dev dependencies), not to run.
const (
	ScopeRequired = "required"
	ScopeOptional = "optional"
	ScopeExcluded = "excluded"
)

// Component is one package to list.
type Component struct {
	// Ref identifies the component within the BOM (npm: the lockfile
	// location, which is unique where name@version need not be).
	Ref       string
	Ecosystem lock.Ecosystem
	Name      string
	Version   string
	// Integrity is the lockfile's digest string (SRI); every usable digest
	// in it becomes a hash.
	Integrity string
	// Scope is ScopeRequired, ScopeOptional or ScopeExcluded ("" = none).
	Scope string
	// Source is where the bytes come from; a registry package's Resolved
	// URL becomes a "distribution" external reference.
	Source   lock.Source
	Resolved string
	// DependsOn lists the Refs this component's dependencies resolve to.
	DependsOn []string
}

// Input is everything the BOM says.
type Input struct {
	// Root is the project itself (metadata.component); its DependsOn are
	// the project's direct dependencies.
	Root       Component
	Components []Component
	// Timestamp is when the BOM was made (metadata.timestamp).
	Timestamp   time.Time
	ToolVersion string
}

// FromPackage makes a Component of a lockfile entry, with npm's scope
// rules: dev-only packages are excluded (not needed at run time), optional
// and devOptional ones (optional outside the dev graph) are optional.
func FromPackage(p lock.Package) Component {
	scope := ScopeRequired
	switch {
	case p.Dev:
		scope = ScopeExcluded
	case p.Optional, p.DevOptional:
		scope = ScopeOptional
	}
	return Component{Ref: p.Path, Ecosystem: p.Ecosystem, Name: p.Name, Version: p.Version,
		Integrity: p.Integrity, Scope: scope, Source: p.Source, Resolved: p.Resolved}
}

// Purl is the package URL of name@version in eco
// (https://github.com/package-url/purl-spec): pkg:npm/%40scope/name@1.0.0,
// pkg:pypi/name@1.0 with the PEP 503 normalized name.
func Purl(eco lock.Ecosystem, name, version string) string {
	var typ, ns string
	switch eco {
	case lock.NPM:
		typ = "npm"
		if strings.HasPrefix(name, "@") {
			if i := strings.IndexByte(name, '/'); i > 0 {
				ns, name = name[:i], name[i+1:]
			}
		}
	case lock.PyPI:
		typ = "pypi"
		name = strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(name))
	default:
		typ = "generic"
	}
	var b strings.Builder
	b.WriteString("pkg:" + typ + "/")
	if ns != "" {
		b.WriteString(purlEscape(ns) + "/")
	}
	b.WriteString(purlEscape(name))
	if version != "" {
		b.WriteString("@" + purlEscape(version))
	}
	return b.String()
}

// purlEscape percent-encodes a purl segment: everything outside the
// unreserved set (so "@" of an npm scope becomes %40, as the spec's
// examples write it).
func purlEscape(s string) string {
	return strings.ReplaceAll(url.PathEscape(s), "@", "%40")
}

// cdxAlg maps verify's algorithm names to CycloneDX's.
var cdxAlg = map[string]string{"sha1": "SHA-1", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512"}

type bom struct {
	BOMFormat    string       `json:"bomFormat"`
	SpecVersion  string       `json:"specVersion"`
	Version      int          `json:"version"`
	Metadata     metadata     `json:"metadata"`
	Components   []component  `json:"components"`
	Dependencies []dependency `json:"dependencies"`
}

type metadata struct {
	Timestamp string    `json:"timestamp"`
	Tools     tools     `json:"tools"`
	Component component `json:"component"`
}

type tools struct {
	Components []component `json:"components"`
}

type component struct {
	Type       string   `json:"type"`
	BOMRef     string   `json:"bom-ref,omitempty"`
	Name       string   `json:"name"`
	Group      string   `json:"group,omitempty"`
	Version    string   `json:"version,omitempty"`
	Scope      string   `json:"scope,omitempty"`
	Hashes     []hash   `json:"hashes,omitempty"`
	Purl       string   `json:"purl,omitempty"`
	ExtRefs    []extRef `json:"externalReferences,omitempty"`
	Properties []prop   `json:"properties,omitempty"`
}

type hash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

type extRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type prop struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type dependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn"`
}

// CycloneDX returns the BOM as indented JSON. It fails on a duplicate or
// empty Ref and on a dependency naming no component, which would make the
// graph lie.
func CycloneDX(in Input) ([]byte, error) {
	b := bom{BOMFormat: "CycloneDX", SpecVersion: SpecVersion, Version: 1}
	b.Metadata.Timestamp = in.Timestamp.UTC().Format(time.RFC3339)
	b.Metadata.Tools.Components = []component{{Type: "application", Name: "airlock", Version: in.ToolVersion}}
	root := in.Root
	if root.Ref == "" {
		root.Ref = "project"
	}
	b.Metadata.Component = makeComponent(root, "application")
	refs := map[string]bool{root.Ref: true}
	comps := append([]Component(nil), in.Components...)
	sort.Slice(comps, func(i, j int) bool { return comps[i].Ref < comps[j].Ref })
	for _, c := range comps {
		if c.Ref == "" || refs[c.Ref] {
			return nil, fmt.Errorf("sbom: component %s@%s has an empty or duplicate ref %q", c.Name, c.Version, c.Ref)
		}
		refs[c.Ref] = true
		b.Components = append(b.Components, makeComponent(c, "library"))
	}
	b.Components = append([]component{}, b.Components...) // [] rather than null when empty
	for _, c := range append([]Component{root}, comps...) {
		deps := []string{}
		seen := map[string]bool{}
		for _, d := range c.DependsOn {
			if !refs[d] {
				return nil, fmt.Errorf("sbom: %s depends on %q, which is not a component", c.Ref, d)
			}
			if !seen[d] {
				seen[d] = true
				deps = append(deps, d)
			}
		}
		sort.Strings(deps)
		b.Dependencies = append(b.Dependencies, dependency{Ref: c.Ref, DependsOn: deps})
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sbom: %w", err)
	}
	return append(out, '\n'), nil
}

func makeComponent(c Component, typ string) component {
	out := component{Type: typ, BOMRef: c.Ref, Name: c.Name, Version: c.Version, Scope: c.Scope}
	if out.Name == "" {
		out.Name = c.Ref
	}
	if c.Name != "" && c.Source != lock.SourceLink && c.Source != lock.SourceWorkspace || typ == "application" && c.Name != "" {
		out.Purl = Purl(c.Ecosystem, c.Name, c.Version)
	}
	if c.Ecosystem == lock.NPM && strings.HasPrefix(c.Name, "@") {
		if i := strings.IndexByte(c.Name, '/'); i > 0 {
			out.Group, out.Name = c.Name[:i], c.Name[i+1:]
		}
	}
	if c.Integrity != "" {
		if digests, err := verify.ParseSRI(c.Integrity); err == nil {
			for _, d := range digests {
				if alg, ok := cdxAlg[d.Algorithm]; ok {
					out.Hashes = append(out.Hashes, hash{Alg: alg, Content: d.Hex()})
				}
			}
		}
	}
	if c.Resolved != "" && (c.Source == lock.SourceRegistry || c.Source == lock.SourceRemote) && strings.HasPrefix(c.Resolved, "https://") {
		out.ExtRefs = []extRef{{Type: "distribution", URL: c.Resolved}}
	}
	if c.Source != lock.SourceRegistry && typ == "library" {
		out.Properties = []prop{{Name: "airlock:source", Value: c.Source.String()}}
		if c.Resolved != "" && c.Source != lock.SourceGit && c.Source != lock.SourceRemote {
			out.Properties = append(out.Properties, prop{Name: "airlock:resolved", Value: c.Resolved})
		}
	}
	return out
}
