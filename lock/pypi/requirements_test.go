package pypi

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	hA = "sha256:" + "aa00000000000000000000000000000000000000000000000000000000000000"
	hB = "sha256:" + "bb00000000000000000000000000000000000000000000000000000000000000"
	hC = "sha256:" + "cc00000000000000000000000000000000000000000000000000000000000000"
)

// memFS serves requirements files from a map, as ParseRequirements' read.
func memFS(files map[string]string) func(string) ([]byte, error) {
	return func(name string) ([]byte, error) {
		s, ok := files[filepath.ToSlash(filepath.Clean(name))]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", name, fs.ErrNotExist)
		}
		return []byte(s), nil
	}
}

func parseReq(t *testing.T, files map[string]string) (*Lock, error) {
	t.Helper()
	return ParseRequirements("requirements.txt", memFS(files))
}

func linuxEnv() Environment {
	return Environment{Markers: map[string]string{
		"implementation_name": "cpython", "implementation_version": "3.11.7", "os_name": "posix",
		"platform_machine": "x86_64", "platform_release": "6.1.0", "platform_system": "Linux",
		"platform_version": "#1", "python_full_version": "3.11.7", "platform_python_implementation": "CPython",
		"python_version": "3.11", "sys_platform": "linux",
	}}
}

func TestParseRequirementsHashMode(t *testing.T) {
	lk, err := parseReq(t, map[string]string{"requirements.txt": "\ufeff" + `# pip-compile --generate-hashes
--index-url https://pypi.example/simple
--extra-index-url https://extra.example/simple

certifi==2024.2.2 \
    --hash=` + hA + ` \
    --hash=` + hB + `
    # via requests
Requests[socks,Security]==2.31.0 --hash=` + hC + `  # trailing comment
zope.interface==6.2 ; python_version < "3.12" --hash ` + hA + `
typing_extensions===4.10.0 --hash=` + hB + `

`})
	if err != nil {
		t.Fatal(err)
	}
	if lk.IndexURL != "https://pypi.example/simple" || !slices.Equal(lk.ExtraIndexURLs, []string{"https://extra.example/simple"}) {
		t.Errorf("index %q extra %v", lk.IndexURL, lk.ExtraIndexURLs)
	}
	if len(lk.Dists) != 4 {
		t.Fatalf("%d dists: %+v", len(lk.Dists), lk.Dists)
	}
	c := lk.Dists[0]
	if c.Name != "certifi" || c.Version != "2024.2.2" || len(c.Hashes) != 2 || c.Source != "requirements.txt:5" || !c.Requested {
		t.Errorf("certifi: %+v", c)
	}
	r := lk.Dists[1]
	if r.NormalizedName() != "requests" || !slices.Equal(r.Extras, []string{"socks", "Security"}) || len(r.Hashes) != 1 {
		t.Errorf("requests: %+v", r)
	}
	z := lk.Dists[2]
	if z.Marker != `python_version < "3.12"` || z.NormalizedName() != "zope-interface" {
		t.Errorf("zope: %+v", z)
	}
	if te := lk.Dists[3]; !te.Arbitrary || te.Version != "4.10.0" {
		t.Errorf("===: %+v", te)
	}
	got, err := lk.Select(linuxEnv())
	if err != nil || len(got) != 4 {
		t.Fatalf("Select: %v, %d", err, len(got))
	}
	env := linuxEnv()
	env.Markers["python_version"] = "3.12"
	if got, _ := lk.Select(env); len(got) != 3 {
		t.Errorf("marker not applied: %d dists", len(got))
	}
}

func TestParseRequirementsIncludes(t *testing.T) {
	files := map[string]string{
		"requirements.txt":    "-r sub/base.txt\n--requirement=sub/extra.txt\n-c constraints.txt\nsix==1.16.0 --hash=" + hA + " --hash=" + hB + "\n",
		"sub/base.txt":        "-r ../common.txt\nidna==3.6 --hash=" + hC + "\n",
		"sub/extra.txt":       "-rnested/more.txt\n",
		"sub/nested/more.txt": "attrs==23.2.0 --hash=" + hA + "\n",
		"common.txt":          "--no-index\n",
		"constraints.txt":     "six<2 --hash=" + hB + "\nnotrequired==9\nidna<4\n",
	}
	lk, err := parseReq(t, files)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range lk.Dists {
		names = append(names, d.Name+"@"+d.Source)
	}
	want := []string{"idna@sub/base.txt:2", "attrs@sub/nested/more.txt:1", "six@requirements.txt:4"}
	if !slices.Equal(names, want) {
		t.Errorf("dists %v, want %v", names, want)
	}
	if !lk.NoIndex {
		t.Error("--no-index from an include not recorded")
	}
	got, err := lk.Select(linuxEnv())
	if err != nil {
		t.Fatal(err)
	}
	// The constraint's hash narrows six's two hashes to the shared one.
	six := got[2]
	if len(six.Hashes) != 1 || six.Hashes[0].String() != hB {
		t.Errorf("six hashes %v", six.Hashes)
	}
}

