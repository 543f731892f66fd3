package sbom

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
	"github.com/airlock-dev/airlock/lock/pypi"
)

var cdxSchemas = []string{"bom-1.6.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"}

func loadCDX(t *testing.T) *schemaSet {
	t.Helper()
	s, err := loadSchemas("testdata/cyclonedx", cdxSchemas...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fromLockfile builds the Input the CLI builds: the entries npm ci would
// install on linux/x64 (glibc) and the graph the lockfile records.
func fromLockfile(t *testing.T, path string) Input {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lf, err := locknpm.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	host := locknpm.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	sel, err := lf.Select(locknpm.Options{Platform: host, Host: host})
	if err != nil {
		t.Fatal(err)
	}
	in := NPMInput(lf.Name, lf.Version, sel.Install, lf.Dependencies(), nil)
	in.Timestamp = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	in.ToolVersion = "test"
	return in
}

func TestCycloneDXValidatesAgainstSchema(t *testing.T) {
	s := loadCDX(t)
	for _, fixture := range []string{"basic", "basic-v2", "rollup", "workspaces", "sources", "bundle", "devlink", "optset"} {
		t.Run(fixture, func(t *testing.T) {
			in := fromLockfile(t, filepath.Join("../../lock/npm/testdata", fixture, "package-lock.json"))
			out, err := CycloneDX(in)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := decodeJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if errs := s.validate("bom-1.6.schema.json", doc); len(errs) > 0 {
				t.Fatalf("BOM fails the CycloneDX 1.6 schema:\n%s", strings.Join(errs, "\n"))
			}
			if n := len(doc.(map[string]any)["components"].([]any)); n != len(in.Components) {
				t.Errorf("%d components, want %d", n, len(in.Components))
			}
		})
	}
}

func TestCycloneDXContent(t *testing.T) {
	in := fromLockfile(t, "../../lock/npm/testdata/basic-v2/package-lock.json")
	out, err := CycloneDX(in)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Timestamp string
			Component component
		}
		Components   []component
		Dependencies []dependency
	}
	if err := json.Unmarshal(out, &b); err != nil {
		t.Fatal(err)
	}
	if b.SpecVersion != "1.6" || b.Metadata.Timestamp != "2026-11-26T00:00:00Z" {
		t.Errorf("specVersion %q timestamp %q", b.SpecVersion, b.Metadata.Timestamp)
	}
	byRef := map[string]component{}
	for _, c := range b.Components {
		byRef[c.BOMRef] = c
	}
	scoped := byRef["node_modules/@types/ms"]
	if scoped.Purl != "pkg:npm/%40types/ms@0.7.34" || scoped.Group != "@types" || scoped.Name != "ms" || scoped.Scope != ScopeRequired {
		t.Errorf("scoped component = %+v", scoped)
	}
	// sha512-nG96G3Wp... in the lockfile, as hex.
	if len(scoped.Hashes) != 1 || scoped.Hashes[0].Alg != "SHA-512" || !strings.HasPrefix(scoped.Hashes[0].Content, "9c6f7a1b75a9e9a7") || len(scoped.Hashes[0].Content) != 128 {
		t.Errorf("@types/ms hashes = %+v", scoped.Hashes)
	}
	if len(scoped.ExtRefs) != 1 || scoped.ExtRefs[0].URL != "https://registry.npmjs.org/@types/ms/-/ms-0.7.34.tgz" {
		t.Errorf("@types/ms external references = %+v", scoped.ExtRefs)
	}
	// The alias is installed as my-ms but is ms 2.0.0.
	if alias := byRef["node_modules/my-ms"]; alias.Purl != "pkg:npm/ms@2.0.0" {
		t.Errorf("alias purl = %q", alias.Purl)
	}
	if sem := byRef["node_modules/semver"]; sem.Scope != ScopeExcluded {
		t.Errorf("dev dependency semver has scope %q", sem.Scope)
	}
	if odd := byRef["node_modules/is-odd"]; odd.Scope != ScopeOptional {
		t.Errorf("optional dependency is-odd has scope %q", odd.Scope)
	}
	var rootDeps []string
	for _, d := range b.Dependencies {
		if d.Ref == "project" {
			rootDeps = d.DependsOn
		}
	}
	if !contains(rootDeps, "node_modules/semver") {
		t.Errorf("project depends on %v, want semver among them", rootDeps)
	}
	again, _ := CycloneDX(in)
	if string(again) != string(out) {
		t.Error("two runs over the same input differ")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestScopes(t *testing.T) {
	for _, c := range []struct {
		p    lock.Package
		want string
	}{
		{lock.Package{}, ScopeRequired},
		{lock.Package{Dev: true}, ScopeExcluded},
		{lock.Package{Optional: true}, ScopeOptional},
		{lock.Package{DevOptional: true}, ScopeOptional},
	} {
		if got := FromPackage(c.p).Scope; got != c.want {
			t.Errorf("FromPackage(%+v).Scope = %q, want %q", c.p, got, c.want)
		}
	}
}

func TestPurl(t *testing.T) {
	for _, c := range []struct {
		eco           lock.Ecosystem
		name, version string
		want          string
	}{
		{lock.NPM, "left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0"},
		{lock.NPM, "@angular/animation", "12.3.1", "pkg:npm/%40angular/animation@12.3.1"},
		{lock.NPM, "x", "1.0.0+build.1", "pkg:npm/x@1.0.0+build.1"},
		{lock.PyPI, "Django_Rest.Framework", "3.15.1", "pkg:pypi/django-rest-framework@3.15.1"},
		{lock.NPM, "a b", "1.0.0", "pkg:npm/a%20b@1.0.0"},
	} {
		if got := Purl(c.eco, c.name, c.version); got != c.want {
			t.Errorf("Purl(%s, %q, %q) = %q, want %q", c.eco, c.name, c.version, got, c.want)
		}
	}
}

func TestCycloneDXRefusesBadGraph(t *testing.T) {
	_, err := CycloneDX(Input{Components: []Component{{Ref: "a", DependsOn: []string{"b"}}}})
	if err == nil || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("dangling dependency: err = %v", err)
	}
	_, err = CycloneDX(Input{Components: []Component{{Ref: "a"}, {Ref: "a"}}})
	if err == nil {
		t.Error("duplicate ref accepted")
	}
}

// TestBrokenBOMFailsValidation proves the validator rejects what the real
// schema forbids, so the schema test above can fail.
func TestBrokenBOMFailsValidation(t *testing.T) {
	s := loadCDX(t)
	good, err := CycloneDX(fromLockfile(t, "../../lock/npm/testdata/basic-v2/package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"wrong format", `"bomFormat": "CycloneDX"`, `"bomFormat": "SPDX"`, "/bomFormat"},
		{"hash not hex", `"content": "`, `"content": "zz`, "does not match"},
		{"unknown hash alg", `"alg": "SHA-512"`, `"alg": "SHA-513"`, "/alg"},
		{"bad scope", `"scope": "excluded"`, `"scope": "dev"`, "/scope"},
		{"extra property", `"specVersion": "1.6",`, `"specVersion": "1.6", "airlock": true,`, `"airlock" is not allowed`},
		{"version not integer", `"version": 1,`, `"version": "1",`, "/version: type string"},
		{"missing component name", `"name": "anymatch",`, ``, `missing required property "name"`},
		{"bad external reference type", `"type": "distribution"`, `"type": "tarball"`, "/type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(string(good), c.old) {
				t.Fatalf("BOM has no %q", c.old)
			}
			broken := strings.Replace(string(good), c.old, c.new, 1)
			doc, err := decodeJSON([]byte(broken))
			if err != nil {
				t.Fatal(err)
			}
			errs := s.validate("bom-1.6.schema.json", doc)
			if len(errs) == 0 {
				t.Fatal("broken BOM passed validation")
			}
			if !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Errorf("errors do not mention %q:\n%s", c.want, strings.Join(errs, "\n"))
			}
		})
	}
}

