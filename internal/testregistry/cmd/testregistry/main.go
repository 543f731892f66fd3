// Command testregistry serves the test registry's fixture set on a loopback
// port until interrupted, for manual runs of npm or airlock and for
// benchmarks. It prints the registry URL and its CA file as .npmrc lines.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	verbose := flag.Bool("v", false, "log every request to stderr")
	var extra []string
	flag.Func("add", "also serve this tarball (repeatable; globs allowed)", func(s string) error {
		m, err := filepath.Glob(s)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return fmt.Errorf("no file matches %s", s)
		}
		extra = append(extra, m...)
		return nil
	})
	flag.Parse()

	opts := []testregistry.Option{testregistry.WithAddr(*addr)}
	if *verbose {
		opts = append(opts, testregistry.WithMiddleware(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				log.Printf("%s %s %s auth=%t accept=%q", r.Proto, r.Method, r.RequestURI, r.Header.Get("Authorization") != "", r.Header.Get("Accept"))
				next.ServeHTTP(w, r)
			})
		}))
	}
	reg, err := testregistry.Start(opts...)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range extra {
		b, err := os.ReadFile(f)
		if err == nil {
			err = reg.Add(b)
		}
		if err != nil {
			reg.Close()
			log.Fatalf("%s: %v", f, err)
		}
	}
	fmt.Printf("registry=%s\ncafile=%s\n", reg.URL(), reg.CAFile())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	if err := reg.Close(); err != nil {
		log.Fatal(err)
	}
}
