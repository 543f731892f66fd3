package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/verify"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the CLI scripts in testdata/script. Each script gets two
// local TLS registries serving the fixture tarballs ($REGISTRY, the one its
// fixture projects use, and $OTHER_REGISTRY, a second host), an isolated HOME
// and cache, and these commands:
//
//	fixture NAME [DIR]      copy testdata/npm/projects/NAME to DIR (default NAME) with an .npmrc for $REGISTRY
//	fault [-n N] PATH ACTION...
//	                        make $REGISTRY misbehave for PATH (a decoded URL path, or a prefix ending in *),
//	                        for the first N matching requests only with -n:
//	                        "tamper" serves other bytes, "status N [RETRY-AFTER]" answers N (with that
//	                        Retry-After), "redirect-other" redirects to the same path on $OTHER_REGISTRY,
//	                        "redirect-http" to the same URL with http://, "redirect-loop" to itself,
//	                        "hang" never sends headers, "stall" sends headers and half the body then
//	                        nothing, "short" sends half the body and closes, "reset" sends half and
//	                        resets the connection, "gzip-label" claims Content-Encoding: gzip for the
//	                        bytes as they are, "gzip" really gzip-encodes, "html" answers 200 with an
//	                        HTML error page, "off" removes the fault
//	tlsregistry KIND        start another registry serving the fixtures with a bad certificate or old
//	                        TLS, as $TLS_REGISTRY (its host:port in $TLS_HOSTPORT); $TLS_CAFILE is the CA
//	                        it would be trusted through. KIND: expired, not-yet-valid, wrong-host,
//	                        unknown-ca, self-signed, tls1.1, good
//	requests [-reset] [other|tls]
//	                        print each request the registry served: METHOD PATH auth=yes|no; -reset then
//	                        clears the log
//	cached LOCKPATH         assert the cache holds the blob for the lockfile entry LOCKPATH of
//	                        ./package-lock.json; with !, that it holds neither it nor a temp file for it
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
			faults := &faultBoard{rules: map[string]*fault{}}
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
			env.Values["tls"] = &lateRegistry{}
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
			"signreg":       cmdSignReg,
			"attestreg":     cmdAttestReg, // provenance_script_test.go: provenance_* and advisory_* scripts
			"osvzip":        cmdOSVZip,
			"tlsregistry":   cmdTLSRegistry,
			"cached":        cmdCached,
			"pypi":          cmdPyPI,        // pip_script_test.go: pip_* scripts' Python index
			"remotecache":   cmdRemoteCache, // remotecache_script_test.go: *_remote_cache scripts
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
	mw   testregistry.Middleware
	left int // requests still to spoil; -1: all
}

// faultBoard lets a running script change how its registry misbehaves.
type faultBoard struct {
	mu    sync.Mutex
	rules map[string]*fault
	other string
}

// match returns the middleware for path and uses up one of its requests.
func (b *faultBoard) match(path string) (testregistry.Middleware, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for pattern, f := range b.rules {
		if pattern == path || strings.HasSuffix(pattern, "*") && strings.HasPrefix(path, strings.TrimSuffix(pattern, "*")) {
			if f.left == 0 {
				continue
			}
			if f.left > 0 {
				f.left--
			}
			return f.mw, true
		}
	}
	return nil, false
}

func (b *faultBoard) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mw, ok := b.match(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		mw(next).ServeHTTP(w, r)
	})
}

// redirectOther sends a request to the same path on $OTHER_REGISTRY.
func (b *faultBoard) redirectOther(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.TrimSuffix(b.other, "/")+r.URL.EscapedPath(), http.StatusFound)
	})
}

func redirectHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+r.URL.EscapedPath(), http.StatusFound)
	})
}

func redirectLoop(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.EscapedPath(), http.StatusFound)
	})
}

// tamper flips a byte in the middle of the response.
func tamper(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
	})
}

