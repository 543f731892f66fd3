package fetch

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/airlock-dev/airlock/lock"
	"github.com/airlock-dev/airlock/verify"
)

// TestRelockHint: the integrity errors tell the user to rewrite the
// lockfile with the command the Fetcher was given (the lockfile may be
// pnpm's, yarn's, bun's or a Python one), and with npm's when it was given
// none.
func TestRelockHint(t *testing.T) {
	data, pkg := archive("foo", 2000)
	evil := bytes.Clone(data)
	evil[0] ^= 1
	noIntegrity := pkg
	noIntegrity.Integrity = ""
	unusable := pkg
	unusable.Integrity = "md5-XrY7u+Ae7tCTyyK7j1rNww=="
	for _, tc := range []struct {
		name string
		pkg  lock.Package
		body []byte
		is   error
	}{
		{"integrity mismatch", pkg, evil, verify.ErrIntegrity},
		{"no integrity", noIntegrity, nil, verify.ErrBadIntegrity},
		{"unusable integrity", unusable, nil, verify.ErrBadIntegrity},
	} {
		for _, hint := range []string{"", "bun install --lockfile-only"} {
			want := hint
			if want == "" {
				want = verify.DefaultRelockHint
			}
			t.Run(tc.name+"/"+want, func(t *testing.T) {
				f, g := newFetcher(t)
				f.RelockHint = hint
				if tc.body != nil {
					g.serve(urlOf("foo", "1.2.3"), tc.body)
				}
				_, err := f.Fetch(context.Background(), tc.pkg, nil)
				if !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %v", err, tc.is)
				}
				if !strings.Contains(err.Error(), want) {
					t.Errorf("message does not name %q:\n%s", want, err)
				}
				if hint != "" && strings.Contains(err.Error(), "package-lock-only") {
					t.Errorf("message still names npm's command:\n%s", err)
				}
			})
		}
	}
}
