//go:build !linux

package unpack

// forceRootTree is meaningless here: os.Root is the only implementation.
var forceRootTree bool

func openBeneathTree(string) (tree, error) { return nil, errNoBeneath }
