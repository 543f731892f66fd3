package auditlog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newLog(t *testing.T) *Log {
	t.Helper()
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	return &Log{Path: filepath.Join(t.TempDir(), "audit", "log.jsonl"), Now: func() time.Time { return clock }}
}

func appendN(t *testing.T, l *Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := l.Append(Event{Kind: "fetch", Package: fmt.Sprintf("p%d", i), Version: "1.0.0", Result: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
}

func verifyFile(t *testing.T, path string) Summary {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := Verify(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func lines(t *testing.T, path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(strings.TrimSuffix(string(b), "\n"), "\n")
}

func writeLines(t *testing.T, path string, ls []string) {
	s := strings.Join(ls, "")
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAppendThenVerify(t *testing.T) {
	l := newLog(t)
	appendN(t, l, 3)
	if err := l.Append(Event{Kind: "install", Result: "ok"}, Event{Kind: "policy", Result: "refused", Detail: "deny"}); err != nil {
		t.Fatal(err)
	}
	s := verifyFile(t, l.Path)
	if s.Lines != 5 || len(s.Problems) != 0 {
		t.Fatalf("summary = %+v", s)
	}
	first := lines(t, l.Path)[0]
	want := `{"seq":1,"time":"2026-11-25T12:00:00Z","prev":"sha256:` + strings.Repeat("0", 64) + `","event":"fetch","package":"p0","version":"1.0.0","result":"ok"}` + "\n"
	if first != want {
		t.Errorf("first line:\n%s\nwant:\n%s", first, want)
	}
	if st, _ := os.Stat(l.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode())
	}
}

func TestTamperingDetected(t *testing.T) {
	cases := []struct {
		name     string
		mutate   func([]string) []string
		wantLine int
	}{
		{"edit a field", func(ls []string) []string {
			ls[1] = strings.Replace(ls[1], `"ok"`, `"refused"`, 1)
			return ls
		}, 3},
		{"delete a line", func(ls []string) []string { return append(ls[:1], ls[2:]...) }, 2},
		{"swap two lines", func(ls []string) []string { ls[1], ls[2] = ls[2], ls[1]; return ls }, 2},
		{"insert a forged line", func(ls []string) []string {
			return append(ls[:2], append([]string{`{"seq":3,"time":"x","prev":"sha256:00","event":"fetch","result":"ok"}` + "\n"}, ls[2:]...)...)
		}, 3},
		{"garbage line", func(ls []string) []string { ls[3] = "not json\n"; return ls }, 4},
		{"edit the first line", func(ls []string) []string {
			ls[0] = strings.Replace(ls[0], "p0", "px", 1)
			return ls
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := newLog(t)
			appendN(t, l, 5)
			writeLines(t, l.Path, c.mutate(lines(t, l.Path)))
			s := verifyFile(t, l.Path)
			if len(s.Problems) == 0 || s.Problems[0].Line != c.wantLine {
				t.Fatalf("problems = %v, want the first at line %d", s.Problems, c.wantLine)
			}
		})
	}
}

// Cutting the tail leaves a valid chain; the head changes, which is how it
// is caught.
func TestTruncatedTailChangesHead(t *testing.T) {
	l := newLog(t)
	appendN(t, l, 4)
	head := verifyFile(t, l.Path).Head
	ls := lines(t, l.Path)
	writeLines(t, l.Path, ls[:3])
	s := verifyFile(t, l.Path)
	if len(s.Problems) != 0 || s.Head == head || s.Lines != 3 {
		t.Fatalf("summary = %+v (old head %s)", s, head)
	}
}

func TestConcurrentAppendersKeepOneChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.jsonl")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := &Log{Path: path}
			for i := 0; i < 25; i++ {
				if err := l.Append(Event{Kind: "fetch", Result: "ok"}, Event{Kind: "verify", Result: "ok"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	s := verifyFile(t, path)
	if s.Lines != 400 || len(s.Problems) != 0 {
		t.Fatalf("summary: %d lines, problems %v", s.Lines, s.Problems)
	}
}

func TestNoSecretsInTheLog(t *testing.T) {
	l := newLog(t)
	l.Append(Event{
		Kind:   "fetch",
		URL:    "https://user:s3cret@registry.example.com/a/-/a-1.0.0.tgz?X-Amz-Signature=abcdef#frag",
		Result: "failed",
		Detail: "GET with Authorization: Bearer npm_abcdefghijklmnop failed; //registry.example.com/:_authToken=npm_zzzzzzzzzz; https://u:pw@host/x; password=hunter22",
	})
	b, _ := os.ReadFile(l.Path)
	for _, secret := range []string{"s3cret", "abcdef", "npm_abcdefghijklmnop", "npm_zzzzzzzzzz", ":pw@", "hunter22"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("log contains %q:\n%s", secret, b)
		}
	}
	if !bytes.Contains(b, []byte("https://registry.example.com/a/-/a-1.0.0.tgz")) {
		t.Errorf("URL not kept:\n%s", b)
	}
}

func TestDamagedTailRefusesAppend(t *testing.T) {
	l := newLog(t)
	appendN(t, l, 2)
	f, _ := os.OpenFile(l.Path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"seq":3,"ti`)
	f.Close()
	if err := l.Append(Event{Kind: "fetch", Result: "ok"}); !errors.Is(err, ErrDamaged) {
		t.Fatalf("err = %v, want ErrDamaged", err)
	}
	if s := verifyFile(t, l.Path); len(s.Problems) != 1 || s.Problems[0].Line != 3 {
		t.Fatalf("problems = %v", s.Problems)
	}
}

func TestSymlinkAtLogPathRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, nil, 0o600)
	path := filepath.Join(dir, "log.jsonl")
	os.Symlink(target, path)
	if err := (&Log{Path: path}).Append(Event{Kind: "fetch", Result: "ok"}); err == nil {
		t.Fatal("appended through a symlink")
	}
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Fatal("symlink target written")
	}
}

func TestLongDetailCut(t *testing.T) {
	l := newLog(t)
	if err := l.Append(Event{Kind: "fetch", Result: "ok", Detail: strings.Repeat("x", 3*MaxLine)}); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 1)
	if s := verifyFile(t, l.Path); s.Lines != 2 || len(s.Problems) != 0 {
		t.Fatalf("summary = %+v", s)
	}
}
