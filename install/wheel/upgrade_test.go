package wheel

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/install"
)

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func v1() spec {
	return spec{name: "up", version: "1.0", files: map[string]string{
		"up/__init__.py": "V = 1\n", "up/sub/only1.txt": "1\n", "up_mod.py": "M = 1\n",
		"up-1.0.data/data/share/up/one.txt": "1\n", "up-1.0.data/scripts/up-old": "#!/bin/sh\n",
		"ns/up_part.py": "",
	}, entryPoints: "[console_scripts]\nup-cli = up:main\n"}
}

func v2() spec {
	return spec{name: "up", version: "2.0", files: map[string]string{
		"up/__init__.py": "V = 2\n", "up/new.py": "N = 1\n",
	}, entryPoints: "[console_scripts]\nup-cli2 = up:main\n"}
}

// TestUpgrade: the previous version's files go as pip removes them, files
// of others (a namespace directory, a stray file, other tags' caches) stay.
func TestUpgrade(t *testing.T) {
	prefix, sch := fakeVenv(t)
	opts := testOptions(prefix)
	sp := sch.Purelib
	if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), v1()), Name: "up", Version: "1.0"}}, opts); err != nil {
		t.Fatal(err)
	}
	// What Python and the user add after the install.
	for p, c := range map[string]string{
		"up/__pycache__/__init__.cpython-311.pyc": "pyc", "up/__pycache__/__init__.cpython-312.pyc": "other tag",
		"up_mod.pyc": "legacy pyc", "ns/other_dist.py": "",
	} {
		full := filepath.Join(sp, p)
		must(t, os.MkdirAll(filepath.Dir(full), 0o755))
		must(t, os.WriteFile(full, []byte(c), 0o644))
	}
	res, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), v2()), Name: "up", Version: "2.0"}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Dists[0].Replaced; len(got) != 1 || got[0] != "1.0" {
		t.Errorf("Replaced = %v", got)
	}
	gone := []string{
		"up-1.0.dist-info", "up_mod.py", "up_mod.pyc", "up/__pycache__/__init__.cpython-311.pyc", "ns/up_part.py",
		"up/sub", // not in RECORD, but every file in it was
		"../../../bin/up-old", "../../../bin/up-cli", "../../../share/up",
	}
	for _, p := range gone {
		if exists(filepath.Join(sp, p)) {
			t.Errorf("%s is still there", p)
		}
	}
	kept := []string{
		"up/__pycache__/__init__.cpython-312.pyc", "ns/other_dist.py", "up/new.py", "up-2.0.dist-info/RECORD",
		"../../../bin/up-cli2", "../../../bin/python",
		"../../../share", // pip removes a wholly listed directory without its empty parents
	}
	for _, p := range kept {
		if !exists(filepath.Join(sp, p)) {
			t.Errorf("%s is gone", p)
		}
	}
	if got := readFile(t, filepath.Join(sp, "up/__init__.py")); got != "V = 2\n" {
		t.Errorf("up/__init__.py = %q", got)
	}
}

// TestUninstallRefusals: a previous installation that cannot be removed
// safely stops the install before anything changes.
func TestUninstallRefusals(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, sp string)
		want  error
	}{
		{"installed RECORD escapes the environment", func(t *testing.T, sp string) {
			appendFile(t, filepath.Join(sp, "up-1.0.dist-info/RECORD"), "../../../../../../../../etc/passwd,,\n")
		}, ErrUnsafeRecordPath},
		{"installed RECORD names an absolute path", func(t *testing.T, sp string) {
			appendFile(t, filepath.Join(sp, "up-1.0.dist-info/RECORD"), "/etc/passwd,,\n")
		}, ErrUnsafeRecordPath},
		{"installed RECORD names the scripts directory", func(t *testing.T, sp string) {
			appendFile(t, filepath.Join(sp, "up-1.0.dist-info/RECORD"), "../../../bin,,\n")
		}, ErrUnsafeRecordPath},
		{"installed RECORD names the environment", func(t *testing.T, sp string) {
			appendFile(t, filepath.Join(sp, "up-1.0.dist-info/RECORD"), "../../..,,\n")
		}, ErrUnsafeRecordPath},
		{"installed distribution without RECORD", func(t *testing.T, sp string) {
			must(t, os.Remove(filepath.Join(sp, "up-1.0.dist-info/RECORD")))
		}, ErrCannotUninstall},
		{"installed by setup.py (egg-info)", func(t *testing.T, sp string) {
			must(t, os.Mkdir(filepath.Join(sp, "UP-0.9-py3.11.egg-info"), 0o755))
		}, ErrCannotUninstall},
		{"installed RECORD removes through a symlink", func(t *testing.T, sp string) {
			outside := t.TempDir()
			must(t, os.WriteFile(filepath.Join(outside, "precious"), []byte("keep"), 0o644))
			must(t, os.Symlink(outside, filepath.Join(sp, "up", "link")))
			appendFile(t, filepath.Join(sp, "up-1.0.dist-info/RECORD"), "up/link/precious,,\n")
		}, ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix, sch := fakeVenv(t)
			opts := testOptions(prefix)
			if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), v1()), Name: "up", Version: "1.0"}}, opts); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, sch.Purelib)
			before := snapshot(t, prefix)
			_, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), v2()), Name: "up", Version: "2.0"}}, opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Install = %v, want %v", err, tt.want)
			}
			t.Log(err)
			sameSnapshot(t, before, snapshot(t, prefix))
		})
	}
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(s)
	must(t, err)
	must(t, f.Close())
}

