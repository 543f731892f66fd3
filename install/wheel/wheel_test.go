package wheel

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
)

// rich is a wheel using every part of the format: package and module at
// the root, a .pth, .data scripts (one with "#!python", one a setuptools
// wrapper pip skips), data, headers, purelib, console and GUI entry points.
func rich(version string, extra map[string]string) spec {
	data := "rich_pkg-" + version + ".data/"
	files := map[string]string{
		"richpkg/__init__.py":           "VERSION = '" + version + "'\ndef main():\n    print('rich', VERSION)\n",
		"richpkg/cli.py":                "def gui():\n    pass\n",
		"richpkg/sub/data.txt":          "data " + version + "\n",
		"rich_module.py":                "X = 1\n",
		"rich-hook.pth":                 "import sys\n",
		data + "scripts/rich-tool":      "#!python\nprint('tool')\n",
		data + "scripts/rich-sh":        "#!/bin/sh\necho sh\n",
		data + "scripts/rich-cli":       "# setuptools wrapper, replaced by pip\n",
		data + "data/share/rich/a.conf": "conf\n",
		data + "headers/rich.h":         "#define RICH 1\n",
		data + "purelib/rich_extra.py":  "Y = 2\n",
	}
	for k, v := range extra {
		files[k] = v
	}
	return spec{
		name: "rich-pkg", version: version, files: files,
		exec: map[string]bool{data + "scripts/rich-sh": true},
		entryPoints: "[console_scripts]\nrich-cli = richpkg:main\n\n[gui_scripts]\nrich-gui = richpkg.cli:gui\n" +
			"[other.group]\nignored = x:y\n",
	}
}

