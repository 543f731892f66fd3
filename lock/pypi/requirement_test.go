package pypi

import (
	"errors"
	"strings"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	env := Environment{Markers: map[string]string{"python_version": "3.11", "sys_platform": "linux"}}
	cases := []struct {
		in, name, extras, specs string
		applies, appliesSocks   bool
	}{
		{"requests", "requests", "", "", true, true},
		{"Requests[Socks, security] >=2.31,<3", "Requests", "socks,security", ">=2.31, <3", true, true},
		{"charset-normalizer (<4,>=2)", "charset-normalizer", "", "<4, >=2", true, true},
		{"PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'", "PySocks", "", "!=1.5.7, >=1.5.6", false, true},
		{"PySocks!=1.5.7,>=1.5.6; extra == \"SOCKS\"", "PySocks", "", "!=1.5.7, >=1.5.6", false, true},
		{"tomli>=1.1.0; python_version < \"3.11\"", "tomli", "", ">=1.1.0", false, false},
		{"pywin32; sys_platform == 'win32' and extra == 'socks'", "pywin32", "", "", false, false},
		{"a.b_c[]==1.0", "a.b_c", "", "==1.0", true, true},
	}
	for _, tc := range cases {
		r, err := ParseRequirement(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if r.Name != tc.name || strings.Join(r.Extras, ",") != tc.extras || r.Specifiers.String() != tc.specs {
			t.Errorf("%q: got name %q extras %q specs %q", tc.in, r.Name, r.Extras, r.Specifiers)
		}
		for extra, want := range map[string]bool{"": tc.applies, "socks": tc.appliesSocks} {
			got, err := r.Applies(env, extra)
			if err != nil || got != want {
				t.Errorf("%q with extra %q: applies = %v, %v; want %v", tc.in, extra, got, err, want)
			}
		}
		// String round-trips.
		back, err := ParseRequirement(r.String())
		if err != nil || back.String() != r.String() {
			t.Errorf("%q: String() = %q does not round-trip (%v)", tc.in, r.String(), err)
		}
	}
}

func TestParseRequirementRefusals(t *testing.T) {
	cases := map[string]error{
		"":                            ErrSyntax,
		">=1":                         ErrSyntax,
		"pkg @ https://x/pkg.whl":     ErrUnsupported,
		"pkg[extra":                   ErrSyntax,
		"pkg[bad extra!]":             ErrSyntax,
		"pkg >=":                      ErrSyntax,
		"pkg ~=1":                     ErrSyntax,
		"pkg ; ":                      ErrSyntax,
		"pkg ; python_version >< '3'": ErrBadMarker,
	}
	for in, want := range cases {
		if _, err := ParseRequirement(in); !errors.Is(err, want) {
			t.Errorf("%q: err = %v, want %v", in, err, want)
		}
	}
}
