package pypi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
	"github.com/airlock-dev/airlock/verify"
)

var now = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// rel describes one release of the synthetic index.
type rel struct {
	version string
	deps    []string // Requires-Dist lines
	extras  []string // Provides-Extra
	// indexRP is the index's data-requires-python; metaRP METADATA's.
	indexRP, metaRP string
	yanked          string // "" = not yanked; "-" = yanked without reason
	uploaded        time.Duration
	noUploadTime    bool
	sdistOnly       bool
	tag             string // "" = py3-none-any
	metaName        string // METADATA Name when it should lie
}

// fakeIndex serves releases as simple-API files and METADATA, and counts
// the metadata each file was asked for.
type fakeIndex struct {
	projects map[string][]rel
	mu       sync.Mutex
	asked    map[string]int
	listed   map[string]int // Files calls by project
}

func newIndex(p map[string][]rel) *fakeIndex {
	return &fakeIndex{projects: p, asked: map[string]int{}, listed: map[string]int{}}
}

func (ix *fakeIndex) Files(_ context.Context, name string) ([]fetchpypi.File, error) {
	ix.mu.Lock()
	ix.listed[name]++
	ix.mu.Unlock()
	var out []fetchpypi.File
	for _, r := range ix.projects[name] {
		up := ""
		if !r.noUploadTime {
			up = now.Add(-r.uploaded).Format(time.RFC3339)
			if r.uploaded == 0 {
				up = now.Add(-365 * 24 * time.Hour).Format(time.RFC3339)
			}
		}
		fn := strings.ReplaceAll(name, "-", "_") + "-" + r.version
		if r.sdistOnly {
			out = append(out, fetchpypi.File{Filename: name + "-" + r.version + ".tar.gz", URL: "https://f.example/" + name + "-" + r.version + ".tar.gz", UploadTime: up})
			continue
		}
		tag := r.tag
		if tag == "" {
			tag = "py3-none-any"
		}
		f := fetchpypi.File{Filename: fn + "-" + tag + ".whl", URL: "https://f.example/" + fn + "-" + tag + ".whl",
			Hashes: map[string]string{"sha256": strings.Repeat("0", 64)}, RequiresPython: r.indexRP, UploadTime: up}
		if r.yanked != "" {
			f.Yanked = true
			if r.yanked != "-" {
				f.YankedReason = r.yanked
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func (ix *fakeIndex) Metadata(_ context.Context, name string, f fetchpypi.File) ([]byte, error) {
	ix.mu.Lock()
	ix.asked[f.Filename]++
	ix.mu.Unlock()
	for _, r := range ix.projects[name] {
		if !strings.Contains(f.Filename, "-"+r.version+"-") {
			continue
		}
		n := name
		if r.metaName != "" {
			n = r.metaName
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Metadata-Version: 2.1\nName: %s\nVersion: %s\n", n, r.version)
		if r.metaRP != "" {
			fmt.Fprintf(&b, "Requires-Python: %s\n", r.metaRP)
		}
		for _, e := range r.extras {
			fmt.Fprintf(&b, "Provides-Extra: %s\n", e)
		}
		for _, d := range r.deps {
			fmt.Fprintf(&b, "Requires-Dist: %s\n", d)
		}
		b.WriteString("\nlong description: ignored\nRequires-Dist: not-a-dependency\n")
		return []byte(b.String()), nil
	}
	return nil, fmt.Errorf("no metadata for %s", f.Filename)
}

func testEnv() lockpypi.Environment {
	return lockpypi.Environment{
		Markers: map[string]string{"python_full_version": "3.11.4", "python_version": "3.11", "sys_platform": "linux",
			"os_name": "posix", "platform_machine": "x86_64", "implementation_name": "cpython", "platform_system": "Linux",
			"platform_python_implementation": "CPython", "platform_release": "6.1", "platform_version": "#1", "implementation_version": "3.11.4"},
		Tags: []lockpypi.Tag{{Interpreter: "cp311", ABI: "cp311", Platform: "manylinux_2_17_x86_64"}, {Interpreter: "py3", ABI: "none", Platform: "any"}},
	}
}

func reqs(t *testing.T, ss ...string) []lockpypi.Requirement {
	t.Helper()
	var out []lockpypi.Requirement
	for _, s := range ss {
		r, err := lockpypi.ParseRequirement(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func pins(res *Result) string {
	var parts []string
	for _, p := range res.Pins {
		s := p.Name + "==" + p.Version
		if p.Requested {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func resolveWith(t *testing.T, ix Index, pol *verify.Policy, rs ...string) (*Result, error) {
	t.Helper()
	return Resolve(context.Background(), ix, reqs(t, rs...), Options{Env: testEnv(), Policy: pol, Now: now})
}

func policy(t *testing.T, age string, deny ...string) *verify.Policy {
	t.Helper()
	p := &verify.Policy{Source: "airlock.toml"}
	if age != "" {
		d, err := verify.ParseAge(age)
		if err != nil {
			t.Fatal(err)
		}
		p.Base.MinReleaseAge = &d
	}
	for _, s := range deny {
		d, err := verify.ParseDeny(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.Deny = append(p.Deny, d)
	}
	return p
}

func TestResolve(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"app":  {{version: "1.0", deps: []string{"lib>=1.1", "Extra-Lib[fast]>=2 ; python_version >= '3.8'", "winonly ; sys_platform == 'win32'"}}},
		"lib":  {{version: "1.0"}, {version: "1.1", deps: []string{"base"}}, {version: "1.2", deps: []string{"base (>=2,<3)"}}},
		"base": {{version: "1.0"}, {version: "2.0"}, {version: "2.5"}, {version: "3.0"}},
		"extra-lib": {{version: "2.0", extras: []string{"fast"}, deps: []string{"speedup; extra == 'fast'", "base<2.5"}},
			{version: "1.0"}},
		"speedup": {{version: "0.9"}},
		"winonly": {{version: "1.0"}},
	})
	res, err := resolveWith(t, ix, nil, "app")
	if err != nil {
		t.Fatal(err)
	}
	// lib 1.2 needs base>=2,<3 and extra-lib needs base<2.5: base 2.0.
	if got, want := pins(res), "app==1.0* base==2.0 extra-lib==2.0 lib==1.2 speedup==0.9"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

func TestBacktracking(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"a": {{version: "1.0", deps: []string{"c"}}, {version: "2.0", deps: []string{"c<2"}}},
		"b": {{version: "1.0", deps: []string{"c>=2"}}},
		"c": {{version: "1.0"}, {version: "2.0"}},
	})
	res, err := resolveWith(t, ix, nil, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pins(res), "a==1.0* b==1.0* c==2.0"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
}

func TestConflict(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"a": {{version: "1.0", deps: []string{"c<2"}}},
		"b": {{version: "1.0", deps: []string{"c>=2"}}},
		"c": {{version: "1.0"}, {version: "2.0"}},
	})
	_, err := resolveWith(t, ix, nil, "a", "b")
	var ce *ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
		t.Fatalf("err = %v, want a ConflictError", err)
	}
	msg := err.Error()
	for _, want := range []string{"c<2 from a 1.0", "c>=2 from b 1.0"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}

	// A dependency that clashes with a version chosen earlier.
	ix.projects["a2"] = []rel{{version: "1.0", deps: []string{"b2"}}}
	ix.projects["b2"] = []rel{{version: "1.0", deps: []string{"c<2"}}}
	_, err = resolveWith(t, ix, nil, "a2", "c>=2")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "b2 1.0 requires c<2, but c 2.0 was already chosen (required as c>=2 from the command line)") {
		t.Errorf("err = %v", err)
	}

	// No version at all matches the command line's requirement.
	_, err = resolveWith(t, ix, nil, "c>=3")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "no version matches them all (the index has 2.0, 1.0)") {
		t.Errorf("err = %v", err)
	}
}

func TestExtrasAndMarkers(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"web": {{version: "1.0", extras: []string{"socks", "docs"}, deps: []string{
			"pysocks>=1.5; extra == 'socks'",
			"sphinx; extra == 'docs'",
			"tomli; python_version < '3.11'",
			"typing-extensions; python_version >= '3.11'",
		}}},
		"pysocks":           {{version: "1.7"}},
		"sphinx":            {{version: "7.0"}},
		"tomli":             {{version: "2.0"}},
		"typing-extensions": {{version: "4.9"}},
	})
	res, err := resolveWith(t, ix, nil, "web[SOCKS]")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pins(res), "pysocks==1.7 typing-extensions==4.9 web==1.0*"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	res, err = resolveWith(t, ix, nil, "web", "web[nope]")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pins(res), "typing-extensions==4.9 web==1.0*"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `does not provide the extra "nope"`) {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// A marker on the command line's requirement itself.
	res, err = resolveWith(t, ix, nil, "web; sys_platform == 'win32'", "tomli")
	if err != nil || pins(res) != "tomli==2.0*" {
		t.Errorf("pins = %v, %v", pins(res), err)
	}
}

func TestExtraFollowsProjectVersion(t *testing.T) {
	// The extra's newest release (2.0) is excluded by another
	// requirement on the project: the extra must follow to 1.0.
	ix := newIndex(map[string][]rel{
		"lib":   {{version: "1.0", extras: []string{"x"}, deps: []string{"dep1; extra == 'x'"}}, {version: "2.0", extras: []string{"x"}, deps: []string{"dep2; extra == 'x'"}}},
		"app":   {{version: "1.0", deps: []string{"lib[x]", "other"}}},
		"other": {{version: "1.0", deps: []string{"lib<2"}}},
		"dep1":  {{version: "1.0"}},
		"dep2":  {{version: "1.0"}},
	})
	res, err := resolveWith(t, ix, nil, "app")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pins(res), "app==1.0* dep1==1.0 lib==1.0 other==1.0"; got != want {
		t.Errorf("pins = %s, want %s", got, want)
	}
}

func TestYanked(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"b": {{version: "1.0"}, {version: "2.0", yanked: "broken build"}},
		"y": {{version: "1.0", yanked: "-"}},
	})
	res, err := resolveWith(t, ix, nil, "b")
	if err != nil || pins(res) != "b==1.0*" {
		t.Errorf("unpinned: %s, %v", pins(res), err)
	}
	res, err = resolveWith(t, ix, nil, "b==2.0")
	if err != nil || pins(res) != "b==2.0*" {
		t.Fatalf("pinned: %v, %v", pins(res), err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "b 2.0 is yanked (broken build)") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// >= is not a pin: a yanked-only project cannot be installed.
	_, err = resolveWith(t, ix, nil, "y>=1.0")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "1.0: yanked (only an == pin installs a yanked release)") {
		t.Errorf("err = %v", err)
	}
}

func TestRequiresPython(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"c": {{version: "1.0"}, {version: "2.5", metaRP: ">=3.13"}, {version: "3.0", indexRP: ">=3.12"}},
	})
	res, err := resolveWith(t, ix, nil, "c")
	if err != nil || pins(res) != "c==1.0*" {
		t.Fatalf("%s, %v", pins(res), err)
	}
	// The index's Requires-Python spares a metadata request.
	if ix.asked["c-3.0-py3-none-any.whl"] != 0 || ix.asked["c-2.5-py3-none-any.whl"] != 1 {
		t.Errorf("metadata requests: %v", ix.asked)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "c 3.0 is not used: its wheels require Python >=3.12 (the interpreter is 3.11.4)") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	_, err = resolveWith(t, ix, nil, "c>=2.5")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "its METADATA requires Python >=3.13") {
		t.Errorf("err = %v", err)
	}
}

