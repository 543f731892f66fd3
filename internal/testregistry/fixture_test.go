package testregistry

import (
	"strings"
	"testing"
)

// TestFixtureTarball: the archive comes back when its integrity is the
// one tarballs/README.md records (a scoped name's file is scope-name), and
// is refused, saying both, when the lockfile says another.
func TestFixtureTarball(t *testing.T) {
	for _, tc := range []struct{ name, version, integrity string }{
		{"ms", "2.1.3", "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="},
		{"@scarf/scarf", "1.4.0", "sha512-xxeapPiUXdZAE3che6f3xogoJPeZgig6omHEy1rIY5WVsB3H2BHNnZH+gHG6x91SCWyQCzWGsuL2Hh3ClO5/qQ=="},
	} {
		data, err := FixtureTarball(tc.name, tc.version, tc.integrity)
		if err != nil || len(data) == 0 {
			t.Errorf("FixtureTarball(%s@%s) = %d bytes, %v", tc.name, tc.version, len(data), err)
		}
	}
	_, err := FixtureTarball("ms", "2.1.3", "sha512-AAAA")
	if err == nil || !strings.Contains(err.Error(), "lockfile says sha512-AAAA") || !strings.Contains(err.Error(), "integrity sha512-6Flz") {
		t.Errorf("FixtureTarball with a wrong integrity = %v; want a refusal naming both", err)
	}
	if _, err := FixtureTarball("ms", "9.9.9", "sha512-AAAA"); err == nil {
		t.Error("FixtureTarball of a version not in tarballs/ succeeded")
	}
}
