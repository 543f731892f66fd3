package wheel

import (
	"context"
	"errors"

	"github.com/airlock-dev/airlock/install"
)

func root(s Scheme) (string, error) { return "", errors.New("wheel: not implemented yet") }

func stage(ctx context.Context, st *install.Staging, scheme Scheme, wheels []Wheel, opts Options) (*Result, error) {
	return nil, errors.New("wheel: not implemented yet")
}
