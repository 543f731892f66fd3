package testregistry

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// PyPI is a Python package index for hermetic tests: the simple API of
// PEP 691 (JSON) and PEP 503 (HTML) over the files Add-ed to it, each listed
// with its sha256. Serve it with StartPyPI (or mount Middleware on a
// registry); the usual fault middlewares apply to its paths too.
//
// Routes:
//
//   - GET /simple/: the project list.
//   - GET /simple/<normalized>/: the project's files. An Accept header
//     naming application/vnd.pypi.simple.v1+json gets PEP 691 JSON, anything
//     else PEP 503 HTML (text/html), unless HTMLOnly is set. A name that is
//     not normalized is redirected to its normalized form, as PyPI does.
//   - GET /packages/<sha256[:2]>/<sha256>/<filename>: the file.
//   - GET /packages/<sha256[:2]>/<sha256>/<filename>.metadata: a wheel's
//     METADATA (PEP 658), listed with its sha256 as core-metadata (PEP
//     714) only when SetCoreMetadata(true).
//   - GET /integrity/<normalized>/<version>/<filename>/provenance: the
//     PEP 740 provenance object SetProvenance gave for the file, listed
//     as the file's "provenance" (JSON; null for files without one) and
//     data-provenance (HTML), as PyPI's Integrity API serves it.
//
// Every file is listed with an upload-time (PEP 700, JSON only):
// DefaultUploadTime unless SetUploadTime says otherwise.
//
// File URLs are absolute, on FilesURL when set (a second server holding the
// same files, like files.pythonhosted.org behind pypi.org), else on the
// index's own server.
type PyPI struct {
	mu       sync.RWMutex
	files    map[string][]*pypiFile // normalized project name → files
	filesURL string
	listed   map[string]string // filename → the sha256 to list instead
	htmlOnly bool
	relative bool
	metadata bool
	// provenance maps a filename to its provenance object (PEP 740).
	provenance map[string][]byte
}

// DefaultUploadTime is the upload-time listed for files SetUploadTime did
// not set: long enough ago for any release-age policy.
var DefaultUploadTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

type pypiFile struct {
	project  string // as given
	filename string
	data     []byte
	sha256   string
	yanked   string
	requires string // Requires-Python; "" lists ">=3.7"
	uploaded time.Time
}

// NewPyPI returns an empty index.
func NewPyPI() *PyPI {
	return &PyPI{files: map[string][]*pypiFile{}, listed: map[string]string{}, provenance: map[string][]byte{}}
}

// StartPyPI serves p over TLS like Start serves the npm registry, with the
// same options (WithMiddleware for faults, WithAddr). The Registry it
// returns gives the base URL (the index is at URL()+"simple/"), the CA
// file, the request log and Close.
func StartPyPI(p *PyPI, opts ...Option) (*Registry, error) {
	return Start(append(opts, WithoutFixtures(), WithMiddleware(p.Middleware()))...)
}

var projectOfFile = regexp.MustCompile(`^(.+?)-\d`)

// Add serves a file under project (the name before the first "-<digit>" of
// the filename when project is ""). It replaces a file of the same name.
func (p *PyPI) Add(project, filename string, data []byte) error {
	if project == "" {
		m := projectOfFile.FindStringSubmatch(filename)
		if m == nil {
			return fmt.Errorf("testregistry: cannot tell the project of %q", filename)
		}
		project = m[1]
	}
	if filename == "" || strings.ContainsAny(filename, "/\\") {
		return fmt.Errorf("testregistry: bad file name %q", filename)
	}
	sum := sha256.Sum256(data)
	f := &pypiFile{project: project, filename: filename, data: bytes.Clone(data), sha256: hex.EncodeToString(sum[:])}
	key := normalizeProject(project)
	p.mu.Lock()
	defer p.mu.Unlock()
	files := p.files[key]
	for i, old := range files {
		if old.filename == filename {
			files[i] = f
			return nil
		}
	}
	p.files[key] = append(files, f)
	return nil
}

