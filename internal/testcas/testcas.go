// Package testcas is an in-memory HTTPS server speaking the Bazel remote
// cache HTTP protocol (GET/PUT/HEAD /cas/<sha256> and /ac/<sha256>), for
// tests of fetch/remote and of airlock with a shared cache. Like
// bazel-remote it refuses a CAS upload whose bytes do not hash to its key
// (unless Lax), and it lets tests poison entries, demand a token, stall and
// count every request.
package testcas

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Request is one request the server saw.
type Request struct {
	Method, Path  string
	Authorization string
	Status        int
}

// Server is a remote cache. Its fields may be set before the first request;
// use the methods afterwards.
type Server struct {
	*httptest.Server
	// Token, if set, must come as "Bearer <Token>".
	Token string
	// Lax stores CAS uploads without checking their hash (nginx WebDAV).
	Lax bool

	mu       sync.Mutex
	blobs    map[string][]byte // "cas/<hex>" or "ac/<hex>"
	requests []Request
	delay    time.Duration
	status   int
	broken   bool
}

var keyPath = regexp.MustCompile(`^/(?:[^/]+/)*((?:ac|cas)/[0-9a-f]{64})$`)

// New starts a server closed at the end of t.
func New(t testing.TB) *Server {
	s := Start()
	t.Cleanup(s.Close)
	return s
}

// Start starts a server; the caller closes it.
func Start() *Server { return StartTLS(nil) }

// StartTLS starts a server whose TLS configuration edit adjusts (to demand
// client certificates, say); the caller closes it.
func StartTLS(edit func(*tls.Config)) *Server {
	s := &Server{blobs: map[string][]byte{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.EnableHTTP2 = true
	// Refused handshakes are what some tests provoke.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if edit != nil {
		s.TLS = &tls.Config{}
		edit(s.TLS)
	}
	s.StartTLS()
	return s
}

// CAPEM is the PEM of the server's certificate, to trust as a CA.
func (s *Server) CAPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw})
}

// Set stores data under key ("cas/<hex>" or "ac/<hex>") as is, bypassing
// every check: a poisoned entry.
func (s *Server) Set(key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[key] = bytes.Clone(data)
}

// Blob returns what the server holds under key.
func (s *Server) Blob(key string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[key]
	return b, ok
}

// Keys returns every stored key.
func (s *Server) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.blobs {
		keys = append(keys, k)
	}
	return keys
}

// Delay makes every later response wait d before its headers.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Fail makes every later request answer status (0 restores service).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

// BreakBodies makes every later GET of a blob send half of it and close
// the connection (on = false restores service).
func (s *Server) BreakBodies(on bool) {
	s.mu.Lock()
	s.broken = on
	s.mu.Unlock()
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count counts the requests with this method whose path contains sub.
func (s *Server) Count(method, sub string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && bytes.Contains([]byte(r.Path), []byte(sub)) {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay, status := s.delay, s.status
	s.mu.Unlock()
	rec := Request{Method: r.Method, Path: r.URL.Path, Authorization: r.Header.Get("Authorization")}
	code := s.handle(w, r, delay, status)
	rec.Status = code
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, delay time.Duration, status int) int {
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return 0
		}
	}
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return status
	}
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return http.StatusUnauthorized
	}
	m := keyPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.Error(w, "bad key", http.StatusBadRequest)
		return http.StatusBadRequest
	}
	key := m[1]
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		data, ok := s.Blob(key)
		if !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return http.StatusNotFound
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		s.mu.Lock()
		broken := s.broken && key[:4] == "cas/"
		s.mu.Unlock()
		if r.Method == http.MethodGet {
			if broken {
				w.Write(data[:len(data)/2])
				panic(http.ErrAbortHandler)
			}
			w.Write(data)
		}
		return http.StatusOK
	case http.MethodPut:
		if r.ContentLength < 0 {
			http.Error(w, "PUT without Content-Length", http.StatusBadRequest)
			return http.StatusBadRequest
		}
		data, err := io.ReadAll(r.Body)
		if err != nil || int64(len(data)) != r.ContentLength {
			http.Error(w, "short body", http.StatusBadRequest)
			return http.StatusBadRequest
		}
		if !s.Lax && key[:4] == "cas/" {
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != key[4:] {
				http.Error(w, "hash mismatch", http.StatusBadRequest)
				return http.StatusBadRequest
			}
		}
		s.Set(key, data)
		w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return http.StatusMethodNotAllowed
}
