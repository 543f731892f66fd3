package install

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"strconv"
)

// HashbangWindow is how much of a bin bin-links reads to look for a Windows
// line ending on its "#!" line.
const HashbangWindow = 2048

// FixBin is bin-links' fix-bin on rel in r, which npm and pnpm both apply to
// bin targets: chmod to exactly mode, then, when the "#!" line ends in
// "\r\n", drop that "\r" and replace the file atomically (a temporary file
// beside it, renamed over it, as write-file-atomic does). decode, if not
// nil, turns the bytes into what the tool writes back (npm reads the file as
// UTF-8 text, so invalid sequences become U+FFFD); pnpm keeps the bytes.
func FixBin(r *os.Root, rel string, mode fs.FileMode, decode func([]byte) []byte) error {
	if err := r.Chmod(rel, mode); err != nil {
		return err
	}
	f, err := r.Open(rel)
	if err != nil {
		return err
	}
	head := make([]byte, HashbangWindow)
	n, err := io.ReadFull(bufio.NewReader(f), head)
	f.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		// A directory or an unreadable file: fix-bin's check fails and
		// the content is left alone.
		return nil
	}
	if !WindowsHashbang(head[:n]) {
		return nil
	}
	data, err := r.ReadFile(rel)
	if err != nil {
		return err
	}
	if decode != nil {
		data = decode(data)
	}
	fixed := dos2unix(data)
	tmp := rel + ".airlock-" + strconv.Itoa(os.Getpid())
	if err := r.WriteFile(tmp, fixed, mode); err != nil {
		return err
	}
	if err := r.Chmod(tmp, mode); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	if err := r.Rename(tmp, rel); err != nil {
		_ = r.Remove(tmp)
		return err
	}
	return nil
}

// WindowsHashbang is fix-bin's test /^#![^\n]+\r\n/ on the first
// HashbangWindow bytes: a "#!" line of at least one character ending in
// "\r\n".
func WindowsHashbang(head []byte) bool {
	if !bytes.HasPrefix(head, []byte("#!")) {
		return false
	}
	i := bytes.IndexByte(head, '\n')
	return i >= 4 && head[i-1] == '\r'
}

// dos2unix is content.replace(/^(#![^\n]+)\r\n/, '$1\n').
func dos2unix(data []byte) []byte {
	if !WindowsHashbang(data) {
		return data
	}
	i := bytes.IndexByte(data, '\n')
	out := make([]byte, 0, len(data)-1)
	out = append(out, data[:i-1]...)
	return append(out, data[i:]...)
}
