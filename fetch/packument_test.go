package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// packumentLocator is fakeLocator plus metadata URLs, with one host
// configured as a registry.
type packumentLocator struct{ fakeLocator }

func (packumentLocator) PackumentURL(name string) (string, error) {
	return "https://registry.test/" + strings.Replace(name, "/", "%2f", 1), nil
}

func (packumentLocator) IsRegistryURL(u string) bool {
	return strings.HasPrefix(u, "https://registry.test/")
}

func packument(name, version, tarball string) []byte {
	return fmt.Appendf(nil, `{"name":%q,"versions":{%q:{"dist":{"tarball":%q}}}}`, name, version, tarball)
}

// A registry that keeps tarballs elsewhere than npm's convention (GitHub
// Packages: /download/...) is asked for dist.tarball when the derived URL is
// missing, and the bytes are still verified against the lockfile.
func TestPackumentFallback(t *testing.T) {
	data, pkg := archive("foo", 300)
	f, g := newFetcher(t)
	f.Locator = packumentLocator{}
	real := "https://registry.test/download/foo/1.2.3/abcdef"
	g.serve("https://registry.test/foo", packument("foo", "1.2.3", real))
	g.serve(real, data)

	var c collect
	res, err := f.Fetch(context.Background(), pkg, c.consume)
	if err != nil {
		t.Fatal(err)
	}
	if res.URL != real || len(c.calls) != 1 || string(c.calls[0]) != string(data) {
		t.Errorf("fetched from %s (%d consume calls), want the archive from %s", res.URL, len(c.calls), real)
	}

	// A resolved URL is what the lockfile says; no guessing around it.
	f2, g2 := newFetcher(t)
	f2.Locator = packumentLocator{}
	pkg.Resolved = "https://registry.test/foo/-/foo-1.2.3.tgz"
	g2.serve("https://registry.test/foo", packument("foo", "1.2.3", real))
	g2.serve(real, data)
	if _, err := f2.Fetch(context.Background(), pkg, nil); err == nil || g2.calls["https://registry.test/foo"] != 0 {
		t.Errorf("err = %v, metadata requests %d; want the 404 and no metadata request", err, g2.calls["https://registry.test/foo"])
	}
}

func TestPackumentFallbackRefusals(t *testing.T) {
	data, pkg := archive("foo", 300)
	for name, tc := range map[string]struct {
		doc  []byte
		want string
	}{
		"other host":             {packument("foo", "1.2.3", "https://evil.test/foo.tgz"), "not under a configured registry; refusing to download from there (if evil.test is a registry you trust, name it in .npmrc: registry=https://evil.test/"},
		"other host, http":       {packument("foo", "1.2.3", "http://registry.test/foo.tgz"), "not under a configured registry"},
		"lookalike host":         {packument("foo", "1.2.3", "https://registry.test.evil.test/foo.tgz"), "not under a configured registry"},
		"no such version":        {packument("foo", "9.9.9", "https://registry.test/x.tgz"), "lists no tarball for version 1.2.3"},
		"not json":               {[]byte("<html>"), "unusable registry metadata"},
		"another package's":      {packument("bar", "1.2.3", "https://registry.test/bar.tgz"), `is for package "bar", not "foo"`},
		"no name":                {[]byte(`{"versions":{"1.2.3":{"dist":{"tarball":"https://registry.test/x.tgz"}}}}`), `is for package "", not "foo"`},
		"name in other case":     {[]byte(`{"NAME":"foo","versions":{"1.2.3":{"dist":{"tarball":"https://registry.test/x.tgz"}}}}`), `is for package ""`},
		"name not a string":      {[]byte(`{"name":["foo"],"versions":{}}`), "name is not a string"},
		"versions in other case": {[]byte(`{"name":"foo","Versions":{"1.2.3":{"dist":{"tarball":"https://registry.test/x.tgz"}}}}`), "lists no tarball"},
		"versions not an object": {[]byte(`{"name":"foo","versions":["1.2.3"]}`), "versions is not a JSON object"},
		"dist not an object":     {[]byte(`{"name":"foo","versions":{"1.2.3":{"dist":"https://registry.test/x.tgz"}}}`), "dist is not a JSON object"},
		"tarball not a string":   {[]byte(`{"name":"foo","versions":{"1.2.3":{"dist":{"tarball":{"href":"https://evil.test/foo.tgz"}}}}}`), "tarball is not a string"},
		"top level array":        {[]byte(`[{"name":"foo"}]`), "the document is not a JSON object"},
		"deeply nested":          {[]byte(`{"name":"foo","x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`), "exceeded max depth"},
		"trailing garbage":       {append(packument("foo", "1.2.3", "https://registry.test/x.tgz"), "{}"...), "unusable registry metadata"},
		"truncated":              {packument("foo", "1.2.3", "https://registry.test/x.tgz")[:30], "unusable registry metadata"},
	} {
		t.Run(name, func(t *testing.T) {
			f, g := newFetcher(t)
			f.Locator = packumentLocator{}
			g.serve("https://registry.test/foo", tc.doc)
			g.serve("https://evil.test/foo.tgz", data)
			_, err := f.Fetch(context.Background(), pkg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "404") {
				t.Fatalf("err = %v, want the 404 and %q", err, tc.want)
			}
			if g.calls["https://evil.test/foo.tgz"] != 0 {
				t.Error("downloaded from a host that is not a registry")
			}
		})
	}
}

