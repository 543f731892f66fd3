package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/sandbox/analyze"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/sys/unix"
)

// event is one line of --json output. Field names are part of the CLI's
// contract; add fields, never rename them.
type event struct {
	Event   string `json:"event"`
	Command string `json:"command,omitempty"`
	Message string `json:"message,omitempty"`

	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Path    string `json:"path,omitempty"`
	Source  string `json:"source,omitempty"` // "cache" or "network"
	URL     string `json:"url,omitempty"`
	Bytes   int64  `json:"bytes,omitempty"`
	Reason  string `json:"reason,omitempty"`

	Want string `json:"want,omitempty"`
	Got  string `json:"got,omitempty"`

	Packages       int      `json:"packages,omitempty"`
	FromCache      int      `json:"from_cache,omitempty"`
	Downloaded     int      `json:"downloaded,omitempty"`
	Refetched      int      `json:"refetched,omitempty"` // corrupt cache entries replaced
	Vendored       int      `json:"vendored,omitempty"`  // read from a vendor directory (--from)
	Links          int      `json:"links,omitempty"`
	Bins           int      `json:"bins,omitempty"`
	Skipped        int      `json:"skipped,omitempty"`
	Seconds        float64  `json:"seconds,omitempty"`
	InstallScripts []string `json:"install_scripts,omitempty"`
	ExitCode       int      `json:"exit_code,omitempty"`

	// cache verify / gc, vendor.
	Removed      int   `json:"removed,omitempty"`
	RemovedBytes int64 `json:"removed_bytes,omitempty"`
	Added        int   `json:"added,omitempty"`
	Kept         int   `json:"kept,omitempty"`

	// Static-analysis findings (event "finding").
	Severity string `json:"severity,omitempty"`
	Line     int    `json:"line,omitempty"`
	Tool     string `json:"tool,omitempty"`
}

// reporter shows what a command does: JSON lines, a progress bar on a
// terminal, or nothing but warnings and the summary otherwise. Safe for
// concurrent use.
type reporter struct {
	mu     sync.Mutex
	json   *json.Encoder // non-nil with --json
	out    io.Writer     // human summary
	errw   io.Writer     // warnings and errors
	bar    *progressbar.ProgressBar
	quiet  bool
	closed bool
	// onDecision, if set, also receives every policy decision (airlock
	// vendor records them in its manifest).
	onDecision decisionHook
	// audit collects the command's audit log events (nil: none).
	audit *auditBatch
}

func newReporter(stdout, stderr io.Writer, jsonOut, quiet bool) *reporter {
	r := &reporter{out: stdout, errw: stderr, quiet: quiet}
	// Commands point the batch at a log once their configuration is
	// loaded (auditBatch.configure) and flush it when they end.
	r.audit = &auditBatch{warn: func(msg string) { r.warn(event{Message: msg}) }}
	if jsonOut {
		r.json = json.NewEncoder(stdout)
	}
	return r
}

// isTerminal reports whether w is a terminal, so progress output never ends
// up in CI logs or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func (r *reporter) emit(e event) {
	if r.json != nil {
		_ = r.json.Encode(e)
	}
}

// start announces a command that will process total packages.
func (r *reporter) start(command string, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.emit(event{Event: "start", Command: command, Packages: total})
	if r.json == nil && !r.quiet && total > 0 && isTerminal(r.errw) {
		r.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(r.errw),
			progressbar.OptionSetDescription("fetching"),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(65*time.Millisecond),
		)
	}
}

func (r *reporter) packageDone(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Event = "package"
	r.emit(e)
	if r.bar != nil {
		_ = r.bar.Add(1)
	}
}

func (r *reporter) skipped(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Event = "skip"
	r.emit(e)
}

// warn reports something the user should know that does not fail the
// command.
func (r *reporter) warn(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Event = "warning"
	if r.json != nil {
		r.emit(e)
		return
	}
	r.clearBar()
	fmt.Fprintf(r.errw, "airlock: warning: %s\n", e.Message)
}

// removed reports an entry a command deleted: a JSON "removed" event, or
// the line on stdout.
func (r *reporter) removed(e event, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Event = "removed"
	if r.json != nil {
		r.emit(e)
		return
	}
	r.clearBar()
	fmt.Fprintln(r.out, line)
}

// note records something only machines care about: a JSON "note" event,
// nothing in text mode (npm is silent about it too).
func (r *reporter) note(e event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e.Event = "note"
	r.emit(e)
}

func (r *reporter) clearBar() {
	if r.bar != nil {
		_ = r.bar.Clear()
	}
}

func (r *reporter) finishBar() {
	if r.bar != nil {
		_ = r.bar.Finish()
		r.bar = nil
	}
}

// done prints the summary: one JSON event, or human lines on stdout.
func (r *reporter) done(e event, human []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishBar()
	e.Event = "done"
	if r.json != nil {
		r.emit(e)
		return
	}
	if r.quiet {
		return
	}
	for _, line := range human {
		fmt.Fprintln(r.out, line)
	}
}

// fail reports the error that ends the command.
func (r *reporter) fail(err error, code int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finishBar()
	if r.json != nil {
		e := event{Event: "error", Message: err.Error(), ExitCode: code}
		var ie *fetch.IntegrityError
		if errors.As(err, &ie) {
			if i := strings.LastIndexByte(ie.Package, '@'); i > 0 {
				e.Name, e.Version = ie.Package[:i], ie.Package[i+1:]
			}
			e.URL, e.Want, e.Got = ie.URL, ie.Want.String(), ie.Got.String()
		}
		r.emit(e)
		return
	}
	fmt.Fprintf(r.errw, "airlock: %v\n", err)
}

// info prints a line for people (stdout, not with --json or --quiet).
func (r *reporter) info(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json != nil || r.quiet {
		return
	}
	r.clearBar()
	fmt.Fprintln(r.out, line)
}

// finding reports one static-analysis finding: a JSON "finding" event, or a
// line on stdout.
func (r *reporter) finding(f analyze.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json != nil {
		r.emit(event{Event: "finding", Name: f.Package, Version: f.Version, Path: f.Location(), Reason: f.Rule, Message: f.Message, Severity: string(f.Severity), Line: f.Line, Tool: f.Tool})
		return
	}
	r.clearBar()
	fmt.Fprintln(r.out, f.String())
}