// half applies fault(n) with n half of the response's length.
func half(fault func(pattern string, n int) testregistry.Middleware) testregistry.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			fault("*", rec.body.Len()/2)(next).ServeHTTP(w, r)
		})
	}
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
	const usage = "usage: fault [-n N] PATH tamper|status N [RETRY-AFTER]|redirect-other|redirect-http|redirect-loop|hang|stall|short|reset|gzip-label|gzip|html|off"
	left := -1
	if len(args) > 0 && args[0] == "-n" {
		if len(args) < 2 {
			ts.Fatalf(usage)
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		left, args = n, args[2:]
	}
	if neg || len(args) < 2 {
		ts.Fatalf(usage)
	}
	b := ts.Value("faults").(*faultBoard)
	var mw testregistry.Middleware
	switch args[1] {
	case "off":
		b.mu.Lock()
		delete(b.rules, args[0])
		b.mu.Unlock()
		return
	case "tamper":
		mw = tamper
	case "redirect-other":
		mw = b.redirectOther
	case "redirect-http":
		mw = redirectHTTP
	case "redirect-loop":
		mw = redirectLoop
	case "hang":
		// Holds the response until the client goes away, so a script
		// can interrupt airlock mid-install or see its header timeout.
		mw = testregistry.Delay("*", time.Hour)
	case "stall":
		mw = half(testregistry.Stall)
	case "short":
		mw = half(testregistry.Truncate)
	case "reset":
		mw = half(testregistry.Reset)
	case "gzip-label":
		mw = testregistry.ContentEncoding("*", "gzip")
	case "gzip":
		mw = testregistry.Gzip("*")
	case "html":
		mw = testregistry.ErrorPage("*")
	case "status":
		if len(args) != 3 && len(args) != 4 {
			ts.Fatalf("usage: fault [-n N] PATH status N [RETRY-AFTER]")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		var header []string
		if len(args) == 4 {
			header = []string{"Retry-After", args[3]}
		}
		mw = testregistry.FailFirst("*", math.MaxInt, n, header...)
	default:
		ts.Fatalf("unknown fault %q; %s", args[1], usage)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules[args[0]] = &fault{mw: mw, left: left}
}

// lateRegistry holds the registry tlsregistry starts mid-script.
type lateRegistry struct{ reg *testregistry.Registry }

func cmdTLSRegistry(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tlsregistry expired|not-yet-valid|wrong-host|unknown-ca|self-signed|tls1.1|good")
	}
	// Each call starts a fresh registry; requests tls reads the latest.
	late := ts.Value("tls").(*lateRegistry)
	day := 24 * time.Hour
	now := time.Now()
	var configure func(*tls.Config, *testregistry.CA) error
	leaf := func(o testregistry.LeafOptions) func(*tls.Config, *testregistry.CA) error {
		return func(cfg *tls.Config, ca *testregistry.CA) error {
			cert, err := ca.Leaf(o)
			cfg.Certificates = []tls.Certificate{cert}
			return err
		}
	}
	switch args[0] {
	case "good":
	case "expired":
		configure = leaf(testregistry.LeafOptions{NotBefore: now.Add(-2 * day), NotAfter: now.Add(-day)})
	case "not-yet-valid":
		configure = leaf(testregistry.LeafOptions{NotBefore: now.Add(day), NotAfter: now.Add(2 * day)})
	case "wrong-host":
		configure = leaf(testregistry.LeafOptions{DNSNames: []string{"registry.example"}})
	case "unknown-ca":
		configure = func(cfg *tls.Config, _ *testregistry.CA) error {
			other, err := testregistry.NewCA("not the CA you trust")
			if err != nil {
				return err
			}
			cert, err := other.Leaf(testregistry.LeafOptions{})
			cfg.Certificates = []tls.Certificate{cert}
			return err
		}
	case "self-signed":
		configure = func(cfg *tls.Config, _ *testregistry.CA) error {
			cert, err := testregistry.SelfSigned(testregistry.LeafOptions{})
			cfg.Certificates = []tls.Certificate{cert}
			return err
		}
	case "tls1.1":
		configure = func(cfg *tls.Config, _ *testregistry.CA) error {
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			return nil
		}
	default:
		ts.Fatalf("unknown tlsregistry kind %q", args[0])
	}
	var opts []testregistry.Option
	if configure != nil {
		opts = append(opts, testregistry.WithTLSConfig(configure))
	}
	reg, err := testregistry.Start(opts...)
	ts.Check(err)
	ts.Defer(func() { reg.Close() })
	late.reg = reg
	ts.Setenv("TLS_REGISTRY", reg.URL())
	ts.Setenv("TLS_HOSTPORT", strings.TrimSuffix(strings.TrimPrefix(reg.URL(), "https://"), "/"))
	ts.Setenv("TLS_CAFILE", reg.CAFile())
}

func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	reset := len(args) > 0 && args[0] == "-reset"
	if reset {
		args = args[1:]
	}
	if neg || len(args) > 1 {
		ts.Fatalf("usage: requests [-reset] [other|tls|signed]")
	}
	which := "reg"
	if len(args) == 1 {
		which = args[0]
	}
	var reg *testregistry.Registry
	switch v := ts.Value(which).(type) {
	case *testregistry.Registry:
		reg = v
	case *lateRegistry:
		reg = v.reg
	case nil:
		// signreg's registry (trust_script_test.go) lives beside ts.
		if e, ok := signEnvs.Load(ts); ok && which == "signed" {
			reg = e.(*signEnv).signed
		}
	}
	if reg == nil {
		ts.Fatalf("requests: no registry %q", which)
	}
	for _, r := range reg.Requests() {
		auth := "no"
		if r.HasAuth() {
			auth = "yes"
		}
		fmt.Fprintf(ts.Stdout(), "%s %s auth=%s\n", r.Method, r.Path, auth)
	}
	if reset {
		reg.ResetRequests()
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

func cmdCached(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: cached LOCKPATH")
	}
	data, err := os.ReadFile(ts.MkAbs("package-lock.json"))
	ts.Check(err)
	var lf struct {
		Packages map[string]struct{ Integrity string }
	}
	ts.Check(json.Unmarshal(data, &lf))
	entry, ok := lf.Packages[args[0]]
	if !ok {
		ts.Fatalf("cached: no %q in package-lock.json", args[0])
	}
	integ, err := verify.ParseSRI(entry.Integrity)
	ts.Check(err)
	d := integ.Strongest()
	// The layout fetch/cache documents: blobs/<algo>/<hex[0:2]>/<hex>.
	dir := filepath.Join(ts.Getenv("AIRLOCK_CACHE"), "blobs", d.Algorithm, d.Hex()[:2])
	_, err = os.Stat(filepath.Join(dir, d.Hex()))
	has := err == nil
	temps, _ := filepath.Glob(filepath.Join(dir, cache.TempPrefix+d.Hex()[:16]+"*"))
	switch {
	case !neg && !has:
		ts.Fatalf("cache lacks the blob for %s (%s)", args[0], d)
	case neg && has:
		ts.Fatalf("cache holds a blob for %s (%s)", args[0], d)
	case neg && len(temps) > 0:
		ts.Fatalf("cache holds temporary files for %s: %q", args[0], temps)
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
