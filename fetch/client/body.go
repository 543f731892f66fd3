package client

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// body enforces Content-Length, the size limit and the idle timeout on a
// response body. Errors are sticky: after one, every Read repeats it.
type body struct {
	rc      io.ReadCloser
	ctx     context.Context
	cancel  context.CancelCauseFunc
	url     string
	length  int64 // Content-Length, or -1
	decoded bool  // net/http undid a Content-Encoding: gzip
	max     int64
	idle    time.Duration
	n       int64
	timer   *time.Timer
	whole   *time.Timer // BodyTimeout
	err     error
	stalled error
	slow    error
}

func newBody(ctx context.Context, cancel context.CancelCauseFunc, resp *http.Response, url string, opts *Options) *body {
	b := &body{rc: resp.Body, ctx: ctx, cancel: cancel, url: url, length: resp.ContentLength,
		max: opts.MaxBodySize, idle: opts.IdleReadTimeout, decoded: resp.Uncompressed}
	b.stalled = fmt.Errorf("%w: no data for %s", ErrStalled, b.idle)
	// The timer runs only while a Read waits on the network, so a slow
	// consumer is never mistaken for a stalled server.
	b.timer = time.AfterFunc(time.Hour, func() { cancel(b.stalled) })
	b.timer.Stop()
	b.slow = fmt.Errorf("%w: the body took longer than %s", ErrStalled, opts.BodyTimeout)
	b.whole = time.AfterFunc(opts.BodyTimeout, func() { cancel(b.slow) })
	return b
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if room := b.max - b.n + 1; int64(len(p)) > room {
		p = p[:room] // one byte past the limit is enough to detect it
	}
	b.timer.Reset(b.idle)
	n, err := b.rc.Read(p)
	b.timer.Stop()
	b.n += int64(n)
	switch {
	case b.n > b.max:
		n -= int(b.n - b.max)
		b.n = b.max
		b.err = b.fail(fmt.Errorf("%w: more than %d bytes", ErrTooLarge, b.max))
		return n, b.err
	case err == io.EOF && b.length >= 0 && b.n < b.length:
		b.err = b.fail(fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, b.n, b.length))
		return n, b.err
	case err == io.EOF:
		b.err = io.EOF
		return n, io.EOF
	case err != nil:
		err = unwrapURLError(err)
		switch cause := context.Cause(b.ctx); {
		case errors.Is(cause, ErrStalled):
			err = fmt.Errorf("%w after %d bytes", cause, b.n)
		case errors.Is(err, io.ErrUnexpectedEOF) && b.length >= 0:
			err = fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, b.n, b.length)
		case b.decoded && isDecodeError(err):
			err = fmt.Errorf("%w (%v, after %d decoded bytes)", ErrBadEncoding, err, b.n)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			err = fmt.Errorf("reading the body after %d bytes: %w", b.n, err)
		default:
			// Resets, closes and HTTP/2 stream errors: nothing about the
			// response itself was wrong, so starting over may work.
			err = fmt.Errorf("%w after %d bytes: %w", ErrBrokenBody, b.n, err)
		}
		b.err = b.fail(err)
		return n, b.err
	}
	return n, nil
}

// isDecodeError reports the errors of the gzip reader net/http puts in
// front of a Content-Encoding: gzip body.
func isDecodeError(err error) bool {
	var corrupt flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.As(err, &corrupt)
}

func (b *body) fail(err error) error { return &Error{URL: b.url, Err: err} }

// Close releases the connection and the request's context.
func (b *body) Close() error {
	b.timer.Stop()
	b.whole.Stop()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}
