package store

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// MaxManifestSize caps a manifest read from the store. The largest npm
// packages hold tens of thousands of files, about 150 bytes of manifest
// each.
const MaxManifestSize = 64 << 20

const (
	manifestHeader = "airlock-store 1\n"
	macPrefix      = "mac "
)

// File is one regular file of an entry.
type File struct {
	// Path is relative to the package directory, slash-separated.
	Path string
	// Mode is the file's permission bits in the installed tree.
	Mode fs.FileMode
	// Size is its length in bytes.
	Size int64
	// SHA256 is the digest of its content.
	SHA256 [sha256.Size]byte
	// Copy says Link mode copies this file instead of linking it: an
	// installer will chmod or rewrite it (a bin target), and a change to a
	// linked file is a change to the store.
	Copy bool
}

// manifest is an entry's parsed manifest.
type manifest struct {
	integrity string
	layout    string
	archive   int64 // the archive's size, for reports
	files     []File
}

// encode renders m and appends its MAC under key:
//
//	airlock-store 1
//	integrity <SRI digest>
//	layout <quoted string>
//	archive <size of the archive in bytes>
//	file <octal mode>[c] <size> <sha256 hex> <quoted path>   (one per file; c: copy, never link)
//	mac <hex HMAC-SHA256 of every byte above>
func (m *manifest) encode(key []byte) []byte {
	var b bytes.Buffer
	b.Grow(64 + len(m.files)*120)
	b.WriteString(manifestHeader)
	b.WriteString("integrity ")
	b.WriteString(m.integrity)
	b.WriteString("\nlayout ")
	b.WriteString(strconv.Quote(m.layout))
	b.WriteString("\narchive ")
	b.WriteString(strconv.FormatInt(m.archive, 10))
	b.WriteByte('\n')
	var num [24]byte
	for _, f := range m.files {
		b.WriteString("file ")
		b.Write(strconv.AppendUint(num[:0], uint64(f.Mode.Perm()), 8))
		if f.Copy {
			b.WriteByte('c')
		}
		b.WriteByte(' ')
		b.Write(strconv.AppendInt(num[:0], f.Size, 10))
		b.WriteByte(' ')
		var hx [2 * sha256.Size]byte
		hex.Encode(hx[:], f.SHA256[:])
		b.Write(hx[:])
		b.WriteByte(' ')
		b.WriteString(strconv.Quote(f.Path))
		b.WriteByte('\n')
	}
	mac := macOf(key, b.Bytes())
	b.WriteString(macPrefix)
	b.WriteString(hex.EncodeToString(mac))
	b.WriteByte('\n')
	return b.Bytes()
}

func macOf(key, body []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(body)
	return h.Sum(nil)
}

// errBadMAC says a manifest's MAC does not verify under this machine's key:
// forged, altered, or made with another key.
var errBadMAC = errors.New("manifest MAC does not verify with this machine's store key (altered, or written under another key)")

// decodeManifest checks data's MAC under key before parsing anything else,
// so that only manifests airlock wrote are ever interpreted.
func decodeManifest(data, key []byte) (*manifest, error) {
	i := bytes.LastIndex(data, []byte("\n"+macPrefix))
	if i < 0 || !bytes.HasSuffix(data, []byte("\n")) {
		return nil, errors.New("manifest has no MAC line")
	}
	body, macHex := data[:i+1], bytes.TrimSuffix(data[i+1+len(macPrefix):], []byte("\n"))
	mac, err := hex.DecodeString(string(macHex))
	if err != nil || !hmac.Equal(mac, macOf(key, body)) {
		return nil, errBadMAC
	}
	// From here the bytes are airlock's own; the checks below guard
	// against airlock's own bugs, not against an attacker.
	if !bytes.HasPrefix(body, []byte(manifestHeader)) {
		return nil, errors.New("manifest of an unknown version")
	}
	m := &manifest{}
	lines := strings.Split(strings.TrimSuffix(string(body[len(manifestHeader):]), "\n"), "\n")
	for n, line := range lines {
		word, rest, _ := strings.Cut(line, " ")
		switch word {
		case "integrity":
			m.integrity = rest
		case "layout":
			if m.layout, err = strconv.Unquote(rest); err != nil {
				return nil, fmt.Errorf("manifest line %d: bad layout", n+2)
			}
		case "archive":
			if m.archive, err = strconv.ParseInt(rest, 10, 64); err != nil {
				return nil, fmt.Errorf("manifest line %d: bad archive size", n+2)
			}
		case "file":
			f, err := parseFile(rest)
			if err != nil {
				return nil, fmt.Errorf("manifest line %d: %w", n+2, err)
			}
			m.files = append(m.files, f)
		default:
			return nil, fmt.Errorf("manifest line %d: unknown record %q", n+2, word)
		}
	}
	return m, nil
}

func parseFile(rest string) (File, error) {
	var f File
	fields := strings.SplitN(rest, " ", 4)
	if len(fields) != 4 {
		return f, errors.New("want mode, size, digest and path")
	}
	if c, ok := strings.CutSuffix(fields[0], "c"); ok {
		f.Copy, fields[0] = true, c
	}
	mode, err := strconv.ParseUint(fields[0], 8, 32)
	if err != nil || mode&^0o777 != 0 {
		return f, fmt.Errorf("bad mode %q", fields[0])
	}
	f.Mode = fs.FileMode(mode)
	if f.Size, err = strconv.ParseInt(fields[1], 10, 64); err != nil || f.Size < 0 {
		return f, fmt.Errorf("bad size %q", fields[1])
	}
	if n, err := hex.Decode(f.SHA256[:], []byte(fields[2])); err != nil || n != sha256.Size || len(fields[2]) != 2*sha256.Size {
		return f, fmt.Errorf("bad digest %q", fields[2])
	}
	if f.Path, err = strconv.Unquote(fields[3]); err != nil || !validPath(f.Path) {
		return f, fmt.Errorf("bad path %s", fields[3])
	}
	return f, nil
}

// validPath accepts a clean, relative, slash-separated path with no "."
// or ".." segments: what an extraction writes.
func validPath(p string) bool {
	if p == "" || strings.ContainsRune(p, 0) || path.Clean(p) != p || path.IsAbs(p) {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
