package main

import (
	"errors"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/unpack"
	"github.com/airlock-dev/airlock/verify"
)

// classify picks the exit code of an error that was not given one where it
// happened: verification failures are 1, network and registry failures 3,
// anything else an input error (2).
func classify(err error) int {
	var (
		statusErr *client.StatusError
		clientErr *client.Error
		fileErr   *unpack.FileError
	)
	switch {
	case errors.Is(err, verify.ErrIntegrity), errors.Is(err, verify.ErrBadIntegrity),
		errors.Is(err, cache.ErrCorrupt), errors.As(err, &fileErr):
		return exitVerify
	case errors.Is(err, fetch.ErrNotCached), errors.As(err, &statusErr), errors.As(err, &clientErr):
		return exitNetwork
	}
	return exitUsage
}

// classifyInstallError keeps the install's own error text and picks its code.
func classifyInstallError(err error) error {
	if errors.Is(err, install.ErrLocked) {
		return withCode(exitUsage, err)
	}
	return withCode(classify(err), err)
}