// AddWheel builds a wheel with MakeWheel and serves it. It returns the
// filename and the wheel's sha256 in hex.
func (p *PyPI) AddWheel(spec WheelSpec) (filename, sha string, err error) {
	name, data, err := MakeWheel(spec)
	if err != nil {
		return "", "", err
	}
	if err := p.Add(spec.Name, name, data); err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(data)
	return name, hex.EncodeToString(sum[:]), nil
}

// SystemWheelsDir is where Debian's python3-pip-whl and
// python3-setuptools-whl install real wheels (pip and setuptools).
const SystemWheelsDir = "/usr/share/python-wheels"

// AddDir serves every *.whl and *.tar.gz in dir (SystemWheelsDir for
// real wheels) and returns their file names.
func (p *PyPI) AddDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".whl") && !strings.HasSuffix(e.Name(), ".tar.gz") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := p.Add("", e.Name(), data); err != nil {
			return nil, err
		}
		names = append(names, e.Name())
	}
	return names, nil
}

// File returns the bytes served for filename and their sha256 in hex.
func (p *PyPI) File(filename string) ([]byte, string, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, files := range p.files {
		for _, f := range files {
			if f.filename == filename {
				return bytes.Clone(f.data), f.sha256, true
			}
		}
	}
	return nil, "", false
}

// SetFilesURL makes file URLs point at base (with a trailing slash), a
// second server that serves the same PyPI; "" serves them here.
func (p *PyPI) SetFilesURL(base string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.filesURL = base
}

// ListHash makes the index list sha (hex) for filename instead of the
// file's real sha256: an index whose metadata disagrees with its files.
func (p *PyPI) ListHash(filename, sha string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.listed[filename] = sha
}

// SetRequiresPython makes the index list spec as filename's
// Requires-Python (every file lists ">=3.7" otherwise).
func (p *PyPI) SetRequiresPython(filename, spec string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, files := range p.files {
		for _, f := range files {
			if f.filename == filename {
				f.requires = spec
			}
		}
	}
}

// SetUploadTime makes the index list t as filename's upload-time.
func (p *PyPI) SetUploadTime(filename string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, files := range p.files {
		for _, f := range files {
			if f.filename == filename {
				f.uploaded = t
			}
		}
	}
}

// SetProvenance makes the index list and serve doc as filename's PEP 740
// provenance object (the bytes as given, so tests can serve broken ones);
// nil removes it.
func (p *PyPI) SetProvenance(filename string, doc []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if doc == nil {
		delete(p.provenance, filename)
		return
	}
	p.provenance[filename] = bytes.Clone(doc)
}

// provenancePath is where the index serves filename's provenance: PyPI's
// /integrity/<project>/<version>/<filename>/provenance.
func provenancePath(project, filename string) string {
	version := "0"
	if parts := strings.Split(strings.TrimSuffix(filename, ".tar.gz"), "-"); len(parts) > 1 {
		version = parts[1]
	}
	return "integrity/" + normalizeProject(project) + "/" + version + "/" + filename + "/provenance"
}

// SetCoreMetadata makes the index serve every wheel's METADATA as a file
// of its own and list its hash (PEP 658 / 714), as PyPI does.
func (p *PyPI) SetCoreMetadata(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.metadata = on
}

// wheelMetadata returns the METADATA inside a wheel, or nil.
func wheelMetadata(data []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil
	}
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		if base != "METADATA" || !strings.HasSuffix(dir, ".dist-info/") || strings.Count(dir, "/") != 1 {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil
		}
		defer rc.Close()
		b, err := io.ReadAll(io.LimitReader(rc, 16<<20))
		if err != nil {
			return nil
		}
		return b
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Yank marks filename as yanked (PEP 592) with reason.
func (p *PyPI) Yank(filename, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, files := range p.files {
		for _, f := range files {
			if f.filename == filename {
				f.yanked = reason
			}
		}
	}
}

