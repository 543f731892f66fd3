package pypi

import "errors"

// errNotYet marks the API skeleton committed for the other helpers; it is
// replaced by the implementation in the following commits.
var errNotYet = errors.New("lock/pypi: not implemented yet")

// Select returns the distributions to install into env, in lock order:
// those whose markers hold (requirements, pylock.toml), or those reached
// from the project root along edges whose markers hold (uv.lock). It fails
// with ErrEnvironment when the interpreter is outside the lock's
// requires-python or pylock environments, and with ErrUnsupported when a
// selected entry is not a registry distribution.
func (l *Lock) Select(env Environment) ([]Dist, error) { return nil, errNotYet }