// A signed URL's query is a secret: it must not reach error messages.
func TestSignedURLRedactedInErrors(t *testing.T) {
	_, pkg := archive("foo", 300)
	f, g := newFetcher(t)
	f.Locator = packumentLocator{}
	signed := "https://registry.test/download/foo.tgz?X-Amz-Signature=SECRET123"
	g.serve("https://registry.test/foo", packument("foo", "1.2.3", signed))
	g.serve(signed, []byte("not the archive"))
	res, err := f.Fetch(context.Background(), pkg, nil)
	if err == nil || strings.Contains(err.Error(), "SECRET123") || !strings.Contains(err.Error(), "X-Amz-Signature=REDACTED") {
		t.Fatalf("err = %v; want an integrity error with the signature redacted", err)
	}
	if res.URL != signed {
		t.Errorf("Result.URL = %q; callers need the real URL and redact it themselves", res.URL)
	}
}

// FuzzTarballOf: packument decoding never panics, and what it returns is
// what a reader taking exact keys (as JavaScript does) finds in a document
// that names the package.
func FuzzTarballOf(f *testing.F) {
	f.Add(packument("foo", "1.2.3", "https://registry.test/foo.tgz"), "foo", "1.2.3")
	f.Add(packument("@s/foo", "1.0.0-rc.1", "https://registry.test/@s/foo/-/foo-1.0.0-rc.1.tgz"), "@s/foo", "1.0.0-rc.1")
	f.Add([]byte(`{"name":"foo","NAME":"bar","versions":{"1":{"dist":{"tarball":"x","TARBALL":"y"}}},"Versions":{}}`), "foo", "1")
	f.Add([]byte(`{"name":"foo","versions":{"1":{"dist":{"tarball":null}}}}`), "foo", "1")
	f.Add([]byte(`{"name":"foo","name":"bar","versions":{"1":{"dist":{"tarball":"x"}}}}`), "bar", "1")
	f.Add([]byte(`{"name":"foo","versions":{"1":{"dist":{"tarball":"x"},"dist":{"tarball":"y"}}}}`), "foo", "1")
	f.Fuzz(func(t *testing.T, doc []byte, name, version string) {
		got, err := tarballOf(bytes.NewReader(doc), name, version)
		if err != nil {
			return
		}
		var v any
		if json.Unmarshal(doc, &v) != nil {
			t.Fatalf("accepted invalid JSON %q", doc)
		}
		field := func(v any, k string) any {
			m, _ := v.(map[string]any)
			return m[k]
		}
		if field(v, "name") != name {
			t.Fatalf("accepted a document named %v for %q", field(v, "name"), name)
		}
		want := field(field(field(field(v, "versions"), version), "dist"), "tarball")
		if got == "" || want != got {
			t.Fatalf("tarball %q, exact-key reading gives %v", got, want)
		}
	})
}
