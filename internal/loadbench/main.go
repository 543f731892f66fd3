// Command loadbench measures many airlock installs of one lockfile against
// local servers only (internal/testregistry as the registry,
// internal/testcas as the shared remote cache): registry requests, the
// remote cache's hit rate, bytes transferred and wall time. Its scenarios:
// installs one after another, each with a fresh local cache, without and
// then with the remote cache (N machines in turn); all at once, each with
// its own local cache (N machines starting together); and all at once on
// one machine (one local cache) with the remote cache.
//
// Run it with
//
//	go run ./internal/loadbench -airlock bin/airlock [-n 20] [-packages 150]
//
// The lockfile is synthetic: -packages packages of 5 to 80 KiB, generated
// deterministically. No network beyond loopback.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/airlock-dev/airlock/internal/testcas"
	"github.com/airlock-dev/airlock/internal/testregistry"
)

type scenario struct {
	name       string
	concurrent bool
	remote     bool
	sharedDir  bool // one local cache for all installs
}

type outcome struct {
	wall                       time.Duration
	registryGets, registryByte int64
	remoteGets, remoteHits     int64
	remoteBytes, remotePuts    int64
}

func main() {
	airlock := flag.String("airlock", "bin/airlock", "airlock binary")
	n := flag.Int("n", 20, "installs per scenario")
	npkg := flag.Int("packages", 150, "packages in the synthetic lockfile")
	flag.Parse()
	bin, err := filepath.Abs(*airlock)
	check(err)

	reg, err := testregistry.Start(testregistry.WithoutFixtures())
	check(err)
	defer reg.Close()
	work, err := os.MkdirTemp("", "airlock-loadbench-")
	check(err)
	defer os.RemoveAll(work)

	sizes := map[string]int64{} // registry path or sha256 hex -> bytes
	lock := map[string]any{}
	deps := map[string]string{}
	var total int64
	for i := range *npkg {
		name := fmt.Sprintf("@airlock-load/pkg-%03d", i)
		tgz := tarball(name, i)
		check(reg.Add(tgz))
		sum := sha512.Sum512(tgz)
		s256 := sha256.Sum256(tgz)
		u := reg.TarballURL(name, "1.0.0")
		sizes[strings.TrimPrefix(u, strings.TrimSuffix(reg.URL(), "/"))] = int64(len(tgz))
		sizes[hex.EncodeToString(s256[:])] = int64(len(tgz))
		total += int64(len(tgz))
		deps[name] = "1.0.0"
		lock["node_modules/"+name] = map[string]any{"version": "1.0.0", "resolved": u,
			"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sum[:])}
	}
	lock[""] = map[string]any{"name": "load", "version": "1.0.0", "dependencies": deps}
	pkgJSON, _ := json.Marshal(map[string]any{"name": "load", "version": "1.0.0", "dependencies": deps})
	lockJSON, _ := json.MarshalIndent(map[string]any{"name": "load", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": lock}, "", "  ")
	fmt.Printf("lockfile: %d packages, %.1f MiB of archives; %d installs per scenario\n\n", *npkg, float64(total)/(1<<20), *n)

	scenarios := []scenario{
		{name: "sequential, no remote cache", concurrent: false},
		{name: "sequential, remote cache", remote: true},
		{name: "concurrent, remote cache, own local caches", concurrent: true, remote: true},
		{name: "concurrent, remote cache, one local cache", concurrent: true, remote: true, sharedDir: true},
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\twall\tregistry GETs\tregistry MiB\tremote hits\tremote hit rate\tremote MiB\tremote PUTs")
	for i, sc := range scenarios {
		o := run(bin, reg, work, fmt.Sprint(i), sc, *n, *npkg, pkgJSON, lockJSON, sizes)
		rate := "-"
		if sc.remote {
			rate = fmt.Sprintf("%.0f%%", 100*float64(o.remoteHits)/float64(*n**npkg))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%d\t%s\t%.1f\t%d\n", sc.name, o.wall.Round(10*time.Millisecond),
			o.registryGets, float64(o.registryByte)/(1<<20), o.remoteHits, rate, float64(o.remoteBytes)/(1<<20), o.remotePuts)
	}
	tw.Flush()
}

func run(bin string, reg *testregistry.Registry, work, tag string, sc scenario, n, npkg int, pkgJSON, lockJSON []byte, sizes map[string]int64) outcome {
	reg.ResetRequests()
	cas := testcas.Start()
	defer cas.Close()
	caFile := filepath.Join(work, "remote-ca-"+tag+".pem")
	check(os.WriteFile(caFile, cas.CAPEM(), 0o644))
	home := filepath.Join(work, "home-"+tag)
	check(os.MkdirAll(home, 0o755))
	check(os.WriteFile(filepath.Join(home, "npmrc"), nil, 0o644))
	var dirs []string
	for i := range n {
		d := filepath.Join(work, fmt.Sprintf("s%s-p%02d", tag, i))
		check(os.MkdirAll(d, 0o755))
		check(os.WriteFile(filepath.Join(d, "package.json"), pkgJSON, 0o644))
		check(os.WriteFile(filepath.Join(d, "package-lock.json"), lockJSON, 0o644))
		check(os.WriteFile(filepath.Join(d, ".npmrc"), []byte(reg.Npmrc()), 0o644))
		toml := ""
		if sc.remote {
			toml = fmt.Sprintf("ca_file = %q\n[cache]\nremote = %q\n", caFile, cas.URL)
		}
		check(os.WriteFile(filepath.Join(d, "airlock.toml"), []byte(toml), 0o644))
		dirs = append(dirs, d)
	}
	install := func(i int) {
		cacheDir := filepath.Join(work, fmt.Sprintf("cache-%s-%02d", tag, i))
		if sc.sharedDir {
			cacheDir = filepath.Join(work, "cache-"+tag)
		}
		cmd := exec.Command(bin, "npm", "ci", "--quiet")
		cmd.Dir = dirs[i]
		cmd.Env = append(os.Environ(), "HOME="+home, "AIRLOCK_CACHE="+cacheDir,
			"NPM_CONFIG_GLOBALCONFIG="+filepath.Join(home, "npmrc"), "XDG_CONFIG_HOME="+home,
			"AIRLOCK_REQUIRE_SIGNATURES=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "loadbench: %s, install %d: %v\n%s", sc.name, i, err, out)
			os.Exit(1)
		}
	}
	start := time.Now()
	if sc.concurrent {
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { install(i) })
		}
		wg.Wait()
	} else {
		for i := range n {
			install(i)
		}
	}
	o := outcome{wall: time.Since(start)}
	for _, r := range reg.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, ".tgz") {
			o.registryGets++
			o.registryByte += sizes[r.Path]
		}
	}
	for _, r := range cas.Requests() {
		i := strings.Index(r.Path, "/cas/")
		if i < 0 {
			continue
		}
		switch {
		case r.Method == "GET" && r.Status == 200:
			o.remoteHits++
			o.remoteBytes += sizes[r.Path[i+5:]]
		case r.Method == "PUT":
			o.remotePuts++
			o.remoteBytes += sizes[r.Path[i+5:]]
		}
	}
	return o
}

// tarball is an npm package archive for name with a deterministic payload
// of 5 to 80 KiB (incompressible, like minified code is not, so that the
// byte counts are an upper bound).
func tarball(name string, seed int) []byte {
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	payload := make([]byte, 5<<10+r.IntN(75<<10))
	for i := range payload {
		payload[i] = byte(r.Uint32())
	}
	manifest, _ := json.Marshal(map[string]any{"name": name, "version": "1.0.0", "main": "index.js", "license": "MIT"})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []struct {
		name string
		data []byte
	}{{"package/package.json", manifest}, {"package/index.js", []byte("module.exports = 1\n")}, {"package/data.bin", payload}} {
		check(tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(f.data)
		check(err)
	}
	check(tw.Close())
	check(zw.Close())
	return buf.Bytes()
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
}
