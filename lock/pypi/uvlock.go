package pypi

// UVOptions chooses which parts of a uv.lock project graph are installed,
// with uv sync's flags and defaults.
type UVOptions struct {
	// Extras to enable on the root project (--extra); AllExtras enables
	// every one (--all-extras).
	Extras    []string
	AllExtras bool
	// Groups to add to the defaults (--group); OnlyGroups installs only
	// these groups and not the project's own dependencies (--only-group);
	// NoGroups removes groups (--no-group); NoDefaultGroups drops the
	// default groups (--no-default-groups; uv's default is ["dev"]);
	// NoDev is --no-dev; AllGroups is --all-groups.
	Groups, OnlyGroups, NoGroups []string
	NoDefaultGroups, NoDev       bool
	AllGroups                    bool
	// DefaultGroups are the project's [tool.uv] default-groups, which
	// uv.lock does not record; nil means uv's default, ["dev"].
	DefaultGroups []string
	// Package selects one workspace member as the root (--package); ""
	// means the workspace root, or every member when the root is virtual.
	Package string
}

type uvGraph struct{}

// ParseUVLock reads a uv.lock (version 1) and records its graph; Select
// walks it with opts' extras and groups. See the package doc.
func ParseUVLock(data []byte, opts UVOptions) (*Lock, error) { return nil, errNotYet }
