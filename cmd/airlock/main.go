// Command airlock fetches, verifies and lays out a project's locked
// dependencies without running any of their code. See README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/sandbox"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, documented in README.md.
const (
	exitOK      = 0
	exitVerify  = 1 // verification or policy failure
	exitUsage   = 2 // usage or input error (flags, lockfile, config)
	exitNetwork = 3 // network or registry failure
	// A signal ends the process with 128 + its number, the status a shell
	// reports for npm, which re-raises the signal once it has cleaned up:
	// 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129 for SIGHUP.
	exitInterrupted = 130
)

func main() {
	// In the sandbox's first process this sets up the restrictions and
	// executes the allowed script's command; it never returns there.
	sandbox.ChildMain()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `airlock fetches, verifies and installs locked dependencies without running them.

Usage:
  airlock npm ci [flags]      install node_modules from package-lock.json, like npm ci --ignore-scripts
  airlock npm install [pkg[@range]...] | update [pkg...] | uninstall pkg... [flags]
                              let npm resolve the change (registry metadata only), check the new
                              lockfile against policy, then install it as npm ci does
  airlock pnpm install [flags]
                              install node_modules from pnpm-lock.yaml, like pnpm install --frozen-lockfile --ignore-scripts
  airlock bun install [flags]
                              install node_modules from bun.lock, like bun install --frozen-lockfile --ignore-scripts
  airlock yarn [install] [flags]
                              install node_modules from yarn.lock, like yarn install --frozen-lockfile --ignore-scripts
                              (yarn 1) or --immutable --mode=skip-build (yarn 2+, nodeLinker: node-modules)
  airlock install [flags]     the same, choosing the ecosystem from the lockfile found
  airlock pip install -r requirements.txt | --lock pylock.toml|uv.lock [flags]
                              install wheels into a virtual environment, like pip install --require-hashes --no-deps
  airlock pip install NAME[extras][specifier]... [flags]
                              resolve on the index (wheels only, policy applied) and install, like pip install NAME
  airlock pip lock [-r requirements.in | NAME...] [-o pylock.toml]
                              resolve and write a PEP 751 pylock.toml, like pip lock
  airlock fetch [flags]       fill the cache for the lockfile (npm, pnpm, bun, yarn, or pip with --lock / -r) without installing
  airlock vendor DIR [flags]  write every archive the lockfile needs, and a manifest, into DIR
  airlock vendor --check DIR  report files of DIR that differ from its manifest
  airlock verify [flags]      hash node_modules into a tree digest and list what differs from the lockfile's archives
  airlock diff OLD NEW | --git REF
                              what a lockfile change brings in (packages, install scripts, sources, publishers)
  airlock sbom [--output F]   CycloneDX 1.6 SBOM of the locked packages
  airlock log verify [FILE] | path
                              check the hash-chained audit log, or print where it is
  airlock cache path          print the cache directory
  airlock db update --from FILE|URL
                              import an OSV advisory export (osv.dev's npm or PyPI all.zip) for offline matching
  airlock trust update [--from trusted_root.json]
                              refresh the Sigstore trusted root that npm provenance is verified against
  airlock cache verify        re-hash the cache; remove and list what fails
  airlock cache gc --older-than 30d
                              remove cached archives unused for that long
  airlock audit [--sarif F]   analyze the installed packages (install scripts, obfuscation, binaries, advisories);
                              Python: -r FILE | --lock FILE | --python PATH (advisories)
  airlock doctor              show whether this machine can sandbox allowed install scripts
  airlock config explain [--dir DIR] [--json]
                              print every effective setting and the file, line or variable it came from
  airlock shim install|uninstall [--dir DIR]
                              put npm, npx, pnpm, yarn, bun, pip and pip3 wrappers on PATH that send installs through airlock
  airlock version             print the version

Run 'airlock npm ci -h' for the flags.
`

func run(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	// The first signal cancels cleanly; once it has, the next one gets the
	// default action and ends the process at once (the cache and the
	// previous tree are safe either way; debris is cleared by the next run).
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			cancel(signalError{sig.(syscall.Signal)})
		case <-ctx.Done():
		}
	}()

	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "npm", "install", "pnpm", "bun", "yarn", "fetch", "vendor", "verify", "audit", "pip":
		// These talk to a registry unless everything is cached: parse the
		// trusted certificates while the lockfile is read.
		client.PreloadSystemRoots()
	}
	switch args[0] {
	case "npm":
		return npmCmd(ctx, args[1:], stdout, stderr)
	case "shim":
		return shimCmd(args[1:], stdout, stderr)
	case "install":
		return installAuto(ctx, args[1:], stdout, stderr)
	case "pnpm":
		return pnpmCmd(ctx, args[1:], stdout, stderr)
	case "bun":
		return bunCmd(ctx, args[1:], stdout, stderr)
	case "yarn":
		return yarnCmd(ctx, args[1:], stdout, stderr)
	case "fetch":
		return fetchCmd(ctx, "fetch", args[1:], stdout, stderr)
	case "vendor":
		return fetchCmd(ctx, "vendor", args[1:], stdout, stderr)
	case "verify":
		return verifyCmd(ctx, args[1:], stdout, stderr)
	case "diff":
		return lockDiffCmd(ctx, args[1:], stdout, stderr)
	case "sbom":
		return sbomCmd(ctx, args[1:], stdout, stderr)
	case "log":
		return logCmd(args[1:], stdout, stderr)
	case "config":
		return configCmd(args[1:], stdout, stderr)
	case "doctor":
		return doctor(stdout)
	case "audit":
		return audit(ctx, args[1:], stdout, stderr)
	case "pip":
		return pipCmd(ctx, args[1:], stdout, stderr)
	case "db":
		return dbCmd(ctx, args[1:], stdout, stderr)
	case "trust":
		return trustCmd(ctx, args[1:], stdout, stderr)
	case "cache":
		return cacheCmd(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "airlock %s\n", version)
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "airlock: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

func argOrNothing(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// signalError is the cancellation cause when a signal stopped the command.
type signalError struct{ sig syscall.Signal }

func (e signalError) Error() string { return unix.SignalName(e.sig) }

// codedError carries the exit code chosen where the failure was understood.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &codedError{code: code, err: err}
}

// exitCode maps an error to the documented exit codes; errors that were not
// classified where they happened count as input errors.
func exitCode(ctx context.Context, err error) int {
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		var se signalError
		if errors.As(context.Cause(ctx), &se) {
			return 128 + int(se.sig)
		}
		return exitInterrupted
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.code
	}
	return classify(err)
}