// SetHTMLOnly makes the index answer PEP 503 HTML whatever is asked for,
// as an index without PEP 691 support does; with relative set, file URLs
// are relative to the page ("../../packages/..."), as PEP 503 allows.
func (p *PyPI) SetHTMLOnly(htmlOnly, relative bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.htmlOnly, p.relative = htmlOnly, relative
}

var separatorRun = regexp.MustCompile(`[-_.]+`)

func normalizeProject(name string) string {
	return strings.ToLower(separatorRun.ReplaceAllString(name, "-"))
}

// Middleware serves the index's routes and passes every other request on.
func (p *PyPI) Middleware() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch {
			case r.URL.Path == "/simple/" || r.URL.Path == "/simple":
				p.serveRoot(w, r)
			case strings.HasPrefix(r.URL.Path, "/simple/"):
				p.serveProject(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/simple/"), "/"))
			case strings.HasPrefix(r.URL.Path, "/packages/"):
				p.serveFile(w, r)
			case strings.HasPrefix(r.URL.Path, "/integrity/"):
				p.serveProvenance(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/vnd.pypi.simple.v1+json")
}

func (p *PyPI) serveRoot(w http.ResponseWriter, r *http.Request) {
	p.mu.RLock()
	names := make([]string, 0, len(p.files))
	for n := range p.files {
		names = append(names, n)
	}
	htmlOnly := p.htmlOnly
	p.mu.RUnlock()
	sort.Strings(names)
	if wantsJSON(r) && !htmlOnly {
		projects := make([]map[string]string, len(names))
		for i, n := range names {
			projects[i] = map[string]string{"name": n}
		}
		serveBytes(w, r, "application/vnd.pypi.simple.v1+json", mustJSON(map[string]any{"meta": map[string]string{"api-version": "1.0"}, "projects": projects}))
		return
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Simple index</title></head><body>\n")
	for _, n := range names {
		fmt.Fprintf(&b, "<a href=\"%s/\">%s</a>\n", n, n)
	}
	b.WriteString("</body></html>\n")
	serveBytes(w, r, "text/html; charset=utf-8", []byte(b.String()))
}

func (p *PyPI) serveProject(w http.ResponseWriter, r *http.Request, name string) {
	norm := normalizeProject(name)
	if name != norm {
		http.Redirect(w, r, "/simple/"+norm+"/", http.StatusMovedPermanently)
		return
	}
	p.mu.RLock()
	files := append([]*pypiFile(nil), p.files[norm]...)
	base := p.filesURL
	listed := map[string]string{}
	for k, v := range p.listed {
		listed[k] = v
	}
	htmlOnly, relative, withMeta := p.htmlOnly, p.relative, p.metadata
	hasProvenance := map[string]bool{}
	for fn := range p.provenance {
		hasProvenance[fn] = true
	}
	p.mu.RUnlock()
	if len(files) == 0 {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	if base == "" {
		base = "https://" + r.Host + "/"
	}
	sort.Slice(files, func(i, j int) bool { return files[i].filename < files[j].filename })
	fileURL := func(f *pypiFile) string {
		rel := "packages/" + f.sha256[:2] + "/" + f.sha256 + "/" + f.filename
		if relative {
			return "../../" + rel
		}
		return base + rel
	}
	requiresOf := func(f *pypiFile) string {
		if f.requires != "" {
			return f.requires
		}
		return ">=3.7"
	}
	provenanceOf := func(f *pypiFile) string {
		if !hasProvenance[f.filename] {
			return ""
		}
		return "https://" + r.Host + "/" + provenancePath(f.project, f.filename)
	}
	hashOf := func(f *pypiFile) string {
		if h, ok := listed[f.filename]; ok {
			return h
		}
		return f.sha256
	}
	if wantsJSON(r) && !htmlOnly {
		var out []map[string]any
		for _, f := range files {
			var yanked any = false
			if f.yanked != "" {
				yanked = f.yanked
			}
			uploaded := f.uploaded
			if uploaded.IsZero() {
				uploaded = DefaultUploadTime
			}
			var meta any = false
			if m := wheelMetadata(f.data); withMeta && m != nil && strings.HasSuffix(f.filename, ".whl") {
				meta = map[string]string{"sha256": sha256Hex(m)}
			}
			entry := map[string]any{
				"filename": f.filename, "url": fileURL(f), "yanked": yanked,
				"hashes": map[string]string{"sha256": hashOf(f)}, "requires-python": requiresOf(f),
				"core-metadata": meta, "size": len(f.data), "upload-time": uploaded.UTC().Format("2006-01-02T15:04:05.000000Z"),
				"provenance": nil,
			}
			if u := provenanceOf(f); u != "" {
				entry["provenance"] = u
			}
			out = append(out, entry)
		}
		serveBytes(w, r, "application/vnd.pypi.simple.v1+json", mustJSON(map[string]any{
			"meta": map[string]string{"api-version": "1.3"}, "name": norm, "files": out,
		}))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>Links for %s</title></head><body><h1>Links for %s</h1>\n", norm, norm)
	for _, f := range files {
		attrs := ` data-requires-python="` + html.EscapeString(requiresOf(f)) + `"`
		if f.yanked != "" {
			attrs += ` data-yanked="` + html.EscapeString(f.yanked) + `"`
		}
		if m := wheelMetadata(f.data); withMeta && m != nil && strings.HasSuffix(f.filename, ".whl") {
			attrs += ` data-core-metadata="sha256=` + sha256Hex(m) + `"`
		}
		if u := provenanceOf(f); u != "" {
			attrs += ` data-provenance="` + html.EscapeString(u) + `"`
		}
		fmt.Fprintf(&b, "<a href=\"%s#sha256=%s\"%s>%s</a><br/>\n", html.EscapeString(fileURL(f)), hashOf(f), attrs, html.EscapeString(f.filename))
	}
	b.WriteString("</body></html>\n")
	serveBytes(w, r, "text/html; charset=utf-8", []byte(b.String()))
}

func (p *PyPI) serveFile(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/packages/"), "/")
	if len(parts) != 3 {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	p.mu.RLock()
	var found *pypiFile
	name, isMeta := strings.CutSuffix(parts[2], ".metadata")
	isMeta = isMeta && p.metadata
	if !isMeta {
		name = parts[2]
	}
	for _, files := range p.files {
		for _, f := range files {
			if f.filename == name && f.sha256 == parts[1] {
				found = f
			}
		}
	}
	p.mu.RUnlock()
	if found == nil {
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	}
	if isMeta {
		m := wheelMetadata(found.data)
		if m == nil {
			http.Error(w, "404 Not Found", http.StatusNotFound)
			return
		}
		serveBytes(w, r, "application/octet-stream", m)
		return
	}
	w.Header().Set("ETag", `"`+found.sha256+`"`)
	serveBytes(w, r, "application/octet-stream", found.data)
}

func (p *PyPI) serveProvenance(w http.ResponseWriter, r *http.Request) {
	p.mu.RLock()
	var doc []byte
	for _, files := range p.files {
		for _, f := range files {
			if d, ok := p.provenance[f.filename]; ok && "/"+provenancePath(f.project, f.filename) == r.URL.Path {
				doc = d
			}
		}
	}
	p.mu.RUnlock()
	if doc == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"No provenance available"}`))
		return
	}
	serveBytes(w, r, "application/vnd.pypi.integrity.v1+json", doc)
}

func serveBytes(w http.ResponseWriter, r *http.Request, ctype string, b []byte) {
	w.Header().Set("Content-Type", ctype)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings and numbers are marshalled here
	}
	return b
}

// RequireBasic answers 401 to matching requests that lack HTTP Basic
// authorization with user and password (what pip sends for an index URL
// https://user:password@host/simple).
func RequireBasic(pattern, user, password string) Middleware {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(pattern, r.URL.Path) && r.Header.Get("Authorization") != want {
				w.Header().Set("WWW-Authenticate", `Basic realm="testregistry"`)
				http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