func TestParseRequirementsConstraints(t *testing.T) {
	for _, c := range []struct {
		name, constraints string
		want              error
	}{
		{"satisfied", "six>=1,<2\n", nil},
		{"version excluded", "six<1.16\n", ErrConflict},
		{"hash disjoint", "six==1.16.0 --hash=" + hC + "\n", ErrConflict},
		{"marker off", "six<1 ; sys_platform == 'win32'\n", nil},
		{"unrelated", "other==1\n", nil},
		{"extras refused", "six[x]<2\n", ErrSyntax},
		{"url refused", "six @ https://x.example/six.whl\n", ErrUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			lk, err := parseReq(t, map[string]string{
				"requirements.txt": "-c c.txt\nsix==1.16.0 --hash=" + hA + "\n",
				"c.txt":            c.constraints,
			})
			if err == nil {
				_, err = lk.Select(linuxEnv())
			}
			if !errors.Is(err, c.want) || (c.want == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseRequirementsErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       error
		line       int
		mention    string
	}{
		{"unpinned >=", "six>=1.0 --hash=" + hA, ErrUnpinned, 1, "six"},
		{"unpinned ~=", "six~=1.0 --hash=" + hA, ErrUnpinned, 1, ""},
		{"no version", "six --hash=" + hA, ErrUnpinned, 1, ""},
		{"wildcard", "six==1.* --hash=" + hA, ErrUnpinned, 1, ""},
		{"range", "six>=1,<2 --hash=" + hA, ErrUnpinned, 1, ""},
		{"no hash", "# c\nsix==1.16.0", ErrNoHash, 2, "six==1.16.0"},
		{"hash only in comment", "six==1.16.0 # --hash=" + hA, ErrNoHash, 1, ""},
		{"md5", "six==1.16.0 --hash=md5:d41d8cd98f00b204e9800998ecf8427e", ErrBadHash, 1, "sha256"},
		{"short digest", "six==1.16.0 --hash=sha256:abcd", ErrBadHash, 1, ""},
		{"not hex", "six==1.16.0 --hash=sha256:" + strings.Repeat("z", 64), ErrBadHash, 1, ""},
		{"no colon", "six==1.16.0 --hash=sha256", ErrBadHash, 1, ""},
		{"editable", "-e git+https://x.example/r.git#egg=r", ErrUnsupported, 1, "editable"},
		{"editable path", "--editable ./src", ErrUnsupported, 1, ""},
		{"vcs", "git+https://x.example/r.git@v1#egg=r", ErrUnsupported, 1, ""},
		{"direct url", "six @ https://x.example/six-1.16.0-py2.py3-none-any.whl#sha256=" + strings.Repeat("a", 64) + " --hash=" + hA, ErrUnsupported, 1, "#sha256"},
		{"url", "https://x.example/six-1.16.0.tar.gz --hash=" + hA, ErrUnsupported, 1, ""},
		{"local path", "./dist/six-1.16.0-py2.py3-none-any.whl --hash=" + hA, ErrUnsupported, 1, ""},
		{"bare wheel", "six-1.16.0-py2.py3-none-any.whl --hash=" + hA, ErrUnsupported, 1, ""},
		{"find-links", "--find-links https://x.example/links", ErrUnsupported, 1, "find-links"},
		{"find-links short", "-f ./wheels", ErrUnsupported, 1, ""},
		{"trusted-host", "--trusted-host x.example", ErrUnsupported, 1, "TLS"},
		{"no-binary", "--no-binary :all:", ErrUnsupported, 1, ""},
		{"unknown", "--foo bar", ErrUnknownOption, 1, "--foo"},
		{"abbreviated", "--index https://x.example/simple", ErrUnknownOption, 1, ""},
		{"unknown short", "-x", ErrUnknownOption, 1, ""},
		{"index on requirement line", "six==1.16.0 --hash=" + hA + " --index-url https://x.example/simple", ErrUnknownOption, 1, ""},
		{"config-settings", "six==1.16.0 --hash=" + hA + " --config-settings=a=b", ErrUnsupported, 1, ""},
		{"use-feature", "--use-feature=truststore", ErrUnknownOption, 1, ""},
		{"hash alone", "six==1.16.0 --hash=" + hA + "\n--hash=" + hB, ErrSyntax, 2, "backslash"},
		{"continued line number", "# x\n\nsix>=1 \\\n  --hash=" + hA, ErrUnpinned, 3, ""},
		{"bad name", "-six==1 --hash=" + hA, ErrUnknownOption, 1, ""},
		{"bad marker", "six==1.16.0 ; python_version <<< '3' --hash=" + hA, ErrBadMarker, 1, ""},
		{"bad version", "six==1.0.x --hash=" + hA, ErrSyntax, 1, ""},
		{"value missing", "-i", ErrSyntax, 1, ""},
		{"unterminated quote", "six==1.16.0 --hash='" + hA, ErrSyntax, 1, ""},
		{"same pin twice", "six==1.16.0 --hash=" + hA + "\nsix==1.15.0 --hash=" + hB, ErrConflict, 0, "1.15.0"},
		{"remote include", "-r https://x.example/r.txt", ErrUnsupported, 1, ""},
		{"missing include", "-r nothere.txt", ErrInclude, 1, "nothere.txt"},
		{"not utf-8", "six==1.16.0 --hash=" + hA + "\n\xff\xfe", ErrSyntax, 0, "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseReq(t, map[string]string{"requirements.txt": c.text})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.line > 0 {
				var le *LineError
				if !errors.As(err, &le) || le.Line != c.line || le.File != "requirements.txt" {
					t.Errorf("err = %#v, want a LineError at line %d", err, c.line)
				}
			}
			if c.mention != "" && !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %q", err, c.mention)
			}
		})
	}
}

