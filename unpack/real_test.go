package unpack

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lockfile is the part of testdata/npm/package-lock.json the test reads: the
// same fields a real caller gets from the lockfile.
type lockfile struct {
	Packages map[string]struct {
		Version   string            `json:"version"`
		Integrity string            `json:"integrity"`
		Bin       map[string]string `json:"bin"`
	} `json:"packages"`
}

// TestRealTarballs extracts real registry tarballs and compares the result,
// file by file (content and mode), with what `npm ci --ignore-scripts`
// produced from the same lockfile (testdata/npm/*.golden, made by
// testdata/npm/gen-golden.sh under umask 022).
func TestRealTarballs(t *testing.T) {
	raw, err := os.ReadFile("testdata/npm/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock lockfile
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	n := 0
	for key, p := range lock.Packages {
		if key == "" {
			continue
		}
		name := key[strings.LastIndex(key, "node_modules/")+len("node_modules/"):]
		// npm pack's file name: "@types/ms" -> "types-ms-0.7.30.tgz".
		file := strings.TrimPrefix(strings.ReplaceAll(name, "/", "-"), "@") + "-" + p.Version + ".tgz"
		n++
		for _, backend := range backends(t) {
			t.Run(file+"/"+backend, func(t *testing.T) {
				forceRootTree = backend == "root"
				tgz, err := os.ReadFile(filepath.Join("testdata/npm", file))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha512.Sum512(tgz)
				if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != p.Integrity {
					t.Fatalf("fixture is not the registry's tarball: integrity %s, lockfile says %s", got, p.Integrity)
				}
				golden, err := os.ReadFile(filepath.Join("testdata/npm", file+".golden"))
				if err != nil {
					t.Fatal(err)
				}
				var bins []string
				for _, target := range p.Bin {
					bins = append(bins, target)
				}
				s := newSandbox(t)
				rep, err := NpmTarball(bytes.NewReader(tgz), s.dir, NpmOptions{Bins: bins, Umask: 0o022})
				if err != nil {
					t.Fatal(err)
				}
				s.check(t)
				if got := listing(t, s.dir); got != string(golden) {
					t.Errorf("tree differs from npm ci's:\n%s\nwant:\n%s", got, golden)
				}
				var pkg struct{ Name, Version string }
				if err := json.Unmarshal(rep.PackageJSON, &pkg); err != nil {
					t.Fatalf("Report.PackageJSON: %v", err)
				}
				if pkg.Name != name || pkg.Version != p.Version {
					t.Errorf("Report.PackageJSON names %s@%s, want %s@%s", pkg.Name, pkg.Version, name, p.Version)
				}
				if want := strings.Count(string(golden), "\nf ") + boolInt(strings.HasPrefix(string(golden), "f ")); rep.Files != want {
					t.Errorf("Report.Files = %d, want %d", rep.Files, want)
				}
			})
		}
	}
	if n < 3 {
		t.Fatalf("only %d real packages in testdata/npm", n)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
