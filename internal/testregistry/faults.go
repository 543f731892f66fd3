package testregistry

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// First applies m to the first n requests matching pattern only and lets
// later ones through untouched: First(1, p, Reset(p, 100)) is a connection
// that breaks once, then works.
func First(n int, pattern string, m Middleware) Middleware {
	var left atomic.Int64
	left.Store(int64(n))
	return func(next http.Handler) http.Handler {
		faulty := m(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if matches(pattern, r.URL.Path) && left.Add(-1) >= 0 {
				faulty.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// record runs next into a buffer, for the faults that rewrite a response.
func record(next http.Handler, r *http.Request) *recorder {
	rec := &recorder{header: http.Header{}}
	next.ServeHTTP(rec, r)
	return rec
}

func (rec *recorder) copyHeader(w http.ResponseWriter) {
	for k, v := range rec.header {
		w.Header()[k] = v
	}
}

// Stall sends the headers of matching responses, with the full
// Content-Length, and their first n bytes, then nothing more until the
// client gives up: a server or proxy that hangs mid-download. (Delay is the
// one whose headers never come.)
func Stall(pattern string, n int) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := record(next, r)
			rec.copyHeader(w)
			w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
			w.WriteHeader(rec.statusOr200())
			w.Write(rec.body[:min(n, len(rec.body))])
			http.NewResponseController(w).Flush()
			<-r.Context().Done()
		})
	}
}

// EndlessChunk is what Endless writes, over and over.
const EndlessChunk = 32 << 10

// Endless answers matching requests with 200 and a body that never ends
// (no Content-Length), until the client hangs up. written, if not nil,
// counts the bytes the server managed to send, so a test can check that
// the client stopped reading near its size limit.
func Endless(pattern string, written *atomic.Int64) Middleware {
	chunk := bytes.Repeat([]byte{0x1f}, EndlessChunk)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/octet-stream")
			w.WriteHeader(http.StatusOK)
			for {
				n, err := w.Write(chunk)
				if written != nil {
					written.Add(int64(n))
				}
				if err != nil || r.Context().Err() != nil {
					return
				}
			}
		})
	}
}

// Reset sends the headers and first n bytes of matching responses, then
// resets the connection: over HTTP/1.1 a TCP RST with no TLS close_notify
// (the client reads "connection reset by peer"), over HTTP/2 an RST_STREAM.
func Reset(pattern string, n int) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := record(next, r)
			body := rec.body[:min(n, len(rec.body))]
			if r.ProtoMajor >= 2 {
				rec.copyHeader(w)
				w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
				w.WriteHeader(rec.statusOr200())
				w.Write(body)
				http.NewResponseController(w).Flush()
				panic(http.ErrAbortHandler)
			}
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
				rec.statusOr200(), http.StatusText(rec.statusOr200()), rec.header.Get("Content-Type"), len(rec.body))
			buf.Write(body)
			buf.Flush()
			raw := conn
			if tc, ok := conn.(*tls.Conn); ok {
				raw = tc.NetConn()
			}
			if tcp, ok := raw.(*net.TCPConn); ok {
				tcp.SetLinger(0)
			}
			raw.Close()
		})
	}
}

// ContentEncoding labels matching responses "Content-Encoding: enc" without
// encoding them: a misconfigured server or CDN that declares a .tgz (already
// gzip) as gzip-encoded, or says gzip over bytes that are not.
func ContentEncoding(pattern, enc string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := record(next, r)
			rec.copyHeader(w)
			w.Header().Set("Content-Encoding", enc)
			w.Header().Set("Content-Length", strconv.Itoa(len(rec.body)))
			w.WriteHeader(rec.statusOr200())
			w.Write(rec.body)
		})
	}
}

// Gzip gzip-encodes matching responses and says so: an honest server
// compressing on the fly, even an already compressed tarball. Clients must
// hash what remains after undoing the Content-Encoding.
func Gzip(pattern string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			rec := record(next, r)
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(rec.body)
			zw.Close()
			rec.copyHeader(w)
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
			w.WriteHeader(rec.statusOr200())
			w.Write(buf.Bytes())
		})
	}
}

// ErrorPageHTML is the page ErrorPage serves.
const ErrorPageHTML = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p></body></html>
`

// ErrorPage answers matching requests with "200 OK" and an HTML error page,
// as captive portals and misconfigured proxies do.
func ErrorPage(pattern string) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !matches(pattern, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Length", strconv.Itoa(len(ErrorPageHTML)))
			w.WriteHeader(http.StatusOK)
			fmt.Fprint(w, ErrorPageHTML)
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
