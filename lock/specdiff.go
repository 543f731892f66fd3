package lock

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// SpecDiff describes how the dependencies package.json declares (pkg,
// name or alias → specifier) differ from those a lockfile recorded for
// it (locked): package.json's names first, then the ones only the
// lockfile has, each sorted, joined with "; ". It is "" when they are the
// same. lock/pnpm and lock/bun report their out-of-sync errors with it.
func SpecDiff(locked, pkg map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(pkg)) {
		if v, ok := locked[k]; !ok {
			out = append(out, fmt.Sprintf("%s %q is not in the lockfile", k, pkg[k]))
		} else if v != pkg[k] {
			out = append(out, fmt.Sprintf("%s is %q in package.json but %q in the lockfile", k, pkg[k], v))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(locked)) {
		if _, ok := pkg[k]; !ok {
			out = append(out, fmt.Sprintf("%s is in the lockfile but not in package.json", k))
		}
	}
	return strings.Join(out, "; ")
}
