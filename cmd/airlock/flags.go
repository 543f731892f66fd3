package main

import (
	"flag"
	"io"
	"strings"
)

// listFlag collects a repeatable flag (--omit=dev --omit=peer); set records
// whether it appeared at all, since "given empty" and "not given" differ in
// npm's layering.
type listFlag struct {
	values []string
	set    bool
}

func (l *listFlag) String() string { return strings.Join(l.values, ",") }
func (l *listFlag) Set(v string) error {
	l.values, l.set = append(l.values, v), true
	return nil
}

// newFlagSet returns a flag set that reports errors instead of exiting, with
// the usage text written to w. Flags registered by acceptNpmNoOps are left
// out of the list and summed up in one line.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		io.WriteString(w, "Usage: airlock "+name+" "+synopsis+"\n\nFlags:\n")
		shown := flag.NewFlagSet(name, flag.ContinueOnError)
		shown.SetOutput(w)
		noOps := false
		fs.VisitAll(func(f *flag.Flag) {
			if f.Usage == npmNoOpUsage {
				noOps = true
				return
			}
			shown.Var(f.Value, f.Name, f.Usage)
		})
		shown.PrintDefaults()
		if noOps {
			io.WriteString(w, "  Also accepted, changing nothing: npm's --no-ignore-scripts, --[no-]audit, --[no-]fund,\n"+
				"  --[no-]progress, --[no-]update-notifier, --prefer-offline, --prefer-online,\n"+
				"  --foreground-scripts and --[no-]unsafe-perm.\n")
		}
	}
	return fs
}

// npmNoOpUsage marks the flags acceptNpmNoOps registers.
const npmNoOpUsage = "accepted for npm compatibility; changes nothing"

// acceptNpmNoOps registers the npm ci options CI scripts commonly pass that
// would change nothing airlock does, so that `npm ci --ignore-scripts
// --no-audit --no-fund` becomes `airlock npm ci` with the same flags:
// airlock never audits, asks for funding, checks for npm updates or draws
// npm's progress bar, and it always takes verified packages from its cache
// before the network. Boolean options take npm's --no- form too.
// (--ignore-scripts, --loglevel, --silent, --cache and --[no-]optional do
// change something: npmCIFlags.register.)
func acceptNpmNoOps(fs *flag.FlagSet) {
	// --no-ignore-scripts is airlock's default; unsafe-perm only ever
	// changed which user ran scripts.
	fs.Bool("no-ignore-scripts", false, npmNoOpUsage)
	for _, name := range []string{"audit", "fund", "progress", "update-notifier", "prefer-offline", "prefer-online", "foreground-scripts", "unsafe-perm"} {
		fs.Bool(name, false, npmNoOpUsage)
		fs.Bool("no-"+name, false, npmNoOpUsage)
	}
}

// ignoreScriptsFlag is how IgnoreNativeScripts names the command line's
// --ignore-scripts (npm's, pnpm's, yarn's): the user told the package
// manager to run no install script at all, above every .npmrc layer, so
// the project's native allowances (trustedDependencies,
// onlyBuiltDependencies, allowScripts, ...) do not apply, as with .npmrc's
// ignore-scripts=true. airlock.toml's [scripts] allow and --allow-scripts
// are airlock's own and still do.
const ignoreScriptsFlag = "--ignore-scripts on the command line"

const ignoreScriptsUsage = "run no install script that only the project's native settings allow (trustedDependencies, onlyBuiltDependencies, allowScripts), as the package manager's --ignore-scripts; airlock.toml's [scripts] allow and --allow-scripts still apply"
