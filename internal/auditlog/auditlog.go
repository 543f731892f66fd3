// Package auditlog appends what airlock did (fetches, verification results,
// policy decisions, installs) to a hash-chained JSON-lines file, and checks
// that such a file was not edited, cut or reordered.
//
// Each line is one JSON object:
//
//	{"seq":1,"time":"2026-11-25T23:59:00.123Z","prev":"sha256:000…","event":"fetch",…}
//
// seq counts lines from 1; prev is "sha256:" and the hex sha256 of the
// previous line's bytes (without its newline), all zeros for the first line.
// Editing or deleting any line breaks the next line's prev; reordering breaks
// seq. Cutting lines off the END leaves a valid shorter chain: keep the head
// (Summary.Head, printed by `airlock log verify`) somewhere else to detect
// that too.
//
// Appends from several processes are serialised with flock, and each batch is
// written with one write(2) on an O_APPEND descriptor, so a killed process
// never leaves half a line behind.
package auditlog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Event is one thing airlock did. Fields are typed so that nothing can carry
// a credential by accident; URL and Detail are redacted again on Append.
type Event struct {
	// Kind is "fetch", "verify", "policy", "install", "script", ...
	Kind    string `json:"event"`
	Project string `json:"project,omitempty"`
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
	// Path is the install path or lockfile key.
	Path   string `json:"path,omitempty"`
	URL    string `json:"url,omitempty"`
	Digest string `json:"digest,omitempty"`
	// Result is "ok", "failed", "refused", "warning", ...
	Result string `json:"result"`
	Detail string `json:"detail,omitempty"`
}

// record is a line: the chain fields first, then the event.
type record struct {
	Seq  int64  `json:"seq"`
	Time string `json:"time"`
	Prev string `json:"prev"`
	Event
}

// MaxLine bounds one line; a longer Detail is cut. It also bounds how far
// back Append reads to find the last line.
const MaxLine = 16 << 10

const hashPrefix = "sha256:"

// genesis is the prev of the first line.
var genesis = hashPrefix + strings.Repeat("0", 64)

// Log appends to one audit log file.
type Log struct {
	Path string
	// Redact removes secrets from a URL (fetch/client.Redact). Nil keeps
	// only the scheme, host and path.
	Redact func(string) string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ErrDamaged is matched by the error for a log whose last line is not a
// complete record, so the chain cannot be continued.
var ErrDamaged = errors.New("audit log is damaged")

// Append adds events to the log, creating it (0600) and its directory if
// needed. It never follows a symlink at the log's path.
func (l *Log) Append(events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(l.Path), 0o700); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	f, err := os.OpenFile(l.Path, os.O_RDWR|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	} else if !st.Mode().IsRegular() {
		return fmt.Errorf("audit log: %s is not a regular file", l.Path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("audit log: locking %s: %w", l.Path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)

	seq, prev, err := tail(f, l.Path)
	if err != nil {
		return err
	}
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	var batch bytes.Buffer
	for _, e := range events {
		seq++
		e.URL = l.redactURL(e.URL)
		e.Detail = scrub(e.Detail)
		if len(e.Detail) > MaxLine/2 {
			e.Detail = e.Detail[:MaxLine/2] + "…"
		}
		line, err := json.Marshal(record{Seq: seq, Time: now().UTC().Format(time.RFC3339Nano), Prev: prev, Event: e})
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		prev = lineHash(line)
		batch.Write(line)
		batch.WriteByte('\n')
	}
	if _, err := f.Write(batch.Bytes()); err != nil {
		return fmt.Errorf("audit log: writing %s: %w", l.Path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	return nil
}

// tail returns the seq and hash of the file's last line (0 and genesis for
// an empty file).
func tail(f *os.File, name string) (int64, string, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, "", fmt.Errorf("audit log: %w", err)
	}
	if st.Size() == 0 {
		return 0, genesis, nil
	}
	n := min(st.Size(), MaxLine+1)
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, st.Size()-n); err != nil {
		return 0, "", fmt.Errorf("audit log: reading %s: %w", name, err)
	}
	if buf[len(buf)-1] != '\n' {
		return 0, "", fmt.Errorf("audit log: %s: %w: its last line is incomplete; run `airlock log verify`, then move the file aside to start a new log", name, ErrDamaged)
	}
	buf = buf[:len(buf)-1]
	if i := bytes.LastIndexByte(buf, '\n'); i >= 0 {
		buf = buf[i+1:]
	} else if n < st.Size() {
		return 0, "", fmt.Errorf("audit log: %s: %w: its last line is longer than %d bytes", name, ErrDamaged, MaxLine)
	}
	var r record
	if err := json.Unmarshal(buf, &r); err != nil || r.Seq <= 0 {
		return 0, "", fmt.Errorf("audit log: %s: %w: its last line is not a record; run `airlock log verify`", name, ErrDamaged)
	}
	return r.Seq, lineHash(buf), nil
}

func lineHash(line []byte) string {
	h := sha256.Sum256(line)
	return hashPrefix + hex.EncodeToString(h[:])
}

func (l *Log) redactURL(u string) string {
	if u == "" {
		return ""
	}
	if l.Redact != nil {
		return l.Redact(u)
	}
	// Without a redactor keep only what identifies the resource.
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		if at := strings.LastIndexByte(u[i+3:], '@'); at >= 0 && !strings.Contains(u[i+3:i+3+at], "/") {
			u = u[:i+3] + u[i+3+at+1:]
		}
	}
	return u
}

// secretLike matches credential-shaped text that must never reach the log
// even if a caller put it into a Detail by mistake.
var secretLike = regexp.MustCompile(`(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}|(_authToken|_auth|_password|authorization|token|password)(\s*[=:]\s*)(?:(?:bearer|basic)\s+)?[^\s,;]+|://[^/\s:@]+:[^/\s@]+@`)

func scrub(s string) string {
	return secretLike.ReplaceAllStringFunc(s, func(m string) string {
		if strings.HasPrefix(m, "://") {
			return "://***@"
		}
		if sub := secretLike.FindStringSubmatch(m); sub[2] != "" {
			return sub[2] + sub[3] + "***"
		}
		return strings.Fields(m)[0] + " ***"
	})
}

// Problem is one place where a log fails verification.
type Problem struct {
	Line int // 1-based line number in the file
	Err  string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Err) }

// Summary is the result of Verify.
type Summary struct {
	Lines int
	// Head is the hash of the last line: record it elsewhere to detect lines
	// cut off the end later.
	Head     string
	Problems []Problem
}

// Verify reads a whole log and reports every line where the chain breaks.
func Verify(r io.Reader) (Summary, error) {
	s := Summary{Head: genesis}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine*4)
	var wantSeq int64 = 1
	prev := genesis
	for sc.Scan() {
		s.Lines++
		line := sc.Bytes()
		var rec record
		switch err := json.Unmarshal(line, &rec); {
		case err != nil:
			s.Problems = append(s.Problems, Problem{s.Lines, "not a JSON record (edited or damaged)"})
		case rec.Seq != wantSeq:
			s.Problems = append(s.Problems, Problem{s.Lines, fmt.Sprintf("sequence number %d, expected %d (lines removed, inserted or reordered)", rec.Seq, wantSeq)})
		case rec.Prev != prev:
			s.Problems = append(s.Problems, Problem{s.Lines, "does not chain to the line before it (that line was edited or removed)"})
		}
		if rec.Seq > 0 {
			wantSeq = rec.Seq + 1
		} else {
			wantSeq++
		}
		prev = lineHash(line)
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("audit log: %w", err)
	}
	s.Head = prev
	return s, nil
}
