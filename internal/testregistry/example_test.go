package testregistry_test

import (
	"fmt"
	"log"

	"github.com/airlock-dev/airlock/internal/testregistry"
)

// A testscript Setup (or any code without a testing.TB) starts a registry
// with Start and hands its URL and CA file to the script:
//
//	Setup: func(e *testscript.Env) error {
//		reg, err := testregistry.Start()
//		if err != nil {
//			return err
//		}
//		e.Defer(func() { reg.Close() })
//		e.Setenv("REGISTRY", reg.URL())
//		e.Setenv("REGISTRY_CA", reg.CAFile())
//		return nil
//	}
func ExampleStart() {
	reg, err := testregistry.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	resp, err := reg.Client().Get(reg.TarballURL("@tootallnate/once", "2.0.0"))
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status, resp.Proto, resp.Request.URL.Path)
	// Output: 200 OK HTTP/2.0 /@tootallnate/once/-/once-2.0.0.tgz
}
