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

// verificationFailures are the refusals that mean "these bytes or this
// source cannot be trusted": exit code 1.
var verificationFailures = []error{
	verify.ErrIntegrity, verify.ErrBadIntegrity, cache.ErrCorrupt,
	// A hostile or broken archive (not an I/O error while writing it).
	unpack.ErrUnsafePath, unpack.ErrSpecialFile, unpack.ErrSetuid, unpack.ErrDuplicate,
	unpack.ErrTooManyFiles, unpack.ErrFileTooLarge, unpack.ErrTooLarge, unpack.ErrRatio,
	unpack.ErrPathTooLong, unpack.ErrTooDeep, unpack.ErrCorrupt,
	// A source airlock will not use, however reachable.
	client.ErrNotHTTPS, client.ErrInsecureRedirect, client.ErrCredentialsInURL,
	// A project layout that would make airlock write outside the project.
	install.ErrSymlinkInPath,
}

// classify picks the exit code of an error that was not given one where it
// happened: verification and policy failures are 1, network and registry
// failures 3, anything else an input or environment error (2).
func classify(err error) int {
	for _, target := range verificationFailures {
		if errors.Is(err, target) {
			return exitVerify
		}
	}
	var (
		statusErr *client.StatusError
		clientErr *client.Error
	)
	if errors.Is(err, fetch.ErrNotCached) || errors.As(err, &statusErr) || errors.As(err, &clientErr) {
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
