package client

import (
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
		max: opts.MaxBodySize, idle: opts.IdleReadTimeout}
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
		if cause := context.Cause(b.ctx); errors.Is(cause, ErrStalled) {
			err = fmt.Errorf("%w after %d bytes", cause, b.n)
		} else if errors.Is(err, io.ErrUnexpectedEOF) && b.length >= 0 {
			err = fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, b.n, b.length)
		} else {
			err = fmt.Errorf("reading the body after %d bytes: %w", b.n, unwrapURLError(err))
		}
		b.err = b.fail(err)
		return n, b.err
	}
	return n, nil
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
