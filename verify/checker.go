package verify

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
)

// ErrIntegrity is matched (errors.Is) by every digest mismatch.
var ErrIntegrity = errors.New("integrity mismatch")

// MismatchError reports bytes whose digest differs from the expected one.
type MismatchError struct {
	Want, Got Digest
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("integrity mismatch: want %s, got %s", e.Want, e.Got)
}

func (e *MismatchError) Is(target error) bool { return target == ErrIntegrity }

// Checker hashes a stream written to it and compares the result with the
// expected digest when asked. It is an io.Writer so it can sit behind an
// io.TeeReader or io.MultiWriter. A Checker is not safe for concurrent use.
type Checker struct {
	want Digest
	h    hash.Hash
	n    int64
	err  error // set when want itself is unusable
}

// NewChecker returns a Checker for want. If want is not a valid digest,
// Check reports that (as an error that does not match ErrIntegrity), so a
// caller can never mistake an unusable expectation for a match.
func NewChecker(want Digest) *Checker {
	if err := want.Validate(); err != nil {
		return &Checker{want: want, err: err}
	}
	return &Checker{want: want, h: algorithms[want.Algorithm].new()}
}

// Write hashes p. It never fails.
func (c *Checker) Write(p []byte) (int, error) {
	if c.h != nil {
		c.h.Write(p)
	}
	c.n += int64(len(p))
	return len(p), nil
}

// N returns the number of bytes written so far.
func (c *Checker) N() int64 { return c.n }

// Sum returns the digest of the bytes written so far.
func (c *Checker) Sum() Digest {
	if c.h == nil {
		return Digest{}
	}
	return Digest{Algorithm: c.want.Algorithm, Sum: c.h.Sum(nil)}
}

// Check compares the digest of everything written so far with the expected
// one, in constant time. A mismatch is a *MismatchError. Check may be called
// more than once.
func (c *Checker) Check() error {
	if c.err != nil {
		return c.err
	}
	got := c.Sum()
	if subtle.ConstantTimeCompare(got.Sum, c.want.Sum) != 1 {
		return &MismatchError{Want: c.want, Got: got}
	}
	return nil
}
