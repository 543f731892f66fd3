package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/rogpeppe/go-internal/testscript"
)

// pypiScript is the Python index a pip_* script starts with `pypi start`:
// an index host and a files host (as pypi.org and files.pythonhosted.org),
// serving one testregistry.PyPI, with faults of their own.
type pypiScript struct {
	index      *testregistry.PyPI
	idx, files *testregistry.Registry
	faults     *pypiFaults
}

// cmdPyPI drives the Python index of a pip_* script:
//
//	pypi start [-auth USER:PASS] [-html] [-mtls]
//	                        start the index ($PIP_INDEX_URL_PLAIN = https://host:port/simple/, its host:port
//	                        in $PYPI_HOSTPORT) and the files host ($PYPI_FILES); $PYPI_CAFILE trusts both;
//	                        sets PIP_CONFIG_FILE=/dev/null so the machine's pip.conf stays out. -auth makes
//	                        the index (not the files host) demand HTTP Basic USER:PASS; -html serves PEP 503
//	                        HTML with relative file URLs only; -mtls makes the index demand a client
//	                        certificate, whose PEM file (certificate and key, pip's client-cert form)
//	                        is $PYPI_CLIENT_CERT.
//	pypi wheel NAME VERSION [TAG] [SCRIPT=MODULE:FUNC] [dep:REQUIREMENT] [extra:NAME] [python:SPEC]
//	                        serve a generated wheel; $SHA_<NAME> holds its sha256 (NAME with - as _);
//	                        dep:, extra: and python: write Requires-Dist, Provides-Extra and
//	                        Requires-Python into its METADATA
//	pypi uploaded FILE AGO  list FILE's upload-time as AGO (a Go duration, "2h") before now
//	pypi metadata on|off    serve (and list) each wheel's METADATA file (PEP 658/714)
//	pypi yank FILE REASON   mark FILE as yanked (PEP 592)
//	pypi sdist NAME VERSION serve a source archive; $SDIST_SHA_<NAME> holds its sha256
//	pypi system             serve the real wheels of /usr/share/python-wheels ($SHA_pip, $SHA_setuptools)
//	pypi listhash FILE HEX  make the index list HEX as FILE's sha256
//	pypi requires-python FILE SPEC
//	                        make the index list SPEC as FILE's Requires-Python
//	pypi provenance FILE good|other-bytes|tamper|fork|none
//	                        list and serve a PEP 740 provenance object for FILE (pip_provenance_script_test.go)
//	pypi fault PATH tamper|hang|status N|off
//	                        make both hosts misbehave for PATH (a path.Match pattern, or a prefix when
//	                        it ends in *)
//	pypi requests index|files
//	                        print each request the host served: METHOD PATH auth=yes|no
func cmdPyPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: pypi start|wheel|sdist|system|listhash|fault|requests ...")
	}
	if args[0] == "start" {
		pypiStart(ts, args[1:])
		return
	}
	v, _ := pypiScripts.Load(ts)
	s, _ := v.(*pypiScript)
	if s == nil {
		ts.Fatalf("pypi %s: run `pypi start` first", args[0])
	}
	switch args[0] {
	case "wheel":
		if len(args) < 3 {
			ts.Fatalf("usage: pypi wheel NAME VERSION [TAG] [SCRIPT=MODULE:FUNC] [+FILE=CONTENT]")
		}
		spec := testregistry.WheelSpec{Name: args[1], Version: args[2]}
		for _, a := range args[3:] {
			if v, ok := strings.CutPrefix(a, "dep:"); ok {
				spec.Requires = append(spec.Requires, v)
				continue
			}
			if v, ok := strings.CutPrefix(a, "extra:"); ok {
				spec.ProvidesExtra = append(spec.ProvidesExtra, v)
				continue
			}
			if v, ok := strings.CutPrefix(a, "python:"); ok {
				spec.RequiresPython = v
				continue
			}
			if file, content, ok := strings.Cut(strings.TrimPrefix(a, "+"), "="); ok && strings.HasPrefix(a, "+") {
				// +PATH=CONTENT adds a file beside the default module.
				if spec.Files == nil {
					module := strings.ToLower(regexp.MustCompile(`[-_.]+`).ReplaceAllString(spec.Name, "_"))
					spec.Files = map[string]string{module + "/__init__.py": "def main():\n    print('hello')\n"}
				}
				spec.Files[file] = content + "\n"
				continue
			}
			if name, target, ok := strings.Cut(a, "="); ok {
				if spec.ConsoleScripts == nil {
					spec.ConsoleScripts = map[string]string{}
				}
				spec.ConsoleScripts[name] = target
			} else {
				spec.Tag = a
			}
		}
		_, sha, err := s.index.AddWheel(spec)
		ts.Check(err)
		ts.Setenv("SHA_"+envName(args[1]), sha)
	case "sdist":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi sdist NAME VERSION")
		}
		data := []byte("source of " + args[1] + " " + args[2] + "; building it would run setup.py")
		ts.Check(s.index.Add(args[1], args[1]+"-"+args[2]+".tar.gz", data))
		_, sha, _ := s.index.File(args[1] + "-" + args[2] + ".tar.gz")
		ts.Setenv("SDIST_SHA_"+envName(args[1]), sha)
	case "system":
		names, err := s.index.AddDir(testregistry.SystemWheelsDir)
		if err != nil || len(names) == 0 {
			ts.Fatalf("no real wheels in %s (%v); guard the script with [!exists ...] skip", testregistry.SystemWheelsDir, err)
		}
		for _, n := range names {
			_, sha, _ := s.index.File(n)
			ts.Setenv("SHA_"+envName(strings.Split(n, "-")[0]), sha)
			ts.Setenv("VERSION_"+envName(strings.Split(n, "-")[0]), strings.Split(n, "-")[1])
		}
	case "uploaded":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi uploaded FILE AGO")
		}
		ago, err := time.ParseDuration(args[2])
		ts.Check(err)
		s.index.SetUploadTime(args[1], time.Now().Add(-ago))
	case "metadata":
		if len(args) != 2 || args[1] != "on" && args[1] != "off" {
			ts.Fatalf("usage: pypi metadata on|off")
		}
		s.index.SetCoreMetadata(args[1] == "on")
	case "yank":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi yank FILE REASON")
		}
		s.index.Yank(args[1], args[2])
	case "requires-python":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi requires-python FILE SPEC")
		}
		s.index.SetRequiresPython(args[1], args[2])
	case "listhash":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi listhash FILE HEX")
		}
		s.index.ListHash(args[1], args[2])
	case "provenance":
		pypiProvenance(ts, s, args[1:])
	case "fault":
		s.faults.set(ts, args[1:])
	case "requests":
		if len(args) != 2 || args[1] != "index" && args[1] != "files" {
			ts.Fatalf("usage: pypi requests index|files")
		}
		reg := s.idx
		if args[1] == "files" {
			reg = s.files
		}
		for _, r := range reg.Requests() {
			auth := "no"
			if r.HasAuth() {
				auth = "yes"
			}
			fmt.Fprintf(ts.Stdout(), "%s %s auth=%s\n", r.Method, r.Path, auth)
		}
	default:
		ts.Fatalf("pypi: unknown subcommand %q", args[0])
	}
}