func TestCooldown(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"b":  {{version: "1.0", uploaded: 30 * 24 * time.Hour}, {version: "2.0", uploaded: time.Hour}},
		"nt": {{version: "1.0", noUploadTime: true}},
	})
	pol := policy(t, "7d")
	res, err := resolveWith(t, ix, pol, "b")
	if err != nil || pins(res) != "b==1.0*" {
		t.Fatalf("%s, %v", pins(res), err)
	}
	if ix.asked["b-2.0-py3-none-any.whl"] != 0 {
		t.Errorf("the too-new release's metadata was read")
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], `b 2.0 is not used: uploaded 2026-11-26T11:00:00Z, less than min_release_age = "7d" ([policy]) ago; allowed from 2026-12-03T11:00:00Z`) {
		t.Errorf("warnings = %q", res.Warnings)
	}
	// An explicit pin to the too-new release is refused with the reason.
	_, err = resolveWith(t, ix, pol, "b==2.0")
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "b 2.0: uploaded 2026-11-26T11:00:00Z, less than min_release_age") {
		t.Errorf("err = %v", err)
	}
	// Without an upload time the age cannot be checked.
	_, err = resolveWith(t, ix, pol, "nt")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "the index gives no upload-time (PEP 700)") {
		t.Errorf("err = %v", err)
	}
	// A per-package override lets it in.
	zero := time.Duration(0)
	pol.Overrides = []verify.Override{{Pattern: "b", Rules: verify.Rules{MinReleaseAge: &zero}}}
	res, err = resolveWith(t, ix, pol, "b")
	if err != nil || pins(res) != "b==2.0*" {
		t.Errorf("override: %s, %v", pins(res), err)
	}
}

