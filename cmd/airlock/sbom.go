package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/sbom"
	"github.com/airlock-dev/airlock/lock"
	lockpnpm "github.com/airlock-dev/airlock/lock/pnpm"
)

// sbomCmd is `airlock sbom`: a CycloneDX 1.6 BOM of what `airlock npm ci`
// (or `airlock pnpm install`, for pnpm-lock.yaml) would install from the
// project's lockfile, with the same selection flags.
func sbomCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f npmCIFlags
	fs := newFlagSet("sbom", "[flags]", stderr)
	fs.StringVar(&f.dir, "dir", ".", "project `directory` (holds package.json and the lockfile)")
	fs.StringVar(&f.configFile, "config", "", "airlock.toml to use instead of the project's or the user's")
	fs.Var(&f.omit, "omit", "dependency `type` to leave out, as with npm ci: dev, optional or peer (repeatable)")
	fs.Var(&f.include, "include", "dependency `type` to include, as with npm ci (repeatable)")
	fs.BoolVar(&f.production, "production", false, "same as --omit=dev")
	fs.StringVar(&f.os, "os", "", "select optional dependencies for this `os`, as with npm ci")
	fs.StringVar(&f.cpu, "cpu", "", "select optional dependencies for this `cpu`, as with npm ci")
	fs.StringVar(&f.libc, "libc", "", "select optional dependencies for this `libc`, as with npm ci")
	output := fs.String("output", "", "write the BOM to this `file` instead of stdout")
	var pf pipFlags
	fs.StringVar(&pf.requirements, "r", "", "describe this Python requirements `file` (--hash pinned) instead of the npm lockfile")
	fs.StringVar(&pf.lockFile, "lock", "", "describe this Python lock (`pylock.toml` or uv.lock) instead of the npm lockfile; every pinned distribution is listed, whatever its markers")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "airlock sbom: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	rep := newReporter(stdout, stderr, false, true)
	err := writeSBOM(&f, &pf, *output, stdout, rep)
	code := exitCode(ctx, err)
	if err != nil {
		rep.fail(err, code)
	}
	return code
}

func writeSBOM(f *npmCIFlags, pf *pipFlags, output string, stdout io.Writer, rep *reporter) error {
	var in sbom.Input
	if pf.requirements != "" || pf.lockFile != "" {
		if pf.requirements != "" && pf.lockFile != "" {
			return withCode(exitUsage, errors.New("-r and --lock are alternatives; give one of them"))
		}
		lk, lockName, err := readPythonLock(pf)
		if err != nil {
			return err
		}
		dir, err := filepath.Abs(filepath.Dir(lockName))
		if err != nil {
			return withCode(exitUsage, err)
		}
		in = sbom.PyPIInput(filepath.Base(dir), lk)
	} else if l, err := findJSLock(f.dir); err == nil && l.kind == lockYarn {
		// Only the lockfile: no registry lookups for tarball digests.
		if in, err = yarnSBOMInput(f, rep); err != nil {
			return err
		}
	} else {
		plan, err := loadJSPlan(context.Background(), f, rep)
		if err != nil {
			return err
		}
		switch {
		case plan.pnpm != nil:
			in = pnpmSBOMInput(plan.pnpm)
		case plan.bun != nil:
			in = bunSBOMInput(plan.bun)
		case plan.npm == nil:
			return errNotForCommand(plan.lock)
		default:
			lf := plan.npm.project.lock
			in = sbom.NPMInput(lf.Name, lf.Version, plan.install, lf.Dependencies(), redactResolved)
		}
	}
	var err error
	in.Timestamp, err = sbomTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return withCode(exitUsage, err)
	}
	in.ToolVersion = version
	out, err := sbom.CycloneDX(in)
	if err != nil {
		return withCode(exitUsage, err)
	}
	if output == "" {
		_, err = stdout.Write(out)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".airlock-sbom-*")
	if err != nil {
		return withCode(exitUsage, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), output)
}

// sbomTime is SOURCE_DATE_EPOCH when set (reproducible builds' convention
// for a fixed timestamp), else now.
func sbomTime(epoch string) (time.Time, error) {
	if epoch == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(epoch, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds", epoch)
	}
	return time.Unix(n, 0), nil
}

// redactResolved is a lockfile URL fit for a BOM: credentials and query
// values removed.
func redactResolved(p lock.Package) string {
	switch p.Source {
	case lock.SourceGit, lock.SourceRemote:
		return showSource(p.Resolved)
	case lock.SourceRegistry:
		if p.Resolved != "" {
			return client.Redact(p.Resolved)
		}
	}
	return p.Resolved
}

// pnpmSBOMInput lists a pnpm project's installed packages and its
// workspace packages as components, with the edges of its lockfile: each
// importer's direct dependencies and each snapshot's.
func pnpmSBOMInput(p *pnpmPlan) sbom.Input {
	installed := append([]lock.Package(nil), p.sel.Install...)
	deps := map[string][]string{}
	target := func(d lockpnpm.Dep) string {
		if d.Link != "" {
			if d.Link == "." {
				return ""
			}
			return d.Link
		}
		if n := p.sel.Nodes[d.DepPath]; n != nil {
			return n.Dir
		}
		return ""
	}
	for _, imp := range p.sel.Importers {
		from := imp.ID
		if from == "." {
			from = ""
		} else {
			installed = append(installed, lock.Package{Ecosystem: lock.NPM, Name: p.project.wsNames[imp.ID], Version: p.project.wsVersions[imp.ID], Path: imp.ID, Source: lock.SourceWorkspace})
		}
		for _, ds := range [][]lockpnpm.Dep{imp.Dependencies, imp.Dev, imp.Optional} {
			for _, d := range ds {
				if t := target(d); t != "" {
					deps[from] = append(deps[from], t)
				}
			}
		}
	}
	for _, n := range p.sel.Nodes {
		for _, c := range n.Children {
			if t := target(c); t != "" {
				deps[n.Dir] = append(deps[n.Dir], t)
			}
		}
	}
	for k := range deps {
		sort.Strings(deps[k])
	}
	sort.Slice(installed, func(i, j int) bool { return installed[i].Path < installed[j].Path })
	return sbom.NPMInput(p.project.rootName, p.project.rootVersion, installed, deps, redactResolved)
}