func installWheels(t *testing.T, prefix string, sch Scheme, wheels []Wheel, opts Options) (*Result, error) {
	t.Helper()
	return Install(context.Background(), prefix, sch, wheels, opts, install.Options{})
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func permOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInstallLayout(t *testing.T) {
	prefix, sch := fakeVenv(t)
	whl := build(t, t.TempDir(), rich("1.0", nil))
	res, err := installWheels(t, prefix, sch, []Wheel{{File: whl, Name: "rich-pkg", Version: "1.0", Requested: true}}, testOptions(prefix))
	if err != nil {
		t.Fatal(err)
	}
	sp := sch.Purelib
	py := filepath.Join(prefix, "bin", "python")
	for p, want := range map[string]string{
		filepath.Join(sp, "richpkg/sub/data.txt"):                        "data 1.0\n",
		filepath.Join(sp, "rich_extra.py"):                               "Y = 2\n",
		filepath.Join(prefix, "bin/rich-tool"):                           "#!" + py + "\nprint('tool')\n",
		filepath.Join(prefix, "bin/rich-sh"):                             "#!/bin/sh\necho sh\n",
		filepath.Join(prefix, "share/rich/a.conf"):                       "conf\n",
		filepath.Join(prefix, "include/site/python3.11/rich-pkg/rich.h"): "#define RICH 1\n",
		filepath.Join(sp, "rich_pkg-1.0.dist-info/INSTALLER"):            "airlock\n",
		filepath.Join(sp, "rich_pkg-1.0.dist-info/REQUESTED"):            "",
		filepath.Join(prefix, "bin/rich-cli"): "#!" + py + "\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom richpkg import main\n" +
			"if __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n",
	} {
		if got := readFile(t, p); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	for p, want := range map[string]fs.FileMode{
		filepath.Join(prefix, "bin/rich-cli"):       0o755,
		filepath.Join(prefix, "bin/rich-gui"):       0o755,
		filepath.Join(prefix, "bin/rich-sh"):        0o755,
		filepath.Join(prefix, "bin/rich-tool"):      0o644, // pip keeps the archive's mode
		filepath.Join(sp, "richpkg/__init__.py"):    0o644,
		filepath.Join(sp, "richpkg"):                0o755,
		filepath.Join(sp, "rich_pkg-1.0.dist-info"): 0o755,
	} {
		if got := permOf(t, p); got != want {
			t.Errorf("mode of %s = %v, want %v", p, got, want)
		}
	}
	if _, err := os.Lstat(filepath.Join(sp, "rich_pkg-1.0.data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(".data directory installed: %v", err)
	}
	rec := readFile(t, filepath.Join(sp, "rich_pkg-1.0.dist-info/RECORD"))
	for _, want := range []string{
		"../../../bin/rich-cli,sha256=", "../../../bin/rich-tool,sha256=", "../../../share/rich/a.conf,",
		"../../../include/site/python3.11/rich-pkg/rich.h,", "rich_pkg-1.0.dist-info/INSTALLER,sha256=",
		"rich_pkg-1.0.dist-info/RECORD,,\r\n", "rich_pkg-1.0.dist-info/REQUESTED,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\n",
		// the skipped setuptools wrapper keeps its archive row, as in pip
		"rich_pkg-1.0.data/scripts/rich-cli,sha256=",
	} {
		if !strings.Contains(rec, want) {
			t.Errorf("RECORD lacks %q:\n%s", want, rec)
		}
	}
	d := res.Dists[0]
	if strings.Join(d.Pth, ",") != "rich-hook.pth" || strings.Join(d.Scripts, ",") != "rich-cli,rich-gui" || len(d.Replaced) != 0 {
		t.Errorf("result = %+v", d)
	}
}

// TestRecordVariants: signature files may be unlisted (pip then lists them
// with no digest), sha512 digests are checked, and a platlib wheel's RECORD
// is relative to platlib when platlib is a directory of its own.
func TestRecordVariants(t *testing.T) {
	prefix, sch := fakeVenv(t)
	sch.Platlib = filepath.Join(prefix, "lib64", "python3.11", "site-packages")
	must(t, os.MkdirAll(sch.Platlib, 0o755))
	sum512 := func(s string) string {
		h := sha512.Sum512([]byte(s))
		return "sha512=" + base64.RawURLEncoding.EncodeToString(h[:])
	}
	s := spec{name: "plat", version: "1.0", platlib: true,
		files:    map[string]string{"plat/__init__.py": "P = 1\n", "plat-1.0.data/purelib/pure.py": "Q = 1\n"},
		unlisted: map[string]string{"plat-1.0.dist-info/RECORD.jws": "{}"},
		mutate: editRow("plat/__init__.py,", func(string) string {
			return "plat/__init__.py," + sum512("P = 1\n") + ",6"
		})}
	if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), s), Name: "plat", Version: "1.0"}}, testOptions(prefix)); err != nil {
		t.Fatal(err)
	}
	rec := readFile(t, filepath.Join(sch.Platlib, "plat-1.0.dist-info/RECORD"))
	for _, want := range []string{
		"plat/__init__.py," + sum512("P = 1\n") + ",6\r\n", "plat-1.0.dist-info/RECORD.jws,,\r\n",
		"../../../lib/python3.11/site-packages/pure.py,",
	} {
		if !strings.Contains(rec, want) {
			t.Errorf("RECORD lacks %q:\n%s", want, rec)
		}
	}
	if got := readFile(t, filepath.Join(sch.Purelib, "pure.py")); got != "Q = 1\n" {
		t.Errorf("pure.py = %q", got)
	}

	s.version = "1.1"
	s.files, s.unlisted = map[string]string{"plat/__init__.py": "P = 1\n"}, nil
	s.mutate = editRow("plat/__init__.py,", func(string) string { return "plat/__init__.py," + sum512("P = 2\n") + ",6" })
	_, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), s), Name: "plat", Version: "1.1"}}, testOptions(prefix))
	if !errors.Is(err, ErrRecordMismatch) {
		t.Fatalf("sha512 mismatch: %v", err)
	}
}

// TestPlatlibThroughSymlink: Fedora's venvs reach platlib through
// "lib64 -> lib"; the scheme is resolved once, so the Staging (which never
// follows a symlink) works on the real directory.
func TestPlatlibThroughSymlink(t *testing.T) {
	prefix, sch := fakeVenv(t)
	must(t, os.Symlink("lib", filepath.Join(prefix, "lib64")))
	sch.Platlib = filepath.Join(prefix, "lib64", "python3.11", "site-packages")
	s := spec{name: "fast", version: "1.0", platlib: true, files: map[string]string{"fast/__init__.py": ""},
		entryPoints: "[console_scripts]\nfast = fast:main\n"}
	if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), s), Name: "fast", Version: "1.0"}}, testOptions(prefix)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(readFile(t, filepath.Join(sch.Purelib, "fast-1.0.dist-info", "RECORD")), "../../../bin/fast,sha256=") {
		t.Error("RECORD does not list ../../../bin/fast")
	}
	if fi, err := os.Lstat(filepath.Join(prefix, "lib64")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("lib64 is no longer the symlink: %v", err)
	}
}
