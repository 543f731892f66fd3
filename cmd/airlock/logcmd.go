package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/internal/auditlog"
)

// logCmd is `airlock log path` and `airlock log verify [FILE]`.
func logCmd(args []string, stdout, stderr io.Writer) int {
	const synopsis = "path | verify [FILE]"
	if len(args) == 0 {
		fmt.Fprintf(stderr, "usage: airlock log %s\n", synopsis)
		return exitUsage
	}
	fs := newFlagSet("log "+args[0], "[flags]", stderr)
	configFile := fs.String("config", "", "airlock.toml to use instead of the project's or the user's")
	dir := fs.String("dir", ".", "project `directory` whose airlock.toml may set audit_log")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	logPath := func() (string, error) {
		cfg, err := config.Load(*configFile, *dir, os.Getenv)
		if err != nil {
			return "", err
		}
		p := auditLogPath(cfg, os.Getenv)
		if p == "" {
			return "", errors.New("the audit log is off (audit_log = \"off\" or AIRLOCK_AUDIT_LOG=off), or there is no HOME to put it in")
		}
		return p, nil
	}
	switch args[0] {
	case "path":
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "airlock log path: unexpected argument %q\n", fs.Arg(0))
			return exitUsage
		}
		p, err := logPath()
		if err != nil {
			fmt.Fprintf(stderr, "airlock log path: %v\n", err)
			return exitUsage
		}
		fmt.Fprintln(stdout, p)
		return exitOK
	case "verify":
		if fs.NArg() > 1 {
			fmt.Fprintf(stderr, "airlock log verify: one FILE at most (got %d)\n", fs.NArg())
			return exitUsage
		}
		p := fs.Arg(0)
		if p == "" {
			var err error
			if p, err = logPath(); err != nil {
				fmt.Fprintf(stderr, "airlock log verify: %v\n", err)
				return exitUsage
			}
		}
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintf(stderr, "airlock log verify: %v\n", err)
			return exitUsage
		}
		defer f.Close()
		s, err := auditlog.Verify(f)
		if err != nil {
			fmt.Fprintf(stderr, "airlock log verify: %s: %v\n", p, err)
			return exitVerify
		}
		fmt.Fprintf(stdout, "%s: %d lines, head %s\n", p, s.Lines, s.Head)
		for _, pr := range s.Problems {
			fmt.Fprintf(stdout, "%s\n", pr)
		}
		if len(s.Problems) > 0 {
			fmt.Fprintf(stderr, "airlock log verify: %d problem(s): the log was edited, cut or reordered after it was written\n", len(s.Problems))
			return exitVerify
		}
		fmt.Fprintln(stdout, "ok: every line chains to the one before it; compare the head with a copy kept elsewhere to detect lines cut off the end")
		return exitOK
	}
	fmt.Fprintf(stderr, "airlock log: unknown subcommand %q (want %s)\n", args[0], synopsis)
	return exitUsage
}