var nonEnv = regexp.MustCompile(`[^A-Za-z0-9]+`)

func envName(project string) string { return nonEnv.ReplaceAllString(project, "_") }

func pypiStart(ts *testscript.TestScript, args []string) {
	if _, ok := pypiScripts.Load(ts); ok {
		ts.Fatalf("pypi start: already started")
	}
	var auth []string
	html, mtls := false, false
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-auth":
			if i+1 == len(args) {
				ts.Fatalf("pypi start -auth USER:PASS")
			}
			u, p, _ := strings.Cut(args[i+1], ":")
			auth = []string{u, p}
			i++
		case "-html":
			html = true
		case "-mtls":
			mtls = true
		default:
			ts.Fatalf("pypi start: unknown option %q", args[i])
		}
	}
	s := &pypiScript{index: testregistry.NewPyPI(), faults: &pypiFaults{rules: map[string]pypiFault{}}}
	s.index.SetHTMLOnly(html, html)
	var err error
	s.files, err = testregistry.StartPyPI(s.index, testregistry.WithMiddleware(s.faults.middleware))
	ts.Check(err)
	ts.Defer(func() { s.files.Close() })
	if !html {
		s.index.SetFilesURL(s.files.URL())
	}
	mws := []testregistry.Middleware{s.faults.middleware}
	if auth != nil {
		mws = append(mws, testregistry.RequireBasic("/simple/*", auth[0], auth[1]))
	}
	opts := []testregistry.Option{testregistry.WithMiddleware(mws...)}
	if mtls {
		clientCA, clientPEM := clientCertificate(ts)
		file := filepath.Join(ts.Getenv("WORK"), ".pypi-client.pem")
		ts.Check(os.WriteFile(file, clientPEM, 0o600))
		ts.Setenv("PYPI_CLIENT_CERT", file)
		opts = append(opts, testregistry.WithTLSConfig(func(cfg *tls.Config, _ *testregistry.CA) error {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
			cfg.ClientCAs = x509.NewCertPool()
			cfg.ClientCAs.AddCert(clientCA.Cert)
			return nil
		}))
	}
	s.idx, err = testregistry.StartPyPI(s.index, opts...)
	ts.Check(err)
	ts.Defer(func() { s.idx.Close() })

	var both bytes.Buffer
	for _, f := range []string{s.idx.CAFile(), s.files.CAFile()} {
		b, err := os.ReadFile(f)
		ts.Check(err)
		both.Write(b)
	}
	ca := filepath.Join(ts.Getenv("WORK"), ".pypi-ca.pem")
	ts.Check(os.WriteFile(ca, both.Bytes(), 0o644))
	ts.Setenv("PYPI_CAFILE", ca)
	ts.Setenv("PIP_INDEX_URL_PLAIN", s.idx.URL()+"simple/")
	ts.Setenv("PYPI_HOSTPORT", strings.TrimSuffix(strings.TrimPrefix(s.idx.URL(), "https://"), "/"))
	ts.Setenv("PYPI_FILES", s.files.URL())
	ts.Setenv("PIP_CONFIG_FILE", os.DevNull)
	pypiScripts.Store(ts, s)
	ts.Defer(func() { pypiScripts.Delete(ts) })
}

