package pypi

import "testing"

func TestDenyRangeMatches(t *testing.T) {
	for _, tc := range []struct {
		version, rng string
		want         bool
	}{
		{"2.0", ">=2", true},
		{"1.9", ">=2", false},
		{"1.2.3", "1.2.3", true},
		{"1.2.4", "1.2.3", false},
		{"1.2", ">=1.0,<1.4", true},
		{"1.4", ">=1.0, <1.4", false},
		{"1.3", ">=1.0 <1.4", true},
		{"1.2.7", "==1.2.*", true},
		{"1.3.0", "==1.2.*", false},
		{"1.5", "!=1.5", false},
		{"1.6", "!=1.5", true},
		{"1.4.2", "~=1.4", true},
		{"2.0", "~=1.4", false},
		{"1.0", "^1.0", true},         // not PEP 440: every version
		{"0.1", "^1.0", true},         // not PEP 440: every version
		{"not-a-version", "<2", true}, // cannot compare: fail closed
		{"1.0rc1", ">=1.0rc1", true},  // pre-releases are versions too
	} {
		if got := DenyRangeMatches(tc.version, tc.rng); got != tc.want {
			t.Errorf("DenyRangeMatches(%q, %q) = %v, want %v", tc.version, tc.rng, got, tc.want)
		}
	}
	if _, err := ParseDenyRange("^1.0"); err == nil {
		t.Error(`ParseDenyRange("^1.0") accepted npm syntax PEP 440 does not have`)
	}
}
