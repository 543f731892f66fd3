package testregistry

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The fault middlewares select requests by decoded URL path: an exact path
// ("/ms/-/ms-2.1.3.tgz", see TarballPath and PackumentPath), or a prefix
// when the pattern ends in "*" ("/@airlock-fixture/*"; "*" alone matches
// every request).

func matches(pattern, p string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return p == pattern
}

// FailFirst answers the first n matching requests with status (and the
// given header key/value pairs, e.g. "Retry-After", "1"), then lets
// requests through. Counting is per middleware, across all matching paths.
func FailFirst(pattern string, n, status int, header ...string) Middleware {
	var mu sync.Mutex
	count := 0
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(pattern, r.URL.Path) {
				mu.Lock()
				fail := count < n
				count++
				mu.Unlock()
				if fail {
					for i := 0; i+1 < len(header); i += 2 {
						w.Header().Set(header[i], header[i+1])
					}
					writeJSON(w, status, map[string]any{"error": http.StatusText(status)})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Replace serves body instead of what the registry holds for matching
// paths: a tarball whose bytes do not match the packument's and the
// lockfile's integrity, or a doctored packument.
func Replace(pattern string, body []byte) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				w.Write(body)
			}
		})
	}
}

// Truncate sends only the first n bytes of matching responses while the
// Content-Length header announces the full size, then aborts the
// connection (HTTP/1.1) or resets the stream (HTTP/2).
func Truncate(pattern string, n int) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := &recorder{header: http.Header{}}
			next.ServeHTTP(rec, r)
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
			w.WriteHeader(rec.statusOr200())
			if n < len(rec.body) {
				w.Write(rec.body[:n])
				http.NewResponseController(w).Flush()
				panic(http.ErrAbortHandler)
			}
			w.Write(rec.body)
		})
	}
}

// RequireToken answers 401 to matching requests that lack
// "Authorization: Bearer <token>" (what npm sends for _authToken).
func RequireToken(pattern, token string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(pattern, r.URL.Path) && r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("WWW-Authenticate", `Bearer realm="testregistry"`)
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "authentication required"})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Redirect answers matching requests with a redirect (status 301, 302, 307
// or 308) to target, absolute or relative.
func Redirect(pattern, target string, status int) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			http.Redirect(w, r, target, status)
		})
	}
}

// Delay holds matching requests for d before serving them, or until the
// client gives up.
func Delay(pattern string, d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(pattern, r.URL.Path) {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// recorder buffers a response so Truncate can cut it.
type recorder struct {
	header http.Header
	status int
	body   []byte
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.body = append(r.body, b...)
	return len(b), nil
}
func (r *recorder) statusOr200() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// etag is a weak validator over the exact bytes, like the registry's.
func etag(b []byte) string {
	s := sha256.Sum256(b)
	return `W/"` + hex.EncodeToString(s[:16]) + `"`
}
