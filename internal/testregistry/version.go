package testregistry

import (
	"strconv"
	"strings"
)

// compareVersions orders semver strings well enough to pick dist-tags.latest
// for fixtures: numeric major.minor.patch, then a release sorts after its
// prereleases, prerelease identifiers compared numerically when both are
// numbers. Build metadata is ignored. Non-semver strings compare as text.
func compareVersions(a, b string) int {
	a, _, _ = strings.Cut(a, "+")
	b, _, _ = strings.Cut(b, "+")
	ac, apre, _ := strings.Cut(a, "-")
	bc, bpre, _ := strings.Cut(b, "-")
	an, aok := core(ac)
	bn, bok := core(bc)
	if !aok || !bok {
		return strings.Compare(a, b)
	}
	for i := range an {
		if an[i] != bn[i] {
			if an[i] < bn[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case apre == bpre:
		return 0
	case apre == "":
		return 1
	case bpre == "":
		return -1
	}
	ap, bp := strings.Split(apre, "."), strings.Split(bpre, ".")
	for i := 0; i < len(ap) && i < len(bp); i++ {
		x, xerr := strconv.ParseUint(ap[i], 10, 64)
		y, yerr := strconv.ParseUint(bp[i], 10, 64)
		switch {
		case xerr == nil && yerr == nil:
			if x != y {
				if x < y {
					return -1
				}
				return 1
			}
		case xerr == nil: // numeric identifiers sort first
			return -1
		case yerr == nil:
			return 1
		default:
			if c := strings.Compare(ap[i], bp[i]); c != 0 {
				return c
			}
		}
	}
	switch {
	case len(ap) < len(bp):
		return -1
	case len(ap) > len(bp):
		return 1
	}
	return 0
}

func core(s string) ([3]uint64, bool) {
	var n [3]uint64
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return n, false
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return n, false
		}
		n[i] = v
	}
	return n, true
}

// latest is the highest release, or the highest prerelease when there is no
// release, which is what `npm publish` leaves as dist-tags.latest when
// versions are published in order.
func latest(versions []string) string {
	best := ""
	bestRelease := false
	for _, v := range versions {
		release := !strings.Contains(strings.SplitN(v, "+", 2)[0], "-")
		switch {
		case best == "",
			release && !bestRelease,
			release == bestRelease && compareVersions(v, best) > 0:
			best, bestRelease = v, release
		}
	}
	return best
}
