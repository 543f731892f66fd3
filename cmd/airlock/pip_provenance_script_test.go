package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airlock-dev/airlock/internal/testsigstore"
)

// pypiSigstores holds each script's private Sigstore for PEP 740
// attestations, made on first use.
var pypiSigstores sync.Map // *testscript.TestScript → *testsigstore.Sigstore

// pypiProvenance is `pypi provenance FILE MODE`: give FILE (a file the
// index serves) a PEP 740 provenance object, listed on the index, signed
// by the script's private Sigstore, whose trusted root AIRLOCK_TRUSTED_ROOT
// then names. The publisher is GitHub acme/<project>, workflow
// release.yml. MODE:
//
//	good         attests FILE and its sha256, signed by the publisher's workflow
//	other-bytes  attests FILE with the sha256 of other bytes
//	tamper       the good statement with its digest rewritten after signing
//	fork         signed by a fork (mallory/<project>), listed under the publisher
//	none         no provenance (the default)
func pypiProvenance(ts *testscript.TestScript, s *pypiScript, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: pypi provenance FILE good|other-bytes|tamper|fork|none")
	}
	file, mode := args[0], args[1]
	if mode == "none" {
		s.index.SetProvenance(file, nil)
		return
	}
	data, _, ok := s.index.File(file)
	if !ok {
		ts.Fatalf("pypi provenance: the index serves no %s", file)
	}
	ss := pypiSigstore(ts)
	project := strings.SplitN(file, "-", 2)[0]
	build := testsigstore.Build{Repository: "https://github.com/acme/" + project, Commit: strings.Repeat("ab", 20), Ref: "refs/tags/v1"}
	publisher := testsigstore.GitHubPublisher(build)
	sum := sha256.Sum256(data)
	signAs, attested := build, sum[:]
	switch mode {
	case "good", "tamper":
	case "other-bytes":
		other := sha256.Sum256(append(data, '!'))
		attested = other[:]
	case "fork":
		signAs.Repository = "https://github.com/mallory/" + project
	default:
		ts.Fatalf("pypi provenance: unknown mode %q", mode)
	}
	a, err := ss.PyPIAttestation(file, attested, "", signAs)
	ts.Check(err)
	if mode == "tamper" {
		a = rewriteStatementDigest(ts, a, hex.EncodeToString(sum[:]), strings.Repeat("0", 64))
	}
	doc, err := testsigstore.PyPIProvenance(publisher, a)
	ts.Check(err)
	s.index.SetProvenance(file, doc)
}

func pypiSigstore(ts *testscript.TestScript) *testsigstore.Sigstore {
	if v, ok := pypiSigstores.Load(ts); ok {
		return v.(*testsigstore.Sigstore)
	}
	ss, err := testsigstore.New()
	ts.Check(err)
	root := filepath.Join(ts.Getenv("WORK"), ".pypi-sigstore-root.json")
	ts.Check(os.WriteFile(root, ss.TrustedRootJSON(), 0o644))
	ts.Setenv("AIRLOCK_TRUSTED_ROOT", root)
	pypiSigstores.Store(ts, ss)
	ts.Defer(func() { pypiSigstores.Delete(ts) })
	return ss
}

// rewriteStatementDigest changes the signed statement's subject digest
// from old to new, keeping the signature: what an index (or a mirror)
// that swapped the file and edited the attestation to match would serve.
func rewriteStatementDigest(ts *testscript.TestScript, attestation []byte, old, new string) []byte {
	var a map[string]any
	ts.Check(json.Unmarshal(attestation, &a))
	env := a["envelope"].(map[string]any)
	stmt, err := base64.StdEncoding.DecodeString(env["statement"].(string))
	ts.Check(err)
	if !strings.Contains(string(stmt), old) {
		ts.Fatalf("the statement does not name %s", old)
	}
	env["statement"] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(stmt), old, new, 1)))
	out, err := json.Marshal(a)
	ts.Check(err)
	return out
}
