package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/config"
	"github.com/airlock-dev/airlock/internal/auditlog"
)

func TestAuditLogPath(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		name   string
		cfg    string
		getenv func(string) string
		want   string
	}{
		{"XDG_STATE_HOME", "", env("XDG_STATE_HOME", "/state", "HOME", "/home/u"), "/state/airlock/audit.jsonl"},
		{"relative XDG_STATE_HOME is ignored", "", env("XDG_STATE_HOME", "state", "HOME", "/home/u"), "/home/u/.local/state/airlock/audit.jsonl"},
		{"HOME", "", env("HOME", "/home/u"), "/home/u/.local/state/airlock/audit.jsonl"},
		{"configured", "/var/log/airlock.jsonl", env("HOME", "/home/u"), "/var/log/airlock.jsonl"},
		{"off", "off", env("HOME", "/home/u"), ""},
		{"nowhere", "", env(), ""},
	} {
		if got := auditLogPath(&config.Config{AuditLog: c.cfg}, c.getenv); got != c.want {
			t.Errorf("%s: auditLogPath = %q, want %q", c.name, got, c.want)
		}
	}
}

// TestAuditBatch: events recorded before the configuration is known are
// kept, one flush writes them all with the project filled in, and a batch
// without a log (or a nil one) records nothing and does not fail.
func TestAuditBatch(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "a", "audit.jsonl")
	var warned []string
	b := &auditBatch{warn: func(m string) { warned = append(warned, m) }}
	b.add(auditEvent("policy", "allow", "early"))
	b.configure(&config.Config{AuditLog: logFile}, "/proj")
	b.add(auditEvent("install", "ok", "https://user:s3cret@example.com/x token=abc"))
	b.flush()
	b.flush() // nothing left: no second batch
	f, err := os.Open(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := auditlog.Verify(f)
	if err != nil || s.Lines != 2 || len(s.Problems) != 0 {
		t.Fatalf("log: %+v, %v", s, err)
	}
	data, _ := os.ReadFile(logFile)
	if strings.Count(string(data), `"project":"/proj"`) != 2 || strings.Contains(string(data), "s3cret") || strings.Contains(string(data), "abc") {
		t.Errorf("log content:\n%s", data)
	}
	if len(warned) != 0 {
		t.Errorf("warnings: %v", warned)
	}

	off := &auditBatch{}
	off.configure(&config.Config{AuditLog: "off"}, "/proj")
	off.add(auditEvent("install", "ok", ""))
	off.flush()
	var nilBatch *auditBatch
	nilBatch.add(auditEvent("install", "ok", ""))
	nilBatch.flush()

	// An unwritable log is a warning, not a failure.
	bad := &auditBatch{warn: func(m string) { warned = append(warned, m) }}
	bad.configure(&config.Config{AuditLog: filepath.Join(dir, "a", "audit.jsonl", "sub")}, "/proj")
	bad.add(auditEvent("install", "ok", ""))
	bad.flush()
	if len(warned) != 1 || !strings.Contains(warned[0], "were not recorded") {
		t.Errorf("warnings: %v", warned)
	}
}
