package npm

import (
	"bufio"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
)

// The platform and versions the goldens were recorded on (their first line).
var (
	recordHost = Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	recordNode = "20.20.2"
	recordNpm  = "11.19.1"
)

func readFixture(t testing.TB, name string) (*Lockfile, []byte) {
	t.Helper()
	dir := filepath.Join("testdata", name)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	file := FindLockfile(names)
	if file == "" {
		t.Fatalf("%s: no lockfile", dir)
	}
	data, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// npm ci reads the project's .npmrc; the only setting a fixture uses
	// that changes the graph is legacy-peer-deps.
	if rc, err := os.ReadFile(filepath.Join(dir, ".npmrc")); err == nil && strings.Contains(string(rc), "legacy-peer-deps=true") {
		l.LegacyPeerDeps()
	}
	return l, data
}

// optionsFromFlags turns the npm ci flags of a golden into Options.
func optionsFromFlags(t *testing.T, flags string) Options {
	t.Helper()
	var omit, include []string
	opts := Options{Platform: recordHost, Host: recordHost, NodeVersion: recordNode, NpmVersion: recordNpm}
	for _, f := range strings.Fields(flags) {
		k, v, _ := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		switch k {
		case "omit":
			omit = append(omit, v)
		case "include":
			include = append(include, v)
		case "os":
			opts.Platform.OS = v
		case "cpu":
			opts.Platform.CPU = v
		case "libc":
			opts.Platform.Libc = v
		case "force":
			opts.Force = true
		default:
			t.Fatalf("flag %q not understood by the test", f)
		}
	}
	if opts.Platform.OS != "linux" && opts.Platform.Libc == recordHost.Libc {
		opts.Platform.Libc = "" // npm knows no libc off Linux
	}
	o, err := ResolveOmit(omit, include, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	opts.Omit = o
	return opts
}

// render prints a selection the way record-npm-ci.sh prints a tree.
func render(sel *Selection) []string {
	var out []string
	for _, p := range sel.Install {
		switch p.Source {
		case lock.SourceLink:
			rel, _ := filepath.Rel(path.Dir(p.Path), p.Resolved)
			out = append(out, p.Path+" -> "+filepath.ToSlash(rel))
		case lock.SourceWorkspace:
			out = append(out, p.Path+" (dir)")
		default:
			out = append(out, p.Path)
		}
	}
	slices.Sort(out)
	return out
}

// TestSelectMatchesNpmCI replays every tree real `npm ci --ignore-scripts`
// produced from the fixtures (testdata/*/npm-ci.golden).
func TestSelectMatchesNpmCI(t *testing.T) {
	goldens, _ := filepath.Glob("testdata/*/npm-ci.golden")
	if len(goldens) < 10 {
		t.Fatalf("found only %d goldens", len(goldens))
	}
	for _, g := range goldens {
		fixture := filepath.Base(filepath.Dir(g))
		l, _ := readFixture(t, fixture)
		for flags, want := range readGolden(t, g) {
			t.Run(fixture+"/"+flags, func(t *testing.T) {
				sel, err := l.Select(optionsFromFlags(t, flags))
				if len(want) == 1 && strings.HasPrefix(want[0], "ERROR ") {
					code := strings.TrimPrefix(want[0], "ERROR ")
					sentinel := map[string]error{"EBADPLATFORM": ErrBadPlatform, "EBADENGINE": ErrBadEngine}[code]
					if sentinel == nil || !errors.Is(err, sentinel) {
						t.Fatalf("npm ci failed with %s; Select returned %v", code, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("npm ci succeeded; Select: %v", err)
				}
				got := render(sel)
				if !slices.Equal(got, want) {
					t.Errorf("Select differs from npm ci\n got: %q\nwant: %q", got, want)
				}
				if len(sel.Install)+len(sel.Skipped) != len(l.Packages) {
					t.Errorf("%d installed + %d skipped != %d entries", len(sel.Install), len(sel.Skipped), len(l.Packages))
				}
			})
		}
	}
}

func readGolden(t *testing.T, file string) map[string][]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			cur = strings.TrimPrefix(line, "## ")
			out[cur] = []string{}
		case strings.HasPrefix(line, "#"), line == "":
		default:
			out[cur] = append(out[cur], line)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
