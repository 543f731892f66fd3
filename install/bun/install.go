package bun

import (
	"context"
	"errors"
	"io/fs"
	"time"

	installnpm "github.com/airlock-dev/airlock/install/npm"
	"github.com/airlock-dev/airlock/lock"
	lockbun "github.com/airlock-dev/airlock/lock/bun"
	"github.com/airlock-dev/airlock/unpack"
)

// Options describe one install.
type Options struct {
	// ProjectDir holds package.json and bun.lock.
	ProjectDir string
	// Selection is lock/bun's Select result.
	Selection *lockbun.Selection
	// Extract writes pkg's files into dir, which exists and is empty,
	// with ExtractOptions. It may be called concurrently; it must not
	// write outside dir.
	Extract func(ctx context.Context, pkg lock.Package, dir string) error
	// Concurrency bounds concurrent Extract calls; 0 means install/npm's
	// default.
	Concurrency int
	// LockWait and OnLockWait: see install.Options.
	LockWait   time.Duration
	OnLockWait func(holder string)
}

// Result is install/npm's count of what was laid out.
type Result = installnpm.Result

// ExtractOptions are the unpack options that give bun's files: archive
// modes by npm's rule (see the package documentation) and .gitignore kept. umask is the
// process's, read once with unpack.ProcessUmask.
func ExtractOptions(umask fs.FileMode) unpack.NpmOptions {
	return unpack.NpmOptions{Umask: umask, UmaskIsProcess: true, KeepGitignore: true}
}

// Install lays out node_modules and every workspace's node_modules as bun's
// hoisted linker does; on any error the previous trees are left as they
// were (install/npm's guarantee).
func Install(ctx context.Context, opts Options) (*Result, error) {
	if opts.Selection == nil || opts.Extract == nil {
		return nil, errors.New("bun install: Options.Selection and Options.Extract are required")
	}
	return installnpm.Install(ctx, installnpm.Options{
		ProjectDir:  opts.ProjectDir,
		Packages:    opts.Selection.Install,
		Extract:     opts.Extract,
		Concurrency: opts.Concurrency,
		LockWait:    opts.LockWait,
		OnLockWait:  opts.OnLockWait,
	})
}