func TestDeny(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"Evil_Pkg": {{version: "1.0"}, {version: "2.0"}},
		"app":      {{version: "1.0", deps: []string{"evil-pkg"}}},
	})
	ix.projects["evil-pkg"] = ix.projects["Evil_Pkg"]
	res, err := resolveWith(t, ix, policy(t, "", "Evil_Pkg@>=2"), "app")
	if err != nil || pins(res) != "app==1.0* evil-pkg==1.0" {
		t.Fatalf("%s, %v", pins(res), err)
	}
	_, err = resolveWith(t, ix, policy(t, "", "evil-pkg@2.0"), "evil-pkg==2.0")
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), `denied by policy: deny "evil-pkg@2.0" in airlock.toml [policy]`) {
		t.Errorf("err = %v", err)
	}
	_, err = resolveWith(t, ix, policy(t, "", "evil-*"), "app")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `2.0: denied by policy: deny "evil-*"`) {
		t.Errorf("err = %v", err)
	}
	// A range that is not PEP 440 denies everything.
	_, err = resolveWith(t, ix, policy(t, "", "evil-pkg@^1.0"), "app")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "not a PEP 440 specifier") {
		t.Errorf("err = %v", err)
	}
}

func TestSdistOnlyAndTags(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"s":   {{version: "1.0", sdistOnly: true}},
		"mix": {{version: "1.0"}, {version: "1.1", sdistOnly: true}},
		"win": {{version: "1.0", tag: "cp311-cp311-win_amd64"}},
	})
	_, err := resolveWith(t, ix, nil, "s")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "only a source distribution (s-1.0.tar.gz), which airlock never builds") {
		t.Errorf("err = %v", err)
	}
	res, err := resolveWith(t, ix, nil, "mix")
	if err != nil || pins(res) != "mix==1.0*" {
		t.Fatalf("%s, %v", pins(res), err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "mix 1.1 is not used: only a source distribution") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	_, err = resolveWith(t, ix, nil, "win")
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "no wheel for this interpreter (win-1.0-cp311-cp311-win_amd64.whl)") {
		t.Errorf("err = %v", err)
	}
}

