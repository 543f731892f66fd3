//go:build !linux

package unpack

import "os"

// forceRootTree is meaningless here: os.Root is the only implementation.
var forceRootTree bool

func openBeneathTree(*os.File) (tree, error) { return nil, errNoBeneath }