func TestParseRequirementsIncludeCycle(t *testing.T) {
	_, err := parseReq(t, map[string]string{
		"requirements.txt": "-r a.txt\n",
		"a.txt":            "-r sub/../requirements.txt\n",
	})
	if !errors.Is(err, ErrInclude) || !strings.Contains(err.Error(), "includes itself") {
		t.Fatalf("err = %v", err)
	}
	// A file included twice without a cycle is fine (pip reads it twice).
	lk, err := parseReq(t, map[string]string{
		"requirements.txt": "-r a.txt\n-r b.txt\n",
		"a.txt":            "-r c.txt\n",
		"b.txt":            "-r c.txt\n",
		"c.txt":            "six==1.16.0 --hash=" + hA + "\n",
	})
	if err != nil || len(lk.Dists) != 2 {
		t.Fatalf("diamond: %v", err)
	}
	if got, err := lk.Select(linuxEnv()); err != nil || len(got) != 1 {
		t.Errorf("diamond select: %v %d", err, len(got))
	}
	// Deep nesting stops at MaxIncludeDepth.
	files := map[string]string{}
	for i := range MaxIncludeDepth + 2 {
		name := fmt.Sprintf("r%d.txt", i)
		if i == 0 {
			name = "requirements.txt"
		}
		files[name] = fmt.Sprintf("-r r%d.txt\n", i+1)
	}
	if _, err := parseReq(t, files); !errors.Is(err, ErrInclude) {
		t.Errorf("deep: err = %v", err)
	}
}

func TestRequirementsSelectDuplicates(t *testing.T) {
	lk, err := parseReq(t, map[string]string{"requirements.txt": `
numpy==1.24.4 ; python_version < "3.9" --hash=` + hA + `
numpy==1.26.4 ; python_version >= "3.9" --hash=` + hB + `
six==1.16.0 --hash=` + hA + ` --hash=` + hB + `
six==1.16 ; os_name == "posix" --hash=` + hB + ` --hash=` + hC + `
`})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lk.Select(linuxEnv())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Version != "1.26.4" || len(got[1].Hashes) != 1 || got[1].Hashes[0].String() != hB {
		t.Errorf("got %+v", got)
	}
	// Two pins of one project that both apply here are a conflict.
	lk, err = parseReq(t, map[string]string{"requirements.txt": `
numpy==1.24.4 ; python_version < "3.12" --hash=` + hA + `
numpy==1.26.4 ; os_name == "posix" --hash=` + hB + `
`})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lk.Select(linuxEnv()); !errors.Is(err, ErrConflict) {
		t.Errorf("err = %v", err)
	}
	// Same version, disjoint hashes: nothing can match both.
	lk, _ = parseReq(t, map[string]string{"requirements.txt": "six==1.16.0 --hash=" + hA + "\nsix==1.16.0 ; os_name == 'posix' --hash=" + hB + "\n"})
	if _, err := lk.Select(linuxEnv()); !errors.Is(err, ErrConflict) {
		t.Errorf("disjoint hashes: err = %v", err)
	}
}

