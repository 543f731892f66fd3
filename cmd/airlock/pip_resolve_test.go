package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// TestPipResolveFirstIndex: a project on a private extra index is taken
// from that index only, even when the public primary index has a higher
// version of the same name (dependency confusion), and the public index
// is not asked for it; a project only on the public index comes from
// there.
func TestPipResolveFirstIndex(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3 for the target interpreter's tags")
	}
	public, private := testregistry.NewPyPI(), testregistry.NewPyPI()
	for _, w := range []struct {
		ix   *testregistry.PyPI
		spec testregistry.WheelSpec
	}{
		{public, testregistry.WheelSpec{Name: "internal-tool", Version: "99.0"}},
		{public, testregistry.WheelSpec{Name: "requests", Version: "2.0"}},
		{private, testregistry.WheelSpec{Name: "internal-tool", Version: "1.0", Requires: []string{"requests"}}},
	} {
		if _, _, err := w.ix.AddWheel(w.spec); err != nil {
			t.Fatal(err)
		}
	}
	pub, err := testregistry.StartPyPI(public)
	mustDo(t, err)
	defer pub.Close()
	priv, err := testregistry.StartPyPI(private)
	mustDo(t, err)
	defer priv.Close()
	work := t.TempDir()
	var cas bytes.Buffer
	for _, f := range []string{pub.CAFile(), priv.CAFile()} {
		b, err := os.ReadFile(f)
		mustDo(t, err)
		cas.Write(b)
	}
	ca := filepath.Join(work, "ca.pem")
	mustDo(t, os.WriteFile(ca, cas.Bytes(), 0o644))

	cmd := airlockCmd(t, work, "pip", "install", "internal-tool", "--target", filepath.Join(work, "t"),
		"--index-url", pub.URL()+"simple/", "--extra-index-url", priv.URL()+"simple/", "--cert", ca)
	cmd.Env = append(cmd.Env, pipTestEnv()...)
	cmd.Env = append(cmd.Env, "AIRLOCK_CACHE="+filepath.Join(work, "cache"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("airlock pip install: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Successfully installed internal-tool-1.0 requests-2.0") {
		t.Errorf("output:\n%s", out)
	}
	for _, r := range pub.Requests() {
		if strings.Contains(r.Path, "internal") {
			t.Errorf("the public index was asked for the private project: %s %s", r.Method, r.Path)
		}
	}
}
