package pnpm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// manifests reads every importer's package.json of a fixture.
func manifests(t *testing.T, name string, lf *Lockfile) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, imp := range lf.Importers {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "pnpm", name, imp.ID, "package.json"))
		if err != nil {
			t.Fatal(err)
		}
		out[imp.ID] = b
	}
	return out
}

func TestCheckInSyncFixtures(t *testing.T) {
	for _, name := range []string{"basic", "workspace", "layout", "layout9", "large"} {
		lf := readFixture(t, name)
		if err := CheckInSync(lf, manifests(t, name, lf)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckInSyncRefusals(t *testing.T) {
	lf := readFixture(t, "layout")
	for _, tc := range []struct {
		name, importer, old, new, want string
	}{
		{"changed range", ".", `"debug": "2.6.9"`, `"debug": "^2.6.9"`, `debug is "^2.6.9" in package.json but "2.6.9" in the lockfile`},
		{"added", ".", `"ms": "2.1.3"`, `"ms": "2.1.3", "left-pad": "1.3.0"`, `left-pad "1.3.0" is not in the lockfile`},
		{"removed", ".", `"ms": "2.1.3",`, ``, `ms is in the lockfile but not in package.json`},
		{"dev removed", ".", `"is-number": "7.0.0",`, ``, `is-number is in the lockfile but not in package.json`},
		{"prod to dev", "packages/tool", `"dependencies": {`, `"devDependencies": {`, `the lockfile's dependencies list 2 packages, package.json 0`},
		{"workspace", "packages/app", `"mkdirp": "1.0.4"`, `"mkdirp": "1.0.3"`, `packages/app/package.json: mkdirp is "1.0.3"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := manifests(t, "layout", lf)
			s := string(ms[tc.importer])
			if !strings.Contains(s, tc.old) {
				t.Fatalf("fixture has no %s", tc.old)
			}
			ms[tc.importer] = []byte(strings.Replace(s, tc.old, tc.new, 1))
			err := CheckInSync(lf, ms)
			if !errors.Is(err, ErrOutOfSync) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CheckInSync = %v, want %q", err, tc.want)
			}
		})
	}
}
