package wheel

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// recordRow is one line of RECORD: path, "algo=digest" and size, each as
// written (pip copies the digest and size of archive files verbatim).
type recordRow struct {
	Path, Hash, Size string
	line             int
}

// maxRecord bounds RECORD, which is held in memory: the largest wheels list
// some tens of thousands of files in a few MB.
const maxRecord = 64 << 20

// parseRecord reads RECORD as pip does (csv.reader over str.splitlines),
// refusing what that reading makes ambiguous: a quoted field running into
// the next line, a character Python takes for a line break inside a line
// (a path cannot hold one that pip would read back), blank lines (on which
// pip fails), and rows of other than three fields.
func parseRecord(data []byte) ([]recordRow, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrRecordSyntax)
	}
	var rows []recordRow
	for i, line := range pySplitLines(string(data)) {
		fields, err := parseCSVLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrRecordSyntax, i+1, err)
		}
		if len(fields) != 3 {
			return nil, fmt.Errorf("%w: line %d has %d fields, want path,hash,size", ErrRecordSyntax, i+1, len(fields))
		}
		rows = append(rows, recordRow{Path: fields[0], Hash: fields[1], Size: fields[2], line: i + 1})
	}
	// A break Python splits at but that is not \n or \r\n shows up only
	// as an odd row count; refuse it outright so that nobody has to reason
	// about it.
	if bytes.ContainsAny(data, "\v\f\x1c\x1d\x1e") || strings.ContainsAny(string(data), "\u0085\u2028\u2029") ||
		bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), nil), []byte("\r")) {
		return nil, fmt.Errorf("%w: a line break other than \\n or \\r\\n", ErrRecordSyntax)
	}
	return rows, nil
}

// parseCSVLine splits one line in Python csv's excel dialect. Where
// Python's lenient reader would accept oddities (text after a closing
// quote, a quote opening mid-field) airlock refuses them.
func parseCSVLine(line string) ([]string, error) {
	if line == "" {
		return nil, fmt.Errorf("blank line")
	}
	var fields []string
	i := 0
	for {
		var f strings.Builder
		if i < len(line) && line[i] == '"' {
			i++
			for {
				j := strings.IndexByte(line[i:], '"')
				if j < 0 {
					return nil, fmt.Errorf("unterminated quoted field")
				}
				f.WriteString(line[i : i+j])
				i += j + 1
				if i < len(line) && line[i] == '"' {
					f.WriteByte('"')
					i++
					continue
				}
				break
			}
			if i < len(line) && line[i] != ',' {
				return nil, fmt.Errorf("text after a closing quote")
			}
		} else {
			j := strings.IndexByte(line[i:], ',')
			end := len(line)
			if j >= 0 {
				end = i + j
			}
			if strings.IndexByte(line[i:end], '"') >= 0 {
				return nil, fmt.Errorf("quote inside an unquoted field")
			}
			f.WriteString(line[i:end])
			i = end
		}
		fields = append(fields, f.String())
		if i >= len(line) {
			return fields, nil
		}
		i++ // the comma
		if i == len(line) {
			return append(fields, ""), nil
		}
	}
}

// formatRecord writes rows as pip does: sorted by (path, hash, size),
// Python csv's minimal quoting, "\r\n" line ends.
func formatRecord(rows []recordRow) []byte {
	sorted := append([]recordRow(nil), rows...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Hash != b.Hash {
			return a.Hash < b.Hash
		}
		return a.Size < b.Size
	})
	var b bytes.Buffer
	for _, r := range sorted {
		b.WriteString(csvField(r.Path))
		b.WriteByte(',')
		b.WriteString(csvField(r.Hash))
		b.WriteByte(',')
		b.WriteString(csvField(r.Size))
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// csvField quotes like Python's csv.QUOTE_MINIMAL in the excel dialect.
func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// digest is a parsed RECORD hash.
type digest struct {
	algo string
	sum  []byte
}

// parseDigest reads "algo=urlsafe-base64". md5 and sha1 are refused as too
// weak to bind a file to the wheel's verified RECORD; unknown algorithms
// because they cannot be checked.
func parseDigest(s string) (digest, error) {
	algo, enc, ok := strings.Cut(s, "=")
	if !ok || enc == "" {
		return digest{}, fmt.Errorf("%w: %q is not algorithm=digest", ErrRecordSyntax, s)
	}
	algo = strings.ToLower(algo)
	want := 0
	switch algo {
	case "sha256":
		want = sha256.Size
	case "sha384":
		want = sha512.Size384
	case "sha512":
		want = sha512.Size
	case "md5", "sha1", "sha224":
		return digest{}, fmt.Errorf("%w: %s (use a wheel whose RECORD has sha256 digests)", ErrWeakHash, algo)
	default:
		return digest{}, fmt.Errorf("%w: unknown algorithm %q", ErrWeakHash, algo)
	}
	sum, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil || len(sum) != want {
		return digest{}, fmt.Errorf("%w: %q is not a urlsafe-base64 %s digest", ErrRecordSyntax, s, algo)
	}
	return digest{algo: algo, sum: sum}, nil
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return sha256.New()
}

// recordDigest formats a sha256 as RECORD writes it.
func recordDigest(sum []byte) string {
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum)
}

// cleanRecordPath reports whether p is a plain relative path inside the
// wheel: no empty, "." or ".." segment, not absolute, no backslash or NUL.
func cleanRecordPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	return path.Clean(p) == p && p != "." && !strings.HasPrefix(p, "../") && p != ".."
}
