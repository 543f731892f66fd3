package fetch

import (
	"context"
	"fmt"
	"io"

	"github.com/airlock-dev/airlock/fetch/cache"
	"github.com/airlock-dev/airlock/verify"
)

// source reads a download: it hashes every byte it returns, stops the stream
// at max bytes, and remembers the first failure so that the Fetcher can tell
// "the stream broke" (no verdict possible) from "consume gave up".
type source struct {
	ctx context.Context
	r   io.Reader
	chk *verify.Checker
	max int64
	err error // sticky: the first error other than io.EOF
	eof bool
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.eof {
		return 0, io.EOF
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	// Ask for one byte past the limit so that an oversized body is noticed
	// as soon as it crosses it.
	if left := s.max - s.chk.N(); int64(len(p)) > left+1 {
		p = p[:left+1]
	}
	n, err := s.r.Read(p)
	if s.chk.N()+int64(n) > s.max {
		n = int(s.max - s.chk.N())
		s.chk.Write(p[:n])
		s.err = fmt.Errorf("%w: more than %d bytes; no genuine package is that large: check that the registry URL and any proxy serve package archives", ErrTooLarge, s.max)
		return n, s.err
	}
	s.chk.Write(p[:n])
	switch {
	case err == io.EOF:
		s.eof = true
	case err != nil:
		s.err = err
	}
	return n, err
}

// tee copies what its consumer reads into the cache Writer. A cache write
// failure (a full disk) is remembered and the Writer discarded, but the
// bytes keep flowing to the consumer: they are verified on the way whether
// or not the cache keeps a copy, so a broken cache costs a warning, not the
// install.
type tee struct {
	r   io.Reader
	w   *cache.Writer
	err error
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 && t.err == nil {
		if _, werr := t.w.Write(p[:n]); werr != nil {
			t.err = werr
			t.w.Abort()
		}
	}
	return n, err
}

// ctxReader stops a cache read once ctx is done, so Ctrl-C interrupts a
// long extraction from the cache too.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		c.err = err
		return 0, err
	}
	return c.r.Read(p)
}
