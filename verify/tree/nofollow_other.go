//go:build !unix

package tree

const noFollow = 0
