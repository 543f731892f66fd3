package testregistry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	fetchpypi "github.com/airlock-dev/airlock/fetch/pypi"
)

func startPyPI(t *testing.T, p *PyPI, opts ...Option) *Registry {
	t.Helper()
	reg, err := StartPyPI(p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	return reg
}

// pypiClient is a client trusting reg's CA, as users trust an index's, and
// reg's simple index.
func pypiClient(t *testing.T, reg *Registry) (*client.Client, fetchpypi.Index) {
	t.Helper()
	ca, err := client.ReadCAFile(reg.CAFile(), "test")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Options{ExtraCAs: []client.CABundle{ca}})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := fetchpypi.ParseIndexURL(reg.URL()+"simple", "test")
	if err != nil {
		t.Fatal(err)
	}
	return cl, ix
}

func TestPyPIServesBothFormats(t *testing.T) {
	p := NewPyPI()
	name, sha, err := p.AddWheel(WheelSpec{Name: "Hello.World", Version: "1.0", ConsoleScripts: map[string]string{"hello": "hello_world:main"}})
	if err != nil {
		t.Fatal(err)
	}
	if name != "Hello_World-1.0-py3-none-any.whl" {
		t.Errorf("wheel name %s", name)
	}
	if err := p.Add("hello-world", "hello_world-1.0.tar.gz", []byte("sdist")); err != nil {
		t.Fatal(err)
	}
	p.Yank("hello_world-1.0.tar.gz", "broken")
	reg := startPyPI(t, p)
	cl, ix := pypiClient(t, reg)
	for _, mode := range []struct {
		htmlOnly, relative bool
	}{{false, false}, {true, false}, {true, true}} {
		p.SetHTMLOnly(mode.htmlOnly, mode.relative)
		// A non-normalized name is redirected, as on PyPI.
		page, err := fetchpypi.GetPage(context.Background(), cl, ix, "hello.world")
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Files) != 2 {
			t.Fatalf("%+v: files %+v", mode, page.Files)
		}
		whl := page.Files[0]
		if whl.Filename != name || whl.Hashes["sha256"] != sha || whl.RequiresPython != ">=3.7" {
			t.Errorf("%+v: wheel entry %+v", mode, whl)
		}
		if !page.Files[1].Yanked || page.Files[1].YankedReason != "broken" {
			t.Errorf("%+v: sdist entry %+v", mode, page.Files[1])
		}
		resp, err := cl.Get(context.Background(), whl.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != sha {
			t.Errorf("%+v: downloaded file does not match its listed hash", mode)
		}
	}
	if reqs := reg.Requests(); !strings.Contains(reqs[0].Header.Get("Accept"), "vnd.pypi.simple.v1+json") {
		t.Errorf("first request Accept = %q", reqs[0].Header.Get("Accept"))
	}
}

func TestPyPIFilesHostAndAuth(t *testing.T) {
	p := NewPyPI()
	if _, _, err := p.AddWheel(WheelSpec{Name: "a", Version: "1"}); err != nil {
		t.Fatal(err)
	}
	files := startPyPI(t, p)
	p.SetFilesURL(files.URL())
	idx := startPyPI(t, p, WithMiddleware(RequireBasic("/simple/*", "user", "tok")))
	req, _ := http.NewRequest("GET", idx.URL()+"simple/a/", nil)
	resp, err := idx.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("without credentials: %d", resp.StatusCode)
	}
	req.SetBasicAuth("user", "tok")
	resp, err = idx.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), files.URL()+"packages/") {
		t.Errorf("with credentials: %d %s", resp.StatusCode, body)
	}
}

// TestPyPIWithRealPip checks the index against pip itself: pip downloads a
// generated wheel and a real one through the JSON API and through HTML.
func TestPyPIWithRealPip(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	if exec.Command(python, "-m", "pip", "--version").Run() != nil {
		t.Skip("pip not available for python3")
	}
	p := NewPyPI()
	if _, _, err := p.AddWheel(WheelSpec{Name: "airlock-hello", Version: "1.0"}); err != nil {
		t.Fatal(err)
	}
	real, err := p.AddDir(SystemWheelsDir)
	if err != nil || len(real) == 0 {
		t.Logf("no real wheels in %s (%v); checking the generated one only", SystemWheelsDir, err)
	}
	reg := startPyPI(t, p)
	for _, htmlOnly := range []bool{false, true} {
		p.SetHTMLOnly(htmlOnly, htmlOnly)
		dir := t.TempDir()
		args := []string{"-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--index-url", reg.URL() + "simple/", "--cert", reg.CAFile(), "-d", dir, "airlock-hello==1.0"}
		for _, f := range real {
			if strings.HasPrefix(f, "pip-") {
				args = append(args, "pip=="+strings.Split(f, "-")[1])
			}
		}
		cmd := exec.Command(python, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "PIP_CONFIG_FILE=" + os.DevNull}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pip download (html only %v): %v\n%s", htmlOnly, err, out)
		}
		got, _ := filepath.Glob(filepath.Join(dir, "*.whl"))
		if len(got) != 1+min(1, len(real)) {
			t.Errorf("pip downloaded %v", got)
		}
	}
}

func TestPyPICoreMetadataAndUploadTime(t *testing.T) {
	p := NewPyPI()
	name, _, err := p.AddWheel(WheelSpec{Name: "dep-user", Version: "2.0", Requires: []string{"lib>=1; extra == 'x'"}, ProvidesExtra: []string{"x"}, RequiresPython: ">=3.8"})
	if err != nil {
		t.Fatal(err)
	}
	uploaded := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p.SetUploadTime(name, uploaded)
	reg := startPyPI(t, p)
	cl, ix := pypiClient(t, reg)
	for _, on := range []bool{false, true} {
		p.SetCoreMetadata(on)
		for _, htmlOnly := range []bool{false, true} {
			p.SetHTMLOnly(htmlOnly, false)
			page, err := fetchpypi.GetPage(context.Background(), cl, ix, "dep-user")
			if err != nil || len(page.Files) != 1 {
				t.Fatalf("page: %+v, %v", page, err)
			}
			f := page.Files[0]
			if f.HasMetadata != on || (f.MetadataHashes["sha256"] != "") != on {
				t.Errorf("metadata %v html %v: %+v", on, htmlOnly, f)
			}
			if want := uploaded.Format(time.RFC3339); !htmlOnly && !strings.HasPrefix(f.UploadTime, strings.TrimSuffix(want, "Z")) {
				t.Errorf("upload-time %q, want %s", f.UploadTime, want)
			}
			resp, err := cl.Get(context.Background(), f.URL+".metadata", nil)
			if !on {
				if err == nil {
					resp.Body.Close()
					t.Errorf("metadata served while off")
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			sum := sha256.Sum256(body)
			if hex.EncodeToString(sum[:]) != f.MetadataHashes["sha256"] || !strings.Contains(string(body), "Requires-Dist: lib>=1; extra == 'x'\n") {
				t.Errorf("metadata %q does not match its listed hash or spec", body)
			}
		}
	}
}
