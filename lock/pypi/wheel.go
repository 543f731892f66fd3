package pypi

import (
	"fmt"
	"regexp"
	"strings"
)

// WheelName is a parsed wheel filename (PEP 427).
type WheelName struct {
	Name    string // as in the filename (escaped: "_" for "-")
	Version string // as in the filename
	Build   string // "" when absent; starts with a digit otherwise
	Tags    []Tag  // the expansion of compressed tag sets ("py2.py3-none-any")
}

// wheelNamePart is packaging's check on the name part ([\w\d._]*, no
// "__"), restricted to ASCII: PyPI names are ASCII.
var (
	wheelNamePart = regexp.MustCompile(`^[A-Za-z0-9._]+$`)
	wheelBuild    = regexp.MustCompile(`^([0-9]+)(.*)$`)
)

// MaxFilenameLength bounds the filenames the parsers accept.
const MaxFilenameLength = 1024

// ParseWheelFilename parses "{name}-{ver}(-{build})?-{py}-{abi}-{plat}.whl"
// as packaging.utils.parse_wheel_filename does. Errors match
// ErrBadWheelName.
func ParseWheelFilename(fn string) (WheelName, error) {
	bad := func(why string) (WheelName, error) {
		return WheelName{}, fmt.Errorf("%w: %q: %s", ErrBadWheelName, fn, why)
	}
	if len(fn) > MaxFilenameLength {
		return bad("too long")
	}
	if !strings.HasSuffix(fn, ".whl") {
		return bad("does not end in .whl")
	}
	base := strings.TrimSuffix(fn, ".whl")
	dashes := strings.Count(base, "-")
	if dashes != 4 && dashes != 5 {
		return bad("a wheel filename has 5 or 6 dash-separated parts: name-version(-build)-python-abi-platform.whl")
	}
	parts := strings.SplitN(base, "-", dashes-1)
	if strings.Contains(parts[0], "__") || !wheelNamePart.MatchString(parts[0]) {
		return bad("invalid project name part")
	}
	if _, err := ParseVersion(parts[1]); err != nil || strings.TrimSpace(parts[1]) != parts[1] {
		return bad("invalid version part")
	}
	w := WheelName{Name: parts[0], Version: parts[1]}
	if dashes == 5 {
		if !wheelBuild.MatchString(parts[2]) {
			return bad("the build tag must start with a digit")
		}
		w.Build = parts[2]
	}
	tags, err := ParseTag(parts[len(parts)-1])
	if err != nil {
		return bad("invalid tags")
	}
	w.Tags = tags
	return w, nil
}

// cmpBuild orders build tags as pip does: () < (N, suffix), numbers
// numerically, then the suffix as a string.
func cmpBuild(a, b string) int {
	switch {
	case a == "" && b == "":
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	ma, mb := wheelBuild.FindStringSubmatch(a), wheelBuild.FindStringSubmatch(b)
	if c := cmpNum(trimZeros(ma[1]), trimZeros(mb[1])); c != 0 {
		return c
	}
	return strings.Compare(ma[2], mb[2])
}

// maxTagsInError bounds how many tags an ErrNoCompatibleWheel message shows.
const maxTagsInError = 8

// SelectWheel picks the most preferred wheel of the distribution name that
// is compatible with env: the one whose best tag comes earliest in
// env.Tags. Ties go to the higher build tag, then to the smaller filename
// (pip keeps the first of equal candidates in index order, and indexes list
// files sorted by name). Candidates that are not wheels (sdists) or whose
// filename names another project are skipped. The error (matching
// ErrNoCompatibleWheel) lists the wheel tags seen and the interpreter's most
// preferred tags, and says when only an sdist was available.
func SelectWheel(name string, candidates []Artifact, env Environment) (Artifact, error) {
	priority := make(map[Tag]int, len(env.Tags))
	for i, t := range env.Tags {
		if _, seen := priority[t]; !seen {
			priority[t] = i
		}
	}
	want := NormalizeName(name)
	var (
		best     Artifact
		bestPri  = -1
		bestName WheelName
		seenTags []string
		sdists   []string
		badNames []string
	)
	for _, c := range candidates {
		fn := c.Filename
		if !strings.HasSuffix(fn, ".whl") {
			sdists = append(sdists, fn)
			continue
		}
		w, err := ParseWheelFilename(fn)
		if err != nil || NormalizeName(w.Name) != want {
			badNames = append(badNames, fn)
			continue
		}
		pri := -1
		for _, t := range w.Tags {
			if p, ok := priority[t]; ok && (pri < 0 || p < pri) {
				pri = p
			}
		}
		if pri < 0 {
			seenTags = append(seenTags, tagSetString(w.Tags))
			continue
		}
		better := bestPri < 0 || pri < bestPri
		if !better && pri == bestPri {
			c := cmpBuild(w.Build, bestName.Build)
			better = c > 0 || (c == 0 && fn < best.Filename)
		}
		if better {
			best, bestPri, bestName = c, pri, w
		}
	}
	if bestPri >= 0 {
		return best, nil
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s: %v for this interpreter", name, ErrNoCompatibleWheel)
	if len(seenTags) > 0 {
		fmt.Fprintf(&msg, "; the wheels' tags are %s", strings.Join(seenTags, ", "))
	} else {
		msg.WriteString("; the lock lists no wheel")
	}
	if len(badNames) > 0 {
		fmt.Fprintf(&msg, "; ignored files not named like a wheel of %s: %s", name, strings.Join(badNames, ", "))
	}
	top := env.Tags[:min(len(env.Tags), maxTagsInError)]
	topS := make([]string, len(top))
	for i, t := range top {
		topS[i] = t.String()
	}
	fmt.Fprintf(&msg, "; the interpreter's most preferred tags are %s", strings.Join(topS, ", "))
	if len(env.Tags) > len(top) {
		fmt.Fprintf(&msg, " (and %d more)", len(env.Tags)-len(top))
	}
	if len(sdists) > 0 {
		fmt.Fprintf(&msg, "; there is a source distribution (%s), but building it would run its code, which airlock never does: lock a version that has a wheel for this platform, or install this package with pip", strings.Join(sdists, ", "))
	}
	return Artifact{}, &wheelError{msg: msg.String()}
}

type wheelError struct{ msg string }

func (e *wheelError) Error() string { return e.msg }
func (e *wheelError) Unwrap() error { return ErrNoCompatibleWheel }

// tagSetString prints a wheel's tags in the compressed form of its filename.
func tagSetString(tags []Tag) string {
	var is, as, ps []string
	for _, t := range tags {
		if !containsString(is, t.Interpreter) {
			is = append(is, t.Interpreter)
		}
		if !containsString(as, t.ABI) {
			as = append(as, t.ABI)
		}
		if !containsString(ps, t.Platform) {
			ps = append(ps, t.Platform)
		}
	}
	return strings.Join(is, ".") + "-" + strings.Join(as, ".") + "-" + strings.Join(ps, ".")
}
