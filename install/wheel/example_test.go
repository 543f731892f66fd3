package wheel_test

import (
	"context"
	"fmt"
	"log"

	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/install/wheel"
)

// The shape of `airlock pip install` into a virtual environment inside the
// project: one Staging for the whole set, wheels spooled into its scratch
// space after their digests were verified, Stage, then Commit.
func ExampleStage() {
	ctx := context.Background()
	project := "/src/app"
	venv := project + "/.venv"
	scheme := wheel.Scheme{
		Purelib: venv + "/lib/python3.12/site-packages", Platlib: venv + "/lib/python3.12/site-packages",
		Scripts: venv + "/bin", Data: venv, Headers: venv + "/include/site/python3.12",
	}
	st, err := install.Begin(ctx, project, install.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Abort() // a no-op after Commit
	// ... fetch each wheel, verified, into a file under st.Scratch() ...
	wheels := []wheel.Wheel{{File: "/src/app/.airlock/staging-x/s0/requests-2.32.3-py3-none-any.whl",
		Name: "requests", Version: "2.32.3", Requested: true}}
	res, err := wheel.Stage(ctx, st, scheme, wheels, wheel.Options{Python: venv + "/bin/python", PythonVersion: "3.12"})
	if err != nil {
		log.Fatal(err) // nothing in .venv has changed
	}
	warnings, err := st.Commit()
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range res.Dists {
		fmt.Println(d.Name, d.Version, d.Scripts, d.Pth, d.Replaced)
	}
	for _, w := range append(res.Warnings, warnings...) {
		fmt.Println("warning:", w)
	}
}