// pypiScripts maps a running script to its index: started by a command,
// not by Setup, so that scripts of other ecosystems start none.
var pypiScripts sync.Map

type pypiFault struct {
	action string
	status int
}

// pypiFaults is the script's fault board for both Python hosts.
type pypiFaults struct {
	mu    sync.Mutex
	rules map[string]pypiFault
}

func (b *pypiFaults) set(ts *testscript.TestScript, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: pypi fault PATH tamper|hang|status N|off")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch args[1] {
	case "off":
		delete(b.rules, args[0])
	case "tamper", "hang":
		b.rules[args[0]] = pypiFault{action: args[1]}
	case "status":
		if len(args) != 3 {
			ts.Fatalf("usage: pypi fault PATH status N")
		}
		n, err := strconv.Atoi(args[2])
		ts.Check(err)
		b.rules[args[0]] = pypiFault{action: "status", status: n}
	default:
		ts.Fatalf("pypi fault: unknown action %q", args[1])
	}
}

func (b *pypiFaults) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		var f pypiFault
		found := false
		for pattern, rule := range b.rules {
			globbed, _ := path.Match(pattern, r.URL.Path)
			if globbed || strings.HasSuffix(pattern, "*") && strings.HasPrefix(r.URL.Path, strings.TrimSuffix(pattern, "*")) {
				f, found = rule, true
			}
		}
		b.mu.Unlock()
		switch {
		case !found:
			next.ServeHTTP(w, r)
		case f.action == "hang":
			// Holds the response until the client goes away, so that a
			// script can interrupt airlock mid-download.
			<-r.Context().Done()
		case f.action == "status":
			http.Error(w, http.StatusText(f.status), f.status)
		case f.action == "tamper":
			rec := &pypiRecorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			if len(body) > 0 {
				body[len(body)/2] ^= 0xff
			}
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.statusOr200())
			w.Write(body)
		}
	})
}

type pypiRecorder struct {
	header http.Header
	body   bytes.Buffer
	status int
}

func (r *pypiRecorder) Header() http.Header         { return r.header }
func (r *pypiRecorder) Write(p []byte) (int, error) { return r.body.Write(p) }
func (r *pypiRecorder) WriteHeader(code int)        { r.status = code }
func (r *pypiRecorder) statusOr200() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// clientCertificate makes a CA and a client certificate it signed, returned
// as one PEM file holding the certificate and its key.
func clientCertificate(ts *testscript.TestScript) (*testregistry.CA, []byte) {
	ca, err := testregistry.NewCA("airlock test client CA")
	ts.Check(err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "airlock test client"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	ts.Check(err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return ca, append(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
}
