// Command gensynth writes the synthetic fixture tarballs of the test
// registry (package synth) into a directory, one <scope>-<name>-<version>.tgz
// per package. Run it through `go generate ./internal/testregistry`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/airlock-dev/airlock/internal/testregistry/synth"
)

func main() {
	dir := flag.String("dir", "tarballs", "directory to write the tarballs into")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gensynth:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	for _, p := range synth.Packages() {
		name, err := p.FileName()
		if err != nil {
			return err
		}
		tgz, err := p.Tgz()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), tgz, 0o644); err != nil {
			return err
		}
		fmt.Println(name)
	}
	return nil
}
