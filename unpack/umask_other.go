//go:build !unix

package unpack

import "os"

// ProcessUmask returns 0: this system has no umask, so modes are applied as
// computed.
func ProcessUmask() os.FileMode { return 0 }
