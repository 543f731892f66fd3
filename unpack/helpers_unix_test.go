//go:build unix

package unpack

import (
	"crypto/sha256"
	"io/fs"
	"syscall"
)

func nlink(info fs.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func setUmask(m int) int { return syscall.Umask(m) }
