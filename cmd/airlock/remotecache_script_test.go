package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airlock-dev/airlock/internal/testcas"
)

// remoteCaches maps a running script to its remote cache.
var remoteCaches sync.Map

// cmdRemoteCache drives a script's remote cache (internal/testcas):
//
//	remotecache start [TOKEN]   start one; $REMOTE_CACHE is its URL, $REMOTE_CACHE_CAFILE its CA
//	remotecache poison          replace every archive it holds with other bytes
//	remotecache requests        print METHOD PATH auth=yes|no per request, then clear nothing
//	remotecache keys            print how many ac/ and cas/ entries it holds
func cmdRemoteCache(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: remotecache start [TOKEN] | poison | requests | keys")
	}
	if args[0] == "start" {
		s := testcas.Start()
		ts.Defer(s.Close)
		if len(args) > 1 {
			s.Token = args[1]
		}
		ca := filepath.Join(ts.Getenv("WORK"), ".remote-cache-ca.pem")
		ts.Check(os.WriteFile(ca, s.CAPEM(), 0o644))
		ts.Setenv("REMOTE_CACHE", s.URL)
		ts.Setenv("REMOTE_CACHE_CAFILE", ca)
		remoteCaches.Store(ts, s)
		ts.Defer(func() { remoteCaches.Delete(ts) })
		return
	}
	v, ok := remoteCaches.Load(ts)
	if !ok {
		ts.Fatalf("remotecache %s: run `remotecache start` first", args[0])
	}
	s := v.(*testcas.Server)
	switch args[0] {
	case "poison":
		for _, k := range s.Keys() {
			if strings.HasPrefix(k, "cas/") {
				s.Set(k, []byte("not the archive you locked"))
			}
		}
	case "requests":
		for _, r := range s.Requests() {
			auth := "no"
			if r.Authorization != "" {
				auth = "yes"
			}
			fmt.Fprintf(ts.Stdout(), "%s %s auth=%s\n", r.Method, r.Path, auth)
		}
	case "keys":
		ac, cas := 0, 0
		for _, k := range s.Keys() {
			if strings.HasPrefix(k, "ac/") {
				ac++
			} else {
				cas++
			}
		}
		fmt.Fprintf(ts.Stdout(), "ac=%d cas=%d\n", ac, cas)
	default:
		ts.Fatalf("remotecache: unknown subcommand %q", args[0])
	}
}