func TestRequirementsEnvExpansion(t *testing.T) {
	env := map[string]string{"TOKEN": "s3cret", "EMPTY": ""}
	lk, err := ParseRequirementsEnv("requirements.txt", memFS(map[string]string{
		"requirements.txt": "-i https://u:${TOKEN}@idx.example/simple\n--extra-index-url https://${EMPTY}x.example/${UNSET}\n",
	}), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if lk.IndexURL != "https://u:s3cret@idx.example/simple" || lk.ExtraIndexURLs[0] != "https://${EMPTY}x.example/${UNSET}" {
		t.Errorf("index %q extra %v", lk.IndexURL, lk.ExtraIndexURLs)
	}
	lk, _ = ParseRequirements("requirements.txt", memFS(map[string]string{"requirements.txt": "-i https://${TOKEN}@idx.example/\n"}))
	if lk.IndexURL != "https://${TOKEN}@idx.example/" {
		t.Errorf("ParseRequirements expanded: %q", lk.IndexURL)
	}
}

func TestRequirementsNoIndexWins(t *testing.T) {
	lk, err := parseReq(t, map[string]string{"requirements.txt": "-i https://a.example/\n--no-index\n-i https://b.example/\n--extra-index-url https://c.example/\n"})
	if err != nil {
		t.Fatal(err)
	}
	if !lk.NoIndex || lk.IndexURL != "" || len(lk.ExtraIndexURLs) != 0 {
		t.Errorf("%+v", lk)
	}
}

func TestSplitLines(t *testing.T) {
	got := splitLines("a\nb\r\nc\rd\ve\u2028f\u0085g")
	if !slices.Equal(got, []string{"a", "b", "c", "d", "e", "f", "g"}) {
		t.Errorf("%q", got)
	}
}

func TestVersionMatches(t *testing.T) {
	d := Dist{Version: "1.0"}
	for v, want := range map[string]bool{"1.0": true, "1.0.0": true, "1.0+local": true, "1.0.post1": false, "1.0rc1": false, "x": false} {
		if got := d.VersionMatches(v); got != want {
			t.Errorf("==1.0 matches %q: %v", v, got)
		}
	}
	a := Dist{Version: "1.0", Arbitrary: true}
	if !a.VersionMatches("1.0") || a.VersionMatches("1.0.0") {
		t.Error("=== must compare strings")
	}
}

// TestRequirementsErrorsDoNotLeak: a hostile requirements file must not be
// able to print secrets into CI logs through error messages.
func TestRequirementsErrorsDoNotLeak(t *testing.T) {
	files := map[string]string{
		"proj/requirements.txt": "-r ../home/.aws/credentials\n",
		"home/.aws/credentials": "aws_secret_access_key=wJalrXUtnFEMIsecret\n",
	}
	_, err := ParseRequirements("proj/requirements.txt", memFS(files))
	if err == nil || strings.Contains(err.Error(), "wJalrXUtnFEMIsecret") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "line not shown") {
		t.Errorf("err = %v", err)
	}
	// ${VAR} is expanded in index URLs only, so a secret cannot reach an error.
	getenv := func(k string) string { return map[string]string{"SECRET": "hunter2"}[k] }
	_, err = ParseRequirementsEnv("requirements.txt", memFS(map[string]string{
		"requirements.txt": "${SECRET}==1 --hash=" + hA + "\n",
	}), getenv)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("err = %v", err)
	}
	// Long lines are cut in messages.
	_, err = parseReq(t, map[string]string{"requirements.txt": "six>=1 " + strings.Repeat("x", 5000)})
	if err == nil || len(err.Error()) > 1000 {
		t.Errorf("message of %d bytes", len(err.Error()))
	}
}
