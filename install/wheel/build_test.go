package wheel

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// spec describes a wheel for tests; build writes it with a correct RECORD
// unless a mutation says otherwise.
type spec struct {
	name, version string
	distInfo      string // default name-version.dist-info
	platlib       bool   // Root-Is-Purelib: false
	wheelFile     string // replaces the WHEEL text
	metadata      string // replaces the METADATA text
	files         map[string]string
	exec          map[string]bool
	entryPoints   string
	// mutate edits the RECORD rows (path,hash,size) before they are written.
	mutate func(rows []string) []string
	// unlisted files are added to the archive but not to RECORD.
	unlisted  map[string]string
	rawRecord string // replaces RECORD entirely
	// post rewrites the built wheel (to drop entries build always writes).
	post func(t *testing.T, whl string) string
}

func (s spec) info() string {
	if s.distInfo != "" {
		return s.distInfo
	}
	return strings.ReplaceAll(s.name, "-", "_") + "-" + s.version + ".dist-info"
}

func b64(data string) string {
	sum := sha256.Sum256([]byte(data))
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// build writes the wheel into dir and returns its path.
func build(t *testing.T, dir string, s spec) string {
	t.Helper()
	info := s.info()
	files := map[string]string{}
	for k, v := range s.files {
		files[k] = v
	}
	if _, ok := files[info+"/WHEEL"]; !ok {
		w := s.wheelFile
		if w == "" {
			w = fmt.Sprintf("Wheel-Version: 1.0\nGenerator: airlock-test\nRoot-Is-Purelib: %v\nTag: py3-none-any\n", !s.platlib)
		}
		files[info+"/WHEEL"] = w
	}
	if _, ok := files[info+"/METADATA"]; !ok {
		m := s.metadata
		if m == "" {
			m = fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", s.name, s.version)
		}
		files[info+"/METADATA"] = m
	}
	if s.entryPoints != "" {
		files[info+"/entry_points.txt"] = s.entryPoints
	}
	names := make([]string, 0, len(files))
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	var rows []string
	for _, n := range names {
		rows = append(rows, fmt.Sprintf("%s,%s,%d", csvField(n), b64(files[n]), len(files[n])))
	}
	rows = append(rows, info+"/RECORD,,")
	if s.mutate != nil {
		rows = s.mutate(rows)
	}
	record := strings.Join(rows, "\n") + "\n"
	if s.rawRecord != "" {
		record = s.rawRecord
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", strings.ReplaceAll(s.name, "-", "_"), s.version))
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	add := func(name, data string) {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		mode := os.FileMode(0o644)
		if s.exec[name] {
			mode = 0o755
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	for _, n := range names {
		add(n, files[n])
	}
	for n, d := range s.unlisted {
		add(n, d)
	}
	add(info+"/RECORD", record)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if s.post != nil {
		return s.post(t, p)
	}
	return p
}

// venvScheme is a virtual environment's layout under prefix.
func venvScheme(prefix string) Scheme {
	sp := filepath.Join(prefix, "lib", "python3.11", "site-packages")
	return Scheme{Purelib: sp, Platlib: sp, Scripts: filepath.Join(prefix, "bin"), Data: prefix,
		Headers: filepath.Join(prefix, "include", "site", "python3.11")}
}

// fakeVenv makes the directories a venv has.
func fakeVenv(t *testing.T) (string, Scheme) {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "venv")
	s := venvScheme(prefix)
	for _, d := range []string{s.Purelib, s.Scripts, filepath.Join(prefix, "include")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(s.Scripts, "python"), []byte("#!fake\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"python3", "activate", "envlink"} {
		if err := os.Symlink("python", filepath.Join(s.Scripts, l)); err != nil {
			t.Fatal(err)
		}
	}
	return prefix, s
}

func testOptions(prefix string) Options {
	return Options{Python: filepath.Join(prefix, "bin", "python"), PythonVersion: "3.11", Umask: 0o022}
}

// rewriteZip copies the wheel at p to a new file without the entries drop
// selects, passing RECORD's lines through record when it is not nil.
func rewriteZip(t *testing.T, p string, drop func(string) bool, record func([]string) []string) string {
	t.Helper()
	zr, err := zip.OpenReader(p)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := filepath.Join(t.TempDir(), filepath.Base(p))
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range zr.File {
		if drop(e.Name) {
			continue
		}
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if record != nil && strings.HasSuffix(e.Name, ".dist-info/RECORD") {
			data = []byte(strings.Join(record(strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")), "\n") + "\n")
		}
		h := e.FileHeader
		w, err := zw.CreateHeader(&h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}
