package main

import (
	"archive/zip"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/airlock-dev/airlock/internal/testsigstore"
)

// attestEnv is a script's registry that publishes like registry.npmjs.org
// does for packages built in CI: signing keys, dist.signatures, and a
// SLSA provenance attestation for every version, signed by a private
// Sigstore whose trusted root the script trusts through
// AIRLOCK_TRUSTED_ROOT. It also answers the bulk advisory endpoint with a
// file of the script's choosing.
type attestEnv struct {
	reg   *testregistry.Registry
	sig   *testsigstore.Sigstore
	mu    sync.Mutex
	url   string
	repo  map[string]string // NAME@V → claimed repository
	other map[string]bool   // NAME@V → attest other bytes
	none  map[string]bool   // NAME@V → no attestation
	dep   map[string]string // NAME@V → deprecation message
	bulk  string            // file served at the bulk endpoint ("" = 404)
	files map[string]string // URL path → file served (attestreg serve)
	posts int
	memo  map[string][]byte
}

var attestEnvs sync.Map // *testscript.TestScript → *attestEnv

// cmdAttestReg drives the provenance registry:
//
//	attestreg start              start it: $ATTEST_REGISTRY, $ATTEST_CAFILE; AIRLOCK_TRUSTED_ROOT names its Sigstore's root
//	attestreg npmrc DIR          write DIR/.npmrc for it
//	attestreg repo NAME@V URL    the attestation for NAME@V claims source repository URL
//	attestreg mismatch NAME@V    the attestation for NAME@V is about other bytes
//	attestreg none NAME@V        NAME@V has no attestation (dist.attestations absent)
//	attestreg deprecate NAME@V MSG
//	attestreg bulk FILE          answer POST /-/npm/v1/security/advisories/bulk with FILE
//	attestreg posts N            assert the bulk endpoint was asked N times so far
//	attestreg serve PATH FILE    serve FILE at URL path PATH (an OSV export for db update --from URL)
func cmdAttestReg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: attestreg start|npmrc|repo|mismatch|none|deprecate|bulk|posts ...")
	}
	if args[0] == "start" {
		startAttestEnv(ts)
		return
	}
	v, ok := attestEnvs.Load(ts)
	if !ok {
		ts.Fatalf("attestreg: run `attestreg start` first")
	}
	e := v.(*attestEnv)
	e.mu.Lock()
	defer e.mu.Unlock()
	need := func(n int) {
		if len(args) != n {
			ts.Fatalf("attestreg %s: wrong number of arguments", args[0])
		}
	}
	switch args[0] {
	case "npmrc":
		need(2)
		ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[1]), ".npmrc"), []byte(e.reg.Npmrc()), 0o644))
	case "repo":
		need(3)
		e.repo[args[1]] = args[2]
	case "mismatch":
		need(2)
		e.other[args[1]] = true
	case "none":
		need(2)
		e.none[args[1]] = true
	case "deprecate":
		need(3)
		e.dep[args[1]] = args[2]
	case "bulk":
		need(2)
		e.bulk = ts.MkAbs(args[1])
	case "serve":
		need(3)
		e.files[args[1]] = ts.MkAbs(args[2])
	case "posts":
		need(2)
		if fmt.Sprint(e.posts) != args[1] {
			ts.Fatalf("bulk endpoint asked %d times, want %s", e.posts, args[1])
		}
	default:
		ts.Fatalf("attestreg: unknown subcommand %q", args[0])
	}
	e.memo = map[string][]byte{} // settings changed: re-sign
}

