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
// the usage text written to w.
func newFlagSet(name, synopsis string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		io.WriteString(w, "Usage: airlock "+name+" "+synopsis+"\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}
