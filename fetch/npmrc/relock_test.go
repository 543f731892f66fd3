package npmrc

import (
	"errors"
	"strings"
	"testing"
)

// TestHostErrorRelockHint: a tarball outside the configured registries is
// refused with the re-lock command of the lockfile being installed (.npmrc
// serves pnpm, yarn 1 and bun projects too), npm's when none is set.
func TestHostErrorRelockHint(t *testing.T) {
	mirror := map[string]string{"registry": "https://mirror.example/npm/"}
	for _, resolved := range []string{
		"https://evil.example/a/-/a-1.0.0.tgz",         // another host
		"https://mirror.example/other/a/-/a-1.0.0.tgz", // the registry's host, outside its path
	} {
		for _, hint := range []string{"", "yarn install --ignore-scripts"} {
			want := hint
			if want == "" {
				want = "npm install --package-lock-only"
			}
			c := configOf(t, mirror)
			c.RelockHint = hint
			_, err := c.TarballURL("a", "1.0.0", resolved)
			var he *HostError
			if !errors.As(err, &he) {
				t.Fatalf("%s: err = %v, want a *HostError", resolved, err)
			}
			if !strings.Contains(err.Error(), "`"+want+"`") {
				t.Errorf("%s: message does not name `%s`:\n%s", resolved, want, err)
			}
			if hint != "" && strings.Contains(err.Error(), "package-lock-only") {
				t.Errorf("%s: message still names npm's command:\n%s", resolved, err)
			}
		}
	}
}
