package pypi

import (
	"fmt"
	"strings"

	lockpypi "github.com/airlock-dev/airlock/lock/pypi"
)

// MaxMetadataSize bounds a METADATA file. Real ones are a few kB to a few
// hundred kB (the long description is in it).
const MaxMetadataSize = 16 << 20

// Metadata is what the resolver reads from a wheel's METADATA (core
// metadata, PEP 566/643).
type Metadata struct {
	Name, Version  string
	RequiresPython string
	Requires       []lockpypi.Requirement
	ProvidesExtra  []string // normalized

	provides map[string]bool // ProvidesExtra as a set, made on first use
}

// providesExtra reports whether the METADATA lists extra (normalized);
// the search asks once per extra node, and the list may be long.
func (m *Metadata) providesExtra(extra string) bool {
	if m.provides == nil {
		m.provides = make(map[string]bool, len(m.ProvidesExtra))
		for _, e := range m.ProvidesExtra {
			m.provides[e] = true
		}
	}
	return m.provides[extra]
}

// ParseMetadata reads the headers of a METADATA file as Python's email
// parser does (up to the first blank line; continuation lines joined;
// names case-insensitive; Requires-Dist and Provides-Extra repeat). A
// Requires-Dist that does not parse is an error: skipping it would resolve
// without a dependency the package declares.
func ParseMetadata(data []byte) (*Metadata, error) {
	if len(data) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: METADATA is larger than %d bytes", ErrMetadata, MaxMetadataSize)
	}
	m := &Metadata{}
	var fields [][2]string
	var key string
	var val strings.Builder
	flush := func() {
		if key != "" {
			fields = append(fields, [2]string{key, strings.TrimSpace(val.String())})
		}
		key = ""
		val.Reset()
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if key != "" {
				val.WriteString(" " + strings.TrimSpace(line))
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(k))
		val.WriteString(v)
	}
	flush()
	for _, f := range fields {
		switch f[0] {
		case "name":
			if m.Name == "" {
				m.Name = f[1]
			}
		case "version":
			if m.Version == "" {
				m.Version = f[1]
			}
		case "requires-python":
			if m.RequiresPython == "" {
				m.RequiresPython = f[1]
			}
		case "requires-dist":
			r, err := lockpypi.ParseRequirement(f[1])
			if err != nil {
				return nil, fmt.Errorf("%w: Requires-Dist %q: %v", ErrMetadata, f[1], err)
			}
			m.Requires = append(m.Requires, r)
		case "provides-extra":
			m.ProvidesExtra = append(m.ProvidesExtra, lockpypi.NormalizeName(f[1]))
		}
	}
	if m.Name == "" || m.Version == "" {
		return nil, fmt.Errorf("%w: no Name or no Version header", ErrMetadata)
	}
	if _, err := lockpypi.ParseVersion(m.Version); err != nil {
		return nil, fmt.Errorf("%w: Version %q: %v", ErrMetadata, m.Version, err)
	}
	if _, err := lockpypi.ParseSpecifiers(m.RequiresPython); err != nil {
		return nil, fmt.Errorf("%w: Requires-Python %q: %v", ErrMetadata, m.RequiresPython, err)
	}
	return m, nil
}