func startAttestEnv(ts *testscript.TestScript) {
	ss, err := testsigstore.New()
	ts.Check(err)
	signer, err := testregistry.NewSigner()
	ts.Check(err)
	e := &attestEnv{sig: ss, repo: map[string]string{}, other: map[string]bool{}, none: map[string]bool{},
		dep: map[string]string{}, memo: map[string][]byte{}, files: map[string]string{}}
	reg, err := testregistry.Start(testregistry.WithSigner(signer), testregistry.WithPackumentHook(e.hook),
		testregistry.WithMiddleware(e.middleware))
	ts.Check(err)
	ts.Defer(func() { reg.Close() })
	e.reg, e.url = reg, reg.URL()
	root := filepath.Join(ts.Getenv("WORK"), ".sigstore-trusted-root.json")
	ts.Check(os.WriteFile(root, ss.TrustedRootJSON(), 0o644))
	ts.Setenv("AIRLOCK_TRUSTED_ROOT", root)
	ts.Setenv("ATTEST_REGISTRY", reg.URL())
	ts.Setenv("ATTEST_CAFILE", reg.CAFile())
	attestEnvs.Store(ts, e)
	ts.Defer(func() { attestEnvs.Delete(ts) })
}

// hook lists an attestation (and any deprecation) in every version's dist.
func (e *attestEnv) hook(name string, doc map[string]any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	versions, _ := doc["versions"].(map[string]any)
	for v, x := range versions {
		vd, _ := x.(map[string]any)
		dist, _ := vd["dist"].(map[string]any)
		if dist == nil {
			continue
		}
		id := name + "@" + v
		if msg, ok := e.dep[id]; ok {
			vd["deprecated"] = msg
		}
		if e.none[id] {
			continue
		}
		dist["attestations"] = map[string]any{
			"url":        strings.TrimSuffix(e.url, "/") + "/-/npm/v1/attestations/" + id,
			"provenance": map[string]any{"predicateType": "https://slsa.dev/provenance/v1"},
		}
	}
}

func (e *attestEnv) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		file, served := e.files[r.URL.Path]
		e.mu.Unlock()
		switch {
		case served:
			http.ServeFile(w, r, file)
		case r.Method == http.MethodPost && r.URL.Path == "/-/npm/v1/security/advisories/bulk":
			e.mu.Lock()
			e.posts++
			file := e.bulk
			e.mu.Unlock()
			data, err := os.ReadFile(file)
			if file == "" || err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(data)
		case strings.HasPrefix(r.URL.Path, "/-/npm/v1/attestations/"):
			id := strings.TrimPrefix(r.URL.Path, "/-/npm/v1/attestations/")
			doc, err := e.attestations(id)
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(doc)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// attestations builds NAME@V's document: a provenance bundle over the
// tarball the registry serves (or other bytes, for "mismatch").
func (e *attestEnv) attestations(id string) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.memo[id]; ok {
		return b, nil
	}
	at := strings.LastIndex(id, "@")
	if at <= 0 || e.none[id] {
		return nil, fmt.Errorf("no attestations for %s", id)
	}
	name, version := id[:at], id[at+1:]
	tgz, err := e.reg.Tarball(name, version)
	if err != nil {
		return nil, err
	}
	if e.other[id] {
		tgz = append(tgz, "other bytes"...)
	}
	sum := sha512.Sum512(tgz)
	repo := e.repo[id]
	if repo == "" {
		repo = "https://github.com/airlock-fixtures/" + name
	}
	bundle, err := e.sig.ProvenanceBundle(testsigstore.Subject{Name: name, Version: version, SHA512: sum[:]},
		testsigstore.Build{Repository: repo, Commit: "1111111111111111111111111111111111111111"})
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(map[string]any{"attestations": []any{
		map[string]any{"predicateType": "https://slsa.dev/provenance/v1", "bundle": json.RawMessage(bundle)},
	}})
	if err != nil {
		return nil, err
	}
	e.memo[id] = doc
	return doc, nil
}

// cmdOSVZip writes an OSV export zip: osvzip OUT.zip FILE... (each file
// stored under its base name, as osv.dev's all.zip stores ID.json).
func cmdOSVZip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: osvzip OUT.zip FILE...")
	}
	out, err := os.Create(ts.MkAbs(args[0]))
	ts.Check(err)
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range args[1:] {
		data, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		w, err := zw.Create(filepath.Base(f))
		ts.Check(err)
		_, err = w.Write(data)
		ts.Check(err)
	}
	ts.Check(zw.Close())
}