func TestPrereleases(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"p": {{version: "1.0"}, {version: "2.0b1"}},
		"q": {{version: "1.0rc1"}},
	})
	for req, want := range map[string]string{"p": "p==1.0*", "p>=2.0b1": "p==2.0b1*", "p>1": "p==2.0b1*", "q": "q==1.0rc1*"} {
		res, err := resolveWith(t, ix, nil, req)
		if err != nil || pins(res) != want {
			t.Errorf("%s: %s, %v; want %s", req, pins(res), err, want)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	ix := newIndex(map[string][]rel{
		"liar": {{version: "1.0", metaName: "other"}},
		"bad":  {{version: "1.0", deps: []string{"x @ https://evil.example/x.whl"}}},
	})
	if _, err := resolveWith(t, ix, nil, "missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, err := resolveWith(t, ix, nil, "liar"); !errors.Is(err, ErrMetadata) || !strings.Contains(err.Error(), "describes other 1.0") {
		t.Errorf("liar: %v", err)
	}
	if _, err := resolveWith(t, ix, nil, "bad"); !errors.Is(err, ErrMetadata) || !strings.Contains(err.Error(), "direct reference") {
		t.Errorf("bad: %v", err)
	}
}

func TestTooComplex(t *testing.T) {
	// Every version of a needs some c that every b refuses: an
	// exhaustive search over a×b tries |a|·|b| candidates.
	p := map[string][]rel{"c": {{version: "1.0"}, {version: "2.0"}}}
	for i := 0; i < 30; i++ {
		p["a"] = append(p["a"], rel{version: fmt.Sprintf("1.%d", i), deps: []string{"c<2"}})
		p["b"] = append(p["b"], rel{version: fmt.Sprintf("1.%d", i), deps: []string{"c>=2"}})
	}
	_, err := Resolve(context.Background(), newIndex(p), reqs(t, "a", "b"), Options{Env: testEnv(), Now: now, MaxRounds: 100})
	if !errors.Is(err, ErrTooComplex) {
		t.Errorf("err = %v", err)
	}
	_, err = Resolve(context.Background(), newIndex(p), reqs(t, "a", "b"), Options{Env: testEnv(), Now: now})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("err = %v", err)
	}
}

