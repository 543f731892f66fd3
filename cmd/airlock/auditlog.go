package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/fetch"
	"github.com/airlock-dev/airlock/fetch/client"
	"github.com/airlock-dev/airlock/internal/auditlog"
	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// auditBatch collects one command's audit events in memory and appends them
// with one auditlog.Append when the command ends, so a download costs a
// slice append rather than a locked, fsync'd write. A nil batch, or one
// without a log (audit_log = "off", or the configuration never loaded),
// records nothing.
type auditBatch struct {
	mu      sync.Mutex
	log     *auditlog.Log
	project string
	events  []auditlog.Event
	warn    func(string)
}

// auditLogPath is where the audit log lives: audit_log in airlock.toml or
// AIRLOCK_AUDIT_LOG ("off" for none), else
// $XDG_STATE_HOME/airlock/audit.jsonl (~/.local/state/airlock/audit.jsonl).
// "" means no log.
func auditLogPath(cfg *config.Config, getenv func(string) string) string {
	switch p := cfg.AuditLog; p {
	case "off":
		return ""
	case "":
	default:
		return p
	}
	if s := getenv("XDG_STATE_HOME"); filepath.IsAbs(s) {
		return filepath.Join(s, "airlock", "audit.jsonl")
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".local", "state", "airlock", "audit.jsonl")
	}
	return ""
}

// newAuditBatch is a batch for the log cfg names; its flush warns on rep
// if the log cannot be written.
func newAuditBatch(cfg *config.Config, project string, rep *reporter) *auditBatch {
	b := &auditBatch{warn: func(msg string) { rep.warn(event{Message: msg}) }}
	b.configure(cfg, project)
	return b
}

// configure points the batch at cfg's log once the configuration is known
// (events recorded before are kept).
func (b *auditBatch) configure(cfg *config.Config, project string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.project = project
	if p := auditLogPath(cfg, os.Getenv); p != "" {
		b.log = &auditlog.Log{Path: p, Redact: client.Redact}
	}
}

// auditEvent is an event without a package.
func auditEvent(kind, result, detail string) auditlog.Event {
	return auditlog.Event{Kind: kind, Result: result, Detail: detail}
}

func (b *auditBatch) add(e auditlog.Event) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
}

// flush appends what was recorded. Failing to write the log does not fail
// the command (the install already happened or failed on its own), but it
// is reported, since a gap in the log is what the log exists to prevent.
func (b *auditBatch) flush() {
	if b == nil {
		return
	}
	b.mu.Lock()
	events := b.events
	b.events = nil
	log, project := b.log, b.project
	b.mu.Unlock()
	if log == nil || len(events) == 0 {
		return
	}
	for i := range events {
		if events[i].Project == "" {
			events[i].Project = project
		}
	}
	if err := log.Append(events...); err != nil && b.warn != nil {
		b.warn(fmt.Sprintf("%v\nthis command's %d audit event(s) were not recorded; set audit_log in airlock.toml (or AIRLOCK_AUDIT_LOG) to a writable file, or \"off\"", err, len(events)))
	}
}

// recordFetch records what one verified fetch did: a cached copy that
// failed its re-check, a download that did not match (both verification
// failures, even when a retry then succeeded), and the fetch itself, from
// the cache or the network, or its failure.
func recordFetch(rep *reporter, pkg lock.Package, res fetch.Result, err error, offline bool) {
	e := auditlog.Event{Package: pkg.Name, Version: pkg.Version, Path: pkg.Path, URL: res.URL, Digest: pkg.Integrity}
	if res.Corrupt != nil {
		v := e
		v.Kind, v.Result, v.Digest, v.Detail = "verify", "failed", res.Corrupt.Want.String(), corruptNote(pkg, res.Corrupt, err, offline)
		rep.audit.add(v)
	}
	if res.Mismatched != nil {
		v := e
		v.Kind, v.Result, v.Detail = "verify", "failed", res.Mismatched.Error()
		rep.audit.add(v)
	}
	e.Kind = "fetch"
	switch {
	case err != nil:
		if errors.Is(err, verify.ErrIntegrity) {
			e.Kind = "verify"
		}
		e.Result, e.Detail = "failed", err.Error()
	case res.FromCache:
		e.Result, e.Detail = "ok", fmt.Sprintf("from cache, %d bytes, verified", res.Bytes)
	default:
		e.Result, e.Detail = "ok", fmt.Sprintf("from network, %d bytes, verified", res.Bytes)
	}
	rep.audit.add(e)
}
