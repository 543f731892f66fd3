package main

import (
	"fmt"

	"github.com/airlock-dev/airlock/internal/lockdiff"
	"github.com/airlock-dev/airlock/lock"
	locknpm "github.com/airlock-dev/airlock/lock/npm"
)

// diffLocks is what the new lockfile changes against the old (nil: there
// was none), as airlock diff shows it.
func diffLocks(old, new *locknpm.Lockfile) []lockdiff.Change {
	var before []lock.Package
	if old != nil {
		before = old.Packages
	}
	return lockdiff.Diff(before, new.Packages)
}

// changeEvent is a lockfile change in --json output: airlock diff's
// change, marked as an event.
type changeEvent struct {
	Event string `json:"event"` // "change"
	lockdiff.Change
}

// reportLockChanges shows what the new lockfile brings in: a "change"
// event each with --json, else airlock diff's text on stdout.
func reportLockChanges(r *reporter, changes []lockdiff.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json != nil {
		for _, c := range changes {
			_ = r.json.Encode(changeEvent{Event: "change", Change: c})
		}
		return
	}
	if r.quiet {
		return
	}
	fmt.Fprint(r.out, "lockfile: ")
	_ = lockdiff.WriteText(r.out, changes)
}

// dryRun ends a --dry-run: a "dry-run" event with --json, else msg.
func (r *reporter) dryRun(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.json != nil {
		r.emit(event{Event: "dry-run", Message: msg})
		return
	}
	if !r.quiet {
		fmt.Fprintln(r.out, msg)
	}
}
