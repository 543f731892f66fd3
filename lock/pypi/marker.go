package pypi

// Marker is a parsed PEP 508 environment marker.
type Marker struct {
	src  string
	root markerNode
}

type markerNode interface{}

// String returns the marker as it was written.
func (m *Marker) String() string { return m.src }

// ParseMarker parses a PEP 508 marker expression ("python_version < '3.12'
// and sys_platform == 'linux'"). Errors match ErrBadMarker.
func ParseMarker(s string) (*Marker, error) { return nil, errNotYet }

// Evaluate evaluates m in env with the given value of the "extra" variable
// ("" when no extra is being installed). Errors match ErrBadMarker (an
// unknown variable, for instance).
func (m *Marker) Evaluate(env Environment, extra string) (bool, error) { return false, errNotYet }
