package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/internal/testregistry"
	"github.com/rogpeppe/go-internal/testscript"
)

// signEnv is a script's pair of signing registries: $SIGNED_REGISTRY (the
// one projects use, also the mirror in origin tests) and $ORIGIN_REGISTRY
// (the authoritative registry it mirrors). Both sign with keys generated
// for the script and serve the fixture tarballs.
type signEnv struct {
	signed, origin *testregistry.Registry
	signers        map[string]*testregistry.Signer // "signed", "origin"
}

// signEnvs holds each running script's signEnv: testscript gives commands
// no per-script state of their own beyond what Setup created.
var signEnvs sync.Map // *testscript.TestScript → *signEnv

// cmdSignReg drives the signing registries:
//
//	signreg start                        start both, set $SIGNED_REGISTRY, $SIGNED_CAFILE, $ORIGIN_REGISTRY, $ORIGIN_CAFILE
//	signreg npmrc DIR                    write DIR/.npmrc for $SIGNED_REGISTRY
//	signreg tamper NAME@V HOW [origin]   bad | unknown-key | expired-key | unsigned | off
//	signreg age NAME@V DURATION [origin] set time[V] to DURATION ago (Go syntax: 2h, 240h)
//	signreg integrity NAME@V SRI [origin] make the packument claim SRI (and sign it)
//	signreg rotate DURATION              expire the current key DURATION ago and publish a new one
//	signreg unsigned                     stop signing and serving keys
//	signreg pin FILE                     append a [[registry]] pin of $SIGNED_REGISTRY's keys to FILE
func cmdSignReg(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: signreg start|npmrc|tamper|age|integrity|rotate|unsigned|pin ...")
	}
	if args[0] == "start" {
		startSignEnv(ts)
		return
	}
	v, ok := signEnvs.Load(ts)
	if !ok {
		ts.Fatalf("signreg: run `signreg start` first")
	}
	e := v.(*signEnv)
	which := func(i int) *testregistry.Signer {
		if len(args) > i && args[i] == "origin" {
			return e.signers["origin"]
		}
		return e.signers["signed"]
	}
	switch args[0] {
	case "npmrc":
		if len(args) != 2 {
			ts.Fatalf("usage: signreg npmrc DIR")
		}
		ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[1]), ".npmrc"), []byte(e.signed.Npmrc()), 0o644))
	case "tamper":
		if len(args) < 3 {
			ts.Fatalf("usage: signreg tamper NAME@V HOW [origin]")
		}
		ts.Check(which(3).Tamper(args[1], args[2]))
	case "age":
		if len(args) < 3 {
			ts.Fatalf("usage: signreg age NAME@V DURATION [origin]")
		}
		d, err := time.ParseDuration(args[2])
		ts.Check(err)
		which(3).SetTime(args[1], time.Now().Add(-d))
	case "integrity":
		if len(args) < 3 {
			ts.Fatalf("usage: signreg integrity NAME@V SRI [origin]")
		}
		which(3).SetIntegrity(args[1], args[2])
	case "rotate":
		if len(args) != 2 {
			ts.Fatalf("usage: signreg rotate DURATION")
		}
		d, err := time.ParseDuration(args[1])
		ts.Check(err)
		ts.Check(e.signers["signed"].Rotate(time.Now().Add(-d)))
	case "unsigned":
		e.signers["signed"].SetEnabled(false)
	case "pin":
		if len(args) != 2 {
			ts.Fatalf("usage: signreg pin FILE")
		}
		f, err := os.OpenFile(ts.MkAbs(args[1]), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		ts.Check(err)
		defer f.Close()
		_, err = fmt.Fprintf(f, "\n[[registry]]\nurl = %q\n%s", e.signed.URL(), tomlKeys(e.signers["signed"]))
		ts.Check(err)
	default:
		ts.Fatalf("signreg: unknown subcommand %q", args[0])
	}
}

func startSignEnv(ts *testscript.TestScript) {
	if _, ok := signEnvs.Load(ts); ok {
		ts.Fatalf("signreg start: already started")
	}
	e := &signEnv{signers: map[string]*testregistry.Signer{}}
	for _, name := range []string{"signed", "origin"} {
		s, err := testregistry.NewSigner()
		ts.Check(err)
		r, err := testregistry.Start(testregistry.WithSigner(s))
		ts.Check(err)
		ts.Defer(func() { r.Close() })
		e.signers[name] = s
		if name == "signed" {
			e.signed = r
			ts.Setenv("SIGNED_REGISTRY", r.URL())
			ts.Setenv("SIGNED_CAFILE", r.CAFile())
		} else {
			e.origin = r
			ts.Setenv("ORIGIN_REGISTRY", r.URL())
			ts.Setenv("ORIGIN_CAFILE", r.CAFile())
		}
	}
	signEnvs.Store(ts, e)
	ts.Defer(func() { signEnvs.Delete(ts) })
}

// tomlKeys renders a signer's published keys as airlock.toml's keys array.
func tomlKeys(s *testregistry.Signer) string {
	keys, err := parseKeysForPin(s.KeysJSON())
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	out := "keys = [\n"
	for _, k := range keys {
		out += fmt.Sprintf("  { keyid = %q, key = %q, expires = %q },\n", k.id, k.key, k.expires)
	}
	return out + "]\n"
}

type pinKey struct{ id, key, expires string }

func parseKeysForPin(doc []byte) ([]pinKey, error) {
	var d struct {
		Keys []struct {
			KeyID   string  `json:"keyid"`
			Key     string  `json:"key"`
			Expires *string `json:"expires"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	var out []pinKey
	for _, k := range d.Keys {
		p := pinKey{id: k.KeyID, key: k.Key}
		if k.Expires != nil {
			p.expires = *k.Expires
		}
		out = append(out, p)
	}
	return out, nil
}
