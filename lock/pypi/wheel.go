package pypi

// WheelName is a parsed wheel filename (PEP 427).
type WheelName struct {
	Name    string // as in the filename (escaped: "_" for "-")
	Version string
	Build   string // "" when absent; starts with a digit otherwise
	Tags    []Tag  // the expansion of compressed tag sets ("py2.py3-none-any")
}

// ParseWheelFilename parses "{name}-{ver}(-{build})?-{py}-{abi}-{plat}.whl".
// Errors match ErrBadWheelName.
func ParseWheelFilename(fn string) (WheelName, error) { return WheelName{}, errNotYet }

// SelectWheel picks the most preferred wheel of the distribution name that
// is compatible with env: the one whose best tag comes earliest in
// env.Tags. Ties go to the higher build tag, then the greater filename, as
// in pip's CandidateEvaluator. Candidates that are not wheels (sdists) or
// whose filename names another project are skipped. The error (matching
// ErrNoCompatibleWheel) lists the wheel tags seen and the interpreter's
// most preferred tags, and says when only an sdist was available.
func SelectWheel(name string, candidates []Artifact, env Environment) (Artifact, error) {
	return Artifact{}, errNotYet
}
