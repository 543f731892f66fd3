package pypi

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// WritePylock writes lk as a pylock.toml (PEP 751, lock-version 1.0) in the
// shape pip 25's `pip lock` writes: lock-version, environments,
// requires-python, created-by, then one [[packages]] table per
// distribution (name, version, requires-python, index) with its wheels
// ([[packages.wheels]]: name, upload-time, url, size, hashes). Packages
// are sorted by normalized name, as pip and uv sort them.
//
// Every wheel needs a URL and at least one hash: a lock without them could
// not be installed with the checks airlock makes, and WritePylock refuses
// to write it (ErrNoHash, ErrInvalidEntry). Dists without wheels are
// refused too: airlock locks wheels only. ParsePylock reads the result
// back into the same dists.
func WritePylock(lk *Lock, createdBy string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("lock-version = \"1.0\"\n")
	if len(lk.Environments) > 0 {
		b.WriteString("environments = [")
		for i, e := range lk.Environments {
			if _, err := ParseMarker(e); err != nil {
				return nil, fmt.Errorf("environments[%d]: %w", i, err)
			}
			if !utf8.ValidString(e) {
				return nil, fmt.Errorf("%w: environments[%d] is not UTF-8", ErrInvalidEntry, i)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(tomlString(e))
		}
		b.WriteString("]\n")
	}
	if lk.RequiresPython != "" {
		if _, err := ParseSpecifiers(lk.RequiresPython); err != nil {
			return nil, fmt.Errorf("requires-python: %w", err)
		}
		fmt.Fprintf(&b, "requires-python = %s\n", tomlString(lk.RequiresPython))
	}
	if !utf8.ValidString(createdBy) || !utf8.ValidString(lk.RequiresPython) {
		return nil, fmt.Errorf("%w: created-by or requires-python is not UTF-8", ErrInvalidEntry)
	}
	fmt.Fprintf(&b, "created-by = %s\n", tomlString(createdBy))

	dists := append([]Dist(nil), lk.Dists...)
	sort.SliceStable(dists, func(i, j int) bool { return dists[i].NormalizedName() < dists[j].NormalizedName() })
	for _, d := range dists {
		if err := writePylockPackage(&b, d); err != nil {
			return nil, &EntryError{Entry: fmt.Sprintf("package %s %s", d.Name, d.Version), Err: err}
		}
	}
	return []byte(b.String()), nil
}

func writePylockPackage(b *strings.Builder, d Dist) error {
	if err := utf8Fields(d); err != nil {
		return err
	}
	if !validName.MatchString(d.Name) {
		return fmt.Errorf("%w: name %q is not a valid project name", ErrInvalidEntry, d.Name)
	}
	if _, err := ParseVersion(d.Version); err != nil {
		return fmt.Errorf("%w: version: %v", ErrInvalidEntry, err)
	}
	if len(d.Wheels) == 0 {
		return fmt.Errorf("%w: no wheels: airlock locks wheels only", ErrInvalidEntry)
	}
	b.WriteString("\n[[packages]]\n")
	fmt.Fprintf(b, "name = %s\nversion = %s\n", tomlString(d.NormalizedName()), tomlString(d.Version))
	if d.Marker != "" {
		if _, err := ParseMarker(d.Marker); err != nil {
			return err
		}
		fmt.Fprintf(b, "marker = %s\n", tomlString(d.Marker))
	}
	if d.RequiresPython != "" {
		if _, err := ParseSpecifiers(d.RequiresPython); err != nil {
			return fmt.Errorf("requires-python: %w", err)
		}
		fmt.Fprintf(b, "requires-python = %s\n", tomlString(d.RequiresPython))
	}
	if d.Index != "" {
		fmt.Fprintf(b, "index = %s\n", tomlString(d.Index))
	}
	for _, w := range d.Wheels {
		if err := checkWheelOf(w.Filename, d.Name, d.Version); err != nil {
			return err
		}
		// ParsePylock's rule, so that what is written reads back.
		if strings.ContainsAny(w.Filename, "/\\\x00") {
			return fmt.Errorf("%w: file name %q is not a plain file name", ErrInvalidEntry, w.Filename)
		}
		if u, err := url.Parse(w.URL); err != nil || !u.IsAbs() || u.User != nil {
			return fmt.Errorf("%w: %s: url %q is not an absolute URL without credentials", ErrInvalidEntry, w.Filename, w.URL)
		}
		if len(w.Hashes) == 0 {
			return fmt.Errorf("%w: %s has no hash", ErrNoHash, w.Filename)
		}
		b.WriteString("\n[[packages.wheels]]\n")
		fmt.Fprintf(b, "name = %s\n", tomlString(w.Filename))
		if w.UploadTime != "" {
			t, err := time.Parse(time.RFC3339Nano, w.UploadTime)
			if err != nil {
				return fmt.Errorf("%w: %s: upload-time %q is not RFC 3339", ErrInvalidEntry, w.Filename, w.UploadTime)
			}
			// A TOML offset date-time, as PEP 751 asks, not a string.
			fmt.Fprintf(b, "upload-time = %s\n", t.UTC().Format("2006-01-02T15:04:05.999999Z07:00"))
		}
		fmt.Fprintf(b, "url = %s\n", tomlString(w.URL))
		if w.Size > 0 {
			fmt.Fprintf(b, "size = %d\n", w.Size)
		}
		var hs []string
		for _, h := range w.Hashes {
			nh, err := newHash(h.Algo, h.Hex)
			if err != nil {
				return fmt.Errorf("%s: %w", w.Filename, err)
			}
			// Lowercase, as ParsePylock reads it back.
			hs = append(hs, nh.Algo+" = "+tomlString(nh.Hex))
		}
		fmt.Fprintf(b, "hashes = {%s}\n", strings.Join(hs, ", "))
	}
	return nil
}

// utf8Fields refuses a dist with a string that is not UTF-8: TOML cannot
// hold one, and tomlString would write U+FFFD in its place, so the lock
// would name another URL or index than the one resolved (the index's
// listing is where these come from).
func utf8Fields(d Dist) error {
	fields := []string{d.Marker, d.RequiresPython, d.Index}
	for _, w := range d.Wheels {
		fields = append(fields, w.Filename, w.URL, w.UploadTime)
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return fmt.Errorf("%w: %q is not UTF-8", ErrInvalidEntry, f)
		}
	}
	return nil
}

// tomlString quotes s as a TOML basic string. Go's %q is not TOML: it
// writes \x escapes, which TOML does not have.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == utf8.RuneError:
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
