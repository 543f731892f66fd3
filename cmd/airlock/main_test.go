package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/airlock-dev/airlock/sandbox"
)

// TestMain lets the test binary act as the airlock command: testscript puts
// an "airlock" link to it on PATH, so scripts and the comparison tests run the
// real CLI as users do, without a separate build step.
func TestMain(m *testing.M) {
	sandbox.ChildMain()
	testscript.Main(m, map[string]func(){
		"airlock": func() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) },
	})
}