func TestParseMetadata(t *testing.T) {
	m, err := ParseMetadata([]byte("Metadata-Version: 2.1\r\nName: Foo.Bar\r\nVersion: 1.0\r\nRequires-Python: >=3.8\r\nRequires-Dist: a (>=1)\r\nRequires-Dist: b;\r\n extra == 'x'\r\nProvides-Extra: X\r\n\r\nRequires-Dist: body\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "Foo.Bar" || m.Version != "1.0" || m.RequiresPython != ">=3.8" || len(m.Requires) != 2 || m.Requires[1].Marker == nil || m.ProvidesExtra[0] != "x" {
		t.Errorf("%+v", m)
	}
	for _, bad := range []string{"Name: x\n", "Name: x\nVersion: one\n", "Name: x\nVersion: 1\nRequires-Python: >>3\n", "Name: x\nVersion: 1\nRequires-Dist: ???\n"} {
		if _, err := ParseMetadata([]byte(bad)); !errors.Is(err, ErrMetadata) {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

// FuzzParseMetadata: METADATA comes from the index, so it is hostile
// input; parsing must not panic, and what it accepts must print back as
// requirements that parse again.
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte("Name: a\nVersion: 1\nRequires-Dist: b[x] (>=1); extra == 'y'\nProvides-Extra: y\n"))
	f.Add([]byte("Name: a\r\nVersion: 1.0rc1\r\nRequires-Python: >=3.8\r\nRequires-Dist: c\r\n  ; python_version < '3.11'\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMetadata(data)
		if err != nil {
			return
		}
		for _, r := range m.Requires {
			if _, err := lockpypi.ParseRequirement(r.String()); err != nil {
				t.Fatalf("%q prints as %q, which does not parse: %v", data, r.String(), err)
			}
		}
	})
}

func TestBackjumping(t *testing.T) {
	// a and b clash over c; x, required between them, has nothing to do
	// with it. Plain backtracking would retry all 50 versions of x (and
	// b under each); backjumping goes straight back to a.
	p := map[string][]rel{
		"a": {{version: "1.0", deps: []string{"c<2"}}},
		"b": {{version: "1.0", deps: []string{"c>=2"}}, {version: "1.1", deps: []string{"c>=2"}}},
		"c": {{version: "1.0"}, {version: "2.0"}},
	}
	for i := 0; i < 50; i++ {
		p["x"] = append(p["x"], rel{version: fmt.Sprintf("1.%d", i)})
	}
	ix := newIndex(p)
	_, err := Resolve(context.Background(), ix, reqs(t, "a", "x", "b"), Options{Env: testEnv(), Now: now, MaxRounds: 10})
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "c<2 from a 1.0, c>=2 from b 1.0") {
		t.Errorf("err = %v", err)
	}
	// Backjumping must not skip a choice that matters: here x's version
	// decides, and the older x is found.
	p["y"] = []rel{{version: "1.0", deps: []string{"d<2"}}, {version: "2.0", deps: []string{"d>=2"}}}
	p["z"] = []rel{{version: "1.0", deps: []string{"e"}}}
	p["e"] = []rel{{version: "1.0", deps: []string{"d<2"}}}
	p["d"] = []rel{{version: "1.0"}, {version: "2.0"}}
	res, err := Resolve(context.Background(), newIndex(p), reqs(t, "y", "x", "z"), Options{Env: testEnv(), Now: now})
	if err != nil || pins(res) != "d==1.0 e==1.0 x==1.49* y==1.0* z==1.0*" {
		t.Errorf("pins = %s, %v", pins(res), err)
	}
}