// TestNothingChangesUntilCommit: Stage touches nothing; a cancelled
// context and a Commit refused at its preflight leave the environment as
// it was.
func TestNothingChangesUntilCommit(t *testing.T) {
	prefix, sch := fakeVenv(t)
	opts := testOptions(prefix)
	if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, t.TempDir(), v1()), Name: "up", Version: "1.0"}}, opts); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, prefix)
	w := []Wheel{{File: build(t, t.TempDir(), v2()), Name: "up", Version: "2.0"}}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Install(ctx, prefix, sch, w, opts, install.Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Install with a cancelled context = %v", err)
	}
	sameSnapshot(t, before, snapshot(t, prefix))

	st, err := install.Begin(context.Background(), prefix, install.Options{})
	must(t, err)
	defer st.Abort()
	if _, err := Stage(context.Background(), st, sch, w, opts); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, before, snapshot(t, prefix))
	// bin becomes a symlink (to an identical copy) before Commit: the
	// Staging refuses to swap through it, before any swap.
	bin := filepath.Join(prefix, "bin")
	must(t, os.Rename(bin, bin+".real"))
	must(t, os.Symlink("bin.real", bin))
	if _, err := st.Commit(); !errors.Is(err, install.ErrSymlinkInPath) {
		t.Fatalf("Commit = %v, want ErrSymlinkInPath", err)
	}
	must(t, os.Remove(bin))
	must(t, os.Rename(bin+".real", bin))
	sameSnapshot(t, before, snapshot(t, prefix))
}

func TestSharedFileWarnsLikePipKeepsLast(t *testing.T) {
	prefix, sch := fakeVenv(t)
	a := spec{name: "a", version: "1", files: map[string]string{"a/x.py": "", "common/README": "from a\n"}}
	b := spec{name: "b", version: "1", files: map[string]string{"b/x.py": "", "common/README": "from b\n"}}
	dir := t.TempDir()
	res, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, dir, a), Name: "a", Version: "1"}, {File: build(t, dir, b), Name: "b", Version: "1"}}, testOptions(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(sch.Purelib, "common/README")); got != "from b\n" {
		t.Errorf("common/README = %q, want b's", got)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "common/README") {
		t.Errorf("Warnings = %q", res.Warnings)
	}
	if _, err := installWheels(t, prefix, sch, []Wheel{{File: build(t, dir, a), Name: "a", Version: "1"}, {File: build(t, dir, a), Name: "A", Version: "1"}}, testOptions(prefix)); err == nil {
		t.Error("the same distribution twice was accepted")
	}
}

// TestShebangForms: distlib quotes a path with a space and runs a long or
// quoted one through /bin/sh.
func TestShebangForms(t *testing.T) {
	for _, tt := range []struct{ python, want string }{
		{"/v/bin/python", "#!/v/bin/python\n"},
		{"/my venv/bin/python", "#!/bin/sh\n'''exec' \"/my venv/bin/python\" \"$0\" \"$@\"\n' '''\n"},
		{"/" + strings.Repeat("x", 130) + "/python", "#!/bin/sh\n'''exec' /" + strings.Repeat("x", 130) + "/python \"$0\" \"$@\"\n' '''\n"},
		{"/" + strings.Repeat("x", 116) + "/python", "#!/" + strings.Repeat("x", 116) + "/python\n"}, // 124 bytes + 3: the limit
		{"/" + strings.Repeat("x", 117) + "/python", "#!/bin/sh\n'''exec' /" + strings.Repeat("x", 117) + "/python \"$0\" \"$@\"\n' '''\n"},
		{"/usr/bin/env my python", "#!/bin/sh\n'''exec' /usr/bin/env \"my python\" \"$0\" \"$@\"\n' '''\n"},
	} {
		if got := string(shebang(tt.python)); got != tt.want {
			t.Errorf("shebang(%q) = %q, want %q", tt.python, got, tt.want)
		}
	}
}
