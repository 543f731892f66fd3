package main

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/install"
	"github.com/airlock-dev/airlock/unpack"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"integrity mismatch", &fetch.IntegrityError{Package: "a@1"}, exitVerify},
		{"hostile archive", &unpack.FileError{Path: "../x", Err: unpack.ErrUnsafePath}, exitVerify},
		{"disk full while unpacking", &unpack.FileError{Path: "x", Err: fmt.Errorf("write: %w", syscall.ENOSPC)}, exitUsage},
		{"http redirect", &client.Error{URL: "https://r/x", Err: client.ErrInsecureRedirect}, exitVerify},
		{"registry status", &client.StatusError{URL: "https://r/x", Code: 503}, exitNetwork},
		{"connection failure", &client.Error{URL: "https://r/x", Err: errors.New("connection refused")}, exitNetwork},
		{"offline miss", &fetch.NotCachedError{Package: "a@1"}, exitNetwork},
		{"project locked", fmt.Errorf("x: %w", install.ErrLocked), exitUsage},
		{"symlink out of the project", fmt.Errorf("x: %w", install.ErrSymlinkInPath), exitVerify},
	} {
		if got := exitCode(context.Background(), classifyInstallError(tc.err)); got != tc.want {
			t.Errorf("%s: exit code %d, want %d", tc.name, got, tc.want)
		}
	}
}