// TestValidatorKeywords checks each keyword on small schemas, including a
// $ref into another file as bom-1.6 uses for spdx and jsf.
func TestValidatorKeywords(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.json", `{"type":"object","required":["a"],"additionalProperties":false,"properties":{
		"a":{"$ref":"other.json#/definitions/small"},
		"b":{"oneOf":[{"type":"string"},{"type":"integer"}]},
		"c":{"anyOf":[{"const":1},{"enum":["x","y"]}]},
		"d":{"type":"array","items":{"type":"string"},"minItems":1,"uniqueItems":true},
		"e":{"allOf":[{"minimum":2},{"maximum":4}]},
		"f":{"if":{"const":"k"},"then":{"minLength":3},"else":{"not":{"type":"string"}}},
		"g":{"$ref":"other.json"},
		"h":{"$ref":"#/properties/b"}
	}}`)
	write("other.json", `{"type":"string","definitions":{"small":{"type":"integer","maximum":9}}}`)
	s, err := loadSchemas(dir, "main.json", "other.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		doc   string
		valid bool
	}{
		{`{"a":1}`, true},
		{`{}`, false},
		{`{"a":10}`, false},
		{`{"a":"1"}`, false},
		{`{"a":1,"z":1}`, false},
		{`{"a":1,"b":"s"}`, true},
		{`{"a":1,"b":2.5}`, false},
		{`{"a":1,"c":1}`, true},
		{`{"a":1,"c":"y"}`, true},
		{`{"a":1,"c":2}`, false},
		{`{"a":1,"d":["p","q"]}`, true},
		{`{"a":1,"d":[]}`, false},
		{`{"a":1,"d":["p","p"]}`, false},
		{`{"a":1,"d":[1]}`, false},
		{`{"a":1,"e":3}`, true},
		{`{"a":1,"e":5}`, false},
		{`{"a":1,"f":"k"}`, false}, // then: minLength 3
		{`{"a":1,"f":"other"}`, false},
		{`{"a":1,"f":7}`, true},
		{`{"a":1,"g":"s"}`, true},
		{`{"a":1,"g":1}`, false},
		{`{"a":1,"h":true}`, false},
	} {
		doc, err := decodeJSON([]byte(c.doc))
		if err != nil {
			t.Fatal(err)
		}
		errs := s.validate("main.json", doc)
		if (len(errs) == 0) != c.valid {
			t.Errorf("%s: valid = %v, want %v (%v)", c.doc, len(errs) == 0, c.valid, errs)
		}
	}
}

// TestNPMInputLinks: links are no components; edges to them lead to the
// workspace or local directory they point at.
func TestNPMInputLinks(t *testing.T) {
	in := fromLockfile(t, "../../lock/npm/testdata/workspaces/package-lock.json")
	for _, c := range in.Components {
		if c.Ref == "node_modules/@ws/a" || c.Ref == "node_modules/local-lib" {
			t.Errorf("link %s is a component", c.Ref)
		}
	}
	for _, want := range []string{"libs/local", "packages/a", "tools/c", "node_modules/ms"} {
		if !contains(in.Root.DependsOn, want) {
			t.Errorf("project depends on %v, want %s among them", in.Root.DependsOn, want)
		}
	}
	if _, err := CycloneDX(in); err != nil {
		t.Fatal(err)
	}
}

func TestPyPIValidatesAgainstSchema(t *testing.T) {
	s := loadCDX(t)
	for _, path := range []string{"../../lock/pypi/testdata/pylock/h11.pylock.toml", "../../lock/pypi/testdata/uvlock/click.uv.lock"} {
		t.Run(path, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var lk *pypi.Lock
			if strings.HasSuffix(path, "uv.lock") {
				lk, err = pypi.ParseUVLock(data, pypi.UVOptions{})
			} else {
				lk, err = pypi.ParsePylock(data)
			}
			if err != nil {
				t.Fatal(err)
			}
			in := PyPIInput("app", lk)
			in.Timestamp = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
			if len(in.Components) == 0 {
				t.Fatal("no components")
			}
			out, err := CycloneDX(in)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := decodeJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if errs := s.validate("bom-1.6.schema.json", doc); len(errs) > 0 {
				t.Fatalf("BOM fails the CycloneDX 1.6 schema:\n%s", strings.Join(errs, "\n"))
			}
			hashed := 0
			for _, c := range doc.(map[string]any)["components"].([]any) {
				m := c.(map[string]any)
				if !strings.HasPrefix(m["purl"].(string), "pkg:pypi/") {
					t.Errorf("component %v", m)
				}
				if hs, ok := m["hashes"].([]any); ok && len(hs) > 0 {
					hashed++
				}
			}
			// Every distribution with a file hash in the lock has hashes
			// (a uv.lock's own project, an editable source, has none).
			want := 0
			for _, c := range in.Components {
				if c.Integrity != "" {
					want++
				}
			}
			if hashed != want || want == 0 {
				t.Errorf("%d components with hashes, want %d", hashed, want)
			}
			if strings.Contains(path, "h11") {
				// pytest 8.4.2's sdist and wheel, as the lock lists them.
				for _, want := range []string{`"purl": "pkg:pypi/pytest@8.4.2"`,
					`"content": "86c0d0b93306b961d58d62a4db4879f27fe25513d4b969df351abdddb3c30e01"`,
					`"content": "872f880de3fc3a5bdc88a11b39c9710c3497a547cfa9320bc3c5e62fbf272e79"`} {
					if !strings.Contains(string(out), want) {
						t.Errorf("BOM lacks %s", want)
					}
				}
			}
		})
	}
}
