package pypi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/fetch/client"
)

func TestCandidates(t *testing.T) {
	a, b, c := strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("c", 64)
	files := []File{
		{Filename: "x-1-py3-none-any.whl", URL: "https://i1/x1", Hashes: map[string]string{"sha256": c}, Index: "i1"}, // index disagrees with the lock
		{Filename: "x-1-py3-none-any.whl", URL: "https://i2/x1", Hashes: map[string]string{"sha256": a}, Index: "i2"}, // same name, matching hash
		{Filename: "x-1-cp311-cp311-linux_x86_64.whl", URL: "https://i1/x2", Index: "i1"},                             // no hash listed
		{Filename: "x-1-cp311-cp311-linux_x86_64.whl", URL: "https://i2/x2", Hashes: map[string]string{"sha256": b}, Index: "i2"},
		{Filename: "x-1.tar.gz", URL: "https://i1/x3", Hashes: map[string]string{"md5": "00"}},
	}
	locked := []Hash{{"sha256", a}, {"sha256", b}}
	cands, rejected := Candidates(files, locked)
	want := []Candidate{
		{File: files[1], Hashes: []Hash{{"sha256", a}}},
		{File: files[3], Hashes: []Hash{{"sha256", b}}},
		{File: files[4], Hashes: locked, Ambiguous: true},
	}
	if !reflect.DeepEqual(cands, want) {
		t.Errorf("candidates:\n got %+v\nwant %+v", cands, want)
	}
	if len(rejected) != 1 || rejected[0].File.URL != "https://i1/x1" || rejected[0].Hash.Hex != c {
		t.Errorf("rejected = %+v", rejected)
	}

	// One locked hash and no index hash: that hash, not ambiguous.
	cands, _ = Candidates(files[2:3], locked[:1])
	if len(cands) != 1 || cands[0].Ambiguous || !reflect.DeepEqual(cands[0].Hashes, locked[:1]) {
		t.Errorf("single hash: %+v", cands)
	}
}

func TestLocator(t *testing.T) {
	var l Locator
	if u, err := l.TarballURL("x", "1", "https://files.example/x-1-py3-none-any.whl"); err != nil || u != "https://files.example/x-1-py3-none-any.whl" {
		t.Errorf("got %q, %v", u, err)
	}
	for _, bad := range []string{"", "http://files.example/x.whl", "files.example/x.whl"} {
		if _, err := l.TarballURL("x", "1", bad); err == nil {
			t.Errorf("TarballURL(%q) accepted", bad)
		}
	}
}

// fakeGetter answers from a map of URL → (content type, body), recording
// the Accept header; a missing URL is a 404 StatusError as fetch/client's.
type fakeGetter struct {
	pages  map[string][2]string
	accept []string
	final  map[string]string // URL → redirected final URL
}

func (g *fakeGetter) Get(_ context.Context, u string, h http.Header) (*http.Response, error) {
	g.accept = append(g.accept, h.Get("Accept"))
	p, ok := g.pages[u]
	if !ok {
		return nil, &client.StatusError{URL: u, Code: 404}
	}
	final := u
	if f, ok := g.final[u]; ok {
		final = f
	}
	fu, _ := url.Parse(final)
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {p[0]}},
		Body: io.NopCloser(strings.NewReader(p[1])), Request: &http.Request{URL: fu}}, nil
}

func TestFinder(t *testing.T) {
	cfg, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull}),
		Flags: Flags{IndexURL: "https://tok@a.example/simple", ExtraIndexURLs: []string{"https://b.example/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGetter{
		pages: map[string][2]string{
			"https://a.example/simple/zope-interface/": {contentJSON, `{"meta":{"api-version":"1.0"},"files":[{"filename":"zope.interface-6.0-py3-none-any.whl","url":"f/z.whl","hashes":{}}]}`},
		},
		final: map[string]string{"https://a.example/simple/zope-interface/": "https://a.example/other/zope-interface/"},
	}
	pages := OpenPageCache(t.TempDir())
	f := &Finder{Getter: g, Config: cfg, Pages: pages}
	files, err := f.Files(context.Background(), "Zope.Interface")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].URL != "https://a.example/other/zope-interface/f/z.whl" || files[0].Index != "https://a.example/simple/" {
		t.Fatalf("files = %+v (relative URLs resolve against the final page URL)", files)
	}
	if len(g.accept) != 2 || g.accept[0] != Accept {
		t.Errorf("Accept headers sent: %q", g.accept)
	}

	// Offline: the same answer from the remembered pages, no request.
	g.accept = nil
	off := &Finder{Config: cfg, Pages: pages, Offline: true}
	again, err := off.Files(context.Background(), "zope-interface")
	if err != nil || !reflect.DeepEqual(again, files) || len(g.accept) != 0 {
		t.Errorf("offline: %+v, %v", again, err)
	}
	_, err = off.Files(context.Background(), "never-seen")
	if !errors.Is(err, ErrPageNotCached) {
		t.Errorf("offline miss: %v, want ErrPageNotCached", err)
	}

	noIdx := &Finder{Config: &Config{NoIndex: true, NoIndexSource: "--no-index"}}
	if _, err := noIdx.Files(context.Background(), "x"); !errors.Is(err, ErrNoIndex) || !strings.Contains(err.Error(), "--no-index") {
		t.Errorf("no-index: %v", err)
	}
}

func TestFirstIndexFiles(t *testing.T) {
	cfg, err := LoadConfig(LoadOptions{SystemDir: "/nonexistent-etc", Getenv: envOf(map[string]string{"PIP_CONFIG_FILE": os.DevNull}),
		Flags: Flags{IndexURL: "https://public.example/simple", ExtraIndexURLs: []string{"https://private.example/simple", "https://second.example/simple"}}})
	if err != nil {
		t.Fatal(err)
	}
	page := func(file string) [2]string {
		return [2]string{contentJSON, `{"meta":{"api-version":"1.0"},"files":[{"filename":"` + file + `","url":"` + file + `"}]}`}
	}
	g := &fakeGetter{pages: map[string][2]string{
		// The public index has a higher version of the private project:
		// a dependency-confusion attempt.
		"https://public.example/simple/internal-tool/":  page("internal_tool-99.0-py3-none-any.whl"),
		"https://private.example/simple/internal-tool/": page("internal_tool-1.0-py3-none-any.whl"),
		"https://public.example/simple/requests/":       page("requests-2.0-py3-none-any.whl"),
	}}
	f := &Finder{Getter: g, Config: cfg}
	files, err := f.FirstIndexFiles(context.Background(), "internal-tool")
	if err != nil || len(files) != 1 || files[0].Filename != "internal_tool-1.0-py3-none-any.whl" {
		t.Errorf("internal-tool: %+v, %v", files, err)
	}
	if len(g.accept) != 1 {
		t.Errorf("%d requests; the first index that lists the project ends the search", len(g.accept))
	}
	g.accept = nil
	files, err = f.FirstIndexFiles(context.Background(), "requests")
	if err != nil || len(files) != 1 || files[0].Index != "https://public.example/simple/" || len(g.accept) != 3 {
		t.Errorf("requests: %+v, %v, %d requests", files, err, len(g.accept))
	}
	if files, err := f.FirstIndexFiles(context.Background(), "nowhere"); err != nil || len(files) != 0 {
		t.Errorf("nowhere: %+v, %v", files, err)
	}
	// Files, for locked hashes, still looks at every index.
	all, err := f.Files(context.Background(), "internal-tool")
	if err != nil || len(all) != 2 {
		t.Errorf("Files: %+v, %v", all, err)
	}
}
