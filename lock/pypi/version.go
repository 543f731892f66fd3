package pypi

// Version is a parsed PEP 440 version.
type Version struct {
	Epoch   int
	Release []int
	Pre     *PreRelease // a1, b2, rc3
	Post    int         // -1 when absent
	Dev     int         // -1 when absent
	Local   []string    // "+ubuntu.1" → ["ubuntu", "1"]
	src     string
}

// PreRelease is the pre-release segment of a Version.
type PreRelease struct {
	Kind string // "a", "b" or "rc"
	N    int
}

// ParseVersion parses a PEP 440 version, accepting the spellings PEP 440's
// normalisation accepts ("1.0-RC1", "v1.0", "1.0.post-1"). Errors match
// ErrBadVersion.
func ParseVersion(s string) (Version, error) { return Version{}, errNotYet }

// Compare orders versions per PEP 440: -1, 0 or +1.
func (v Version) Compare(w Version) int { return 0 }

// String returns the normalised form ("1.0rc1").
func (v Version) String() string { return v.src }

// Specifier is one PEP 440 version clause ("~=1.4", "==1.*", "!=2.0").
type Specifier struct {
	Op      string // ==, !=, <=, >=, <, >, ~=, ===
	Version string
}

// Specifiers is a comma-separated conjunction of clauses.
type Specifiers []Specifier

// ParseSpecifiers parses a comma-separated specifier set (">=3.9, <4").
// Errors match ErrSyntax.
func ParseSpecifiers(s string) (Specifiers, error) { return nil, errNotYet }

// Contains reports whether v satisfies every clause. Pre-releases are
// accepted: a lock already chose the version and requires-python checks
// must not reject a 3.14.0rc1 interpreter.
func (ss Specifiers) Contains(v Version) bool { return false }
