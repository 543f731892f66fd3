package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the CLI scripts in testdata/script. Each script gets two
// local TLS registries serving the fixture tarballs ($REGISTRY, the one its
// fixture projects use, and $OTHER_REGISTRY, a second host), an isolated HOME
// and cache, and these commands:
//
//	fixture NAME [DIR]      copy testdata/npm/projects/NAME to DIR (default NAME) with an .npmrc for $REGISTRY
//	fault PATH ACTION...    make $REGISTRY misbehave for PATH (a decoded URL path, or a prefix ending in *):
//	                        "tamper" serves other bytes, "status N" answers N, "redirect-other" redirects to
//	                        the same path on $OTHER_REGISTRY, "hang" never answers, "off" removes the fault
//	requests [other]        print each request the registry served: METHOD PATH auth=yes|no
//	corrupt-cache           flip one byte in every blob of $AIRLOCK_CACHE
//	islink PATH TARGET      assert PATH is a symlink to exactly TARGET
//	mode PATH PERM          assert PATH's permission bits (octal)
//	waitfile PATTERN        wait up to 30s until a file matching the glob exists
func TestScripts(t *testing.T) {
	projects, err := filepath.Abs(projectsDir)
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			faults := &faultBoard{rules: map[string]fault{}}
			other, err := testregistry.Start()
			if err != nil {
				return err
			}
			env.Defer(func() { other.Close() })
			faults.other = other.URL()
			reg, err := testregistry.Start(testregistry.WithMiddleware(faults.middleware))
			if err != nil {
				return err
			}
			env.Defer(func() { reg.Close() })
			env.Values["reg"], env.Values["other"], env.Values["faults"] = reg, other, faults
			home := filepath.Join(env.WorkDir, ".home")
			emptyRC := filepath.Join(home, "global-npmrc")
			if err := os.MkdirAll(home, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(emptyRC, nil, 0o644); err != nil {
				return err
			}
			env.Setenv("HOME", home)
			env.Setenv("NPM_CONFIG_GLOBALCONFIG", emptyRC)
			env.Setenv("AIRLOCK_CACHE", filepath.Join(env.WorkDir, ".cache"))
			env.Setenv("REGISTRY", reg.URL())
			env.Setenv("REGISTRY_HOSTPORT", strings.TrimSuffix(strings.TrimPrefix(reg.URL(), "https://"), "/"))
			env.Setenv("CAFILE", reg.CAFile())
			env.Setenv("OTHER_REGISTRY", other.URL())
			env.Setenv("OTHER_CAFILE", other.CAFile())
			env.Setenv("PROJECTS", projects)
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fixture":       cmdFixture,
			"fault":         cmdFault,
			"requests":      cmdRequests,
			"corrupt-cache": cmdCorruptCache,
			"islink":        cmdIsLink,
			"mode":          cmdMode,
			"waitfile":      cmdWaitFile,
		},
	})
}

func cmdFixture(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: fixture NAME [DIR]")
	}
	dst := args[0]
	if len(args) == 2 {
		dst = args[1]
	}
	src := filepath.Join(ts.Getenv("PROJECTS"), args[0])
	dst = ts.MkAbs(dst)
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	ts.Check(err)
	reg := ts.Value("reg").(*testregistry.Registry)
	ts.Check(os.WriteFile(filepath.Join(dst, ".npmrc"), []byte(reg.Npmrc()), 0o644))
}

// fault is one misbehaviour of the script's registry.
type fault struct {
	action string
	status int
}

// faultBoard lets a running script change how its registry misbehaves.
type faultBoard struct {
	mu    sync.Mutex
	rules map[string]fault
	other string
}

func (b *faultBoard) match(path string) (fault, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for pattern, f := range b.rules {
		if pattern == path || strings.HasSuffix(pattern, "*") && strings.HasPrefix(path, strings.TrimSuffix(pattern, "*")) {
			return f, true
		}
	}
	return fault{}, false
}

func (b *faultBoard) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := b.match(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch f.action {
		case "status":
			http.Error(w, http.StatusText(f.status), f.status)
		case "hang":
			// Holds the response until the client goes away, so a script
			// can interrupt airlock mid-install.
			<-r.Context().Done()
		case "redirect-other":
			http.Redirect(w, r, strings.TrimSuffix(b.other, "/")+r.URL.EscapedPath(), http.StatusFound)
		case "tamper":
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			if len(body) > 0 {
				body[len(body)/2] ^= 0xff
			}
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			w.Write(body)
		}
	})
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}
func (r *recorder) WriteHeader(code int) { r.status = code }

func cmdFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: fault PATH tamper|status N|redirect-other|hang|off")
	}
	b := ts.Value("faults").(*faultBoard)
	b.mu.Lock()
	defer b.mu.Unlock()
	switch args[1] {
	case "off":
		delete(b.rules, args[0])
	case "tamper", "redirect-other", "hang":
		b.rules[args[0]] = fault{action: args[1]}
	case "status":
		if len(args) != 3 {
			ts.Fatalf("usage: fault PATH status N")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		b.rules[args[0]] = fault{action: "status", status: n}
	default:
		ts.Fatalf("unknown fault %q", args[1])
	}
}

func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: requests [other]")
	}
	which := "reg"
	if len(args) == 1 {
		which = args[0]
	}
	reg := ts.Value(which).(*testregistry.Registry)
	for _, r := range reg.Requests() {
		auth := "no"
		if r.HasAuth() {
			auth = "yes"
		}
		fmt.Fprintf(ts.Stdout(), "%s %s auth=%s\n", r.Method, r.Path, auth)
	}
}

func cmdCorruptCache(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: corrupt-cache")
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(ts.Getenv("AIRLOCK_CACHE"), "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b[len(b)/3] ^= 0x01
		if err := os.Chmod(p, 0o644); err != nil {
			return err
		}
		n++
		return os.WriteFile(p, b, 0o644)
	})
	ts.Check(err)
	if n == 0 {
		ts.Fatalf("no cache blobs to corrupt")
	}
}

func cmdIsLink(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: islink PATH TARGET")
	}
	got, err := os.Readlink(ts.MkAbs(args[0]))
	ok := err == nil && got == args[1]
	if ok == neg {
		ts.Fatalf("%s: symlink target %q (err %v), want %s%q", args[0], got, err, map[bool]string{true: "not ", false: ""}[neg], args[1])
	}
}

func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode PATH PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	ts.Check(err)
	info, err := os.Lstat(ts.MkAbs(args[0]))
	ts.Check(err)
	if (uint64(info.Mode().Perm()) == want) == neg {
		ts.Fatalf("%s: mode %#o, want %s%#o", args[0], info.Mode().Perm(), map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATTERN")
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(ts.MkAbs(args[0])); len(m) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("no file matching %s after 30s", args[0])
}
