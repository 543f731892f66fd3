package main

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
)

// TestAuditLockSubjects: a requirements entry points at its own file and
// line (an included file's too), other locks at the lock; entries that do
// not come from an index are left out and named.
func TestAuditLockSubjects(t *testing.T) {
	dir := t.TempDir()
	h := strings.Repeat("1", 64)
	files := map[string]string{
		filepath.Join(dir, "requirements.txt"): fmt.Sprintf("-r base/more.txt\nFoo_Bar==1.0 --hash=sha256:%s\n", h),
		filepath.Join(dir, "base", "more.txt"): fmt.Sprintf("# base\nlib==2.0 --hash=sha256:%s\n", h),
	}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fmt.Errorf("no %s", name)
	}
	lk, err := lockpypi.ParseRequirements(filepath.Join(dir, "requirements.txt"), read)
	if err != nil {
		t.Fatal(err)
	}
	got, skipped := lockSubjects(lk, filepath.Join(dir, "requirements.txt"), dir)
	type at struct {
		name, version, file string
		line                int
	}
	var seen []at
	for _, s := range got {
		seen = append(seen, at{s.Name, s.Version, s.file, s.line})
	}
	want := []at{{"lib", "2.0", filepath.Join("base", "more.txt"), 2}, {"foo-bar", "1.0", "requirements.txt", 2}}
	if !reflect.DeepEqual(seen, want) || len(skipped) != 0 {
		t.Errorf("requirements: got %v (skipped %v), want %v", seen, skipped, want)
	}

	uv := `version = 1
requires-python = ">=3.8"

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "lib" }, { name = "tool" }]

[[package]]
name = "lib"
version = "1.0"
source = { registry = "https://pypi.example/simple" }
wheels = [{ url = "https://files.example/lib-1.0-py3-none-any.whl", hash = "sha256:` + h + `" }]

[[package]]
name = "tool"
version = "0.3"
source = { git = "https://git.example/tool?rev=v0.3#` + strings.Repeat("a", 40) + `" }
`
	lk, err = lockpypi.ParseUVLock([]byte(uv), lockpypi.UVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, skipped = lockSubjects(lk, filepath.Join(dir, "sub", "uv.lock"), dir)
	if len(got) != 1 || got[0].Name != "lib" || got[0].file != filepath.Join("sub", "uv.lock") || got[0].line != 0 {
		t.Errorf("uv.lock subjects: %+v", got)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0], "app") || !strings.Contains(skipped[1], "tool") {
		t.Errorf("uv.lock skipped: %q", skipped)
	}
}

func TestMetadataNameVersion(t *testing.T) {
	for _, c := range []struct{ in, name, version string }{
		{"Metadata-Version: 2.1\nName: Foo\nVersion: 1.0\n", "Foo", "1.0"},
		{"name:  foo \r\nversion:2.0rc1\r\n", "foo", "2.0rc1"},
		{"Name: a\n\nVersion: 1.0\n", "a", ""}, // the body is not headers
		{"Name: a\nName: b\nVersion: 1\nVersion: 2\n", "a", "1"},
		{"", "", ""},
		{"no colon here\n", "", ""},
	} {
		n, v := metadataNameVersion([]byte(c.in))
		if n != c.name || v != c.version {
			t.Errorf("%q: %q %q, want %q %q", c.in, n, v, c.name, c.version)
		}
	}
}

func TestRelTo(t *testing.T) {
	dir := t.TempDir()
	for in, want := range map[string]string{
		filepath.Join(dir, "a", "b"):              filepath.Join("a", "b"),
		filepath.Join(dir, "..", "x"):             filepath.Join(filepath.Dir(dir), "x"),
		filepath.Join(dir, "..x"):                 "..x",
		filepath.Join(filepath.Dir(dir), "..sib"): filepath.Join(filepath.Dir(dir), "..sib"),
	} {
		if got := relTo(dir, in); got != want {
			t.Errorf("relTo(%s) = %s, want %s", in, got, want)
		}
	}
}
