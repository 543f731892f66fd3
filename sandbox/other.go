//go:build !linux

package sandbox

import (
	"context"
	"fmt"
)

// Capabilities is what this machine offers the sandbox.
type Capabilities struct {
	LandlockABI  int
	Namespaces   bool
	ProcessBound string
	Problems     []string
}

// Err explains why scripts cannot be sandboxed here.
func (c Capabilities) Err() error {
	return fmt.Errorf("%w: the sandbox needs Linux (Landlock and namespaces)", ErrUnavailable)
}

// Probe reports that only Linux can sandbox.
func Probe() Capabilities {
	return Capabilities{Problems: []string{"the sandbox needs Linux (Landlock and namespaces)"}}
}

// ChildMain does nothing outside Linux.
func ChildMain() {}

// Run refuses: there is no sandbox outside Linux.
func Run(ctx context.Context, spec Spec) (Result, error) {
	return Result{}, Probe().Err()
}
