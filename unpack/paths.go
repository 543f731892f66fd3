package unpack

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkName refuses an entry name, as written in the archive, that could
// reach outside the package or mean different things on different systems.
func checkName(name string, lim Limits) error {
	if len(name) > lim.MaxPathLength {
		return detail(ErrPathTooLong, "%d bytes (limit %d); %s", len(name), lim.MaxPathLength, limitHint)
	}
	if !utf8.ValidString(name) {
		// node-tar would write U+FFFD where other tools write the bytes.
		return detail(ErrUnsafePath, "not valid UTF-8")
	}
	for _, c := range name {
		switch {
		case unicode.IsControl(c):
			return detail(ErrUnsafePath, "control character %U", c)
		case c == '\\':
			// A separator on Windows; node-tar reads "..\" as "..".
			return detail(ErrUnsafePath, "backslash")
		}
	}
	if strings.HasPrefix(name, "/") {
		return detail(ErrUnsafePath, "absolute path")
	}
	for i, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return detail(ErrUnsafePath, `".." segment`)
		}
		if len(seg) > MaxNameLength {
			return detail(ErrPathTooLong, "segment of %d bytes (limit %d)", len(seg), MaxNameLength)
		}
		// node-tar strips a drive root ("C:") from the path that is left
		// once the first segment is gone, so check both.
		if i <= 1 && hasDriveLetter(seg) {
			return detail(ErrUnsafePath, "drive letter %q", seg[:2])
		}
	}
	return nil
}

func hasDriveLetter(seg string) bool {
	return len(seg) >= 2 && seg[1] == ':' && ('a' <= seg[0]|0x20 && seg[0]|0x20 <= 'z')
}

// stripFirst returns the path inside the package: name without its first
// segment (pacote's strip: 1, whatever that segment is called), with empty
// and "." segments dropped, as node-tar's path resolution drops them. It
// returns "" for the package directory itself, and the number of segments.
func stripFirst(name string) (rel string, depth int) {
	i := strings.IndexByte(name, '/')
	if i < 0 {
		return "", 0
	}
	rest := name[i+1:]
	clean := true
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" || seg == "." {
			clean = false
			continue
		}
		depth++
	}
	if clean {
		return rest, depth
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(rest, "/") {
		if seg == "" || seg == "." {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(seg)
	}
	return b.String(), depth
}
