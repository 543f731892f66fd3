package pypi

import (
	"fmt"
	"html"
	"net/url"
	"strings"
)

// parseHTML reads a PEP 503 page: every <a href> is a file, named by the
// last segment of its URL path, with an optional "#<algo>=<hex>" fragment
// and data-requires-python, data-yanked, data-dist-info-metadata /
// data-core-metadata attributes (HTML-escaped, as PEP 503 requires). A
// <base href> changes what relative URLs resolve against, as in pip.
// A <meta name="pypi:repository-version"> with a major version other than 1
// is refused (PEP 629).
//
// This is a scanner for the tags PEP 503 pages use, not a general HTML
// parser: comments, <script> and <style> contents are skipped; anything
// else that is not a tag is text and ignored.
func parseHTML(data []byte, base *url.URL) ([]File, error) {
	s := string(data)
	var files []File
	for i := 0; i < len(s); {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if strings.HasPrefix(s[i:], "<!--") {
			end := strings.Index(s[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		name, attrs, next := scanTag(s, i)
		i = next
		switch name {
		case "script", "style":
			end := strings.Index(strings.ToLower(s[i:]), "</"+name)
			if end < 0 {
				i = len(s)
			} else {
				i += end
			}
		case "base":
			if href, ok := attrs["href"]; ok {
				b, err := url.Parse(href)
				if err != nil {
					return nil, fmt.Errorf("%w: <base href=%q> does not parse", ErrBadPage, href)
				}
				base = base.ResolveReference(b)
			}
		case "meta":
			if attrs["name"] == "pypi:repository-version" {
				if err := checkAPIVersion(attrs["content"]); err != nil {
					return nil, err
				}
			}
		case "a":
			href, ok := attrs["href"]
			if !ok {
				continue
			}
			f, err := htmlFile(base, href, attrs)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	}
	return files, nil
}

func htmlFile(base *url.URL, href string, attrs map[string]string) (File, error) {
	ref, err := url.Parse(strings.TrimSpace(href))
	if err != nil || href == "" {
		return File{}, fmt.Errorf("%w: <a href=%q> does not parse", ErrBadPage, href)
	}
	f := File{}
	if frag := ref.Fragment; frag != "" {
		algo, hex, ok := strings.Cut(frag, "=")
		if ok && algo != "" && hex != "" {
			f.Hashes = map[string]string{strings.ToLower(algo): strings.ToLower(hex)}
		}
	}
	if f.URL, err = resolveFileURL(base, href); err != nil {
		return File{}, err
	}
	name, err := url.PathUnescape(filenameFromURL(f.URL))
	if err != nil {
		return File{}, fmt.Errorf("%w: file name in %q", ErrBadPage, href)
	}
	f.Filename = name
	f.RequiresPython = attrs["data-requires-python"]
	if reason, ok := attrs["data-yanked"]; ok {
		f.Yanked, f.YankedReason = true, reason
	}
	_, m1 := attrs["data-dist-info-metadata"]
	_, m2 := attrs["data-core-metadata"]
	f.HasMetadata = (m1 && attrs["data-dist-info-metadata"] != "false") || (m2 && attrs["data-core-metadata"] != "false")
	// The attribute's value is "true" or "<algo>=<hex>" (PEP 658/714);
	// data-core-metadata wins over the older name.
	meta := attrs["data-dist-info-metadata"]
	if m2 {
		meta = attrs["data-core-metadata"]
	}
	if algo, hx, ok := strings.Cut(meta, "="); ok && algo != "" && hx != "" {
		f.MetadataHashes = map[string]string{strings.ToLower(algo): strings.ToLower(hx)}
	}
	if prov := attrs["data-provenance"]; prov != "" {
		if f.Provenance, err = resolveFileURL(base, prov); err != nil {
			return File{}, err
		}
	}
	return f, checkFilename(f)
}

// scanTag reads the tag starting at s[i] == '<'. It returns the lowercased
// tag name ("" for end tags and declarations), its attributes with
// lowercased names and unescaped values, and the index after the tag.
func scanTag(s string, i int) (string, map[string]string, int) {
	j := i + 1
	if j < len(s) && (s[j] == '/' || s[j] == '!' || s[j] == '?') {
		end := strings.IndexByte(s[j:], '>')
		if end < 0 {
			return "", nil, len(s)
		}
		return "", nil, j + end + 1
	}
	start := j
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	name := strings.ToLower(s[start:j])
	if name == "" {
		return "", nil, i + 1
	}
	attrs := map[string]string{}
	for j < len(s) {
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j >= len(s) {
			break
		}
		if s[j] == '>' {
			return name, attrs, j + 1
		}
		if s[j] == '/' {
			j++
			continue
		}
		as := j
		for j < len(s) && !isSpace(s[j]) && s[j] != '=' && s[j] != '>' && s[j] != '/' {
			j++
		}
		an := strings.ToLower(s[as:j])
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		val := ""
		if j < len(s) && s[j] == '=' {
			j++
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			if j < len(s) && (s[j] == '"' || s[j] == '\'') {
				q := s[j]
				end := strings.IndexByte(s[j+1:], q)
				if end < 0 {
					val, j = s[j+1:], len(s)
				} else {
					val, j = s[j+1:j+1+end], j+1+end+1
				}
			} else {
				vs := j
				for j < len(s) && !isSpace(s[j]) && s[j] != '>' {
					j++
				}
				val = s[vs:j]
			}
		}
		if an != "" {
			if _, dup := attrs[an]; !dup {
				attrs[an] = html.UnescapeString(val)
			}
		}
	}
	return name, attrs, len(s)
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == ':'
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
