package pypi

import (
	"fmt"
	"strings"
)

// Requirement is a PEP 508 requirement by name, as METADATA's Requires-Dist
// and a command line write it: "name[extra,...] specifiers ; marker".
// Direct references ("name @ URL") are not requirements airlock can
// resolve against an index, and are refused.
type Requirement struct {
	Name       string
	Extras     []string
	Specifiers Specifiers
	// Marker is nil when the requirement has none.
	Marker *Marker
}

// ParseRequirement parses one PEP 508 requirement. Specifiers may be
// parenthesized ("idna (<4,>=2.5)", the older METADATA spelling). Errors
// match ErrSyntax, ErrBadMarker or ErrUnsupported (a direct reference).
func ParseRequirement(s string) (Requirement, error) {
	spec, marker, hasMarker := strings.Cut(s, ";")
	if strings.Contains(spec, "@") || strings.Contains(spec, "://") {
		return Requirement{}, fmt.Errorf("%w: %q is a direct reference (name @ URL): airlock resolves names against the index only", ErrUnsupported, strings.TrimSpace(spec))
	}
	m := pep508Name.FindStringSubmatch(spec)
	if m == nil {
		return Requirement{}, fmt.Errorf("%w: %q does not start with a project name", ErrSyntax, strings.TrimSpace(s))
	}
	r := Requirement{Name: m[1]}
	rest := spec[len(m[0]):]
	if em := pep508Extras.FindStringSubmatch(rest); em != nil {
		// A set, not a scan of r.Extras: METADATA is the index's, and a
		// line of 50,000 extras took seconds to deduplicate by scanning.
		seen := map[string]bool{}
		for _, e := range strings.Split(em[1], ",") {
			e = strings.TrimSpace(e)
			if e == "" && strings.TrimSpace(em[1]) == "" {
				break
			}
			if !validName.MatchString(e) {
				return Requirement{}, fmt.Errorf("%w: %q: extra %q is not a valid name", ErrSyntax, strings.TrimSpace(s), e)
			}
			if n := NormalizeName(e); !seen[n] {
				seen[n] = true
				r.Extras = append(r.Extras, n)
			}
		}
		rest = rest[len(em[0]):]
	} else if strings.HasPrefix(rest, "[") {
		return Requirement{}, fmt.Errorf("%w: %q: unclosed [extras]", ErrSyntax, strings.TrimSpace(s))
	}
	rest = strings.TrimSpace(rest)
	if strings.HasPrefix(rest, "(") && strings.HasSuffix(rest, ")") {
		rest = strings.TrimSpace(rest[1 : len(rest)-1])
	}
	specs, err := ParseSpecifiers(rest)
	if err != nil {
		return Requirement{}, fmt.Errorf("%q: %w", strings.TrimSpace(s), err)
	}
	r.Specifiers = specs
	if hasMarker {
		if strings.TrimSpace(marker) == "" {
			return Requirement{}, fmt.Errorf("%w: %q: empty marker after ;", ErrSyntax, strings.TrimSpace(s))
		}
		if r.Marker, err = ParseMarker(strings.TrimSpace(marker)); err != nil {
			return Requirement{}, err
		}
	}
	return r, nil
}

// NormalizedName is the PEP 503 normal form of r.Name.
func (r Requirement) NormalizedName() string { return NormalizeName(r.Name) }

// String writes the requirement back in PEP 508 form.
func (r Requirement) String() string {
	s := r.Name
	if len(r.Extras) > 0 {
		s += "[" + strings.Join(r.Extras, ",") + "]"
	}
	if len(r.Specifiers) > 0 {
		parts := make([]string, len(r.Specifiers))
		for i, sp := range r.Specifiers {
			parts[i] = sp.String()
		}
		s += strings.Join(parts, ",")
	}
	if r.Marker != nil {
		s += "; " + r.Marker.String()
	}
	return s
}

// Applies evaluates r's marker (true without one) for env with the
// "extra" variable set to extra ("" outside any extra).
func (r Requirement) Applies(env Environment, extra string) (bool, error) {
	if r.Marker == nil {
		return true, nil
	}
	return r.Marker.Evaluate(env, extra)
}
