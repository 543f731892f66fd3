package lock

import "testing"

func TestSpecDiff(t *testing.T) {
	for _, tc := range []struct {
		name        string
		locked, pkg map[string]string
		want        string
	}{
		{"same", map[string]string{"a": "^1.0.0"}, map[string]string{"a": "^1.0.0"}, ""},
		{"both empty", nil, map[string]string{}, ""},
		{"added", nil, map[string]string{"b": "2", "a": "1"}, `a "1" is not in the lockfile; b "2" is not in the lockfile`},
		{"changed", map[string]string{"a": "^1.0.0"}, map[string]string{"a": "^2.0.0"}, `a is "^2.0.0" in package.json but "^1.0.0" in the lockfile`},
		{"removed", map[string]string{"@s/x": "1", "a": "1"}, map[string]string{"a": "1"}, "@s/x is in the lockfile but not in package.json"},
		{
			"all three, package.json's first",
			map[string]string{"z": "1", "m": "1", "a": "1"},
			map[string]string{"m": "2", "b": "1"},
			`b "1" is not in the lockfile; m is "2" in package.json but "1" in the lockfile; a is in the lockfile but not in package.json; z is in the lockfile but not in package.json`,
		},
	} {
		if got := SpecDiff(tc.locked, tc.pkg); got != tc.want {
			t.Errorf("%s: SpecDiff = %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
