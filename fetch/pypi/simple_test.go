package pypi

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The JSON and HTML pages below are shaped like pypi.org's answers for
// /simple/pip/ (PEP 691 and PEP 503), trimmed to a few files.
const jsonPage1 = `{"meta":{"_last-serial":1,"api-version":"1.1"},"name":"pip","files":[
 {"filename":"pip-23.0.1-py3-none-any.whl","url":"https://files.pythonhosted.org/packages/07/51/2c0959c5adf988c44d9e1e0d940f5b074516ecc87e96b1af25f59de9ba38/pip-23.0.1-py3-none-any.whl","hashes":{"sha256":"236BCB61156D76C4B8A05821B988C7B8C35BF0DA28A4B614E8D6AB5212C25C6F"},"requires-python":">=3.7","dist-info-metadata":{"sha256":"aa"},"yanked":false,"upload-time":"2023-02-17T18:31:51.587341Z","size":2055563},
 {"filename":"pip-23.0.1.tar.gz","url":"../../packages/pip-23.0.1.tar.gz","hashes":{},"requires-python":null,"yanked":"broken build"},
 {"filename":"pip-9.0.0-py2.py3-none-any.whl","url":"/packages/pip-9.0.0-py2.py3-none-any.whl","hashes":{"sha256":"11"},"yanked":true,"core-metadata":true,"dist-info-metadata":{"sha256":"bb"}}
]}`

const htmlPage1 = `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for pip</title></head>
<body><h1>Links for pip</h1>
<!-- <a href="commented-out.whl">x</a> -->
<a href="https://files.pythonhosted.org/packages/07/51/pip-23.0.1-py3-none-any.whl#sha256=236bcb61156d76c4b8a05821b988c7b8c35bf0da28a4b614e8d6ab5212c25c6f" data-requires-python="&gt;=3.7" data-dist-info-metadata="sha256=aa">pip-23.0.1-py3-none-any.whl</a><br/>
<a href="../../packages/pip-23.0.1.tar.gz#sha256=CAFE" data-yanked="broken build">pip-23.0.1.tar.gz</a><br/>
<A HREF='/packages/my%2Bpkg-1.0-py3-none-any.whl' data-yanked>my+pkg</A>
<script>var s = '<a href="evil.whl">';</script>
</body></html>`

func TestParsePage(t *testing.T) {
	want := []File{
		{Filename: "pip-23.0.1-py3-none-any.whl", URL: "https://files.pythonhosted.org/packages/07/51/2c0959c5adf988c44d9e1e0d940f5b074516ecc87e96b1af25f59de9ba38/pip-23.0.1-py3-none-any.whl",
			Hashes: map[string]string{"sha256": "236bcb61156d76c4b8a05821b988c7b8c35bf0da28a4b614e8d6ab5212c25c6f"}, RequiresPython: ">=3.7", HasMetadata: true,
			MetadataHashes: map[string]string{"sha256": "aa"}, UploadTime: "2023-02-17T18:31:51.587341Z", Size: 2055563},
		{Filename: "pip-23.0.1.tar.gz", URL: "https://idx.example/packages/pip-23.0.1.tar.gz", Yanked: true, YankedReason: "broken build"},
		// core-metadata (PEP 714) wins over dist-info-metadata: true
		// declares no hash.
		{Filename: "pip-9.0.0-py2.py3-none-any.whl", URL: "https://idx.example/packages/pip-9.0.0-py2.py3-none-any.whl", Hashes: map[string]string{"sha256": "11"}, Yanked: true, HasMetadata: true},
	}
	p, err := ParsePage([]byte(jsonPage1), "application/vnd.pypi.simple.v1+json", "https://idx.example/simple/pip/")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Files, want) {
		t.Errorf("JSON:\n got %+v\nwant %+v", p.Files, want)
	}

	wantHTML := []File{
		{Filename: "pip-23.0.1-py3-none-any.whl", URL: "https://files.pythonhosted.org/packages/07/51/pip-23.0.1-py3-none-any.whl",
			Hashes: map[string]string{"sha256": "236bcb61156d76c4b8a05821b988c7b8c35bf0da28a4b614e8d6ab5212c25c6f"}, RequiresPython: ">=3.7", HasMetadata: true,
			MetadataHashes: map[string]string{"sha256": "aa"}},
		{Filename: "pip-23.0.1.tar.gz", URL: "https://idx.example/packages/pip-23.0.1.tar.gz", Hashes: map[string]string{"sha256": "cafe"}, Yanked: true, YankedReason: "broken build"},
		{Filename: "my+pkg-1.0-py3-none-any.whl", URL: "https://idx.example/packages/my%2Bpkg-1.0-py3-none-any.whl", Yanked: true},
	}
	for _, ct := range []string{"text/html; charset=utf-8", "application/vnd.pypi.simple.v1+html"} {
		p, err := ParsePage([]byte(htmlPage1), ct, "https://idx.example/simple/pip/")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p.Files, wantHTML) {
			t.Errorf("HTML (%s):\n got %+v\nwant %+v", ct, p.Files, wantHTML)
		}
	}
}

func TestParseHTMLBase(t *testing.T) {
	page := `<html><head><base href="https://mirror.example/files/"></head><body><a href="a-1.0-py3-none-any.whl">a</a></body></html>`
	p, err := ParsePage([]byte(page), "text/html", "https://idx.example/simple/a/")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || p.Files[0].URL != "https://mirror.example/files/a-1.0-py3-none-any.whl" {
		t.Errorf("got %+v", p.Files)
	}
}

func TestParsePageRefusals(t *testing.T) {
	cases := []struct {
		name, body, ctype, want string
	}{
		{"unknown content type", `{}`, "application/json", "neither PEP 691"},
		{"JSON api major 2", `{"meta":{"api-version":"2.0"},"files":[]}`, contentJSON, "version 2.0"},
		{"HTML api major 2", `<meta name="pypi:repository-version" content="2.0">`, "text/html", "version 2.0"},
		{"bad JSON", `{"files":`, contentJSON, "PEP 691 JSON"},
		{"file name with slash", `{"files":[{"filename":"../x.whl","url":"x.whl"}]}`, contentJSON, "file name"},
		{"empty URL", `{"files":[{"filename":"x.whl","url":""}]}`, contentJSON, "does not parse"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePage([]byte(tc.body), tc.ctype, "https://idx.example/simple/x/")
			if err == nil || !errors.Is(err, ErrBadPage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadPage mentioning %q", err, tc.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Django": "django", "zope.interface": "zope-interface", "ruamel__yaml": "ruamel-yaml",
		"a-_.-b": "a-b", "PyYAML": "pyyaml",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseHTML(f *testing.F) {
	f.Add([]byte(htmlPage1))
	f.Add([]byte(`<a href="x.whl#sha256=00" data-requires-python="&gt;=3">`))
	f.Add([]byte(`<a href=x.whl><base href=//h/><!--`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePage(data, "text/html", "https://idx.example/simple/x/")
		if err != nil {
			return
		}
		for _, file := range p.Files {
			if strings.ContainsAny(file.Filename, "/\x00") || file.Filename == "" {
				t.Fatalf("bad file name %q accepted", file.Filename)
			}
		}
	})
}
